"""Umbrella's side of the PSA integration (emulator/umbrella_sync.py), through the real emulator process.

Every console here holds a key of an API member whose role is the seed's role (the collection's
``psa_role_permissions`` default), or that role with one permission taken away: the sync's requests
really go through the emulator's HTTPS surface and its permission checks.
"""

import copy
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from conftest import REPO_ROOT, seed_tenant, unique
from support.emulator import EmulatorProcess
from test_umbrella_http import UmbrellaHttp, _org_ids

SEED_PERMISSIONS = yaml.safe_load((REPO_ROOT / "roles" / "psa_integration" / "defaults" / "main.yml")
                                  .read_text(encoding="utf-8"))["psa_role_permissions"]
BOARD = "Umbrella Alerts"
THRESHOLD = 10
TYPE_NAME = "Umbrella"
QUESTION_COUNT = 9


def role_settings(permissions):
    """The control act's settings and customize list for a role holding ``permissions``."""
    settings = [{"module": p["module"], "function": p["function"],
                 **{action: p.get(action, "None") for action in ("add", "edit", "delete", "inquire")}}
                for p in permissions]
    customize = [label for p in permissions for label in p.get("allow") or []]
    return settings, customize


def without(permissions, function=None, action=None, label=None):
    """The seed's permissions with one level (or one customize item) taken away."""
    reduced = copy.deepcopy(permissions)
    for permission in reduced:
        if permission["function"] == function:
            permission[action] = "None"
        if label in (permission.get("allow") or []):
            permission["allow"].remove(label)
    return reduced


class Console:
    """An Umbrella console wired to a ConnectWise company through a member holding the given role."""

    CUSTOMERS = (("Contoso Umbrella", "Contoso"), ("Fabrikam Umbrella", "Fabrikam"),
                 ("Ghost Umbrella", "NO-SUCH-CO"), ("Unmapped Umbrella", None))

    def __init__(self, emulator, permissions=SEED_PERMISSIONS):
        self.emulator = emulator
        self.control = emulator.control
        self.cw = seed_tenant(emulator)          # the MSP's company, spoken to with its admin key
        self.role, self.member, self.key = self.cw.member_with_role(unique("Umbrella", 12))
        self.set_role(permissions)
        self.org_id = next(_org_ids)
        self.api_key, self.api_secret = "key-%d" % self.org_id, "secret-%d" % self.org_id
        self.control.create_tenant(name="umbrella-%d" % self.org_id, umbrella={
            "org_id": self.org_id, "api_key": self.api_key, "api_secret": self.api_secret})
        created = self.control.request("POST", "umbrella/%d/customers" % self.org_id,
                                       {"names": [name for name, _company in self.CUSTOMERS]}, expect=201).json()
        self.customers = {}
        for record, (_name, company) in zip(created, self.CUSTOMERS):
            self.customers[company] = record["customerId"]
            if company is not None:
                self.control.request("POST", "umbrella/%d/customers/%d/connectwise" % (
                    self.org_id, record["customerId"]), {"connectwiseCompanyId": company}, expect=200)
        self.control.umbrella_psa_form(self.org_id, {
            "psa": "connectwise", "enabled": True,
            "connectwise": {"site": "api-na.myconnectwise.net", "companyId": self.cw.company_id,
                            "publicKey": self.key["publicKey"], "privateKey": self.key["privateKey"]},
            "ticketing": {"serviceBoard": BOARD, "queryThreshold": THRESHOLD}})

    def set_role(self, permissions):
        settings, customize = role_settings(permissions)
        self.control.cw_role_settings(self.cw.company_id, self.role["id"], settings, customize)

    def sync(self):
        return self.control.psa_sync(self.org_id)

    def botnet(self, count, identity="laptop-7", company="Contoso"):
        return self.control.botnet_events(self.org_id, self.customers[company], identity, count)

    # -- what anyone can read back in ConnectWise (here with the admin key) ----------------------
    def all(self, path, conditions=None):
        params = {"pageSize": 1000}
        if conditions:
            params["conditions"] = conditions
        response = self.cw.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def configuration_types(self):
        return self.all("/company/configurations/types", 'name="%s"' % TYPE_NAME)

    def configurations(self):
        types = self.configuration_types()
        return self.all("/company/configurations", "type/id=%d" % types[0]["id"]) if types else []

    def tickets(self):
        return self.all("/service/tickets")

    def direct(self, method, path):
        """The same request made directly with the console's key, to read the vendor's own answer."""
        return self.cw.request(method, path, json_body={} if method in ("POST", "PATCH", "PUT") else None,
                               public_key=self.key["publicKey"], private_key=self.key["privateKey"])


