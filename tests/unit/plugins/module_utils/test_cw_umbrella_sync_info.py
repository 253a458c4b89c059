# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the cw_umbrella_sync_info engine against an in-memory ConnectWise company.

The fake implements the ConnectWiseClient calls the engine makes (list, find, server_time,
request_count) and understands the few condition shapes it sends; the real client's ``Date``
handling is tested against a scripted HTTP server.
"""

import copy
import datetime
import re

import pytest
import requests

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_umbrella_sync_info as sync
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConnectWiseAuthError,
    ConnectWiseClient,
    ConnectWiseError,
    ConnectWiseUnsupported,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import EngineError

from fake_cw_security import FUNCTIONS, SCREENS, WithoutRunCache, setting
from fake_http import FakeClock, FakeServer, Reply

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 12, 5, 12, 0, 0, tzinfo=UTC)
ALL = ("All",) * 4
NONE = ("None",) * 4
# The role Cisco's guide asks for (the fake's catalogue has these functions).
GUIDE_LEVELS = {
    ("Companies", "Company Maintenance"): ("None", "None", "None", "All"),
    ("Companies", "Configurations"): ("All", "All", "All", "All"),
    ("Service Desk", "Service Tickets"): ("All", "All", "None", "All"),
    ("System", "Table Setup"): ("All", "All", "None", "All"),
}
GUIDE_ALLOW = [1, 9, 10]  # Company / Configuration, Service / Priority, Service / Service Board


def stamp(hours_ago):
    return (NOW - datetime.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def info(entered_by, updated_by, entered_hours_ago, updated_hours_ago):
    return {"enteredBy": entered_by, "updatedBy": updated_by, "dateEntered": stamp(entered_hours_ago),
            "lastUpdated": stamp(updated_hours_ago)}


class FakeSync(WithoutRunCache):
    """One ConnectWise company as Umbrella's sync leaves it, reached with one key."""

    def __init__(self, date=NOW, refused=(), denied=(), extension=True):
        self.date = date
        self.refused = refused            # condition fields the server answers 400 for
        self.denied = set(denied)         # paths answered 403
        self.extension = extension
        self.types = []
        self.configurations = []
        self.tickets = []
        self.companies = []
        self.members = [{"id": 5, "identifier": "umbrella", "securityRole": {"id": 41, "name": "Umbrella"}}]
        self.roles = [{"id": 41, "name": "Umbrella"}]
        self.levels = dict(GUIDE_LEVELS)
        self.allow = list(GUIDE_ALLOW)
        self.calls = []
        self.request_count = 0
        self._ids = iter(range(100, 100000))

    # -- building the company -------------------------------------------------------------------------

    def add_type(self, name="Cisco Umbrella", entered_by="umbrella"):
        record = {"id": next(self._ids), "name": name, "_info": info(entered_by, entered_by, 500, 500)}
        self.types.append(record)
        return record

    def add_company(self, identifier):
        company = {"id": next(self._ids), "identifier": identifier, "name": identifier + " Ltd",
                   "status": {"name": "Active"}, "deletedFlag": False}
        self.companies.append(company)
        return company

    def add_configuration(self, identifier, kind, hours_ago, updated_by="umbrella", entered_by="umbrella"):
        company = next((c for c in self.companies if c["identifier"] == identifier), None) or \
            self.add_company(identifier)
        record = {"id": next(self._ids), "name": "Umbrella - " + identifier,
                  "company": {"id": company["id"], "identifier": identifier, "name": company["name"]},
                  "type": {"id": kind["id"], "name": kind["name"]},
                  "_info": info(entered_by, updated_by, 400, hours_ago)}
        self.configurations.append(record)
        return record

    def add_ticket(self, identifier, hours_ago, entered_by="umbrella", updated_by="umbrella", entered_hours_ago=None):
        record = {"id": next(self._ids), "summary": "Umbrella: botnet activity", "board": {"id": 1, "name": "Security"},
                  "status": {"id": 1, "name": "New"}, "company": {"identifier": identifier},
                  "_info": info(entered_by, updated_by, hours_ago if entered_hours_ago is None else entered_hours_ago,
                                hours_ago)}
        self.tickets.append(record)
        return record

    # -- ConnectWiseClient ----------------------------------------------------------------------------

    last_date_header = None

    def server_time(self):
        return self.date if self.request_count else None

    def _answer(self, path, conditions):
        self.calls.append(("GET", path, conditions))
        self.request_count += 1
        if path in self.denied:
            raise ConnectWiseAuthError(403, "Forbidden", "Your security role does not allow this.", method="GET",
                                       path=path)
        if conditions and any(field in conditions for field in self.refused):
            raise ConnectWiseError(400, "InvalidObject", "conditions: unknown field _info", method="GET", path=path)

    def find(self, path, field, value):
        self._answer(path, "%s=%s" % (field, value))
        table = {"/company/configurations/types": self.types, "/system/apiMembers": self.members,
                 "/system/securityRoles": self.roles}[path]
        return [copy.deepcopy(r) for r in table if r[field].casefold() == value.casefold()]

    def list(self, path, conditions=None, fields=None, order_by=None):
        self._answer(path, conditions)
        if path == "/company/configurations/types":
            return [copy.deepcopy(r) for r in self.types if self._match(r, conditions)]
        if path == "/company/configurations":
            return [copy.deepcopy(r) for r in self.configurations if self._match(r, conditions)]
        if path == "/service/tickets":
            return [copy.deepcopy(r) for r in self.tickets if self._match(r, conditions)]
        if path == "/company/companies":
            wanted = set(v.casefold() for v in re.findall(r'"([^"]*)"', conditions))
            return [copy.deepcopy(c) for c in self.companies if c["identifier"].casefold() in wanted]
        if path == "/system/securityRoles/41/settings":
            return [setting(i, m, f, self.levels.get((m, f), NONE)) for i, (m, f) in enumerate(FUNCTIONS)]
        if path == "/system/securityRoles/41/customizeItems":
            if not self.extension:
                raise ConnectWiseUnsupported(404, "NotFound", "The endpoint does not exist.", method="GET", path=path)
            return [{"id": 700 + i, "customizeIdentifier": "SystemTableSetup", "itemIdentifier": str(s)}
                    for i, s in enumerate(self.allow)]
        if path == "/system/setupScreens":
            return copy.deepcopy(SCREENS)
        raise AssertionError("unexpected GET %s" % path)

    @staticmethod
    def _match(record, conditions):
        """The condition shapes the engine sends, evaluated the way ConnectWise would."""
        if not conditions:
            return True
        text = conditions
        since = re.search(r"\[([^\]]+)\]", text)
        since = sync.parse_time(since.group(1)) if since else None
        ids = re.search(r"type/id in \(([\d,]+)\)", text)
        if ids:
            return record["type"]["id"] in [int(i) for i in ids.group(1).split(",")]
        name = re.fullmatch(r'type/name="([^"]*)"', text)
        if name:
            return record["type"]["name"].casefold() == name.group(1).casefold()
        entered = re.fullmatch(r'_info/enteredBy="([^"]*)"', text)
        if entered:
            return record["_info"]["enteredBy"].casefold() == entered.group(1).casefold()
        if text.startswith("_info/lastUpdated>="):
            return sync.parse_time(record["_info"]["lastUpdated"]) >= since
        member = re.search(r'_info/enteredBy="([^"]*)"', text).group(1)
        assert text == ('((_info/enteredBy="{m}") and (_info/dateEntered>=[{s}])) or '
                        '((_info/updatedBy="{m}") and (_info/lastUpdated>=[{s}]))').format(
                            m=member, s=since.strftime("%Y-%m-%dT%H:%M:%SZ")), text
        return sync._opened_or_updated(record, member, since)  # pylint: disable=protected-access


