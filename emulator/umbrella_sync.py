"""Umbrella's side of the PSA integration: what a console does in ConnectWise with the key it holds.

Cisco's setup guides describe it (see docs/extension-api.md and the emulator README): a custom
configuration type with its questions, one configuration per mapped customer kept up to date, and a
ticket on the console's service board for an identity whose botnet events exceed the console's query
threshold, appended to while it stays open.

The sync speaks to the emulated ConnectWise over the emulator's own HTTPS surface, verifying its CA,
with the key the console holds: the API member's role decides what works, exactly as it would for
Cisco. Whatever a refused request was needed for fails; everything else goes on, and the report says
which request failed and how.
"""

import copy
import http.client
import itertools
import json
import random
import re
import ssl
import threading
from base64 import b64encode
from urllib.parse import urlencode, urlsplit

CW_API_PREFIX = "/v4_6_release/apis/3.0"
CW_API_VERSION = "2025.1"
# Umbrella's own integration id: the console asks for none (Cisco's guides name none).
UMBRELLA_CLIENT_ID = "6f1e3c0a-9b7d-4e21-8c5f-0a1b2c3d4e5f"
DEFAULT_TYPE_NAME = "Umbrella"
REQUEST_TIMEOUT = 30
PAGE_SIZE = 1000  # ConnectWise's largest page

# The questions of Umbrella's configuration type: (question, fieldType, numberOfDecimals). The guides
# name the topics (service status, efficacy, value reporting, network usage, top domains, threats
# prevented, infections contained); the wording and field types are the emulator's own.
QUESTIONS = (
    ("Service Status", "Text", None),
    ("Efficacy", "Percent", 1),
    ("Network Usage (DNS requests, last 24 hours)", "Number", 0),
    ("Threats Prevented (last 24 hours)", "Number", 0),
    ("Infections Contained (last 24 hours)", "Number", 0),
    ("Top Allowed Domains", "TextArea", None),
    ("Top Blocked Domains", "TextArea", None),
    ("Value Report", "Hyperlink", None),
    ("Last Synchronized", "Text", None),
)
_DOMAINS_ALLOWED = ("microsoft.com", "office365.com", "google.com", "zoom.us", "salesforce.com", "apple.com",
                    "slack.com", "dropbox.com")
_DOMAINS_BLOCKED = ("malware-traffic.example", "phish-login.example", "coinhive.example", "botnet-c2.example",
                    "typosquat-bank.example", "adware-cdn.example")
SUMMARY_MAX = 100


class NoIntegration(Exception):
    """The console has no enabled ConnectWise integration: there is nothing to sync."""


class CallFailed(Exception):
    """A ConnectWise request that did not succeed, as the console records it."""

    def __init__(self, request, status, message):
        super().__init__(message)
        self.request = request
        self.status = status
        self.message = message

    def as_error(self):
        return {"request": self.request, "status": self.status, "message": self.message}


def request_label(method, path):
    """``PATCH /company/configurations/{id}``: a request named as the report and statistics name it."""
    return "%s %s" % (method, re.sub(r"/\d+(?=/|$)", "/{id}", path))