def customer_results(report):
    return {entry["connectwiseCompanyId"]: entry["result"] for entry in report["customers"]}


@pytest.fixture
def console(extended_emulator):
    return Console(extended_emulator)


# -- a full sync, then another ------------------------------------------------------------------

def test_first_sync_creates_the_type_its_questions_and_one_configuration_per_mapped_customer(console):
    report = console.sync()
    assert report["ok"] is True, report["errors"]
    assert report["errors"] == []
    assert report["configurations"] == {"created": 2, "updated": 0}
    assert customer_results(report) == {"Contoso": "synced", "Fabrikam": "synced", "NO-SUCH-CO": "no such company"}
    assert report["tickets"] == {"opened": 0, "appended": 0}

    (config_type,) = console.configuration_types()
    assert config_type["_info"]["enteredBy"] == console.member["identifier"]
    questions = console.all("/company/configurations/types/%d/questions" % config_type["id"])
    assert len(questions) == QUESTION_COUNT
    assert {"Service Status", "Efficacy", "Top Blocked Domains", "Threats Prevented (last 24 hours)",
            "Infections Contained (last 24 hours)"} <= {q["question"] for q in questions}

    configurations = console.configurations()
    assert sorted(c["company"]["identifier"] for c in configurations) == ["Contoso", "Fabrikam"]
    for configuration in configurations:
        assert configuration["_info"]["updatedBy"] == console.member["identifier"]
        answers = {q["question"]: q["answer"] for q in configuration["questions"]}
        assert answers["Service Status"] == "Active"
        assert answers["Last Synchronized"] == report["at"]
    assert console.control.last_psa_sync(console.org_id) == report


def test_second_sync_updates_the_same_configurations_with_fresh_answers(console):
    first = console.sync()
    before = {c["id"]: c for c in console.configurations()}
    moved = console.control.advance_clock(2)
    second = console.sync()
    assert second["ok"] is True, second["errors"]
    assert second["configurations"] == {"created": 0, "updated": 2}
    assert first["at"] < moved["now"] <= second["at"]
    after = {c["id"]: c for c in console.configurations()}
    assert set(after) == set(before)
    assert len(console.configuration_types()) == 1
    config_type = console.configuration_types()[0]
    assert len(console.all("/company/configurations/types/%d/questions" % config_type["id"])) == QUESTION_COUNT
    for configuration in after.values():
        answers = {q["question"]: q["answer"] for q in configuration["questions"]}
        assert answers["Last Synchronized"] == second["at"]
        assert configuration["_info"]["updatedBy"] == console.member["identifier"]


def test_the_clock_moves_the_reports_time(console):
    first = console.sync()
    moved = console.control.advance_clock(30)
    assert moved["offset_hours"] >= 30
    second = console.sync()
    # Thirty hours later, within the seconds the test itself takes.
    elapsed = _seconds(second["at"]) - _seconds(first["at"])
    assert 30 * 3600 <= elapsed < 30 * 3600 + 120


