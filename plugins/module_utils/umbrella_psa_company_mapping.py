# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Engine of ``umbrella_psa_company_mapping``: each Umbrella customer's ConnectWise company.

An MSP console holds hundreds to thousands of customers, each with a free-text "ConnectWise Company
ID" field. This engine checks a whole mapping against both vendors before it writes anything:

* the Umbrella customers come from one paged list of the published customer API;
* the ConnectWise companies are looked up in a few ``identifier in (...)`` batches of the published
  company API, never one request per mapping;
* unknown customers, ambiguous names, customers listed twice and unknown, deleted or inactive
  companies are reported together, each naming its entry, before any write.

Cisco publishes no API for the field itself. Writes use the project's extension UX2
(``/admin/v2/psa/customers``, docs/extension-api.md): one list of existing mappings, one PUT per
changed customer, one DELETE per pruned one. A server without it gets the exact manual steps,
written as a CSV a person can work through.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import csv
import difflib
import io
import os
import tempfile

from ansible.module_utils.six.moves.urllib.parse import quote_plus, urlencode

from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import (
    CONNECTWISE_ARGSPEC,
    UMBRELLA_ARGSPEC,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConditionValueError,
    conditions,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import (
    ON_UNSUPPORTED_CHOICES,
    EngineError,
    manual_steps_outcome,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import TransportError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import (
    UmbrellaError,
    UmbrellaUnsupported,
)

try:
    import yaml
except ImportError:  # pragma: no cover - only a YAML mapping file needs it
    yaml = None

CUSTOMER_PATHS = {
    "managed": "/admin/v2/managed/customers",
    "providers": "/admin/v2/providers/customers",
}
MAPPINGS_PATH = "/admin/v2/psa/customers"
COMPANIES_PATH = "/company/companies"
COMPANY_FIELDS = "id,identifier,name,status,deletedFlag"
CONSOLE_FIELD = "ConnectWise Company ID"
CSV_HEADER = ["customer name", "customer id", "field", "value"]

# ConnectWise documents no URL limit; common proxies and IIS start refusing at 8 KB. The encoded
# ``conditions`` of one batch stays under this, leaving room for host, path and the other parameters.
CONDITIONS_BUDGET = 5000
# How many steps ``manual_steps`` lists one by one before it points at the CSV for the rest.
STEPS_LISTED = 20
# How many problems the failure message names (all of them are in the result's ``errors``).
ERRORS_LISTED = 50
# Close-match suggestions compare a name with every customer name: only for the first few unknowns.
SUGGESTIONS_FOR = 25

_CONNECTWISE_OPTIONS = copy.deepcopy(CONNECTWISE_ARGSPEC)

ARGUMENT_SPEC = dict(
    UMBRELLA_ARGSPEC,
    # The ConnectWise connection is nested: both vendors have validate_certs, ca_path, timeout and
    # retry_max_time, and the Umbrella group's module_defaults must apply at the top level.
    # apply_defaults: left out entirely, the suboptions still come from the CW_* environment variables.
    connectwise=dict(type="dict", apply_defaults=True, options=_CONNECTWISE_OPTIONS),
    mappings=dict(type="list", elements="dict", options=dict(
        # raw: a numeric customer id may come from YAML as an int; checked in validate_entries.
        customer=dict(type="raw", required=True),
        company=dict(type="str", required=True),
    )),
    mappings_file=dict(type="path"),
    prune=dict(type="bool", default=False),
    customer_source=dict(type="str", choices=list(CUSTOMER_PATHS), default="managed"),
    inactive_company_statuses=dict(type="list", elements="str", default=["Inactive"]),
    on_unsupported=dict(type="str", choices=ON_UNSUPPORTED_CHOICES, default="fail"),
    manual_steps_file=dict(type="path"),
)

ARGUMENT_OPTIONS = dict(
    mutually_exclusive=[("mappings", "mappings_file")],
    required_one_of=[("mappings", "mappings_file")],
)


# ---------------------------------------------------------------------------------------------------
# The mapping entries, from the option or from a file


class Entry(object):
    """One wanted mapping and where it was written, so every problem can name it."""

    def __init__(self, where, customer, company):
        self.where = where          # "mappings[3]", "mappings_file line 5", "mappings_file[3]"
        self.customer = customer
        self.company = company

    def field(self, name):
        return "%s.%s" % (self.where, name)


def _require_absolute(option, path):
    if not os.path.isabs(path):
        raise EngineError("%s: %r is a relative path; give an absolute path, for example "
                          "'{{ playbook_dir }}/%s'" % (option, path, path))
    return path


def read_mappings_file(path):
    """Entries of a CSV (header ``customer,company``) or YAML/JSON (a list of {customer, company})."""
    _require_absolute("mappings_file", path)
    try:
        with io.open(path, "r", encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        raise EngineError("mappings_file: cannot read %s: %s" % (path, exc.strerror or exc))
    if path.lower().endswith(".csv"):
        return _csv_entries(text)
    if path.lower().endswith((".yml", ".yaml", ".json")):
        return _yaml_entries(text)
    raise EngineError("mappings_file: %s is neither .csv nor .yml/.yaml/.json" % path)


def _csv_entries(text):
    rows = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = None
    entries = []
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue  # blank lines and comments help a hand-kept file
        if header is None:
            header = [cell.strip().lower() for cell in row]
            missing = [name for name in ("customer", "company") if name not in header]
            if missing:
                raise EngineError("mappings_file line %d: the header must name the columns customer and company "
                                  "(missing: %s)" % (line, ", ".join(missing)))
            columns = (header.index("customer"), header.index("company"))
            continue
        cells = [row[i] if i < len(row) else None for i in columns]
        entries.append(Entry("mappings_file line %d" % line, cells[0], cells[1]))
    if header is None:
        raise EngineError("mappings_file: the file is empty; it needs the header line customer,company")
    return entries


def _yaml_entries(text):
    if yaml is None:
        raise EngineError("mappings_file: reading YAML needs the Python library PyYAML")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise EngineError("mappings_file: not valid YAML: %s" % " ".join(str(exc).split()))
    if data is None:
        data = []
    if not isinstance(data, list):
        raise EngineError("mappings_file: must hold a list of {customer, company} entries, not a %s"
                          % type(data).__name__)
    entries = []
    for index, item in enumerate(data):
        where = "mappings_file[%d]" % index
        if not isinstance(item, dict):
            entries.append(Entry(where, None, None))
            continue
        entries.append(Entry(where, item.get("customer"), item.get("company")))
    return entries


def load_entries(params):
    if params.get("mappings_file"):
        return read_mappings_file(params["mappings_file"])
    return [Entry("mappings[%d]" % index, item.get("customer"), item.get("company"))
            for index, item in enumerate(params.get("mappings") or [])]


def _text_problem(value):
    """Why a customer name or company identifier cannot be used as given, or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "is missing or empty"
    if value != value.strip():
        return "%r has leading or trailing whitespace" % value
    return None


def validate_entries(entries):
    """Shape checks that need no server.

    Returns ``(problems, usable)``: one-line problems, and per field (``customer``, ``company``) the
    indexes of entries whose value can be looked up.
    """
    problems = []
    usable = {"customer": [], "company": []}
    for position, entry in enumerate(entries):
        customer = entry.customer
        if isinstance(customer, bool) or not isinstance(customer, (str, int)):
            problem = "must be a customer name or id, not %r" % (customer,)
        else:
            if isinstance(customer, int):
                entry.customer = customer = str(customer)
            problem = _text_problem(customer)
        if problem:
            problems.append("%s: %s" % (entry.field("customer"), problem))
        else:
            usable["customer"].append(position)
        company = entry.company
        if company is not None and not isinstance(company, str):
            company = entry.company = str(company)  # a numeric identifier read from YAML
        problem = _text_problem(company)
        if problem is None:
            try:
                conditions.eq("identifier", company)
            except ConditionValueError as exc:
                problem = "%r cannot be looked up: %s" % (company, exc.reason)
        if problem:
            problems.append("%s: %s" % (entry.field("company"), problem))
        else:
            usable["company"].append(position)
    return problems, usable


# ---------------------------------------------------------------------------------------------------
# Umbrella customers


class CustomerIndex(object):
    """The console's customers by id and by name."""

    def __init__(self, customers):
        self.by_id = {}
        self.by_name = {}
        for customer in customers:
            if not isinstance(customer, dict) or customer.get("customerId") is None:
                continue
            self.by_id[int(customer["customerId"])] = customer
            self.by_name.setdefault(customer.get("customerName"), []).append(customer)
        self._folded = None

    def label(self, customer_id):
        customer = self.by_id.get(customer_id)
        name = customer.get("customerName") if customer else "unknown customer"
        return "%s (%s)" % (name, customer_id)

    def close_matches(self, name):
        if self._folded is None:
            self._folded = {}
            for known in self.by_name:
                if isinstance(known, str):
                    self._folded.setdefault(known.casefold(), known)
        same_but_case = self._folded.get(name.casefold())
        matches = [same_but_case] if same_but_case else []
        for match in difflib.get_close_matches(name.casefold(), list(self._folded), n=3, cutoff=0.8):
            original = self._folded[match]
            if original not in matches:
                matches.append(original)
        return matches[:3]

    def resolve(self, entries, indexes, source):
        """``{entry index: customer id}`` and the problems of entries that name no single customer."""
        resolved = {}
        problems = []
        first_entry_of = {}
        suggestions_left = SUGGESTIONS_FOR
        for index in indexes:
            entry = entries[index]
            value = entry.customer
            customer_id = None
            # A number is a customer id when the console has that id; otherwise it is read as a name.
            if value.isdigit() and int(value) in self.by_id:
                customer_id = int(value)
            else:
                named = self.by_name.get(value, [])
                if len(named) > 1:
                    ids = ", ".join(str(c["customerId"]) for c in named)
                    problems.append("%s: %r names %d Umbrella customers (ids %s); use the customer id instead"
                                    % (entry.field("customer"), value, len(named), ids))
                    continue
                if not named:
                    text = "%s: no Umbrella customer named %r%s in the %s customer list" % (
                        entry.field("customer"), value, " or with that id" if value.isdigit() else "", source)
                    if suggestions_left > 0:
                        suggestions_left -= 1
                        matches = self.close_matches(value)
                        if matches:
                            text += "; close matches: %s" % ", ".join(repr(m) for m in matches)
                    problems.append(text)
                    continue
                customer_id = int(named[0]["customerId"])
            if customer_id in first_entry_of:
                problems.append("%s: %s is mapped already by %s; map each customer once" % (
                    entry.field("customer"), self.label(customer_id), entries[first_entry_of[customer_id]].where))
                continue
            first_entry_of[customer_id] = index
            resolved[index] = customer_id
        return resolved, problems


# ---------------------------------------------------------------------------------------------------
# ConnectWise companies


def identifier_batches(identifiers, budget=CONDITIONS_BUDGET):
    """``identifier in (...)`` conditions, each under ``budget`` characters once URL-encoded.

    URL encoding works character by character, so a batch's encoded length is the sum of its
    parts' encoded lengths: each value is measured once.
    """
    frame = len(urlencode({"conditions": conditions.in_("identifier", ["x"])})) - len(quote_plus('"x"'))
    separator = len(quote_plus(","))
    batches, current, size = [], [], frame
    for identifier in identifiers:
        cost = len(quote_plus(conditions.eq("identifier", identifier)[len("identifier="):]))
        if current and size + separator + cost > budget:
            batches.append(conditions.in_("identifier", current))
            current, size = [], frame
        size += cost + (separator if current else 0)
        current.append(identifier)
    if current:
        batches.append(conditions.in_("identifier", current))
    return batches


def lookup_companies(client, identifiers):
    """``{casefolded identifier: company}`` of every company found, in a few batched requests."""
    unique = sorted(set(i.casefold() for i in identifiers))
    # The case-insensitive comparison of ConnectWise makes one spelling per identifier enough.
    spelled = {}
    for identifier in identifiers:
        spelled.setdefault(identifier.casefold(), identifier)
    found = {}
    for batch in identifier_batches([spelled[key] for key in unique]):
        for company in client.list(COMPANIES_PATH, conditions=batch, fields=COMPANY_FIELDS):
            if isinstance(company, dict) and isinstance(company.get("identifier"), str):
                key = company["identifier"].casefold()
                # A deleted company may share its identifier with a live one: keep the live one.
                if key not in found or found[key].get("deletedFlag"):
                    found[key] = company
    return found


def company_problems(entries, indexes, companies, inactive_statuses):
    inactive = set(s.casefold() for s in inactive_statuses or [])
    problems = []
    for index in indexes:
        entry = entries[index]
        company = companies.get(entry.company.casefold())
        where = entry.field("company")
        if company is None:
            problems.append("%s: no ConnectWise company with identifier %r" % (where, entry.company))
        elif company.get("deletedFlag"):
            problems.append("%s: the ConnectWise company %r (id %s) is deleted" % (
                where, company["identifier"], company.get("id")))
        else:
            status = (company.get("status") or {}).get("name")
            if isinstance(status, str) and status.casefold() in inactive:
                problems.append("%s: the ConnectWise company %r (id %s) has status %r; map an active company "
                                "or list the customer once it is active again" % (
                                    where, company["identifier"], company.get("id"), status))
    return problems


# ---------------------------------------------------------------------------------------------------
# Plan and apply


def plan(desired, current, prune):
    """``(puts, deletes, unmanaged)``: puts ``{customer id: company}``, deletes and unmanaged id lists."""
    puts = dict((cid, company) for cid, company in desired.items() if current.get(cid) != company)
    others = sorted(cid for cid in current if cid not in desired)
    if prune:
        return puts, others, []
    return puts, [], others


def read_current(client):
    """``{customer id: company}`` as the console holds it (UX2); raises UmbrellaUnsupported."""
    current = {}
    for mapping in client.list(MAPPINGS_PATH, extension=True):
        if isinstance(mapping, dict) and mapping.get("customerId") is not None:
            current[int(mapping["customerId"])] = mapping.get("connectwiseCompanyId")
    return current


def _apply(client, puts, deletes):
    """Write every change; returns ``(done, failures, stopped)``.

    A customer the server refuses does not stop the others. A request that ran out of retries
    (rate limit, outage) stops the run: the next ones would only wait as long again.
    """
    done, failures = [], []
    writes = [(cid, puts[cid]) for cid in sorted(puts)] + [(cid, None) for cid in deletes]
    for customer_id, company in writes:
        path = "%s/%d" % (MAPPINGS_PATH, customer_id)
        try:
            if company is None:
                client.delete(path, extension=True)
            else:
                client.put(path, {"connectwiseCompanyId": company}, extension=True)
        except UmbrellaError as exc:
            failures.append((customer_id, str(exc)))
            continue
        except TransportError as exc:
            failures.append((customer_id, str(exc)))
            return done, failures, True
        done.append(customer_id)
    return done, failures, False


# ---------------------------------------------------------------------------------------------------
# Without the extension: manual steps and their CSV


def manual_rows(index, desired, prune):
    """CSV rows ``[name, id, field, value]``; an empty value means: clear the field."""
    rows = [[index.by_id[cid].get("customerName") or "", str(cid), CONSOLE_FIELD, company]
            for cid, company in desired.items()]
    if prune:
        rows.extend([customer.get("customerName") or "", str(cid), CONSOLE_FIELD, ""]
                    for cid, customer in index.by_id.items() if cid not in desired)
    rows.sort(key=lambda row: (row[0].casefold(), int(row[1])))
    return rows


def render_csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def step_text(row):
    where = u"Umbrella console: Customer Management › %s (customer id %s)" % (row[0], row[1])
    if row[3]:
        return u"%s: set %s to %s, then Save." % (where, CONSOLE_FIELD, row[3])
    return u"%s: clear %s (when it is set), then Save." % (where, CONSOLE_FIELD)


def summarise_steps(rows, path):
    """One step per customer up to STEPS_LISTED, then one line with the count and the CSV."""
    steps = [step_text(row) for row in rows[:STEPS_LISTED]]
    rest = len(rows) - len(steps)
    if path and rest:
        steps.append(u"And %d more customers: work through %s (columns: %s; an empty value means clear "
                     u"the field)." % (rest, path, ", ".join(CSV_HEADER)))
    elif rest:
        steps.extend(step_text(row) for row in rows[STEPS_LISTED:])  # no file: every step, in full
    elif path and rows:
        steps.append(u"The same steps are in %s." % path)
    return steps


def write_if_changed(path, content, check_mode):
    """Write ``content`` atomically unless the file holds it already; returns (changed, before)."""
    try:
        with io.open(path, "r", encoding="utf-8", newline="") as handle:
            before = handle.read()
    except (IOError, OSError):
        before = None
    if before == content:
        return False, before
    if not check_mode:
        directory = os.path.dirname(path) or "."
        try:
            # A reports directory that does not exist yet is made, as a report needs one only now
            # (exist_ok: tenants run in parallel, and another one may make it at the same moment).
            os.makedirs(directory, 0o755, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".manual-steps-", dir=directory)
            with io.open(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(content)
            os.chmod(temporary, 0o644)
            os.rename(temporary, path)
        except (IOError, OSError) as exc:
            raise EngineError("manual_steps_file: cannot write %s: %s" % (path, exc.strerror or exc))
    return True, before


def _without_extension(params, index, desired, check_mode, result):
    rows = manual_rows(index, desired, params["prune"])
    path = params.get("manual_steps_file")
    changed, diff = False, {"before": {}, "after": {}}
    if path:
        content = render_csv(rows)
        changed, before = write_if_changed(path, content, check_mode)
        diff = {"before": before or "", "after": content, "before_header": path, "after_header": path}
    result.update(changed=changed, extension=False, manual_steps_file=path, diff=diff,
                  summary=dict(result["summary"], unverified=len(rows)))
    if not rows:
        result["manual_steps"] = []
        return result
    return manual_steps_outcome(
        params["on_unsupported"], "read or write the customers' %s (the console field has no public read, "
        "so it cannot be verified either)" % CONSOLE_FIELD, summarise_steps(rows, path), **result)


# ---------------------------------------------------------------------------------------------------
# The run


def _fail_on(problems, **result):
    shown = problems[:ERRORS_LISTED]
    more = len(problems) - len(shown)
    message = "The mapping was not applied, nothing was changed: %d problem%s: %s%s" % (
        len(problems), "" if len(problems) == 1 else "s", "; ".join(shown),
        "; and %d more (see errors)" % more if more else "")
    raise EngineError(message, errors=problems, **result)


# run() is handed an UmbrellaClient from the top-level options and a ConnectWiseClient from the nested
# ``connectwise`` options, built by the entry point (engine.build_clients).
CLIENTS = dict(client=("umbrella", None), connectwise_client=("connectwise", "connectwise"))


def run(params, check_mode=False, client=None, connectwise_client=None):
    """``client`` is the Umbrella client, ``connectwise_client`` the ConnectWise one."""
    if params.get("manual_steps_file"):
        _require_absolute("manual_steps_file", params["manual_steps_file"])
    entries = load_entries(params)
    problems, usable = validate_entries(entries)

    def requests_used():
        return {"umbrella": client.request_count, "connectwise": connectwise_client.request_count}

    source = params["customer_source"]
    index = CustomerIndex(client.list(CUSTOMER_PATHS[source]))
    resolved, customer_problems = index.resolve(entries, usable["customer"], source)
    problems.extend(customer_problems)
    with_company = usable["company"]
    companies = lookup_companies(connectwise_client, [entries[i].company for i in with_company]) \
        if with_company else {}
    problems.extend(company_problems(entries, with_company, companies, params["inactive_company_statuses"]))
    if problems:
        _fail_on(sorted(problems, key=_entry_order(entries)), requests=requests_used())

    # The console gets the identifier as ConnectWise spells it, whatever case the mapping used.
    desired = dict((resolved[i], companies[entries[i].company.casefold()]["identifier"]) for i in resolved)
    result = {"changed": False, "customers": len(index.by_id), "changes": [], "manual_steps": [],
              "manual_steps_file": None,
              "summary": {"mapped": len(desired), "unchanged": 0, "set": 0, "removed": 0, "unmanaged": 0}}

    try:
        current = read_current(client)
    except UmbrellaUnsupported:
        outcome = _without_extension(params, index, desired, check_mode, result)
        outcome["requests"] = requests_used()
        return outcome

    puts, deletes, unmanaged = plan(desired, current, params["prune"])
    changes = [{"customer_id": cid, "customer": index.by_id.get(cid, {}).get("customerName"),
                "before": current.get(cid), "after": puts.get(cid)} for cid in sorted(puts) + deletes]
    result.update(
        changed=bool(changes), extension=True, changes=changes,
        summary=dict(result["summary"], unchanged=len(desired) - len(puts), set=len(puts), removed=len(deletes),
                     unmanaged=len(unmanaged)),
        diff={"before": dict((index.label(c["customer_id"]), c["before"]) for c in changes),
              "after": dict((index.label(c["customer_id"]), c["after"]) for c in changes)})
    if check_mode or not changes:
        result["requests"] = requests_used()
        return result

    done, failures, stopped = _apply(client, puts, deletes)
    result["requests"] = requests_used()
    if failures:
        applied = set(done)
        result["changes"] = [c for c in changes if c["customer_id"] in applied]
        result["changed"] = bool(done)
        shown = "; ".join("%s: %s" % (index.label(cid), error) for cid, error in failures[:ERRORS_LISTED])
        left = len(changes) - len(done) - len(failures)
        raise EngineError("%d of %d mapping changes failed (%d applied%s): %s" % (
            len(failures), len(changes), len(done),
            ", %d not tried after the last failure; run again to carry on" % left if stopped else "", shown),
            errors=[error for _cid, error in failures], **result)
    return result


def _entry_order(entries):
    """Sort problems in the order of the entries they name, the customer before the company."""
    position = dict((entry.where, i) for i, entry in enumerate(entries))

    def key(problem):
        where, _sep, field = problem.split(":", 1)[0].rpartition(".")
        return (position.get(where, len(entries)), field != "customer")
    return key
