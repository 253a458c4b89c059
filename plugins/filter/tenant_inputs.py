# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tenant's values the vendors would refuse, found before the tenant's first write.

The limits are those the engines check their own options with (module_utils.tenant_inputs): one
table, so that the role's preflight and the modules cannot disagree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: tenant_inputs
short_description: what a vendor would refuse in a tenant's variables of the psa_integration role
version_added: 0.3.0
description:
  - Checks the tenant's variables of the C(msp.umbrella_psa.psa_integration) role that are written to
    ConnectWise or Umbrella (role name, member identifier, name, e-mail, notes and references, key
    description, the console's ticketing settings) against the vendors' limits, and returns one line
    per problem, naming the variable and the fix.
  - Internal to the role (its preflight); documented because every plugin of a collection is public.
options:
  _input:
    description: The tenant's variables, by name; a variable that is not set is absent or V(null).
    type: dict
    required: true
  names:
    description:
      - The names of every C(psa_*) variable the tenant has (C(lookup('ansible.builtin.varnames', '^psa_'))).
      - Each name the role does not know (not in its argument specs, nor a variable of the
        C(provision_tenants) playbook) is warned about, with the closest known names; a misspelled
        C(psa_umbrella_query_treshold) would otherwise be ignored silently, its default used.
    type: list
    elements: str
    default: []
    version_added: 0.3.0
"""

EXAMPLES = r"""
- name: Check the tenant's inputs
  ansible.builtin.assert:
    that: problems == []
    fail_msg: "{{ problems[0] | default('') }}"
  vars:
    problems: "{{ {'psa_member_identifier': psa_member_identifier} | msp.umbrella_psa.tenant_inputs }}"
"""

RETURN = r"""
_value:
  description: One line per problem, in the order of the table of limits; empty when every value is acceptable.
  type: list
  elements: str
"""

import difflib
import os

import yaml

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_inputs import variable_problems

# The role's variables are its argument specs' options (every entry point); the playbook adds two of
# its own, and the role sets one fact.
ARGUMENT_SPECS = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "psa_integration", "meta",
                              "argument_specs.yml")
PLAYBOOK_VARIABLES = ("psa_hosts", "psa_batch_size", "psa_integration_result")

_known = []


def known_variables():
    """Every psa_* name the role or the playbook reads (read once per process)."""
    if not _known:
        with open(ARGUMENT_SPECS) as handle:
            specs = yaml.safe_load(handle)["argument_specs"]
        names = set(PLAYBOOK_VARIABLES)
        for entry in specs.values():
            names.update(entry.get("options") or {})
        _known.extend(sorted(names))
    return _known


def unknown_variables(names, known):
    """One line per name in ``names`` that is not in ``known``, naming the closest known ones."""
    lines = []
    for name in sorted(set(names) - set(known)):
        close = difflib.get_close_matches(name, known, n=2, cutoff=0.8)
        hint = ("did you mean %s?" % " or ".join(close)) if close else "it is not one of the role's variables"
        lines.append("%s is set but the psa_integration role does not read it: %s" % (name, hint))
    return lines


def tenant_inputs(variables, names=None):
    if not isinstance(variables, dict):
        raise AnsibleFilterError("tenant_inputs expects a dict of the tenant's variables")
    for line in unknown_variables(names or [], known_variables()):
        Display().warning(line)
    return variable_problems(variables)


class FilterModule(object):
    def filters(self):
        return {"tenant_inputs": tenant_inputs}
