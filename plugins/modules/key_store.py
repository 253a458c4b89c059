#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: key_store
short_description: Store a tenant's ConnectWise API key pair, the private half vault-encrypted
version_added: 0.2.0
description:
  - Writes the key store file of one tenant on the controller, the YAML document that the
    C(msp.umbrella_psa.psa_integration) role reads back. The private key is encrypted with Ansible's vault
    (vault id C(psa_key_store)) and the secret O(vault_password).
  - The file is written atomically (a temporary file in the same directory, then renamed) with mode
    C(0600). Its directory is created with mode C(0700) when it does not exist; the mode of an existing
    directory is left as it is.
  - Runs in-process on the controller (an action plugin), whatever the connection of the task; no module is
    executed.
author:
  - msp.umbrella_psa contributors (@msp-automation)
extends_documentation_fragment:
  - msp.umbrella_psa.attributes
attributes:
  check_mode:
    details:
      - In check mode nothing is written and the task reports a change.
  diff_mode:
    support: none
  platform:
    details:
      - Writes on the controller.
notes:
  - Every run that calls it writes a new file and reports a change (the vault encryption is salted); call it
    only when a new key was created.
  - The result holds no secret, and the private key and vault password are masked in every message, so the
    task needs no C(no_log).
options:
  path:
    description: The key store file, an absolute path (a relative one is refused).
    type: path
    required: true
  tenant:
    description: The tenant's name (recorded in the file).
    type: str
    required: true
  member:
    description: The identifier of the API member that owns the key.
    type: str
    required: true
  description:
    description: The key's description.
    type: str
    required: true
  key_id:
    description: The key's ConnectWise id.
    type: raw
  created_at:
    description: When the key was created (C(YYYY-MM-DDTHH:MM:SSZ)).
    type: str
  public_key:
    description: The public key.
    type: str
    required: true
  private_key:
    description: The private key; only its vault-encrypted form is written.
    type: str
    required: true
  vault_password:
    description: The vault secret the private key is encrypted with.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Store the new key pair, vault-encrypted
  msp.umbrella_psa.key_store:
    path: "{{ inventory_dir }}/keys/{{ inventory_hostname }}.yml"
    tenant: "{{ inventory_hostname }}"
    member: umbrella
    description: Cisco Umbrella
    key_id: "{{ new_key.key.id }}"
    created_at: "{{ new_key.key.created_at }}"
    public_key: "{{ new_key.public_key }}"
    private_key: "{{ new_key.private_key }}"
    vault_password: "{{ key_store_vault_password }}"
'''

RETURN = r'''
path:
  description: The key store file.
  returned: always
  type: str
  sample: /srv/inventory/keys/acme.yml
public_key:
  description: The public key stored.
  returned: always
  type: str
  sample: Xk3pYQ0aAbCdEfGh
'''