def _seconds(iso):
    return time.mktime(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


# -- tickets ------------------------------------------------------------------------------------

def test_botnet_events_over_the_threshold_open_one_ticket_then_a_note(console):
    console.botnet(THRESHOLD + 5)
    console.botnet(THRESHOLD, identity="printer-2")          # at the threshold: no ticket
    first = console.sync()
    assert first["ok"] is True, first["errors"]
    assert first["tickets"] == {"opened": 1, "appended": 0}
    (ticket,) = console.tickets()
    assert ticket["board"]["name"] == BOARD
    assert ticket["company"]["identifier"] == "Contoso"
    assert "laptop-7" in ticket["summary"]
    assert ticket["_info"]["enteredBy"] == console.member["identifier"]

    assert console.sync()["tickets"] == {"opened": 0, "appended": 0}   # events consumed
    console.botnet(THRESHOLD + 1)
    third = console.sync()
    assert third["tickets"] == {"opened": 0, "appended": 1}
    assert [t["id"] for t in console.tickets()] == [ticket["id"]]       # no duplicate
    notes = console.all("/service/tickets/%d/notes" % ticket["id"])
    assert len(notes) == 1 and "%d blocked botnet events" % (THRESHOLD + 1) in notes[0]["text"]


def test_the_ticket_is_followed_by_id_onto_another_board_and_a_closed_one_is_not_appended_to(console):
    console.botnet(THRESHOLD + 1)
    console.sync()
    (ticket,) = console.tickets()
    moved = console.cw.patch("/service/tickets/%d" % ticket["id"],
                             [{"op": "replace", "path": "board", "value": {"name": "Help Desk"}}])
    assert moved.status_code == 200, moved.text
    console.botnet(THRESHOLD + 1)
    assert console.sync()["tickets"] == {"opened": 0, "appended": 1}
    closed = console.cw.patch("/service/tickets/%d" % ticket["id"],
                              [{"op": "replace", "path": "closedFlag", "value": True}])
    assert closed.status_code == 200, closed.text
    console.botnet(THRESHOLD + 1)
    assert console.sync()["tickets"] == {"opened": 1, "appended": 0}
    tickets = console.tickets()
    assert len(tickets) == 2 and tickets[-1]["board"]["name"] == BOARD


def test_a_ticket_refused_keeps_its_events_for_the_next_sync(extended_emulator):
    console = Console(extended_emulator, without(SEED_PERMISSIONS, "Service Tickets", "add"))
    console.botnet(THRESHOLD + 3)
    refused = console.sync()
    assert refused["tickets"] == {"opened": 0, "appended": 0}
    assert [e["request"] for e in refused["errors"]] == ["POST /service/tickets"]
    console.set_role(SEED_PERMISSIONS)
    assert console.sync()["tickets"] == {"opened": 1, "appended": 0}
    assert len(console.tickets()) == 1


def test_a_board_the_site_does_not_have_fails_the_tickets_only(console):
    form = {"psa": "connectwise", "enabled": True,
            "connectwise": {"site": "api-na.myconnectwise.net", "companyId": console.cw.company_id,
                            "publicKey": console.key["publicKey"]},
            "ticketing": {"serviceBoard": "No Such Board", "queryThreshold": THRESHOLD}}
    console.control.umbrella_psa_form(console.org_id, form)
    console.botnet(THRESHOLD + 1)
    report = console.sync()
    assert report["errors"] == [{"request": "GET /service/boards", "status": None,
                                 "message": 'no service board is named "No Such Board"'}]
    assert report["configurations"] == {"created": 2, "updated": 0} and console.tickets() == []


# -- mapping ------------------------------------------------------------------------------------

def test_an_unknown_company_id_links_nothing(console):
    report = console.sync()
    assert customer_results(report)["NO-SUCH-CO"] == "no such company"
    assert "NO-SUCH-CO" not in {c["company"]["identifier"] for c in console.configurations()}
    # The unmapped customer is not part of the sync at all.
    assert console.customers[None] not in {entry["customerId"] for entry in report["customers"]}


def test_two_customers_of_one_company_share_its_configuration(console):
    twin = console.control.request("POST", "umbrella/%d/customers" % console.org_id, {"names": ["Contoso Branch"]},
                                   expect=201).json()[0]
    console.control.request("POST", "umbrella/%d/customers/%d/connectwise" % (console.org_id, twin["customerId"]),
                            {"connectwiseCompanyId": "contoso"}, expect=200)
    report = console.sync()
    assert report["configurations"] == {"created": 2, "updated": 1}
    assert sorted(c["company"]["identifier"] for c in console.configurations()) == ["Contoso", "Fabrikam"]


# -- each permission of the seed's role taken away in turn -------------------------------------

def _takeaways():
    for permission in SEED_PERMISSIONS:
        for action in ("add", "edit", "inquire"):
            if permission.get(action, "None") != "None":
                yield pytest.param(permission["function"], action, None,
                                   id="%s-%s" % (permission["function"], action))
        for label in permission.get("allow") or []:
            yield pytest.param(None, None, label, id=label)


def _question_set_inactive(console):
    """Someone sets one of the integration's questions inactive in ConnectWise (with the admin key)."""
    (config_type,) = console.configuration_types()
    path = "/company/configurations/types/%d/questions" % config_type["id"]
    question = next(q for q in console.all(path) if q["question"] == "Service Status")
    answer = console.cw.patch("%s/%d" % (path, question["id"]),
                              [{"op": "replace", "path": "inactiveFlag", "value": True}])
    assert answer.status_code == 200, answer.text


# What each missing permission breaks: the refused requests (in the order the sync makes them), whether
# it shows on a first sync or only on the next one (an update, an open ticket, a question to bring
# back into use, made so by the last item), and which parts still work: "configurations", "tickets".
EXPECTED = {
    ("Company Maintenance", "inquire"): (1, ["GET /company/companies"], {"tickets"}, None),
    ("Configurations", "inquire"): (1, ["GET /company/configurations"], {"tickets"}, None),
    ("Configurations", "add"): (1, ["POST /company/configurations"], {"tickets"}, None),
    ("Configurations", "edit"): (2, ["PATCH /company/configurations/{id}"], {"tickets"}, None),
    ("Table Setup", "inquire"): (1, ["GET /service/boards", "GET /service/priorities",
                                     "GET /company/configurations/types"], set(), None),
    ("Table Setup", "add"): (1, ["POST /company/configurations/types"], {"tickets"}, None),
    ("Table Setup", "edit"): (2, ["PATCH /company/configurations/types/{id}/questions/{id}"],
                              {"configurations", "tickets"}, _question_set_inactive),
    ("Service Tickets", "add"): (1, ["POST /service/tickets"], {"configurations"}, None),
    ("Service Tickets", "inquire"): (2, ["GET /service/tickets/{id}"], {"configurations"}, None),
    ("Service Tickets", "edit"): (2, ["POST /service/tickets/{id}/notes"], {"configurations"}, None),
    "Company / Configuration": (1, ["GET /company/configurations/types"], {"tickets"}, None),
    "Service / Service Board": (1, ["GET /service/boards"], {"configurations"}, None),
    "Service / Priority": (1, ["GET /service/priorities"], {"configurations", "tickets"}, None),
}


@pytest.mark.parametrize("function, action, label", list(_takeaways()))
def test_each_permission_taken_away_fails_exactly_the_part_that_needs_it(
        extended_emulator, function, action, label):
    key = label if label is not None else (function, action)
    assert key in EXPECTED, "the seed's role grants %s: say what the sync needs it for" % (key,)
    phase, refused, working, tamper = EXPECTED[key]
    reduced = without(SEED_PERMISSIONS, function, action, label)
    console = Console(extended_emulator, SEED_PERMISSIONS if phase == 2 else reduced)
    if phase == 2:
        console.botnet(THRESHOLD + 1)
        assert console.sync()["ok"] is True
        if tamper is not None:
            tamper(console)
        console.set_role(reduced)
    console.botnet(THRESHOLD + 2)
    report = console.sync()

    assert report["ok"] is False
    assert [error["request"] for error in report["errors"]] == refused
    for error in report["errors"]:
        assert error["status"] == 403, error
        method, path = error["request"].split(" ", 1)
        path = _concrete(path, console)
        vendor = console.direct(method, path)
        assert vendor.status_code == 403 and error["message"] == vendor.json()["message"]
    results = customer_results(report)
    assert results["NO-SUCH-CO"] == ("failed" if refused == ["GET /company/companies"] else "no such company")
    if "configurations" in working:
        assert results["Contoso"] == results["Fabrikam"] == "synced"
        assert sum(report["configurations"].values()) == 2
    else:
        assert results["Contoso"] == results["Fabrikam"] == "failed"
        assert report["configurations"] == {"created": 0, "updated": 0}
    expected_tickets = {"opened": 0, "appended": 0}
    if "tickets" in working:
        expected_tickets["opened" if phase == 1 else "appended"] = 1
    assert report["tickets"] == expected_tickets
    status = console.emulator.control.state()["umbrella"]["orgs"][str(console.org_id)]["psaStatus"]
    first = report["errors"][0]
    assert status["ok"] is False and status["lastSyncAt"] == report["at"]
    assert status["lastError"] == "%s: 403 %s" % (first["request"], first["message"])


def _concrete(path, console):
    """A report's ``/{id}`` path with the ids the sync used, to ask the vendor directly."""
    if "/service/tickets/{id}" in path:
        return path.replace("{id}", str(console.tickets()[0]["id"]))
    if "/questions/{id}" in path:
        (config_type,) = console.configuration_types()
        question = next(q for q in console.all("/company/configurations/types/%d/questions" % config_type["id"])
                        if q["inactiveFlag"])
        return path.replace("{id}", str(config_type["id"]), 1).replace("{id}", str(question["id"]), 1)
    if "/company/configurations/{id}" in path:
        return path.replace("{id}", str(console.configurations()[0]["id"]))
    return path


def test_a_revoked_key_or_an_inactive_member_answers_every_request_401(extended_emulator):
    revoked = Console(extended_emulator)
    keys = revoked.cw.get("/system/apiMembers/%d/apiKeys" % revoked.member["id"]).json()
    assert revoked.cw.delete("/system/apiMembers/%d/apiKeys/%d" % (revoked.member["id"], keys[0]["id"])) \
        .status_code == 204
    inactive = Console(extended_emulator)
    assert inactive.cw.patch("/system/apiMembers/%d" % inactive.member["id"], [
        {"op": "replace", "path": "inactiveFlag", "value": True}]).status_code == 200
    for console in (revoked, inactive):
        console.botnet(THRESHOLD + 1)
        report = console.sync()
        assert report["ok"] is False
        assert report["errors"] and {error["status"] for error in report["errors"]} == {401}
        assert report["configurations"] == {"created": 0, "updated": 0}
        assert report["tickets"] == {"opened": 0, "appended": 0}
        assert {entry["result"] for entry in report["customers"]} == {"failed"}
        assert console.tickets() == [] and console.configurations() == []


def test_reports_events_and_followed_tickets_survive_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with EmulatorProcess(profile="extended", state_file=state_file) as emulator:
        console = Console(emulator)
        console.botnet(THRESHOLD + 1)
        report = console.sync()
        console.botnet(THRESHOLD + 2)
    # Another port and CA: the sync dials whatever the emulator listens on now.
    with EmulatorProcess(profile="extended", state_file=state_file) as emulator:
        assert emulator.control.last_psa_sync(console.org_id) == report
        after = emulator.control.psa_sync(console.org_id)
        assert after["tickets"] == {"opened": 0, "appended": 1}
        assert after["configurations"] == {"created": 0, "updated": 2}


# -- the control API ----------------------------------------------------------------------------

def test_control_api_answers(console):
    control = console.control
    assert control.request("GET", "umbrella/%d/psa/sync" % console.org_id).status_code == 404
    assert control.request("GET", "umbrella/999999999/psa/sync").status_code == 404
    assert control.request("POST", "umbrella/999999999/psa/sync", {}).status_code == 404
    bad_events = [{}, {"customerId": "1", "identity": "x", "count": 1},
                  {"customerId": console.customers["Contoso"], "identity": "", "count": 1},
                  {"customerId": console.customers["Contoso"], "identity": "x", "count": 0},
                  {"customerId": console.customers["Contoso"], "identity": "x", "count": True}]
    for body in bad_events:
        assert control.request("POST", "umbrella/%d/botnet-events" % console.org_id, body).status_code == 400, body
    assert control.request("POST", "umbrella/%d/botnet-events" % console.org_id, {
        "customerId": 1, "identity": "x", "count": 1}).status_code == 404
    assert control.request("POST", "umbrella/999999999/botnet-events", {
        "customerId": console.customers["Contoso"], "identity": "x", "count": 1}).status_code == 404
    for hours in (0, -1, "2", None, True):
        assert control.request("POST", "clock", {"advance_hours": hours}).status_code == 400, hours
    no_psa = next(_org_ids)
    control.create_tenant(name="umbrella-%d" % no_psa, umbrella={"org_id": no_psa, "api_key": "key-%d" % no_psa})
    assert control.request("POST", "umbrella/%d/psa/sync" % no_psa, {}).status_code == 409


# -- the console's integration status (UX3) -----------------------------------------------------

def test_status_route_shows_the_last_sync_in_extended(console):
    http = UmbrellaHttp(console.emulator)
    token = http.token(console.api_key, console.api_secret)
    before = http.call("GET", "/admin/v2/psa/status", token)
    assert before.status_code == 200
    assert before.json() == {"lastSyncAt": None, "ok": None, "lastError": None, "lastSuccessfulSyncAt": None}
    report = console.sync()
    after = http.call("GET", "/admin/v2/psa/status", token).json()
    assert after == {"lastSyncAt": report["at"], "ok": True, "lastError": None, "lastSuccessfulSyncAt": report["at"]}
    assert http.call("GET", "/admin/v2/psa/status", "not-a-token").status_code == 401


def test_status_route_is_absent_in_public_and_the_sync_still_runs(public_emulator):
    console = Console(public_emulator)
    report = console.sync()
    assert report["ok"] is True, report["errors"]
    http = UmbrellaHttp(public_emulator)
    answer = http.call("GET", "/admin/v2/psa/status", http.token(console.api_key, console.api_secret))
    assert answer.status_code == 404 and answer.json() == {"message": "Not Found"}


def test_syncs_of_one_console_at_once_make_no_duplicates(console):
    console.botnet(THRESHOLD + 1)
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(lambda _n: console.sync(), range(4)))
    assert sum(r["configurations"]["created"] for r in reports) == 2
    assert sum(r["tickets"]["opened"] for r in reports) == 1
    assert len(console.configuration_types()) == 1 and len(console.configurations()) == 2
    assert len(console.tickets()) == 1


