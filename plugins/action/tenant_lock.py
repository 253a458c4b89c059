# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""msp.umbrella_psa.tenant_lock: take or release a tenant's lock on the controller, in-process.

The lock belongs to the run (the ansible-playbook process), not to this task's worker: see
plugins/plugin_utils/tenant_lock.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.msp.umbrella_psa.plugins.plugin_utils import tenant_lock

ARGUMENT_SPEC = dict(
    directory=dict(type="str", required=True),
    tenant=dict(type="str", required=True),
    state=dict(type="str", choices=["held", "released"], default="held"),
    timeout=dict(type="int", default=300),
    together=dict(type="list", elements="str", default=[]),
)

display = Display()


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        dummy, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        tenant, directory = params["tenant"], params["directory"]
        # Not a change of the tenant: a converged run reports no change, in check mode as in a real run.
        result["changed"] = False
        try:
            if params["state"] == "released":
                if self._task.check_mode:
                    result["released"] = False
                    return result
                released, holder = tenant_lock.release(directory, tenant)
                result["released"] = released
                if not released and holder:
                    # Another run took the lock over (this one was believed gone): it is theirs now.
                    result["held_by"] = holder
                    result["warnings"] = ["tenant %s: the lock is held by another run, %s, and is left to it"
                                          % (tenant, tenant_lock.describe(holder))]
                return result
            # A check run writes nothing, not even a lock, but it waits for a run that holds one: a plan read
            # while another run writes would not be this run's plan.
            taken = tenant_lock.acquire(directory, tenant, params["timeout"], together=params["together"],
                                        notify=lambda message: display.display(message, stderr=True),
                                        take=not self._task.check_mode)
        except tenant_lock.LockTimeout as exc:
            raise AnsibleActionFail(str(exc), result=dict(result, held_by=exc.holder))
        except tenant_lock.LockError as exc:
            raise AnsibleActionFail(str(exc))
        result.update(held_by=taken["holder"], waited=taken["waited"])
        if taken["taken_over"]:
            result["taken_over"] = taken["taken_over"]
            result["warnings"] = [
                "tenant %s: took over the lock held by a run that is no longer running, %s"
                % (name, tenant_lock.describe(holder)) for name, holder in sorted(taken["taken_over"].items())]
        return result
