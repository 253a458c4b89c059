#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: cw_access_info
short_description: Show what a ConnectWise PSA API key may do, and what it lacks
version_added: 0.1.0
description:
  - Reads, with the key pair given in O(public_key) / O(private_key), the key's own member, its effective
    security settings and its Table Setup customize list (I(Allow access to these)), through ConnectWise's
    published C(GET /system/mySecurity) and C(GET /system/mySecurity/customizeItems/).
  - With O(required), compares them with the access a task needs and lists what is missing. Use it as a
    preflight on the bootstrap key before any write, and to verify an integration key after the manual steps
    of M(msp.umbrella_psa.cw_security_role) on a server without the write extension (the customize list of a
    role can only be read this way).
  - Never writes; one to three GET requests per run (the customize list is read only when O(required) is
    empty or asks for an O(required[].allow) list).
author:
  - msp.umbrella_psa contributors (@msp-automation)
extends_documentation_fragment:
  - msp.umbrella_psa.connectwise
  - msp.umbrella_psa.transport
  - msp.umbrella_psa.attributes.info_module
  - msp.umbrella_psa.attributes.actiongroup_connectwise
notes:
  - Levels compare as V(None) < V(My) < V(All) - a granted V(All) satisfies a required V(My).
  - A key that does not authenticate fails the task with a one-line message; the failed result carries
    C(status) (V(401), or V(403) when the member's role denies the read).
  - Error messages name entries of O(required) by their 0-based index, for example C(required[1].module).
options:
  required:
    description:
      - The access to check, in the shape of the O(msp.umbrella_psa.cw_security_role#module:permissions) option.
      - A level of V(None) (the default) means "not required"; C(allow) lists setup tables that must be in the
        customize list (others may be there too).
      - Unknown module or function names fail with the closest real names.
    type: list
    elements: dict
    default: []
    suboptions:
      module:
        description: The module as the UI names it, for example V(Companies).
        type: str
        required: true
      function:
        description: The function of that module, for example V(Configurations).
        type: str
        required: true
      add:
        description: The add level needed.
        type: str
        choices: [All, My, "None"]
        default: "None"
      edit:
        description: The edit level needed.
        type: str
        choices: [All, My, "None"]
        default: "None"
      delete:
        description: The delete level needed.
        type: str
        choices: [All, My, "None"]
        default: "None"
      inquire:
        description: The inquire (view) level needed.
        type: str
        choices: [All, My, "None"]
        default: "None"
      allow:
        description: Only for V(System) › V(Table Setup) - setup tables (V(Category / Name)) the customize list must hold.
        type: list
        elements: str
seealso:
  - module: msp.umbrella_psa.cw_security_role
'''

EXAMPLES = r'''
- name: Preflight and verification of ConnectWise keys
  hosts: tenants
  gather_facts: false
  module_defaults:
    group/msp.umbrella_psa.connectwise:
      site: "{{ cw_site }}"
      company_id: "{{ cw_company_id }}"
      client_id: "{{ cw_client_id }}"
  tasks:
    - name: May the bootstrap key manage security roles and API members?
      msp.umbrella_psa.cw_access_info:
        public_key: "{{ cw_bootstrap_public_key }}"
        private_key: "{{ cw_bootstrap_private_key }}"
        required:
          - module: System
            function: Security Roles
            add: All
            edit: All
            delete: All
            inquire: All
          - module: System
            function: Members
            add: All
            edit: All
            inquire: All
      register: bootstrap_access

    - name: Stop before the first write when something is missing
      ansible.builtin.assert:
        that: bootstrap_access.satisfied
        fail_msg: "The bootstrap key lacks: {{ bootstrap_access.missing | join('; ') }}"

    - name: Does the Umbrella integration key have what Cisco's guide asks for?
      msp.umbrella_psa.cw_access_info:
        public_key: "{{ psa_integration_public_key }}"
        private_key: "{{ psa_integration_private_key }}"
        required:
          - {module: Companies, function: Company Maintenance, inquire: All}
          - {module: Companies, function: Configurations, add: All, edit: All, delete: All, inquire: All}
          - {module: Service Desk, function: Service Tickets, add: All, edit: All, inquire: All}
          - module: System
            function: Table Setup
            inquire: All
            allow: [Company / Configuration, Service / Priority, Service / Service Board]
      register: integration_access

    - name: Show what a person still has to grant
      ansible.builtin.debug:
        var: integration_access.missing
      when: not integration_access.satisfied
'''

RETURN = r'''
member:
  description: The member the key belongs to (V(null) when the server lists no settings for it).
  returned: always
  type: dict
  contains:
    id:
      description: The member's id.
      type: int
      sample: 178
    identifier:
      description: The Member ID.
      type: str
      sample: umbrella
    name:
      description: The member's name.
      type: str
      sample: Cisco Umbrella
settings:
  description: Every function the key has any level other than V(None) on.
  returned: always
  type: list
  elements: dict
  contains:
    module:
      description: The module, as the UI names it.
      type: str
    function:
      description: The function, as the UI names it.
      type: str
    add:
      description: The add level (V(None), V(My) or V(All)).
      type: str
    edit:
      description: The edit level.
      type: str
    delete:
      description: The delete level.
      type: str
    inquire:
      description: The inquire level.
      type: str
  sample:
    - {module: Companies, function: Configurations, add: All, edit: All, delete: All, inquire: All}
customize:
  description:
    - The setup tables (V(Category / Name)) of the key's Table Setup customize list.
    - V(null) when O(required) is given and asks for no O(required[].allow) list, which spares the read.
  returned: always
  type: list
  elements: str
  sample: [Company / Configuration, Service / Priority, Service / Service Board]
satisfied:
  description: Whether the key has everything in O(required) (V(true) when nothing is required).
  returned: always
  type: bool
  sample: false
missing:
  description: One line per shortfall - a function whose levels fall short, or a setup table missing from the customize list.
  returned: always
  type: list
  elements: str
  sample:
    - "Companies › Configurations: add is None, needs All"
    - "System › Table Setup allow: Service / Priority"
manual_steps:
  description: Always empty; the module only reads.
  returned: always
  type: list
  elements: str
  sample: []
'''

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_access_info as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import run_module


def main():
    run_module(engine)


if __name__ == '__main__':
    main()
