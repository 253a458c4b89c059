# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One tenant's result, from the registered results of the psa_integration role's tasks.

The role used to compute it in Jinja: two long expressions whose every branch Ansible compiled
again in every tenant's worker, about a quarter of a tenant's worker time. The same rules
in Python cost a single small template.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: tenant_result
short_description: the psa_integration role's result for one tenant
version_added: 0.3.0
description:
  - Turns the registered results of the C(msp.umbrella_psa.psa_integration) role's tasks into the
    tenant's result (the fact C(psa_integration_result)), that is its status, the changes made (or, in
    check mode, planned) and the manual steps left for a person.
  - Internal to the role; documented because every plugin of a collection is public. Its input may
    change with the role's tasks.
options:
  _input:
    description:
      - The registered results by step, each a task result or V(null) when the task did not run (its
        tag not selected). Keys C(role), C(member), C(key), C(key_rotation), C(key_store_mode), C(key_store), C(access),
        C(umbrella), C(revoke), C(mapping); a missing key counts as a task that did not run.
    type: dict
    required: true
  tenant:
    description: The tenant (inventory host) the result is for.
    type: str
    required: true
  check_mode:
    description: The run is a check (changes are reported as planned, "would be ...").
    type: bool
    default: false
  role_name:
    description: The security role's name (C(psa_role_name)).
    type: str
    required: true
  member_identifier:
    description: The API member's identifier (C(psa_member_identifier)).
    type: str
    required: true
  public_key:
    description: The public half of the key the integration uses after this run; empty when there is none yet.
    type: str
    default: ''
  operator_public_key:
    description: The operator's own key (C(psa_integration_public_key)), for a server without the key API.
    type: str
    default: ''
  confirmed_public_key:
    description: The key the operator confirmed entered in the Umbrella console (C(psa_umbrella_confirmed_public_key)).
    type: str
    default: ''
  store_path:
    description: The tenant's key store file.
    type: str
    default: ''
  store_mode:
    description:
      - The mode the key store file was found with (octal, as the lookup C(msp.umbrella_psa.key_store) returns
        it), named in the change that tightened it (result C(key_store_mode)).
    type: str
    default: ''
  report_path:
    description: The tenant's report of manual steps.
    type: str
    default: ''
  mapping_steps_path:
    description: The tenant's company mapping steps (CSV), written when the console has no mapping API.
    type: str
    default: ''
"""

EXAMPLES = r"""
- name: Record the tenant's result
  ansible.builtin.set_fact:
    psa_integration_result: >-
      {{ {'role': __psa_integration_role | default(none), 'member': __psa_integration_member | default(none)}
         | msp.umbrella_psa.tenant_result(tenant=inventory_hostname, role_name=psa_role_name,
                                          member_identifier=psa_member_identifier) }}
"""

RETURN = r"""
_value:
  description: The tenant's result.
  type: dict
  contains:
    tenant:
      description: The tenant.
      type: str
    status:
      description:
        - V(manual) when steps are left for a person, V(created) when the role or the member was
          created, V(changed) when anything else changed, else V(unchanged).
      type: str
    check_mode:
      description: The result of a check run (a plan).
      type: bool
    changes:
      description: One line per change made or, in check mode, planned.
      type: list
      elements: str
    manual_steps:
      description: The steps left for a person, in order.
      type: list
      elements: str
    public_key:
      description: The public half of the key the integration uses.
      type: str
    report:
      description: The report file of the manual steps, or an empty string when there are none.
      type: str
