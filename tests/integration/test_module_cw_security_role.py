# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""msp.umbrella_psa.cw_security_role in real ansible-playbook runs against the emulator, both profiles."""

import copy

import pytest

from support.emulator import EmulatorProcess

from cw_security_helpers import (
    CISCO_PERMISSIONS,
    CISCO_UI_SETTINGS,
    ROLE_PLAYBOOK,
    TABLE_SETUP_ALLOW,
    member_key_for_role,
    new_tenant,
    rest,
    role_state,
    run_task,
    vendor_requests,
    writes,
)

TASK = "Security role"
ROLE = "Umbrella Integration"
CISCO_LEVELS = {
    "Companies › Company Maintenance": ("None", "None", "None", "All"),
    "Companies › Configurations": ("All", "All", "All", "All"),
    "Service Desk › Service Tickets": ("All", "All", "None", "All"),
    "System › Table Setup": ("None", "None", "None", "All"),
}


@pytest.fixture(scope="module")
def extended():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


@pytest.fixture(scope="module")
def public():
    with EmulatorProcess(profile="public") as emu:
        yield emu


def granted(state):
    return {label: levels for label, levels in state["levels"].items() if levels != ("None",) * 4}


def play(emu, cw, *args, **extra_vars):
    extra_vars.setdefault("role_name", ROLE)
    extra_vars.setdefault("permissions", copy.deepcopy(CISCO_PERMISSIONS))
    return run_task(emu, ROLE_PLAYBOOK, TASK, cw, *args, **extra_vars)


class TestExtended:
    def test_check_create_rerun(self, extended):
        cw = new_tenant(extended, "role")

        run, predicted = play(extended, cw, "--check", "--diff")
        assert run.returncode == 0, predicted
        assert predicted["changed"] is True and predicted["created"] is True
        assert predicted["role"] == {"id": "<created in check mode>", "name": ROLE}
        assert writes(extended) == 0
        assert role_state(extended, cw, ROLE) is None

        run, created = play(extended, cw, "--diff")
        assert run.returncode == 0, created
        assert created["changed"] is True and created["created"] is True and created["extension"] is True
        assert created["manual_steps"] == []
        state = role_state(extended, cw, ROLE)
        assert granted(state) == CISCO_LEVELS
        assert state["customize"] == TABLE_SETUP_ALLOW
        assert created["role"] == {"id": state["id"], "name": ROLE}
        # POST role, one PATCH for all its settings, one PATCH for its customize list; nothing re-read.
        assert writes(extended) == 1 + 1 + 1
        assert created["diff"]["before"] == {}
        assert predicted["diff"] == created["diff"]
        assert created["diff"]["after"]["permissions"]["System › Table Setup"]["allow"] == TABLE_SETUP_ALLOW

        run, again = play(extended, cw, "--diff")
        assert run.returncode == 0 and again["changed"] is False
        assert writes(extended) == 0
        # companyinfo (a new process), find, settings, setup screens, customize list
        assert vendor_requests(extended) == 5
        assert again["diff"]["before"] == again["diff"]["after"] == created["diff"]["after"]
        assert again["permissions"] == created["permissions"]

        run, checked = play(extended, cw, "--check")
        assert run.returncode == 0 and checked["changed"] is False and writes(extended) == 0

    def test_exact_mode_clears_functions_not_listed(self, extended):
        cw = new_tenant(extended, "exact")
        wider = copy.deepcopy(CISCO_PERMISSIONS) + [{"module": "Companies", "function": "Contacts", "inquire": "All"}]
        run, _result = play(extended, cw, permissions=wider)
        assert run.returncode == 0
        assert granted(role_state(extended, cw, ROLE))["Companies › Contacts"] == ("None", "None", "None", "All")

        run, listed = play(extended, cw)
        assert run.returncode == 0 and listed["changed"] is False

        run, exact = play(extended, cw, "--diff", permissions_mode="exact")
        assert run.returncode == 0 and exact["changed"] is True
        assert writes(extended) == 1
        assert granted(role_state(extended, cw, ROLE)) == CISCO_LEVELS
        assert "Companies › Contacts" in exact["diff"]["before"]["permissions"]
        assert "Companies › Contacts" not in exact["diff"]["after"]["permissions"]

    def test_customize_list_follows_allow(self, extended):
        cw = new_tenant(extended, "allow")
        play(extended, cw)
        narrower = copy.deepcopy(CISCO_PERMISSIONS)
        narrower[3]["allow"] = ["Service / Service Board", "Service / SLA"]
        run, result = play(extended, cw, permissions=narrower)
        assert run.returncode == 0 and result["changed"] is True
        assert role_state(extended, cw, ROLE)["customize"] == ["Service / SLA", "Service / Service Board"]
        assert writes(extended) == 1  # one PATCH: one item added, two removed

    @pytest.mark.parametrize("change, message", [
        (("function", 0, "Company Maintenence"),
         "permissions[0].function: 'Company Maintenence' is not a function of module 'Companies'; "
         "close matches: 'Company Maintenance'"),
        (("module", 2, "Service Dsk"),
         "permissions[2].module: 'Service Dsk' is not a ConnectWise module; close matches: 'Service Desk'"),
        (("allow", 3, ["Service / Priorty"]),
         "permissions[3].allow[0]: 'Service / Priorty' is not a setup table; close matches: 'Service / Priority'"),
        (("allow", 1, ["Service / Priority"]),
         "permissions[1].allow: only System › Table Setup has a customize list ('Allow access to these'); "
         "remove allow from Companies › Configurations"),
        (("edit", 3, "My"), "permissions[3].edit: System › Table Setup offers only None and All, not My"),
    ])
    def test_bad_input_fails_before_any_write(self, extended, change, message):
        cw = new_tenant(extended, "bad")
        field, index, value = change
        permissions = copy.deepcopy(CISCO_PERMISSIONS)
        permissions[index][field] = value
        run, result = play(extended, cw, permissions=permissions)
        assert run.returncode != 0
        assert result["failed"] is True and result["msg"] == message
        assert writes(extended) == 0
        assert role_state(extended, cw, ROLE) is None

    def test_bad_name_fails_without_a_request(self, extended):
        cw = new_tenant(extended, "name")
        run, result = play(extended, cw, role_name="Umbrella Integration ")
        assert run.returncode != 0
        assert result["msg"].startswith("name: 'Umbrella Integration ' has leading or trailing whitespace")
        assert vendor_requests(extended) == 0

    def test_absent(self, extended):
        cw = new_tenant(extended, "absent")
        play(extended, cw)

        run, checked = play(extended, cw, "--check", role_state="absent")
        assert run.returncode == 0 and checked["changed"] is True and writes(extended) == 0

        run, deleted = play(extended, cw, "--diff", role_state="absent")
        assert run.returncode == 0 and deleted["changed"] is True and deleted["role"] is None
        assert deleted["diff"]["after"] == {} and deleted["diff"]["before"]["name"] == ROLE
        assert role_state(extended, cw, ROLE) is None

        run, again = play(extended, cw, role_state="absent")
        assert run.returncode == 0 and again["changed"] is False and writes(extended) == 0

    def test_absent_refused_while_a_member_holds_the_role(self, extended):
        cw = new_tenant(extended, "held")
        play(extended, cw)
        member_key_for_role(extended, cw, role_state(extended, cw, ROLE)["id"], "umbrella")
        run, result = play(extended, cw, role_state="absent")
        assert run.returncode != 0
        assert result["msg"].startswith("role 'Umbrella Integration' is still assigned to members; "
                                        "assign them another role first (vendor said: ")
        assert "\n" not in result["msg"]
        assert role_state(extended, cw, ROLE) is not None

    def test_private_key_never_reaches_the_output(self, extended):
        cw = new_tenant(extended, "secret")
        run, _result = play(extended, cw, "-vvv", "--diff")
        assert run.returncode == 0
        assert cw["private_key"] not in run.stdout + run.stderr