def params(**options):
    base = dict(member="umbrella", configuration_type=None, max_age_hours=26, expected_companies=None,
                security_role=None)
    base.update(options)
    return base


def synced(fake, identifiers, hours_ago=2, kind=None):
    kind = kind or (fake.types[0] if fake.types else fake.add_type())
    for identifier in identifiers:
        fake.add_configuration(identifier, kind, hours_ago)
    return kind


# --- verdicts --------------------------------------------------------------------------------------

def test_never_without_any_configuration_of_the_member():
    fake = FakeSync()
    result = sync.run(params(expected_companies=["Contoso"]), client=fake)
    assert result["verdict"] == "never"
    assert result["companies"] == [] and result["last_sync"] is None
    assert result["missing"] == ["Contoso"]
    assert any(line.startswith("No configuration was written by member 'umbrella'") for line in result["findings"])
    assert fake.calls[0] == ("GET", "/company/configurations/types", '_info/enteredBy="umbrella"')


def test_syncing_when_every_expected_company_is_fresh():
    fake = FakeSync()
    kind = synced(fake, ["Contoso", "Fabrikam"], hours_ago=3)
    fake.add_ticket("Contoso", hours_ago=1)
    result = sync.run(params(expected_companies=["contoso", "Fabrikam"]), client=fake)
    assert result["verdict"] == "syncing"
    assert result["missing"] == [] and result["unexpected"] == []
    assert result["findings"] == []
    assert result["configuration_types"] == [{"id": kind["id"], "name": "Cisco Umbrella", "entered_by": "umbrella"}]
    assert [c["identifier"] for c in result["companies"]] == ["Contoso", "Fabrikam"]
    contoso = result["companies"][0]
    assert contoso["fresh"] is True and contoso["updated_by"] == "umbrella"
    assert contoso["last_updated"] == stamp(3) and contoso["name"] == "Contoso Ltd"
    assert result["last_sync"] == stamp(3)
    assert list(result["tickets"]) == ["Contoso"]
    assert result["tickets"]["Contoso"][0]["board"] == "Security"
    assert result["tickets"]["Contoso"][0]["status"] == "New"
    assert result["server_time"] == "2026-12-05T12:00:00Z" and result["clock"] == "server"
    assert result["changed"] is False and result["manual_steps"] == []


