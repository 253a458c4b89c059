# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""msp.umbrella_psa.cw_access_info in real ansible-playbook runs against the emulator, both profiles.

It reads the published API only, so both profiles must answer the same.
"""

import copy

import pytest

from support.emulator import EmulatorProcess

from cw_security_helpers import (
    ACCESS_PLAYBOOK,
    CISCO_PERMISSIONS,
    CISCO_UI_SETTINGS,
    TABLE_SETUP_ALLOW,
    member_key_for_role,
    new_tenant,
    rest,
    run_task,
    vendor_requests,
    writes,
)

TASK = "Access of the key"


@pytest.fixture(scope="module", params=["extended", "public"])
def emu(request):
    with EmulatorProcess(profile=request.param) as process:
        yield process


def access(emu, cw, *args, **extra_vars):
    return run_task(emu, ACCESS_PLAYBOOK, TASK, cw, *args, **extra_vars)


def integration_key(emu, cw, customize):
    """A role set up by hand as Cisco's guide says (customize list as given) and a member key holding it."""
    role = rest(emu, cw, "POST", "/system/securityRoles", {"name": "Umbrella Integration"})
    emu.control.cw_role_settings(cw["company_id"], role["id"], settings=CISCO_UI_SETTINGS, customize=customize)
    return member_key_for_role(emu, cw, role["id"], "umbrella")


def test_bootstrap_key_sees_its_member_and_full_access(emu):
    cw = new_tenant(emu, "boot")
    run, result = access(emu, cw, "--check", required=CISCO_PERMISSIONS)
    assert run.returncode == 0, result
    assert result["changed"] is False and result["manual_steps"] == []
    assert result["member"]["identifier"] == "admin"
    assert result["satisfied"] is True and result["missing"] == []
    assert set(TABLE_SETUP_ALLOW) <= set(result["customize"])
    assert {"module": "System", "function": "Security Roles", "add": "All", "edit": "All", "delete": "All",
            "inquire": "All"} in result["settings"]
    assert writes(emu) == 0


def test_integration_key_verifies_the_manual_steps(emu):
    cw = new_tenant(emu, "verify")
    key = integration_key(emu, cw, TABLE_SETUP_ALLOW)
    run, result = access(emu, key, required=CISCO_PERMISSIONS)
    assert run.returncode == 0, result
    assert result["member"]["identifier"] == "umbrella"
    assert sorted(result["customize"]) == TABLE_SETUP_ALLOW
    assert sorted((s["module"], s["function"]) for s in result["settings"]) == sorted(
        (p["module"], p["function"]) for p in CISCO_PERMISSIONS)
    assert result["satisfied"] is True
    # companyinfo, mySecurity, customize items, setup screens; nothing written
    assert vendor_requests(emu) == 4 and writes(emu) == 0


def test_shortfalls_are_listed_one_per_line(emu):
    cw = new_tenant(emu, "short")
    key = integration_key(emu, cw, ["Company / Configuration", "Service / Service Board"])
    required = copy.deepcopy(CISCO_PERMISSIONS)
    required[2]["delete"] = "All"
    run, result = access(emu, key, required=required)
    assert run.returncode == 0, result
    assert result["satisfied"] is False
    assert result["missing"] == ["Service Desk › Service Tickets: delete is None, needs All",
                                 "System › Table Setup allow: Service / Priority"]


def test_unknown_name_fails_with_close_matches(emu):
    cw = new_tenant(emu, "typo")
    run, result = access(emu, cw, required=[{"module": "Companies", "function": "Configuration", "inquire": "All"}])
    assert run.returncode != 0
    assert result["msg"] == ("required[0].function: 'Configuration' is not a function of module 'Companies'; "
                             "close matches: 'Configurations'")


def test_key_that_does_not_authenticate_fails_in_one_line(emu):
    cw = new_tenant(emu, "badkey")
    wrong = dict(cw, private_key="not-the-private-key")
    run, result = access(emu, wrong)
    assert run.returncode != 0 and result["failed"] is True
    assert result["status"] == 401
    assert result["msg"].startswith("ConnectWise GET /system/mySecurity failed: 401")
    assert "\n" not in result["msg"]
    assert "not-the-private-key" not in run.stdout + run.stderr
