# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the cw_security_role engine against an in-memory ConnectWise company."""

import copy

import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_security_role
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import ConnectWiseError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import CHECK_MODE_PLACEHOLDER, EngineError

from fake_cw_security import CISCO_PERMISSIONS, FakeConnectWise

ROLE = "Umbrella Integration"
CISCO_AFTER = {
    "name": ROLE,
    "permissions": {
        "Companies › Company Maintenance": {"add": "None", "edit": "None", "delete": "None", "inquire": "All"},
        "Companies › Configurations": {"add": "All", "edit": "All", "delete": "All", "inquire": "All"},
        "Service Desk › Service Tickets": {"add": "All", "edit": "All", "delete": "None", "inquire": "All"},
        "System › Table Setup": {"add": "None", "edit": "None", "delete": "None", "inquire": "All",
                                 "allow": ["Company / Configuration", "Service / Priority", "Service / Service Board"]},
    },
}


def params(**overrides):
    base = {"name": ROLE, "state": "present", "permissions": copy.deepcopy(CISCO_PERMISSIONS),
            "permissions_mode": "listed", "on_unsupported": "fail"}
    base.update(overrides)
    return base


def run(fake, check_mode=False, **overrides):
    return cw_security_role.run(params(**overrides), check_mode=check_mode, client=fake)


def only_role_id(fake):
    [role_id] = fake.roles
    return role_id