def test_partial_names_the_missing_company_and_how_to_fix_it():
    fake = FakeSync()
    synced(fake, ["Contoso"])
    fake.add_company("Fabrikam")
    result = sync.run(params(expected_companies=["Contoso", "Fabrikam", "NoSuchCo"]), client=fake)
    assert result["verdict"] == "partial"
    assert result["missing"] == ["Fabrikam", "NoSuchCo"]
    assert ("Fabrikam: no configuration written by umbrella: the sync has not reached this company; check the "
            "customer's ConnectWise Company ID in the Umbrella console") in result["findings"]
    assert ("NoSuchCo: no ConnectWise company has this identifier: the customer's ConnectWise Company ID in the "
            "Umbrella console links nothing; set it to the identifier of the customer's company") in result["findings"]
    # the two companies looked up in one batch
    assert [c for c in fake.calls if c[1] == "/company/companies"] == [
        ("GET", "/company/companies", 'identifier in ("Fabrikam","NoSuchCo")')]


def test_stale_when_the_member_stopped_updating():
    fake = FakeSync()
    synced(fake, ["Contoso", "Fabrikam"], hours_ago=72)
    result = sync.run(params(expected_companies=["Contoso", "Fabrikam"]), client=fake)
    assert result["verdict"] == "stale"
    assert result["missing"] == ["Contoso", "Fabrikam"]
    assert [c["fresh"] for c in result["companies"]] == [False, False]
    assert ("Fabrikam: configuration last updated 3 days ago by umbrella: the sync has stopped; check the integration "
            "key and the role's Companies › Configurations level") in result["findings"]


def test_freshness_follows_the_server_clock_not_the_controllers():
    fake = FakeSync(date=NOW + datetime.timedelta(hours=30))
    synced(fake, ["Contoso"], hours_ago=2)
    assert sync.run(params(), client=fake)["verdict"] == "stale"
    fake.date = NOW
    assert sync.run(params(), client=fake)["verdict"] == "syncing"


