# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The key pair a tenant's integration uses after the psa_integration role's key tasks.

Chosen once per tenant, in Python, rather than by chains of role variables that every later task
compiled again (the largest cost of a converged tenant's worker time after the result itself).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: tenant_key
short_description: the key pair the psa_integration role uses for one tenant
version_added: 0.3.0
description:
  - Picks the key pair the tenant's integration uses after the C(msp.umbrella_psa.psa_integration)
    role's key tasks, that is the operator's own key on a server without the key API, else the key
    created this run, else the one in the tenant's key store (its private half decrypted with the
    vault password), and tells whether the key is to be verified this run.
  - Internal to the role; documented because every plugin of a collection is public. Its input may
    change with the role's tasks.
options:
  _input:
    description:
      - The registered results of the key tasks and of the security role task, each a task result or
        V(null) when the task did not run. Keys C(key), C(key_rotation) and C(role).
    type: dict
    required: true
  store:
    description: The tenant's key store as read when the run started (V({}) when it has none).
    type: dict
    default: {}
  store_path:
    description: The tenant's key store file; by default the store's own C(path), as the lookup C(msp.umbrella_psa.key_store) returns it.
    type: str
    default: ''
  operator_public_key:
    description: The operator's own key (C(psa_integration_public_key)), used when the server has no key API.
    type: str
    default: ''
  operator_private_key:
    description: Its private half (C(psa_integration_private_key)).
    type: str
    default: ''
  vault_password:
    description: The vault password the key store's private half is encrypted with (C(psa_key_store_vault_password)).
    type: str
    default: ''
  placeholder:
    description: The public key a check run reports for a key it would create (never verified).
    type: str
    default: ''
"""

EXAMPLES = r"""
- name: Record the key in use
  ansible.builtin.set_fact:
    key_in_use: >-
      {{ {'key': key_result, 'key_rotation': none, 'role': role_result}
         | msp.umbrella_psa.tenant_key(store=stored, vault_password=vault_password) }}
  no_log: true
"""

RETURN = r"""
_value:
  description: The key pair in use.
  type: dict
  contains:
    public_key:
      description: Its public half, or an empty string when there is none yet.
      type: str
    private_key:
      description: Its private half.
      type: str
    location:
      description: Where the private half is kept (for the report).
      type: str
    new_key:
      description:
        - The key created this run (C(id), C(created_at), C(public_key), C(private_key)), to be stored;
          V({}) when none was created.
      type: dict
    verify:
      description:
        - Whether to verify the key this run. A key created this run, a role changed or left with
          manual steps, and the operator's key are verified; a stored key of an unchanged role was
          verified by the run that created it.
      type: bool
    previous_keys:
      description:
        - The member's other keys with the integration's description, as the last key task that ran
          reported them (the replacement when one ran), to be revoked once Umbrella holds the key in
          use; V([]) on a server without the key API.
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import AnsibleVaultError, VaultLib, VaultSecret

from ansible_collections.msp.umbrella_psa.plugins.filter.tenant_result import new_key_result

OPERATOR_KEY_LOCATION = "the tenant's vault variable psa_integration_private_key"


def _unvault(text, password, store_path):
    try:
        return to_text(VaultLib([("default", VaultSecret(to_bytes(password or "")))]).decrypt(to_bytes(text)))
    except (AnsibleVaultError, ValueError, TypeError) as exc:
        raise AnsibleFilterError(
            "the key store %s holds a private key that the vault password psa_key_store_vault_password does not "
            "decrypt (%s): run with the vault password it was written with" % (store_path, type(exc).__name__))


def _previous_keys(results):
    """What the revoke task retires: the keys the last key task that ran saw besides the one in use."""
    final = results.get("key_rotation") or {}
    if not final or final.get("skipped"):
        final = results.get("key") or {}
    if final.get("extension") is not True:
        return []
    return list(final.get("previous_keys") or [])


def tenant_key(results, store=None, store_path="", operator_public_key="", operator_private_key="",
               vault_password="", placeholder=""):
    results = dict(results or {})
    store = store or {}
    store_path = store_path or store.get("path") or ""
    created = new_key_result(results)
    new_key = {}
    if created:
        record = created.get("key") or {}
        new_key = {"id": record.get("id"), "created_at": record.get("created_at"),
                   "public_key": created.get("public_key"), "private_key": created.get("private_key")}
    manual = (results.get("key") or {}).get("extension") is False
    if manual:
        public, private, location = operator_public_key or "", operator_private_key or "", OPERATOR_KEY_LOCATION
    else:
        stored_public = store.get("public_key") or ""
        public = created.get("public_key") or stored_public
        if created.get("private_key"):
            private = created["private_key"]
        elif stored_public and store.get("private_key_vault"):
            private = _unvault(store["private_key_vault"], vault_password, store_path)
        else:
            private = ""
        location = store_path
    role = results.get("role")
    # A role task that did not run (tags) may have left anything: verify.
    role_unsettled = role is None or role.get("changed", True) or bool(role.get("manual_steps"))
    verify = bool(public) and public != placeholder and (bool(created) or manual or role_unsettled)
    return {"public_key": public, "private_key": private, "location": location, "new_key": new_key,
            "verify": verify, "previous_keys": _previous_keys(results)}


class FilterModule(object):
    def filters(self):
        return {"tenant_key": tenant_key}