class ConnectWiseCaller:
    """HTTP(S) requests to the emulator's own ConnectWise surface, authenticated as the console's key."""

    def __init__(self, base_url, ca_file, company_id, public_key, private_key):
        parts = urlsplit(base_url)
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._context = ssl.create_default_context(cafile=ca_file) if self._https else None
        user = "%s+%s:%s" % (company_id, public_key, private_key)
        self._headers = {
            "Authorization": "Basic " + b64encode(user.encode("utf-8")).decode("ascii"),
            "clientId": UMBRELLA_CLIENT_ID,
            "Accept": "application/vnd.connectwise.com+json; version=%s" % CW_API_VERSION,
            "Content-Type": "application/json",
        }
        self._connection = None

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self):
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=REQUEST_TIMEOUT,
                                               context=self._context)
        return http.client.HTTPConnection(self._host, self._port, timeout=REQUEST_TIMEOUT)

    def call(self, method, path, query=None, body=None):
        """The decoded JSON answer of a 2xx; ``CallFailed`` otherwise (the vendor's message kept)."""
        label = request_label(method, path)
        target = CW_API_PREFIX + path + ("?" + urlencode(query) if query else "")
        payload = json.dumps(body).encode("utf-8") if body is not None else None
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = self._connect()
            try:
                self._connection.request(method, target, body=payload, headers=self._headers)
                response = self._connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError) as error:
                self.close()
                # A keep-alive connection the server closed in between is retried once, fresh; never a
                # POST, which the server may have applied before the answer was lost (no duplicates).
                if attempt == 2 or method == "POST" or isinstance(error, ssl.SSLCertVerificationError):
                    raise CallFailed(label, None, "no answer from ConnectWise: %s" % error) from None
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            decoded = json.loads(data.decode("utf-8")) if data else None
        except (UnicodeDecodeError, ValueError):
            decoded = None
        if response.status >= 400:
            message = decoded.get("message") if isinstance(decoded, dict) else None
            raise CallFailed(label, response.status, message or response.reason)
        return decoded

    def find(self, path, conditions=None):
        """Every record of a list GET, page after page."""
        records = []
        for page in itertools.count(1):
            query = {"pageSize": PAGE_SIZE, "page": page}
            if conditions:
                query["conditions"] = conditions
            batch = self.call("GET", path, query) or []
            records += batch
            if len(batch) < PAGE_SIZE:
                return records


def _quoted(value):
    # ConnectWise conditions have no escape for a quote inside a string: the quote the value does not hold
    # is used, so that an identifier such as Acme" is looked up as written, not as Acme (the collection's
    # own client does the same). A value holding both cannot be written as a condition at all.
    text = str(value)
    if '"' not in text:
        return '"%s"' % text
    if "'" not in text:
        return "'%s'" % text
    raise CallFailed("GET", None, "%r holds both quote characters: no condition can name it" % text)