def test_without_a_date_header_the_controller_clock_is_used_but_never_before_the_newest_record():
    fake = FakeSync(date=None)
    kind = fake.add_type()
    # Written "in the future" of the controller: the controller's clock is behind the server's.
    future = datetime.datetime.now(UTC) + datetime.timedelta(days=3)
    fake.add_configuration("Contoso", kind, 0)["_info"]["lastUpdated"] = future.strftime("%Y-%m-%dT%H:%M:%SZ")
    fake.add_configuration("Fabrikam", kind, 0)["_info"]["lastUpdated"] = (
        future - datetime.timedelta(hours=27)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = sync.run(params(), client=fake)
    assert result["clock"] == "controller"
    assert result["server_time"] == future.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [c["fresh"] for c in result["companies"]] == [True, False]
    assert result["verdict"] == "partial"


def test_with_no_expected_companies_one_stale_makes_it_partial():
    fake = FakeSync()
    kind = synced(fake, ["Contoso"])
    fake.add_configuration("Fabrikam", kind, 50)
    assert sync.run(params(), client=fake)["verdict"] == "partial"
    fake.configurations.pop()
    assert sync.run(params(), client=fake)["verdict"] == "syncing"


def test_unexpected_fresh_company_is_named():
    fake = FakeSync()
    synced(fake, ["Contoso", "Tailspin"])
    result = sync.run(params(expected_companies=["Contoso"]), client=fake)
    assert result["verdict"] == "syncing"
    assert result["unexpected"] == ["Tailspin"]
    assert result["findings"] == [
        "Tailspin: synced by umbrella within 26 hours but not expected: map it, or clear the customer's ConnectWise "
        "Company ID in the Umbrella console"]


def test_a_configuration_a_person_edited_after_umbrella_is_not_fresh():
    fake = FakeSync()
    kind = synced(fake, ["Contoso"])
    fake.add_configuration("Fabrikam", kind, 1, updated_by="jdoe")
    result = sync.run(params(expected_companies=["Contoso", "Fabrikam"]), client=fake)
    assert result["verdict"] == "partial" and result["missing"] == ["Fabrikam"]
    assert result["findings"][0].startswith("Fabrikam: configuration last updated 1 hour ago by jdoe, not by umbrella")


# --- how the evidence is read ------------------------------------------------------------------------

def test_requests_do_not_grow_with_the_number_of_customers():
    counts = []
    for customers in (3, 30, 300):
        fake = FakeSync()
        names = ["Customer%03d" % n for n in range(customers)]
        synced(fake, names)
        result = sync.run(params(expected_companies=names, security_role="Umbrella"), client=fake)
        assert result["verdict"] == "syncing"
        counts.append(result["requests"])
    assert counts[0] == counts[1] == counts[2]


def test_configuration_type_by_name_and_its_configurations_by_type_id():
    fake = FakeSync()
    kind = synced(fake, ["Contoso"], kind=FakeSync().add_type("Umbrella Security", entered_by="jdoe"))
    fake.types.append(kind)
    result = sync.run(params(configuration_type="umbrella security"), client=fake)
    assert result["verdict"] == "syncing"
    assert result["configuration_types"][0]["entered_by"] == "jdoe"
    assert ("GET", "/company/configurations/types", "name=umbrella security") in fake.calls
    assert ("GET", "/company/configurations", "type/id in (%d)" % kind["id"]) in fake.calls


def test_unknown_configuration_type_reads_no_configuration():
    fake = FakeSync()
    synced(fake, ["Contoso"])
    result = sync.run(params(configuration_type="Other"), client=fake)
    assert result["verdict"] == "never"
    assert "/company/configurations" not in [c[1] for c in fake.calls]
    assert result["findings"][0].startswith("No configuration of type 'Other' was written by member 'umbrella'")


def test_server_refusing_conditions_on_who_wrote_is_filtered_here():
    fake = FakeSync(refused=("_info/enteredBy", "_info/updatedBy"))
    synced(fake, ["Contoso"])
    fake.add_type("Someone else's", entered_by="jdoe")
    fake.add_ticket("Contoso", hours_ago=1)
    fake.add_ticket("Contoso", hours_ago=2, entered_by="jdoe", updated_by="jdoe")
    fake.add_ticket("Contoso", hours_ago=30)
    result = sync.run(params(), client=fake)
    assert [t["name"] for t in result["configuration_types"]] == ["Cisco Umbrella"]
    assert result["verdict"] == "syncing"
    assert len(result["tickets"]["Contoso"]) == 1
    assert ("GET", "/company/configurations/types", None) in fake.calls
    assert ("GET", "/service/tickets", "_info/lastUpdated>=[2026-12-04T10:00:00Z]") in fake.calls


def test_server_refusing_every_info_condition_reads_no_ticket():
    fake = FakeSync(refused=("_info/",))
    synced(fake, ["Contoso"])
    fake.add_ticket("Contoso", hours_ago=1)
    result = sync.run(params(), client=fake)
    assert result["verdict"] == "syncing" and result["tickets"] == {}
    assert result["findings"] == ["The server refuses conditions on _info/lastUpdated; Umbrella's tickets were not "
                                  "checked"]
    assert [c for c in fake.calls if c[1] == "/service/tickets" and c[2] is None] == []


def test_tickets_opened_or_updated_by_the_member_within_the_window():
    fake = FakeSync()
    synced(fake, ["Contoso"])
    opened = fake.add_ticket("Contoso", hours_ago=1, entered_by="umbrella", updated_by="jdoe")
    appended = fake.add_ticket("Contoso", hours_ago=5, entered_by="jdoe", updated_by="umbrella",
                               entered_hours_ago=100)
    fake.add_ticket("Contoso", hours_ago=1, entered_by="jdoe", updated_by="jdoe")
    fake.add_ticket("Contoso", hours_ago=27)
    result = sync.run(params(), client=fake)
    assert sorted(t["id"] for t in result["tickets"]["Contoso"]) == sorted([opened["id"], appended["id"]])


def test_types_unreadable_falls_back_to_the_configurations_the_member_entered():
    fake = FakeSync(denied={"/company/configurations/types"})
    synced(fake, ["Contoso"])
    result = sync.run(params(), client=fake)
    assert result["verdict"] == "syncing"
    assert result["configuration_types"] == [{"id": fake.types[0]["id"], "name": "Cisco Umbrella", "entered_by": None}]
    assert ("GET", "/company/configurations", '_info/enteredBy="umbrella"') in fake.calls
    assert result["findings"][0].startswith("This key may not read configuration types (403)")


def test_configurations_unreadable_fails_naming_the_permission():
    fake = FakeSync(denied={"/company/configurations"})
    fake.add_type()
    with pytest.raises(EngineError) as error:
        sync.run(params(), client=fake)
    assert "Companies › Configurations inquire All" in error.value.msg
    assert error.value.result["status"] == 403


# --- the role -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("function, action, line", [
    (("Companies", "Configurations"), 0,
     "Umbrella cannot create configurations: role 'Umbrella' lacks Companies › Configurations add "
     "(its POST /company/configurations answers 403)"),
    (("Companies", "Configurations"), 1,
     "Umbrella cannot update configurations: role 'Umbrella' lacks Companies › Configurations edit "
     "(its PATCH /company/configurations/{id} answers 403)"),
    (("System", "Table Setup"), 3,
     "Umbrella cannot read its configuration type, offer service boards in the console or offer priorities in the "
     "console: role 'Umbrella' lacks System › Table Setup inquire (its GET /company/configurations/types, "
     "GET /service/boards, GET /service/priorities answer 403)"),
    (("Companies", "Company Maintenance"), 3,
     "Umbrella cannot find the company of a mapped customer: role 'Umbrella' lacks Companies › Company Maintenance "
     "inquire (its GET /company/companies answers 403)"),
    (("Service Desk", "Service Tickets"), 0,
     "Umbrella cannot open tickets: role 'Umbrella' lacks Service Desk › Service Tickets add "
     "(its POST /service/tickets answers 403)"),
    (("System", "Table Setup"), 0,
     "Umbrella cannot create its configuration type and questions: role 'Umbrella' lacks System › Table Setup add "
     "(its POST /company/configurations/types answers 403)"),
])
def test_each_missing_permission_names_the_part_of_the_sync_it_breaks(function, action, line):
    fake = FakeSync()
    synced(fake, ["Contoso"])
    levels = list(fake.levels[function])
    levels[action] = "None"
    fake.levels[function] = tuple(levels)
    result = sync.run(params(), client=fake)
    assert result["findings"] == [line]
    # found from the member's record
    assert ("GET", "/system/apiMembers", "identifier=umbrella") in fake.calls


