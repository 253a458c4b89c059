#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: key_successor
short_description: Check that the key store and the Umbrella console hold a key before older keys are revoked
version_added: 0.3.0
description:
  - Tells whether the tenant's key store file and the console's PSA settings both hold the key pair that
    replaces the member's older keys, read again just before they are revoked, so that no key is revoked
    while its successor is missing from either place (another run, or a person, may have written them since).
  - The key store file is read from disk and its vault-encrypted private half decrypted and compared.
  - The console's PSA settings are read through this collection's own extension contract (UX1,
    C(/admin/v2/psa/integration); Cisco publishes no API for them, see the collection's C(docs/extension-api.md));
    they must be set to ConnectWise with this public key and a private key. A console without the extension
    cannot be read; the operator's confirmation (O(console_confirmed)) is then the evidence.
  - Changes nothing. Runs in-process on the controller (an action plugin), whatever the connection of the task.
author:
  - msp.umbrella_psa contributors (@msp-automation)
extends_documentation_fragment:
  - msp.umbrella_psa.umbrella
  - msp.umbrella_psa.transport
  - msp.umbrella_psa.attributes.info_module
  - msp.umbrella_psa.attributes.actiongroup_umbrella
attributes:
  check_mode:
    details:
      - In check mode nothing is read and the key counts as held (the real run stores and pushes it first).
  platform:
    details:
      - Reads the key store on the controller.
options:
  store_path:
    description: The tenant's key store file.
    type: path
    required: true
  public_key:
    description: The public half of the key that replaces the older ones.
    type: str
    required: true
  private_key:
    description: Its private half, compared with the decrypted one in the key store.
    type: str
    required: true
  vault_password:
    description: The vault secret the key store's private half is encrypted with.
    type: str
    required: true
  console_confirmed:
    description:
      - Whether the operator confirmed that the console holds O(public_key) (the role's
        C(psa_umbrella_confirmed_public_key)); used only when the console cannot be read.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Check that the key store and Umbrella hold the key in use
  msp.umbrella_psa.key_successor:
    api_key: "{{ umbrella_api_key }}"
    api_secret: "{{ umbrella_api_secret }}"
    store_path: "{{ inventory_dir }}/keys/{{ inventory_hostname }}.yml"
    public_key: "{{ key_in_use.public_key }}"
    private_key: "{{ key_in_use.private_key }}"
    vault_password: "{{ key_store_vault_password }}"
  register: successor
'''

RETURN = r'''
held:
  description: Whether both the key store and the console hold the key; revoke the older keys only then.
  returned: always
  type: bool
store_holds:
  description: Whether the key store file holds the key pair.
  returned: always
  type: bool
console_holds:
  description: Whether the console holds the key (or, when it cannot be read, the operator confirmed it does).
  returned: always
  type: bool
console_read:
  description: Whether the console's settings could be read (V(false) without the extension).
  returned: when checked
  type: bool
checked:
  description: Whether the places were read (V(false) in check mode).
  returned: always
  type: bool
msg:
  description: Why the older keys are not to be revoked.
  returned: when the key is not held
  type: str
  sample: "previous keys not revoked: the key store /srv/keys/acme.yml holds another key than the one in use; the next run tries again"
'''
