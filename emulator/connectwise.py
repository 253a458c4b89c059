"""ConnectWise PSA (Manage) REST API 3.0 as this collection uses it, for many isolated companies.

``ConnectWiseService.handle()`` takes one HTTP request and returns a ``Response``. Routing is done
before authentication, so an unknown route answers 404 "The endpoint does not exist." and a known
route without the method answers 405, whatever the credentials (as an ASP.NET Web API does).
"""

import base64
import binascii
import datetime
import hmac
import json
import re
import threading

from emulator import cw_catalogue, cw_conditions, cw_lists
from emulator.clock import ISO_FORMAT, Clock
from emulator.cw_model import (COMPANY_IDENTIFIER_MAX, COMPANY_NAME_MAX, COMPANY_STATUSES, DEPARTMENTS,
                               LEVELS, LOCATIONS, MEMBER_REFERENCES, STRUCTURE_LEVELS, TIME_ZONES, Company,
                               default_member, new_key)
from emulator.cw_records import SyncRecords
from emulator.cw_requests import CwError, Route, invalid, not_found, patch_operations
from emulator.http_types import Response

CODEBASE = "v4_6_release/"
API_VERSION = "2025.1"
TOKEN_LIFETIME = datetime.timedelta(hours=1)

ENDPOINT_NOT_FOUND = {"code": "NotFound", "message": "The endpoint does not exist.", "errors": None}

_API_PATH = re.compile(r"^/(v\d[A-Za-z0-9_.]*/|v4_6_release/)apis/3\.0(/.*)?$", re.IGNORECASE)
_COMPANYINFO = re.compile(r"^/login/companyinfo/([^/]+)/?$", re.IGNORECASE)

CUSTOMIZE_IDENTIFIERS = (
    "CompanyReports", "FinanceReports", "MarketingReports", "ProcurementReports", "ProjectReports", "SalesReports",
    "ServiceReports", "SystemReports", "TimeAndExpenseReports", "CompanyConfigurations", "FinanceAgreements",
    "ProjectScheduling", "ServiceResourceScheduling", "SystemManageHostedApi", "SystemMyAccount",
    "SystemCustomMenuEntry", "SystemMassMaintenance", "SystemTableSetup",
)

# Permissions a route needs: (moduleName, moduleFunctionName) from the catalogue.
SECURITY_ROLES = ("System", "Security Roles")
MEMBERS = ("System", "Members")
TABLE_SETUP = ("System", "Table Setup")
COMPANY_MAINTENANCE = ("Companies", "Company Maintenance")


class AlreadyExists(Exception):
    """Seeding a company (or an object) that exists already."""


class ControlError(ValueError):
    """A bad request to a control act; the message names the field."""


def _routes():
    R = Route
    return [
        R(r"/system/securityroles", {"GET": "list_roles", "POST": "create_role"}, SECURITY_ROLES),
        R(r"/system/securityroles/count", {"GET": "count_roles"}, SECURITY_ROLES),
        R(r"/system/securityroles/(\d+)", {"GET": "get_role", "DELETE": "delete_role", "PUT": None, "PATCH": None},
          SECURITY_ROLES),
        R(r"/system/securityroles/(\d+)/settings", {"GET": "list_settings", "PATCH": "patch_settings"},
          SECURITY_ROLES, extension=("PATCH",)),
        R(r"/system/securityroles/(\d+)/settings/count", {"GET": "count_settings"}, SECURITY_ROLES),
        R(r"/system/securityroles/(\d+)/settings/(\d+)", {"GET": "get_setting", "PATCH": "patch_setting"},
          SECURITY_ROLES, extension=("PATCH",)),
        R(r"/system/securityroles/(\d+)/customizeitems",
          {"GET": "list_role_items", "POST": "create_role_item", "PATCH": "patch_role_items"},
          SECURITY_ROLES, extension=("GET", "POST", "PATCH")),
        R(r"/system/securityroles/(\d+)/customizeitems/count", {"GET": "count_role_items"},
          SECURITY_ROLES, extension=("GET",)),
        R(r"/system/securityroles/(\d+)/customizeitems/(\d+)", {"GET": "get_role_item", "DELETE": "delete_role_item"},
          SECURITY_ROLES, extension=("GET", "DELETE")),
        R(r"/system/apimembers", {"GET": "list_members", "POST": "create_member"}, MEMBERS),
        R(r"/system/apimembers/count", {"GET": "count_members"}, MEMBERS),
        R(r"/system/apimembers/default", {"GET": "default_member"}, MEMBERS),
        R(r"/system/apimembers/(\d+)", {"GET": "get_member", "PUT": "put_member", "PATCH": "patch_member",
                                        "DELETE": None}, MEMBERS),
        R(r"/system/apimembers/(\d+)/apikeys", {"GET": "list_keys", "POST": "create_key"}, MEMBERS,
          extension=("GET", "POST")),
        R(r"/system/apimembers/(\d+)/apikeys/count", {"GET": "count_keys"}, MEMBERS, extension=("GET",)),
        R(r"/system/apimembers/(\d+)/apikeys/(\d+)", {"GET": "get_key", "DELETE": "delete_key"}, MEMBERS,
          extension=("GET", "DELETE")),
        R(r"/system/members/([^/]+)/tokens", {"POST": "create_token"}, MEMBERS),
        R(r"/system/mysecurity", {"GET": "list_my_security"}),
        R(r"/system/mysecurity/count", {"GET": "count_my_security"}),
        R(r"/system/mysecurity/customizeitems", {"GET": "list_my_items"}),
        R(r"/system/mysecurity/customizeitems/count", {"GET": "count_my_items"}),
        R(r"/system/setupscreens", {"GET": "list_screens"}, TABLE_SETUP),
        R(r"/system/setupscreens/count", {"GET": "count_screens"}, TABLE_SETUP),
        R(r"/system/setupscreens/(\d+)", {"GET": "get_screen"}, TABLE_SETUP),
        R(r"/system/(locations|departments|timezonesetups|structurelevels)", {"GET": "list_reference"}, TABLE_SETUP),
        R(r"/system/(locations|departments|timezonesetups|structurelevels)/count", {"GET": "count_reference"},
          TABLE_SETUP),
        R(r"/system/(locations|departments|timezonesetups|structurelevels)/(\d+)", {"GET": "get_reference"},
          TABLE_SETUP),
        R(r"/(company)/(companies)", {"GET": "list_reference"}, COMPANY_MAINTENANCE),
        R(r"/(company)/(companies)/count", {"GET": "count_reference"}, COMPANY_MAINTENANCE),
        R(r"/(company)/(companies)/(\d+)", {"GET": "get_reference"}, COMPANY_MAINTENANCE),
    ]


