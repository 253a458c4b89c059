# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Engine of msp.umbrella_psa.cw_api_key: a permanent API key of a ConnectWise API member.

ConnectWise publishes no API for these keys; this engine uses the project's extension CX3
(``/system/apiMembers/{id}/apiKeys``, see docs/extension-api.md) and, where a server does not offer
it, hands back the steps a person takes in the UI. A key is known by its description; several keys may
share one during a rotation, and the newest (``_info.dateEntered``, then ``id``) is the current one.

The private key exists only in the answer to the POST that created it: it is returned by that run
and nowhere else (never in the diff, a message or a later run).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.msp.umbrella_psa.plugins.module_utils import tenant_inputs
from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import CONNECTWISE_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConnectWiseError, ConnectWiseNotFound, ConnectWiseUnsupported, conditions)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import (
    CHECK_MODE_PLACEHOLDER, ON_UNSUPPORTED_CHOICES, EngineError, manual_steps_outcome)

MEMBERS_PATH = "/system/apiMembers"
# Result keys that hold a secret: the action plugin hides a result carrying one (engine.holds_secret).
SECRET_RESULTS = ("private_key",)

ARGUMENT_SPEC = dict(
    CONNECTWISE_ARGSPEC,
    member=dict(type="str", required=True),
    member_id=dict(type="int"),
    description=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    rotate=dict(type="str", choices=["never", "always"], default="never"),
    revoke_previous=dict(type="bool", default=False),
    # The key that succeeds the revoked ones, when the caller knows it: the newest key on the server may
    # be another run's, and revoking "all but the newest" would then revoke the key in use.
    keep_public_key=dict(type="str", no_log=False),
    on_unsupported=dict(type="str", choices=ON_UNSUPPORTED_CHOICES, default="fail"),
)


def validate(params):
    """The vendor's limits (module_utils.tenant_inputs), before any request."""
    problems = tenant_inputs.option_problems("cw_api_key", params)
    if problems:
        raise EngineError(problems[0])


def manual_steps(params):
    identifier, description = params["member"], params["description"]
    where = "ConnectWise: System › Members › API Members › %s › API Keys" % identifier
    if params["state"] == "absent":
        return ["%s: delete every key with Description '%s', then Save." % (where, description)]
    steps = ["%s: click +, Description '%s', Save; copy the public and private key (the private key is "
             "shown only once) into the tenant's vault variables psa_integration_public_key / "
             "psa_integration_private_key (ansible-vault encrypt_string)" % (where, description)]
    if params["revoke_previous"]:
        steps.append("%s: then delete the older keys with Description '%s'." % (where, description))
    return steps


def _created_at(key):
    return (key.get("_info") or {}).get("dateEntered")


def _newest_first(keys):
    # ISO 8601 UTC timestamps sort as text; a key without one sorts as the oldest.
    return sorted(keys, key=lambda k: (_created_at(k) or "", k.get("id") or 0), reverse=True)


def key_view(key):
    """The current key as returned: never the private key."""
    if key is None:
        return None
    return {"id": key.get("id"), "description": key.get("description"),
            "public_key": key.get("publicKey"), "created_at": _created_at(key)}


def previous_view(key):
    return {"id": key.get("id"), "public_key": key.get("publicKey"), "created_at": _created_at(key)}


def _diff_side(keys):
    return {"keys": [previous_view(k) for k in keys]}


def _unsupported(params):
    return manual_steps_outcome(
        params["on_unsupported"], "manage API keys of a member", manual_steps(params),
        key=None, public_key=None, created=False, rotated=False, revoked=[], previous_keys=[],
        extension=False)


def _find_member(client, identifier, check_mode):
    found = client.find(MEMBERS_PATH, "identifier", identifier)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise EngineError("member: %d API members match %r; ConnectWise should hold one" % (len(found), identifier))
    if check_mode:
        return None  # an earlier task of the same check run would have created it
    raise EngineError("member: there is no API member with identifier %r; create it first "
                      "(msp.umbrella_psa.cw_api_member)" % identifier)


def _revoke(client, keys_path, keys):
    """Delete ``keys``; return the ids deleted (a key already gone counts as revoked by someone else)."""
    revoked = []
    for key in keys:
        try:
            client.delete("%s/%s" % (keys_path, key["id"]))
        except ConnectWiseNotFound:
            continue
        revoked.append(key["id"])
    return revoked


def _discard_lost_keys(client, keys_path, description, known):
    """After a key POST whose answer was lost: delete the key it made, if any, so that it is created again.

    The private half of a key exists only in the answer to the POST that created it, so a key whose
    answer was lost can never be used. A key of this description that was not listed just before the
    POST is that key: it is deleted, so that the member keeps exactly the keys it had plus the one
    created next.
    """
    known_ids = set(k.get("id") for k in known if isinstance(k, dict))
    listed = client.list(keys_path, conditions=conditions.eq("description", description))
    lost = [k for k in listed if isinstance(k, dict) and k.get("description") == description
            and k.get("id") not in known_ids]
    _revoke(client, keys_path, lost)


# run() is handed a ConnectWiseClient built from these options by the entry point (engine.build_clients).
CLIENTS = dict(client=("connectwise", None))