def test_the_guides_role_has_no_finding_and_my_is_named():
    fake = FakeSync()
    synced(fake, ["Contoso"])
    assert sync.run(params(security_role="Umbrella"), client=fake)["findings"] == []
    assert "/system/apiMembers" not in [c[1] for c in fake.calls]
    fake.levels[("Service Desk", "Service Tickets")] = ("All", "My", "None", "All")
    assert sync.run(params(security_role="Umbrella"), client=fake)["findings"] == [
        "Umbrella cannot append to open tickets: role 'Umbrella' lacks Service Desk › Service Tickets edit "
        "(it has My, which leaves out records other members wrote)"]


def test_missing_table_setup_entries_are_named():
    fake = FakeSync()
    synced(fake, ["Contoso"])
    fake.allow = [1, 9]
    assert sync.run(params(), client=fake)["findings"] == [
        "Umbrella cannot offer service boards in the console: role 'Umbrella' lacks System › Table Setup "
        "allow: Service / Service Board (its GET /service/boards answers 403)"]


def test_role_unreadable_or_customize_list_unsupported_says_what_was_not_checked():
    fake = FakeSync(extension=False)
    synced(fake, ["Contoso"])
    result = sync.run(params(), client=fake)
    assert result["findings"] == [
        "The Table Setup customize list of role 'Umbrella' was not checked (the server offers no way to read it; not "
        "part of the vendor's public API): check in ConnectWise, System › Security Roles › Umbrella › Table Setup, "
        "that it allows Company / Configuration, Service / Priority, Service / Service Board"]
    fake = FakeSync(denied={"/system/apiMembers"})
    synced(fake, ["Contoso"])
    result = sync.run(params(), client=fake)
    assert result["verdict"] == "syncing"
    assert result["findings"] == ["The role's permissions were not checked: this key may not read API members (403); "
                                  "set security_role to the role member 'umbrella' holds"]


