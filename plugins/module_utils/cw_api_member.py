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

from ansible_collections.msp.umbrella_psa.plugins.module_utils import tenant_inputs
from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import CONNECTWISE_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import ConnectWiseError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.cw_references import Reference, points_to, resolve
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import CHECK_MODE_PLACEHOLDER, EngineError

MEMBERS_PATH = "/system/apiMembers"

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
    takeover=dict(type="bool", default=False),
)


def validate(params):
    """Semantic checks of the options, before any request (the vendor's limits: module_utils.tenant_inputs)."""
    problems = tenant_inputs.option_problems("cw_api_member", params)
    if problems:
        raise EngineError(problems[0])


def _find_member(client, identifier):
    found = client.find(MEMBERS_PATH, "identifier", identifier)
    if len(found) > 1:
        raise EngineError("%s: %d API members match %r (ids %s); ConnectWise should hold one: deactivate or rename "
                          "the others, or choose another identifier"
                          % (tenant_inputs.variable_of("cw_api_member", "identifier"), len(found), identifier,
                             ", ".join(str(m.get("id")) for m in found)))
    return found[0] if found else None


def held_elsewhere(member, security_role):
    """Why an existing member is not this run's to change (None when it is).

    The member this collection manages holds the security role it gives it: a member found under the
    same identifier holding another role belongs to someone else (a person, another integration), and
    giving it this role would take it away from them.
    """
    if member is None or not security_role:
        return None
    held = member.get("securityRole")
    if not isinstance(held, dict) or (held.get("id") is None and not held.get("name")) or points_to(held, security_role):
        return None
    return ("%s: API member %r holds the security role %r, not %r: it belongs to someone else; choose another "
            "identifier, or set %s to give it this role on purpose"
            % (tenant_inputs.variable_of("cw_api_member", "identifier"), member.get("identifier"),
               held.get("name") or held.get("id"), security_role, tenant_inputs.TAKEOVER))


def check_holder(client, identifier, security_role, takeover=False):
    """Before a write made for the member ``identifier``: it is unique and, unless ``takeover``, ours."""
    member = _find_member(client, identifier)
    conflict = None if takeover else held_elsewhere(member, security_role)
    if conflict:
        raise EngineError(conflict)
    return member


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


# run() is handed a ConnectWiseClient built from these options by the entry point (engine.build_clients).
CLIENTS = dict(client=("connectwise", None))


def run(params, check_mode=False, client=None):
    validate(params)
    identifier = params["identifier"]
    current = _find_member(client, identifier)
    conflict = None if params.get("takeover") or params["state"] != "present" else \
        held_elsewhere(current, params.get("security_role"))
    if conflict:
        # A role name that does not exist is the first thing to fix (it says which names do).
        resolve(client, REFERENCES[0], params["security_role"])
        raise EngineError(conflict)

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
