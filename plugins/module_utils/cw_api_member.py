# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Engine of msp.umbrella_psa.cw_api_member: a ConnectWise API member (System › Members › API Members).

Found by its identifier (the Member ID). Created with POST, changed with a JSON Patch of only the
fields that differ, retired by setting ``inactiveFlag`` (ConnectWise offers no DELETE of a member) and
re-activated by ``state=present``. An unchanged member costs one request: references already pointing
at the wanted name or id are not looked up again.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import re

from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import CONNECTWISE_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import ConnectWiseError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.cw_references import Reference, points_to, resolve
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import CHECK_MODE_PLACEHOLDER, EngineError

MEMBERS_PATH = "/system/apiMembers"

IDENTIFIER_MAX = 15
NAME_MAX = 30
EMAIL_MAX = 250
# Deliberately loose: one "@", a dot in the domain, no spaces. ConnectWise's own check is not published.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Option -> field of ApiMember, and where the referenced objects are listed. The list endpoint of
# structure levels is the least certain of these (the vendor schemas also show
# /system/myCompany/corporateStructureLevels); it is kept here, in one place.
REFERENCES = (
    Reference("security_role", "securityRole", "/system/securityRoles", "security role"),
    Reference("location", "defaultLocation", "/system/locations", "location"),
    Reference("department", "defaultDepartment", "/system/departments", "department"),
    Reference("time_zone", "timeZone", "/system/timeZoneSetups", "time zone"),
    Reference("structure_level", "structureLevel", "/system/structureLevels", "structure level"),
)

# Option -> field of ApiMember for plain string fields.
SCALARS = (("name", "name"), ("email", "emailAddress"), ("notes", "notes"))

