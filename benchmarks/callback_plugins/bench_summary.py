# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stdout callback of the benchmark: per-host task counts, printed once as JSON at the end.

The json callback keeps every task result of every host in memory until the play ends, which
grows with the tenant count and would hide whether the flow itself runs in flat memory. This one
keeps a handful of integers per host and the first few failures.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_summary
type: stdout
short_description: per-host task counts as one JSON document (benchmarks)
description:
  - Counts the task results of every host (ok, changed, skipped, failed, unreachable) and prints
    them, with the first failures, as one JSON document when the playbook ends.
"""

MAX_FAILURES = 20
OUTCOMES = ("ok", "changed", "skipped", "failed", "unreachable", "ignored")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "bench_summary"

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._hosts = {}
        self._failures = []
        self._task_names = set()

    def _count(self, result, outcome):
        counts = self._hosts.setdefault(result._host.get_name(), dict.fromkeys(("tasks",) + OUTCOMES, 0))
        counts["tasks"] += 1
        counts[outcome] += 1
        if outcome == "ok" and result._result.get("changed"):
            counts["changed"] += 1
        self._task_names.add(result._task.get_name())

    def _failure(self, result, outcome):
        if len(self._failures) < MAX_FAILURES:
            # no_log tasks arrive censored already; keep only the message line.
            message = result._result.get("msg") or result._result.get("message") or ""
            self._failures.append({"host": result._host.get_name(), "task": result._task.get_name(),
                                   "outcome": outcome, "msg": str(message)[:500]})

    def v2_runner_on_ok(self, result):
        self._count(result, "ok")

    def v2_runner_on_skipped(self, result):
        self._count(result, "skipped")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            self._count(result, "ignored")
        else:
            self._count(result, "failed")
            self._failure(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._count(result, "unreachable")
        self._failure(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._display.display(json.dumps({
            "hosts": self._hosts,
            "distinct_tasks": len(self._task_names),
            "failures": self._failures,
        }, sort_keys=True))
