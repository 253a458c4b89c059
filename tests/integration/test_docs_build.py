"""The collection's reference documentation builds with antsibull-docs and Sphinx, as HTML.

``scripts/build_docs.py`` (``make docs``) is run on a staged copy of the collection: antsibull-docs
writes the reStructuredText pages, Sphinx renders them with every warning an error. The site must have
a page for every module, action plugin, callback, filter, lookup and role, each carrying its options; and every
plugin's documentation lints clean the way the Ansible docs site lints it.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.ansible_runner import REPO_ROOT, ansible_env

BIN = Path(sys.executable).parent
PLUGINS = REPO_ROOT / "plugins"
# What the site documents, found in the tree, so that a new plugin without a page fails this test.
MODULES = sorted(p.stem for p in (PLUGINS / "modules").glob("*.py") if p.stem != "__init__")
ACTIONS = sorted(p.stem for p in (PLUGINS / "action").glob("*.py") if p.stem != "__init__")
CALLBACKS = sorted(p.stem for p in (PLUGINS / "callback").glob("*.py") if p.stem != "__init__")
FILTERS = sorted(p.stem for p in (PLUGINS / "filter").glob("*.py") if p.stem != "__init__")
LOOKUPS = sorted(p.stem for p in (PLUGINS / "lookup").glob("*.py") if p.stem != "__init__")
ROLES = sorted(p.name for p in (REPO_ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").is_file())
# Options whose values ansible hides (no_log): documented like any other option, never as a value.
NO_LOG_OPTIONS = {"cw_security_role": ["private_key"], "cw_api_member": ["private_key"],
                  "cw_api_key": ["private_key"], "cw_access_info": ["private_key"],
                  "umbrella_psa_integration": ["api_secret", "private_key"],
                  "umbrella_psa_integration_info": ["api_secret"],
                  "umbrella_psa_company_mapping": ["api_secret", "connectwise/private_key"]}


def stage(root):
    collection = root / "ansible_collections" / "msp" / "umbrella_psa"
    subprocess.run([str(REPO_ROOT / "scripts" / "stage-collection"), str(collection)], check=True)
    env = ansible_env(json_output=False)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(root)
    return collection, env


def build_docs(dest, env):
    return subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "build_docs.py"), str(dest)], env=env,
                          capture_output=True, text=True, check=False, timeout=900)


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """A staged copy of the collection of its own (build/ is restaged by other test processes)."""
    return stage(tmp_path_factory.mktemp("docs-collections"))


@pytest.fixture(scope="module")
def site(staged, tmp_path_factory):
    _collection, env = staged
    dest = tmp_path_factory.mktemp("docs") / "site"
    proc = build_docs(dest, env)
    assert proc.returncode == 0, "the docs build failed:\n%s\n%s" % (proc.stdout[-6000:], proc.stderr[-6000:])
    html = dest / "build" / "html"
    assert str(html / "index.html") in proc.stdout
    return html


def option_anchors(page):
    return set(re.findall(r'id="parameter-([A-Za-z0-9_/-]+)"', page.read_text()))


def test_html_has_a_page_per_module_action_callback_filter_lookup_and_role(site):
    assert len(MODULES) >= 7 and CALLBACKS == ["gc_freeze", "plan"] and FILTERS == [
        "absolute_file", "tenant_file", "tenant_inputs", "tenant_key", "tenant_overlaps", "tenant_result"]
    assert LOOKUPS == ["key_store", "secret"] and ROLES == ["psa_integration"]
    assert set(ACTIONS) <= set(MODULES), "an action plugin without a module documents nothing"
    expected = {"%s_module.html" % m for m in MODULES} | {"%s_callback.html" % c for c in CALLBACKS}
    expected |= {"%s_filter.html" % f for f in FILTERS} | {"%s_lookup.html" % name for name in LOOKUPS}
    expected |= {"%s_role.html" % r for r in ROLES}
    pages = {p.name for p in site.glob("*.html")} - {"index.html", "search.html", "genindex.html",
                                                     "environment_variables.html"}
    assert pages == expected
    index = (site / "index.html").read_text()
    for page in sorted(expected):
        assert 'href="%s"' % page in index, page
        text = (site / page).read_text()
        assert "<h1>" in text and "Synopsis" in text
    for action in ACTIONS:
        assert "corresponding" in (site / ("%s_module.html" % action)).read_text()
    assert "Module error" not in "".join((site / page).read_text() for page in expected)
    # Links into the Ansible documentation resolve to real addresses, not to broken references.
    assert "https://docs.ansible.com/projects/ansible/devel/plugins/action.html#action-plugins" in \
        (site / "cw_api_key_module.html").read_text()


def test_pages_carry_every_option_secrets_included(staged, site):
    _collection, env = staged
    for module in MODULES:
        proc = subprocess.run([str(BIN / "ansible-doc"), "--json", "msp.umbrella_psa." + module], env=env,
                              capture_output=True, text=True, check=True)
        options = set(json.loads(proc.stdout)["msp.umbrella_psa." + module]["doc"]["options"])
        anchors = option_anchors(site / ("%s_module.html" % module))
        assert options and options <= anchors, (module, sorted(options - anchors))
        assert set(NO_LOG_OPTIONS.get(module, [])) <= anchors, module
    role = site / "psa_integration_role.html"
    assert "main--psa_cw_site" in option_anchors(role)
    # The secrets are read by the role itself, not checked by the argument spec (which would template
    # them): the page names them in the entry point's description instead of as options.
    secrets = ("psa_cw_private_key", "psa_umbrella_api_secret", "psa_integration_private_key",
               "psa_key_store_vault_password")
    assert not {"main--" + name for name in secrets} & option_anchors(role)
    assert all(name in role.read_text() for name in secrets)
    callback = (site / "plan_callback.html").read_text()
    assert "plan_file" in option_anchors(site / "plan_callback.html") and "PSA_PLAN_FILE" in callback
    assert {"_input", "tenant", "check_mode", "public_key"} <= option_anchors(site / "tenant_result_filter.html")
    assert {"_input", "store", "vault_password", "placeholder"} <= option_anchors(site / "tenant_key_filter.html")
    assert {"_terms", "max_age_days", "rotate"} <= option_anchors(site / "key_store_lookup.html")
    assert "callbacks_enabled" in (site / "gc_freeze_callback.html").read_text()


def test_a_broken_reference_fails_the_build(tmp_path):
    """Warnings are errors: a module documentation linking to a label nobody defines stops the build."""
    collection, env = stage(tmp_path / "collections")
    module = collection / "plugins" / "modules" / "key_store.py"
    text = module.read_text()
    assert "short_description:" in text
    module.write_text(text.replace("description:\n", "description:\n  - See R(the missing page,no_such_label).\n", 1))
    proc = build_docs(tmp_path / "site", env)
    assert proc.returncode != 0
    assert "no_such_label" in proc.stdout + proc.stderr


def test_plugin_docs_lint_clean(staged):
    collection, env = staged
    proc = subprocess.run([str(BIN / "antsibull-docs"), "lint-collection-docs", "--plugin-docs", "."], cwd=collection,
                          env=env, capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0 and (proc.stdout + proc.stderr).strip() == "", proc.stdout + proc.stderr
