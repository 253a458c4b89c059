# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated Cisco Umbrella API: token, managed/provider customers and the PSA extension.

``UmbrellaService.handle`` answers every request the HTTP server routes to ``/auth/v2/...`` and
``/admin/v2/...``. It keeps many organizations apart: a token acts for its own organization, or
for a direct child organization named by ``X-Umbrella-OrgId``, and never reaches anything else.

Profile ``public`` serves exactly the published surface. Profile ``extended`` adds the project's
PSA extension (UX1 ``/admin/v2/psa/integration``, UX2 ``/admin/v2/psa/customers``, UX3
``/admin/v2/psa/status``, see docs/extension-api.md); in ``public`` those routes answer like any
unknown route.
"""

import base64
import binascii
import copy
import hmac
import json
import re
import secrets
import threading
import time
from datetime import datetime, timezone
from urllib.parse import parse_qs

from .http_types import Response
from . import umbrella_validate as validate
from .umbrella_ratelimit import DEFAULT_LIMITS, RateLimiter

PROFILES = ("public", "extended")
SNAPSHOT_VERSION = 1
FIRST_CUSTOMER_ID = 100001
# Expired tokens are kept this long so that they answer "expired" (400) rather than "unknown" (401).
EXPIRED_TOKEN_MEMORY = 24 * 3600

# Customer fields Umbrella's provider view requires; a customer created through the managed API
# (which only knows name and seats) shows these placeholders there.
PROVIDER_DEFAULTS = {
    "packageId": 248,
    "streetAddress": "Not provided",
    "city": "Not provided",
    "countryCode": "US",
    "adminEmails": [],
    "licenseType": "term",
    "isTrial": False,
}
PROVIDER_OPTIONAL_FIELDS = ("streetAddress2", "state", "zipCode", "dealId", "ccwDealOwnerEmails",
                            "addonRbi", "addonDlp", "addonCdfwL7")


class UmbrellaSeedError(ValueError):
    """A control-side call (seeding, manual console form) with bad input."""


class _ApiError(Exception):
    """Carries the vendor's error answer up to ``handle``."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.response = Response(status, body, headers)


def _message(status, text, headers=None):
    return _ApiError(status, {"message": text}, headers)


NOT_FOUND = {"message": "Not Found"}
# UX3 of an organization whose integration has never synchronised.
NO_SYNC_YET = {"lastSyncAt": None, "ok": None, "lastError": None, "lastSuccessfulSyncAt": None}


class _Route:
    def __init__(self, pattern, family, handlers, extension=False):
        self.pattern = re.compile(pattern + r"\Z")
        self.family = family
        self.handlers = handlers
        self.extension = extension


