#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: umbrella_psa_integration
short_description: Manage the PSA integration of a Cisco Umbrella MSP or MSSP console
version_added: 0.1.0
description:
  - Sets the console's PSA Integration Details (MSP/MSSP Settings) to a ConnectWise PSA site, company and API
    key, with the ticketing settings (service board, query threshold), or removes the integration.
  - B(Cisco publishes no API for these settings.) This module uses this collection's own extension contract
    (UX1, C(/admin/v2/psa/integration)), which Cisco does not publish; see the collection's
    C(docs/extension-api.md). On a server without it the module changes nothing and returns the exact steps a
    person takes in the console (O(on_unsupported)); the steps never contain the private key, only where it is
    stored (O(private_key_location)).
  - The private key is write-only (the console only says whether one is stored), so O(private_key_update)
    decides when it is sent.
  - Runs in-process on the controller through the action plugin of the same name; the module runs on a remote
    host only when the task's connection is not local.
author:
  - msp.umbrella_psa contributors (@msp-automation)
extends_documentation_fragment:
  - msp.umbrella_psa.umbrella
  - msp.umbrella_psa.transport
  - msp.umbrella_psa.attributes
  - msp.umbrella_psa.attributes.actiongroup_umbrella
notes:
  - Every request is paid per tenant per run. An unchanged integration costs one request (plus the token, which
    is shared by all tasks of a run that use the same API key).
  - With O(private_key_update=always) the private key is sent on every run, so the task always reports a change.
  - The console allows one PSA at a time. If another PSA is set up, O(state=present) fails before any change and
    O(state=absent) leaves it alone.