class SyncRun:
    """One synchronisation of one console: builds the report."""

    def __init__(self, caller, settings, org_state, at, type_name):
        self.cw = caller
        self.settings = settings
        self.state = org_state
        self.at = at
        self.type_name = type_name
        self.errors = []
        self._configurations_by_company = None
        self.configurations = {"created": 0, "updated": 0}
        self.tickets = {"opened": 0, "appended": 0}

    def attempt(self, step, *args):
        """Run one part; a failed request is recorded once and is the part's result."""
        try:
            return step(*args)
        except CallFailed as failure:
            # Listed once: a part failing for another's refused request (no board, no type), or the
            # same request refused for every customer, adds nothing new (each customer names its own).
            if failure.as_error() not in self.errors:
                self.errors.append(failure.as_error())
            return failure

    def run(self):
        ticketing = self.settings["ticketing"]
        board = self.attempt(self._board, ticketing["serviceBoard"])
        priority = self.attempt(self._priority)
        type_and_questions = self.attempt(self._configuration_type)
        customers = []
        companies = {}
        for customer in self.settings["customers"]:
            entry = {"customerId": customer["customerId"],
                     "connectwiseCompanyId": customer["connectwiseCompanyId"]}
            company = self.attempt(self._company, customer["connectwiseCompanyId"])
            companies[customer["customerId"]] = company
            if isinstance(company, CallFailed):
                entry.update(result="failed", error=company.as_error())
            elif company is None:
                entry["result"] = "no such company"
            elif isinstance(type_and_questions, CallFailed):
                # No type to give the configuration: the type's own failure is the reason.
                entry.update(result="failed", error=type_and_questions.as_error())
            else:
                outcome = self.attempt(self._configuration, customer, company, type_and_questions)
                if isinstance(outcome, CallFailed):
                    entry.update(result="failed", error=outcome.as_error())
                else:
                    self.configurations[outcome] += 1
                    entry["result"] = "synced"
            customers.append(entry)
        self._tickets(companies, board, priority, ticketing["queryThreshold"])
        return {"ok": not self.errors, "at": self.at, "configurations": self.configurations,
                "tickets": self.tickets, "customers": customers, "errors": self.errors}

    # -- the console's ticketing settings: boards and priorities read through the key ------------
    def _board(self, name):
        boards = self.cw.find("/service/boards", "name=%s" % _quoted(name))
        return boards[0] if boards else None

    def _priority(self):
        priorities = self.cw.find("/service/priorities")
        default = [p for p in priorities if p.get("defaultFlag")]
        return (default or priorities or [None])[0]

    # -- the configuration type and its questions ------------------------------------------------
    def _configuration_type(self):
        found = self.cw.find("/company/configurations/types", "name=%s" % _quoted(self.type_name))
        config_type = found[0] if found else self.cw.call("POST", "/company/configurations/types",
                                                          body={"name": self.type_name})
        path = "/company/configurations/types/%d" % config_type["id"]
        if config_type.get("inactiveFlag"):
            # Someone set the integration's type inactive: the integration takes it back into use.
            self.attempt(self._reactivate, path)
        existing = {q["question"].casefold(): q for q in self.cw.find(path + "/questions")}
        questions = {}
        for sequence, (text, field_type, decimals) in enumerate(QUESTIONS, 1):
            question = existing.get(text.casefold())
            if question is None:
                body = {"question": text, "entryType": "EntryField", "fieldType": field_type,
                        "sequenceNumber": sequence, "requiredFlag": False, "inactiveFlag": False}
                if decimals is not None:
                    body["numberOfDecimals"] = decimals
                question = self.cw.call("POST", path + "/questions", body=body)
            elif question.get("inactiveFlag"):
                # Its own question set inactive: answered again once active. A refusal is recorded and
                # the configurations still carry the other answers.
                self.attempt(self._reactivate, "%s/questions/%d" % (path, question["id"]))
            questions[text] = question["id"]
        return config_type, questions

    def _reactivate(self, path):
        return self.cw.call("PATCH", path, body=[{"op": "replace", "path": "inactiveFlag", "value": False}])

    # -- one mapped customer --------------------------------------------------------------------
    def _company(self, identifier):
        found = self.cw.find("/company/companies", "identifier=%s" % _quoted(identifier))
        return found[0] if found else None

    def _answers(self, customer):
        draw = random.Random("%s/%s" % (customer["customerId"], self.at))
        requests = draw.randint(150_000, 2_500_000)
        blocked = draw.sample(_DOMAINS_BLOCKED, 3)
        values = {
            "Service Status": "Active",
            "Efficacy": "%.1f" % draw.uniform(97.0, 99.9),
            "Network Usage (DNS requests, last 24 hours)": requests,
            "Threats Prevented (last 24 hours)": draw.randint(0, requests // 2000),
            "Infections Contained (last 24 hours)": draw.randint(0, 12),
            "Top Allowed Domains": "\n".join(draw.sample(_DOMAINS_ALLOWED, 5)),
            "Top Blocked Domains": "\n".join(blocked),
            "Value Report": "https://dashboard.umbrella.com/o/%d/#/reports/value" % customer["customerId"],
            "Last Synchronized": self.at,
        }
        return values

    def _configuration(self, customer, company, type_and_questions):
        config_type, question_ids = type_and_questions
        answers = [{"questionId": question_ids[text], "answer": value}
                   for text, value in self._answers(customer).items()]
        configuration = self._configurations_of_type(config_type["id"]).get(company["id"])
        if configuration is not None:
            self.cw.call("PATCH", "/company/configurations/%d" % configuration["id"],
                         body=[{"op": "replace", "path": "questions", "value": answers}])
            return "updated"
        created = self.cw.call("POST", "/company/configurations", body={
            "name": ("Umbrella - %s" % customer["customerName"])[:100],
            "type": {"id": config_type["id"]}, "company": {"id": company["id"]},
            "activeFlag": True, "questions": answers})
        # Another customer mapped to the same company updates this one rather than adding a second.
        self._configurations_by_company[company["id"]] = created
        return "created"

    def _configurations_of_type(self, type_id):
        """Its configurations by company id (the oldest of a company's); one listing per run, not per customer."""
        if self._configurations_by_company is None:
            try:
                records = self.cw.find("/company/configurations", "type/id=%d" % type_id)
            except CallFailed as failure:
                self._configurations_by_company = failure  # refused once: not asked again for each customer
                raise
            by_company = {}
            for record in records:
                company_id = (record.get("company") or {}).get("id")
                if company_id not in by_company or record["id"] < by_company[company_id]["id"]:
                    by_company[company_id] = record
            self._configurations_by_company = by_company
        if isinstance(self._configurations_by_company, CallFailed):
            raise self._configurations_by_company
        return self._configurations_by_company

    # -- tickets --------------------------------------------------------------------------------
    def _tickets(self, companies, board, priority, threshold):
        events = self.state["events"]
        open_tickets = self.state["tickets"]
        for customer in self.settings["customers"]:
            key = str(customer["customerId"])
            queued = events.get(key)
            if not queued:
                continue
            if companies.get(customer["customerId"]) is None:
                # No company of that identifier: nowhere to open a ticket; the window passes.
                events.pop(key, None)
                continue
            for identity in sorted(queued):
                count = queued[identity]
                if count <= threshold:
                    del queued[identity]
                    continue
                done = self.attempt(self._ticket_for, customer, companies[customer["customerId"]], identity,
                                    count, board, priority, open_tickets.setdefault(key, {}))
                if not isinstance(done, CallFailed):
                    self.tickets[done] += 1
                    # Consumed only once a ticket holds them: a refused request keeps them for the next run.
                    del queued[identity]
            if not queued:
                events.pop(key, None)
            if not open_tickets.get(key):
                open_tickets.pop(key, None)

    def _ticket_for(self, customer, company, identity, count, board, priority, open_tickets):
        text = "%d blocked botnet events from %s (%s) in the window ending %s; query threshold %d." % (
            count, identity, customer["customerName"], self.at, self.settings["ticketing"]["queryThreshold"])
        ticket_id = open_tickets.get(identity)
        if ticket_id is not None:
            try:
                ticket = self.cw.call("GET", "/service/tickets/%d" % ticket_id)
            except CallFailed as failure:
                if failure.status != 404:
                    raise
                ticket = None  # deleted in ConnectWise: a new one is opened
            if ticket is not None and not ticket.get("closedFlag"):
                # Umbrella follows its ticket by id, even onto another board.
                self.cw.call("POST", "/service/tickets/%d/notes" % ticket_id,
                             body={"text": text, "detailDescriptionFlag": True})
                return "appended"
        if isinstance(board, CallFailed):
            raise board
        if board is None:
            # ConnectWise answered; the console's own check failed: no status of its own to show.
            raise CallFailed("GET /service/boards", None, "no service board is named %s"
                             % _quoted(self.settings["ticketing"]["serviceBoard"]))
        body = {"summary": ("Umbrella: botnet activity from %s" % identity)[:SUMMARY_MAX],
                "board": {"id": board["id"]},
                "company": {"id": company["id"]} if isinstance(company, dict) else
                {"identifier": customer["connectwiseCompanyId"]},
                "initialDescription": text}
        if isinstance(priority, dict):
            body["priority"] = {"id": priority["id"]}
        ticket = self.cw.call("POST", "/service/tickets", body=body)
        open_tickets[identity] = ticket["id"]
        return "opened"


class UmbrellaSync:
    """Every console's sync state (queued events, tracked tickets, last report) and the runs."""

    def __init__(self, app, type_name=DEFAULT_TYPE_NAME):
        self.app = app
        self.type_name = type_name
        self.endpoint = None          # (base URL, CA file) of the emulator's own listening socket
        self._lock = threading.Lock()
        self._org_locks = {}
        self.reset()

    def set_endpoint(self, base_url, ca_file):
        self.endpoint = (base_url, ca_file)

    def reset(self):
        with self._lock:
            self._orgs = {}   # org id (str) -> {"events", "tickets", "lastReport"}

    def snapshot(self):
        with self._lock:
            return copy.deepcopy(self._orgs)

    def restore(self, data):
        with self._lock:
            self._orgs = copy.deepcopy(data or {})

    def _org_state(self, org_id):
        return self._orgs.setdefault(str(org_id), {"events": {}, "tickets": {}, "lastReport": None})

    def _org_lock(self, org_id):
        with self._lock:
            return self._org_locks.setdefault(str(org_id), threading.Lock())

    def queue_botnet_events(self, org_id, customer_id, identity, count):
        """Blocked botnet events of one identity of a customer, waiting for the next window's tickets."""
        view = self.app.umbrella.sync_view(org_id)
        if not any(c["customerId"] == customer_id for c in view["customers"]):
            raise KeyError("org %s has no customer %s" % (org_id, customer_id))
        with self._lock:
            queued = self._org_state(org_id)["events"].setdefault(str(customer_id), {})
            queued[identity] = queued.get(identity, 0) + count
            return {"customerId": customer_id, "identity": identity, "queued": queued[identity]}

    def last_report(self, org_id):
        with self._lock:
            state = self._orgs.get(str(org_id))
            return copy.deepcopy(state["lastReport"]) if state else None

    def consoles_with_psa(self):
        return self.app.umbrella.orgs_with_connectwise_psa()

    def run(self, org_id):
        """One sync of one console now; its report (also stored, with the console's status)."""
        if self.endpoint is None:
            raise RuntimeError("the sync needs the emulator's listening URL")
        with self._org_lock(org_id):
            view = self.app.umbrella.sync_view(org_id)
            psa = view["psa"]
            if not psa or psa["psa"] != "connectwise" or not psa["enabled"]:
                raise NoIntegration("org %s has no enabled ConnectWise integration" % org_id)
            connectwise = psa["connectwise"]
            settings = {"ticketing": psa["ticketing"],
                        "customers": [c for c in view["customers"] if c["connectwiseCompanyId"]]}
            with self._lock:
                # The run takes the window's events; what it leaves (refused tickets) goes back.
                state = self._org_state(org_id)
                org_state = {"events": state["events"], "tickets": copy.deepcopy(state["tickets"])}
                state["events"] = {}
            caller = ConnectWiseCaller(self.endpoint[0], self.endpoint[1], connectwise["companyId"],
                                       connectwise["publicKey"], connectwise["privateKey"])
            report = None
            try:
                report = SyncRun(caller, settings, org_state, self.app.clock.iso(), self.type_name).run()
            finally:
                caller.close()
                with self._lock:
                    state = self._org_state(org_id)
                    for customer_key, left in org_state["events"].items():
                        queued = state["events"].setdefault(customer_key, {})
                        for identity, count in left.items():
                            queued[identity] = queued.get(identity, 0) + count
                    state["events"] = {key: value for key, value in state["events"].items() if value}
                    state["tickets"] = org_state["tickets"]
                    if report is not None:
                        state["lastReport"] = report
            self.app.umbrella.record_psa_status(org_id, report)
            self.app.save()
            return copy.deepcopy(report)

    def run_all(self, stop=None):
        """A sync of every console with an enabled ConnectWise integration; {org id: ok}.

        ``stop``, a threading.Event, ends the pass between two consoles.
        """
        results = {}
        for org_id in self.consoles_with_psa():
            if stop is not None and stop.is_set():
                break
            try:
                results[org_id] = self.run(org_id)["ok"]
            except (NoIntegration, KeyError):
                continue  # changed since it was listed
        return results


class SyncScheduler:
    """``--sync-interval``: every console's sync, again and again, on a background thread."""

    def __init__(self, sync, interval):
        self.sync = sync
        self.interval = float(interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="umbrella-sync", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _loop(self):
        while not self._stop.wait(self.interval):
            try:
                self.sync.run_all(self._stop)
            except Exception as error:  # a bug in one pass must not end the schedule
                print("emulator: scheduled Umbrella sync failed: %r" % error, flush=True)

    def stop(self, timeout=REQUEST_TIMEOUT + 5):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
