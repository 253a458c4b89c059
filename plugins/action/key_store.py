# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""msp.umbrella_psa.key_store: write a tenant's key store file on the controller, in-process.

Replaces a ``file`` + ``copy`` pair (two module executions and the AnsiballZ lock) with one atomic
write: a temporary file in the same directory, mode 0600, renamed over the store. The path must be
absolute (module_utils.tenant_paths); a directory it creates is 0700, one that exists is left as it is.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import VaultLib, VaultSecret
from ansible.plugins.action import ActionBase

from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_paths import (
    TenantPathError, check_file, ensure_directory, write_atomically)

VAULT_ID = "psa_key_store"

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    tenant=dict(type="str", required=True),
    member=dict(type="str", required=True),
    description=dict(type="str", required=True),
    key_id=dict(type="raw"),
    created_at=dict(type="str"),
    public_key=dict(type="str", required=True),
    private_key=dict(type="str", required=True, no_log=True),
    vault_password=dict(type="str", required=True, no_log=True),
)

HEADER = (
    "# msp.umbrella_psa key store: the ConnectWise API key that Cisco Umbrella uses for tenant\n"
    "# {tenant}. Written by the psa_integration role before the key is handed to\n"
    "# Umbrella. The private key is vault-encrypted with the run's vault secret (psa_key_store_vault_password):\n"
    "# decrypt the private_key_vault block with `ansible-vault decrypt` or the ansible.builtin.unvault filter.\n"
)


def render(params):
    """The store's text: the same YAML document the role's template wrote, private half vaulted."""
    vaulted = to_text(VaultLib().encrypt(to_bytes(params["private_key"]),
                                         VaultSecret(to_bytes(params["vault_password"])), VAULT_ID))
    as_json = json.dumps
    lines = [
        HEADER.format(tenant=as_json(params["tenant"])).rstrip("\n"),
        "tenant: %s" % as_json(params["tenant"]),
        "member: %s" % as_json(params["member"]),
        "description: %s" % as_json(params["description"]),
        "key_id: %s" % as_json(params.get("key_id")),
        "created_at: %s" % as_json(params.get("created_at")),
        "public_key: %s" % as_json(params["public_key"]),
        "private_key_vault: |",
    ]
    lines.extend("  " + line for line in vaulted.splitlines())
    return "\n".join(lines) + "\n"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if not params["vault_password"]:
            raise AnsibleActionFail("vault_password is empty: the private key cannot be encrypted")
        try:
            path = check_file(params["path"], "path")
        except TenantPathError as exc:
            raise AnsibleActionFail(str(exc))
        result.update(changed=True, path=path, public_key=params["public_key"])
        if self._task.check_mode:
            return result
        try:
            ensure_directory(os.path.dirname(path), 0o700)
            write_atomically(path, to_bytes(render(params)), 0o600)
        except Exception as exc:  # pylint: disable=broad-except
            # An OSError's text names the path only; whatever else failed, its message is masked as a
            # module's would be: the task runs without no_log (its result holds no secret).
            raise AnsibleActionFail(remove_values("could not write the key store %s: %s" % (path, exc),
                                                  validation._no_log_values))
        return result