"""

UMBRELLA_CONFIRMATION = ("Then set psa_umbrella_confirmed_public_key: %s in this tenant's inventory variables; "
                         "the next run treats the Umbrella step as done for that key.")
UMBRELLA_AFTER_KEY = ("Umbrella console: MSP Settings \u203a PSA Integration Details: once the API key above exists, "
                      "the next run prints the exact values to enter.")


def _step(results, name):
    """A registered result, or {} for a task that did not run (tag not selected, or never reached)."""
    return results.get(name) or {}


def new_key_result(results):
    """The key created this run: by the rotation task, else by the first key task, or {}."""
    for name in ("key_rotation", "key"):
        if _step(results, name).get("created"):
            return _step(results, name)
    return {}


def manual_steps(results, public_key="", operator_public_key="", confirmed_public_key=""):
    role, key, umbrella = _step(results, "role"), _step(results, "key"), _step(results, "umbrella")
    steps = []
    # A verified key proves the role's manual steps were done.
    if not _step(results, "access").get("satisfied"):
        steps += role.get("manual_steps") or []
    # No key API: the operator creates the key, unless the inventory already names it.
    if key.get("extension") is False and not operator_public_key:
        steps += key.get("manual_steps") or []
    # No Umbrella API: done once the operator confirms this very key.
    if umbrella.get("extension") is False and not (confirmed_public_key and confirmed_public_key == public_key):
        steps += (umbrella.get("manual_steps") or []) + [UMBRELLA_CONFIRMATION % public_key]
    if not public_key:
        steps.append(UMBRELLA_AFTER_KEY)
    steps += _step(results, "mapping").get("manual_steps") or []
    return steps


def changes(results, check_mode=False, role_name="", member_identifier="", public_key="", store_path="",
            mapping_steps_path="", store_mode=""):
    verb = "would be " if check_mode else ""
    lines = []
    role, member = _step(results, "role"), _step(results, "member")
    if role.get("changed"):
        lines.append("security role '%s' %s%s" % (role_name, verb, "created" if role.get("created") else "updated"))
    if member.get("changed"):
        lines.append("API member '%s' %s%s" % (member_identifier, verb, "created" if member.get("created") else "updated"))
    new_key = new_key_result(results)
    if new_key:
        made = "rotated" if new_key.get("rotated") else "created"
        lines.append("API key %s%s (public key %s)" % (verb, made, new_key.get("public_key", "?")))
    if _step(results, "key_store_mode").get("changed"):
        lines.append("key store %s: mode %s %stightened to 0600" % (store_path, store_mode or "?", verb))
    if _step(results, "key_store").get("changed"):
        lines.append("key pair %sstored in %s" % (verb, store_path))
    if _step(results, "umbrella").get("changed"):
        lines.append("Umbrella PSA integration %sset to public key %s" % (verb, public_key))
    revoke = _step(results, "revoke")
    if revoke.get("changed"):
        lines.append("previous API keys %srevoked: %s" % (verb, ", ".join(str(key) for key in revoke.get("revoked") or [])))
    mapping = _step(results, "mapping")
    if mapping.get("changed"):
        if mapping.get("extension"):
            summary = mapping.get("summary") or {}
            lines.append("company mapping %sapplied: %s customers set, %s cleared"
                         % (verb, summary.get("set"), summary.get("removed")))
        else:
            lines.append("company mapping steps %swritten to %s" % (verb, mapping_steps_path))
    return lines


def tenant_result(results, tenant, role_name, member_identifier, check_mode=False, public_key="",
                  operator_public_key="", confirmed_public_key="", store_path="", report_path="",
                  mapping_steps_path="", store_mode=""):
    results = dict(results or {})
    public_key = public_key or ""
    steps = manual_steps(results, public_key, operator_public_key or "", confirmed_public_key or "")
    done = changes(results, check_mode, role_name, member_identifier, public_key, store_path, mapping_steps_path,
                   store_mode or "")
    if steps:
        status = "manual"
    elif _step(results, "role").get("created") or _step(results, "member").get("created"):
        status = "created"
    else:
        status = "changed" if done else "unchanged"
    return {
        "tenant": tenant,
        "status": status,
        "check_mode": bool(check_mode),
        "changes": done,
        "manual_steps": steps,
        "public_key": public_key,
        "report": report_path if steps else "",
    }


class FilterModule(object):
    def filters(self):
        return {"tenant_result": tenant_result}
