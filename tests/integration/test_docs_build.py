"""The collection's reference documentation builds with antsibull-docs: a page per plugin and for the role.

Generates the reStructuredText site (what a Sphinx build renders as HTML) from the staged collection, and
lints every plugin's documentation the way the Ansible docs site does.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from support.ansible_runner import REPO_ROOT, ansible_env

BIN = Path(sys.executable).parent
MODULES = ["cw_security_role", "cw_api_member", "cw_api_key", "cw_access_info", "umbrella_psa_integration",
           "umbrella_psa_company_mapping", "key_store"]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """A staged copy of the collection of its own (build/ is restaged by other test processes)."""
    root = tmp_path_factory.mktemp("docs-collections")
    collection = root / "ansible_collections" / "msp" / "umbrella_psa"
    subprocess.run([str(REPO_ROOT / "scripts" / "stage-collection"), str(collection)], check=True)
    env = ansible_env(json_output=False)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(root)
    return collection, env


def antsibull_docs(args, cwd, env):
    proc = subprocess.run([str(BIN / "antsibull-docs"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=600)
    assert proc.returncode == 0, "antsibull-docs %s failed:\n%s\n%s" % (" ".join(args), proc.stdout, proc.stderr)
    return proc.stdout + proc.stderr


def test_collection_docs_have_a_page_per_plugin_and_for_the_role(staged, tmp_path):
    _collection, env = staged
    dest = tmp_path / "docs"
    dest.mkdir(mode=0o700)
    antsibull_docs(["collection", "--use-current", "--dest-dir", str(dest), "msp.umbrella_psa"], tmp_path, env)
    pages = dest / "collections" / "msp" / "umbrella_psa"
    expected = ["%s_module.rst" % m for m in MODULES] + ["plan_callback.rst", "psa_integration_role.rst", "index.rst"]
    assert sorted(p.name for p in pages.iterdir()) == sorted(expected)
    index = (pages / "index.rst").read_text()
    for module in MODULES:
        assert "msp.umbrella_psa.%s#module" % module in index
    assert "msp.umbrella_psa.plan#callback" in index and "psa_integration_role" in index
    callback = (pages / "plan_callback.rst").read_text()
    assert "PSA_PLAN_FILE" in callback and "callback_plan" in callback
    assert "psa_cw_site" in (pages / "psa_integration_role.rst").read_text()
    assert "Module error" not in "".join(p.read_text() for p in pages.iterdir())


def test_plugin_docs_lint_clean(staged):
    collection, env = staged
    output = antsibull_docs(["lint-collection-docs", "--plugin-docs", "."], collection, env)
    assert output.strip() == "", output
