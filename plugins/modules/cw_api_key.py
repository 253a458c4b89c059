#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: cw_api_key
short_description: Manage a permanent API key of a ConnectWise PSA API member
version_added: 0.1.0
description:
  - Creates, rotates and revokes a permanent API key of a ConnectWise PSA API member (the member's I(API Keys)
    tab), known by its description.
  - B(ConnectWise publishes no API for these keys.) This module uses this collection's own extension contract
    (CX3, C(/system/apiMembers/{id}/apiKeys)), which ConnectWise does not publish; see the collection's
    C(docs/extension-api.md). On a server without it the module changes nothing and returns the exact steps a
    person takes in the ConnectWise UI (O(on_unsupported)).
  - The private key is returned only by the run that created the key, as the UI shows it only once. Store it
    at once (for example vault-encrypted).
  - A result that carries a private key is hidden from the output (as with C(no_log=true) on the task), whatever
    the task's own C(no_log); it is still registered in full. Other results and failures stay visible, with the
    values of the options marked C(no_log) masked.
  - Several keys may share a description (during a rotation); the newest by creation date, then id, is the
    current key.
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
  - Every request is paid per tenant per run. An existing key costs two requests (the member, its keys), one with O(member_id).
  - With O(rotate=always) every run creates a new key, so the task always reports a change.
  - The private key never appears in the diff or in any message, also when the task fails. If revoking the
    previous keys fails after a new key was created, the failed result still carries the new key pair so that
    it is not lost.
  - In check mode a key that would be created shows V(<created in check mode>) as its public and private key.
    A member that does not exist yet (because an earlier task of the same check run would create it) is
    assumed to get a new key, with a warning.
  - On a server without the extension the description cannot be looked up, so every run returns the manual
    steps; verify a key made by hand with M(msp.umbrella_psa.cw_access_info).
