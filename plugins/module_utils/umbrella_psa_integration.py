# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Engine of msp.umbrella_psa.umbrella_psa_integration: the console's PSA Integration Details.

Cisco publishes no API for these settings; this engine uses the project's extension UX1
(``/admin/v2/psa/integration``, see docs/extension-api.md) and, where a server does not offer it,
hands back the steps a person takes in the console. The private key is write-only: the server only
says whether one is stored, so ``private_key_update`` decides when it is sent.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import UMBRELLA_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import (
    ON_UNSUPPORTED_CHOICES, EngineError, manual_steps_outcome)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import UmbrellaUnsupported

INTEGRATION_PATH = "/admin/v2/psa/integration"
NO_PSA = "none"
SERVICE_BOARD_MAX = 100
QUERY_THRESHOLD_RANGE = (1, 10000)
DEFAULT_KEY_LOCATION = "the tenant's key store"

# How the diff shows the write-only private key.
KEY_UNCHANGED = "<write-only, unchanged>"
KEY_UPDATED = "<write-only, updated>"

ARGUMENT_SPEC = dict(
    UMBRELLA_ARGSPEC,
    state=dict(type="str", choices=["present", "absent"], default="present"),
    psa=dict(type="str", choices=["connectwise"], default="connectwise"),
    connectwise_site=dict(type="str"),
    connectwise_company_id=dict(type="str"),
    public_key=dict(type="str", no_log=False),
    private_key=dict(type="str", no_log=True),
    enabled=dict(type="bool", default=True),
    service_board=dict(type="str"),
    query_threshold=dict(type="int"),
    private_key_update=dict(type="str", choices=["when_public_key_changes", "always", "on_create"],
                            default="when_public_key_changes"),
    # A place, not a secret (no_log stated explicitly because the name looks like one).
    private_key_location=dict(type="str", default=DEFAULT_KEY_LOCATION, no_log=False),
    on_unsupported=dict(type="str", choices=ON_UNSUPPORTED_CHOICES, default="fail"),
)

ARGUMENT_OPTIONS = dict(
    required_if=[("state", "present",
                  ("connectwise_site", "connectwise_company_id", "public_key", "private_key"))],
)


def validate(params):
    """Semantic checks before any request; EngineError names the option."""
    if params["state"] != "present":
        return
    for option in ("connectwise_site", "connectwise_company_id", "public_key", "private_key"):
        value = params[option]
        if not value.strip():
            raise EngineError("%s: must not be empty" % option)
        if value != value.strip():
            # Never echo the private key, even in this message.
            shown = "" if option == "private_key" else " %r" % value
            raise EngineError("%s:%s has leading or trailing whitespace" % (option, shown))
    board = params.get("service_board")
    if board is not None and not 1 <= len(board.strip()) <= SERVICE_BOARD_MAX:
        raise EngineError("service_board: must be 1 to %d characters (got %d)" % (SERVICE_BOARD_MAX, len(board)))
    threshold = params.get("query_threshold")
    low, high = QUERY_THRESHOLD_RANGE
    if threshold is not None and not low <= threshold <= high:
        raise EngineError("query_threshold: %d is out of range; use %d to %d" % (threshold, low, high))


def manual_steps(params):
    where = "Umbrella console: MSP Settings › PSA Integration Details"
    if params["state"] == "absent":
        return ["%s: delete the ConnectWise integration, then Save." % where]
    parts = ["Enabled %s" % ("on" if params["enabled"] else "off"),
             "Public API Key %s" % params["public_key"],
             "Private API Key: the private key stored in %s" % params["private_key_location"],
             "ConnectWise site %s, company %s" % (params["connectwise_site"], params["connectwise_company_id"])]
    ticketing = []
    if params.get("service_board") is not None:
        ticketing.append("service board %s" % params["service_board"])
    if params.get("query_threshold") is not None:
        ticketing.append("query threshold %d" % params["query_threshold"])
    if ticketing:
        parts.append("ticketing: " + ", ".join(ticketing))
    return ["%s: %s; Save." % (where, "; ".join(parts))]


def _configured(current):
    return (current or {}).get("psa", NO_PSA) not in (None, NO_PSA)


def _private_key_set(current):
    return bool(((current or {}).get("connectwise") or {}).get("privateKeySet"))


