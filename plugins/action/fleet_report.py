# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""msp.umbrella_psa.fleet_report: the fleet report (markdown, JSON, JUnit XML) written on the controller.

In-process, once per run: the documents are built in Python (module_utils.fleet), not templated in
Jinja, and each file is replaced atomically.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

from ansible_collections.msp.umbrella_psa.plugins.module_utils.fleet import document, junit, markdown
from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_paths import (
    TenantPathError, check_directory, ensure_directory, write_atomically)

FILES = {"markdown": "fleet.md", "json": "fleet.json", "junit": "fleet-junit.xml"}

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    results=dict(type="dict", required=True),
    title=dict(type="str", default="PSA integration"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            directory = check_directory(params["path"], "path")
        except TenantPathError as exc:
            raise AnsibleActionFail(str(exc))
        check_mode = bool(self._task.check_mode)
        doc = document(params["results"], check_mode=check_mode, kind="run")
        paths = dict((kind, os.path.join(directory, name)) for kind, name in FILES.items())
        # A report of the run, not a change to any tenant: never reported as a change, so a converged
        # fleet's second run stays at changed=0.
        result.update(changed=False, outcome=doc["outcome"], summary=doc["summary"], written=False,
                      **dict((kind + "_path", path) for kind, path in paths.items()))
        if check_mode:
            return result
        contents = {
            "markdown": to_bytes(markdown(doc, params["title"] or "PSA integration")),
            "json": to_bytes(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"),
            "junit": junit(doc),
        }
        try:
            ensure_directory(directory, 0o755)
            for kind in ("json", "junit", "markdown"):
                write_atomically(paths[kind], contents[kind], 0o644)
        except OSError as exc:
            raise AnsibleActionFail("could not write the fleet report in %s: %s" % (directory, exc))
        result["written"] = True
        return result