class TestExtendedServer:
    def test_create_writes_levels_and_customize_list(self):
        fake = FakeConnectWise()
        result = run(fake)
        role_id = only_role_id(fake)

        assert result["changed"] is True and result["created"] is True
        assert result["role"] == {"id": role_id, "name": ROLE}
        assert result["extension"] is True
        assert result["manual_steps"] == []
        assert fake.levels(role_id, "Companies", "Company Maintenance") == ("None", "None", "None", "All")
        assert fake.levels(role_id, "Service Desk", "Service Tickets") == ("All", "All", "None", "All")
        assert fake.levels(role_id, "System", "Table Setup") == ("None", "None", "None", "All")
        assert fake.customize_ids(role_id) == [1, 9, 10]
        assert result["diff"] == {"before": {}, "after": CISCO_AFTER}

    def test_create_sends_only_the_requests_it_needs(self):
        fake = FakeConnectWise()
        run(fake)
        role_id = only_role_id(fake)
        assert fake.paths("GET") == ["/system/securityRoles", "/system/mySecurity", "/system/setupScreens",
                                     "/system/securityRoles/%d/settings" % role_id]
        # Only the non-None levels are written, all in one PATCH, then the customize list in one PATCH;
        # the new role's (empty) customize list is not read.
        assert [(c[0], c[1]) for c in fake.writes] == [
            ("POST", "/system/securityRoles"), ("PATCH", "/system/securityRoles/%d/settings" % role_id),
            ("PATCH", "/system/securityRoles/%d/customizeItems" % role_id)]
        levels, customize = [c[2] for c in fake.writes[1:]]
        assert levels[0] == {"op": "replace", "path": "1000/inquireLevel", "value": "All"}
        assert len(levels) == 9  # the non-None levels of the four functions
        assert [(o["op"], o["path"], o["value"]["itemIdentifier"]) for o in customize] == [
            ("add", "-", "1"), ("add", "-", "9"), ("add", "-", "10")]

    def test_second_run_is_ok_with_zero_writes(self):
        fake = FakeConnectWise()
        first = run(fake)
        calls_before = len(fake.calls)
        second = run(fake)
        new_calls = fake.calls[calls_before:]

        assert second["changed"] is False and second["created"] is False
        assert [c for c in new_calls if c[0] != "GET"] == []
        assert len(new_calls) == 4  # find, settings, setup screens, customize list
        assert second["diff"]["before"] == second["diff"]["after"] == CISCO_AFTER
        assert second["permissions"] == first["permissions"]

    def test_check_mode_predicts_the_creation_without_writing(self):
        fake = FakeConnectWise()
        predicted = run(fake, check_mode=True)
        assert fake.writes == []
        assert predicted["changed"] is True and predicted["created"] is True
        assert predicted["role"] == {"id": CHECK_MODE_PLACEHOLDER, "name": ROLE}
        # Asked of role id 0 (no role has it): the route answers, so the levels would be written.
        assert predicted["extension"] is True and not predicted.get("manual_steps")

        real = run(fake)
        assert predicted["diff"] == real["diff"]
        assert predicted["permissions"] == real["permissions"]

    def test_check_mode_on_a_drifted_role_predicts_without_writing(self):
        fake = FakeConnectWise()
        role_id = fake.add_role(ROLE, {("Companies", "Company Maintenance"): ("All", "All", "All", "All")},
                                customize=[1, 11])
        predicted = run(fake, check_mode=True)
        assert fake.writes == []
        assert predicted["changed"] is True and predicted["created"] is False
        assert predicted["extension"] is True  # the customize list read told
        assert predicted["diff"]["before"]["permissions"]["System › Table Setup"] == {
            "add": "None", "edit": "None", "delete": "None", "inquire": "None",
            "allow": ["Company / Configuration", "Service / SLA"]}
        real = run(fake)
        assert predicted["diff"] == real["diff"]
        assert fake.customize_ids(role_id) == [1, 9, 10]

    def test_patch_carries_only_the_changed_fields(self):
        fake = FakeConnectWise()
        role_id = fake.add_role(ROLE, {("Companies", "Configurations"): ("All", "My", "All", "All")})
        run(fake, permissions=[CISCO_PERMISSIONS[1]])
        [patch] = [c for c in fake.calls if c[0] == "PATCH"]
        assert patch[1] == "/system/securityRoles/%d/settings" % role_id
        assert patch[2] == [{"op": "replace", "path": "1001/editLevel", "value": "All"}]

    def test_listed_leaves_other_functions_and_exact_clears_them(self):
        fake = FakeConnectWise()
        role_id = fake.add_role(ROLE, {("System", "Members"): ("All", "All", "None", "All")})
        listed = run(fake)
        assert fake.levels(role_id, "System", "Members") == ("All", "All", "None", "All")
        assert "System › Members" in listed["diff"]["after"]["permissions"]

        exact = run(fake, permissions_mode="exact")
        assert fake.levels(role_id, "System", "Members") == ("None",) * 4
        assert exact["changed"] is True
        assert exact["diff"]["after"] == CISCO_AFTER
        assert {(p["module"], p["function"]) for p in exact["permissions"]} == {
            ("Companies", "Company Maintenance"), ("Companies", "Configurations"),
            ("Service Desk", "Service Tickets"), ("System", "Table Setup")}

    def test_customize_list_becomes_exactly_allow(self):
        fake = FakeConnectWise()
        role_id = fake.add_role(ROLE, customize=[1, 11])
        result = run(fake)
        assert fake.customize_ids(role_id) == [1, 9, 10]
        [patch] = [c for c in fake.writes if c[1].endswith("customizeItems")]
        assert patch[:2] == ("PATCH", "/system/securityRoles/%d/customizeItems" % role_id)
        assert [(o["op"], o["path"]) for o in patch[2]] == [("add", "-"), ("add", "-"), ("remove", "701")]
        assert result["diff"]["after"]["permissions"]["System › Table Setup"]["allow"] == CISCO_AFTER[
            "permissions"]["System › Table Setup"]["allow"]

    def test_omitted_allow_leaves_the_customize_list_unread(self):
        fake = FakeConnectWise()
        fake.add_role(ROLE, customize=[11])
        perms = copy.deepcopy(CISCO_PERMISSIONS)
        del perms[3]["allow"]
        run(fake, permissions=perms)
        assert not any("customizeItems" in path or "setupScreens" in path for path in fake.paths())

    def test_role_names_compare_case_insensitively(self):
        fake = FakeConnectWise()
        fake.add_role("umbrella integration")
        result = run(fake)
        assert result["created"] is False and len(fake.roles) == 1


class TestValidationBeforeAnyWrite:
    @pytest.mark.parametrize("name, message", [
        (" Umbrella", r"^name: ' Umbrella' has leading or trailing whitespace"),
        ("U" * 31, r"^name: 'U{31}' is 31 characters long; ConnectWise allows at most 30: shorten it$"),
        ("   ", r"^name: must not be empty$"),
    ])
    def test_bad_name_fails_without_a_request(self, name, message):
        fake = FakeConnectWise()
        with pytest.raises(EngineError, match=message):
            run(fake, name=name)
        assert fake.calls == []

    def test_allow_outside_table_setup_fails_without_a_request(self):
        fake = FakeConnectWise()
        perms = copy.deepcopy(CISCO_PERMISSIONS)
        perms[0]["allow"] = ["Service / Priority"]
        with pytest.raises(EngineError, match=r"^permissions\[0\]\.allow: only System › Table Setup"):
            run(fake, permissions=perms)
        assert fake.calls == []

    def test_unknown_function_of_a_new_role_fails_before_creating_it(self):
        fake = FakeConnectWise()
        perms = copy.deepcopy(CISCO_PERMISSIONS)
        perms[0]["function"] = "Company Maintenence"
        with pytest.raises(EngineError) as info:
            run(fake, permissions=perms)
        assert info.value.msg == ("permissions[0].function: 'Company Maintenence' is not a function of module "
                                  "'Companies'; close matches: 'Company Maintenance'")
        assert fake.writes == [] and fake.roles == {}

    def test_unknown_setup_table_fails_before_any_write(self):
        fake = FakeConnectWise()
        role_id = fake.add_role(ROLE)
        perms = copy.deepcopy(CISCO_PERMISSIONS)
        perms[3]["allow"][1] = "Service / Priorty"
        with pytest.raises(EngineError, match=r"^permissions\[3\]\.allow\[1\]: 'Service / Priorty' is not a setup "
                                              r"table; close matches: 'Service / Priority'"):
            run(fake, permissions=perms)
        assert fake.writes == []
        assert fake.levels(role_id, "System", "Table Setup") == ("None",) * 4

    def test_two_roles_with_the_name_fail(self):
        fake = FakeConnectWise()
        fake.add_role(ROLE)
        fake.add_role(ROLE.upper())
        with pytest.raises(EngineError, match=r"^name: 2 security roles are named"):
            run(fake)
        assert fake.writes == []


