#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: umbrella_psa_integration_info
short_description: Read the PSA integration settings and sync status of a Cisco Umbrella MSP or MSSP console
version_added: 0.3.0
description:
  - Reads the console's PSA Integration Details (MSP/MSSP Settings) and how the integration's last synchronisation
    went, with the Umbrella connection options only. Never writes.
  - B(Cisco publishes no API for these settings.) This module uses this collection's own extension contract
    (UX1, C(/admin/v2/psa/integration), and UX3, C(/admin/v2/psa/status)), which Cisco does not publish; see the
    collection's C(docs/extension-api.md).
  - On a server without the extension the task does not fail. It returns RV(extension=false), no settings, and
    a note saying where in the console to look.
  - The private key is write-only. The result only says whether one is stored (C(privateKeySet)), never the key.
  - Runs in-process on the controller through the action plugin of the same name; the module runs on a remote
    host only when the task's connection is not local.
author:
  - msp.umbrella_psa contributors (@msp-automation)
extends_documentation_fragment:
  - msp.umbrella_psa.umbrella
  - msp.umbrella_psa.transport
  - msp.umbrella_psa.attributes.info_module
  - msp.umbrella_psa.attributes.actiongroup_umbrella
notes:
  - Every request is paid per tenant per run. The task costs two requests (the settings and the status), or one
    on a server without the extension, plus the token, which is shared by all tasks of a run that use the same API
    key.
seealso:
  - module: msp.umbrella_psa.umbrella_psa_integration
  - module: msp.umbrella_psa.cw_umbrella_sync_info
'''

EXAMPLES = r'''
- name: Show each console's PSA integration settings
  msp.umbrella_psa.umbrella_psa_integration_info:
    api_key: "{{ umbrella_api_key }}"
    api_secret: "{{ umbrella_api_secret }}"
    org_id: "{{ umbrella_org_id }}"
  register: umbrella_psa

- name: Say where to look when the server does not offer the settings
  ansible.builtin.debug:
    var: umbrella_psa.notes
  when: not umbrella_psa.extension

- name: Flag a console whose last sync failed
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }}: {{ umbrella_psa.status.lastError }}"
  when: umbrella_psa.status is not none and umbrella_psa.status.ok is false
'''

RETURN = r'''
integration:
  description:
    - The integration's settings as the console returns them (never the private key, only C(privateKeySet)).
    - V(psa=none) when no PSA is set up.
    - V(null) when the server does not offer the extension.
  returned: always
  type: dict
  sample:
    psa: connectwise
    enabled: true
    connectwise: {site: api-na.myconnectwise.net, companyId: acme, publicKey: AbCdEf0123456789, privateKeySet: true}
    ticketing: {serviceBoard: Umbrella Alerts, queryThreshold: 10}
    modifiedAt: "2026-01-31T10:00:00Z"
status:
  description:
    - How the integration's last synchronisation went, as the console returns it; every field V(null) when it has
      never synchronised.
    - V(null) when the server does not offer the status (UX3).
  returned: always
  type: dict
  contains:
    lastSyncAt:
      description: When the last synchronisation ran.
      type: str
    ok:
      description: Whether every ConnectWise request of the last synchronisation succeeded.
      type: bool
    lastError:
      description: The last synchronisation's first failed request, its status and ConnectWise's message.
      type: str
    lastSuccessfulSyncAt:
      description: When the last synchronisation that succeeded ran.
      type: str
  sample:
    lastSyncAt: "2026-01-31T10:00:00Z"
    ok: false
    lastError: "POST /company/configurations: 403 Your security role does not allow this: Companies > Configurations (add)."
    lastSuccessfulSyncAt: "2026-01-30T10:00:00Z"
extension:
  description: Whether the server offers the PSA extension (UX1).
  returned: always
  type: bool
  sample: true
notes:
  description: What could not be read on this server, and where in the console to look instead; empty when nothing.
  returned: always
  type: list
  elements: str
  sample:
    - "The console's PSA integration settings are not readable through the vendor's public API (the server does not
      offer the extension UX1): look in the Umbrella console under MSP Settings › PSA Integration Details."
manual_steps:
  description: Always empty; the module only reads (what cannot be read is in RV(notes)).
  returned: always
  type: list
  elements: str
  sample: []
'''

from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella_psa_integration_info as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import run_module


def main():
    run_module(engine)


if __name__ == '__main__':
    main()
