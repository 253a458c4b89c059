#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: cw_umbrella_sync_info
short_description: Show whether Cisco Umbrella's PSA integration is syncing into ConnectWise PSA
version_added: 0.3.0
description:
  - Reads, through ConnectWise's published API only, the evidence that Umbrella's PSA integration works with the
    key its console holds. The integration creates its own configuration type, keeps one configuration of that type
    per mapped customer's company up to date daily, and opens tickets on a service board; every record carries
    C(_info) with the API member that entered and last updated it, and when.
  - Returns, per company, the configuration and when and by whom it was last updated, the tickets the member opened
    or updated within O(max_age_hours), the expected companies without a fresh configuration, and a C(verdict).
  - With the integration member's security role (O(security_role), or the role on the member's record when the key
    may read API members), names in C(findings) which part of the sync each missing permission breaks.
  - Any key whose role may read configurations and tickets will do, the bootstrap key or the integration key itself.
    Never writes. The number of requests does not grow with the number of customers - about eight GET requests
    (pages of 1000 records), plus a batched company lookup when expected companies have no configuration.
  - Freshness is measured against the ConnectWise server's clock, read from the HTTP C(Date) header of its answers,
    since the server stamps C(_info) with its own clock. When no answer has that header, the controller's clock is
    used, and never earlier than the newest C(_info) time read; C(clock) says which.
author:
  - msp.umbrella_psa contributors (@msp-automation)
extends_documentation_fragment:
  - msp.umbrella_psa.connectwise
  - msp.umbrella_psa.transport
  - msp.umbrella_psa.attributes.info_module
  - msp.umbrella_psa.attributes.actiongroup_connectwise
notes:
  - A configuration is fresh when the integration member updated it last, within O(max_age_hours) of the server's
    now. A person editing a configuration after Umbrella makes it not fresh until the next daily sync.
  - Conditions on C(_info) fields are sent to the server; a server that refuses them (C(400)) gets a broader read
    filtered on the controller.
  - The C(Table Setup) customize list of the role can only be read on a server offering this collection's extension
    (C(GET /system/securityRoles/{id}/customizeItems), see docs/extension-api.md); elsewhere it is not checked.
options:
  member:
    description:
      - The identifier of the API member whose key the Umbrella console holds (the integration member).
    type: str
    default: umbrella
  configuration_type:
    description:
      - The name of the integration's configuration type. Cisco does not publish it.
      - When not set, the types the O(member) entered (created) are used; if there is none, the configurations the
        member entered, of any type.
    type: str
  max_age_hours:
    description:
      - How old, in hours, the member's last update of a configuration may be for it to count as fresh. Umbrella
        syncs daily; the default allows for a late run.
      - Also the window for C(tickets).
    type: int
    default: 26
  expected_companies:
    description:
      - The companies Umbrella should sync - the ConnectWise company identifiers of the mapped customers.
      - A list of identifiers; or the entries of the O(msp.umbrella_psa.umbrella_psa_company_mapping#module:mappings)
        option or of its mapping file (C({customer, company})), or a dictionary holding them under C(mappings) or
        C(mapping); or the absolute path of that mapping file (C(.csv), C(.yml), C(.yaml) or C(.json)); or a
        dictionary of C(customer) to C(company).
      - A registered result of M(msp.umbrella_psa.umbrella_psa_company_mapping) is accepted too, but it names only the
        customers its run changed (C(changes[].after)); when that is not every mapped customer (C(summary.mapped)),
        nothing is expected and C(findings) says so. Pass the mapping file's path to judge every mapped customer.
      - Matched case-insensitively, as ConnectWise compares identifiers.
      - When empty, the C(verdict) is V(syncing) when every company with a configuration of the member is fresh.
    type: raw
  security_role:
    description:
      - The security role the integration member holds. When set, or found on the member's record (with a key that
        may read API members), its settings are read and every permission the sync needs and the role lacks is named
        in C(findings), with the request that fails for want of it.
      - Reading a role needs a key that may read security roles (the bootstrap key).
    type: str
seealso:
  - module: msp.umbrella_psa.umbrella_psa_company_mapping
  - module: msp.umbrella_psa.cw_access_info