class TestPublic:
    def test_role_created_then_manual_steps_verified(self, public):
        cw = new_tenant(public, "pub")

        run, predicted = play(public, cw, "--check", on_unsupported="report")
        assert run.returncode == 0 and predicted["changed"] is True and writes(public) == 0

        run, created = play(public, cw, "--diff", on_unsupported="report")
        assert run.returncode == 0, created
        assert created["changed"] is True and created["created"] is True and created["extension"] is False
        state = role_state(public, cw, ROLE)
        assert granted(state) == {}
        assert created["permissions"] == []
        assert created["manual_steps"][:4] == [
            "ConnectWise: System › Security Roles › Umbrella Integration: set %s to Add %s, Edit %s, Delete %s, "
            "Inquire %s, then Save." % ((label,) + levels) for label, levels in CISCO_LEVELS.items()]
        assert created["manual_steps"][4].startswith(
            "ConnectWise: System › Security Roles › Umbrella Integration › System › Table Setup › Customize: "
            "under 'Allow access to these' select exactly Company / Configuration, Service / Priority, "
            "Service / Service Board, then Save.")
        # The role is created through the public API; a single PATCH probe found out the rest.
        assert writes(public) == 2

        run, failed = play(public, cw)  # on_unsupported=fail
        assert run.returncode != 0 and failed["failed"] is True
        assert "set on_unsupported=report" in failed["msg"]
        assert "(1) ConnectWise: System › Security Roles › Umbrella Integration: set Companies › Company " \
               "Maintenance to Add None, Edit None, Delete None, Inquire All, then Save." in failed["msg"]
        assert len(failed["manual_steps"]) == 5
        assert writes(public) == 0

        # A person does the steps in the ConnectWise UI.
        public.control.cw_role_settings(cw["company_id"], state["id"], settings=CISCO_UI_SETTINGS,
                                        customize=TABLE_SETUP_ALLOW)

        run, verified = play(public, cw, "--diff", on_unsupported="report")
        assert run.returncode == 0 and verified["changed"] is False
        assert writes(public) == 0
        # No level step is left; the customize list stays a step: only the member's key can read it.
        assert len(verified["manual_steps"]) == 1 and "Customize" in verified["manual_steps"][0]
        assert {(p["module"], p["function"]) for p in verified["permissions"]} == {
            tuple(label.split(" › ")) for label in CISCO_LEVELS}

        levels_only = copy.deepcopy(CISCO_PERMISSIONS)
        del levels_only[3]["allow"]
        run, done = play(public, cw, permissions=levels_only)
        assert run.returncode == 0 and done["changed"] is False and done["manual_steps"] == []
        assert writes(public) == 0

    def test_absent_through_the_public_api(self, public):
        cw = new_tenant(public, "pubdel")
        rest(public, cw, "POST", "/system/securityRoles", {"name": ROLE})
        run, deleted = play(public, cw, role_state="absent")
        assert run.returncode == 0 and deleted["changed"] is True
        assert role_state(public, cw, ROLE) is None
