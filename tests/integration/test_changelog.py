"""Release notes: fragments and changelogs/changelog.yaml lint clean, and the release matches galaxy.yml."""

import subprocess
import sys
from pathlib import Path

import yaml

from support.ansible_runner import REPO_ROOT

BIN = Path(sys.executable).parent


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
    notes = (REPO_ROOT / "CHANGELOG.rst").read_text()
    assert "v%s" % version in notes
    # Every plugin and the role is announced in the release that added it.
    assert "msp.umbrella_psa.plan" in notes and "msp.umbrella_psa.psa_integration" in notes