class _Context:
    """One authenticated request."""

    def __init__(self, company, member, method, query, headers, body, base_url, path):
        self.company = company
        self.member = member
        self.method = method
        self.query = query
        self.headers = headers
        self.body = body
        self.base = base_url
        self.path = path

    @property
    def by(self):
        return self.member["identifier"]

    def json(self):
        if not self.body:
            raise CwError(400, "InvalidObject", "The request body is empty.")
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise CwError(400, "InvalidObject", "The request body is not valid JSON.")


class ConnectWiseService:
    """Every ConnectWise company of the emulator, and the API over them."""

    def __init__(self, profile="extended", scheme="https", clock=None):
        if profile not in ("extended", "public"):
            raise ValueError("profile must be 'extended' or 'public'")
        self.profile = profile
        self.scheme = scheme
        # The emulator's shared clock: record times (_info) and token expiry follow it.
        self.clock = clock or Clock()
        self.companies = {}
        self.lock = threading.RLock()
        self._routes = _routes() + SyncRecords(self).routes()

    # ---------------------------------------------------------------------------------------
    # HTTP entry point
    # ---------------------------------------------------------------------------------------
    @staticmethod
    def owns(path):
        return bool(_API_PATH.match(path) or _COMPANYINFO.match(path))

    def handle(self, method, path, query, headers, body):
        method = method.upper()
        host = headers.get("Host") or "127.0.0.1"
        info_match = _COMPANYINFO.match(path)
        if info_match:
            return self._company_info(method, info_match.group(1), host)
        api = _API_PATH.match(path)
        if not api:
            return Response(404, ENDPOINT_NOT_FOUND)
        sub = (api.group(2) or "").rstrip("/")
        base = "%s://%s/%sapis/3.0" % (self.scheme, host, api.group(1))
        response = self._dispatch(method, sub, query, headers, body, base)
        response.headers.setdefault("api-current-version", API_VERSION)
        return response

    def _company_info(self, method, company_id, host):
        if method != "GET":
            return Response(405, {"message": "The requested resource does not support http method '%s'." % method})
        with self.lock:
            company = self.companies.get(company_id.lower())
        # Unknown company: ConnectWise's own answer is not documented; this emulator answers 200 with
        # empty fields so a client cannot tell which company ids exist (see README).
        return Response(200, {
            "CompanyName": company.name if company else None,
            "Codebase": CODEBASE if company else None,
            "VersionCode": "v" + API_VERSION if company else None,
            "VersionNumber": "v%s.0" % API_VERSION if company else None,
            "CompanyID": company.company_id if company else company_id,
            "IsCloud": True if company else None,
            "SiteUrl": host,
        })

    def _route(self, method, sub):
        for route in self._routes:
            match = route.regex.match(sub)
            if not match:
                continue
            offered = {m for m, handler in route.methods.items()
                       if handler and (self.profile == "extended" or m not in route.extension)}
            if not offered:
                # Every method of the route is an extension: in the public profile it does not exist.
                return None, None, Response(404, ENDPOINT_NOT_FOUND)
            if method not in offered:
                return None, None, Response(
                    405, {"message": "The requested resource does not support http method '%s'." % method},
                    {"Allow": ", ".join(sorted(offered))})
            return route, match.groups(), None
        return None, None, Response(404, ENDPOINT_NOT_FOUND)

    def _dispatch(self, method, sub, query, headers, body, base):
        route, args, early = self._route(method, sub)
        if early is not None:
            return early
        try:
            with self.lock:
                company, member = self._authenticate(headers)
                if route.permission:
                    self._authorize(company, member, route.permission, route.action(method))
                if route.screen:
                    self._authorize_screen(company, member, route.screen)
                ctx = _Context(company, member, method, query, headers, body, base, sub)
                handler = route.methods[method]
                return (handler if callable(handler) else getattr(self, "_" + handler))(ctx, *args)
        except CwError as error:
            return error.response()
        except cw_conditions.ConditionError as error:
            return CwError(400, "InvalidObject", "The conditions parameter is invalid: %s." % error).response()
        except cw_lists.ListError as error:
            return CwError(400, "InvalidObject", str(error)).response()

    # ---------------------------------------------------------------------------------------
    # Authentication and permissions
    # ---------------------------------------------------------------------------------------
    @staticmethod
    def credentials_company(headers):
        """The company id named by a Basic Authorization header, or None (used for statistics)."""
        user = _basic_user(headers.get("Authorization"))
        return user[0] if user else None

    def _authenticate(self, headers):
        if not (headers.get("clientId") or "").strip():
            raise CwError(401, "Unauthorized", "A clientId header is required on every request.")
        decoded = _basic_user(headers.get("Authorization"))
        failure = CwError(401, "Unauthorized", "The credentials provided are not valid.")
        if not decoded:
            raise failure
        company_id, public_key, private_key = decoded
        company = self.companies.get(company_id.lower())
        if company is None:
            raise failure
        member_id = None
        key = company.key_by_public(public_key)
        if key is not None:
            if hmac.compare_digest(key["privateKey"].encode(), private_key.encode()):
                member_id = key["memberId"]
        else:
            stamp = company.now_iso()
            company.tokens = [t for t in company.tokens if t["expiration"] > stamp]
            token = next((t for t in company.tokens if t["publicKey"] == public_key), None)
            if token and hmac.compare_digest(token["privateKey"].encode(), private_key.encode()):
                member_id = token["memberId"]
        member = company.members.get(member_id)
        if member is None or member.get("inactiveFlag"):
            raise failure
        return company, member

    @staticmethod
    def _authorize(company, member, permission, action):
        role = company.roles.get(member.get("securityRole"))
        setting = Company.setting_for(role, *permission) if role and not role["inactiveFlag"] else None
        if setting is None or setting[action] == "None":
            raise CwError(403, "Forbidden",
                          "Your security role does not allow this: %s > %s (%s)." % (
                              permission[0], permission[1], action.replace("Level", "")))

    @staticmethod
    def _authorize_screen(company, member, label):
        """Table Setup tables a role reaches are the screens in its customize list ("Allow access to these")."""
        role = company.roles.get(member.get("securityRole"))
        screen = cw_catalogue.find_screen(label)
        allowed = role is not None and any(
            item["customizeIdentifier"] == "SystemTableSetup" and item["itemIdentifier"] == str(screen["id"])
            for item in role["customize"].values())
        if not allowed:
            raise CwError(403, "Forbidden", "Your security role does not allow this: System > Table Setup "
                                            "(%s is not in the role's customize list)." % label)

    # ---------------------------------------------------------------------------------------
    # Rendering
    # ---------------------------------------------------------------------------------------
    @staticmethod
    def info_json(record, **hrefs):
        result = {k: v for k, v in record["info"].items() if v is not None}
        result.update(hrefs)
        return result

    def _role_json(self, ctx, role):
        return {"id": role["id"], "name": role["name"], "adminFlag": role["adminFlag"],
                "inactiveFlag": role["inactiveFlag"],
                "_info": self.info_json(role, settings_href="%s/system/securityRoles/%d/settings" % (
                    ctx.base, role["id"]))}

    @staticmethod
    def _setting_json(setting):
        function = cw_catalogue.FUNCTIONS[setting["function"]]
        body = {"id": setting["id"]}
        for level in ("addLevel", "editLevel", "deleteLevel", "inquireLevel"):
            body[level] = setting[level]
        for field in ("moduleIdentifier", "moduleName", "moduleDescription", "moduleFunctionIdentifier",
                      "moduleFunctionName", "moduleFunctionDescription", "myAllFlag", "reportFlag",
                      "restrictFlag", "customFlag", "sortOrder"):
            body[field] = function[field]
        body["_info"] = {"lastUpdated": setting["info"]["lastUpdated"], "updatedBy": setting["info"]["updatedBy"]}
        return body

    def _reference(self, ctx, table, record_id):
        """A reference object such as ``{"id", "name", "_info"}``, or None.

        Rendering a page of a thousand members needs thousands of references: they are built once
        per request and shared (nothing mutates a rendered body).
        """
        if record_id is None:
            return None
        cache = ctx.__dict__.setdefault("references", {})
        cached = cache.get((table, record_id), False)
        if cached is not False:
            return cached
        tables = ctx.__dict__.setdefault("tables", {})
        if table not in tables:
            tables[table] = self._reference_rows(ctx.company, table)
        row = tables[table].get(record_id)
        ref = None
        if row is not None:
            ref = {"id": record_id, "name": row.get("name")}
            if table == "departments":
                ref["identifier"] = row["identifier"]
            href_key, collection = _REFERENCE_HREFS[table]
            ref["_info"] = {href_key: "%s/%s/%d" % (ctx.base, collection, record_id)}
        cache[(table, record_id)] = ref
        return ref

    def _member_json(self, ctx, member):
        body = {"id": member["id"], "identifier": member["identifier"], "name": member["name"],
                "emailAddress": member["emailAddress"], "inactiveFlag": member["inactiveFlag"],
                "inactiveDate": member["inactiveDate"], "notes": member["notes"]}
        for field, (table, _unused) in MEMBER_REFERENCES.items():
            body[field] = self._reference(ctx, table, member.get(field))
        body["excludedServiceBoardIds"] = list(member.get("excludedServiceBoardIds") or [])
        body["blockPriceFlag"] = member["blockPriceFlag"]
        body["blockCostFlag"] = member["blockCostFlag"]
        body["_info"] = self.info_json(member) if "info" in member else {}
        return body

    @staticmethod
    def member_ref(ctx, member):
        return {"id": member["id"], "identifier": member["identifier"], "name": member["name"],
                "_info": {"member_href": "%s/system/members/%d" % (ctx.base, member["id"])}}

    def _key_json(self, key, with_private=False):
        body = {"id": key["id"], "description": key["description"], "publicKey": key["publicKey"]}
        if with_private:
            body["privateKey"] = key["privateKey"]
        body["_info"] = self.info_json(key)
        return body

    def _reference_rows(self, company, table):
        """Static reference tables, as rendered list rows keyed by id."""
        if table == "roles":
            return {r["id"]: {"id": r["id"], "name": r["name"]} for r in company.roles.values()}
        if table == "locations":
            return {i: {"id": i, "name": n, "where": "OnSite", "structureLevel": None} for i, n in LOCATIONS}
        if table == "departments":
            return {i: {"id": i, "identifier": ident, "name": n, "inactiveFlag": False}
                    for i, ident, n in DEPARTMENTS}
        if table == "timeZones":
            return {i: {"id": i, "name": n, "offset": o, "daylightSavingsFlag": o < 0} for i, n, o in TIME_ZONES}
        if table == "structureLevels":
            return {i: {"id": i, "name": n} for i, n in STRUCTURE_LEVELS}
        if table == "boards":
            return {b["id"]: {"id": b["id"], "name": b["name"]} for b in company.boards.values()}
        if table == "companies":
            return {c["id"]: self._company_json(c) for c in company.companies.values()}
        raise KeyError(table)

    def _company_json(self, record):
        """A client company in the vendor's Company shape, as far as lookups and the mapping read it."""
        status_id = _STATUS_IDS[record["status"]]
        return {"id": record["id"], "identifier": record["identifier"], "name": record["name"],
                "status": {"id": status_id, "name": record["status"]},
                "deletedFlag": record["deletedFlag"], "_info": self.info_json(record)}

    # ---------------------------------------------------------------------------------------
    # Lists
    # ---------------------------------------------------------------------------------------
    def list_answer(self, ctx, records):
        selected = cw_lists.order_records(cw_lists.filter_records(records, ctx.query), ctx.query)
        page, link = cw_lists.paginate(selected, ctx.query, ctx.headers, ctx.base + "/" + ctx.path.lstrip("/"))
        body = [cw_lists.select_fields(record, ctx.query) for record in page]
        return Response(200, body, {"Link": link} if link else None)

    @staticmethod
    def count_answer(ctx, records):
        return Response(200, {"count": len(cw_lists.filter_records(records, ctx.query))})

    # ---------------------------------------------------------------------------------------
    # Security roles
    # ---------------------------------------------------------------------------------------
    def _role(self, ctx, role_id):
        role = ctx.company.roles.get(int(role_id))
        if role is None:
            raise not_found("SecurityRole", role_id)
        return role

    def _list_roles(self, ctx):
        return self.list_answer(ctx, [self._role_json(ctx, r) for r in ctx.company.roles.values()])

    def _count_roles(self, ctx):
        return self.count_answer(ctx, [self._role_json(ctx, r) for r in ctx.company.roles.values()])

    def _get_role(self, ctx, role_id):
        return Response(200, self._role_json(ctx, self._role(ctx, role_id)))

    def _create_role(self, ctx):
        body = ctx.json()
        if not isinstance(body, dict):
            raise CwError(400, "InvalidObject", "SecurityRole object is invalid")
        name = body.get("name")
        if name is None or (isinstance(name, str) and not name.strip()):
            raise invalid("SecurityRole", "name", "NullValue", "The name field is required.")
        if not isinstance(name, str) or len(name) > 30:
            raise invalid("SecurityRole", "name", "InvalidField",
                          "The name field must be a string with a maximum length of 30.")
        for flag in ("adminFlag", "inactiveFlag"):
            if flag in body and body[flag] is not None and not isinstance(body[flag], bool):
                raise invalid("SecurityRole", flag, "InvalidField", "The %s field must be a boolean." % flag)
        if ctx.company.role_by_name(name):
            raise invalid("SecurityRole", "name", "ObjectExists", "The name is already in use.")
        role = ctx.company.create_role(name, ctx.by, bool(body.get("adminFlag")), bool(body.get("inactiveFlag")))
        return Response(201, self._role_json(ctx, role))

    def _delete_role(self, ctx, role_id):
        role = self._role(ctx, role_id)
        if any(m.get("securityRole") == role["id"] for m in ctx.company.members.values()):
            raise invalid("SecurityRole", "id", "InUse",
                          "The security role is assigned to one or more members and cannot be deleted.")
        del ctx.company.roles[role["id"]]
        return Response(204)

    def _setting(self, ctx, role, setting_id):
        setting = next((s for s in role["settings"] if s["id"] == int(setting_id)), None)
        if setting is None:
            raise not_found("SecurityRoleSetting", setting_id)
        return setting

    def _list_settings(self, ctx, role_id):
        role = self._role(ctx, role_id)
        return self.list_answer(ctx, [self._setting_json(s) for s in role["settings"]])

    def _count_settings(self, ctx, role_id):
        role = self._role(ctx, role_id)
        return self.count_answer(ctx, [self._setting_json(s) for s in role["settings"]])

    def _get_setting(self, ctx, role_id, setting_id):
        role = self._role(ctx, role_id)
        return Response(200, self._setting_json(self._setting(ctx, role, setting_id)))

    def _patch_setting(self, ctx, role_id, setting_id):
        role = self._role(ctx, role_id)
        setting = self._setting(ctx, role, setting_id)
        changes = {}
        for path, value in patch_operations(ctx.json(), "SecurityRoleSetting"):
            field = _level_field(path)
            changes[field] = _check_level(setting, field, value, "SecurityRoleSetting")
        setting.update(changes)
        ctx.company.touch(setting, ctx.by)
        ctx.company.touch(role, ctx.by)
        return Response(200, self._setting_json(setting))

    def _patch_settings(self, ctx, role_id):
        """CX1, every setting of the role in one request: paths ``{settingId}/{field}``, all or nothing."""
        role = self._role(ctx, role_id)
        changes = {}  # setting id -> {field: value}
        for path, value in patch_operations(ctx.json(), "SecurityRoleSetting"):
            setting_id, _slash, field_path = path.partition("/")
            if not setting_id.isdigit() or not field_path:
                raise invalid("SecurityRoleSetting", path, "InvalidField",
                              "The path %s must be {settingId}/{field}." % path)
            setting = self._setting(ctx, role, setting_id)
            field = _level_field(field_path)
            changes.setdefault(setting["id"], {})[field] = _check_level(setting, field, value, "SecurityRoleSetting")
        changed = []
        for setting in role["settings"]:
            if setting["id"] in changes:
                setting.update(changes[setting["id"]])
                ctx.company.touch(setting, ctx.by)
                changed.append(self._setting_json(setting))
        ctx.company.touch(role, ctx.by)
        return Response(200, changed)

    # -- CX2 customize items ----------------------------------------------------------------
    def _item_json(self, item):
        return {"id": item["id"], "customizeIdentifier": item["customizeIdentifier"],
                "itemIdentifier": item["itemIdentifier"], "_info": self.info_json(item)}

    def _list_role_items(self, ctx, role_id):
        role = self._role(ctx, role_id)
        return self.list_answer(ctx, [self._item_json(i) for i in role["customize"].values()])

    def _count_role_items(self, ctx, role_id):
        role = self._role(ctx, role_id)
        return self.count_answer(ctx, [self._item_json(i) for i in role["customize"].values()])

    def _get_role_item(self, ctx, role_id, item_id):
        role = self._role(ctx, role_id)
        item = role["customize"].get(int(item_id))
        if item is None:
            raise not_found("MySecurityCustomizeItem", item_id)
        return Response(200, self._item_json(item))

    def _create_role_item(self, ctx, role_id):
        role = self._role(ctx, role_id)
        identifier, item_identifier = _customize_fields(ctx.json())
        if any(i["customizeIdentifier"] == identifier and i["itemIdentifier"] == item_identifier
               for i in role["customize"].values()):
            raise invalid("MySecurityCustomizeItem", "itemIdentifier", "ObjectExists",
                          "The item is already in the customize list of this role.")
        item = ctx.company.add_customize_item(role, identifier, item_identifier, ctx.by)
        ctx.company.touch(role, ctx.by)
        return Response(201, self._item_json(item))

    def _patch_role_items(self, ctx, role_id):
        """CX2, the whole list in one request: ``add`` at ``-`` and ``remove`` at ``{id}``, all or nothing.

        The list is a set: adding an item it holds, or removing an id it no longer holds, changes
        nothing, so the same request sent twice (after a dropped connection) answers the same list.
        """
        role = self._role(ctx, role_id)
        body = ctx.json()
        if not isinstance(body, list) or not body:
            raise CwError(400, "InvalidObject", "The request body must be a non-empty array of patch operations.")
        adds, removes = [], []
        for operation in body:
            if not isinstance(operation, dict):
                raise CwError(400, "InvalidObject", "Each patch operation must be an object.")
            op = str(operation.get("op", "")).lower()
            path = str(operation.get("path") or "").strip().strip("/")
            if op == "add" and path == "-":
                adds.append(_customize_fields(operation.get("value")))
            elif op == "remove" and path.isdigit():
                removes.append(int(path))
            else:
                raise invalid("MySecurityCustomizeItem", "path", "InvalidField",
                              "Supported operations: add at path -, remove at path {id} (got %s %s)."
                              % (operation.get("op"), operation.get("path")))
        for item_id in removes:
            role["customize"].pop(item_id, None)
        held = set((i["customizeIdentifier"], i["itemIdentifier"]) for i in role["customize"].values())
        for identifier, item_identifier in adds:
            if (identifier, item_identifier) not in held:
                ctx.company.add_customize_item(role, identifier, item_identifier, ctx.by)
                held.add((identifier, item_identifier))
        ctx.company.touch(role, ctx.by)
        return Response(200, [self._item_json(i) for i in role["customize"].values()])

    def _delete_role_item(self, ctx, role_id, item_id):
        role = self._role(ctx, role_id)
        if role["customize"].pop(int(item_id), None) is None:
            raise not_found("MySecurityCustomizeItem", item_id)
        ctx.company.touch(role, ctx.by)
        return Response(204)

    # ---------------------------------------------------------------------------------------
    # API members
    # ---------------------------------------------------------------------------------------
    def _member(self, ctx, member_id):
        member = ctx.company.members.get(int(member_id))
        if member is None:
            raise not_found("ApiMember", member_id)
        return member

    def _list_members(self, ctx):
        return self.list_answer(ctx, [self._member_json(ctx, m) for m in ctx.company.members.values()])

    def _count_members(self, ctx):
        return self.count_answer(ctx, [self._member_json(ctx, m) for m in ctx.company.members.values()])

    def _default_member(self, ctx):
        template = dict(default_member(), id=0, info={})
        body = self._member_json(ctx, template)
        body.pop("_info")
        return Response(200, body)

    def _get_member(self, ctx, member_id):
        return Response(200, self._member_json(ctx, self._member(ctx, member_id)))

    def _create_member(self, ctx):
        body = ctx.json()
        if not isinstance(body, dict):
            raise CwError(400, "InvalidObject", "ApiMember object is invalid")
        fields = self._member_fields(ctx.company, body, current=None, require_name=False)
        member = ctx.company.create_member(fields, ctx.by)
        return Response(201, self._member_json(ctx, member))

    def _put_member(self, ctx, member_id):
        member = self._member(ctx, member_id)
        body = ctx.json()
        if not isinstance(body, dict):
            raise CwError(400, "InvalidObject", "ApiMember object is invalid")
        # PUT replaces the whole object: what the body leaves out returns to the template value.
        merged = {field: body.get(field) for field in ("identifier", "name")}
        merged.update(body)
        fields = self._member_fields(ctx.company, merged, current=member, require_name=True)
        replaced = default_member()
        replaced.update(fields)
        self._apply_member(ctx.company, member, replaced, ctx.by)
        return Response(200, self._member_json(ctx, member))

    def _patch_member(self, ctx, member_id):
        member = self._member(ctx, member_id)
        body = {}
        for path, value in patch_operations(ctx.json(), "ApiMember"):
            parts = path.split("/")
            field = _MEMBER_FIELDS.get(parts[0].lower())
            bad_reference = len(parts) > 1 and (field not in MEMBER_REFERENCES or len(parts) != 2
                                                or parts[1].lower() not in ("id", "name", "identifier"))
            if field is None or bad_reference:
                raise invalid("ApiMember", path, "InvalidField", "The field %s cannot be changed." % path)
            body[field] = {parts[1].lower(): value} if len(parts) == 2 else value
        fields = self._member_fields(ctx.company, body, current=member, require_name=False)
        self._apply_member(ctx.company, member, fields, ctx.by)
        return Response(200, self._member_json(ctx, member))

    @staticmethod
    def _apply_member(company, member, fields, by):
        if "inactiveFlag" in fields and fields["inactiveFlag"] != member["inactiveFlag"]:
            fields.setdefault("inactiveDate", company.now_iso() if fields["inactiveFlag"] else None)
        member.update(fields)
        company.touch(member, by)

    def _member_fields(self, company, body, current, require_name):
        """Validate the writable fields of ``body``; return them in stored form."""
        fields = {}
        if current is None or "identifier" in body:
            identifier = body.get("identifier")
            if identifier is None or (isinstance(identifier, str) and not identifier.strip()):
                raise invalid("ApiMember", "identifier", "NullValue", "The identifier field is required.")
            _check_string("identifier", identifier, 15)
            other = company.member_by_identifier(identifier)
            if other is not None and (current is None or other["id"] != current["id"]):
                raise invalid("ApiMember", "identifier", "ObjectExists", "The identifier is already in use.")
            fields["identifier"] = identifier
        if require_name and not body.get("name"):
            raise invalid("ApiMember", "name", "NullValue", "The name field is required.")
        for field, limit in (("name", 30), ("emailAddress", 250), ("notes", 2000)):
            if field in body:
                if body[field] is not None:
                    _check_string(field, body[field], limit)
                fields[field] = body[field]
        for flag in ("inactiveFlag", "blockPriceFlag", "blockCostFlag"):
            if flag in body:
                if not isinstance(body[flag], bool):
                    raise invalid("ApiMember", flag, "InvalidField", "The %s field must be a boolean." % flag)
                fields[flag] = body[flag]
        if "excludedServiceBoardIds" in body:
            value = body["excludedServiceBoardIds"] or []
            if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise invalid("ApiMember", "excludedServiceBoardIds", "InvalidField",
                              "excludedServiceBoardIds must be a list of board ids.")
            fields["excludedServiceBoardIds"] = value
        for field, (table, _unused) in MEMBER_REFERENCES.items():
            if field in body:
                fields[field] = self._resolve_reference(company, field, table, body[field])
        return fields

    def _resolve_reference(self, company, field, table, value):
        if value is None:
            return None
        rows = self._reference_rows(company, table)
        if isinstance(value, dict):
            if value.get("id") is not None:
                record_id = value["id"]
                if isinstance(record_id, int) and not isinstance(record_id, bool) and record_id in rows:
                    return record_id
                raise invalid("ApiMember", field, "InvalidField", "%s id %r does not exist." % (field, record_id))
            for key in ("identifier", "name"):
                if isinstance(value.get(key), str):
                    wanted = value[key].casefold()
                    match = next((i for i, r in rows.items() if str(r.get(key, "")).casefold() == wanted), None)
                    if match is None:
                        raise invalid("ApiMember", field, "InvalidField",
                                      "%s %r does not exist." % (field, value[key]))
                    return match
        raise invalid("ApiMember", field, "InvalidField", "%s must be a reference such as {\"id\": 1}." % field)

    # -- CX3 API keys -----------------------------------------------------------------------
    def _member_keys(self, ctx, member):
        return [k for k in ctx.company.keys.values() if k["memberId"] == member["id"]]

    def _list_keys(self, ctx, member_id):
        member = self._member(ctx, member_id)
        return self.list_answer(ctx, [self._key_json(k) for k in self._member_keys(ctx, member)])

    def _count_keys(self, ctx, member_id):
        member = self._member(ctx, member_id)
        return self.count_answer(ctx, [self._key_json(k) for k in self._member_keys(ctx, member)])

    def _key(self, ctx, member_id, key_id):
        member = self._member(ctx, member_id)
        key = ctx.company.keys.get(int(key_id))
        if key is None or key["memberId"] != member["id"]:
            raise not_found("ApiKey", key_id)
        return key

    def _get_key(self, ctx, member_id, key_id):
        return Response(200, self._key_json(self._key(ctx, member_id, key_id)))

    def _create_key(self, ctx, member_id):
        member = self._member(ctx, member_id)
        body = ctx.json()
        description = body.get("description") if isinstance(body, dict) else None
        if not isinstance(description, str) or not 1 <= len(description) <= 100:
            raise invalid("ApiKey", "description", "InvalidField",
                          "The description field is required (1 to 100 characters).")
        key = ctx.company.create_key(member, description, ctx.by)
        return Response(201, self._key_json(key, with_private=True))

    def _delete_key(self, ctx, member_id, key_id):
        key = self._key(ctx, member_id, key_id)
        del ctx.company.keys[key["id"]]
        return Response(204)

    # -- temporary tokens ---------------------------------------------------------------------
    def _create_token(self, ctx, identifier):
        user_type = (ctx.headers.get("x-cw-usertype") or "member").strip().lower()
        if user_type != "member":
            raise CwError(400, "InvalidObject", "Only the member user type is supported (x-cw-usertype: member).")
        member = ctx.company.member_by_identifier(identifier)
        if member is None:
            raise CwError(404, "NotFound", "Member %s was not found." % identifier)
        expiration = (ctx.company.clock.now() + TOKEN_LIFETIME).strftime(ISO_FORMAT)
        token = {"publicKey": new_key(), "privateKey": new_key(), "expiration": expiration,
                 "memberId": member["id"]}
        ctx.company.tokens.append(token)
        return Response(201, {"publicKey": token["publicKey"], "privateKey": token["privateKey"],
                              "expiration": expiration})

    # ---------------------------------------------------------------------------------------
    # mySecurity and setup screens
    # ---------------------------------------------------------------------------------------
    def _my_security_rows(self, ctx):
        role = ctx.company.roles.get(ctx.member.get("securityRole"))
        if role is None:
            return []
        member_ref = self.member_ref(ctx, ctx.member)
        return [dict(self._setting_json(s), member=member_ref) for s in role["settings"]]

    def _list_my_security(self, ctx):
        return self.list_answer(ctx, self._my_security_rows(ctx))

    def _count_my_security(self, ctx):
        return self.count_answer(ctx, self._my_security_rows(ctx))

    def _my_items(self, ctx):
        role = ctx.company.roles.get(ctx.member.get("securityRole"))
        if role is None:
            return []
        return [{"id": i["id"], "customizeIdentifier": i["customizeIdentifier"],
                 "itemIdentifier": i["itemIdentifier"]} for i in role["customize"].values()]

    def _list_my_items(self, ctx):
        return self.list_answer(ctx, self._my_items(ctx))

    def _count_my_items(self, ctx):
        return self.count_answer(ctx, self._my_items(ctx))

    @staticmethod
    def _screen_json(ctx, screen):
        return dict(screen, _info={"lastUpdated": "2025-01-01T00:00:00Z", "updatedBy": "system"})

    def _list_screens(self, ctx):
        return self.list_answer(ctx, [self._screen_json(ctx, s) for s in cw_catalogue.SETUP_SCREENS])

    def _count_screens(self, ctx):
        return self.count_answer(ctx, [self._screen_json(ctx, s) for s in cw_catalogue.SETUP_SCREENS])

    def _get_screen(self, ctx, screen_id):
        screen = cw_catalogue.SCREEN_BY_ID.get(int(screen_id))
        if screen is None:
            raise not_found("SetupScreen", screen_id)
        return Response(200, self._screen_json(ctx, screen))

    # -- reference tables ---------------------------------------------------------------------
    _TABLES = {"locations": "locations", "departments": "departments", "timezonesetups": "timeZones",
               "structurelevels": "structureLevels", "companies": "companies"}

    def _reference_list(self, ctx, name):
        return list(self._reference_rows(ctx.company, self._TABLES[name.lower()]).values())

    def _list_reference(self, ctx, *args):
        return self.list_answer(ctx, self._reference_list(ctx, args[-1]))

    def _count_reference(self, ctx, *args):
        return self.count_answer(ctx, self._reference_list(ctx, args[-1]))

    def _get_reference(self, ctx, *args):
        rows = self._reference_rows(ctx.company, self._TABLES[args[-2].lower()])
        row = rows.get(int(args[-1]))
        if row is None:
            raise not_found(args[-2], args[-1])
        return Response(200, row)

    # ---------------------------------------------------------------------------------------
    # Tenants, state and the acts of a person in the UI (control API)
    # ---------------------------------------------------------------------------------------
    def has_company(self, company_id):
        return company_id.lower() in self.companies

    def add_company(self, company_id, public_key=None, private_key=None, client_id=None, name=None):
        """Seed a company with its bootstrap admin member, role and key pair."""
        if not isinstance(company_id, str) or not company_id.strip():
            raise ControlError("connectwise.company_id is required")
        with self.lock:
            if company_id.lower() in self.companies:
                raise AlreadyExists("ConnectWise company %s exists already" % company_id)
            company = Company(company_id, name, client_id, self.clock)
            company.seed_companies()
            company.seed_service_tables()
            admin_role = company.create_role("Admin", "system", admin_flag=True, level="All")
            for screen in cw_catalogue.SETUP_SCREENS:
                company.add_customize_item(admin_role, "SystemTableSetup", screen["id"], "system")
            admin = company.create_member({"identifier": "admin", "name": "Administrator",
                                           "emailAddress": "admin@%s.example" % company_id.lower(),
                                           "securityRole": admin_role["id"]}, "system")
            key = company.create_key(admin, "Bootstrap", "system", public_key, private_key)
            self.companies[company_id.lower()] = company
            return {"company_id": company_id, "name": company.name, "client_id": client_id,
                    "public_key": key["publicKey"], "private_key": key["privateKey"],
                    "admin_member": {"id": admin["id"], "identifier": admin["identifier"]},
                    "admin_role": {"id": admin_role["id"], "name": admin_role["name"]}}

    def remove_company(self, company_id):
        with self.lock:
            self.companies.pop(company_id.lower(), None)

    def _control_company(self, company_id):
        company = self.companies.get(str(company_id).lower())
        if company is None:
            raise KeyError("ConnectWise company %s does not exist" % company_id)
        return company

    def manual_role_settings(self, company_id, role_ref, settings=None, customize=None):
        """A person editing a role in System › Security Roles (and its Table Setup customize list)."""
        with self.lock:
            company = self._control_company(company_id)
            role = company.roles.get(int(role_ref)) if str(role_ref).isdigit() else company.role_by_name(str(role_ref))
            if role is None:
                raise KeyError("security role %s does not exist" % role_ref)
            updates = []
            for number, entry in enumerate(settings or []):
                setting = Company.setting_for(role, entry.get("module", ""), entry.get("function", ""))
                if setting is None:
                    raise ControlError("settings[%d]: %s > %s is not in the catalogue" % (
                        number, entry.get("module"), entry.get("function")))
                change = {}
                for short in ("add", "edit", "delete", "inquire"):
                    if entry.get(short) is not None:
                        try:
                            change[short + "Level"] = _check_level(setting, short + "Level", entry[short], "control")
                        except CwError as error:
                            raise ControlError("settings[%d].%s: %s" % (number, short, error.errors[0]["message"]))
                updates.append((setting, change))
            screens = None
            if customize is not None:
                screens = []
                for label in customize:
                    screen = cw_catalogue.find_screen(label)
                    if screen is None:
                        raise ControlError("customize: %r is not a setup screen" % label)
                    screens.append(screen)
            for setting, change in updates:
                setting.update(change)
                company.touch(setting, "admin")
            if screens is not None:
                role["customize"] = {k: v for k, v in role["customize"].items()
                                     if v["customizeIdentifier"] != "SystemTableSetup"}
                for screen in screens:
                    company.add_customize_item(role, "SystemTableSetup", screen["id"], "admin")
            company.touch(role, "admin")
            return self._role_state(role)

    def manual_member_key(self, company_id, member_identifier, description):
        """A person pressing "+" on a member's API Keys tab: the private key is shown once."""
        with self.lock:
            company = self._control_company(company_id)
            member = company.member_by_identifier(str(member_identifier))
            if member is None:
                raise KeyError("member %s does not exist" % member_identifier)
            if not isinstance(description, str) or not 1 <= len(description) <= 100:
                raise ControlError("description is required (1 to 100 characters)")
            key = company.create_key(member, description, "admin")
            return {"id": key["id"], "description": key["description"], "publicKey": key["publicKey"],
                    "privateKey": key["privateKey"]}

    def bulk_members(self, company_id, count, prefix="bulk"):
        """Seed many inactive-free API members at once (paging tests)."""
        with self.lock:
            company = self._control_company(company_id)
            if not isinstance(count, int) or not 0 < count <= 100000:
                raise ControlError("count must be an integer from 1 to 100000")
            start = company.counters.get("member", 0) + 1
            for number in range(start, start + count):
                identifier = "%s%d" % (prefix, number)
                if len(identifier) > 15:
                    raise ControlError("prefix too long: identifiers must fit 15 characters")
                company.create_member({"identifier": identifier, "name": "Bulk member %d" % number}, "system")
            return {"created": count, "total": len(company.members)}

    def bulk_companies(self, company_id, count, prefix="CUST"):
        """Seed many active client companies at once (identifiers ``prefix1`` .. ``prefix<count>``)."""
        with self.lock:
            company = self._control_company(company_id)
            if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= 100000:
                raise ControlError("count must be an integer from 1 to 100000")
            if not isinstance(prefix, str) or not prefix.strip() or prefix != prefix.strip() or '"' in prefix:
                raise ControlError("prefix must be a non-empty string without spaces around it or double quotes")
            if len("%s%d" % (prefix, count)) > COMPANY_IDENTIFIER_MAX:
                raise ControlError("prefix too long: identifiers must fit %d characters" % COMPANY_IDENTIFIER_MAX)
            identifiers = ["%s%d" % (prefix, number) for number in range(1, count + 1)]
            taken = set(c["identifier"].casefold() for c in company.companies.values())
            clash = next((i for i in identifiers if i.casefold() in taken), None)
            if clash is not None:
                raise AlreadyExists("ConnectWise company %s exists already in %s" % (clash, company.company_id))
            for number, identifier in enumerate(identifiers, 1):
                company.add_client_company(identifier, ("%s company %d" % (prefix, number))[:COMPANY_NAME_MAX])
            return {"created": count, "total": len(company.companies), "identifiers": identifiers}

    def manual_company(self, company_id, company_ref, status=None, deleted=None):
        """A person setting a client company's status, or deleting it (the record stays, flagged)."""
        with self.lock:
            company = self._control_company(company_id)
            ref = str(company_ref)
            record = company.companies.get(int(ref)) if ref.isdigit() else company.company_by_identifier(ref)
            if record is None:
                raise KeyError("company %s does not exist in %s" % (company_ref, company.company_id))
            if status is None and deleted is None:
                raise ControlError("give status and/or deletedFlag")
            if status is not None and status not in _STATUS_IDS:
                raise ControlError("status must be one of %s" % ", ".join(name for _id, name in COMPANY_STATUSES))
            if deleted is not None and not isinstance(deleted, bool):
                raise ControlError("deletedFlag must be true or false")
            if status is not None:
                record["status"] = status
            if deleted is not None:
                record["deletedFlag"] = deleted
            company.touch(record, "admin")
            return {k: v for k, v in record.items() if k != "info"}

    @staticmethod
    def _role_state(role):
        settings = []
        for s in role["settings"]:
            function = cw_catalogue.FUNCTIONS[s["function"]]
            settings.append({"id": s["id"], "module": function["moduleName"],
                             "function": function["moduleFunctionName"],
                             "addLevel": s["addLevel"], "editLevel": s["editLevel"],
                             "deleteLevel": s["deleteLevel"], "inquireLevel": s["inquireLevel"]})
        items = []
        for item in role["customize"].values():
            entry = {"id": item["id"], "customizeIdentifier": item["customizeIdentifier"],
                     "itemIdentifier": item["itemIdentifier"]}
            if item["customizeIdentifier"] == "SystemTableSetup" and item["itemIdentifier"].isdigit():
                screen = cw_catalogue.SCREEN_BY_ID.get(int(item["itemIdentifier"]))
                entry["label"] = cw_catalogue.screen_label(screen) if screen else None
            items.append(entry)
        return {"id": role["id"], "name": role["name"], "adminFlag": role["adminFlag"],
                "inactiveFlag": role["inactiveFlag"], "settings": settings, "customize": items}

    def public_state(self):
        """Everything, secrets included: the oracle of the tests (never a vendor surface)."""
        with self.lock:
            result = {}
            for company in self.companies.values():
                identifiers = {m["id"]: m["identifier"] for m in company.members.values()}
                result[company.company_id] = {
                    "company_id": company.company_id, "name": company.name, "client_id": company.client_id,
                    "roles": [self._role_state(r) for r in company.roles.values()],
                    "members": [dict({k: v for k, v in m.items() if k != "info"},
                                     securityRoleName=(company.roles.get(m.get("securityRole")) or {}).get("name"))
                                for m in company.members.values()],
                    "api_keys": [{"id": k["id"], "memberId": k["memberId"],
                                  "memberIdentifier": identifiers.get(k["memberId"]),
                                  "description": k["description"], "publicKey": k["publicKey"],
                                  "privateKey": k["privateKey"], "dateEntered": k["info"]["dateEntered"]}
                                 for k in company.keys.values()],
                    "tokens": [dict(t, memberIdentifier=identifiers.get(t["memberId"])) for t in company.tokens],
                }
            return result

    def snapshot(self):
        with self.lock:
            return {"companies": [c.to_dict() for c in self.companies.values()]}

    def restore(self, data):
        with self.lock:
            self.companies = {}
            for entry in (data or {}).get("companies", []):
                company = Company.from_dict(entry, self.clock)
                self.companies[company.company_id.lower()] = company

    def reset(self):
        with self.lock:
            self.companies = {}

    @staticmethod
    def route_template(path):
        """``GET /system/apiMembers/12`` -> ``/system/apiMembers/{id}`` (statistics)."""
        api = _API_PATH.match(path)
        if api:
            sub = (api.group(2) or "/").rstrip("/") or "/"
            sub = re.sub(r"(?i)^(/system/members/)[^/]+(/tokens)$", r"\1{identifier}\2", sub)
            return re.sub(r"/\d+(?=/|$)", "/{id}", sub)
        if _COMPANYINFO.match(path):
            return "/login/companyinfo/{companyId}"
        return path


