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

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_inputs import variable_problems


def tenant_inputs(variables):
    if not isinstance(variables, dict):
        raise AnsibleFilterError("tenant_inputs expects a dict of the tenant's variables")
    return variable_problems(variables)


class FilterModule(object):
    def filters(self):
        return {"tenant_inputs": tenant_inputs}
