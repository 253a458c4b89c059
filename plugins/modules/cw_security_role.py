#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: cw_security_role
short_description: Manage a ConnectWise PSA security role and its permission settings
version_added: 0.1.0
description:
  - Creates or deletes a ConnectWise PSA security role (System › Security Roles) found by its name, and sets
    the add, edit, delete and inquire levels of its functions, plus the Table Setup customize list
    (I(Allow access to these)).
  - ConnectWise's published API creates, reads and deletes roles and reads their settings, but cannot write
    a setting or a customize list. Those writes use this collection's extension contract (CX1, CX2), which
    ConnectWise does not publish; see the collection's C(docs/extension-api.md). On a server without it the
    role is still created or deleted, the levels are verified by reading the role's settings, and every
    remaining difference is returned as an exact manual step (O(on_unsupported)).
  - Module and function names are those of the ConnectWise UI (V(Companies) › V(Company Maintenance)); they
    are matched case-insensitively against the functions the server lists, and an unknown name fails before
    any change with the closest real names.
  - Runs in-process on the controller through the action plugin of the same name; the module runs on a remote
    host only when the task's connection is not local.
author:
  - msp.umbrella_psa contributors (@msp-automation)
extends_documentation_fragment:
  - msp.umbrella_psa.connectwise
  - msp.umbrella_psa.transport
  - msp.umbrella_psa.attributes
  - msp.umbrella_psa.attributes.actiongroup_connectwise
notes:
  - Every request is paid per tenant per run; an unchanged role costs two requests (find, settings),
    three more when O(permissions[].allow) is given (setup screens, customize list).
  - In check mode nothing is written, so whether the server offers the write extension cannot be probed when
    only levels differ; the result then predicts the changes as if it does and returns RV(extension=null).
    When O(permissions[].allow) is given for an existing role, the customize list is read, which tells.
  - A role cannot be renamed through the API; a new O(name) creates another role.
  - When another run creates the role between this task's lookup and its create, ConnectWise refuses the create
    (C(ObjectExists)); the task then keeps that role and brings it to what is asked (RV(created=false)).
  - Error messages name entries of O(permissions) by their 0-based index, for example C(permissions[2].function).
options:
  name:
    description:
      - The role's name, 1 to 30 characters, without leading or trailing whitespace.
      - Found case-insensitively, as ConnectWise compares names.
    type: str
    required: true
  state:
    description:
      - V(present) creates the role when missing and sets its permissions.
      - V(absent) deletes the role. ConnectWise refuses while members still hold the role; the task then fails
        and says so.
    type: str
    choices: [present, absent]
    default: present
  permissions:
    description:
      - The functions of the role and their levels.
      - Levels are V(None), V(My) (records the member owns) or V(All); an omitted level is V(None).
      - Each function may be listed once.
    type: list
    elements: dict
    default: []
    suboptions:
      module:
        description: The module as the UI names it, for example V(Companies), V(Service Desk), V(System).
        type: str
        required: true
      function:
        description: The function of that module, for example V(Company Maintenance), V(Service Tickets), V(Table Setup).
        type: str
        required: true
      add:
        description: The add level.
        type: str
        choices: [All, My, "None"]
        default: "None"
      edit:
        description: The edit level.
        type: str
        choices: [All, My, "None"]
        default: "None"
      delete:
        description: The delete level.
        type: str
        choices: [All, My, "None"]
        default: "None"
      inquire:
        description: The inquire (view) level.
        type: str
        choices: [All, My, "None"]
        default: "None"
      allow:
        description:
          - Only for V(System) › V(Table Setup) - the setup tables of its customize list (I(Allow access to these)),
            as V(Category / Name) labels, for example V(Service / Service Board).
          - The list becomes exactly these tables. When omitted, the customize list is left as it is.
          - Without the extension the list can neither be read nor written per role; it is then always returned as a
            manual step, and M(msp.umbrella_psa.cw_access_info) verifies it with the key of a member holding the role.
        type: list
        elements: str
  permissions_mode:
    description:
      - V(listed) sets only the functions in O(permissions) and leaves every other function as it is.
      - V(exact) also sets every function not in O(permissions) to V(None) for all four levels.
    type: str
    choices: [listed, exact]
    default: listed
  on_unsupported:
    description:
      - What to do when the server does not offer the extension needed to write the settings or the customize list.
      - V(fail) fails the task with the manual steps in the message (and in RV(manual_steps)).
      - V(report) carries on; the role is still created, and RV(manual_steps) lists what a person must do.
        The next run verifies what it can read and reports only what is left.
    type: str
    choices: [fail, report]
    default: fail
  holder:
    description:
      - The identifier of the API member meant to hold the role. Before a role that does not exist yet is
        created, the task makes sure that at most one member has this identifier and that it does not hold
        another security role (see O(takeover)); nothing is written otherwise.
      - Not checked when the role exists already (cost nothing on a converged tenant); M(msp.umbrella_psa.cw_api_member)
        makes the same checks before it changes the member.
    type: str
  takeover:
    description:
      - With V(true), a member O(holder) that holds another security role does not stop the role from being created.
    type: bool
    default: false
