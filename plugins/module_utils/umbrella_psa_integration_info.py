# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Engine of ``umbrella_psa_integration_info``: the console's PSA settings and sync status, read only.

Cisco publishes no API for the console's PSA Integration Details, nor for how its last sync went. This
engine reads them through the project's extension (UX1 ``/admin/v2/psa/integration`` and UX3
``/admin/v2/psa/status``, see docs/extension-api.md) with the connection options alone, so that a
person can look at a fleet's settings without passing dummy keys to the managing module. A server
without the extension is no failure: the result says where in the console the settings are.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import UMBRELLA_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import UmbrellaUnsupported
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella_psa_integration import INTEGRATION_PATH

STATUS_PATH = "/admin/v2/psa/status"

NOTE_NO_SETTINGS = ("The console's PSA integration settings are not readable through the vendor's public API "
                    "(the server does not offer the extension UX1): look in the Umbrella console under "
                    "MSP Settings › PSA Integration Details.")
NOTE_NO_STATUS = ("The integration's sync status is not readable on this server (it does not offer the extension "
                  "UX3): the Umbrella console shows it under MSP Settings › PSA Integration Details.")

ARGUMENT_SPEC = dict(UMBRELLA_ARGSPEC)

# run() is handed an UmbrellaClient built from these options by the entry point (engine.build_clients).
CLIENTS = dict(client=("umbrella", None))


def _without_private_key(integration):
    """The settings as the server returns them, minus a private key should a server ever send one.

    UX1 only says whether a key is stored (``privateKeySet``); a read-only result is shown and
    registered freely, so a key that a non-conforming server hands back is dropped, not passed on.
    """
    if not isinstance(integration, dict):
        return integration
    connectwise = integration.get("connectwise")
    if isinstance(connectwise, dict) and "privateKey" in connectwise:
        integration = copy.deepcopy(integration)
        integration["connectwise"].pop("privateKey")
        integration["connectwise"].setdefault("privateKeySet", bool(connectwise["privateKey"]))
    return integration


def run(params, check_mode=False, client=None):
    # Only reads: check mode changes nothing here.
    try:
        integration = client.get(INTEGRATION_PATH, extension=True)
    except UmbrellaUnsupported:
        return {"changed": False, "extension": False, "integration": None, "status": None,
                "notes": [NOTE_NO_SETTINGS]}
    result = {"changed": False, "extension": True, "integration": _without_private_key(integration),
              "status": None, "notes": []}
    try:
        result["status"] = client.get(STATUS_PATH, extension=True)
    except UmbrellaUnsupported:
        result["notes"].append(NOTE_NO_STATUS)
    return result
