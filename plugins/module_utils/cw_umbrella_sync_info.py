# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Engine of ``cw_umbrella_sync_info``: the evidence, in ConnectWise, that Umbrella's sync works.

Cisco Umbrella's PSA integration writes, with the key the console holds, one configuration of its own
configuration type per mapped customer's company (updated daily) and tickets on a service board.
Every ConnectWise record carries ``_info`` (who entered and last updated it, and when), so any key
that may read configurations and tickets can tell, per company, whether the integration member has
written there recently. Nothing here needs an Umbrella API.

Requests do not grow with the number of customers: the configuration types, one paged list of the
configurations of those types (1000 a page), one of the member's recent tickets, the companies of
expected customers left without a configuration in ``identifier in (...)`` batches, and, to explain a
failing sync, the integration member's role and its settings.

Freshness is measured against the server's clock (the HTTP ``Date`` header of its answers), since
``_info`` times are stamped by the server; without that header the controller's clock is used, and
never earlier than the newest ``_info`` time read.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.msp.umbrella_psa.plugins.module_utils import cw_permissions as perms
from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import CONNECTWISE_ARGSPEC
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConditionValueError,
    ConnectWiseAuthError,
    ConnectWiseError,
    ConnectWiseUnsupported,
    conditions,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.cw_access_info import _setup_screens
