# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""msp.umbrella_psa.key_successor: do the key store and the console hold the key that replaces the old ones?

Asked just before the old keys are revoked. What a task registered earlier in the run is not proof:
another run, or a person, may have written either since. So the key store file is read again from
disk and its private half decrypted and compared, and the console's PSA settings are read again
(extension UX1); a console without the extension cannot be read, and the operator's confirmation
(psa_umbrella_confirmed_public_key) is the evidence there.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleError
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import AnsibleVaultError, VaultLib, VaultSecret
from ansible.plugins.action import ActionBase

from ansible_collections.msp.umbrella_psa.plugins.lookup.key_store import read_store
from ansible_collections.msp.umbrella_psa.plugins.module_utils import http, umbrella
from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import UMBRELLA_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import build_client
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella_psa_integration import INTEGRATION_PATH
from ansible_collections.msp.umbrella_psa.plugins.plugin_utils.run_cache import RunCache

ARGUMENT_SPEC = dict(
    UMBRELLA_ARGSPEC,
    store_path=dict(type="path", required=True),
    public_key=dict(type="str", required=True, no_log=False),
    private_key=dict(type="str", required=True, no_log=True),
    vault_password=dict(type="str", required=True, no_log=True),
    console_confirmed=dict(type="bool", default=False),
)

NOT_REVOKED = "previous keys not revoked: %s; the next run tries again"


def store_holds(path, public_key, private_key, vault_password):
    """None when the key store file on disk holds this key pair, else why not."""
    try:
        store = read_store(path)
    except AnsibleError as exc:
        return "the key store could not be read (%s)" % exc.message
    if (store.get("public_key") or "") != public_key:
        return "the key store %s holds another key than the one in use (another run wrote it since?)" % path
    try:
        stored_private = to_text(VaultLib([("default", VaultSecret(to_bytes(vault_password)))]).decrypt(
            to_bytes(store.get("private_key_vault") or "")))
    except (AnsibleVaultError, AnsibleError, ValueError, TypeError) as exc:
        return "the private key in the key store %s could not be decrypted (%s)" % (path, type(exc).__name__)
    if stored_private != private_key:
        return "the key store %s holds another private key for the key in use" % path
    return None


def console_holds(params):
    """(None when the console holds the key, else why not; whether it was read)."""
    try:
        # The run's Umbrella token, shared with the tenant's other tasks.
        client = build_client("umbrella", params, cache=RunCache())
        current = client.get(INTEGRATION_PATH, extension=True)
    except umbrella.UmbrellaUnsupported:
        # No public API reads these settings: the operator's confirmation is the only evidence.
        if params["console_confirmed"]:
            return None, False
        return "the console cannot be read and the operator has not confirmed it holds the key in use " \
               "(psa_umbrella_confirmed_public_key)", False
    except (umbrella.UmbrellaError, http.TransportError) as exc:
        # Unreachable, refused, a setting that cannot be used: not revoking is the safe answer.
        return "the console's PSA settings could not be read (%s)" % exc, True
    if not isinstance(current, dict):
        return "the console's PSA settings could not be read (an answer that is not a JSON object)", True
    connectwise = current.get("connectwise") or {}
    if current.get("psa") != "connectwise" or connectwise.get("publicKey") != params["public_key"] \
            or not connectwise.get("privateKeySet"):
        return "the console's PSA settings hold another key than the one in use (another run wrote them since?)", True
    return None, True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result.update(changed=False, held=True, store_holds=True, console_holds=True)
        if self._task.check_mode:
            # A check run writes nothing, so the key it would create is in neither place yet; the real
            # run stores and pushes it before this check.
            result["checked"] = False
            return result
        result["checked"] = True
        why_store = store_holds(params["store_path"], params["public_key"], params["private_key"],
                                params["vault_password"])
        why_console, console_read = console_holds(params)
        result.update(store_holds=why_store is None, console_holds=why_console is None, console_read=console_read,
                      held=why_store is None and why_console is None)
        if not result["held"]:
            reasons = "; ".join(why for why in (why_store, why_console) if why)
            result["msg"] = remove_values(NOT_REVOKED % reasons, validation._no_log_values)
            result["warnings"] = [result["msg"]]
        return result