seealso:
  - module: msp.umbrella_psa.cw_access_info
  - module: msp.umbrella_psa.cw_api_member
'''

EXAMPLES = r'''
- name: Give Cisco Umbrella exactly the access its ConnectWise integration guide asks for
  hosts: tenants
  gather_facts: false
  module_defaults:
    group/msp.umbrella_psa.connectwise:
      site: "{{ cw_site }}"
      company_id: "{{ cw_company_id }}"
      public_key: "{{ cw_bootstrap_public_key }}"
      private_key: "{{ cw_bootstrap_private_key }}"
      client_id: "{{ cw_client_id }}"
  tasks:
    - name: Security role for the Umbrella integration
      msp.umbrella_psa.cw_security_role:
        name: Umbrella Integration
        permissions_mode: exact
        on_unsupported: report
        permissions:
          - module: Companies
            function: Company Maintenance
            inquire: All
          - module: Companies
            function: Configurations
            add: All
            edit: All
            delete: All
            inquire: All
          - module: Service Desk
            function: Service Tickets
            add: All
            edit: All
            inquire: All
          - module: System
            function: Table Setup
            inquire: All
            allow:
              - Company / Configuration
              - Service / Priority
              - Service / Service Board
      register: umbrella_role

    - name: Show what is left for a person (servers without the extension)
      ansible.builtin.debug:
        var: umbrella_role.manual_steps
      when: umbrella_role.manual_steps | length > 0

- name: Delete a role nobody holds any more
  hosts: tenants
  gather_facts: false
  tasks:
    - name: Remove the old integration role
      msp.umbrella_psa.cw_security_role:
        site: api-na.myconnectwise.net
        company_id: acme
        public_key: "{{ cw_bootstrap_public_key }}"
        private_key: "{{ cw_bootstrap_private_key }}"
        client_id: "{{ cw_client_id }}"
        name: Old Umbrella Role
        state: absent
'''

RETURN = r'''
role:
  description: The role after the run (V(null) when absent). In check mode a role that would be created has the id
    V(<created in check mode>).
  returned: always
  type: dict
  contains:
    id:
      description: The role's ConnectWise id.
      type: raw
      sample: 42
    name:
      description: The role's name.
      type: str
      sample: Umbrella Integration
created:
  description: Whether this run created the role (or would, in check mode).
  returned: always
  type: bool
  sample: true
extension:
  description:
    - Whether the server offers the settings write extension (CX1/CX2).
    - V(null) when no extension route was needed or probed (nothing to write, or check mode with only level
      differences).
  returned: always
  type: bool
  sample: true
permissions:
  description:
    - The role's functions with any level other than V(None) after the run, in the shape of O(permissions).
    - On a server without the extension, the levels as they are (not as requested); C(allow) appears on
      V(System) › V(Table Setup) only when the customize list is known.
  returned: always
  type: list
  elements: dict
  sample:
    - {module: Companies, function: Company Maintenance, add: None, edit: None, delete: None, inquire: All}
    - module: System
      function: Table Setup
      add: None
      edit: None
      delete: None
      inquire: All
      allow: [Company / Configuration, Service / Priority, Service / Service Board]
manual_steps:
  description:
    - What a person must still do in the ConnectWise UI, one complete instruction each; empty when nothing is left.
    - Filled when the server does not offer the extension (with O(on_unsupported=report); with V(fail) the task
      fails and carries them too).
  returned: always
  type: list
  elements: str
  sample:
    - "ConnectWise: System › Security Roles › Umbrella Integration: set Companies › Company Maintenance to Add None,
      Edit None, Delete None, Inquire All, then Save."
diff:
  description:
    - The role before and after, as C({name, permissions}) where C(permissions) maps V(Module › Function) to its
      levels (and C(allow)); only functions with any level other than V(None) are shown.
    - C(before) is empty for a role that did not exist; C(after) is empty for a deleted role.
  returned: when diff mode is on
  type: dict
  sample:
    before: {}
    after:
      name: Umbrella Integration
      permissions:
        "Companies › Company Maintenance": {add: None, edit: None, delete: None, inquire: All}
'''

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_security_role as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import run_module


def main():
    run_module(engine)


if __name__ == '__main__':
    main()
