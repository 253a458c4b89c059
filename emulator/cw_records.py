"""The ConnectWise records Cisco Umbrella's PSA integration reads and writes with the key it holds.

Configurations (Companies › Configurations) and their types and questions (System › Table Setup,
"Company / Configuration"), service tickets and their notes (Service Desk › Service Tickets), and
the service boards and priorities the console offers (Table Setup, "Service / Service Board" and
"Service / Priority"). Shapes follow the vendor's models (``Configuration``, ``ConfigurationType``,
``ConfigurationTypeQuestion``, ``ConfigurationQuestion``, ``Ticket``, ``TicketNote``, ``Board``,
``Priority``); lists, conditions, paging and permissions are the service's own (connectwise.py).

Each kind of record is described once (its writable fields, references, required fields and how it
renders); list, count, get, create, replace (PUT), update (PATCH) and delete are shared. A security
level "My" is treated as "All" here, as it is everywhere in the emulator.
"""

import functools

from emulator import cw_conditions
from emulator.cw_model import CONFIGURATION_STATUSES, DEPARTMENTS, LOCATIONS, TICKET_STATUSES
from emulator.cw_requests import CwError, Route, invalid, not_found, patch_operations
from emulator.http_types import Response

CONFIGURATIONS = ("Companies", "Configurations")
SERVICE_TICKETS = ("Service Desk", "Service Tickets")
TABLE_SETUP = ("System", "Table Setup")
CONFIGURATION_SCREEN = "Company / Configuration"
BOARD_SCREEN = "Service / Service Board"
PRIORITY_SCREEN = "Service / Priority"

ENTRY_TYPES = ("Date", "EntryField", "List", "Option")
FIELD_TYPES = ("TextArea", "Currency", "Date", "Hyperlink", "IPAddress", "Checkbox", "Number", "Percent", "Text",
               "Password")
NUMERIC_FIELD_TYPES = ("Currency", "Number", "Percent")
LEVELS_OF_CONCERN = ("Low", "Medium", "High")
NOTE_KINDS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")


# ---------------------------------------------------------------------------------------------------
# Field checks: (kind, argument) -> stored value, or a 400 naming the field
# ---------------------------------------------------------------------------------------------------
def text(limit=None):
    return ("text", limit)


FLAG = ("flag", None)
INTEGER = ("integer", None)
NUMBER = ("number", None)
DATETIME = ("datetime", None)


def choice(*values):
    return ("choice", values)


def check_scalar(resource, field, spec, value):
    kind, argument = spec
    if value is None:
        return None
    if kind == "text":
        if not isinstance(value, str) or (argument is not None and len(value) > argument):
            limit = " with a maximum length of %d" % argument if argument is not None else ""
            raise invalid(resource, field, "InvalidField", "The %s field must be a string%s." % (field, limit))
        return value
    if kind == "flag":
        if not isinstance(value, bool):
            raise invalid(resource, field, "InvalidField", "The %s field must be true or false." % field)
        return value
    if kind in ("integer", "number"):
        allowed = (int,) if kind == "integer" else (int, float)
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise invalid(resource, field, "InvalidField", "The %s field must be a%s number." % (
                field, "n integer" if kind == "integer" else ""))
        return value
    if kind == "choice":
        if value not in argument:
            raise invalid(resource, field, "InvalidField",
                          "The %s field must be one of %s." % (field, ", ".join(argument)))
        return value
    if kind == "datetime":
        try:
            stamp = cw_conditions.parse_datetime(value) if isinstance(value, str) else None
        except cw_conditions.ConditionError:
            stamp = None
        if stamp is None:
            raise invalid(resource, field, "InvalidField",
                          "The %s field must be a date and time such as 2025-01-31T00:00:00Z." % field)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ValueError(kind)