class TestPublicServer:
    def test_check_mode_predicts_the_steps_the_run_will_hand_over(self):
        fake = FakeConnectWise(extension=False)
        predicted = run(fake, check_mode=True, on_unsupported="report")
        assert fake.writes == [] and predicted["extension"] is False
        done = run(fake, on_unsupported="report")
        assert predicted["manual_steps"] == done["manual_steps"] and len(done["manual_steps"]) == 5

    def test_report_creates_the_role_and_returns_the_steps(self):
        fake = FakeConnectWise(extension=False)
        result = run(fake, on_unsupported="report")
        role_id = only_role_id(fake)

        assert result["changed"] is True and result["created"] is True
        assert result["extension"] is False
        assert result["permissions"] == []  # what the role holds, not what was asked
        assert result["manual_steps"][0] == (
            "ConnectWise: System › Security Roles › Umbrella Integration: set Companies › Company Maintenance "
            "to Add None, Edit None, Delete None, Inquire All, then Save.")
        assert len(result["manual_steps"]) == 5
        assert result["manual_steps"][4].startswith(
            "ConnectWise: System › Security Roles › Umbrella Integration › System › Table Setup › Customize: "
            "under 'Allow access to these' select exactly Company / Configuration, Service / Priority, "
            "Service / Service Board, then Save.")
        assert "cw_access_info" in result["manual_steps"][4]
        # One write probe only: no further PATCH after the first unsupported answer, no customize POST.
        assert [c[0] for c in fake.writes] == ["POST", "PATCH"]
        assert fake.levels(role_id, "Companies", "Company Maintenance") == ("None",) * 4

    def test_fail_raises_with_the_steps_and_says_the_role_was_created(self):
        fake = FakeConnectWise(extension=False)
        with pytest.raises(EngineError) as info:
            run(fake)
        assert "on_unsupported=report" in info.value.msg
        assert "(1) ConnectWise: System › Security Roles › Umbrella Integration: set Companies" in info.value.msg
        assert info.value.result["created"] is True and info.value.result["changed"] is True
        assert len(info.value.result["manual_steps"]) == 5
        assert len(fake.roles) == 1

    def test_steps_done_by_hand_are_verified_on_the_next_run(self):
        fake = FakeConnectWise(extension=False)
        run(fake, on_unsupported="report")
        role_id = only_role_id(fake)
        # A person follows the level steps in the UI.
        levels = {("Companies", "Company Maintenance"): ("None", "None", "None", "All"),
                  ("Companies", "Configurations"): ("All",) * 4,
                  ("Service Desk", "Service Tickets"): ("All", "All", "None", "All"),
                  ("System", "Table Setup"): ("None", "None", "None", "All")}
        for record in fake.settings[role_id]:
            wanted = levels.get((record["moduleName"], record["moduleFunctionName"]))
            if wanted:
                record.update(zip(("addLevel", "editLevel", "deleteLevel", "inquireLevel"), wanted))
        calls_before = len(fake.calls)

        again = run(fake, on_unsupported="report")
        assert again["changed"] is False
        # The customize list cannot be read per role: it stays a step; no level step is left.
        assert len(again["manual_steps"]) == 1 and "Customize" in again["manual_steps"][0]
        assert [c for c in fake.calls[calls_before:] if c[0] != "GET"] == []
        assert "allow" not in next(p for p in again["permissions"] if p["function"] == "Table Setup")

        perms = copy.deepcopy(CISCO_PERMISSIONS)
        del perms[3]["allow"]
        without_allow = run(fake, permissions=perms)  # on_unsupported=fail: nothing left, so no failure
        assert without_allow["manual_steps"] == [] and without_allow["changed"] is False
        assert without_allow["extension"] is None

    def test_existing_role_learns_from_the_customize_read_and_sends_no_write(self):
        fake = FakeConnectWise(extension=False)
        fake.add_role(ROLE)
        result = run(fake, on_unsupported="report")
        assert fake.writes == []
        assert result["changed"] is False and result["extension"] is False
        assert len(result["manual_steps"]) == 5

    def test_check_mode_with_a_customize_read_predicts_the_steps(self):
        fake = FakeConnectWise(extension=False)
        fake.add_role(ROLE)
        predicted = run(fake, check_mode=True, on_unsupported="report")
        real = run(fake, on_unsupported="report")
        assert fake.writes == []
        assert predicted == real