_STATUS_IDS = {name: status_id for status_id, name in COMPANY_STATUSES}

_REFERENCE_HREFS = {
    "roles": ("securityRole_href", "system/securityRoles"),
    "timeZones": ("timeZoneSetup_href", "system/timeZoneSetups"),
    "structureLevels": ("structureLevel_href", "system/structureLevels"),
    "locations": ("location_href", "system/locations"),
    "departments": ("department_href", "system/departments"),
    "boards": ("board_href", "service/boards"),
}

_MEMBER_FIELDS = {name.lower(): name for name in (
    "identifier", "name", "emailAddress", "inactiveFlag", "notes", "excludedServiceBoardIds", "blockPriceFlag",
    "blockCostFlag", *MEMBER_REFERENCES)}


def _basic_user(header):
    """``(company, public, private)`` from a Basic header, or None."""
    if not header or not header[:6].lower() == "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, private_key = decoded.partition(":")
    company_id, plus, public_key = user.partition("+")
    if not sep or not plus or not company_id or not public_key:
        return None
    return company_id, public_key, private_key


def _check_string(field, value, limit):
    if not isinstance(value, str) or len(value) > limit:
        raise invalid("ApiMember", field, "InvalidField",
                      "The %s field must be a string with a maximum length of %d." % (field, limit))