def run(params, check_mode=False, client=None):
    validate(params)
    description = params["description"]
    if params.get("member_id") is not None:
        # The caller knows the member already (cw_api_member's result): no lookup.
        member = {"id": params["member_id"], "identifier": params["member"]}
    else:
        member = _find_member(client, params["member"], check_mode)
    if member is None:
        # The plan must say what the real run will do once the member exists: a key, or a person's steps.
        if not client.offers("%s/0/apiKeys" % MEMBERS_PATH):
            return _unsupported(params)
        return _predict_for_missing_member(params)

    keys_path = "%s/%d/apiKeys" % (MEMBERS_PATH, member["id"])
    try:
        listed = client.list(keys_path, conditions=conditions.eq("description", description))
    except ConnectWiseUnsupported:
        return _unsupported(params)
    # Descriptions compare exactly here: "Cisco Umbrella" and "cisco umbrella" are different keys.
    keys = _newest_first([k for k in listed if isinstance(k, dict) and k.get("description") == description])

    result = {"extension": True, "created": False, "rotated": False, "revoked": [],
              "member": {"id": member["id"], "identifier": member.get("identifier")}}

    if params["state"] == "absent":
        if keys and not check_mode:
            result["revoked"] = _revoke(client, keys_path, keys)
        elif keys:
            result["revoked"] = [k["id"] for k in keys]
        result.update(changed=bool(keys), key=None, public_key=None, previous_keys=[],
                      diff={"before": _diff_side(keys), "after": {"keys": []}})
        return result

    current = keys[0] if keys else None
    create = current is None or params["rotate"] == "always"
    to_revoke = (keys if create else keys[1:]) if params["revoke_previous"] else []
    keep = params.get("keep_public_key")
    warnings = []
    if keep == CHECK_MODE_PLACEHOLDER and params["revoke_previous"] and not create:
        # A check run whose key in use is still to be created (a rotation, a new tenant): the real run
        # would find that key on the server beside these, and revoke every one of them.
        to_revoke = keys
    elif to_revoke and keep and not create:
        kept = [k for k in keys if k.get("publicKey") == keep]
        # Its successor is not on the server: nothing is revoked (a later run sees the keys again).
        to_revoke = [k for k in keys if k.get("publicKey") != keep] if kept else []
        if kept:
            current = kept[0]
        else:
            warnings.append("previous keys not revoked: the member has no key %s to keep" % keep)
    kept_old = [k for k in keys if k not in to_revoke and (create or k is not current)]

    if not create:
        result["key"] = key_view(current)
        result["public_key"] = current.get("publicKey")
    elif check_mode:
        result["key"] = {"id": CHECK_MODE_PLACEHOLDER, "description": description,
                         "public_key": CHECK_MODE_PLACEHOLDER, "created_at": CHECK_MODE_PLACEHOLDER}
        result["public_key"] = CHECK_MODE_PLACEHOLDER
        result["private_key"] = CHECK_MODE_PLACEHOLDER
    else:
        new_key = client.post(keys_path, {"description": description},
                              recover=lambda: _discard_lost_keys(client, keys_path, description, listed))
        result["key"] = key_view(new_key)
        result["public_key"] = new_key.get("publicKey")
        result["private_key"] = new_key.get("privateKey")
    result["created"] = create
    result["rotated"] = create and bool(keys)

    if to_revoke:
        if check_mode:
            result["revoked"] = [k["id"] for k in to_revoke]
        else:
            try:
                result["revoked"] = _revoke(client, keys_path, to_revoke)
            except ConnectWiseError as exc:
                # The new key must not be lost with the failure: the failed result still carries it.
                raise EngineError("The new key was created but revoking the previous keys failed: %s" % exc,
                                  **dict(result, changed=True, previous_keys=[previous_view(k) for k in to_revoke]))

    result["previous_keys"] = [previous_view(k) for k in kept_old]
    if warnings:
        result["warnings"] = warnings
    result["changed"] = create or bool(to_revoke)
    current_side = _view_side(result["key"]) if create else previous_view(current)
    result["diff"] = {"before": _diff_side(keys),
                      "after": {"keys": [current_side] + [previous_view(k) for k in kept_old]}}
    return result


def _view_side(view):
    """A key_view() entry in the diff's shape."""
    return {"id": view["id"], "public_key": view["public_key"], "created_at": view["created_at"]}


def _predict_for_missing_member(params):
    """Check mode, member not there yet: predict what the real run would do after the member is created."""
    result = {"extension": None, "member": None, "revoked": [], "previous_keys": [], "rotated": False}
    if params["state"] == "absent":
        result.update(changed=False, created=False, key=None, public_key=None,
                      diff={"before": {"keys": []}, "after": {"keys": []}})
        return result
    key = {"id": CHECK_MODE_PLACEHOLDER, "description": params["description"],
           "public_key": CHECK_MODE_PLACEHOLDER, "created_at": CHECK_MODE_PLACEHOLDER}
    result.update(changed=True, created=True, key=key, public_key=CHECK_MODE_PLACEHOLDER,
                  private_key=CHECK_MODE_PLACEHOLDER,
                  diff={"before": {"keys": []}, "after": {"keys": [_view_side(key)]}},
                  warnings=["member %r does not exist yet: this prediction assumes an earlier task creates it"
                            % params["member"]])
    return result
