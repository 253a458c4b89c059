# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the permission-list helpers shared by cw_security_role and cw_access_info."""

import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_permissions as perms
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import EngineError

from fake_cw_security import FUNCTIONS, SCREENS, setting

CATALOGUE = perms.Catalogue([setting(i, m, f) for i, (m, f) in enumerate(FUNCTIONS)])


def entry(module="Companies", function="Company Maintenance", **levels):
    return dict({"module": module, "function": function}, **levels)


class TestLabelsAndLevels:
    def test_label_uses_the_ui_separator(self):
        assert perms.label("Companies", "Company Maintenance") == "Companies › Company Maintenance"
        assert perms.table_setup_label() == "System › Table Setup"

    def test_screen_label_is_category_slash_name(self):
        assert perms.screen_label({"id": 10, "category": "Service", "name": "Service Board"}) == "Service / Service Board"

    @pytest.mark.parametrize("actual, needed, ok", [
        ("None", "None", True), ("My", "None", True), ("All", "My", True), ("All", "All", True),
        ("My", "My", True), ("None", "My", False), ("My", "All", False), ("None", "All", False), (None, "My", False),
    ])
    def test_levels_order_none_my_all(self, actual, needed, ok):
        assert perms.level_satisfies(actual, needed) is ok

    def test_describe_levels_is_the_ui_wording(self):
        levels = {"add": "None", "edit": "My", "delete": "None", "inquire": "All"}
        assert perms.describe_levels(levels) == "Add None, Edit My, Delete None, Inquire All"

    def test_levels_of_reads_missing_levels_as_none(self):
        assert perms.levels_of({"addLevel": "All"}) == {"add": "All", "edit": "None", "delete": "None", "inquire": "None"}


class TestValidate:
    def test_defaults_levels_to_none_and_keeps_allow_none(self):
        [result] = perms.validate_permissions([entry(inquire="All")])
        assert result["levels"] == {"add": "None", "edit": "None", "delete": "None", "inquire": "All"}
        assert result["allow"] is None
        assert result["where"] == "permissions[0]"

    def test_duplicate_function_is_named_case_insensitively(self):
        with pytest.raises(EngineError) as info:
            perms.validate_permissions([entry(), entry(function="Configurations"), entry("companies", "company maintenance")])
        assert info.value.msg.startswith("permissions[2]: companies › company maintenance is listed twice (first at permissions[0])")

    def test_bad_level_names_the_field(self):
        with pytest.raises(EngineError, match=r"^required\[0\]\.edit: 'Some' is not a level"):
            perms.validate_permissions([entry(edit="Some")], "required")

    @pytest.mark.parametrize("value", [" Companies", "Companies ", "", "   ", None])
    def test_module_name_must_be_trimmed_and_present(self, value):
        with pytest.raises(EngineError, match=r"^permissions\[0\]\.module: "):
            perms.validate_permissions([entry(module=value)])

    def test_allow_only_on_table_setup(self):
        with pytest.raises(EngineError) as info:
            perms.validate_permissions([entry(allow=["Service / Priority"])])
        assert info.value.msg == ("permissions[0].allow: only System › Table Setup has a customize list "
                                  "('Allow access to these'); remove allow from Companies › Company Maintenance")

    def test_allow_labels_are_normalized_and_checked(self):
        [result] = perms.validate_permissions([entry("system", "table setup", allow=["Service/Priority", "Company /  Configuration"])])
        assert result["allow"] == ["Service / Priority", "Company / Configuration"]
        with pytest.raises(EngineError, match=r"^permissions\[0\]\.allow\[1\]: 'Service / priority' is listed twice"):
            perms.validate_permissions([entry("System", "Table Setup", allow=["Service / Priority", "Service / priority"])])
        with pytest.raises(EngineError, match=r"^permissions\[0\]\.allow\[0\]: 'Priority' is not a setup table label"):
            perms.validate_permissions([entry("System", "Table Setup", allow=["Priority"])])

    def test_empty_allow_is_kept_as_an_empty_list(self):
        [result] = perms.validate_permissions([entry("System", "Table Setup", allow=[])])
        assert result["allow"] == []


