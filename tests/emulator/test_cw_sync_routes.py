"""The ConnectWise routes Umbrella's sync uses (emulator/cw_records.py) and the emulator's clock.

Over real HTTPS against the emulator process: every answer is validated against the vendor's model
schema; conditions, paging and counts; ``_info`` names the member whose key wrote; the clock moves
``_info`` times, the Date header and token expiry; each permission the routes need, taken away,
refuses exactly the routes that need it.
"""

import datetime
import email.utils
import json
import threading

import pytest

from conftest import assert_cw_error, assert_schema, seed_tenant, unique
from emulator.clock import Clock
from support.emulator import EmulatorProcess, new_session
from test_umbrella_http import UmbrellaHttp

TYPES = "/company/configurations/types"
CONFIGURATIONS = "/company/configurations"
TICKETS = "/service/tickets"

# Everything the routes need, as the control act's settings and customize list take them.
FULL_SETTINGS = [
    {"module": "Companies", "function": "Company Maintenance", "inquire": "All"},
    {"module": "Companies", "function": "Configurations", "add": "All", "edit": "All", "delete": "All",
     "inquire": "All"},
    {"module": "System", "function": "Table Setup", "add": "All", "edit": "All", "delete": "All", "inquire": "All"},
    {"module": "Service Desk", "function": "Service Tickets", "add": "All", "edit": "All", "delete": "All",
     "inquire": "All"},
]
SCREENS = ["Company / Configuration", "Service / Service Board", "Service / Priority"]


