# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the cw_security_role and cw_access_info integration tests share: tenants, playbook runs, counters."""

import itertools
import os
from pathlib import Path

from support.ansible_runner import run_playbook
from support.emulator import cw_headers, new_session

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
ROLE_PLAYBOOK = PLAYBOOKS / "cw_security_role" / "role.yml"
ACCESS_PLAYBOOK = PLAYBOOKS / "cw_access_info" / "access.yml"
CLIENT_ID = "5c2f8a4e-0d7b-4f6e-9a51-3b8c1e2d4f60"
# ansible-core has no JSON stdout callback of its own; this one prints the ansible.posix.json shape.
JSON_CALLBACK_ENV = {
    "ANSIBLE_CALLBACK_PLUGINS": str(Path(__file__).resolve().parent / "callback_plugins"),
    "ANSIBLE_STDOUT_CALLBACK": "json_results",
}

# Cisco's ConnectWise integration guide: what the Umbrella integration member needs.
TABLE_SETUP_ALLOW = ["Company / Configuration", "Service / Priority", "Service / Service Board"]
CISCO_PERMISSIONS = [
    {"module": "Companies", "function": "Company Maintenance", "inquire": "All"},
    {"module": "Companies", "function": "Configurations", "add": "All", "edit": "All", "delete": "All", "inquire": "All"},
    {"module": "Service Desk", "function": "Service Tickets", "add": "All", "edit": "All", "inquire": "All"},
    {"module": "System", "function": "Table Setup", "inquire": "All", "allow": list(TABLE_SETUP_ALLOW)},
]
# The same, as a person types it into the emulator's control API ("the UI").
CISCO_UI_SETTINGS = [dict(entry) for entry in CISCO_PERMISSIONS]
for _entry in CISCO_UI_SETTINGS:
    _entry.pop("allow", None)

_company_numbers = itertools.count(1)


def new_tenant(emu, prefix):
    """A fresh ConnectWise company; returns the ``cw`` connection dict of its bootstrap (admin) key."""
    company_id = "%s%d-%d" % (prefix, os.getpid(), next(_company_numbers))
    seeded = emu.control.create_tenant(connectwise={"company_id": company_id, "client_id": CLIENT_ID})["connectwise"]
    return {"site": emu.url, "company_id": company_id, "public_key": seeded["public_key"],
            "private_key": seeded["private_key"], "client_id": CLIENT_ID, "ca_path": emu.ca_file}


def writes(emu):
    """Vendor requests other than GET since the last reset of the counters."""
    return sum(count for method, count in emu.control.stats()["by_method"].items() if method != "GET")


def vendor_requests(emu):
    return emu.control.stats()["total"]


def run_task(emu, playbook, task, cw, *args, **extra_vars):
    """Run one playbook with the counters reset first; returns (run, task result)."""
    emu.control.reset_stats()
    run = run_playbook(playbook, *args, extra_vars=dict(extra_vars, cw=cw), env=JSON_CALLBACK_ENV)
    results = run.task_results(task)
    assert len(results) == 1, "no result of %r:\n%s\n%s" % (task, run.stdout[-3000:], run.stderr[-3000:])
    return run, results[0]


def role_state(emu, cw, name):
    """The emulator's record of a role (levels by "module › function", customize labels), or None."""
    company = emu.control.state()["connectwise"][cw["company_id"]]
    for role in company["roles"]:
        if role["name"].lower() == name.lower():
            levels = {"%s › %s" % (s["module"], s["function"]): (s["addLevel"], s["editLevel"], s["deleteLevel"],
                                                                 s["inquireLevel"]) for s in role["settings"]}
            labels = sorted(i.get("label") for i in role["customize"] if i["customizeIdentifier"] == "SystemTableSetup")
            return {"id": role["id"], "levels": levels, "customize": labels}
    return None


def rest(emu, cw, method, path, body=None):
    """A plain ConnectWise REST call with the bootstrap key (what an administrator's script would send)."""
    session = new_session(emu.ca_file)
    response = session.request(method, emu.cw_base + path, json=body, timeout=30,
                               headers=cw_headers(cw["company_id"], cw["public_key"], cw["private_key"], CLIENT_ID))
    assert response.status_code < 300, "%s %s: %d %s" % (method, path, response.status_code, response.text[:300])
    return response.json() if response.content else None


def member_key_for_role(emu, cw, role_id, identifier):
    """An API member holding the role, and a key pair of it (made by a person in the UI)."""
    rest(emu, cw, "POST", "/system/apiMembers",
         {"identifier": identifier, "name": "Cisco Umbrella", "securityRole": {"id": role_id}})
    key = emu.control.cw_member_key(cw["company_id"], identifier, "Cisco Umbrella")
    return dict(cw, public_key=key["publicKey"], private_key=key["privateKey"])
