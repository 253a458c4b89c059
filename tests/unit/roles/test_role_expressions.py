# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' per-tenant expressions name none of Jinja's own filters and tests.

Ansible looks every filter and test name up among its own plugins first; a name it does not find
there (``length``, ``lower``, ``none``, ``true``...: Jinja's own) is searched for again, through the
collection loader, by each task's worker, about 2 ms a name (``docs/architecture.md``). Conditions
compare with ``''``, ``[]`` and ``{}`` instead. The summary template (once per run) may use them.
"""

import functools
import re
from pathlib import Path

import jinja2.defaults
import pytest

from ansible.plugins.loader import filter_loader, init_plugin_loader, test_loader
from ansible.release import __version__ as ANSIBLE_VERSION
from ansible.utils.collection_loader import AnsibleCollectionConfig

# Before 2.19 Ansible had no default filter of its own, so the role's many default() calls are
# Jinja's there: the rule holds, and is checked, from 2.19 on.
pytestmark = pytest.mark.skipif(tuple(int(part) for part in ANSIBLE_VERSION.split(".")[:2]) < (2, 19),
                                reason="ansible-core before 2.19 resolves default() as Jinja's own")

ROLES_DIR = Path(__file__).resolve().parents[3] / "roles"
FILES = sorted(path for folder in ("tasks", "vars", "defaults") for path in ROLES_DIR.glob("*/%s/*.yml" % folder))

# Kept where a comparison would not do, each once per fresh tenant at most: the member identifier
# compared without case (an identifier YAML reads as a number has no .lower()), and the verify task's
# list of the permissions without their allow lists (map returns a generator).
ALLOWED = {("verify.yml", "lower"), ("verify.yml", "list")}

FILTER = re.compile(r"\|\s*([a-z_][a-z0-9_]*)\b(?!\.)")
TEST = re.compile(r"\bis\s+(?:not\s+)?([a-z_][a-z0-9_]*)\b(?!\.)")


@functools.lru_cache(maxsize=None)
def jinja_only(names, kind):
    """The names Jinja provides that Ansible's loader of ``kind`` does not find among its plugins."""
    if AnsibleCollectionConfig.collection_finder is None:  # else already set up for this test run
        init_plugin_loader()
    loader = filter_loader if kind == "filter" else test_loader
    found = set()
    for name in names:
        try:
            if loader.get(name) is not None:
                found.add(name)
        except KeyError:
            pass
    return frozenset(names) - found


def jinja_only_filters():
    return jinja_only(tuple(jinja2.defaults.DEFAULT_FILTERS), "filter")


def jinja_only_tests():
    return jinja_only(tuple(jinja2.defaults.DEFAULT_TESTS), "test")


PROSE = re.compile(r"^\s*(?:#|-?\s*name:)")


def expressions(path):
    """The file's lines that are not comments or task names."""
    return [(number, line) for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if not PROSE.match(line)]


def test_the_role_files_are_found():
    assert any(path.name == "main.yml" and path.parent.name == "tasks" for path in FILES), ROLES_DIR


def test_the_check_knows_jinja_only_names():
    # The names this check looks for: if Ansible ever provided them itself, the check would say nothing.
    assert {"length", "lower"} <= jinja_only_filters()
    assert {"none", "true", "false"} <= jinja_only_tests()
    assert "default" not in jinja_only_filters()


@pytest.mark.parametrize("path", FILES, ids=["/".join(path.parts[-3:]) for path in FILES])
def test_no_jinja_only_filter_or_test(path):
    filters, tests = jinja_only_filters(), jinja_only_tests()
    found = []
    for number, line in expressions(path):
        found += ["line %d: filter %s" % (number, name) for name in FILTER.findall(line)
                  if name in filters and (path.name, name) not in ALLOWED]
        found += ["line %d: test %s" % (number, name) for name in TEST.findall(line)
                  if name in tests and (path.name, name) not in ALLOWED]
    assert not found, "%s: Jinja's own filters or tests (compare with '', [] or {} instead): %s" % (
        path, "; ".join(found))