from ansible_collections.msp.umbrella_psa.plugins.module_utils.cw_security_role import (
    ROLES_PATH,
    customize_path,
    settings_path,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import EngineError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella_psa_company_mapping import (
    lookup_companies,
    read_mappings_file,
)

TYPES_PATH = "/company/configurations/types"
CONFIGURATIONS_PATH = "/company/configurations"
TICKETS_PATH = "/service/tickets"
MEMBERS_PATH = "/system/apiMembers"
TYPE_FIELDS = "id,name,_info"
CONFIGURATION_FIELDS = "id,name,company,type,_info"
TICKET_FIELDS = "id,summary,board,status,company,_info"

VERDICTS = ("syncing", "partial", "stale", "never")

ARGUMENT_SPEC = dict(
    CONNECTWISE_ARGSPEC,
    member=dict(type="str", default="umbrella"),
    configuration_type=dict(type="str"),
    max_age_hours=dict(type="int", default=26),
    # raw: company identifiers, or what umbrella_psa_company_mapping takes or returns (see expected()).
    expected_companies=dict(type="raw"),
    security_role=dict(type="str"),
)
ARGUMENT_OPTIONS = {}


# ---------------------------------------------------------------------------------------------------
# What each part of Umbrella's sync needs of the integration member's role (Cisco's setup
# guides). ``allow`` names the Table Setup customize list entries that part needs.


class SyncPart(object):
    def __init__(self, what, module, function, action, requests, allow=()):
        self.what = what
        self.module = module
        self.function = function
        self.action = action
        self.requests = requests
        self.allow = tuple(allow)


SYNC_PARTS = (
    SyncPart("find the company of a mapped customer", "Companies", "Company Maintenance", "inquire",
             "GET /company/companies"),
    SyncPart("read configurations", "Companies", "Configurations", "inquire", "GET /company/configurations"),
    SyncPart("create configurations", "Companies", "Configurations", "add", "POST /company/configurations"),
    SyncPart("update configurations", "Companies", "Configurations", "edit",
             "PATCH /company/configurations/{id}"),
    SyncPart("read its configuration type", "System", "Table Setup", "inquire",
             "GET /company/configurations/types", allow=("Company / Configuration",)),
    SyncPart("create its configuration type and questions", "System", "Table Setup", "add",
             "POST /company/configurations/types"),
    SyncPart("take its configuration type or questions back into use once set inactive", "System", "Table Setup",
             "edit", "PATCH /company/configurations/types/{id}/questions/{id}"),
    SyncPart("offer service boards in the console", "System", "Table Setup", "inquire", "GET /service/boards",
             allow=("Service / Service Board",)),
    SyncPart("offer priorities in the console", "System", "Table Setup", "inquire", "GET /service/priorities",
             allow=("Service / Priority",)),
    SyncPart("read its tickets", "Service Desk", "Service Tickets", "inquire", "GET /service/tickets/{id}"),
    SyncPart("open tickets", "Service Desk", "Service Tickets", "add", "POST /service/tickets"),
    SyncPart("append to open tickets", "Service Desk", "Service Tickets", "edit",
             "POST /service/tickets/{id}/notes"),
)
# Cisco's guide asks for All; "My" would keep the member from records another member wrote.
NEEDED_LEVEL = "All"


# ---------------------------------------------------------------------------------------------------
# Options


def _text(params, option):
    value = params.get(option)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise EngineError("%s: %r must be a non-empty name without leading or trailing spaces" % (option, value))
    try:
        conditions.eq("name", value)
    except ConditionValueError as exc:
        raise EngineError("%s: %r cannot be looked up: %s" % (option, value, exc.reason))
    return value


MAPPING_FILE_SUFFIXES = (".csv", ".yml", ".yaml", ".json")


class Expected(object):
    """The expected company identifiers (casefold-unique, in order), or ``known=False`` with ``why``."""

    def __init__(self, identifiers, known=True, why=None):
        self.identifiers = identifiers
        self.known = known
        self.why = why


def expected(value):
    """What ``expected_companies`` expects.

    Accepts a list of identifiers; the entries of umbrella_psa_company_mapping's ``mappings`` option
    or file (``{customer, company}``), or a dictionary holding them (``mappings``, ``mapping``); the
    absolute path of that mapping file; the console's own mapping records (``connectwiseCompanyId``);
    a ``{customer: company}`` dictionary; and a registered result of that module, whose ``changes``
    name every mapped company only when the run changed them all (``summary.mapped``).
    """
    if isinstance(value, dict) and "changes" in value and isinstance(value.get("summary"), dict):
        after = [change.get("after") for change in value.get("changes") or [] if isinstance(change, dict)]
        mapped = value["summary"].get("mapped")
        if len([a for a in after if a]) != mapped:
            return Expected([], known=False, why=(
                "expected_companies: the mapping result names only the %d customers its run changed, of %s mapped; "
                "every company with a configuration of the member was judged on its own. Pass the mapping file's "
                "path or its entries to judge every mapped customer" % (len(after), mapped)))
        value = after
    if isinstance(value, str) and value.startswith("/") and value.lower().endswith(MAPPING_FILE_SUFFIXES):
        try:
            value = [entry.company for entry in read_mappings_file(value)]
        except EngineError as exc:
            raise EngineError("expected_companies: %s" % exc.msg)
    found = []
    _collect(value, "expected_companies", found)
    unique, seen = [], set()
    for identifier in found:
        if identifier.casefold() not in seen:
            seen.add(identifier.casefold())
            unique.append(identifier)
    return Expected(unique)


def _collect(value, where, found):
    if value is None or value == "":
        return
    if isinstance(value, bool):
        raise EngineError("%s: %r is not a company identifier" % (where, value))
    if isinstance(value, (str, int)):
        text = str(value)
        if text != text.strip() or not text:
            raise EngineError("%s: %r has leading or trailing whitespace; give the company identifier as "
                              "ConnectWise spells it" % (where, value))
        found.append(text)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _collect(item, "%s[%d]" % (where, index), found)
        return
    if isinstance(value, dict):
        for key in ("mappings", "mapping"):
            if key in value:
                _collect(value[key], "%s.%s" % (where, key), found)
                return
        for key in ("company", "connectwiseCompanyId", "after", "identifier"):
            if key in value:
                # A cleared mapping (``after: null``) expects nothing.
                _collect(value[key], "%s.%s" % (where, key), found)
                return
        if where == "expected_companies" and value and all(isinstance(item, str) for item in value.values()):
            # ``{customer: company}``, the whole option
            for key in sorted(value):
                _collect(value[key], "%s[%r]" % (where, key), found)
            return
    raise EngineError("%s: %r is neither a company identifier nor a mapping entry ({customer, company}); give "
                      "a list of ConnectWise company identifiers" % (where, value))


# ---------------------------------------------------------------------------------------------------
# Time


def parse_time(text):
    """An ``_info`` time (ISO 8601, ``Z`` or an offset; naive is UTC) as aware UTC, or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip().replace(" ", "T", 1)
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    whole, dot, rest = value.partition(".")
    if dot:  # fractions of a second do not matter here, and older Pythons parse only three or six digits
        value = whole + rest.lstrip("0123456789")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def age_text(delta):
    """``3 days``, ``5 hours``, ``40 minutes``: how long ago, in the largest whole unit."""
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return "%d %s%s" % (count, unit, "" if count == 1 else "s")
    return "less than a minute"


def _info(record, key):
    info = record.get("_info") if isinstance(record, dict) else None
    return info.get(key) if isinstance(info, dict) else None


def _same(a, b):
    return isinstance(a, str) and isinstance(b, str) and a.casefold() == b.casefold()


def _or(phrases):
    phrases = list(phrases)
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _name_of(reference):
    return reference.get("name") if isinstance(reference, dict) else None


# ---------------------------------------------------------------------------------------------------
# Reads


def _list_by_member(client, path, member, fields):
    """Records entered by the member, filtered by the server, or here if it refuses the condition."""
    try:
        return client.list(path, conditions=conditions.eq("_info/enteredBy", member), fields=fields)
    except ConnectWiseError as exc:
        if exc.status != 400:
            raise
    records = client.list(path, fields=fields)
    return [record for record in records if _same(_info(record, "enteredBy"), member)]


def read_types(client, member, type_name):
    """The configuration types of the integration: by name when given, else those the member entered."""
    if type_name:
        return client.find(TYPES_PATH, "name", type_name)
    return _list_by_member(client, TYPES_PATH, member, TYPE_FIELDS)


def read_configurations(client, types, type_name, member):
    """The configurations of the integration's types (``types`` None: they could not be read)."""
    ids = sorted(set(t["id"] for t in types or [] if isinstance(t.get("id"), int)))
    if ids:
        return client.list(CONFIGURATIONS_PATH, conditions=conditions.in_("type/id", ids),
                           fields=CONFIGURATION_FIELDS)
    if type_name:
        if types is not None:
            return []  # no type of that name: nothing to read
        return client.list(CONFIGURATIONS_PATH, conditions=conditions.eq("type/name", type_name),
                           fields=CONFIGURATION_FIELDS)
    # No type entered by the member (a person may have made it), or the types cannot be read: the
    # configurations the member entered, whatever their type.
    return _list_by_member(client, CONFIGURATIONS_PATH, member, CONFIGURATION_FIELDS)


def read_tickets(client, member, since):
    """Tickets the member opened or updated since ``since`` (server-side conditions); None: not readable."""
    wanted = conditions.or_(
        conditions.and_(conditions.eq("_info/enteredBy", member), _since("_info/dateEntered", since)),
        conditions.and_(conditions.eq("_info/updatedBy", member), _since("_info/lastUpdated", since)))
    try:
        return client.list(TICKETS_PATH, conditions=wanted, fields=TICKET_FIELDS)
    except ConnectWiseError as exc:
        if exc.status != 400:
            raise
    # A server that refuses conditions on who wrote a ticket: the recently updated tickets, filtered here.
    # One that refuses every _info condition would make this a read of every ticket: None, not read.
    try:
        records = client.list(TICKETS_PATH, conditions=_since("_info/lastUpdated", since), fields=TICKET_FIELDS)
    except ConnectWiseError as exc:
        if exc.status != 400:
            raise
        return None
    return [t for t in records if _opened_or_updated(t, member, since)]


def _since(field, moment):
    """``field>=[2026-12-04T10:00:00Z]``: ConnectWise's datetime literal, in UTC."""
    return "%s>=[%s]" % (field, iso(moment))


def _opened_or_updated(ticket, member, since):
    entered, updated = parse_time(_info(ticket, "dateEntered")), parse_time(_info(ticket, "lastUpdated"))
    return ((_same(_info(ticket, "enteredBy"), member) and entered is not None and entered >= since)
            or (_same(_info(ticket, "updatedBy"), member) and updated is not None and updated >= since))


# ---------------------------------------------------------------------------------------------------
# The integration member's role


class RoleCheck(object):
    """The role's settings (and customize list, when readable) against what the sync needs."""

    def __init__(self, client, member, role_name):
        self.client = client
        self.member = member
        self.role_name = role_name
        self.role = None
        self.member_record = None
        self.member_absent = False
        self.notes = []

    def find_role_name(self):
        """The role the member holds, from its record (needs System › Members inquire)."""
        try:
            found = self.client.find(MEMBERS_PATH, "identifier", self.member)
        except ConnectWiseAuthError as exc:
            self.notes.append("The role's permissions were not checked: this key may not read API members "
                              "(%s); set security_role to the role member '%s' holds" % (exc.status, self.member))
            return None
        self.member_record = found[0] if found else None
        self.member_absent = not found
        return _name_of((self.member_record or {}).get("securityRole"))

    def findings(self):
        name = self.role_name or self.find_role_name()
        if not name:
            return []
        try:
            roles = self.client.find(ROLES_PATH, "name", name)
            if not roles:
                return ["Security role '%s' does not exist: give the API member '%s' a role with the permissions "
                        "of Cisco's setup guide" % (name, self.member)]
            self.role = roles[0]
            settings = self.client.list(settings_path(self.role["id"]))
        except ConnectWiseAuthError as exc:
            self.notes.append("The role's permissions were not checked: this key may not read security roles (%s)"
                              % exc.status)
            return []
        allowed = self._customize_labels(name)
        catalogue = perms.Catalogue(settings)
        # One line per missing permission, naming every part of the sync it breaks.
        short = {}
        for part in SYNC_PARTS:
            record = catalogue.find(part.module, part.function)
            actual = perms.levels_of(record)[part.action] if record else "None"
            if not perms.level_satisfies(actual, NEEDED_LEVEL):
                key = (perms.label(part.module, part.function) + " " + part.action, actual)
                short.setdefault(key, []).append(part)
            elif allowed is not None:
                for table in part.allow:
                    if table.casefold() not in allowed:
                        key = (u"%s allow: %s" % (perms.table_setup_label(), table), "None")
                        short.setdefault(key, []).append(part)
        lines = []
        for (permission, actual), parts in short.items():
            requests = ", ".join(part.requests for part in parts)
            answer = "its %s answer%s 403" % (requests, "s" if len(parts) == 1 else "") if actual == "None" else \
                "it has %s, which leaves out records other members wrote" % actual
            lines.append(u"Umbrella cannot %s: role '%s' lacks %s (%s)"
                         % (_or(part.what for part in parts), name, permission, answer))
        return lines

    def _customize_labels(self, name):
        """The Table Setup customize list (extension CX2), casefolded; None when it cannot be read."""
        try:
            items = perms.table_setup_items(self.client.list(customize_path(self.role["id"])))
        except ConnectWiseUnsupported:
            tables = []
            for part in SYNC_PARTS:
                tables.extend(table for table in part.allow if table not in tables)
            self.notes.append(u"The Table Setup customize list of role '%s' was not checked (the server offers no "
                              u"way to read it; not part of the vendor's public API): check in ConnectWise, System › "
                              u"Security Roles › %s › Table Setup, that it allows %s"
                              % (name, name, ", ".join(sorted(tables))))
            return None
        except ConnectWiseAuthError:
            self.notes.append(u"The Table Setup customize list of role '%s' was not checked: this key may not read "
                              u"it" % name)
            return None
        try:
            screens = _setup_screens(self.client, items, full=False)
        except ConnectWiseError as exc:
            # An extra check: the evidence above stands without it.
            self.notes.append(u"The Table Setup customize list of role '%s' was not checked (%s)" % (name, exc))
            return None
        return set(screens.label_of(item.get("itemIdentifier")).casefold() for item in items) if screens else set()


# ---------------------------------------------------------------------------------------------------
# The run


# run() is handed a ConnectWiseClient built from these options by the entry point (engine.build_clients).
CLIENTS = dict(client=("connectwise", None))


def run(params, check_mode=False, client=None):
    # Read-only: check mode changes nothing.
    del check_mode
    member = _text(params, "member") or "umbrella"
    type_name = _text(params, "configuration_type")
    role_name = _text(params, "security_role")
    max_age = params.get("max_age_hours")
    max_age = 26 if max_age is None else max_age
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 1:
        raise EngineError("max_age_hours: %r must be a whole number of hours, at least 1 (Umbrella syncs daily; "
                          "26 allows for a late run)" % (max_age,))
    expectation = expected(params.get("expected_companies"))
    wanted = expectation.identifiers
    findings = [] if expectation.known else [expectation.why]
    try:
        types = read_types(client, member, type_name)
    except ConnectWiseAuthError as exc:
        if exc.status == 401:
            raise EngineError(str(exc), status=exc.status)
        types = None
        findings.append("This key may not read configuration types (%s); the configurations %s are shown "
                        "instead" % (exc.status, "of type '%s'" % type_name if type_name else
                                     "member '%s' wrote" % member))
    try:
        records = read_configurations(client, types, type_name, member)
    except ConnectWiseAuthError as exc:
        if exc.status == 401:
            # The key itself is refused (revoked, or its member inactive): no permission would help.
            raise EngineError(str(exc), status=exc.status)
        raise EngineError("%s; read the evidence with a key whose role has Companies › Configurations inquire "
                          "All" % exc, status=exc.status)

    now, clock = _now(client, records)
    window_start = now - datetime.timedelta(hours=max_age)
    companies = _companies(records, member, window_start)
    by_member = [c for c in companies if c["by_member"]]
    fresh = set(c["identifier"].casefold() for c in by_member if c["fresh"])
    expected_keys = set(w.casefold() for w in wanted)
    missing = [w for w in wanted if w.casefold() not in fresh]
    unexpected = [c["identifier"] for c in by_member if c["fresh"] and wanted
                  and c["identifier"].casefold() not in expected_keys]
    last_sync = max((c["_updated_by_member"] for c in by_member if c["_updated_by_member"]), default=None)

    try:
        ticket_records = read_tickets(client, member, window_start)
        if ticket_records is None:
            findings.append("The server refuses conditions on _info/lastUpdated; Umbrella's tickets were not checked")
    except ConnectWiseAuthError as exc:
        ticket_records = None
        findings.append("This key may not read tickets (%s); Umbrella's tickets were not checked" % exc.status)
    tickets = _tickets(ticket_records or [])

    verdict = _verdict(by_member, wanted, missing)
    # Expected companies without any configuration: is there such a company at all?
    absent = _absent_companies(client, [m for m in missing if m.casefold() not in _known(companies)])
    findings.extend(_sync_findings(member, type_name, companies, wanted, missing, unexpected, now, max_age, absent))
    role = RoleCheck(client, member, role_name)
    findings.extend(role.findings())
    if role.member_absent:
        findings.append("There is no API member '%s': give member the identifier of the member whose key the "
                        "Umbrella console holds" % member)
    findings.extend(role.notes)

    return dict(
        changed=False,
        verdict=verdict,
        configuration_types=[dict(id=t.get("id"), name=t.get("name"), entered_by=_info(t, "enteredBy"))
                             for t in (types or _types_of(records))],
        companies=[dict((k, v) for k, v in c.items() if not k.startswith("_") and k != "by_member")
                   for c in companies],
        tickets=tickets,
        last_sync=iso(last_sync),
        missing=missing,
        unexpected=unexpected,
        findings=findings,
        server_time=iso(now),
        max_age_hours=max_age,
        clock=clock,
        requests=client.request_count,
        manual_steps=[],
    )


def _now(client, records):
    """The server's now (``Date`` header), else the controller's, never before an ``_info`` time read."""
    server = client.server_time() if hasattr(client, "server_time") else None
    if server is not None:
        return server, "server"
    now = datetime.datetime.now(datetime.timezone.utc)
    stamps = [parse_time(_info(r, key)) for r in records for key in ("lastUpdated", "dateEntered")]
    newest = max((s for s in stamps if s is not None), default=None)
    return (newest if newest is not None and newest > now else now), "controller"


def _companies(records, member, window_start):
    """One entry per company: its configuration the member updated last (else the newest one)."""
    best = {}
    for record in records:
        company = record.get("company") if isinstance(record.get("company"), dict) else {}
        identifier = company.get("identifier")
        if not isinstance(identifier, str):
            continue
        updated = parse_time(_info(record, "lastUpdated"))
        updated_by = _info(record, "updatedBy")
        by_member = _same(updated_by, member) or _same(_info(record, "enteredBy"), member)
        entry = dict(identifier=identifier, name=company.get("name"), configuration_id=record.get("id"),
                     last_updated=iso(updated), updated_by=updated_by,
                     fresh=bool(_same(updated_by, member) and updated is not None and updated >= window_start),
                     by_member=by_member, _updated=updated,
                     _updated_by_member=updated if _same(updated_by, member) else None)
        key = identifier.casefold()
        rank = (entry["fresh"], by_member, entry["_updated_by_member"] is not None, updated or _EPOCH)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, entry)
    return sorted((entry for _rank, entry in best.values()), key=lambda e: e["identifier"].casefold())


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _known(companies):
    return set(c["identifier"].casefold() for c in companies)


