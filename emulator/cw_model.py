"""The data of one ConnectWise company (tenant): roles, members, keys, tokens, reference tables.

Plain dicts keyed by id, so that a snapshot is a JSON document and a restore is its inverse.
"""

import secrets
import string

from emulator import cw_catalogue
from emulator.clock import Clock

LEVELS = ("None", "My", "All")

# Reference tables every company starts with. ConnectWise has them as setup tables; their values
# are the emulator's own.
LOCATIONS = [(1, "Main"), (2, "Remote"), (3, "Field Office")]
DEPARTMENTS = [(1, "Admin", "Administration"), (2, "Services", "Services"), (3, "Sales", "Sales")]
TIME_ZONES = [
    (1, "GMT-5/Eastern Time: US & Canada", -5.0),
    (2, "GMT-6/Central Time: US & Canada", -6.0),
    (3, "GMT-7/Mountain Time: US & Canada", -7.0),
    (4, "GMT-8/Pacific Time: US & Canada", -8.0),
    (5, "GMT/Dublin, Edinburgh, Lisbon, London", 0.0),
    (6, "GMT+1/Amsterdam, Berlin, Paris", 1.0),
    (7, "GMT+10/Canberra, Melbourne, Sydney", 10.0),
]
STRUCTURE_LEVELS = [(1, "Corporate"), (2, "Region"), (3, "Branch")]
# Service boards and priorities a fresh company starts with (Service › Service Board, Service › Priority
# setup tables). Names and colours follow ConnectWise's defaults; ids are the emulator's own.
BOARDS = [(1, "Help Desk"), (2, "Professional Services"), (3, "Umbrella Alerts"), (4, "Projects"), (5, "Security")]
PRIORITIES = [
    # (id, name, color, sortOrder, defaultFlag)
    (1, "Priority 1 - Emergency Response", "Red", 1, False),
    (2, "Priority 2 - Quick Response", "Orange", 2, False),
    (3, "Priority 3 - Normal Response", "Green", 3, True),
    (4, "Priority 4 - Schedule Maintenance", "Blue", 4, False),
    (5, "Do Not Respond", "Gray", 5, False),
]
CLIENT_COMPANIES = [
    (2, "Contoso", "Contoso Ltd"),
    (3, "Fabrikam", "Fabrikam Inc"),
    (4, "Northwind", "Northwind Traders"),
    (5, "AdventureWorks", "Adventure Works Cycles"),
]
# Configuration statuses (Companies › Configuration Status) and the statuses every service board
# starts with (name, closed); ids and sets are the emulator's own.
CONFIGURATION_STATUSES = [(1, "Active"), (2, "Inactive")]
TICKET_STATUSES = [(1, "New", False), (2, "In Progress", False), (3, "Closed", True)]
# Company statuses (Companies › Company Status setup table); the ids and the set are the emulator's own.
COMPANY_STATUSES = [(1, "Active"), (2, "Inactive"), (3, "Not-Approved")]
# ConnectWise's company identifier and name lengths.
COMPANY_IDENTIFIER_MAX = 25
COMPANY_NAME_MAX = 50

KEY_ALPHABET = string.ascii_letters + string.digits


def new_key():
    """A 16-character key, the length ConnectWise's UI shows."""
    return "".join(secrets.choice(KEY_ALPHABET) for _unused in range(16))


