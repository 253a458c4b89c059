# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The in-process entry point of every resource: run the engine inside the controller's worker.

Running as an action plugin skips the interpreter start, AnsiballZ packaging and re-import of
``requests`` that every module run pays: for hundreds of tenants that is most of the wall time.
When the task's connection is not local (a jump host, ``delegate_to``), the module of the same name
is executed there instead, with the very same engine.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import holds_secret, run_engine
from ansible_collections.msp.umbrella_psa.plugins.plugin_utils.run_cache import RunCache
from ansible_collections.msp.umbrella_psa.plugins.plugin_utils.worker_preload import preload_for_workers

# Ansible's strategy imports this module in ansible-playbook itself (to read the plugin's class)
# before it forks the task's workers: the default CA bundle (about 40 ms of CPU for a bundle of
# public CAs) and the filter, test and lookup plugins, loaded here once, are shared by every worker
# instead of being loaded again by each task.
preload_for_workers()


class EngineAction(ActionBase):
    """Subclasses set ``ENGINE`` to the engine module (``plugins/module_utils/<name>.py``)."""

    ENGINE = None
    TRANSFERS_FILES = False
    _VALID_ARGS = None  # validated against the engine's argument spec instead

    def _runs_here(self):
        return getattr(self._connection, "transport", "local") == "local"

    def run(self, tmp=None, task_vars=None):
        result = super(EngineAction, self).run(tmp, task_vars)
        del tmp
        if self._runs_here():
            result.update(self._run_engine())
        else:
            result.update(self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                               module_args=self._task.args, task_vars=task_vars))
        if holds_secret(self.ENGINE, result):
            # A secret the server returned (a new key's private half) is no option value Ansible
            # could mask: the whole result is hidden, whatever the task's own no_log says.
            result["_ansible_no_log"] = True
        return result

    def _run_engine(self):
        """Validate the task's options against the engine's spec and run the engine in this worker."""
        validation, params = self.validate_argument_spec(
            argument_spec=self.ENGINE.ARGUMENT_SPEC, **getattr(self.ENGINE, "ARGUMENT_OPTIONS", {}))
        no_log_values = validation._no_log_values
        # Tokens and read-only server facts (codebase, catalogues) outlive this worker process: the
        # engine's clients are handed the run cache, and the next task (another fork) reuses what
        # they put there. The cache connects on first use only.
        try:
            failed, outcome = run_engine(self.ENGINE, params, check_mode=bool(self._task.check_mode),
                                         diff=bool(self._task.diff), cache=RunCache())
        except Exception as exc:  # an unexpected bug; the message must not carry a secret either
            raise AnsibleActionFail(remove_values("Unexpected error: %s" % exc, no_log_values))
        result = remove_values(outcome, no_log_values)
        if failed:
            result["failed"] = True
        return result