def _level_field(path):
    """A role setting's level field from a patch path (case-insensitive), or a 400 naming the path."""
    field = {"addlevel": "addLevel", "editlevel": "editLevel", "deletelevel": "deleteLevel",
             "inquirelevel": "inquireLevel"}.get(path.lower())
    if field is None:
        raise invalid("SecurityRoleSetting", path, "InvalidField", "The field %s cannot be changed." % path)
    return field


def _customize_fields(body):
    """``(customizeIdentifier, itemIdentifier)`` of a customize item body, validated."""
    if not isinstance(body, dict):
        raise CwError(400, "InvalidObject", "MySecurityCustomizeItem object is invalid")
    identifier = body.get("customizeIdentifier")
    item_identifier = body.get("itemIdentifier")
    if identifier not in CUSTOMIZE_IDENTIFIERS:
        raise invalid("MySecurityCustomizeItem", "customizeIdentifier", "InvalidField",
                      "customizeIdentifier must be one of: %s." % ", ".join(CUSTOMIZE_IDENTIFIERS))
    if item_identifier is None or not str(item_identifier).strip():
        raise invalid("MySecurityCustomizeItem", "itemIdentifier", "NullValue",
                      "The itemIdentifier field is required.")
    item_identifier = str(item_identifier).strip()
    if identifier == "SystemTableSetup" and (
            not item_identifier.isdigit() or int(item_identifier) not in cw_catalogue.SCREEN_BY_ID):
        raise invalid("MySecurityCustomizeItem", "itemIdentifier", "InvalidField",
                      "itemIdentifier %s is not the id of a setup screen." % item_identifier)
    return identifier, item_identifier


def _check_level(setting, field, value, resource):
    if value not in LEVELS:
        raise invalid(resource, field, "InvalidField", "%s must be one of None, My, All." % field)
    function = cw_catalogue.FUNCTIONS[setting["function"]]
    if value == "My" and not function["myAllFlag"]:
        raise invalid(resource, field, "InvalidField",
                      "%s > %s offers only None and All." % (function["moduleName"], function["moduleFunctionName"]))
    return value
