# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: plan
type: notification
short_description: Write a markdown plan (or run report) of every tenant, for a pull request comment
version_added: 0.1.0
description:
  - Collects the C(psa_integration_result) fact that the C(msp.umbrella_psa.psa_integration) role records for every
    tenant (the task I(Record the tenant's result), or I(Record the tenant's failure) of the
    C(msp.umbrella_psa.provision_tenants) playbook) and, when the playbook ends, writes one markdown document, a
    table of tenants with their status, the number of changes and of manual steps, then each tenant's changes
    and pending manual steps.
  - Run with C(--check --diff) it is the plan of a pull request; run for real it is the report of what was done.
  - Tenants that fail or are unreachable before a result is recorded are listed as failed, with the task and
    message of the failure (unless the task's output is hidden with C(no_log)).
  - The documents hold no key material. The C(public_key) of a result is never written, and a public key quoted
    in a change is shortened to its last four characters. Private keys and Umbrella API secrets are not part of
    the results at all.
  - Enable it with C(ANSIBLE_CALLBACKS_ENABLED=msp.umbrella_psa.plan) (or C(callbacks_enabled) in C(ansible.cfg)).
    It does not replace the stdout callback.
author:
  - msp.umbrella_psa contributors (@msp-automation)
options:
  plan_file:
    description:
      - Path of the markdown file to write; a relative path is taken from the directory C(ansible-playbook)
        runs in. Its directory is created if needed (the mode of an existing one is left as it is) and an
        existing file is replaced atomically.
      - When not set, the markdown is printed at the end of the run instead.
    type: path
    env:
      - name: PSA_PLAN_FILE
    ini:
      - section: callback_plan
        key: plan_file
  plan_json:
    description:
      - Path of a JSON file to write as well, the plan (or run report) for scripts; a relative path is taken from the
        directory C(ansible-playbook) runs in. Its directory is created if needed and an existing file is replaced
        atomically. Not written when not set.
      - 'Shaped C({"tenants": {"<inventory host>": {"status": ..., "changes": [...], "manual_steps": [...], ...}}}),
        as the C(fleet.json) of the M(msp.umbrella_psa.fleet_report) module, so that a plan and the run after it
        compare tenant by tenant. Beside C(tenants): C(outcome), C(summary) (the number of tenants by status),
        C(manual_steps) (each step once, with its tenants), C(check_mode), C(generated_at), C(kind) (V(plan) or
        V(run)) and C(schema_version).'
      - C(outcome) tells CI what the run found, V(failed) when a tenant failed, else V(changes pending) (V(changed)
        in a real run) when a tenant has changes, else V(no changes). Manual steps are not changes the playbook
        makes; C(summary.manual) counts their tenants. For example C(jq -e '.outcome == "no changes"' plan.json)
        exits 0 only when there is nothing to apply.
    type: path
    version_added: 0.3.0
    env:
      - name: PSA_PLAN_JSON
    ini:
      - section: callback_plan
        key: plan_json
  title:
    description:
      - First heading of the document.
    type: str
    default: PSA integration
    env:
      - name: PSA_PLAN_TITLE
    ini:
      - section: callback_plan
        key: title
requirements:
  - enabled in the callbacks_enabled setting
seealso:
  - name: GitHub Actions and GitLab CI examples
    description: Pipelines that post the plan on a pull request and apply on merge (the collection's docs/examples).
    link: https://github.com/msp-automation/umbrella_psa/tree/main/docs/examples
'''

EXAMPLES = r'''
# The plan of a pull request, as markdown in plan.md:
#   ANSIBLE_CALLBACKS_ENABLED=msp.umbrella_psa.plan PSA_PLAN_FILE=plan.md \
#     ansible-playbook msp.umbrella_psa.provision_tenants -i inventory/ --check --diff
#
# And as JSON, for CI to test its outcome ("no changes", "changes pending" or "failed"):
#   ANSIBLE_CALLBACKS_ENABLED=msp.umbrella_psa.plan PSA_PLAN_FILE=plan.md PSA_PLAN_JSON=plan.json \
#     ansible-playbook msp.umbrella_psa.provision_tenants -i inventory/ --check --diff
#   jq -r .outcome plan.json
#
# The same in ansible.cfg:
#   [defaults]
#   callbacks_enabled = msp.umbrella_psa.plan
#   [callback_plan]
#   plan_file = plan.md
#   plan_json = plan.json
'''

import json
import os

from ansible import context
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.callback import CallbackBase

from ansible_collections.msp.umbrella_psa.plugins.module_utils.fleet import document, md, shorten_key
from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_paths import ensure_directory, write_atomically

RESULT_TASKS = ("Record the tenant's result", "Record the tenant's failure")
STATUSES = ("created", "changed", "unchanged", "manual", "failed")
LABELS = {
    True: {"created": "would create", "changed": "would change", "unchanged": "unchanged",
           "manual": "manual steps", "failed": "FAILED"},
    False: {"created": "created", "changed": "changed", "unchanged": "unchanged",
            "manual": "manual steps", "failed": "FAILED"},
}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "msp.umbrella_psa.plan"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.results = {}
        self.failures = {}
        self.order = []
        self.check_mode = None

    # -- collecting ---------------------------------------------------------------------------------------
    def _seen(self, host):
        if host not in self.order:
            self.order.append(host)

    def v2_playbook_on_start(self, playbook):
        self.check_mode = bool(context.CLIARGS.get("check"))

    def v2_playbook_on_play_start(self, play):
        if getattr(play, "check_mode", False):
            self.check_mode = True

    def v2_runner_on_ok(self, result, **kwargs):
        facts = result._result.get("ansible_facts") or {}
        outcome = facts.get("psa_integration_result") if isinstance(facts, dict) else None
        if not isinstance(outcome, dict):
            return
        host = result._host.get_name()
        self._seen(host)
        self.results[host] = outcome

    def _failed(self, result, unreachable=False):
        host = result._host.get_name()
        self._seen(host)
        if host in self.failures:
            return
        answer = result._result
        if answer.get("censored"):
            message = "the output of this task is hidden (no_log)"
        else:
            message = answer.get("msg") or ("unreachable" if unreachable else "failed")
        self.failures[host] = {"failed_task": result._task.get_name() if result._task else "",
                               "message": to_text(message)}

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        if not ignore_errors:
            self._failed(result)

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._failed(result, unreachable=True)

    # -- writing --------------------------------------------------------------------------------------------
    def tenants(self):
        """(host, result) of every tenant seen: failed first, then manual steps, then the rest, by name."""
        rank = {"failed": 0, "manual": 1}
        found = []
        for host in self.order:
            outcome = self.results.get(host)
            if outcome is None:
                failure = self.failures[host]
                outcome = {"tenant": host, "status": "failed", "changes": [], "manual_steps": [], "report": "",
                           "failed_task": failure["failed_task"], "message": failure["message"]}
            found.append((host, outcome))
        return sorted(found, key=lambda item: (rank.get(item[1].get("status"), 2), item[0]))

    def markdown(self):
        tenants = self.tenants()
        check = bool(self.check_mode) or any(r.get("check_mode") in (True, "True", "true") for _h, r in tenants)
        labels = LABELS[check]
        title = self.get_option("title") or "PSA integration"
        lines = ["## %s %s" % (md(title), "plan" if check else "run"), ""]
        if check:
            lines += ["Check mode: these are the planned changes; **nothing was written**.", ""]
        counts = dict((status, 0) for status in STATUSES)
        for _host, outcome in tenants:
            counts[outcome.get("status") if outcome.get("status") in counts else "failed"] += 1
        lines.append("%d tenant(s): %s." % (len(tenants), ", ".join(
            "%d %s" % (counts[s], labels[s]) for s in STATUSES)))
        lines.append("")
        if not tenants:
            lines.append("No tenant recorded a result.")
            return "\n".join(lines) + "\n"

        lines += ["| Tenant | Status | Changes | Manual steps |", "| --- | --- | ---: | ---: |"]
        for host, outcome in tenants:
            status = outcome.get("status") if outcome.get("status") in labels else "failed"
            lines.append("| %s | %s | %d | %d |" % (md(outcome.get("tenant") or host), labels[status],
                                                    len(outcome.get("changes") or []),
                                                    len(outcome.get("manual_steps") or [])))
        lines.append("")

        for host, outcome in tenants:
            changes = outcome.get("changes") or []
            steps = outcome.get("manual_steps") or []
            failed = outcome.get("status") == "failed"
            if not (changes or steps or failed):
                continue
            public_key = to_text(outcome.get("public_key") or "")
            lines += ["### %s" % md(outcome.get("tenant") or host), ""]
            if failed:
                lines += ["**Failed** at task %s: %s" % (md(outcome.get("failed_task") or "?"),
                                                         md(outcome.get("message") or "")), ""]
            for change in changes:
                lines.append("- %s" % md(shorten_key(change, public_key)))
            if changes:
                lines.append("")
            if steps:
                report = outcome.get("report")
                lines += ["**Manual steps pending**%s:" % (" (report: %s)" % md(report) if report else ""), ""]
                for number, step in enumerate(steps, start=1):
                    lines.append("%d. %s" % (number, md(shorten_key(step, public_key))))
                lines.append("")
        return "\n".join(lines).rstrip("\n") + "\n"

    def json_document(self):
        """The plan (or run report) as the JSON document of module_utils.fleet."""
        tenants = self.tenants()
        check = bool(self.check_mode)
        return document(dict(tenants), check_mode=check, kind="plan" if check else "run")

    @staticmethod
    def _write(path, data):
        # A relative path is resolved explicitly, against the directory ansible-playbook runs in (CI
        # jobs name plan.md in their checkout); the file is replaced atomically.
        path = os.path.abspath(os.path.expanduser(path))
        ensure_directory(os.path.dirname(path), 0o755)
        write_atomically(path, data, 0o644)

    def v2_playbook_on_stats(self, stats):
        json_path = self.get_option("plan_json")
        if json_path:
            self._write(json_path, to_bytes(json.dumps(self.json_document(), indent=2, sort_keys=True,
                                                       ensure_ascii=False) + "\n"))
        text = self.markdown()
        path = self.get_option("plan_file")
        if not path:
            self._display.display(text)
            return
        self._write(path, to_bytes(text))
