#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: cw_api_member
short_description: Manage a ConnectWise PSA API member
version_added: 0.1.0
description:
  - Creates, updates, deactivates and re-activates a ConnectWise PSA API member (System › Members › API Members),
    found by its identifier (the Member ID).
  - Uses only ConnectWise's published API (C(/system/apiMembers)). A new member is created with POST; an existing
    one is changed with a JSON Patch of only the fields that differ.
  - The security role, location, department, time zone and structure level are given by name or by numeric id
    and resolved through ConnectWise's own list endpoints; a name that does not exist fails before any change,
    listing the closest names the server knows.
  - ConnectWise offers no way to delete a member. O(state=absent) deactivates it (C(inactiveFlag)); O(state=present)
    re-activates a deactivated member.
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
  - Every request is paid per tenant per run. An unchanged member costs one request; a reference that already
    points at the given name or id is not looked up again. Each reference that must change costs one lookup.
  - Options that are not given are left as they are on the member; there is no way to clear a reference.
  - Names of references compare case-insensitively, as ConnectWise compares them. A value made only of digits is
    taken as an id.
  - When another run creates the member between this task's lookup and its create, ConnectWise refuses the create
    (C(ObjectExists)); the task then keeps that member and brings it to what is asked (RV(created=false)). An
    identifier refused although no API member holds it fails with that said, before anything is written.
options:
  identifier:
    description:
      - The member's identifier (Member ID), at most 15 characters, without spaces.
    type: str
    required: true
  name:
    description:
      - The member's display name, at most 30 characters.
      - Required when the member does not exist yet.
    type: str
  email:
    description:
      - The member's e-mail address (C(emailAddress)), at most 250 characters.
    type: str
  security_role:
    description:
      - The member's security role, by name (for example V(Umbrella Integration)) or by numeric id.
    type: str
  location:
    description:
      - The member's default location (C(defaultLocation)), by name or numeric id.
    type: str
  department:
    description:
      - The member's default department (C(defaultDepartment)), by name or numeric id.
    type: str
  time_zone:
    description:
      - "The member's time zone, by the name ConnectWise shows (for example V(GMT-5/Eastern Time: US & Canada))
        or by numeric id."
    type: str
  structure_level:
    description:
      - The member's structure level, by name or numeric id.
    type: str
  notes:
    description:
      - Free-text notes on the member.
    type: str
  state:
    description:
      - V(present) creates the member when missing, updates what differs and re-activates it when deactivated.
      - V(absent) deactivates the member (ConnectWise cannot delete one). A member that does not exist is left so.
    type: str
    choices: [present, absent]
    default: present
  takeover:
    description:
      - A member found under O(identifier) that holds another security role than O(security_role) belongs to
        someone else (a person, another integration); with V(false) the task fails, naming the role it holds,
        before any write. V(true) gives it O(security_role) on purpose.
      - Several members with the same identifier fail the task whatever its value.
    type: bool
    default: false
seealso:
  - module: msp.umbrella_psa.cw_security_role
  - module: msp.umbrella_psa.cw_api_key
'''

EXAMPLES = r'''
- name: The API member Cisco Umbrella uses
  msp.umbrella_psa.cw_api_member:
    site: api-na.myconnectwise.net
    company_id: acme
    public_key: "{{ cw_bootstrap_public_key }}"
    private_key: "{{ cw_bootstrap_private_key }}"
    client_id: "{{ cw_client_id }}"
    identifier: umbrella
    name: Cisco Umbrella
    email: noc@example.com
    security_role: Umbrella Integration
    location: Tampa Office
    department: Services
    time_zone: "GMT-5/Eastern Time: US & Canada"
    notes: Used by the Cisco Umbrella PSA integration. Managed by Ansible.
  register: umbrella_member

- name: Same, with the connection set once for the whole group
  module_defaults:
    group/msp.umbrella_psa.connectwise:
      site: api-na.myconnectwise.net
      company_id: acme
      public_key: "{{ cw_bootstrap_public_key }}"
      private_key: "{{ cw_bootstrap_private_key }}"
      client_id: "{{ cw_client_id }}"
  block:
    - name: Give the member another role (by id)
      msp.umbrella_psa.cw_api_member:
        identifier: umbrella
        security_role: "14"

    - name: Retire the member (ConnectWise cannot delete members; this deactivates it)
      msp.umbrella_psa.cw_api_member:
        identifier: oldsync
        state: absent
'''

RETURN = r'''
member:
  description:
    - The member after the run, as ConnectWise returns it (V(null) when it does not exist).
    - In check mode, the member as it would become; a member that would be created has the id
      V(<created in check mode>).
  returned: always
  type: dict
  contains:
    id:
      description: The member's ConnectWise id.
      type: raw
      sample: 42
    identifier:
      description: The Member ID.
      type: str
      sample: umbrella
    name:
      description: The display name.
      type: str
      sample: Cisco Umbrella
    emailAddress:
      description: The e-mail address.
      type: str
      sample: noc@example.com
    securityRole:
      description: The security role, as C({id, name}).
      type: dict
      sample: {id: 14, name: Umbrella Integration}
    inactiveFlag:
      description: Whether the member is deactivated.
      type: bool
      sample: false
  sample:
    id: 42
    identifier: umbrella
    name: Cisco Umbrella
    emailAddress: noc@example.com
    securityRole: {id: 14, name: Umbrella Integration}
    timeZone: {id: 1, name: "GMT-5/Eastern Time: US & Canada"}
    inactiveFlag: false
created:
  description: Whether this run created the member (or would, in check mode).
  returned: always
  type: bool
  sample: true
manual_steps:
  description: Always empty; everything this module does is part of ConnectWise's published API.
  returned: always
  type: list
  elements: str
  sample: []
diff:
  description:
    - Only the fields that change, under their ConnectWise names; references as C({id, name}).
    - C(before) is empty for a member that is created.
  returned: when diff mode is on
  type: dict
  sample:
    before: {emailAddress: noc@example.com, securityRole: {id: 3, name: Admin}}
    after: {emailAddress: soc@example.com, securityRole: {id: 14, name: Umbrella Integration}}
'''

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_api_member as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import run_module


def main():
    run_module(engine)


if __name__ == '__main__':
    main()
