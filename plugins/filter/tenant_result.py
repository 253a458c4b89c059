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

import datetime

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
        C(umbrella), C(revoke), C(mapping), C(sync); a missing key counts as a task that did not run.
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
  key_created_at:
    description:
      - When the key in use was created (C(YYYY-MM-DDTHH:MM:SSZ), UTC, the server's clock), as the key store or
        the key task recorded it, or as the operator gave it (C(psa_integration_key_created_at)); empty when
        unknown.
      - Umbrella's sync counts as evidence for the key in use only when it happened after this time.
    type: str
    default: ''
    version_added: 0.3.0
  sync_required:
    description:
      - Umbrella must be syncing (C(psa_sync_required)). A tenant whose sync stage ran and whose sync is not
        V(verified) gets the status V(failed), its C(failed_task) the stage's task and its C(message) the sync state
        and the findings; the playbook fails such a tenant after its summary, as any failed tenant.
    type: bool
    default: false
    version_added: 0.3.0
  rotation_due:
    description:
      - The key in use when the run started was due for rotation (the lookup C(msp.umbrella_psa.key_store)'s
        C(rotation_due)). The result's RV(_value.rotation_due) is V(false) once this run rotated (or, in check mode,
        would rotate) the key.
    type: bool
    default: false
    version_added: 0.3.0
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
        - V(failed) when O(sync_required) and the sync is not V(verified) (with C(failed_task) and C(message)),
          unless the key was created this run (it awaits its first sync) or the evidence was not checked.
        - What the run did and what is left by hand; what Umbrella did with the key is in RV(_value.sync).
      type: str
    sync:
      description:
        - What ConnectWise shows of Umbrella's own sync with the key in use (the sync stage, M(msp.umbrella_psa.cw_umbrella_sync_info)).
        - V(verified) when every mapped company holds a configuration the integration member updated within
          the maximum age, after the key in use was created.
        - V(awaiting first sync) when no sync by the member since the key in use was created is seen yet, or
          when the key was created this run (the stage then reads nothing).
        - V(partial) when some mapped companies are missing or not fresh, or were synced only before the key in
          use was created, V(stale) when the member's last sync is
          too old (a revoked key, an inactive member, a role short of a permission).
        - V(not checked) when the stage did not run (tag not selected, no key yet, a key still to be created).
      type: str
      version_added: 0.3.0
    sync_findings:
      description:
        - For V(partial) and V(stale), what is wrong, one line each (also in the report and the summary).
        - For V(awaiting first sync) once the key in use is older than the maximum age, what the reads found
          (a key of unknown age, made by hand without O(key_created_at), is not known to be overdue).
      type: list
      elements: str
      version_added: 0.3.0
    synced_companies:
      description: The ConnectWise companies (identifiers) whose configuration the member updated within the maximum age.
      type: list
      elements: str
      version_added: 0.3.0
    last_sync:
      description: The member's last update of a configuration, or an empty string when none is seen.
      type: str
      version_added: 0.3.0
    check_mode:
      description: The result of a check run (a plan).
      type: bool
    key_created_at:
      description: When the key in use was created (C(YYYY-MM-DDTHH:MM:SSZ), UTC), or an empty string when unknown.
      type: str
      version_added: 0.3.0
    rotation_due:
      description: The key in use is due for rotation and this run did not rotate it (the fleet report's column).
      type: bool
      version_added: 0.3.0
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
      description: The report file of the manual steps and of the sync's findings, or an empty string when there are none.
      type: str
    failed_task:
      description: With O(sync_required), the task of a tenant that fails because Umbrella is not syncing.
      type: str
      returned: when the status is V(failed)
      version_added: 0.3.0
    message:
      description: With O(sync_required), why the tenant fails (the sync state and the findings).
      type: str
      returned: when the status is V(failed)
      version_added: 0.3.0
"""

from ansible_collections.msp.umbrella_psa.plugins.module_utils.cw_umbrella_sync_info import parse_time

UMBRELLA_CONFIRMATION = ("Then set psa_umbrella_confirmed_public_key: %s in this tenant's inventory variables, or "
                         "let Umbrella's first sync with that key confirm it: the next run finds the configurations "
                         "the integration member updated in ConnectWise and treats the Umbrella step as done.")
# Without the key API the role knows the key's creation time only from the operator.
UMBRELLA_EVIDENCE_NEEDS_TIME = (" For the sync to count, set psa_integration_key_created_at to the time the key was "
                                "created (UTC, YYYY-MM-DDTHH:MM:SSZ).")
SYNC_TASK = "Read the evidence of Umbrella's sync"
SYNC_NOT_CHECKED = "not checked"
SYNC_AWAITING = "awaiting first sync"
SYNC_VERIFIED = "verified"
# The module's verdicts that name a problem; "never" is the state of every new integration.
SYNC_PROBLEMS = ("partial", "stale")
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


def _moment(text):
    """An ISO 8601 time as aware UTC (an offset applied; none means UTC, as ConnectWise and the key store
    write it), or None."""
    return parse_time(str(text)) if text else None


def synced_since_key(results, key_created_at=""):
    """Umbrella has synced with the key in use: the member updated a configuration after the key was made.

    The evidence names the member, not the key; a sync after the key's creation is the best public sign that
    the console holds it (a previous key of the member, still live, could sync too: revoke it).
    """
    sync = _step(results, "sync")
    created, last = _moment(key_created_at), _moment(sync.get("last_sync"))
    if sync.get("skipped") or sync.get("verdict") in (None, "never") or last is None:
        return False
    return not created or last >= created


def sync_state(results, key_created_at=""):
    """The result's sync state and its findings (see RETURN)."""
    sync = _step(results, "sync")
    if not sync or sync.get("skipped") or "verdict" not in sync:
        # The stage skips a key created this run (nothing can have synced with it yet) without a request.
        created = new_key_result(results)
        if created and sync.get("skipped") and (created.get("public_key") or "") != "":
            return SYNC_AWAITING, []
        if sync.get("msg") and not sync.get("skipped"):
            # The evidence could not be read (the stage does not fail the tenant): say why.
            return SYNC_NOT_CHECKED, ["The evidence of Umbrella's sync could not be read: %s" % sync["msg"]]
        return SYNC_NOT_CHECKED, []
    verdict = sync.get("verdict")
    findings = list(sync.get("findings") or [])
    if verdict in SYNC_PROBLEMS:
        return verdict, findings
    if verdict == "syncing" and synced_since_key(results, key_created_at):
        # Every synced company, not only the newest: after a rotation, a company last updated before the key
        # in use was made was synced with the previous key only.
        created = _moment(key_created_at)
        behind = [str(company.get("identifier")) for company in sync.get("companies") or []
                  if company.get("fresh") and created and _moment(company.get("last_updated"))
                  and _moment(company.get("last_updated")) < created]
        if behind:
            return "partial", ["%s: last synced before the key in use was created (with a previous key): the "
                               "sync has not reached it with this key yet" % identifier for identifier in behind]
        return SYNC_VERIFIED, []
    # Never synced, or not since the key in use was made. A key younger than the maximum age may simply not
    # have met Umbrella's daily sync yet: nothing is wrong. Past that age, what the reads found is kept (a
    # role short of a permission, a Company ID that links nothing), so that a sync that never comes is
    # explained. A key of unknown age (made by hand, psa_integration_key_created_at not set) is not known to
    # be overdue: no report is kept open for it.
    return SYNC_AWAITING, (findings if _older_than_max_age(sync, key_created_at) else [])


def _older_than_max_age(sync, key_created_at):
    created, now = _moment(key_created_at), _moment(sync.get("server_time"))
    if not created or not now or not isinstance(sync.get("max_age_hours"), int):
        return False
    return now - created > datetime.timedelta(hours=sync["max_age_hours"])


def manual_steps(results, public_key="", operator_public_key="", confirmed_public_key="", key_created_at=""):
    role, key, umbrella = _step(results, "role"), _step(results, "key"), _step(results, "umbrella")
    steps = []
    # A verified key proves the role's manual steps were done.
    if not _step(results, "access").get("satisfied"):
        steps += role.get("manual_steps") or []
    # No key API: the operator creates the key, unless the inventory already names it.
    if key.get("extension") is False and not operator_public_key:
        steps += key.get("manual_steps") or []
    # No Umbrella API: done once the operator confirms this very key, or once the integration member's sync
    # after the key's creation shows that the console holds it (a creation time is needed for that).
    confirmed = bool(confirmed_public_key) and confirmed_public_key == public_key
    evidence = bool(public_key) and bool(key_created_at) and synced_since_key(results, key_created_at)
    if umbrella.get("extension") is False and not (confirmed or evidence):
        confirmation = UMBRELLA_CONFIRMATION % public_key
        if not key_created_at:
            confirmation += UMBRELLA_EVIDENCE_NEEDS_TIME
        steps += (umbrella.get("manual_steps") or []) + [confirmation]
    if not public_key:
        steps.append(UMBRELLA_AFTER_KEY)
    steps += _step(results, "mapping").get("manual_steps") or []
    return steps


def _fields(step):
    """The fields a step changed, as its module listed them (``changed_fields``): ``": ~ a: 1 → 2; + b: x"``."""
    fields = step.get("changed_fields") or []
    return (": " + "; ".join(str(field) for field in fields)) if fields else ""


def changes(results, check_mode=False, role_name="", member_identifier="", public_key="", store_path="",
            mapping_steps_path="", store_mode=""):
    verb = "would be " if check_mode else ""
    lines = []
    role, member = _step(results, "role"), _step(results, "member")
    if role.get("changed"):
        lines.append("security role '%s' %s%s" % (role_name, verb, "created" if role.get("created") else "updated")
                     + _fields(role))
    if member.get("changed"):
        lines.append("API member '%s' %s%s" % (member_identifier, verb, "created" if member.get("created") else "updated")
                     + _fields(member))
    new_key = new_key_result(results)
    if new_key:
        made = "rotated" if new_key.get("rotated") else "created"
        lines.append("API key %s%s (public key %s)" % (verb, made, new_key.get("public_key", "?")))
    if _step(results, "key_store_mode").get("changed"):
        lines.append("key store %s: mode %s %stightened to 0600" % (store_path, store_mode or "?", verb))
    if _step(results, "key_store").get("changed"):
        lines.append("key pair %sstored in %s" % (verb, store_path))
    if _step(results, "umbrella").get("changed"):
        lines.append("Umbrella PSA integration %sset to public key %s" % (verb, public_key) + _fields(_step(results, "umbrella")))
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
                  mapping_steps_path="", key_created_at="", sync_required=False, store_mode="", rotation_due=False):
    results = dict(results or {})
    public_key = public_key or ""
    # A key created this run is younger than any evidence the stage could have seen.
    created_now = (new_key_result(results).get("key") or {}).get("created_at")
    key_created_at = str(created_now or key_created_at or "")
    steps = manual_steps(results, public_key, operator_public_key or "", confirmed_public_key or "", key_created_at)
    sync, findings = sync_state(results, key_created_at)
    sync_result = _step(results, "sync")
    done = changes(results, check_mode, role_name, member_identifier, public_key, store_path, mapping_steps_path,
                   store_mode or "")
    if steps:
        status = "manual"
    elif _step(results, "role").get("created") or _step(results, "member").get("created"):
        status = "created"
    else:
        status = "changed" if done else "unchanged"
    outcome = {
        "tenant": tenant,
        "status": status,
        "check_mode": bool(check_mode),
        "changes": done,
        "manual_steps": steps,
        "public_key": public_key,
        "report": report_path if steps or findings else "",
        "sync": sync,
        "sync_findings": findings,
        "synced_companies": [str(company.get("identifier")) for company in sync_result.get("companies") or []
                             if company.get("fresh")],
        "last_sync": str(sync_result.get("last_sync") or ""),
        "key_created_at": key_created_at,
        "rotation_due": bool(rotation_due) and not new_key_result(results),
    }
    # A key created this run cannot have synced yet: awaiting its first sync fails nothing, or every new
    # tenant would fail its first run.
    if sync_required and sync not in (SYNC_NOT_CHECKED, SYNC_VERIFIED) and not (sync == SYNC_AWAITING and created_now):
        outcome.update(status="failed", failed_task=SYNC_TASK, message=required_message(sync, findings, sync_result))
    return outcome


def required_message(sync, findings, sync_result):
    """Why a tenant that must be syncing fails: the state and what to look at."""
    if sync == SYNC_AWAITING:
        last = sync_result.get("last_sync")
        reason = ("no sync by the integration member since the key in use was created (last sync: %s)"
                  % (last or "never"))
        findings = [finding for finding in sync_result.get("findings") or [] if last is None] or findings
    else:
        reason = "Umbrella's sync is %s" % sync
    return "psa_sync_required: %s%s" % (reason, "".join("; " + finding for finding in findings))


class FilterModule(object):
    def filters(self):
        return {"tenant_result": tenant_result}