ARGUMENT_SPEC = dict(
    CONNECTWISE_ARGSPEC,
    identifier=dict(type="str", required=True),
    name=dict(type="str"),
    email=dict(type="str"),
    security_role=dict(type="str"),
    location=dict(type="str"),
    department=dict(type="str"),
    time_zone=dict(type="str"),
    structure_level=dict(type="str"),
    notes=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def validate(params):
    """Semantic checks of the options, before any request; EngineError names the option."""
    identifier = params["identifier"]
    _check_text("identifier", identifier, IDENTIFIER_MAX)
    if re.search(r"\s", identifier):
        raise EngineError("identifier: %r must not contain spaces (it is the member's login id)" % identifier)
    if params.get("name") is not None:
        _check_text("name", params["name"], NAME_MAX)
    email = params.get("email")
    if email is not None:
        _check_text("email", email, EMAIL_MAX)
        if not EMAIL_RE.match(email):
            raise EngineError("email: %r is not an e-mail address (expected name@domain.tld)" % email)
    for reference in REFERENCES:
        value = params.get(reference.option)
        if value is not None:
            _check_text(reference.option, value, None)


def _check_text(option, value, maximum):
    if value.strip() == "":
        raise EngineError("%s: must not be empty" % option)
    if value != value.strip():
        raise EngineError("%s: %r has leading or trailing whitespace" % (option, value))
    if maximum is not None and len(value) > maximum:
        raise EngineError("%s: %r is %d characters long; ConnectWise allows at most %d"
                          % (option, value, len(value), maximum))


def _find_member(client, identifier):
    found = client.find(MEMBERS_PATH, "identifier", identifier)
    if len(found) > 1:
        raise EngineError("identifier: %d API members match %r (ids %s); ConnectWise should hold one"
                          % (len(found), identifier, ", ".join(str(m.get("id")) for m in found)))
    return found[0] if found else None


def _created_meanwhile(client, identifier, error):
    """The member another run created between our lookup and our POST, which ConnectWise refused.

    Two runs on one tenant (a pipeline and a hand-run playbook) can both find no member and both
    create it; the second is answered ``ObjectExists``. The member it found is then the current one,
    brought to what this run wants like any other. Anything else is re-raised.
    """
    if not error.object_exists:
        raise error
    current = _find_member(client, identifier)
    if current is None:
        raise EngineError("identifier: ConnectWise answers that %r is already in use, but no API member this key "
                          "can see holds it (a member of another kind may); choose another identifier (%s)"
                          % (identifier, error))
    return current


def _wanted_changes(client, params, current):
    """``{field: value}`` of what differs from ``current`` (None when creating); references resolved."""
    changes = {}
    for option, field in SCALARS:
        value = params.get(option)
        if value is not None and (current is None or (current.get(field) or "") != value):
            changes[field] = value
    for reference in REFERENCES:
        value = params.get(reference.option)
        if value is None:
            continue
        if current is not None and points_to(current.get(reference.field), value):
            continue
        resolved = resolve(client, reference, value)
        if current is None or (current.get(reference.field) or {}).get("id") != resolved["id"]:
            changes[reference.field] = resolved
    return changes


def _written(field, value):
    """References are written as ``{"id": N}``: that is all ConnectWise needs."""
    if isinstance(value, dict) and "id" in value:
        return {"id": value["id"]}
    return value


def _shown(value):
    """A field as the diff shows it (references by id and name, nothing else)."""
    if isinstance(value, dict):
        return {"id": value.get("id"), "name": value.get("name")}
    return value


def _diff(current, changes):
    before = {field: _shown((current or {}).get(field)) for field in changes}
    after = {field: _shown(value) for field, value in changes.items()}
    if current is None:
        before = {}
    return {"before": before, "after": after}


def _member_path(member):
    return "%s/%d" % (MEMBERS_PATH, member["id"])


def _patch(client, member, changes, check_mode):
    """Apply ``changes`` with JSON Patch replace ops; in check mode, the member as it would become."""
    if check_mode:
        predicted = copy.deepcopy(member)
        predicted.update(changes)
        return predicted
    operations = [{"op": "replace", "path": field, "value": _written(field, value)}
                  for field, value in sorted(changes.items())]
    return client.patch(_member_path(member), operations)


def run(params, check_mode=False, client=None):
    validate(params)
    if client is None:
        from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import ConnectWiseClient
        client = ConnectWiseClient.from_params(params)

    identifier = params["identifier"]
    current = _find_member(client, identifier)

    if params["state"] == "absent":
        if current is None or current.get("inactiveFlag"):
            return {"changed": False, "created": False, "member": current, "diff": {"before": {}, "after": {}}}
        changes = {"inactiveFlag": True}
        member = _patch(client, current, changes, check_mode)
        return {"changed": True, "created": False, "member": member, "diff": _diff(current, changes)}

    if current is None:
        if not params.get("name"):
            raise EngineError("name: required to create API member %r (it does not exist yet)" % identifier)
        changes = _wanted_changes(client, params, None)
        body = {"identifier": identifier}
        body.update((field, _written(field, value)) for field, value in changes.items())
        if check_mode:
            member = dict(changes, id=CHECK_MODE_PLACEHOLDER, identifier=identifier, inactiveFlag=False)
        else:
            try:
                # A lost answer: the member is found by its identifier (recover), or created again.
                member = client.post(MEMBERS_PATH, body, recover=lambda: _find_member(client, identifier))
            except ConnectWiseError as exc:
                current = _created_meanwhile(client, identifier, exc)
                member = None
        if member is not None or check_mode:
            diff = _diff(None, dict(changes, identifier=identifier))
            return {"changed": True, "created": True, "member": member, "diff": diff}

    changes = _wanted_changes(client, params, current)
    if current.get("inactiveFlag"):
        changes["inactiveFlag"] = False
    if not changes:
        return {"changed": False, "created": False, "member": current, "diff": {"before": {}, "after": {}}}
    member = _patch(client, current, changes, check_mode)
    return {"changed": True, "created": False, "member": member, "diff": _diff(current, changes)}
