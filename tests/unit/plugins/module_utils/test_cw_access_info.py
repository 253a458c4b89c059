# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the cw_access_info engine against an in-memory ConnectWise company."""

import copy

import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_access_info
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import EngineError

from fake_cw_security import CISCO_PERMISSIONS, FUNCTIONS, FakeConnectWise

NONE = ("None",) * 4
# The integration member as the Cisco guide leaves it.
CISCO_LEVELS = dict(((m, f), NONE) for m, f in FUNCTIONS)
CISCO_LEVELS.update({
    ("Companies", "Company Maintenance"): ("None", "None", "None", "All"),
    ("Companies", "Configurations"): ("All", "All", "All", "All"),
    ("Service Desk", "Service Tickets"): ("All", "All", "None", "All"),
    ("System", "Table Setup"): ("None", "None", "None", "All"),
})


def run(fake, required=None):
    return cw_access_info.run({"required": copy.deepcopy(required or [])}, client=fake)


def test_reports_member_settings_and_customize_list():
    fake = FakeConnectWise(my_levels=CISCO_LEVELS, my_customize=[10, 1, 9])
    result = run(fake)
    assert result["changed"] is False
    assert result["member"] == {"id": 178, "identifier": "bootstrap", "name": "Bootstrap Admin"}
    assert result["settings"] == [
        {"module": "Companies", "function": "Company Maintenance", "add": "None", "edit": "None", "delete": "None", "inquire": "All"},
        {"module": "Companies", "function": "Configurations", "add": "All", "edit": "All", "delete": "All", "inquire": "All"},
        {"module": "Service Desk", "function": "Service Tickets", "add": "All", "edit": "All", "delete": "None", "inquire": "All"},
        {"module": "System", "function": "Table Setup", "add": "None", "edit": "None", "delete": "None", "inquire": "All"},
    ]
    assert result["customize"] == ["Service / Service Board", "Company / Configuration", "Service / Priority"]
    assert result["satisfied"] is True and result["missing"] == []
    assert result["manual_steps"] == []


def test_reads_only_and_filters_setup_screens_by_id():
    fake = FakeConnectWise(my_customize=[9, 10])
    run(fake)
    assert fake.writes == []
    assert fake.calls == [
        ("GET", "/system/mySecurity", None),
        ("GET", "/system/mySecurity/customizeItems/", None),
        ("GET", "/system/setupScreens", "id in (9,10)"),
    ]


def test_empty_customize_list_needs_no_setup_screens():
    fake = FakeConnectWise()
    result = run(fake)
    assert result["customize"] == []
    assert "/system/setupScreens" not in fake.paths()


def test_cisco_requirements_satisfied():
    fake = FakeConnectWise(my_levels=CISCO_LEVELS, my_customize=[1, 9, 10, 11])
    result = run(fake, CISCO_PERMISSIONS)
    assert result["satisfied"] is True and result["missing"] == []
    # allow was required: the whole table is read to resolve (and suggest) labels.
    assert ("GET", "/system/setupScreens", None) in fake.calls


def test_lists_every_shortfall():
    levels = dict(CISCO_LEVELS)
    levels[("Companies", "Configurations")] = ("None", "My", "All", "All")
    fake = FakeConnectWise(my_levels=levels, my_customize=[1, 10])
    result = run(fake, CISCO_PERMISSIONS)
    assert result["satisfied"] is False
    assert result["missing"] == [
        "Companies › Configurations: add is None, needs All; edit is My, needs All",
        "System › Table Setup allow: Service / Priority",
    ]


def test_my_satisfies_my_and_all_satisfies_my():
    levels = {("Companies", "Contacts"): ("My", "All", "None", "All")}
    fake = FakeConnectWise(my_levels=levels)
    required = [{"module": "Companies", "function": "Contacts", "add": "My", "edit": "My", "inquire": "All"}]
    assert run(fake, required)["satisfied"] is True
    required[0]["delete"] = "My"
    assert run(fake, required)["missing"] == ["Companies › Contacts: delete is None, needs My"]


def test_unknown_name_fails_with_close_matches():
    fake = FakeConnectWise()
    with pytest.raises(EngineError) as info:
        run(fake, [{"module": "Companies", "function": "Configuration"}])
    assert info.value.msg == ("required[0].function: 'Configuration' is not a function of module 'Companies'; "
                              "close matches: 'Configurations'")


def test_key_that_does_not_authenticate_fails_in_one_line_with_status():
    fake = FakeConnectWise(authenticates=False)
    with pytest.raises(EngineError) as info:
        run(fake)
    assert "\n" not in info.value.msg
    assert info.value.msg.startswith("ConnectWise GET /system/mySecurity failed: 401")
    assert info.value.result == {"status": 401}


def test_bad_required_entry_fails_before_any_request():
    fake = FakeConnectWise()
    with pytest.raises(EngineError, match=r"^required\[0\]\.allow: only System › Table Setup"):
        run(fake, [{"module": "Companies", "function": "Contacts", "allow": ["Service / Priority"]}])
    assert fake.calls == []


def test_requirement_without_allow_skips_the_customize_list():
    fake = FakeConnectWise(my_levels=CISCO_LEVELS, my_customize=[1, 9, 10])
    required = [{"module": "System", "function": "Table Setup", "inquire": "All"}]
    result = run(fake, required)
    assert result["satisfied"] is True and result["customize"] is None
    assert fake.calls == [("GET", "/system/mySecurity", None)]
