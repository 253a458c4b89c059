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

from ansible_collections.msp.umbrella_psa.plugins.module_utils import tenant_inputs
from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import UMBRELLA_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import (
    ON_UNSUPPORTED_CHOICES, EngineError, manual_steps_outcome)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import without_userinfo
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import UmbrellaUnsupported

INTEGRATION_PATH = "/admin/v2/psa/integration"
NO_PSA = "none"
DEFAULT_KEY_LOCATION = "the tenant's key store"

# How the diff shows the write-only private key.
KEY_UNCHANGED = "<write-only, unchanged>"
KEY_UPDATED = "<write-only, updated>"

ARGUMENT_SPEC = dict(
    UMBRELLA_ARGSPEC,
    state=dict(type="str", choices=["present", "absent", "checked"], default="present"),
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
    takeover=dict(type="bool", default=False),
)

ARGUMENT_OPTIONS = dict(
    required_if=[("state", "present",
                  ("connectwise_site", "connectwise_company_id", "public_key", "private_key")),
                 ("state", "checked", ("connectwise_site", "connectwise_company_id"))],
)


def validate(params):
    """Semantic checks before any request; EngineError names the option."""
    if params["state"] == "absent":
        return
    required = ("connectwise_site", "connectwise_company_id")
    if params["state"] == "present":
        required += ("public_key", "private_key")
    for option in required:
        value = params[option]
        if not value.strip():
            raise EngineError("%s: must not be empty" % option)
        if value != value.strip():
            # Never echo the private key, even in this message.
            shown = "" if option == "private_key" else " %r" % value
            raise EngineError("%s:%s has leading or trailing whitespace" % (option, shown))
    site = params["connectwise_site"]
    if without_userinfo(site) != site:
        # Never shown, nor sent to Umbrella: a password in the site would be kept in its console.
        raise EngineError("connectwise_site (psa_cw_site) %r holds a user name or password: remove them"
                          % without_userinfo(site))
    problems = tenant_inputs.option_problems("umbrella_psa_integration", params)
    if problems:
        raise EngineError(problems[0])


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


def _site_key(site):
    """A ConnectWise site as compared: host names are case-insensitive, a trailing slash means nothing."""
    return (site or "").strip().rstrip("/").lower()


def ownership_conflict(params, current):
    """Why this console's integration is not this tenant's to change (None when it is).

    A parent-console key reaches every child organization: a mistyped org id names a sibling
    customer's console, whose integration is set up for that customer's ConnectWise. The console's
    current site and company are this tenant's mark: an integration set up for another ConnectWise
    site or company belongs to someone else, and another PSA is never replaced (the console allows one
    at a time).
    """
    if not _configured(current):
        return None
    if current.get("psa") != params["psa"]:
        return ("psa: the organization has the %s integration set up, not %s (check psa_umbrella_org_id); "
                "the console allows one PSA at a time: remove it in the console first"
                % (current.get("psa"), params["psa"]))
    if params.get("takeover"):
        return None
    connectwise = current.get("connectwise") or {}
    site, company = connectwise.get("site"), connectwise.get("companyId")
    if _site_key(site) == _site_key(params["connectwise_site"]) and \
            (company or "").strip().casefold() == params["connectwise_company_id"].strip().casefold():
        return None
    return ("connectwise_company_id (psa_cw_company_id): the organization's console is set up for ConnectWise site "
            "%s, company %s, not site %s, company %s: it belongs to another tenant (check psa_umbrella_org_id); "
            "set %s to take it over on purpose"
            % (site, company, params["connectwise_site"], params["connectwise_company_id"], tenant_inputs.TAKEOVER))


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


# run() is handed an UmbrellaClient built from these options by the entry point (engine.build_clients).
CLIENTS = dict(client=("umbrella", None))


def run(params, check_mode=False, client=None):
    validate(params)
    try:
        current = client.get(INTEGRATION_PATH, extension=True)
    except UmbrellaUnsupported:
        if params["state"] == "checked":
            # The credentials answered (the token was issued); the settings cannot be read on this server,
            # so whose console it is stays the person's check, in the manual steps of the write.
            return {"changed": False, "extension": False, "integration": None}
        return _unsupported(params)
    current = current or {"psa": NO_PSA}
    before_key = KEY_UNCHANGED if _private_key_set(current) else None

    if params["state"] == "checked":
        # Read only: may this run set the console up? (The role asks before the tenant's first write.)
        conflict = ownership_conflict(params, current)
        if conflict:
            raise EngineError(conflict)
        return {"changed": False, "extension": True, "integration": current}

    if params["state"] == "absent":
        if current.get("psa", NO_PSA) == params["psa"] and params.get("connectwise_site") \
                and params.get("connectwise_company_id"):
            conflict = ownership_conflict(params, current)
            if conflict:
                raise EngineError(conflict)
        if current.get("psa", NO_PSA) != params["psa"]:
            # Nothing of ours to remove; another PSA set up by someone else is left alone.
            return {"changed": False, "extension": True, "integration": current,
                    "diff": {"before": {}, "after": {}}}
        if not check_mode:
            client.delete(INTEGRATION_PATH, extension=True)
        return {"changed": True, "extension": True, "integration": {"psa": NO_PSA, "enabled": False},
                "diff": {"before": _diff_view(_comparable(current), before_key), "after": {"psa": NO_PSA}}}

    conflict = ownership_conflict(params, current)
    if conflict:
        raise EngineError(conflict)

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