'''

EXAMPLES = r'''
- name: Is Umbrella syncing every mapped customer?
  hosts: tenants
  gather_facts: false
  module_defaults:
    group/msp.umbrella_psa.connectwise:
      site: "{{ cw_site }}"
      company_id: "{{ cw_company_id }}"
      client_id: "{{ cw_client_id }}"
  tasks:
    - name: Read the evidence of the sync with the bootstrap key
      msp.umbrella_psa.cw_umbrella_sync_info:
        public_key: "{{ cw_bootstrap_public_key }}"
        private_key: "{{ cw_bootstrap_private_key }}"
        member: umbrella
        security_role: Umbrella Integration
        expected_companies: "{{ lookup('ansible.builtin.file', 'mappings/' ~ inventory_hostname ~ '.yml') | from_yaml }}"
      register: sync

    - name: Say what a person has to look at
      ansible.builtin.debug:
        msg: "{{ sync.verdict }}: {{ sync.findings }}"
      when: sync.verdict != 'syncing'

    - name: The same with the integration key itself, for a list of identifiers
      msp.umbrella_psa.cw_umbrella_sync_info:
        public_key: "{{ psa_integration_public_key }}"
        private_key: "{{ psa_integration_private_key }}"
        expected_companies: [Contoso, Fabrikam]
        max_age_hours: 48
'''

RETURN = r'''
verdict:
  description:
    - V(syncing) - every expected company has a fresh configuration (with no expected companies, at least one is
      fresh and none stale); V(partial) - some do; V(stale) - the member's configurations exist, none fresh;
      V(never) - no configuration written by the member.
  returned: always
  type: str
  sample: partial
configuration_types:
  description: The integration's configuration types (found by name or by the member that entered them).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The type's id.
      type: int
    name:
      description: The type's name.
      type: str
    entered_by:
      description: The member that created the type (V(null) when the types could not be read).
      type: str
  sample: [{id: 7, name: Cisco Umbrella, entered_by: umbrella}]
companies:
  description: Every company holding a configuration of those types, by identifier, with its newest such configuration.
  returned: always
  type: list
  elements: dict
  contains:
    identifier:
      description: The company's identifier (the customer's I(ConnectWise Company ID) in the console).
      type: str
    name:
      description: The company's name.
      type: str
    configuration_id:
      description: The configuration's id.
      type: int
    last_updated:
      description: When the configuration was last updated (ISO 8601, UTC).
      type: str
    updated_by:
      description: The member that last updated it.
      type: str
    fresh:
      description: Whether O(member) updated it last, within O(max_age_hours).
      type: bool
  sample:
    - {identifier: Contoso, name: Contoso Ltd, configuration_id: 311, last_updated: "2026-12-05T02:00:00Z",
       updated_by: umbrella, fresh: true}
tickets:
  description:
    - Per company identifier, the tickets O(member) opened or updated within O(max_age_hours).
  returned: always
  type: dict
  sample:
    Contoso:
      - {id: 9001, summary: "Umbrella: botnet activity from laptop-17", board: Security, status: New,
         last_updated: "2026-12-05T08:00:00Z", updated_by: umbrella}
last_sync:
  description: The newest update of a configuration by O(member) (ISO 8601, UTC), or V(null).
  returned: always
  type: str
  sample: "2026-12-05T02:00:00Z"
missing:
  description: The expected companies without a fresh configuration.
  returned: always
  type: list
  elements: str
  sample: [Fabrikam]
unexpected:
  description: Companies with a fresh configuration that are not expected (empty when no company is expected).
  returned: always
  type: list
  elements: str
  sample: []
findings:
  description: One line per thing a person can act on, each naming the company or the permission and the fix.
  returned: always
  type: list
  elements: str
  sample:
    - "Fabrikam: configuration last updated 3 days ago by umbrella: the sync has stopped; check the integration key
      and the role's Companies › Configurations level"
    - "Umbrella cannot create configurations: role 'Umbrella' lacks Companies › Configurations add (its POST
      /company/configurations answers 403)"
server_time:
  description: The now freshness was measured against (ISO 8601, UTC).
  returned: always
  type: str
  sample: "2026-12-05T12:00:00Z"
max_age_hours:
  description: The O(max_age_hours) freshness was measured with.
  returned: always
  type: int
  sample: 26
  version_added: 0.3.0
clock:
  description: V(server) when RV(server_time) is the server's C(Date) header, V(controller) otherwise.
  returned: always
  type: str
  sample: server
requests:
  description: HTTP requests the task sent to ConnectWise.
  returned: always
  type: int
  sample: 8
manual_steps:
  description: Always empty; the module only reads.
  returned: always
  type: list
  elements: str
  sample: []
'''

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_umbrella_sync_info as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import run_module


def main():
    run_module(engine)


if __name__ == '__main__':
    main()