def parse_stamp(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def created(response, model):
    assert response.status_code == 201, response.text
    assert_schema(model, response.json())
    return response.json()


def ok(response, model=None):
    assert response.status_code == 200, response.text
    if model:
        assert_schema(model, response.json())
    return response.json()


def umbrella_type(tenant, name=None, **credentials):
    """A configuration type with a text, a number and a percent question; (type, {question: id})."""
    kind = created(tenant.post(TYPES, {"name": name or unique("Umbrella ", 20)}, **credentials), "ConfigurationType")
    questions = {}
    for sequence, (text, field_type) in enumerate((("Service Status", "Text"), ("Threats Prevented", "Number"),
                                                   ("Efficacy", "Percent")), 1):
        body = {"question": text, "entryType": "EntryField", "fieldType": field_type, "sequenceNumber": sequence,
                "requiredFlag": False, "inactiveFlag": False}
        question = created(tenant.post("%s/%d/questions" % (TYPES, kind["id"]), body, **credentials),
                           "ConfigurationTypeQuestion")
        assert question["configurationType"]["id"] == kind["id"]
        questions[text] = question["id"]
    return kind, questions


def configuration(tenant, kind, company="Contoso", name=None, answers=None, **credentials):
    body = {"name": name or "Umbrella - %s" % company, "type": {"id": kind["id"]},
            "company": {"identifier": company}, "activeFlag": True}
    if answers is not None:
        body["questions"] = [{"questionId": q, "answer": a} for q, a in answers.items()]
    return created(tenant.post(CONFIGURATIONS, body, **credentials), "Configuration")


def ticket(tenant, company_id=2, board="Umbrella Alerts", **credentials):
    return created(tenant.post(TICKETS, {"summary": "Umbrella: botnet activity from laptop-7",
                                         "board": {"name": board}, "company": {"id": company_id},
                                         "initialDescription": "15 blocked botnet events"}, **credentials), "Ticket")


def role_member(tenant, settings=None, customize=None):
    """An API member whose role holds ``settings`` and ``customize`` (by default the seed's); (member, its credentials)."""
    settings = FULL_SETTINGS if settings is None else settings
    customize = SCREENS if customize is None else customize
    role, member, key = tenant.member_with_role(unique("Sync", 20))
    tenant.emulator.control.cw_role_settings(tenant.company_id, role["id"], settings, customize=customize)
    return role, member, dict(public_key=key["publicKey"], private_key=key["privateKey"])


# ---------------------------------------------------------------------------------------------------
# The clock (unit)
# ---------------------------------------------------------------------------------------------------
def test_clock_is_real_utc_time_plus_a_forward_only_offset():
    clock = Clock()
    before = datetime.datetime.now(datetime.timezone.utc)
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == datetime.timedelta(0)
    assert abs((now - before).total_seconds()) < 2 and clock.offset_hours == 0
    assert clock.advance(30) == 30.0 and clock.offset_hours == 30.0
    shifted = clock.now() - datetime.datetime.now(datetime.timezone.utc)
    assert abs(shifted.total_seconds() - 30 * 3600) < 2
    assert abs((parse_stamp(clock.iso()) - clock.now()).total_seconds()) < 2
    assert abs(clock.epoch() - clock.now().timestamp()) < 1
    clock.advance(0.5)
    assert clock.offset_hours == 30.5
    assert Clock(offset_hours=2).offset_hours == 2


@pytest.mark.parametrize("hours", [0, -1, float("inf"), float("nan")])
def test_clock_refuses_to_stand_still_or_go_back(hours):
    clock = Clock()
    with pytest.raises(ValueError):
        clock.advance(hours)
    assert clock.offset_hours == 0


@pytest.mark.parametrize("hours", ["1", None, True])
def test_clock_refuses_what_is_not_a_number(hours):
    with pytest.raises(TypeError):
        Clock().advance(hours)


def test_clock_advances_from_many_threads_add_up():
    clock = Clock()
    threads = [threading.Thread(target=lambda: [clock.advance(0.25) for _n in range(200)]) for _t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.offset_hours == 400.0


# ---------------------------------------------------------------------------------------------------
# Configuration types and their questions
# ---------------------------------------------------------------------------------------------------
def test_configuration_types_and_questions_lifecycle(tenant):
    kind, questions = umbrella_type(tenant, "Umbrella")
    listed = ok(tenant.get(TYPES), "ConfigurationType")
    assert [t["name"] for t in listed] == ["Umbrella"]
    assert ok(tenant.get(TYPES + "/count"), "Count") == {"count": 1}
    assert ok(tenant.get("%s/%d" % (TYPES, kind["id"])), "ConfigurationType") == listed[0]
    assert kind["_info"]["enteredBy"] == kind["_info"]["updatedBy"] == "admin"

    path = "%s/%d/questions" % (TYPES, kind["id"])
    listed_questions = ok(tenant.get(path), "ConfigurationTypeQuestion")
    assert [q["question"] for q in listed_questions] == ["Service Status", "Threats Prevented", "Efficacy"]
    assert ok(tenant.get(path + "/count"), "Count") == {"count": 3}
    assert ok(tenant.get(path, {"conditions": 'fieldType="Number"'}))[0]["id"] == questions["Threats Prevented"]
    one = ok(tenant.get("%s/%d" % (path, questions["Efficacy"])), "ConfigurationTypeQuestion")
    assert one["fieldType"] == "Percent"
    patched = ok(tenant.patch("%s/%d" % (path, questions["Efficacy"]),
                              [{"op": "replace", "path": "numberOfDecimals", "value": 1}]), "ConfigurationTypeQuestion")
    assert patched["numberOfDecimals"] == 1
    # A question of another type is not reached through this type.
    other, other_questions = umbrella_type(tenant)
    assert_cw_error(tenant.get("%s/%d" % (path, other_questions["Efficacy"])), 404, "NotFound")

    renamed = ok(tenant.put("%s/%d" % (TYPES, kind["id"]), {"name": "Umbrella Security"}), "ConfigurationType")
    assert renamed["name"] == "Umbrella Security" and renamed["inactiveFlag"] is False
    deactivate = [{"op": "replace", "path": "inactiveFlag", "value": True}]
    inactive = ok(tenant.patch("%s/%d" % (TYPES, kind["id"]), deactivate), "ConfigurationType")
    assert inactive["inactiveFlag"] is True and inactive["name"] == "Umbrella Security"

    # Deleting a type in use is refused; once free, it goes with its questions.
    used = configuration(tenant, kind)
    assert_cw_error(tenant.delete("%s/%d" % (TYPES, kind["id"])), 400, "InvalidObject", field="id")
    assert tenant.delete("%s/%d" % (CONFIGURATIONS, used["id"])).status_code == 204
    deleted = tenant.delete("%s/%d" % (TYPES, kind["id"]))
    assert deleted.status_code == 204 and deleted.content == b""
    assert_cw_error(tenant.get("%s/%d" % (TYPES, kind["id"])), 404, "NotFound")
    assert_cw_error(tenant.get(path), 404, "NotFound")
    assert [t["id"] for t in tenant.get(TYPES).json()] == [other["id"]]


@pytest.mark.parametrize("body, field, code", [
    ({}, "name", "NullValue"),
    ({"name": "  "}, "name", "NullValue"),
    ({"name": "x" * 51}, "name", "InvalidField"),
    ({"name": 5}, "name", "InvalidField"),
    ({"name": "Umbrella", "inactiveFlag": "no"}, "inactiveFlag", "InvalidField"),
])
def test_configuration_type_bodies_are_validated(tenant, body, field, code):
    assert_cw_error(tenant.post(TYPES, body), 400, "InvalidObject", field=field, error_code=code)
    assert tenant.get(TYPES + "/count").json() == {"count": 0}


def test_configuration_type_names_are_unique_case_insensitively(tenant):
    created(tenant.post(TYPES, {"name": "Umbrella"}), "ConfigurationType")
    assert_cw_error(tenant.post(TYPES, {"name": "UMBRELLA"}), 400, "InvalidObject", field="name",
                    error_code="ObjectExists")


@pytest.mark.parametrize("change, field", [
    ({"question": None}, "question"),
    ({"sequenceNumber": None}, "sequenceNumber"),
    ({"entryType": "Free"}, "entryType"),
    ({"fieldType": "Integer"}, "fieldType"),
    ({"numberOfDecimals": 1.5}, "numberOfDecimals"),
])
def test_question_bodies_are_validated(tenant, change, field):
    kind = created(tenant.post(TYPES, {"name": "Umbrella"}), "ConfigurationType")
    body = dict({"question": "Efficacy", "entryType": "EntryField", "fieldType": "Percent", "sequenceNumber": 1},
                **change)
    assert_cw_error(tenant.post("%s/%d/questions" % (TYPES, kind["id"]), body), 400, "InvalidObject", field=field)
    assert_cw_error(tenant.post("%s/999/questions" % TYPES, body), 404, "NotFound")


# ---------------------------------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------------------------------
def test_configuration_lifecycle_with_answers(tenant):
    kind, questions = umbrella_type(tenant)
    made = configuration(tenant, kind, answers={questions["Service Status"]: "Active",
                                                questions["Threats Prevented"]: 12, questions["Efficacy"]: "98.5"})
    assert made["company"]["identifier"] == "Contoso" and made["company"]["id"] == 2
    assert made["type"] == {"id": kind["id"], "name": kind["name"], "_info": made["type"]["_info"]}
    assert made["status"]["name"] == "Active"
    answers = {q["question"]: q for q in made["questions"]}
    assert answers["Threats Prevented"]["answer"] == 12 and answers["Efficacy"]["answer"] == "98.5"
    assert answers["Threats Prevented"]["fieldType"] == "Number" and answers["Threats Prevented"]["answerId"]

    path = "%s/%d" % (CONFIGURATIONS, made["id"])
    assert ok(tenant.get(path), "Configuration") == made
    # The sync's update: every answer replaced in one PATCH; an answer keeps its id.
    patched = ok(tenant.patch(path, [{"op": "replace", "path": "questions", "value": [
        {"questionId": questions["Threats Prevented"], "answer": 40}]}]), "Configuration")
    after = {q["question"]: q for q in patched["questions"]}
    assert after["Threats Prevented"]["answer"] == 40
    assert after["Threats Prevented"]["answerId"] == answers["Threats Prevented"]["answerId"]
    assert after["Service Status"]["answer"] is None and after["Service Status"]["answerId"] is None
    # Nested reference paths, as the vendor's PATCH takes them.
    moved = ok(tenant.patch(path, [{"op": "replace", "path": "company/id", "value": 3}]), "Configuration")
    assert moved["company"]["identifier"] == "Fabrikam"
    assert [q["answer"] for q in moved["questions"] if q["question"] == "Threats Prevented"] == [40]

    # PUT replaces the object: what it leaves out returns to its default (answers stay unless given).
    replaced = ok(tenant.put(path, {"name": "Umbrella - Fabrikam", "type": {"name": kind["name"]},
                                    "company": {"id": 3}, "serialNumber": "SN-1"}), "Configuration")
    assert replaced["serialNumber"] == "SN-1" and replaced["activeFlag"] is True
    assert ok(tenant.put(path, {"name": "Umbrella - Fabrikam", "type": {"id": kind["id"]}, "company": {"id": 3}}),
              "Configuration")["serialNumber"] is None

    # A new question of the type shows on the configuration, unanswered.
    created(tenant.post("%s/%d/questions" % (TYPES, kind["id"]), {
        "question": "Value Report", "entryType": "EntryField", "fieldType": "Hyperlink", "sequenceNumber": 9}),
        "ConfigurationTypeQuestion")
    assert ok(tenant.get(path))["questions"][-1] == {
        "answerId": None, "questionId": ok(tenant.get(path))["questions"][-1]["questionId"], "question": "Value Report",
        "answer": None, "sequenceNumber": 9, "numberOfDecimals": None, "fieldType": "Hyperlink", "requiredFlag": False}

    assert tenant.delete(path).status_code == 204
    assert_cw_error(tenant.get(path), 404, "NotFound")
    assert_cw_error(tenant.delete(path), 404, "NotFound")


@pytest.mark.parametrize("change, field, code", [
    ({"company": None}, "company", "NullValue"),
    ({"type": None}, "type", "NullValue"),
    ({"name": None}, "name", "NullValue"),
    ({"name": "x" * 101}, "name", "InvalidField"),
    ({"company": {"identifier": "NO-SUCH-CO"}}, "company", "InvalidField"),
    ({"company": {"id": "2"}}, "company", "InvalidField"),
    ({"company": "Contoso"}, "company", "InvalidField"),
    ({"type": {"id": 999}}, "type", "InvalidField"),
    ({"status": {"name": "Retired"}}, "status", "InvalidField"),
    ({"activeFlag": "yes"}, "activeFlag", "InvalidField"),
    ({"installationDate": "yesterday"}, "installationDate", "InvalidField"),
    ({"questions": {"Efficacy": 1}}, "questions", "InvalidField"),
    ({"questions": [{"questionId": 999, "answer": "x"}]}, "questions", "InvalidField"),
    ({"questions": [{"questionId": "number", "answer": "many"}]}, "questions", "InvalidField"),
    ({"questions": [{"questionId": "number", "answer": {"x": 1}}]}, "questions", "InvalidField"),
])
def test_configuration_bodies_are_validated(tenant, change, field, code):
    kind, questions = umbrella_type(tenant)
    body = {"name": "Umbrella - Contoso", "type": {"id": kind["id"]}, "company": {"id": 2}}
    body.update(change)
    for item in body.get("questions") if isinstance(body.get("questions"), list) else []:
        if item["questionId"] == "number":
            item["questionId"] = questions["Threats Prevented"]
    assert_cw_error(tenant.post(CONFIGURATIONS, body), 400, "InvalidObject", field=field, error_code=code)
    assert tenant.get(CONFIGURATIONS + "/count").json() == {"count": 0}


def test_a_deleted_company_takes_no_new_configuration(tenant):
    kind, _questions = umbrella_type(tenant)
    tenant.emulator.control.request("POST", "connectwise/%s/companies/Northwind" % tenant.company_id,
                                    {"deletedFlag": True}, expect=200)
    assert_cw_error(tenant.post(CONFIGURATIONS, {"name": "x", "type": {"id": kind["id"]},
                                                 "company": {"identifier": "Northwind"}}), 400, field="company")


def test_configuration_patch_paths_are_checked(tenant):
    kind, _questions = umbrella_type(tenant)
    path = "%s/%d" % (CONFIGURATIONS, configuration(tenant, kind)["id"])
    for operations, field in (([{"op": "replace", "path": "id", "value": 9}], "id"),
                              ([{"op": "replace", "path": "company/foo", "value": 9}], "company/foo"),
                              ([{"op": "remove", "path": "name"}], "name"),
                              ([{"op": "move", "path": "name", "value": "x"}], "op")):
        assert_cw_error(tenant.patch(path, operations), 400, "InvalidObject", field=field)
    assert_cw_error(tenant.patch(path, {"name": "x"}), 400, "InvalidObject")


def test_configurations_conditions_paging_and_count(tenant):
    kind, questions = umbrella_type(tenant)
    other, _unused = umbrella_type(tenant)
    bulk = tenant.emulator.control.request("POST", "connectwise/%s/bulk-companies" % tenant.company_id,
                                           {"count": 30, "prefix": "SYNC"}, expect=201).json()
    for identifier in bulk["identifiers"]:
        configuration(tenant, kind, company=identifier)
    configuration(tenant, other, company="Contoso", name="Other type")

    assert ok(tenant.get(CONFIGURATIONS + "/count"), "Count") == {"count": 31}
    assert tenant.get(CONFIGURATIONS + "/count", {"conditions": "type/id=%d" % kind["id"]}).json() == {"count": 30}
    # What the sync asks: the configuration of its type for one company.
    company = tenant.get("/company/companies", {"conditions": 'identifier="SYNC7"'}).json()[0]
    found = ok(tenant.get(CONFIGURATIONS, {"conditions": "type/id=%d and company/id=%d" % (kind["id"], company["id"])}),
               "Configuration")
    assert [c["company"]["identifier"] for c in found] == ["SYNC7"]
    assert [c["name"] for c in tenant.get(CONFIGURATIONS, {"conditions": 'type/name="%s"' % other["name"]}).json()] \
        == ["Other type"]
    assert len(tenant.get(CONFIGURATIONS, {"conditions": '_info/enteredBy="admin"', "pageSize": 100}).json()) == 31
    assert tenant.get(CONFIGURATIONS, {"conditions": 'company/identifier like "SYNC1%"', "pageSize": 100}
                      ).json()[0]["company"]["identifier"] == "SYNC1"
    assert_cw_error(tenant.get(CONFIGURATIONS, {"conditions": "nosuchfield=1"}), 400, "InvalidObject")

    # Navigable pages with a Link header, ordered, with fields.
    page = tenant.get(CONFIGURATIONS, {"pageSize": 10, "page": 2, "orderBy": "id desc", "fields": "id,name,company/id"})
    assert page.status_code == 200 and len(page.json()) == 10
    assert all(set(c) == {"id", "name", "company"} and set(c["company"]) == {"id"} for c in page.json())
    ids = [c["id"] for c in page.json()]
    assert ids == sorted(ids, reverse=True)
    for rel in ("first", "prev", "next", "last"):
        assert 'rel="%s"' % rel in page.headers["Link"]
    # Forward-only pages walk every record once.
    seen, url, params = [], CONFIGURATIONS, {"pageSize": 8}
    headers = tenant.headers(**{"pagination-type": "forward-only"})
    while url:
        answer = tenant.request("GET", url, params=params, headers=headers)
        seen += [c["id"] for c in answer.json()]
        link = answer.headers.get("Link")
        url, params = (link.split(";")[0].strip("<>"), None) if link else (None, None)
    assert len(seen) == len(set(seen)) == 31


# ---------------------------------------------------------------------------------------------------
# Companies, boards, priorities
# ---------------------------------------------------------------------------------------------------
def test_companies_match_the_vendor_company_model(tenant):
    companies = ok(tenant.get("/company/companies", {"pageSize": 1000}), "Company")
    assert [c["identifier"] for c in companies][1:] == ["Contoso", "Fabrikam", "Northwind", "AdventureWorks"]
    contoso = ok(tenant.get("/company/companies/2"), "Company")
    assert contoso["_info"]["enteredBy"] == "system" and contoso["_info"]["dateEntered"]
    assert contoso["status"] == {"id": 1, "name": "Active"} and contoso["deletedFlag"] is False
    # The mapping's batched lookup (existing behaviour) still reads the same fields.
    looked_up = tenant.get("/company/companies", {"conditions": 'identifier in ("Contoso","Fabrikam")',
                                                  "fields": "id,identifier,name,status,deletedFlag"}).json()
    assert [set(c) for c in looked_up] == [{"id", "identifier", "name", "status", "deletedFlag"}] * 2


def test_boards_and_priorities_are_seeded(tenant):
    boards = ok(tenant.get("/service/boards"), "Board")
    assert {"Help Desk", "Professional Services", "Umbrella Alerts", "Security"} <= {b["name"] for b in boards}
    assert ok(tenant.get("/service/boards/count"), "Count") == {"count": len(boards)}
    alerts = ok(tenant.get("/service/boards", {"conditions": 'name="Umbrella Alerts"'}), "Board")
    assert len(alerts) == 1 and ok(tenant.get("/service/boards/%d" % alerts[0]["id"]), "Board") == alerts[0]
    priorities = ok(tenant.get("/service/priorities"), "Priority")
    assert len(priorities) >= 4 and [p["name"] for p in priorities if p["defaultFlag"]] == [
        "Priority 3 - Normal Response"]
    assert ok(tenant.get("/service/priorities/count"), "Count") == {"count": len(priorities)}
    assert ok(tenant.get("/service/priorities/%d" % priorities[0]["id"]), "Priority") == priorities[0]
    assert_cw_error(tenant.get("/service/priorities/999"), 404, "NotFound")
    assert_cw_error(tenant.get("/service/boards/999"), 404, "NotFound")
    # Setup tables are read-only over the API here.
    assert tenant.post("/service/boards", {"name": "New"}).status_code == 405


# ---------------------------------------------------------------------------------------------------
# Tickets and notes
# ---------------------------------------------------------------------------------------------------
def test_ticket_lifecycle_with_notes(tenant):
    made = ticket(tenant)
    assert made["board"]["name"] == "Umbrella Alerts" and made["company"]["identifier"] == "Contoso"
    assert made["status"]["name"] == "New" and made["closedFlag"] is False
    assert made["priority"]["name"] == "Priority 3 - Normal Response"  # the default priority
    path = "%s/%d" % (TICKETS, made["id"])
    assert ok(tenant.get(path), "Ticket") == made
    assert ok(tenant.get(TICKETS + "/count"), "Count") == {"count": 1}

    note = created(tenant.post(path + "/notes", {"text": "4 more events", "detailDescriptionFlag": True}),
                   "TicketNote")
    assert note["ticketId"] == made["id"] and note["member"]["identifier"] == "admin"
    notes = ok(tenant.get(path + "/notes"), "TicketNote")
    assert [n["text"] for n in notes] == ["4 more events"]
    assert ok(tenant.get(path + "/notes/count"), "Count") == {"count": 1}
    assert ok(tenant.get("%s/notes/%d" % (path, note["id"])), "TicketNote") == note
    assert_cw_error(tenant.post(path + "/notes", {"text": "no kind"}), 400, field="detailDescriptionFlag")
    assert_cw_error(tenant.post(path + "/notes", {"detailDescriptionFlag": True}), 400, field="text")
    assert_cw_error(tenant.post(TICKETS + "/999/notes", {"text": "x", "detailDescriptionFlag": True}), 404)

    # Moved to another board by a person, closed, reopened.
    moved = ok(tenant.patch(path, [{"op": "replace", "path": "board", "value": {"name": "Help Desk"}}]), "Ticket")
    assert moved["board"]["name"] == "Help Desk"
    closed = ok(tenant.patch(path, [{"op": "replace", "path": "closedFlag", "value": True}]), "Ticket")
    assert closed["closedFlag"] is True and closed["status"]["name"] == "Closed"
    assert closed["closedBy"] == "admin" and closed["closedDate"]
    assert tenant.get(TICKETS, {"conditions": "closedFlag=false"}).json() == []
    reopened = ok(tenant.patch(path, [{"op": "replace", "path": "status", "value": {"name": "In Progress"}}]), "Ticket")
    assert reopened["closedFlag"] is False and reopened["closedDate"] is None

    replaced = ok(tenant.put(path, {"summary": "Replaced", "board": {"id": moved["board"]["id"]},
                                    "company": {"identifier": "Fabrikam"}, "priority": {"id": 1}}), "Ticket")
    assert replaced["summary"] == "Replaced" and replaced["priority"]["id"] == 1
    assert replaced["company"]["identifier"] == "Fabrikam" and replaced["status"]["name"] == "New"
    assert tenant.delete(path).status_code == 204
    assert_cw_error(tenant.get(path), 404, "NotFound")
    assert_cw_error(tenant.get(path + "/notes"), 404, "NotFound")


@pytest.mark.parametrize("change, field, code", [
    ({"summary": None}, "summary", "NullValue"),
    ({"summary": "x" * 101}, "summary", "InvalidField"),
    ({"board": None}, "board", "NullValue"),
    ({"board": {"name": "No Such Board"}}, "board", "InvalidField"),
    ({"company": None}, "company", "NullValue"),
    ({"company": {"identifier": "NO-SUCH-CO"}}, "company", "InvalidField"),
    ({"priority": {"id": 999}}, "priority", "InvalidField"),
    ({"severity": "Urgent"}, "severity", "InvalidField"),
    ({"status": {"name": "Parked"}}, "status", "InvalidField"),
])
def test_ticket_bodies_are_validated(tenant, change, field, code):
    body = {"summary": "Umbrella: botnet activity", "board": {"id": 3}, "company": {"id": 2}}
    body.update(change)
    assert_cw_error(tenant.post(TICKETS, body), 400, "InvalidObject", field=field, error_code=code)
    assert tenant.get(TICKETS + "/count").json() == {"count": 0}


def test_a_summary_of_exactly_100_characters_is_taken(tenant):
    made = created(tenant.post(TICKETS, {"summary": "y" * 100, "board": {"id": 3}, "company": {"id": 2}}), "Ticket")
    assert len(made["summary"]) == 100
    assert_cw_error(tenant.patch("%s/%d" % (TICKETS, made["id"]), [
        {"op": "replace", "path": "summary", "value": "y" * 101}]), 400, field="summary")


# ---------------------------------------------------------------------------------------------------
# _info: who wrote, and when
# ---------------------------------------------------------------------------------------------------
def test_info_names_the_member_whose_key_wrote(tenant):
    _role, member, own = role_member(tenant)
    kind, questions = umbrella_type(tenant)  # entered by admin
    made = configuration(tenant, kind, answers={questions["Threats Prevented"]: 1}, **own)
    assert made["_info"]["enteredBy"] == made["_info"]["updatedBy"] == member["identifier"]
    path = "%s/%d" % (CONFIGURATIONS, made["id"])
    by_admin = ok(tenant.patch(path, [{"op": "replace", "path": "notes", "value": "checked"}]), "Configuration")
    assert by_admin["_info"]["enteredBy"] == member["identifier"] and by_admin["_info"]["updatedBy"] == "admin"
    mine = tenant.get(CONFIGURATIONS, {"conditions": '_info/enteredBy="%s"' % member["identifier"]}).json()
    assert [c["id"] for c in mine] == [made["id"]]
    assert tenant.get(TYPES, {"conditions": '_info/enteredBy="%s"' % member["identifier"]}).json() == []

    # A note is a change of its ticket: the ticket's updatedBy is the note's writer.
    opened = ticket(tenant)
    created(tenant.post("%s/%d/notes" % (TICKETS, opened["id"]), {"text": "more", "detailDescriptionFlag": True},
                        **own), "TicketNote")
    after = tenant.get("%s/%d" % (TICKETS, opened["id"])).json()
    assert after["_info"]["enteredBy"] == "admin" and after["_info"]["updatedBy"] == member["identifier"]
    recent = tenant.get(TICKETS, {"conditions": '_info/updatedBy="%s" and _info/lastUpdated>=[%s]' % (
        member["identifier"], opened["_info"]["dateEntered"])}).json()
    assert [t["id"] for t in recent] == [opened["id"]]


def test_the_routes_are_the_vendors_and_served_in_the_public_profile(public_tenant):
    kind, _questions = umbrella_type(public_tenant)
    assert configuration(public_tenant, kind)["type"]["id"] == kind["id"]
    assert ticket(public_tenant)["board"]["name"] == "Umbrella Alerts"
    assert ok(public_tenant.get("/service/priorities/count"))["count"] >= 4


# ---------------------------------------------------------------------------------------------------
# The clock: _info times, the Date header and token expiry follow it (an emulator of its own, since
# the clock only moves forward)
# ---------------------------------------------------------------------------------------------------
def test_advancing_the_clock_moves_info_times_date_header_and_token_expiry():
    with EmulatorProcess(profile="extended") as emulator:
        tenant = seed_tenant(emulator)
        kind, questions = umbrella_type(tenant)
        made = configuration(tenant, kind)
        entered = parse_stamp(made["_info"]["dateEntered"])
        cw_token = created(tenant.post("/system/members/admin/tokens", {}, headers=tenant.headers(
            **{"x-cw-usertype": "member"})), "Token")
        umbrella = UmbrellaHttp(emulator)
        _org, key, secret, _children = umbrella.seed_console()
        umbrella_token = umbrella.token(key, secret)
        assert umbrella.call("GET", "/admin/v2/managed/customers", umbrella_token).status_code == 200

        moved = emulator.control.advance_clock(30)
        assert moved["offset_hours"] == 30
        path = "%s/%d" % (CONFIGURATIONS, made["id"])
        answer = tenant.patch(path, [{"op": "replace", "path": "questions", "value": [
            {"questionId": questions["Service Status"], "answer": "Active"}]}])
        updated = ok(answer, "Configuration")["_info"]
        assert parse_stamp(updated["dateEntered"]) == entered
        assert 30 * 3600 - 5 <= (parse_stamp(updated["lastUpdated"]) - entered).total_seconds() <= 30 * 3600 + 60
        server_now = email.utils.parsedate_to_datetime(answer.headers["Date"])
        assert abs((server_now - parse_stamp(updated["lastUpdated"])).total_seconds()) < 5
        stamp = (entered + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert [c["id"] for c in tenant.get(CONFIGURATIONS, {"conditions": "_info/lastUpdated>[%s]" % stamp}).json()] \
            == [made["id"]]
        assert tenant.get(CONFIGURATIONS, {"conditions": "_info/dateEntered>[%s]" % stamp}).json() == []
        assert parse_stamp(ticket(tenant)["_info"]["dateEntered"]) >= entered + datetime.timedelta(hours=30)

        # Tokens issued before are expired, as a day later in reality; new ones work.
        assert_cw_error(tenant.get("/system/mySecurity", public_key=cw_token["publicKey"],
                                   private_key=cw_token["privateKey"]), 401)
        expired = umbrella.call("GET", "/admin/v2/managed/customers", umbrella_token)
        assert expired.status_code == 400 and expired.json() == {"error": "invalid_request"}
        assert umbrella.call("GET", "/admin/v2/managed/customers", umbrella.token(key, secret)).status_code == 200


# ---------------------------------------------------------------------------------------------------
# Permissions: each one taken away refuses exactly the routes that need it
# ---------------------------------------------------------------------------------------------------
# (method, path template, what it needs): a (module function, action) pair or a customize label.
TABLE_SETUP = "Table Setup"
ROUTE_NEEDS = [
    ("GET", "/company/companies", {("Company Maintenance", "inquire")}),
    ("GET", "/company/companies/count", {("Company Maintenance", "inquire")}),
    ("GET", "/company/configurations", {("Configurations", "inquire")}),
    ("GET", "/company/configurations/count", {("Configurations", "inquire")}),
    ("GET", "/company/configurations/{configuration}", {("Configurations", "inquire")}),
    ("POST", "/company/configurations", {("Configurations", "add")}),
    ("PUT", "/company/configurations/{configuration}", {("Configurations", "edit")}),
    ("PATCH", "/company/configurations/{configuration}", {("Configurations", "edit")}),
    ("DELETE", "/company/configurations/{spare_configuration}", {("Configurations", "delete")}),
    ("GET", "/company/configurations/types", {(TABLE_SETUP, "inquire"), "Company / Configuration"}),
    ("GET", "/company/configurations/types/count", {(TABLE_SETUP, "inquire"), "Company / Configuration"}),
    ("GET", "/company/configurations/types/{type}", {(TABLE_SETUP, "inquire"), "Company / Configuration"}),
    ("POST", "/company/configurations/types", {(TABLE_SETUP, "add"), "Company / Configuration"}),
    ("PATCH", "/company/configurations/types/{type}", {(TABLE_SETUP, "edit"), "Company / Configuration"}),
    ("DELETE", "/company/configurations/types/{spare_type}", {(TABLE_SETUP, "delete"), "Company / Configuration"}),
    ("GET", "/company/configurations/types/{type}/questions", {(TABLE_SETUP, "inquire"), "Company / Configuration"}),
    ("POST", "/company/configurations/types/{type}/questions", {(TABLE_SETUP, "add"), "Company / Configuration"}),
    ("GET", "/service/boards", {(TABLE_SETUP, "inquire"), "Service / Service Board"}),
    ("GET", "/service/boards/3", {(TABLE_SETUP, "inquire"), "Service / Service Board"}),
    ("GET", "/service/priorities", {(TABLE_SETUP, "inquire"), "Service / Priority"}),
    ("GET", "/service/priorities/count", {(TABLE_SETUP, "inquire"), "Service / Priority"}),
    ("GET", "/service/tickets", {("Service Tickets", "inquire")}),
    ("GET", "/service/tickets/{ticket}", {("Service Tickets", "inquire")}),
    ("POST", "/service/tickets", {("Service Tickets", "add")}),
    ("PATCH", "/service/tickets/{ticket}", {("Service Tickets", "edit")}),
    ("GET", "/service/tickets/{ticket}/notes", {("Service Tickets", "inquire")}),
    ("POST", "/service/tickets/{ticket}/notes", {("Service Tickets", "edit")}),
]
TAKEN_AWAY = sorted({need for _m, _p, needs in ROUTE_NEEDS for need in needs}, key=str)


def _bodies(ids):
    return {
        "/company/configurations": {"name": unique("Umbrella ", 20), "type": {"id": ids["type"]},
                                    "company": {"id": 2}},
        "/company/configurations/types": {"name": unique("Type ", 20)},
        "/company/configurations/types/{type}/questions": {"question": "Efficacy", "entryType": "EntryField",
                                                           "fieldType": "Percent", "sequenceNumber": 1},
        "/service/tickets": {"summary": "Umbrella", "board": {"id": 3}, "company": {"id": 2}},
        "/service/tickets/{ticket}/notes": {"text": "more", "detailDescriptionFlag": True},
    }


def _send(tenant, method, template, ids, own):
    path = template.format(**ids)
    body = None
    if method in ("POST", "PUT"):
        body = dict(_bodies(ids).get(template) or {"name": unique("Umbrella ", 20), "type": {"id": ids["type"]},
                                                   "company": {"id": 2}})
    elif method == "PATCH":
        body = [{"op": "replace", "path": "name" if "configurations" in template else "summary", "value": "Patched"}]
    return tenant.request(method, path, json_body=body, **own)


@pytest.mark.parametrize("taken", TAKEN_AWAY, ids=lambda need: need if isinstance(need, str) else "-".join(need))
def test_each_permission_taken_away_refuses_exactly_the_routes_that_need_it(tenant, taken):
    settings = []
    for entry in FULL_SETTINGS:
        entry = dict(entry)
        if isinstance(taken, tuple) and entry["function"] == taken[0]:
            entry[taken[1]] = "None"
        settings.append(entry)
    customize = [label for label in SCREENS if label != taken]
    _role, _member, own = role_member(tenant, settings, customize)
    kind, _questions = umbrella_type(tenant)
    spare_type = created(tenant.post(TYPES, {"name": unique("Spare ", 20)}), "ConfigurationType")
    ids = {"type": kind["id"], "spare_type": spare_type["id"],
           "configuration": configuration(tenant, kind)["id"],
           "spare_configuration": configuration(tenant, kind, name="Spare")["id"], "ticket": ticket(tenant)["id"]}
    for method, template, needs in ROUTE_NEEDS:
        answer = _send(tenant, method, template, ids, own)
        if taken in needs:
            body = assert_cw_error(answer, 403, "Forbidden")
            assert "security role does not allow" in body["message"], body
        else:
            assert answer.status_code in (200, 201, 204), (method, template, answer.status_code, answer.text)


def test_a_role_without_any_of_it_is_refused_everywhere(tenant):
    _role, _member, own = role_member(tenant, settings=[], customize=[])
    kind, _questions = umbrella_type(tenant)
    ids = {"type": kind["id"], "spare_type": kind["id"], "configuration": configuration(tenant, kind)["id"],
           "spare_configuration": 0, "ticket": ticket(tenant)["id"]}
    for method, template, _needs in ROUTE_NEEDS:
        assert_cw_error(_send(tenant, method, template, ids, own), 403, "Forbidden")


# ---------------------------------------------------------------------------------------------------
# State file
# ---------------------------------------------------------------------------------------------------
def test_the_records_survive_a_restart_with_a_state_file(tmp_path):
    state_file = tmp_path / "state.json"
    with EmulatorProcess(profile="extended", state_file=str(state_file)) as emulator:
        tenant = seed_tenant(emulator)
        kind, questions = umbrella_type(tenant)
        made = configuration(tenant, kind, answers={questions["Efficacy"]: "99.1"})
        opened = ticket(tenant)
        kept = {"text": "kept", "internalAnalysisFlag": True}
        note = created(tenant.post("%s/%d/notes" % (TICKETS, opened["id"]), kept), "TicketNote")
        emulator.control.advance_clock(5)
        old_url = emulator.url
        before = {path: json.dumps(tenant.get(path).json()).replace(old_url, "") for path in (
            "%s/%d" % (CONFIGURATIONS, made["id"]), "%s/%d" % (TYPES, kind["id"]),
            "%s/%d/questions" % (TYPES, kind["id"]), "%s/%d" % (TICKETS, opened["id"]),
            "%s/%d/notes" % (TICKETS, opened["id"]), "/service/boards", "/service/priorities", "/company/companies")}
    with EmulatorProcess(profile="extended", state_file=str(state_file)) as emulator:
        tenant.emulator, tenant.base, tenant.session = emulator, emulator.cw_base, new_session(emulator.ca_file)
        for path, body in before.items():
            # The same records; only the host and port of their hrefs changed.
            assert json.dumps(tenant.get(path).json()).replace(emulator.url, "") == body, path
        # The clock resumed its offset; new ids continue after the restored ones.
        again = configuration(tenant, kind, company="Fabrikam")
        assert again["id"] > made["id"]
        assert parse_stamp(again["_info"]["dateEntered"]) >= parse_stamp(made["_info"]["dateEntered"]) + \
            datetime.timedelta(hours=5)
        assert created(tenant.post("%s/%d/notes" % (TICKETS, opened["id"]), {
            "text": "after", "resolutionFlag": True}), "TicketNote")["id"] > note["id"]