def test_unknown_member_is_named_when_never_synced():
    fake = FakeSync()
    result = sync.run(params(member="cisco"), client=fake)
    assert result["verdict"] == "never"
    assert result["findings"][-1] == ("There is no API member 'cisco': give member the identifier of the member "
                                      "whose key the Umbrella console holds")


# --- options --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, identifiers", [
    (["Contoso", "contoso", "Fabrikam"], ["Contoso", "Fabrikam"]),
    ([{"customer": "Contoso Ltd", "company": "Contoso"}, {"customer": 8071234, "company": "Fabrikam"}],
     ["Contoso", "Fabrikam"]),
    ({"mappings": [{"customer": "A", "company": "Contoso"}]}, ["Contoso"]),
    ({"changed": True, "changes": [{"customer_id": 1, "after": "Contoso"}], "summary": {"mapped": 1}}, ["Contoso"]),
    ([{"customerId": 1, "connectwiseCompanyId": "Contoso"}], ["Contoso"]),
    ({"Contoso Ltd": "Contoso"}, ["Contoso"]),
    ([12345], ["12345"]),
    (None, []),
])
def test_expected_companies_shapes(value, identifiers):
    assert sync.expected(value).identifiers == identifiers


def test_expected_companies_from_the_mapping_file(tmp_path):
    path = tmp_path / "acme.csv"
    path.write_text("customer,company\nContoso Ltd,Contoso\n# a comment\n8071234,Fabrikam\n")
    assert sync.expected(str(path)).identifiers == ["Contoso", "Fabrikam"]
    with pytest.raises(EngineError) as error:
        sync.expected(str(tmp_path / "absent.yml"))
    assert error.value.msg.startswith("expected_companies: mappings_file: cannot read")