def resolve(resource, field, value, table, keys=("name",)):
    """The id of the record a reference such as ``{"id": 3}`` or ``{"name": "x"}`` names in ``table``."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(resource, field, "InvalidField", 'The %s field must be an object such as {"id": 1}.' % field)
    wanted = value.get("id")
    if wanted is not None:
        if isinstance(wanted, bool) or not isinstance(wanted, int):
            raise invalid(resource, field, "InvalidField", "The %s id must be an integer." % field)
        found = table.get(wanted)
    else:
        key = next((k for k in keys if isinstance(value.get(k), str) and value[k].strip()), None)
        if key is None:
            raise invalid(resource, field, "NullValue", "The %s field needs an id." % field)
        name = value[key].strip().casefold()
        found = next((r for r in table.values() if str(r.get(key) or "").casefold() == name), None)
    if found is None:
        raise invalid(resource, field, "InvalidField", "The %s was not found." % field)
    return found["id"]


# ---------------------------------------------------------------------------------------------------
# Kinds of record
# ---------------------------------------------------------------------------------------------------
class Kind:
    """One kind of record: where it is stored, what may be written, how it renders."""

    resource = None        # the vendor's model name, used in error answers
    table = None           # the Company attribute holding the records, keyed by id
    parent_field = None    # the stored field naming the parent record (questions, notes), if any
    scalars = {}           # field -> check spec
    references = {}        # field -> keys a reference may name the record by besides id
    required = ()
    defaults = {}
    item_methods = ("GET", "PUT", "PATCH", "DELETE")  # served on /{id}
    actions = {}           # method -> role level, where it is not the method's usual one

    def __init__(self, records):
        self.records = records
        self.service = records.service
        self.writable = {name.lower(): name for name in (*self.scalars, *self.references)}

    # -- storage ---------------------------------------------------------------------------------
    def store(self, ctx):
        return getattr(ctx.company, self.table)

    def parent(self, ctx, parent_id):
        """The parent record of a nested route (404 when it does not exist); None for top-level kinds."""
        return None

    def members(self, ctx, parent):
        records = self.store(ctx).values()
        if parent is None:
            return list(records)
        return [r for r in records if r[self.parent_field] == parent["id"]]

    def find(self, ctx, parent, record_id):
        record = self.store(ctx).get(int(record_id))
        if record is None or (parent is not None and record[self.parent_field] != parent["id"]):
            raise not_found(self.resource, record_id)
        return record

    # -- writing ---------------------------------------------------------------------------------
    def reference_table(self, ctx, field):
        raise KeyError(field)

    def check(self, ctx, field, value):
        if field in self.scalars:
            return check_scalar(self.resource, field, self.scalars[field], value)
        if field in self.references:
            return resolve(self.resource, field, value, self.reference_table(ctx, field), self.references[field])
        return value

    def finish(self, ctx, values, changed, current, parent):
        """Rules across fields, after each field is checked; ``values`` is the record to be."""

    def created(self, ctx, record):
        """After a create."""

    def delete(self, ctx, record):
        del self.store(ctx)[record["id"]]

    # -- reading ---------------------------------------------------------------------------------
    def render(self, ctx, record):
        raise NotImplementedError


class ConfigurationKind(Kind):
    resource = "Configuration"
    table = "configurations"
    scalars = {
        "name": text(100), "activeFlag": FLAG, "serialNumber": text(250), "modelNumber": text(50),
        "tagNumber": text(50), "deviceIdentifier": text(100), "installationDate": DATETIME,
        "warrantyExpirationDate": DATETIME, "purchaseDate": DATETIME, "ipAddress": text(50), "macAddress": text(50),
        "defaultGateway": text(50), "osType": text(250), "osInfo": text(250), "lastLoginName": text(100),
        "managementLink": text(1000), "remoteLink": text(1000), "notes": text(), "vendorNotes": text(),
        "billFlag": FLAG, "needsRenewalFlag": FLAG, "questions": ("questions", None),
    }
    references = {"type": ("name",), "company": ("identifier",), "status": ("name",)}
    required = ("name", "type", "company")
    defaults = {"activeFlag": True, "billFlag": False, "needsRenewalFlag": False, "status": 1}

    def reference_table(self, ctx, field):
        if field == "type":
            return ctx.company.configuration_types
        if field == "company":
            return {c["id"]: c for c in ctx.company.companies.values() if not c["deletedFlag"]}
        return STATUS_ROWS

    def check(self, ctx, field, value):
        if field != "questions":
            return super().check(ctx, field, value)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise invalid(self.resource, "questions", "InvalidField",
                          "The questions field must be a list of {questionId, answer} objects.")
        return value  # checked against the type's questions in finish()

    def finish(self, ctx, values, changed, current, parent):
        # Answers change only when questions are given (PUT without them keeps them) or the type changes.
        given = values.pop("questions", None)
        same_type = current is not None and values["type"] == current["type"]
        if "questions" in changed:
            values["answers"] = self._answers(ctx, values["type"], given or [], current["answers"] if same_type else {})
        elif not same_type:
            values["answers"] = {}

    def _answers(self, ctx, type_id, given, before):
        """The stored answers ``{questionId: {answerId, answer}}``; an answer keeps its id across updates."""
        questions = {q["id"]: q for q in ctx.company.configuration_questions.values() if q["type"] == type_id}
        answers = {}
        for number, item in enumerate(given):
            question_id = item.get("questionId", item.get("id"))
            question = questions.get(question_id) if isinstance(question_id, int) else None
            if question is None:
                raise invalid(self.resource, "questions", "InvalidField",
                              "questions[%d]: %r is not a question of the configuration type." % (number, question_id))
            answer = item.get("answer")
            if isinstance(answer, float) and not isinstance(answer, bool):
                answer = repr(answer)
            if answer is not None and not isinstance(answer, (str, bool, int)):
                raise invalid(self.resource, "questions", "InvalidField",
                              "questions[%d]: the answer must be a string, a number or true/false." % number)
            if question["fieldType"] in NUMERIC_FIELD_TYPES and not _numeric(answer):
                raise invalid(self.resource, "questions", "InvalidField",
                              "questions[%d]: %s needs a number." % (number, question["question"]))
            previous = before.get(str(question_id))
            answer_id = previous["answerId"] if previous else ctx.company.next_id("configurationAnswer")
            answers[str(question_id)] = {"answerId": answer_id, "answer": answer}
        return answers

    def render(self, ctx, record):
        records = self.records
        body = {"id": record["id"], "name": record["name"],
                "type": records.type_ref(ctx, record["type"]),
                "status": records.status_ref(ctx, record.get("status")),
                "company": records.company_ref(ctx, record["company"])}
        for field in self.scalars:
            if field not in body and field != "questions":
                body[field] = record.get(field)
        body["questions"] = self.records.answers_json(ctx, record)
        body["_info"] = self.service.info_json(record)
        return body


class ConfigurationTypeKind(Kind):
    resource = "ConfigurationType"
    table = "configuration_types"
    scalars = {"name": text(50), "inactiveFlag": FLAG}
    required = ("name",)
    defaults = {"inactiveFlag": False}

    def finish(self, ctx, values, changed, current, parent):
        if "name" in changed:
            values["name"] = values["name"].strip() if values["name"] else values["name"]
            wanted = (values["name"] or "").casefold()
            if any(t["name"].casefold() == wanted and (current is None or t["id"] != current["id"])
                   for t in ctx.company.configuration_types.values()):
                raise invalid(self.resource, "name", "ObjectExists", "The name is already in use.")

    def delete(self, ctx, record):
        in_use = sum(1 for c in ctx.company.configurations.values() if c["type"] == record["id"])
        if in_use:
            raise invalid(self.resource, "id", "InvalidField",
                          "The configuration type is in use by %d configuration(s)." % in_use)
        for question_id in [q["id"] for q in ctx.company.configuration_questions.values()
                            if q["type"] == record["id"]]:
            del ctx.company.configuration_questions[question_id]
        super().delete(ctx, record)

    def render(self, ctx, record):
        return {"id": record["id"], "name": record["name"], "inactiveFlag": record["inactiveFlag"],
                "systemFlag": False, "_info": self.service.info_json(record)}


class QuestionKind(Kind):
    resource = "ConfigurationTypeQuestion"
    table = "configuration_questions"
    parent_field = "type"
    scalars = {"question": text(1000), "entryType": choice(*ENTRY_TYPES), "fieldType": choice(*FIELD_TYPES),
               "sequenceNumber": NUMBER, "numberOfDecimals": INTEGER, "requiredFlag": FLAG, "inactiveFlag": FLAG}
    required = ("question", "entryType", "fieldType", "sequenceNumber")
    defaults = {"requiredFlag": False, "inactiveFlag": False}

    def parent(self, ctx, parent_id):
        return self.records.types.find(ctx, None, parent_id)

    def finish(self, ctx, values, changed, current, parent):
        values["type"] = parent["id"]

    def delete(self, ctx, record):
        for configuration in ctx.company.configurations.values():
            configuration["answers"].pop(str(record["id"]), None)
        super().delete(ctx, record)

    def render(self, ctx, record):
        body = {"id": record["id"], "configurationType": self.records.type_ref(ctx, record["type"])}
        for field in self.scalars:
            body[field] = record.get(field)
        body["_info"] = self.service.info_json(record)
        return body


class TicketKind(Kind):
    resource = "Ticket"
    table = "tickets"
    # The initial description stays on the ticket here; the notes list holds what /notes wrote.
    scalars = {"summary": text(100), "initialDescription": text(), "severity": choice(*LEVELS_OF_CONCERN),
               "impact": choice(*LEVELS_OF_CONCERN), "closedFlag": FLAG, "externalXRef": text(100),
               "poNumber": text(50)}
    references = {"board": ("name",), "company": ("identifier",), "priority": ("name",), "status": ("name",)}
    required = ("summary", "board", "company")
    defaults = {"severity": "Medium", "impact": "Medium", "closedFlag": False, "status": 1}

    def reference_table(self, ctx, field):
        if field == "board":
            return {b["id"]: b for b in ctx.company.boards.values() if not b["inactiveFlag"]}
        if field == "company":
            return {c["id"]: c for c in ctx.company.companies.values() if not c["deletedFlag"]}
        if field == "priority":
            return ctx.company.priorities
        return TICKET_STATUS_ROWS

    def finish(self, ctx, values, changed, current, parent):
        if values.get("priority") is None:
            values["priority"] = next((p["id"] for p in ctx.company.priorities.values() if p["defaultFlag"]), None)
        if values.get("status") is None:
            values["status"] = 1
        # A closed status closes the ticket and closing it moves it to the closed status, as the UI does.
        if "status" in changed:
            values["closedFlag"] = TICKET_STATUS_ROWS[values["status"]]["closedFlag"]
        elif "closedFlag" in changed:
            closed_status = next(s["id"] for s in TICKET_STATUS_ROWS.values() if s["closedFlag"])
            if values["closedFlag"]:
                values["status"] = closed_status
            elif values["status"] == closed_status:
                values["status"] = 1
        was_closed = bool(current and current.get("closedFlag"))
        if values.get("closedFlag") and not was_closed:
            values["closedDate"], values["closedBy"] = ctx.company.now_iso(), ctx.by
        elif not values.get("closedFlag"):
            values["closedDate"] = values["closedBy"] = None

    def delete(self, ctx, record):
        for note_id in [n["id"] for n in ctx.company.ticket_notes.values() if n["ticketId"] == record["id"]]:
            del ctx.company.ticket_notes[note_id]
        super().delete(ctx, record)

    def render(self, ctx, record):
        records = self.records
        body = {"id": record["id"], "summary": record["summary"], "recordType": "ServiceTicket",
                "board": records.board_ref(ctx, record["board"]),
                "status": records.ticket_status_ref(ctx, record["board"], record["status"]),
                "company": records.company_ref(ctx, record["company"]),
                "priority": records.priority_ref(ctx, record.get("priority")),
                "initialDescription": record.get("initialDescription"),
                "severity": record["severity"], "impact": record["impact"], "closedFlag": record["closedFlag"],
                "closedDate": record.get("closedDate"), "closedBy": record.get("closedBy"),
                "externalXRef": record.get("externalXRef"), "poNumber": record.get("poNumber"),
                "_info": self.service.info_json(record)}
        return body


class NoteKind(Kind):
    resource = "TicketNote"
    table = "ticket_notes"
    parent_field = "ticketId"
    item_methods = ("GET",)
    # A note changes its ticket: writing one needs the edit level of Service Tickets.
    actions = {"POST": "editLevel"}
    scalars = {"text": text(), "detailDescriptionFlag": FLAG, "internalAnalysisFlag": FLAG, "resolutionFlag": FLAG,
               "issueFlag": FLAG, "internalFlag": FLAG, "externalFlag": FLAG, "customerUpdatedFlag": FLAG,
               "processNotifications": FLAG}
    required = ("text",)
    defaults = {"detailDescriptionFlag": False, "internalAnalysisFlag": False, "resolutionFlag": False,
                "issueFlag": False, "internalFlag": False, "externalFlag": False, "customerUpdatedFlag": False,
                "processNotifications": True}

    def parent(self, ctx, parent_id):
        return self.records.tickets.find(ctx, None, parent_id)

    def finish(self, ctx, values, changed, current, parent):
        if not (values.get("text") or "").strip():
            raise invalid(self.resource, "text", "NullValue", "The text field is required.")
        if not any(values.get(flag) for flag in NOTE_KINDS):
            raise invalid(self.resource, "detailDescriptionFlag", "InvalidField",
                          "One of detailDescriptionFlag, internalAnalysisFlag or resolutionFlag must be true.")
        values["ticketId"] = parent["id"]
        values["member"] = ctx.member["id"]

    def created(self, ctx, record):
        # A note is a change of its ticket: the ticket shows who wrote last, and when.
        ctx.company.touch(ctx.company.tickets[record["ticketId"]], ctx.by)

    def render(self, ctx, record):
        body = {"id": record["id"], "ticketId": record["ticketId"]}
        for field in self.scalars:
            body[field] = record.get(field)
        member = ctx.company.members.get(record.get("member"))
        body["member"] = self.service.member_ref(ctx, member) if member else None
        body["_info"] = self.service.info_json(record)
        return body


STATUS_ROWS = {status_id: {"id": status_id, "name": name} for status_id, name in CONFIGURATION_STATUSES}
TICKET_STATUS_ROWS = {status_id: {"id": status_id, "name": name, "closedFlag": closed}
                      for status_id, name, closed in TICKET_STATUSES}


def _numeric(answer):
    if answer is None or isinstance(answer, int) and not isinstance(answer, bool):
        return True
    if isinstance(answer, str):
        try:
            float(answer)
            return True
        except ValueError:
            return False
    return False


# ---------------------------------------------------------------------------------------------------
# The routes
# ---------------------------------------------------------------------------------------------------
class SyncRecords:
    """The routes of these records, registered into a ConnectWiseService's router."""

    def __init__(self, service):
        self.service = service
        self.configurations = ConfigurationKind(self)
        self.types = ConfigurationTypeKind(self)
        self.questions = QuestionKind(self)
        self.tickets = TicketKind(self)
        self.notes = NoteKind(self)

    def routes(self):
        routes = []
        for base, kind, permission, screen in (
                (r"/company/configurations/types/(\d+)/questions", self.questions, TABLE_SETUP, CONFIGURATION_SCREEN),
                (r"/company/configurations/types", self.types, TABLE_SETUP, CONFIGURATION_SCREEN),
                (r"/company/configurations", self.configurations, CONFIGURATIONS, None),
                (r"/service/tickets/(\d+)/notes", self.notes, SERVICE_TICKETS, None),
                (r"/service/tickets", self.tickets, SERVICE_TICKETS, None)):
            one = {method: self._handler(kind, method) for method in kind.item_methods}
            routes += [
                Route(base, {"GET": self._handler(kind, "LIST"), "POST": self._handler(kind, "POST")},
                      permission, screen=screen, actions=kind.actions),
                Route(base + "/count", {"GET": self._handler(kind, "COUNT")}, permission, screen=screen),
                Route(base + r"/(\d+)", one, permission, screen=screen),
            ]
        for base, rows, render, screen in (("/service/boards", "boards", self.board_json, BOARD_SCREEN),
                                           ("/service/priorities", "priorities", self.priority_json,
                                            PRIORITY_SCREEN)):
            routes += [
                Route(base, {"GET": functools.partial(self._table_list, rows, render)}, TABLE_SETUP, screen=screen),
                Route(base + "/count", {"GET": functools.partial(self._table_count, rows, render)}, TABLE_SETUP,
                      screen=screen),
                Route(base + r"/(\d+)", {"GET": functools.partial(self._table_row, rows, render)}, TABLE_SETUP,
                      screen=screen),
            ]
        return routes

    def _handler(self, kind, action):
        return functools.partial({"LIST": self._list, "COUNT": self._count, "POST": self._create, "GET": self._get,
                                  "PUT": self._replace, "PATCH": self._update, "DELETE": self._delete}[action], kind)

    # -- shared handlers: nested routes pass the parent's id first --------------------------------
    def _list(self, kind, ctx, *parent_id):
        parent = kind.parent(ctx, *parent_id) if parent_id else None
        return self.service.list_answer(ctx, [kind.render(ctx, r) for r in kind.members(ctx, parent)])

    def _count(self, kind, ctx, *parent_id):
        parent = kind.parent(ctx, *parent_id) if parent_id else None
        return self.service.count_answer(ctx, [kind.render(ctx, r) for r in kind.members(ctx, parent)])

    def _record(self, kind, ctx, ids):
        parent = kind.parent(ctx, ids[0]) if len(ids) == 2 else None
        return parent, kind.find(ctx, parent, ids[-1])

    def _get(self, kind, ctx, *ids):
        _parent, record = self._record(kind, ctx, ids)
        return Response(200, kind.render(ctx, record))

    def _create(self, kind, ctx, *parent_id):
        parent = kind.parent(ctx, *parent_id) if parent_id else None
        body = self._body(kind, ctx.json())
        record = self._write(kind, ctx, body, None, parent, replace=True)
        return Response(201, kind.render(ctx, record))

    def _replace(self, kind, ctx, *ids):
        parent, record = self._record(kind, ctx, ids)
        self._write(kind, ctx, self._body(kind, ctx.json()), record, parent, replace=True)
        return Response(200, kind.render(ctx, record))

    def _update(self, kind, ctx, *ids):
        parent, record = self._record(kind, ctx, ids)
        body = {}
        for path, value in patch_operations(ctx.json(), kind.resource):
            parts = path.split("/")
            field = kind.writable.get(parts[0].lower())
            if field is None or len(parts) > 2 or (
                    len(parts) == 2 and (field not in kind.references
                                         or parts[1].lower() not in ("id",) + kind.references[field])):
                raise invalid(kind.resource, path, "InvalidField", "The field %s cannot be changed." % path)
            body[field] = {parts[1].lower(): value} if len(parts) == 2 else value
        self._write(kind, ctx, body, record, parent, replace=False)
        return Response(200, kind.render(ctx, record))

    def _delete(self, kind, ctx, *ids):
        _parent, record = self._record(kind, ctx, ids)
        kind.delete(ctx, record)
        return Response(204)

    @staticmethod
    def _body(kind, body):
        """The writable fields of a request body, by their canonical names (others are ignored, as
        ConnectWise ignores ``id`` or ``_info`` in a body)."""
        if not isinstance(body, dict):
            raise CwError(400, "InvalidObject", "%s object is invalid" % kind.resource)
        return {kind.writable[name.lower()]: value for name, value in body.items() if name.lower() in kind.writable}

    def _write(self, kind, ctx, body, current, parent, replace):
        """Check ``body`` and apply it: to a new record (``current`` None), over a whole record (PUT) or
        over the fields it names (PATCH). Nothing changes unless every check passes."""
        changed = {field: kind.check(ctx, field, value) for field, value in body.items()}
        if replace:
            values = {field: None for field in (*kind.scalars, *kind.references)}
            values.update(kind.defaults)
        else:
            values = {k: v for k, v in current.items() if k not in ("id", "info")}
        values.update(changed)
        for field in kind.required:
            value = values.get(field)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise invalid(kind.resource, field, "NullValue", "The %s field is required." % field)
        kind.finish(ctx, values, changed, current, parent)
        if current is None:
            record = dict(values, id=ctx.company.next_id(kind.table), info=ctx.company.info(ctx.by))
            kind.store(ctx)[record["id"]] = record
            kind.created(ctx, record)
            return record
        current.update(values)
        ctx.company.touch(current, ctx.by)
        return current

    # -- boards and priorities (setup tables: read-only over the API) -----------------------------
    def _table_list(self, rows, render, ctx):
        return self.service.list_answer(ctx, [render(ctx, row) for row in getattr(ctx.company, rows).values()])

    def _table_count(self, rows, render, ctx):
        return self.service.count_answer(ctx, [render(ctx, row) for row in getattr(ctx.company, rows).values()])

    def _table_row(self, rows, render, ctx, row_id):
        row = getattr(ctx.company, rows).get(int(row_id))
        if row is None:
            raise not_found("Board" if rows == "boards" else "Priority", row_id)
        return Response(200, render(ctx, row))

    def board_json(self, ctx, board):
        location_id, location_name = LOCATIONS[0]
        department_id, department_identifier, department_name = DEPARTMENTS[1]
        return {"id": board["id"], "name": board["name"],
                "location": {"id": location_id, "name": location_name,
                             "_info": {"location_href": "%s/system/locations/%d" % (ctx.base, location_id)}},
                "department": {"id": department_id, "identifier": department_identifier, "name": department_name,
                               "_info": {"department_href": "%s/system/departments/%d" % (ctx.base, department_id)}},
                "inactiveFlag": board["inactiveFlag"], "projectFlag": board["projectFlag"],
                "_info": self.service.info_json(board)}

    def priority_json(self, ctx, priority):
        return {"id": priority["id"], "name": priority["name"], "color": priority["color"],
                "sortOrder": priority["sortOrder"], "defaultFlag": priority["defaultFlag"],
                "_info": self.service.info_json(priority)}

    # -- references --------------------------------------------------------------------------------
    @staticmethod
    def company_ref(ctx, company_id):
        company = ctx.company.companies.get(company_id)
        if company is None:
            return None
        return {"id": company["id"], "identifier": company["identifier"], "name": company["name"],
                "_info": {"company_href": "%s/company/companies/%d" % (ctx.base, company["id"])}}

    @staticmethod
    def type_ref(ctx, type_id):
        config_type = ctx.company.configuration_types.get(type_id)
        if config_type is None:
            return None
        return {"id": config_type["id"], "name": config_type["name"],
                "_info": {"type_href": "%s/company/configurations/types/%d" % (ctx.base, config_type["id"])}}

    @staticmethod
    def status_ref(ctx, status_id):
        status = STATUS_ROWS.get(status_id)
        if status is None:
            return None
        return {"id": status["id"], "name": status["name"],
                "_info": {"status_href": "%s/company/configurations/statuses/%d" % (ctx.base, status["id"])}}

    @staticmethod
    def board_ref(ctx, board_id):
        board = ctx.company.boards.get(board_id)
        if board is None:
            return None
        return {"id": board["id"], "name": board["name"],
                "_info": {"board_href": "%s/service/boards/%d" % (ctx.base, board["id"])}}

    @staticmethod
    def ticket_status_ref(ctx, board_id, status_id):
        status = TICKET_STATUS_ROWS.get(status_id)
        if status is None:
            return None
        return {"id": status["id"], "name": status["name"],
                "_info": {"status_href": "%s/service/boards/%d/statuses/%d" % (ctx.base, board_id, status["id"])}}

    @staticmethod
    def priority_ref(ctx, priority_id):
        priority = ctx.company.priorities.get(priority_id)
        if priority is None:
            return None
        return {"id": priority["id"], "name": priority["name"], "sort": priority["sortOrder"],
                "_info": {"priority_href": "%s/service/priorities/%d" % (ctx.base, priority["id"])}}

    @staticmethod
    def answers_json(ctx, configuration):
        """Every question of the configuration's type, with the configuration's answer (or null)."""
        questions = sorted((q for q in ctx.company.configuration_questions.values()
                            if q["type"] == configuration["type"]), key=lambda q: (q["sequenceNumber"], q["id"]))
        answers = configuration.get("answers") or {}
        result = []
        for question in questions:
            answer = answers.get(str(question["id"])) or {}
            result.append({"answerId": answer.get("answerId"), "questionId": question["id"],
                           "question": question["question"], "answer": answer.get("answer"),
                           "sequenceNumber": question["sequenceNumber"],
                           "numberOfDecimals": question.get("numberOfDecimals"),
                           "fieldType": question["fieldType"], "requiredFlag": question["requiredFlag"]})
        return result