def _types_of(records):
    seen = {}
    for record in records:
        kind = record.get("type")
        if isinstance(kind, dict) and kind.get("id") not in seen:
            seen[kind.get("id")] = dict(id=kind.get("id"), name=kind.get("name"))
    return [seen[key] for key in sorted(seen, key=str)]


def _tickets(records):
    grouped = {}
    for ticket in records:
        company = ticket.get("company") if isinstance(ticket.get("company"), dict) else {}
        identifier = company.get("identifier") or "(no company)"
        grouped.setdefault(identifier, []).append(dict(
            id=ticket.get("id"), summary=ticket.get("summary"), board=_name_of(ticket.get("board")),
            status=_name_of(ticket.get("status")), last_updated=iso(parse_time(_info(ticket, "lastUpdated"))),
            updated_by=_info(ticket, "updatedBy")))
    return grouped


def _absent_companies(client, identifiers):
    """The identifiers no ConnectWise company has (a few batched reads); None when they cannot be read."""
    if not identifiers:
        return set()
    try:
        found = lookup_companies(client, identifiers)
    except ConnectWiseAuthError:
        return None
    return set(i.casefold() for i in identifiers if i.casefold() not in found)


def _verdict(by_member, wanted, missing):
    if not by_member:
        return "never"
    fresh = [c for c in by_member if c["fresh"]]
    if not fresh:
        return "stale"
    if wanted:
        return "syncing" if not missing else "partial"
    return "syncing" if len(fresh) == len(by_member) else "partial"


