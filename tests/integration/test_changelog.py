"""Release notes: fragments and changelogs/changelog.yaml lint clean, the release matches galaxy.yml, and
CHANGELOG.md and CHANGELOG.rst are what antsibull-changelog generates from changelog.yaml."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.ansible_runner import REPO_ROOT

BIN = Path(sys.executable).parent
CONFIG = yaml.safe_load((REPO_ROOT / "changelogs" / "config.yaml").read_text())


def changelog(*args):
    proc = subprocess.run([str(BIN / "antsibull-changelog"), *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          check=False, timeout=300)
    assert proc.returncode == 0, "antsibull-changelog %s:\n%s\n%s" % (" ".join(args), proc.stdout, proc.stderr)
    return proc.stdout + proc.stderr


def test_fragments_lint_clean():
    assert changelog("lint").strip() == ""


def test_changelog_yaml_lint_clean_and_holds_the_galaxy_version():
    assert changelog("lint-changelog-yaml", "changelogs/changelog.yaml").strip() == ""
    version = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())["version"]
    releases = yaml.safe_load((REPO_ROOT / "changelogs" / "changelog.yaml").read_text())["releases"]
    assert version in releases
    for name in ("CHANGELOG.rst", "CHANGELOG.md"):
        notes = (REPO_ROOT / name).read_text().replace("\\", "")  # markdown and RST escapes
        assert "v%s" % version in notes, name
        # Every plugin and the role is announced in the release that added it.
        for plugin in ("msp.umbrella_psa.plan", "msp.umbrella_psa.psa_integration"):
            assert plugin in notes, (name, plugin)


def test_changelog_config_writes_markdown_and_rst():
    assert sorted((o["file"], o["format"]) for o in CONFIG["output"]) == [("CHANGELOG.md", "md"),
                                                                          ("CHANGELOG.rst", "rst")]


@pytest.mark.parametrize("output", CONFIG["output"], ids=lambda o: o["file"])
def test_committed_release_notes_are_in_step_with_changelog_yaml(output, tmp_path):
    """Regenerating from changelogs/changelog.yaml gives the committed file, byte for byte."""
    generated = tmp_path / output["file"]
    changelog("generate", "--output", str(generated), "--output-format", output["format"])
    committed = (REPO_ROOT / output["file"]).read_text()
    assert generated.read_text() == committed, "%s is stale: run `make changelog`" % output["file"]


def test_every_plugin_and_the_role_is_in_a_release_or_a_pending_fragment():
    """A new plugin is announced: in a release's notes, or in a fragment of the next release."""
    released = (REPO_ROOT / "CHANGELOG.md").read_text().replace("\\", "")
    pending = "".join(p.read_text() for p in (REPO_ROOT / "changelogs" / "fragments").glob("*.yml"))
    names = [p.stem for p in (REPO_ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__"]
    names += [p.stem for p in (REPO_ROOT / "plugins" / "callback").glob("*.py") if p.stem != "__init__"]
    names += [p.name for p in (REPO_ROOT / "roles").iterdir() if p.is_dir()]
    assert len(names) >= 9
    missing = [n for n in names if "msp.umbrella_psa.%s" % n not in released and n not in pending]
    assert missing == []