class TestCatalogue:
    def test_resolves_case_insensitively_to_the_server_spelling(self):
        [result] = CATALOGUE.resolve_all(perms.validate_permissions([entry("service desk", "SERVICE TICKETS")]))
        assert (result["module"], result["function"]) == ("Service Desk", "Service Tickets")
        assert result["record"]["id"] == 1003

    def test_unknown_function_lists_close_matches(self):
        with pytest.raises(EngineError) as info:
            CATALOGUE.resolve("companies", "Company Maintenence", "permissions[2]")
        assert info.value.msg == ("permissions[2].function: 'Company Maintenence' is not a function of module "
                                  "'Companies'; close matches: 'Company Maintenance'")

    def test_unknown_module_lists_close_matches(self):
        with pytest.raises(EngineError) as info:
            CATALOGUE.resolve("Service Dsk", "Service Tickets", "required[0]")
        assert info.value.msg == "required[0].module: 'Service Dsk' is not a ConnectWise module; close matches: 'Service Desk'"

    def test_far_off_name_says_no_close_match(self):
        with pytest.raises(EngineError, match=r"'Xyzzy' is not a function of module 'System'; no close match$"):
            CATALOGUE.resolve("System", "Xyzzy", "permissions[0]")


class TestSetupScreens:
    def test_resolve_by_label_case_insensitively(self):
        screens = perms.SetupScreens(SCREENS)
        found = screens.resolve(["service / service board", "Company / Configuration"], "permissions[3].allow")
        assert [s["id"] for s in found] == [10, 1]

    def test_unknown_label_suggests(self):
        with pytest.raises(EngineError) as info:
            perms.SetupScreens(SCREENS).resolve(["Service / Priority", "Service / Priorty"], "permissions[3].allow")
        assert info.value.msg.startswith("permissions[3].allow[1]: 'Service / Priorty' is not a setup table; "
                                         "close matches: 'Service / Priority'")

    def test_label_of_item_identifier(self):
        screens = perms.SetupScreens(SCREENS)
        assert screens.label_of("9") == "Service / Priority"
        assert screens.label_of("404") == "<setup table 404>"

    def test_table_setup_items_keeps_only_table_setup(self):
        items = [{"customizeIdentifier": "SystemTableSetup", "itemIdentifier": "1"},
                 {"customizeIdentifier": "CompanyReports", "itemIdentifier": "7"}]
        assert perms.table_setup_items(items) == items[:1]


def test_option_shape_adds_allow_only_to_table_setup():
    table_setup = setting(7, "System", "Table Setup", ("None", "None", "None", "All"))
    assert perms.option_shape(table_setup, ["Service / Priority"]) == {
        "module": "System", "function": "Table Setup", "add": "None", "edit": "None", "delete": "None",
        "inquire": "All", "allow": ["Service / Priority"]}
    assert "allow" not in perms.option_shape(setting(0, "Companies", "Contacts"), ["Service / Priority"])


def test_my_is_refused_where_the_function_offers_only_none_and_all():
    records = [dict(setting(0, "System", "Table Setup"), myAllFlag=False), dict(setting(1, "Companies", "Contacts"), myAllFlag=True)]
    catalogue = perms.Catalogue(records)
    ok = catalogue.resolve_all(perms.validate_permissions([entry("Companies", "Contacts", add="My")]))
    perms.check_my_levels(ok)
    bad = catalogue.resolve_all(perms.validate_permissions([entry("Companies", "Contacts"), entry("System", "Table Setup", edit="My")]))
    with pytest.raises(EngineError) as info:
        perms.check_my_levels(bad)
    assert info.value.msg == "permissions[1].edit: System › Table Setup offers only None and All, not My"


def test_close_matches_offer_only_names_about_as_close_as_the_best():
    names = ["Company Maintenance", "Company Finance", "Company/Contact Group Maintenance", "Contacts"]
    assert perms.close_matches("company maintenence", names) == ["Company Maintenance"]
    assert perms.close_matches("Service Tickt", ["Service Tickets", "Service Ticket", "Services"]) == [
        "Service Ticket", "Service Tickets"]
    assert perms.close_matches("Xyzzy", names) == []