class TestAbsent:
    def test_deletes_the_role(self):
        fake = FakeConnectWise()
        role_id = fake.add_role(ROLE, {("Companies", "Contacts"): ("None", "None", "None", "My")})
        result = run(fake, state="absent")
        assert result["changed"] is True and result["role"] is None
        assert fake.roles == {}
        assert ("DELETE", "/system/securityRoles/%d" % role_id, None) in fake.calls
        assert result["diff"] == {"before": {"name": ROLE, "permissions": {
            "Companies › Contacts": {"add": "None", "edit": "None", "delete": "None", "inquire": "My"}}}, "after": {}}

    def test_missing_role_is_ok_with_one_request(self):
        fake = FakeConnectWise()
        result = run(fake, state="absent")
        assert result["changed"] is False
        assert len(fake.calls) == 1

    def test_check_mode_deletes_nothing(self):
        fake = FakeConnectWise()
        fake.add_role(ROLE)
        result = run(fake, state="absent", check_mode=True)
        assert result["changed"] is True and fake.writes == [] and len(fake.roles) == 1

    def test_role_held_by_members_explains_what_to_do(self):
        fake = FakeConnectWise()
        role_id = fake.add_role(ROLE)
        fake.held.add(role_id)
        with pytest.raises(EngineError) as info:
            run(fake, state="absent")
        assert info.value.msg == ("role 'Umbrella Integration' is still assigned to members; assign them another "
                                  "role first (vendor said: Security role is in use by 2 members.)")
        assert role_id in fake.roles


def role_exists():
    return ConnectWiseError(400, "InvalidObject", "SecurityRole object is invalid", method="POST",
                            path="/system/securityRoles",
                            errors=[{"code": "ObjectExists", "message": "The name is already in use.", "field": "name"}])


def refuse_the_post_after(fake, other_role=None):
    """ConnectWise refuses this run's POST: another run created the role after this run's lookup."""
    original_post = fake.post

    def post(path, body, recover=None):
        if path != "/system/securityRoles":
            return original_post(path, body, recover)
        fake.calls.append(("POST", path, copy.deepcopy(body)))
        if other_role is not None:
            fake.add_role(other_role, levels={("Companies", "Company Maintenance"): ("None", "None", "None", "All")})
        raise role_exists()
    fake.post = post


def test_a_role_another_run_created_meanwhile_is_kept_and_completed():
    fake = FakeConnectWise()
    refuse_the_post_after(fake, other_role=ROLE)
    result = run(fake)
    role_id = only_role_id(fake)
    assert result["created"] is False and result["changed"] is True
    assert result["role"] == {"id": role_id, "name": ROLE}
    # The other run's role is brought to the same permissions a role this run created would have.
    assert fake.levels(role_id, "Service Desk", "Service Tickets") == ("All", "All", "None", "All")
    assert fake.customize_ids(role_id) == [1, 9, 10]
    assert result["diff"]["before"]["permissions"]["Companies › Company Maintenance"]["inquire"] == "All"
    assert result["diff"]["after"] == CISCO_AFTER
    assert run(fake)["changed"] is False


def test_a_role_name_refused_but_not_found_is_named_with_the_fix():
    fake = FakeConnectWise()
    refuse_the_post_after(fake)
    with pytest.raises(EngineError) as info:
        run(fake)
    message = str(info.value)
    assert message.startswith("name: ConnectWise answers that security role %r already exists" % ROLE)
    assert "ObjectExists" in message
    assert [c[0] for c in fake.writes] == ["POST"]


def test_the_role_post_recovers_the_role_by_its_name():
    fake = FakeConnectWise()
    result = cw_security_role.run(params(permissions=[]), client=fake)
    # What the engine reads back when the POST's answer is lost: the role it made.
    assert fake.recover() == fake.roles[result["role"]["id"]]