class Company:
    """One isolated tenant.

    ``clock`` is the emulator's shared clock (not part of the snapshot): every record time and
    every token expiry of the company follows it.
    """

    def __init__(self, company_id, name=None, client_id=None, clock=None):
        self.clock = clock or Clock()
        self.company_id = company_id
        self.name = name or company_id
        self.client_id = client_id
        self.counters = {}
        self.roles = {}
        self.members = {}
        self.keys = {}
        self.tokens = []
        # Client companies (Companies › Companies), keyed by id: the company itself first, then the
        # seeded clients; more through the control API.
        self.companies = {}
        # What Umbrella's sync reads and writes (cw_records.py), keyed by id. A question names its
        # configuration type, a note its ticket.
        self.boards = {}
        self.priorities = {}
        self.configuration_types = {}
        self.configuration_questions = {}
        self.configurations = {}
        self.tickets = {}
        self.ticket_notes = {}

    # -- record times (``_info``) ------------------------------------------------------------
    def now_iso(self):
        return self.clock.iso()

    def info(self, by):
        stamp = self.now_iso()
        return {"dateEntered": stamp, "enteredBy": by, "lastUpdated": stamp, "updatedBy": by}

    def touch(self, record, by):
        record["info"]["lastUpdated"] = self.now_iso()
        record["info"]["updatedBy"] = by

    def next_id(self, kind):
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]

    # -- roles -------------------------------------------------------------------------------
    def create_role(self, name, by, admin_flag=False, inactive_flag=False, level="None"):
        role_id = self.next_id("role")
        role = {
            "id": role_id, "name": name, "adminFlag": bool(admin_flag), "inactiveFlag": bool(inactive_flag),
            "info": self.info(by), "settings": [], "customize": {},
        }
        for function in cw_catalogue.FUNCTIONS:
            role["settings"].append({
                "id": self.next_id("setting"), "function": function["index"],
                "addLevel": level, "editLevel": level, "deleteLevel": level, "inquireLevel": level,
                "info": self.info(by),
            })
        self.roles[role_id] = role
        return role

    def role_by_name(self, name):
        wanted = name.casefold()
        return next((r for r in self.roles.values() if r["name"].casefold() == wanted), None)

    @staticmethod
    def setting_for(role, module_name, function_name):
        function = cw_catalogue.find_function(module_name, function_name)
        if function is None:
            return None
        return role["settings"][function["index"]]

    def add_customize_item(self, role, customize_identifier, item_identifier, by):
        item = {"id": self.next_id("customize"), "customizeIdentifier": customize_identifier,
                "itemIdentifier": str(item_identifier), "info": self.info(by)}
        role["customize"][item["id"]] = item
        return item

    # -- members and keys --------------------------------------------------------------------
    def member_by_identifier(self, identifier):
        wanted = identifier.casefold()
        return next((m for m in self.members.values() if m["identifier"].casefold() == wanted), None)

    def create_member(self, fields, by):
        member = default_member()
        member.update(fields)
        member["id"] = self.next_id("member")
        member["info"] = self.info(by)
        self.members[member["id"]] = member
        return member

    def create_key(self, member, description, by, public_key=None, private_key=None):
        key = {
            "id": self.next_id("key"), "memberId": member["id"], "description": description,
            "publicKey": public_key or new_key(), "privateKey": private_key or new_key(), "info": self.info(by),
        }
        self.keys[key["id"]] = key
        return key

    def key_by_public(self, public_key):
        return next((k for k in self.keys.values() if k["publicKey"] == public_key), None)

    # -- client companies (Companies › Companies) --------------------------------------------
    def seed_companies(self):
        """The company itself (id 1) and the four seeded clients (ids 2 to 5), all active."""
        for company_id, identifier, name in [(1, self.company_id, self.name)] + CLIENT_COMPANIES:
            self.companies[company_id] = {"id": company_id, "identifier": identifier, "name": name,
                                          "status": "Active", "deletedFlag": False, "info": self.info("system")}
        self.counters["company"] = max(self.companies)

    def seed_service_tables(self):
        """The service boards and priorities of a fresh company."""
        for board_id, name in BOARDS:
            self.boards[board_id] = {"id": board_id, "name": name, "inactiveFlag": False,
                                     "projectFlag": name == "Projects", "info": self.info("system")}
        for priority_id, name, color, sort_order, default_flag in PRIORITIES:
            self.priorities[priority_id] = {"id": priority_id, "name": name, "color": color, "sortOrder": sort_order,
                                            "defaultFlag": default_flag, "info": self.info("system")}

    def company_by_identifier(self, identifier):
        wanted = identifier.casefold()
        return next((c for c in self.companies.values() if c["identifier"].casefold() == wanted), None)

    def add_client_company(self, identifier, name, status="Active"):
        record = {"id": self.next_id("company"), "identifier": identifier, "name": name, "status": status,
                  "deletedFlag": False, "info": self.info("admin")}
        self.companies[record["id"]] = record
        return record

    # -- persistence -------------------------------------------------------------------------
    def to_dict(self):
        return {
            "company_id": self.company_id, "name": self.name, "client_id": self.client_id,
            "counters": dict(self.counters),
            "roles": [dict(r, customize=list(r["customize"].values())) for r in self.roles.values()],
            "members": list(self.members.values()),
            "keys": list(self.keys.values()),
            "tokens": list(self.tokens),
            "companies": list(self.companies.values()),
            "boards": list(self.boards.values()),
            "priorities": list(self.priorities.values()),
            "configurationTypes": list(self.configuration_types.values()),
            "configurationQuestions": list(self.configuration_questions.values()),
            "configurations": list(self.configurations.values()),
            "tickets": list(self.tickets.values()),
            "ticketNotes": list(self.ticket_notes.values()),
        }

    @classmethod
    def from_dict(cls, data, clock=None):
        company = cls(data["company_id"], data.get("name"), data.get("client_id"), clock)
        company.counters = dict(data.get("counters", {}))
        for role in data.get("roles", []):
            role = dict(role)
            role["customize"] = {item["id"]: item for item in role.get("customize", [])}
            company.roles[role["id"]] = role
        company.members = {m["id"]: m for m in data.get("members", [])}
        company.keys = {k["id"]: k for k in data.get("keys", [])}
        company.tokens = list(data.get("tokens", []))
        if "companies" in data:
            company.companies = {c["id"]: c for c in data["companies"]}
            for record in company.companies.values():
                record.setdefault("info", company.info("system"))  # stored before companies had _info
        else:
            company.seed_companies()  # a state file written before companies were stored
        if "boards" in data:
            company.boards = {b["id"]: b for b in data["boards"]}
            company.priorities = {p["id"]: p for p in data.get("priorities", [])}
        else:
            company.seed_service_tables()  # a state file written before boards were stored
        company.configuration_types = {t["id"]: t for t in data.get("configurationTypes", [])}
        company.configuration_questions = {q["id"]: q for q in data.get("configurationQuestions", [])}
        company.configurations = {c["id"]: c for c in data.get("configurations", [])}
        company.tickets = {t["id"]: t for t in data.get("tickets", [])}
        company.ticket_notes = {n["id"]: n for n in data.get("ticketNotes", [])}
        return company


#: Reference fields of an API member: field -> (table name, default id).
MEMBER_REFERENCES = {
    "securityRole": ("roles", None),
    "timeZone": ("timeZones", 1),
    "structureLevel": ("structureLevels", 1),
    "securityLocation": ("locations", 1),
    "defaultLocation": ("locations", 1),
    "salesDefaultLocation": ("locations", 1),
    "defaultDepartment": ("departments", 1),
    "serviceDefaultBoard": ("boards", None),
}


def default_member():
    """The stored shape of a new member before the request's fields are applied."""
    member = {
        "identifier": "", "name": None, "emailAddress": None, "inactiveFlag": False, "inactiveDate": None,
        "notes": None, "excludedServiceBoardIds": [], "blockPriceFlag": False, "blockCostFlag": False,
    }
    for field, (_unused, default) in MEMBER_REFERENCES.items():
        member[field] = default
    return member
