#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fleet_report
short_description: Write the fleet report of a run (markdown, JSON and JUnit XML) on the controller
version_added: 0.3.0
description:
  - Writes three files in O(path) from the results the C(msp.umbrella_psa.psa_integration) role recorded for every
    tenant (the fact C(psa_integration_result)) - C(fleet.md) for people, C(fleet.json) for scripts and
    C(fleet-junit.xml) for CI dashboards (one test case per tenant, a failure for each failed tenant).
  - Each tenant's status, changes, pending manual steps, key age, whether its key is due for rotation, and the
    evidence of Umbrella's sync where that stage ran. Identical manual steps are listed once, with the tenants
    they apply to.
  - 'C(fleet.json) has the shape of the plan''s JSON (the C(msp.umbrella_psa.plan) callback''s O(ignore:plan_json)),
    C({"tenants": {"<inventory host>": {"status", "changes", "manual_steps", ...}}}), so that a plan and the run
    after it compare tenant by tenant. Its top-level C(outcome) is V(failed) when a tenant failed, else
    V(changed) (V(changes pending) in a check run) when a tenant has changes, else V(no changes).'
  - The C(msp.umbrella_psa.provision_tenants) playbook calls it once, after the last batch, with every tenant's
    result, in the directory C(psa_fleet_report_dir).
  - Each file is replaced atomically (a temporary file in the same directory, then renamed), mode C(0644). The
    directory is created with mode C(0755) when it does not exist; the mode of an existing one is left as it is.
  - Runs in-process on the controller (an action plugin), whatever the connection of the task; no module is
    executed.
author:
  - msp.umbrella_psa contributors (@msp-automation)
extends_documentation_fragment:
  - msp.umbrella_psa.attributes
attributes:
  check_mode:
    details:
      - In check mode nothing is written; the result still has the outcome and the counts. The plan of a check run
        is the C(msp.umbrella_psa.plan) callback's. Set C(check_mode=false) on the task to write the report of a
        check run anyway (its C(check_mode) field is then V(true)).
  diff_mode:
    support: none
  platform:
    details:
      - Writes on the controller.
notes:
  - The task never reports a change. The report describes the run; rewriting it changes no tenant, and a converged
    fleet's second run stays at C(changed=0).
  - The files hold no key material. The role's results hold no secret, and a public key quoted in a change or a
    manual step is shortened to its last four characters.
options:
  path:
    description: The directory of the three files, an absolute path (a relative one is refused).
    type: path
    required: true
  results:
    description:
      - Every tenant's result, by inventory host (the fact C(psa_integration_result)).
      - A host whose result is empty or not a dictionary is listed as failed, with the message C(no result recorded).
    type: dict
    required: true
  title:
    description: The first heading of C(fleet.md) and the name of its JUnit test suite.
    type: str
    default: PSA integration
seealso:
  - plugin: msp.umbrella_psa.plan
    plugin_type: callback
    description: The plan (or run report) of a playbook run as markdown, and as JSON of the same shape.
'''

EXAMPLES = r'''
- name: Fleet report
  msp.umbrella_psa.fleet_report:
    path: /srv/inventory-reports
    results: >-
      {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
              | map(attribute='psa_integration_result', default={}))) }}
  run_once: true

# In CI: fail the job unless the run changed nothing.
#   jq -e '.outcome == "no changes"' reports/fleet.json
'''

RETURN = r'''
outcome:
  description: V(failed), V(changed) (V(changes pending) in check mode) or V(no changes), as in C(fleet.json).
  returned: always
  type: str
  sample: changed
summary:
  description: The number of tenants by status, in all (C(total)) and with a key due for rotation (C(rotation_due)).
  returned: always
  type: dict
  sample: {"created": 1, "changed": 0, "unchanged": 298, "manual": 0, "failed": 1, "total": 300, "rotation_due": 0}
written:
  description: The files were written (V(false) in check mode).
  returned: always
  type: bool
markdown_path:
  description: The markdown report, C(<path>/fleet.md).
  returned: always
  type: str
json_path:
  description: The JSON report, C(<path>/fleet.json).
  returned: always
  type: str
junit_path:
  description: The JUnit XML report, C(<path>/fleet-junit.xml).
  returned: always
  type: str
'''