def _sync_findings(member, type_name, companies, wanted, missing, unexpected, now, max_age, absent):
    lines = []
    by_member = [c for c in companies if c["by_member"]]
    if not by_member:
        kind = "of type '%s' " % type_name if type_name else ""
        lines.append("No configuration %swas written by member '%s': Umbrella has never synced with a key of this "
                     "member; check that the console's PSA integration holds a key of API member '%s' and that its "
                     "customers' ConnectWise Company ID are set" % (kind, member, member))
    wanted_keys = set(w.casefold() for w in wanted)
    for company in companies:
        if company["fresh"] or (wanted and company["identifier"].casefold() not in wanted_keys):
            continue
        updated = company["_updated"]
        when = "%s ago" % age_text(now - updated) if updated else "at an unknown time"
        if company["by_member"] and _same(company["updated_by"], member):
            lines.append("%s: configuration last updated %s by %s: the sync has stopped; check the integration key "
                         "and the role's Companies › Configurations level" % (company["identifier"], when, member))
        elif company["by_member"]:
            lines.append("%s: configuration last updated %s by %s, not by %s: Umbrella has not synced it since; "
                         "check the integration key and the role's Companies › Configurations level"
                         % (company["identifier"], when, company["updated_by"], member))
    known = _known(companies)
    for identifier in missing:
        if identifier.casefold() in known:
            continue  # stale, named above
        if absent is not None and identifier.casefold() in absent:
            lines.append("%s: no ConnectWise company has this identifier: the customer's ConnectWise Company ID in "
                         "the Umbrella console links nothing; set it to the identifier of the customer's company"
                         % identifier)
        elif by_member:
            lines.append("%s: no configuration written by %s: the sync has not reached this company; check the "
                         "customer's ConnectWise Company ID in the Umbrella console" % (identifier, member))
    for identifier in unexpected:
        lines.append("%s: synced by %s within %d hours but not expected: map it, or clear the customer's "
                     "ConnectWise Company ID in the Umbrella console" % (identifier, member, max_age))
    return lines