def test_a_mapping_result_that_changed_only_some_customers_expects_nothing_and_says_so():
    fake = FakeSync()
    synced(fake, ["Contoso", "Fabrikam"])
    result_of_mapping = {"changed": True, "customers": 40, "changes": [{"customer_id": 1, "after": "Contoso"}],
                         "summary": {"mapped": 2, "unchanged": 1, "set": 1, "removed": 0, "unmanaged": 0}}
    result = sync.run(params(expected_companies=result_of_mapping), client=fake)
    assert result["verdict"] == "syncing" and result["missing"] == [] and result["unexpected"] == []
    assert result["findings"] == [
        "expected_companies: the mapping result names only the 1 customers its run changed, of 2 mapped; every "
        "company with a configuration of the member was judged on its own. Pass the mapping file's path or its "
        "entries to judge every mapped customer"]


@pytest.mark.parametrize("options, message", [
    (dict(expected_companies=[{"name": "x"}]), "expected_companies[0]: {'name': 'x'} is neither"),
    (dict(expected_companies=[" Contoso"]), "expected_companies[0]: ' Contoso' has leading or trailing whitespace"),
    (dict(max_age_hours=0), "max_age_hours: 0 must be a whole number of hours, at least 1"),
    (dict(member="a\"b'c"), "member: 'a\"b\\'c' cannot be looked up"),
    (dict(member=" umbrella"), "member: ' umbrella' must be a non-empty name"),
])
def test_bad_options_fail_in_one_line_before_any_request(options, message):
    fake = FakeSync()
    with pytest.raises(EngineError) as error:
        sync.run(params(**options), client=fake)
    assert error.value.msg.startswith(message), error.value.msg
    assert fake.calls == []


def test_key_that_does_not_authenticate_fails_with_its_status():
    fake = FakeSync()

    def refuse(*_args, **_kwargs):
        raise ConnectWiseAuthError(401, "", "UserNotAuthenticated", method="GET", path="/company/configurations/types")
    fake.list = refuse
    with pytest.raises(EngineError) as error:
        sync.run(params(), client=fake)
    assert error.value.result["status"] == 401


def test_age_text():
    assert sync.age_text(datetime.timedelta(days=3, hours=5)) == "3 days"
    assert sync.age_text(datetime.timedelta(hours=1, minutes=59)) == "1 hour"
    assert sync.age_text(datetime.timedelta(minutes=40)) == "40 minutes"
    assert sync.age_text(datetime.timedelta(seconds=5)) == "less than a minute"


# --- the client's server time ---------------------------------------------------------------------

def test_client_server_time_is_the_last_answers_date_header():
    clock = FakeClock()
    server = FakeServer(clock=clock)
    session = requests.Session()
    server.mount_on(session)
    client = ConnectWiseClient("cw.example.test", "acme", "Pub", "Priv", "c1d2e3f4-0000-4000-8000-000000000001",
                               codebase="v2025_1/", session=session, sleep=clock.sleep, clock=clock)
    path = "/v2025_1/apis/3.0/company/configurations/types"
    server.script("GET", path, Reply(200, json=[], headers={"Date": "Sat, 05 Dec 2026 12:00:00 GMT"}),
                  Reply(200, json=[]))
    assert client.server_time() is None
    client.list("/company/configurations/types")
    assert client.server_time() == NOW
    client.list("/company/configurations/types")  # an answer without Date keeps the last one known
    assert client.server_time() == NOW