def _send_private_key(params, current, desired):
    """Whether this run sends the private key (the server cannot tell us whether it differs)."""
    public_key_changes = ((current.get("connectwise") or {}).get("publicKey") != desired["connectwise"]["publicKey"])
    # Whatever the mode, the server needs the key when it has none or when the public key changes.
    if not _configured(current) or not _private_key_set(current) or public_key_changes:
        return True
    return params["private_key_update"] == "always"


def _desired(params, current):
    """The integration as it should be (GET shape, without privateKeySet and modifiedAt)."""
    ticketing = dict((current or {}).get("ticketing") or {}) if _configured(current) else {}
    if params.get("service_board") is not None:
        ticketing["serviceBoard"] = params["service_board"]
    if params.get("query_threshold") is not None:
        ticketing["queryThreshold"] = params["query_threshold"]
    for option, field in (("service_board", "serviceBoard"), ("query_threshold", "queryThreshold")):
        if ticketing.get(field) is None:
            raise EngineError("%s: required when the integration is first set up (the console's ticketing "
                              "settings need a service board and a query threshold)" % option)
    return {
        "psa": params["psa"],
        "enabled": params["enabled"],
        "connectwise": {"site": params["connectwise_site"], "companyId": params["connectwise_company_id"],
                        "publicKey": params["public_key"]},
        "ticketing": {"serviceBoard": ticketing["serviceBoard"], "queryThreshold": ticketing["queryThreshold"]},
    }


def _comparable(integration):
    """What of a GET answer the desired shape can be compared with."""
    if not _configured(integration):
        return {"psa": NO_PSA}
    connectwise = integration.get("connectwise") or {}
    ticketing = integration.get("ticketing") or {}
    return {
        "psa": integration.get("psa"),
        "enabled": integration.get("enabled"),
        "connectwise": {"site": connectwise.get("site"), "companyId": connectwise.get("companyId"),
                        "publicKey": connectwise.get("publicKey")},
        "ticketing": {"serviceBoard": ticketing.get("serviceBoard"), "queryThreshold": ticketing.get("queryThreshold")},
    }


def _diff_view(comparable, private_key):
    view = copy.deepcopy(comparable)
    if "connectwise" in view:
        view["connectwise"]["privateKey"] = private_key
    return view


def _unsupported(params):
    return manual_steps_outcome(params["on_unsupported"], "read or write the console's PSA integration settings",
                                manual_steps(params), integration=None, extension=False)


def run(params, check_mode=False, client=None):
    validate(params)
    if client is None:
        from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import UmbrellaClient
        client = UmbrellaClient.from_params(params)

    try:
        current = client.get(INTEGRATION_PATH, extension=True)
    except UmbrellaUnsupported:
        return _unsupported(params)
    current = current or {"psa": NO_PSA}
    before_key = KEY_UNCHANGED if _private_key_set(current) else None

    if params["state"] == "absent":
        if current.get("psa", NO_PSA) != params["psa"]:
            # Nothing of ours to remove; another PSA set up by someone else is left alone.
            return {"changed": False, "extension": True, "integration": current,
                    "diff": {"before": {}, "after": {}}}
        if not check_mode:
            client.delete(INTEGRATION_PATH, extension=True)
        return {"changed": True, "extension": True, "integration": {"psa": NO_PSA, "enabled": False},
                "diff": {"before": _diff_view(_comparable(current), before_key), "after": {"psa": NO_PSA}}}

    if _configured(current) and current.get("psa") != params["psa"]:
        raise EngineError("psa: the organization has the %s integration set up; the console allows one PSA at a "
                          "time: remove it in the console first" % current.get("psa"))

    desired = _desired(params, current)
    send_key = _send_private_key(params, current, desired)
    before = _comparable(current)
    changed = send_key or before != desired
    diff = {"before": _diff_view(before, before_key),
            "after": _diff_view(desired, KEY_UPDATED if send_key else KEY_UNCHANGED)}
    if not changed:
        return {"changed": False, "extension": True, "integration": current, "diff": diff}

    if check_mode:
        integration = copy.deepcopy(desired)
        integration["connectwise"]["privateKeySet"] = True
        integration["modifiedAt"] = current.get("modifiedAt")
    else:
        body = copy.deepcopy(desired)
        if send_key:
            body["connectwise"]["privateKey"] = params["private_key"]
        integration = client.put(INTEGRATION_PATH, body, extension=True)
    return {"changed": True, "extension": True, "integration": integration, "diff": diff}
