# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' argument specs stay free of Jinja.

Ansible templates a role's whole argument spec in every host's argument check, descriptions
included: a description quoting ``{{ ... }}`` is compiled and rendered once per tenant, and an
example naming a variable the host lacks would fail the check.
"""

from pathlib import Path

import pytest

ROLES_DIR = Path(__file__).resolve().parents[3] / "roles"
SPECS = sorted(ROLES_DIR.glob("*/meta/argument_specs.yml"))


def test_every_role_has_a_spec():
    assert SPECS, "no roles/*/meta/argument_specs.yml found under %s" % ROLES_DIR


@pytest.mark.parametrize("spec", SPECS, ids=[spec.parts[-3] for spec in SPECS])
def test_spec_has_no_jinja(spec):
    lines = [(number, line) for number, line in enumerate(spec.read_text(encoding="utf-8").splitlines(), 1)
             if "{{" in line or "{%" in line]
    assert not lines, "%s: Jinja in the argument spec (write <variable> instead): %s" % (
        spec, "; ".join("line %d: %s" % (number, line.strip()) for number, line in lines))