# -- on a clock ---------------------------------------------------------------------------------

@pytest.mark.parametrize("interval", ["0", "-1", "soon"])
def test_sync_interval_must_be_a_positive_number(interval):
    started = subprocess.run([sys.executable, "-m", "emulator", "--port", "0", "--sync-interval", interval],
                             cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=60, check=False)
    assert started.returncode == 2 and "--sync-interval" in started.stderr


def test_sync_interval_runs_the_sync_by_itself_and_stops_cleanly():
    with EmulatorProcess(profile="extended", extra_args=["--sync-interval", "0.5"]) as emulator:
        console = Console(emulator)
        console.botnet(THRESHOLD + 4)
        deadline = time.monotonic() + 20
        while console.control.request("GET", "umbrella/%d/psa/sync" % console.org_id).status_code == 404:
            assert time.monotonic() < deadline, "no scheduled sync within 20 s: %s" % emulator.stderr()
            time.sleep(0.2)
        deadline = time.monotonic() + 20
        while not console.tickets():
            assert time.monotonic() < deadline, console.control.last_psa_sync(console.org_id)
            time.sleep(0.2)
        assert console.control.last_psa_sync(console.org_id)["ok"] is True
        assert len(console.configurations()) == 2
        time.sleep(1.2)   # two more passes: still one ticket, still two configurations
        assert len(console.tickets()) == 1 and len(console.configurations()) == 2
        assert emulator.stop() == 0