def _now_iso(epoch):
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _to_org_id(value):
    if isinstance(value, bool):
        raise UmbrellaSeedError("org id must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UmbrellaSeedError("org id must be an integer") from None


class UmbrellaService:
    """State and behaviour of the emulated Umbrella API; every public method is thread-safe."""

    RATE_LIMITS = DEFAULT_LIMITS

    def __init__(self, profile, rate_limits=False, token_lifetime=3600, clock=None):
        if profile not in PROFILES:
            raise ValueError("profile must be one of %s" % ", ".join(PROFILES))
        self.profile = profile
        self.token_lifetime = token_lifetime
        self._clock = clock or time.time
        self._lock = threading.RLock()
        self._rate_limits_enabled = bool(rate_limits)
        self._limiter = RateLimiter(self._clock, self.RATE_LIMITS)
        self._routes = self._build_routes()
        self.reset()

    # --- control side --------------------------------------------------------------------------

    def reset(self):
        with self._lock:
            self._orgs = {}            # org id -> org record
            self._org_by_key = {}      # API key -> org id
            self._customers = {}       # customer id -> customer record (with its owner "orgId")
            self._ids_by_org = {}      # org id -> {customer id: None}, in creation (= id) order
            self._tokens = {}          # access token -> {"apiKey", "orgId", "expiresAt"}
            self._next_customer_id = FIRST_CUSTOMER_ID
            self._tokens_issued = 0
            self._last_token_purge = self._clock()
            self._limiter.clear()

    def set_rate_limits(self, enabled):
        with self._lock:
            self._rate_limits_enabled = bool(enabled)
            self._limiter.clear()

    def expire_tokens(self):
        """Let every issued token expire now (its next use answers 400 invalid_request); how many were live."""
        with self._lock:
            now = self._clock()
            live = 0
            for token in self._tokens.values():
                live += token["expiresAt"] > now
                token["expiresAt"] = min(token["expiresAt"], now)
            return live

    def add_org(self, org_id, api_key=None, api_secret=None, parent_org_id=None, name=None):
        """Create an organization; a child names its parent and usually has no key of its own.

        Returns the organization with its credentials (a secret is generated when only a key is
        given).
        """
        with self._lock:
            org_id = _to_org_id(org_id)
            if org_id in self._orgs:
                raise UmbrellaSeedError("org %d exists already" % org_id)
            if parent_org_id is not None:
                parent_org_id = _to_org_id(parent_org_id)
                if parent_org_id not in self._orgs:
                    raise UmbrellaSeedError("parent org %d does not exist" % parent_org_id)
            if api_secret is not None and api_key is None:
                raise UmbrellaSeedError("an API secret needs an API key")
            if api_key is not None:
                if not isinstance(api_key, str) or not api_key or ":" in api_key:
                    raise UmbrellaSeedError("API key must be a non-empty string without ':'")
                if api_key in self._org_by_key:
                    raise UmbrellaSeedError("API key is already used by another org")
                if api_secret is None:
                    api_secret = secrets.token_hex(16)
            org = {
                "orgId": org_id,
                "name": name if name is not None else "Organization %d" % org_id,
                "parentOrgId": parent_org_id,
                "apiKey": api_key,
                "apiSecret": api_secret,
                "psa": None,
                "tokensIssued": 0,
            }
            self._orgs[org_id] = org
            if api_key is not None:
                self._org_by_key[api_key] = org_id
            return {key: org[key] for key in ("orgId", "name", "parentOrgId", "apiKey", "apiSecret")}

    def add_customers(self, org_id, customers, seats=10):
        """Seed managed customers of an org: a count (generated names) or a list of names."""
        with self._lock:
            org = self._org_or_seed_error(org_id)
            if isinstance(customers, int) and not isinstance(customers, bool):
                start = len(self._ids_by_org.get(org["orgId"], ()))
                names = ["Customer %d-%05d" % (org["orgId"], start + n + 1) for n in range(customers)]
            else:
                names = list(customers)
            created = []
            for name in names:
                try:
                    values = validate.managed_customer({"customerName": name, "seats": seats})
                except validate.InvalidBody as error:
                    raise UmbrellaSeedError(str(error)) from None
                created.append(self._managed_view(self._create_customer(org["orgId"], values)))
            return created

    def manual_psa_form(self, org_id, form):
        """What a person saving the console's PSA form does; works in every profile.

        ``form`` has the UX1 PUT shape; ``psa`` may also be ``autotask`` (another PSA, which
        blocks the ConnectWise integration) or ``none`` (delete the integration).
        """
        with self._lock:
            org = self._org_or_seed_error(org_id)
            try:
                integration = validate.psa_integration(form, org["psa"], validate.CONSOLE_PSA_NAMES)
            except validate.InvalidBody as error:
                raise UmbrellaSeedError(str(error)) from None
            current = org["psa"]["psa"] if org["psa"] else "none"
            if current not in ("none", integration["psa"]) and integration["psa"] != "none":
                raise UmbrellaSeedError("the console allows one PSA at a time: delete the %s integration first"
                                        % current)
            self._store_psa(org, integration)
            return self._psa_view(org)

    def manual_customer_mapping(self, org_id, customer_id, connectwise_company_id):
        """A person filling a customer's "ConnectWise Company ID" field (None clears it)."""
        with self._lock:
            org = self._org_or_seed_error(org_id)
            customer = self._customers.get(customer_id)
            if customer is None or customer["orgId"] != org["orgId"]:
                raise UmbrellaSeedError("org %d has no customer %s" % (org["orgId"], customer_id))
            if connectwise_company_id is not None:
                try:
                    validate.psa_customer_mapping({"connectwiseCompanyId": connectwise_company_id})
                except validate.InvalidBody as error:
                    raise UmbrellaSeedError(str(error)) from None
            customer["connectwiseCompanyId"] = connectwise_company_id
            return {"customerId": customer["customerId"], "connectwiseCompanyId": connectwise_company_id}

    def sync_view(self, org_id):
        """What the console's sync works from: its PSA settings (private key included) and customers.

        An unknown org raises KeyError.
        """
        with self._lock:
            org = self._orgs.get(_to_org_id(org_id))
            if org is None:
                raise KeyError("org %s does not exist" % org_id)
            return {"orgId": org["orgId"], "psa": copy.deepcopy(org["psa"]),
                    "customers": [{"customerId": c["customerId"], "customerName": c["customerName"],
                                   "connectwiseCompanyId": c["connectwiseCompanyId"]}
                                  for c in self._org_customers(org)]}

    def orgs_with_connectwise_psa(self):
        with self._lock:
            return [org_id for org_id in sorted(self._orgs)
                    if (self._orgs[org_id]["psa"] or {}).get("psa") == "connectwise"
                    and self._orgs[org_id]["psa"]["enabled"]]

    def record_psa_status(self, org_id, report):
        """The integration's status as the console shows it, after a sync (emulator/umbrella_sync.py)."""
        with self._lock:
            org = self._orgs.get(_to_org_id(org_id))
            if org is None:
                return
            previous = org.get("psaStatus") or {}
            first_error = (report["errors"] or [None])[0]
            org["psaStatus"] = {
                "lastSyncAt": report["at"],
                "ok": report["ok"],
                "lastError": None if first_error is None else "%s: %s %s" % (
                    first_error["request"], first_error["status"], first_error["message"]),
                "lastSuccessfulSyncAt": report["at"] if report["ok"] else previous.get("lastSuccessfulSyncAt"),
            }

    def snapshot(self):
        """The whole state, secrets included, as JSON-serializable data (the state file)."""
        with self._lock:
            return copy.deepcopy({
                "version": SNAPSHOT_VERSION,
                "nextCustomerId": self._next_customer_id,
                "tokensIssued": self._tokens_issued,
                "orgs": [self._orgs[key] for key in sorted(self._orgs)],
                "customers": [self._customers[key] for key in sorted(self._customers)],
                "tokens": [dict(record, accessToken=token) for token, record in self._tokens.items()],
            })

    def restore(self, data):
        with self._lock:
            if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
                raise UmbrellaSeedError("not an Umbrella state snapshot of version %d" % SNAPSHOT_VERSION)
            data = copy.deepcopy(data)
            self.reset()
            self._orgs = {org["orgId"]: org for org in data["orgs"]}
            self._org_by_key = {org["apiKey"]: org["orgId"] for org in data["orgs"] if org["apiKey"]}
            self._customers = {c["customerId"]: c for c in data["customers"]}
            for customer_id in sorted(self._customers):
                self._ids_by_org.setdefault(self._customers[customer_id]["orgId"], {})[customer_id] = None
            self._tokens = {t.pop("accessToken"): t for t in data["tokens"]}
            self._next_customer_id = data["nextCustomerId"]
            self._tokens_issued = data["tokensIssued"]

    def public_state(self):
        """State for the control API and tests, including stored PSA private keys (the oracle).

        API secrets and bearer tokens are left out: nothing needs to read them back. Shape::

            {"profile", "rateLimits", "tokens": <live tokens>, "tokensIssued": <ever>,
             "orgs": {"<orgId>": {"orgId", "name", "parentOrgId", "apiKey", "tokensIssued",
                                  "psa": {"psa": "none"|"connectwise"|"autotask", "enabled", "connectwise":
                                          {..., "privateKey"}, "ticketing", "modifiedAt"},
                                  "psaStatus": <UX3: the last sync's time, ok and error>,
                                  "customers": [<provider view> + "connectwiseCompanyId"]}}}
        """
        with self._lock:
            now = self._clock()
            orgs = {}
            for org_id in sorted(self._orgs):
                org = self._orgs[org_id]
                orgs[str(org_id)] = {
                    "orgId": org_id,
                    "name": org["name"],
                    "parentOrgId": org["parentOrgId"],
                    "apiKey": org["apiKey"],
                    "tokensIssued": org["tokensIssued"],
                    "psa": copy.deepcopy(org["psa"]) if org["psa"] else {"psa": "none", "enabled": False},
                    "psaStatus": dict(org.get("psaStatus") or NO_SYNC_YET),
                    "customers": [],
                }
            for customer_id in sorted(self._customers):
                customer = self._customers[customer_id]
                orgs[str(customer["orgId"])]["customers"].append(
                    dict(self._provider_view(customer), connectwiseCompanyId=customer["connectwiseCompanyId"]))
            return {
                "profile": self.profile,
                "rateLimits": self._rate_limits_enabled,
                "orgs": orgs,
                "tokens": sum(1 for t in self._tokens.values() if t["expiresAt"] > now),
                "tokensIssued": self._tokens_issued,
            }

    # --- request side --------------------------------------------------------------------------

    def handle(self, method, path, query, headers, body):
        method = method.upper()
        with self._lock:
            try:
                return self._dispatch(method, path, query or {}, headers if headers is not None else {},
                                      body or b"")
            except _ApiError as error:
                return error.response

    def _build_routes(self):
        customer_id = r"/(\d{1,18})"
        return [
            _Route(r"/auth/v2/token", "token", {"POST": self._issue_token}),
            _Route(r"/admin/v2/managed/customers", "admin",
                   {"GET": self._list_managed, "POST": self._create_managed}),
            _Route(r"/admin/v2/managed/customers" + customer_id, "admin",
                   {"GET": self._get_managed, "PUT": self._update_managed, "DELETE": self._delete_customer}),
            _Route(r"/admin/v2/providers/customers", "provider",
                   {"GET": self._list_provider, "POST": self._create_provider}),
            _Route(r"/admin/v2/providers/customers" + customer_id, "provider",
                   {"GET": self._get_provider, "PUT": self._update_provider, "DELETE": self._delete_customer}),
            _Route(r"/admin/v2/psa/integration", "admin",
                   {"GET": self._get_psa, "PUT": self._put_psa, "DELETE": self._delete_psa}, extension=True),
            _Route(r"/admin/v2/psa/customers", "admin", {"GET": self._list_psa_customers}, extension=True),
            _Route(r"/admin/v2/psa/status", "admin", {"GET": self._get_psa_status}, extension=True),
            _Route(r"/admin/v2/psa/customers" + customer_id, "admin",
                   {"PUT": self._put_psa_customer, "DELETE": self._delete_psa_customer}, extension=True),
        ]

    def _dispatch(self, method, path, query, headers, body):
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            if route.extension and self.profile != "extended":
                break  # not offered: answer exactly like an unknown route
            handler = route.handlers.get(method)
            if handler is None:
                raise _message(405, "Method Not Allowed", {"Allow": ", ".join(sorted(route.handlers))})
            args = [int(group) for group in match.groups()]
            if route.family == "token":
                return handler(headers, body)
            token = self._authenticate(headers)
            self._check_rate(token["apiKey"], route.family)
            org = self._acting_org(token, headers)
            return handler(org, query, body, *args)
        return Response(404, dict(NOT_FOUND))

    def _check_rate(self, api_key, family):
        if self._rate_limits_enabled and not self._limiter.allow(api_key, family):
            # Umbrella documents no Retry-After header: clients back off on their own.
            raise _message(429, "Too Many Requests")

    # --- authentication and organization scoping -----------------------------------------------

    def _issue_token(self, headers, body):
        api_key, api_secret = self._basic_credentials(headers.get("Authorization"))
        org_id = self._org_by_key.get(api_key)
        if org_id is None:
            raise _message(401, "Invalid API key or secret")
        self._check_rate(api_key, "token")
        if not hmac.compare_digest(api_secret.encode("utf-8"), self._orgs[org_id]["apiSecret"].encode("utf-8")):
            raise _message(401, "Invalid API key or secret")
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise _message(400, "Content-Type must be application/x-www-form-urlencoded")
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise _message(400, "grant_type is required") from None
        grant = form.get("grant_type")
        if not grant:
            raise _message(400, "grant_type is required")
        if grant != ["client_credentials"]:
            raise _message(400, "grant_type must be client_credentials")
        scoped_org = self._org_in_reach(org_id, headers.get("X-Umbrella-OrgId"))
        self._forget_old_tokens()
        access_token = secrets.token_urlsafe(32)
        self._tokens[access_token] = {
            "apiKey": api_key,
            "orgId": scoped_org["orgId"],
            "expiresAt": self._clock() + self.token_lifetime,
        }
        self._tokens_issued += 1
        self._orgs[org_id]["tokensIssued"] += 1
        return Response(200, {"token_type": "bearer", "access_token": access_token,
                              "expires_in": int(self.token_lifetime)})

    @staticmethod
    def _basic_credentials(value):
        scheme, _sep, encoded = (value or "").partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            raise _message(401, "Missing or malformed Basic authentication")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _message(401, "Missing or malformed Basic authentication") from None
        api_key, separator, api_secret = decoded.partition(":")
        if not separator:
            raise _message(401, "Missing or malformed Basic authentication")
        return api_key, api_secret

    def _forget_old_tokens(self):
        # A sweep over every token per issuance would cost O(tokens); once an hour is plenty.
        if self._clock() - self._last_token_purge < 3600:
            return
        self._last_token_purge = self._clock()
        horizon = self._clock() - EXPIRED_TOKEN_MEMORY
        for access_token in [t for t, record in self._tokens.items() if record["expiresAt"] < horizon]:
            del self._tokens[access_token]

    def _authenticate(self, headers):
        scheme, _sep, access_token = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not access_token.strip():
            raise _message(401, "Missing bearer token")
        token = self._tokens.get(access_token.strip())
        if token is None:
            raise _message(401, "Invalid bearer token")
        if token["expiresAt"] <= self._clock():
            # Umbrella answers an expired token with an OAuth-style error, not 401.
            raise _ApiError(400, {"error": "invalid_request"})
        return token

    def _acting_org(self, token, headers):
        return self._org_in_reach(token["orgId"], headers.get("X-Umbrella-OrgId"))

    def _org_in_reach(self, own_org_id, requested):
        """The org a request acts for: its own, or a direct child named by X-Umbrella-OrgId."""
        if requested is None or not str(requested).strip():
            return self._orgs[own_org_id]
        requested = str(requested).strip()
        target = self._orgs.get(int(requested)) if re.fullmatch(r"[0-9]{1,18}", requested) else None
        if target is None or (target["orgId"] != own_org_id and target["parentOrgId"] != own_org_id):
            raise _message(403, "Forbidden: organization %s is not accessible with these credentials"
                           % requested[:32])
        return target

    # --- shared request helpers ----------------------------------------------------------------

    @staticmethod
    def _json_body(body):
        try:
            return json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            raise _message(400, "Request body is not valid JSON") from None

    @staticmethod
    def _paging(query):
        def number(name, default, maximum=None):
            values = query.get(name)
            if not values:
                return default
            text = values[0].strip()
            if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < 1 or (maximum and int(text) > maximum):
                bounds = "from 1 to %d" % maximum if maximum else "at least 1"
                raise _message(400, "%s must be an integer %s" % (name, bounds))
            return int(text)
        return number("page", 1), number("limit", 100, 100)

    def _page(self, items, query):
        page, limit = self._paging(query)
        return items[(page - 1) * limit: page * limit]

    def _org_customers(self, org):
        return [self._customers[key] for key in self._ids_by_org.get(org["orgId"], ())]

    def _customer_of(self, org, customer_id):
        customer = self._customers.get(customer_id)
        if customer is None or customer["orgId"] != org["orgId"]:
            raise _message(404, "Customer %d not found" % customer_id)
        return customer

    def _org_or_seed_error(self, org_id):
        org = self._orgs.get(_to_org_id(org_id))
        if org is None:
            raise UmbrellaSeedError("org %s does not exist" % org_id)
        return org

    def _validated(self, check, *args):
        try:
            return check(*args)
        except validate.InvalidBody as error:
            raise _message(400, str(error)) from None

    # --- customers -----------------------------------------------------------------------------

    def _create_customer(self, org_id, values):
        now = _now_iso(self._clock())
        customer = dict(PROVIDER_DEFAULTS, orgId=org_id, customerId=self._next_customer_id,
                        createdAt=now, modifiedAt=now, connectwiseCompanyId=None)
        customer["adminEmails"] = list(customer["adminEmails"])
        customer.update({key: value for key, value in values.items() if value is not None})
        self._next_customer_id += 1
        self._customers[customer["customerId"]] = customer
        self._ids_by_org.setdefault(org_id, {})[customer["customerId"]] = None
        return customer

    def _replace_customer(self, customer, values, keep_optional):
        if not keep_optional:
            # A provider PUT is a full replace: optional fields left out are cleared.
            for field in ("streetAddress2", "state", "zipCode", "dealId", "ccwDealOwnerEmails"):
                customer.pop(field, None)
        customer.update({key: value for key, value in values.items() if value is not None})
        customer["modifiedAt"] = _now_iso(self._clock())

    @staticmethod
    def _managed_view(customer):
        return {key: customer[key] for key in ("customerId", "customerName", "seats")}

    @staticmethod
    def _provider_view(customer):
        view = {key: customer[key] for key in (
            "customerId", "customerName", "licenseType", "packageId", "seats", "streetAddress", "city",
            "countryCode", "adminEmails", "createdAt", "modifiedAt", "isTrial")}
        view["packageName"] = validate.PACKAGES[customer["packageId"]]
        view["adminEmails"] = list(view["adminEmails"])
        for field in PROVIDER_OPTIONAL_FIELDS:
            if customer.get(field) is not None:
                view[field] = copy.deepcopy(customer[field])
        return view

    def _list_managed(self, org, query, body):
        return Response(200, [self._managed_view(c) for c in self._page(self._org_customers(org), query)])

    def _create_managed(self, org, query, body):
        values = self._validated(validate.managed_customer, self._json_body(body))
        return Response(200, self._managed_view(self._create_customer(org["orgId"], values)))

    def _get_managed(self, org, query, body, customer_id):
        return Response(200, self._managed_view(self._customer_of(org, customer_id)))

    def _update_managed(self, org, query, body, customer_id):
        customer = self._customer_of(org, customer_id)
        values = self._validated(validate.managed_customer, self._json_body(body))
        self._replace_customer(customer, values, keep_optional=True)
        return Response(200, self._managed_view(customer))

    def _delete_customer(self, org, query, body, customer_id):
        self._customer_of(org, customer_id)
        del self._customers[customer_id]
        del self._ids_by_org[org["orgId"]][customer_id]
        return Response(204)

    def _list_provider(self, org, query, body):
        return Response(200, [self._provider_view(c) for c in self._page(self._org_customers(org), query)])

    def _create_provider(self, org, query, body):
        values = self._validated(validate.provider_customer, self._json_body(body), True)
        return Response(200, self._provider_view(self._create_customer(org["orgId"], values)))

    def _get_provider(self, org, query, body, customer_id):
        return Response(200, self._provider_view(self._customer_of(org, customer_id)))

    def _update_provider(self, org, query, body, customer_id):
        customer = self._customer_of(org, customer_id)
        values = self._validated(validate.provider_customer, self._json_body(body), False)
        self._replace_customer(customer, values, keep_optional=False)
        return Response(200, self._provider_view(customer))

    # --- PSA extension (UX1, UX2) --------------------------------------------------------------

    def _psa_view(self, org):
        stored = org["psa"]
        if not stored:
            return {"psa": "none", "enabled": False}
        view = {"psa": stored["psa"], "enabled": stored["enabled"]}
        if stored["psa"] == "connectwise":
            connectwise = stored["connectwise"]
            # The private key is write-only: only whether one is stored is ever shown.
            view["connectwise"] = {"site": connectwise["site"], "companyId": connectwise["companyId"],
                                   "publicKey": connectwise["publicKey"],
                                   "privateKeySet": bool(connectwise.get("privateKey"))}
            view["ticketing"] = dict(stored["ticketing"])
        view["modifiedAt"] = stored["modifiedAt"]
        return view

    def _store_psa(self, org, integration):
        if integration["psa"] == "none":
            org["psa"] = None
            return
        previous = dict(org["psa"] or {})
        modified_at = previous.pop("modifiedAt", None)
        if previous != integration or modified_at is None:
            # An identical save leaves the integration, and its timestamp, untouched.
            modified_at = _now_iso(self._clock())
        org["psa"] = dict(copy.deepcopy(integration), modifiedAt=modified_at)

    def _get_psa(self, org, query, body):
        return Response(200, self._psa_view(org))

    def _put_psa(self, org, query, body):
        data = self._json_body(body)
        stored = org["psa"]
        if stored and stored["psa"] != "connectwise":
            raise _message(409, "Another PSA (%s) is configured for this organization; delete it first"
                           % stored["psa"])
        integration = self._validated(validate.psa_integration, data, stored)
        self._store_psa(org, integration)
        return Response(200, self._psa_view(org))

    def _delete_psa(self, org, query, body):
        org["psa"] = None
        return Response(204)

    def _get_psa_status(self, org, query, body):
        return Response(200, dict(org.get("psaStatus") or NO_SYNC_YET))

    def _list_psa_customers(self, org, query, body):
        mapped = [c for c in self._org_customers(org) if c["connectwiseCompanyId"] is not None]
        return Response(200, [{"customerId": c["customerId"], "connectwiseCompanyId": c["connectwiseCompanyId"]}
                              for c in self._page(mapped, query)])

    def _put_psa_customer(self, org, query, body, customer_id):
        customer = self._customer_of(org, customer_id)
        company_id = self._validated(validate.psa_customer_mapping, self._json_body(body))
        customer["connectwiseCompanyId"] = company_id
        return Response(200, {"customerId": customer_id, "connectwiseCompanyId": company_id})

    def _delete_psa_customer(self, org, query, body, customer_id):
        self._customer_of(org, customer_id)["connectwiseCompanyId"] = None
        return Response(204)