options:
  member:
    description:
      - The identifier (Member ID) of the API member that owns the key. The member must exist.
    type: str
    required: true
  member_id:
    description:
      - The ConnectWise id of that member, when the caller knows it already (for example C(member.id) of
        M(msp.umbrella_psa.cw_api_member)'s result). Saves the lookup of the member by O(member); the id is
        used as given, so it must be the id of the member named by O(member).
    type: int
    version_added: 0.2.0
  description:
    description:
      - The key's description, 1 to 100 characters; compared exactly (case-sensitively).
    type: str
    required: true
  state:
    description:
      - V(present) makes sure a key with this description exists (see O(rotate)).
      - V(absent) revokes every key of the member with this description.
    type: str
    choices: [present, absent]
    default: present
  rotate:
    description:
      - V(never) keeps the current key when one exists and creates one only when none does.
      - V(always) creates a new key on every run.
    type: str
    choices: [never, always]
    default: never
  revoke_previous:
    description:
      - Revoke the other keys with this description, keeping only the current (or newly created) one.
      - A new key is always created before older keys are revoked, so there is no moment without a valid key.
      - Revoke only once the new key is in use everywhere (for example after Umbrella got it); a revoked key
        stops authenticating at once.
    type: bool
    default: false
  keep_public_key:
    description:
      - With O(revoke_previous), the public key of the key to keep (the one in use) instead of the newest. When the
        member has no key with this public key, nothing is revoked.
      - Ignored when a key is created.
    type: str
  on_unsupported:
    description:
      - What to do when the server does not offer the key extension.
      - V(fail) fails the task; its message carries the manual steps.
      - V(report) succeeds without a change, with RV(key=null), RV(extension=false) and the steps in
        RV(manual_steps).
    type: str
    choices: [fail, report]
    default: fail
seealso:
  - module: msp.umbrella_psa.cw_api_member
  - module: msp.umbrella_psa.cw_access_info
  - module: msp.umbrella_psa.umbrella_psa_integration
'''

EXAMPLES = r'''
- name: A key for the Umbrella integration member
  msp.umbrella_psa.cw_api_key:
    site: api-na.myconnectwise.net
    company_id: acme
    public_key: "{{ cw_bootstrap_public_key }}"
    private_key: "{{ cw_bootstrap_private_key }}"
    client_id: "{{ cw_client_id }}"
    member: umbrella
    description: Cisco Umbrella
    on_unsupported: report
  register: umbrella_key  # its output is hidden when it carries a new private key

- name: Store a new key pair vault-encrypted before anything else uses it
  ansible.builtin.copy:
    dest: "{{ inventory_dir }}/host_vars/{{ inventory_hostname }}/psa_key.yml"
    mode: "0600"
    content: |
      psa_integration_public_key: {{ umbrella_key.public_key }}
      psa_integration_private_key: !vault |
        {{ umbrella_key.private_key | ansible.builtin.vault(vault_password) | indent(4) }}
  delegate_to: localhost
  no_log: true
  when: umbrella_key.created

- name: Rotate the key and revoke the old ones
  msp.umbrella_psa.cw_api_key:
    member: umbrella
    description: Cisco Umbrella
    rotate: always
    revoke_previous: true
  module_defaults:
    group/msp.umbrella_psa.connectwise:
      site: api-na.myconnectwise.net
      company_id: acme
      public_key: "{{ cw_bootstrap_public_key }}"
      private_key: "{{ cw_bootstrap_private_key }}"
      client_id: "{{ cw_client_id }}"
  register: rotated_key

- name: Revoke every key of the old integration
  msp.umbrella_psa.cw_api_key:
    site: api-na.myconnectwise.net
    company_id: acme
    public_key: "{{ cw_bootstrap_public_key }}"
    private_key: "{{ cw_bootstrap_private_key }}"
    client_id: "{{ cw_client_id }}"
    member: umbrella
    description: Old Umbrella
    state: absent
'''

RETURN = r'''
key:
  description:
    - The current key after the run (never its private key); V(null) when there is none, after O(state=absent),
      or when the server does not offer the extension.
  returned: always
  type: dict
  contains:
    id:
      description: The key's id (V(<created in check mode>) for a key check mode would create).
      type: raw
      sample: 7
    description:
      description: The key's description.
      type: str
      sample: Cisco Umbrella
    public_key:
      description: The public half of the key pair.
      type: str
      sample: AbCdEf0123456789
    created_at:
      description: When the key was created (ISO 8601, UTC).
      type: str
      sample: "2026-01-31T10:00:00Z"
public_key:
  description: The current key's public key (V(null) when there is none).
  returned: always
  type: str
  sample: AbCdEf0123456789
private_key:
  description:
    - The new key's private key. ConnectWise shows it only once; store it before anything else.
    - V(<created in check mode>) in check mode.
  returned: when this run created a key
  type: str
  sample: "<the private key, shown once>"
created:
  description: Whether this run created a key (or would, in check mode).
  returned: always
  type: bool
  sample: true
rotated:
  description: Whether the new key replaced an existing key with the same description.
  returned: always
  type: bool
  sample: false
revoked:
  description: Ids of the keys revoked by this run (that would be, in check mode).
  returned: always
  type: list
  elements: raw
  sample: [5]
previous_keys:
  description: The other keys with this description that remain after the run, newest first.
  returned: always
  type: list
  elements: dict
  sample:
    - {id: 5, public_key: ZyXw9876543210ab, created_at: "2025-06-01T08:00:00Z"}
extension:
  description:
    - Whether the server offers the key extension (CX3).
    - V(null) only in check mode for a member that does not exist yet.
  returned: always
  type: bool
  sample: true
member:
  description: The owning member as C({id, identifier}) (V(null) in check mode when it does not exist yet).
  returned: when the server offers the extension
  type: dict
  sample: {id: 42, identifier: umbrella}
manual_steps:
  description:
    - What a person must still do in the ConnectWise UI; empty when nothing is left.
    - Filled when the server does not offer the extension.
  returned: always
  type: list
  elements: str
  sample:
    - "ConnectWise: System › Members › API Members › umbrella › API Keys: click +, Description 'Cisco Umbrella', Save;
      copy the public and private key (the private key is shown only once) into the tenant's vault variables
      psa_integration_public_key / psa_integration_private_key (ansible-vault encrypt_string)"
diff:
  description: The member's keys with this description before and after, as C({id, public_key, created_at}); never
    a private key.
  returned: when diff mode is on
  type: dict
  sample:
    before: {keys: [{id: 5, public_key: ZyXw9876543210ab, created_at: "2025-06-01T08:00:00Z"}]}
    after: {keys: [{id: 7, public_key: AbCdEf0123456789, created_at: "2026-01-31T10:00:00Z"}]}
'''

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_api_key as engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import run_module


def main():
    run_module(engine)


if __name__ == '__main__':
    main()