options:
  state:
    description:
      - V(present) sets the integration up or updates what differs.
      - V(absent) removes the integration when it is one of O(psa).
      - V(checked) only reads the console and fails, writing nothing, when O(state=present) would be refused
        (the credentials, another PSA, an integration set up for another ConnectWise site or company). On a server
        without the extension only the credentials are checked, and the result has RV(extension=false).
    type: str
    choices: [present, absent, checked]
    default: present
  psa:
    description: The PSA the console talks to.
    type: str
    choices: [connectwise]
    default: connectwise
  connectwise_site:
    description:
      - The ConnectWise PSA API host the console calls, for example V(api-na.myconnectwise.net).
      - Required when O(state=present) or O(state=checked).
    type: str
  connectwise_company_id:
    description:
      - The ConnectWise company identifier (the V(Company) field of the login screen).
      - Required when O(state=present) or O(state=checked).
    type: str
  public_key:
    description:
      - The public key of the ConnectWise API key the console uses (usually from M(msp.umbrella_psa.cw_api_key)).
      - Required when O(state=present).
    type: str
  private_key:
    description:
      - The private key of that ConnectWise API key. Never shown in output, diff or manual steps.
      - Required when O(state=present); sent according to O(private_key_update).
    type: str
  enabled:
    description: Whether the integration is enabled (the console's I(Enabled) switch).
    type: bool
    default: true
  service_board:
    description:
      - The ConnectWise service board Umbrella opens tickets on, 1 to 100 characters.
      - Required when the integration is first set up; otherwise left as it is when not given.
    type: str
  query_threshold:
    description:
      - How many botnet events an identity may have before a ticket is opened, 1 to 10000.
      - Required when the integration is first set up; otherwise left as it is when not given.
    type: int
  private_key_update:
    description:
      - When the write-only private key is sent. Whatever the choice, it is sent when the integration has no
        private key yet and together with a changed O(public_key), because the console requires it then.
      - V(when_public_key_changes) sends it only in those cases.
      - V(on_create) is meant for keys managed elsewhere after the first setup; it sends the key in the same
        cases only.
      - V(always) sends it on every run (the only way to correct a wrong private key under an unchanged public
        key), so the task always reports a change.
    type: str
    choices: [when_public_key_changes, always, on_create]
    default: when_public_key_changes
  private_key_location:
    description:
      - Where a person finds the private key, named in the manual steps instead of the key itself, for example
        V(vault variable psa_integration_private_key of host acme).
    type: str
    default: the tenant's key store
  on_unsupported:
    description:
      - What to do when the server does not offer the PSA extension.
      - V(fail) fails the task; its message carries the manual steps.
      - V(report) succeeds without a change, with RV(integration=null), RV(extension=false) and the steps in
        RV(manual_steps).
    type: str
    choices: [fail, report]
    default: fail
  takeover:
    description:
      - An integration already set up for another ConnectWise site or company than O(connectwise_site) and
        O(connectwise_company_id) belongs to another tenant (with a parent-console key, a mistyped org id names a
        sibling customer's console); with V(false) the task fails, naming both, before any write. V(true) takes it
        over on purpose.
      - Another PSA set up in the console fails the task whatever its value (the console allows one at a time).
      - On a server without the extension the console cannot be read; the manual steps name the site and company.
    type: bool
    default: false
seealso:
  - module: msp.umbrella_psa.cw_api_key
'''

EXAMPLES = r'''
- name: Point the Umbrella console at the ConnectWise key
  msp.umbrella_psa.umbrella_psa_integration:
    api_key: "{{ umbrella_api_key }}"
    api_secret: "{{ umbrella_api_secret }}"
    org_id: "{{ umbrella_org_id }}"
    connectwise_site: api-na.myconnectwise.net
    connectwise_company_id: acme
    public_key: "{{ psa_integration_public_key }}"
    private_key: "{{ psa_integration_private_key }}"
    service_board: Umbrella Alerts
    query_threshold: 10
    private_key_location: vault variable psa_integration_private_key of {{ inventory_hostname }}
    on_unsupported: report
  register: umbrella_psa

- name: Show what is left for a person (consoles without the extension)
  ansible.builtin.debug:
    var: umbrella_psa.manual_steps
  when: umbrella_psa.manual_steps | length > 0

- name: Disable ticketing for a while, with the connection set once for the group
  msp.umbrella_psa.umbrella_psa_integration:
    connectwise_site: api-na.myconnectwise.net
    connectwise_company_id: acme
    public_key: "{{ psa_integration_public_key }}"
    private_key: "{{ psa_integration_private_key }}"
    enabled: false
  module_defaults:
    group/msp.umbrella_psa.umbrella:
      api_key: "{{ umbrella_api_key }}"
      api_secret: "{{ umbrella_api_secret }}"
      org_id: "{{ umbrella_org_id }}"

- name: Remove the integration
  msp.umbrella_psa.umbrella_psa_integration:
    api_key: "{{ umbrella_api_key }}"
    api_secret: "{{ umbrella_api_secret }}"
    org_id: "{{ umbrella_org_id }}"
    state: absent
'''

RETURN = r'''
integration:
  description:
    - The integration after the run, as the console returns it (never the private key, only C(privateKeySet)).
    - In check mode, the integration as it would become.
    - V(null) when the server does not offer the extension.
  returned: always
  type: dict
  sample:
    psa: connectwise
    enabled: true
    connectwise: {site: api-na.myconnectwise.net, companyId: acme, publicKey: AbCdEf0123456789, privateKeySet: true}
    ticketing: {serviceBoard: Umbrella Alerts, queryThreshold: 10}
    modifiedAt: "2026-01-31T10:00:00Z"
extension:
  description: Whether the server offers the PSA extension (UX1).
  returned: always
  type: bool
  sample: true
manual_steps:
  description:
    - What a person must still do in the Umbrella console; empty when nothing is left.
    - Filled when the server does not offer the extension.
  returned: always
  type: list
  elements: str
  sample:
    - "Umbrella console: MSP Settings › PSA Integration Details: Enabled on; Public API Key AbCdEf0123456789;
      Private API Key: the private key stored in the tenant's key store; ConnectWise site api-na.myconnectwise.net,
      company acme; ticketing: service board Umbrella Alerts, query threshold 10; Save."
diff:
  description:
    - The integration before and after. The private key shows as V(<write-only, unchanged>) or
      V(<write-only, updated>) (V(null) before when none was stored).
  returned: when diff mode is on
  type: dict
  sample:
    before: {psa: none}
    after:
      psa: connectwise
      enabled: true
      connectwise: {site: api-na.myconnectwise.net, companyId: acme, publicKey: AbCdEf0123456789,
                    privateKey: "<write-only, updated>"}
      ticketing: {serviceBoard: Umbrella Alerts, queryThreshold: 10}
'''

from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella_psa_integration as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import run_module


def main():
    run_module(engine)


if __name__ == '__main__':
    main()
