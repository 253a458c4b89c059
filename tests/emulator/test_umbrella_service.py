# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated Umbrella API, in-process: behaviour and conformance to Cisco's OpenAPI documents."""

import base64
import copy
import json
import pathlib
import sys
from urllib.parse import urlencode

import jsonschema
import pytest
import yaml
from requests.structures import CaseInsensitiveDict

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from emulator.umbrella import UmbrellaSeedError, UmbrellaService  # noqa: E402

SPEC_DIR = REPO_ROOT.parent / "shared" / "vendor-specs" / "umbrella"
TOKEN_SPEC = "cisco_umbrella_token_authorization_api_2_0_0.yaml"
MANAGED_SPEC = "cicso_umbrella_managed_providers_api_2_0_0.yaml"
PROVIDERS_SPEC = "cisco_umbrella_providers_api_2_0_0.yaml"


# --- OpenAPI response validation -----------------------------------------------------------------

class OpenApiResponses:
    """Validates response bodies against the response schemas of Cisco's OpenAPI documents."""

    _documents = {}

    @classmethod
    def _document(cls, name):
        if name not in cls._documents:
            cls._documents[name] = yaml.safe_load((SPEC_DIR / name).read_text(encoding="utf-8"))
        return cls._documents[name]

    @classmethod
    def _resolve(cls, node, root):
        """Inline local $refs and turn OpenAPI's `nullable` into JSON Schema."""
        if isinstance(node, list):
            return [cls._resolve(item, root) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return cls._resolve(target, root)
        resolved = {key: cls._resolve(value, root) for key, value in node.items()}
        if resolved.pop("nullable", False) and "type" in resolved:
            resolved["type"] = [resolved["type"], "null"]
        return resolved

    @classmethod
    def schema(cls, document, path, method, status):
        root = cls._document(document)
        response = root["paths"][path][method.lower()]["responses"][str(status)]
        response = cls._resolve(response, root)
        return response["content"]["application/json"]["schema"]

    @classmethod
    def validate(cls, document, path, method, response):
        schema = cls.schema(document, path, method, response.status)
        validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
        validator.validate(wire(response))


def wire(response):
    """The body as a client would decode it from the wire."""
    return json.loads(json.dumps(response.body)) if response.body is not None else None


# The extension has no vendor document: these schemas restate docs/extension-api.md.
PSA_INTEGRATION_SCHEMA = {
    "type": "object",
    "required": ["psa", "enabled"],
    "additionalProperties": False,
    "properties": {
        "psa": {"enum": ["none", "connectwise", "autotask"]},
        "enabled": {"type": "boolean"},
        "connectwise": {
            "type": "object",
            "required": ["site", "companyId", "publicKey", "privateKeySet"],
            "additionalProperties": False,
            "properties": {"site": {"type": "string"}, "companyId": {"type": "string"},
                           "publicKey": {"type": "string"}, "privateKeySet": {"type": "boolean"}},
        },
        "ticketing": {
            "type": "object",
            "required": ["serviceBoard", "queryThreshold"],
            "additionalProperties": False,
            "properties": {"serviceBoard": {"type": "string", "minLength": 1, "maxLength": 100},
                           "queryThreshold": {"type": "integer", "minimum": 1, "maximum": 10000}},
        },
        "modifiedAt": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
    },
}
PSA_MAPPING_SCHEMA = {
    "type": "object",
    "required": ["customerId", "connectwiseCompanyId"],
    "additionalProperties": False,
    "properties": {"customerId": {"type": "integer"}, "connectwiseCompanyId": {"type": "string"}},
}
MESSAGE_SCHEMA = {"type": "object", "required": ["message"], "additionalProperties": False,
                  "properties": {"message": {"type": "string", "minLength": 1}}}


# --- helpers -------------------------------------------------------------------------------------

class FakeClock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def basic(key, secret):
    return "Basic " + base64.b64encode(("%s:%s" % (key, secret)).encode()).decode()


class Caller:
    """Builds requests the way the HTTP server hands them to the service."""

    def __init__(self, service):
        self.service = service

    def request(self, method, path, token=None, org=None, body=None, query=None, headers=None, raw=None):
        all_headers = CaseInsensitiveDict(headers or {})
        if token is not None:
            all_headers["Authorization"] = "Bearer " + token
        if org is not None:
            all_headers["X-Umbrella-OrgId"] = str(org)
        if body is not None:
            raw = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        query = {key: [str(value)] for key, value in (query or {}).items()}
        return self.service.handle(method, path, query, all_headers, raw or b"")

    def token_response(self, key, secret, org=None, form=None, content_type="application/x-www-form-urlencoded"):
        headers = {"Authorization": basic(key, secret), "Content-Type": content_type}
        if org is not None:
            headers["X-Umbrella-OrgId"] = str(org)
        form = {"grant_type": "client_credentials"} if form is None else form
        return self.request("POST", "/auth/v2/token", headers=headers, raw=urlencode(form).encode())

    def token(self, key, secret, org=None):
        response = self.token_response(key, secret, org)
        assert response.status == 200, response.body
        return response.body["access_token"]


CW_FORM = {
    "psa": "connectwise",
    "enabled": True,
    "connectwise": {"site": "api-na.myconnectwise.net", "companyId": "acme",
                    "publicKey": "PubKey0123456789", "privateKey": "PrivSecretKey-0001"},
    "ticketing": {"serviceBoard": "Umbrella Alerts", "queryThreshold": 10},
}


def cw_form(**changes):
    form = copy.deepcopy(CW_FORM)
    for dotted, value in changes.items():
        target = form
        *parents, leaf = dotted.split("__")
        for part in parents:
            target = target[part]
        if value is DELETE:
            target.pop(leaf)
        else:
            target[leaf] = value
    return form


DELETE = object()


@pytest.fixture
def clock():
    return FakeClock()


def make_service(clock, profile="extended", **kwargs):
    service = UmbrellaService(profile, clock=clock, **kwargs)
    # Parent console 1000 with children 1001, 1002 (and grandchild 1011); an unrelated console 2000
    # with child 2001.
    service.add_org(1000, api_key="key-a", api_secret="secret-a", name="MSP A")
    service.add_org(1001, parent_org_id=1000, name="A child 1")
    service.add_org(1002, parent_org_id=1000, name="A child 2")
    service.add_org(1011, parent_org_id=1001, name="A grandchild")
    service.add_org(2000, api_key="key-b", api_secret="secret-b", name="MSP B")
    service.add_org(2001, parent_org_id=2000, name="B child")
    return service


@pytest.fixture
def service(clock):
    return make_service(clock)


@pytest.fixture
def caller(service):
    return Caller(service)


@pytest.fixture
def token_a(caller):
    return caller.token("key-a", "secret-a")


def customer_names(service, org_id):
    return [c["customerName"] for c in service.public_state()["orgs"][str(org_id)]["customers"]]


# --- token ---------------------------------------------------------------------------------------

def test_token_is_issued_in_the_published_shape(caller, service):
    response = caller.token_response("key-a", "secret-a")
    assert response.status == 200
    OpenApiResponses.validate(TOKEN_SPEC, "/token", "post", response)
    assert response.body["token_type"] == "bearer"
    assert response.body["expires_in"] == 3600
    second = caller.token("key-a", "secret-a")
    assert second != response.body["access_token"]
    state = service.public_state()
    assert state["tokens"] == 2 and state["orgs"]["1000"]["tokensIssued"] == 2


@pytest.mark.parametrize("authorization", [
    basic("key-a", "wrong"), basic("key-x", "secret-a"), None, "Basic !!notbase64!!",
    "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer abc",
])
def test_token_refuses_bad_credentials_with_401(caller, service, authorization):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if authorization:
        headers["Authorization"] = authorization
    response = caller.request("POST", "/auth/v2/token", headers=headers, raw=b"grant_type=client_credentials")
    assert response.status == 401
    OpenApiResponses.validate(TOKEN_SPEC, "/token", "post", response)
    jsonschema.validate(wire(response), MESSAGE_SCHEMA)
    assert service.public_state()["tokensIssued"] == 0


@pytest.mark.parametrize("form, content_type, field", [
    ({}, "application/x-www-form-urlencoded", "grant_type"),
    ({"grant_type": "password"}, "application/x-www-form-urlencoded", "grant_type"),
    ({"grant_type": "client_credentials"}, "application/json", "Content-Type"),
])
def test_token_refuses_a_bad_request_with_400(caller, form, content_type, field):
    response = caller.token_response("key-a", "secret-a", form=form, content_type=content_type)
    assert response.status == 400
    OpenApiResponses.validate(TOKEN_SPEC, "/token", "post", response)
    assert field in response.body["message"]


def test_token_route_takes_only_post(caller):
    response = caller.request("GET", "/auth/v2/token", headers={"Authorization": basic("key-a", "secret-a")})
    assert response.status == 405
    assert response.body == {"message": "Method Not Allowed"}


def test_token_lifetime_is_configurable_and_expiry_answers_400_invalid_request(clock):
    service = make_service(clock, token_lifetime=60)
    caller = Caller(service)
    response = caller.token_response("key-a", "secret-a")
    assert response.body["expires_in"] == 60
    token = response.body["access_token"]
    clock.advance(59)
    assert caller.request("GET", "/admin/v2/managed/customers", token=token).status == 200
    clock.advance(1)
    expired = caller.request("GET", "/admin/v2/managed/customers", token=token)
    assert expired.status == 400
    assert expired.body == {"error": "invalid_request"}
    assert service.public_state()["tokens"] == 0


def test_expire_tokens_expires_every_issued_token(caller, service, token_a):
    token_b = caller.token("key-b", "secret-b")
    service.expire_tokens()
    for token in (token_a, token_b):
        response = caller.request("GET", "/admin/v2/managed/customers", token=token)
        assert (response.status, response.body) == (400, {"error": "invalid_request"})
    fresh = caller.token("key-a", "secret-a")
    assert caller.request("GET", "/admin/v2/managed/customers", token=fresh).status == 200


@pytest.mark.parametrize("authorization", [None, "Bearer unknown-token", "Bearer ", "Basic abc"])
def test_data_request_without_a_known_token_is_401(caller, service, authorization):
    service.add_customers(1000, 1)
    headers = {"Authorization": authorization} if authorization else {}
    response = caller.request("GET", "/admin/v2/managed/customers", headers=headers)
    assert response.status == 401
    OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers", "get", response)
    jsonschema.validate(wire(response), MESSAGE_SCHEMA)


def test_response_repr_never_shows_the_token(caller):
    response = caller.token_response("key-a", "secret-a")
    assert response.body["access_token"] not in repr(response)


# --- organization scoping ------------------------------------------------------------------------

def test_parent_token_acts_for_its_children_via_the_header(caller, service, token_a):
    service.add_customers(1000, ["Parent customer"])
    service.add_customers(1001, ["Child customer"])
    own = caller.request("GET", "/admin/v2/managed/customers", token=token_a)
    child = caller.request("GET", "/admin/v2/managed/customers", token=token_a, org=1001)
    assert [c["customerName"] for c in own.body] == ["Parent customer"]
    assert [c["customerName"] for c in child.body] == ["Child customer"]
    created = caller.request("POST", "/admin/v2/managed/customers", token=token_a, org=1002,
                             body={"customerName": "New in child 2", "seats": 5})
    assert created.status == 200
    assert customer_names(service, 1002) == ["New in child 2"]
    assert customer_names(service, 1000) == ["Parent customer"]


def test_header_naming_the_own_org_is_accepted(caller, service, token_a):
    service.add_customers(1000, ["Mine"])
    response = caller.request("GET", "/admin/v2/managed/customers", token=token_a, org=1000)
    assert [c["customerName"] for c in response.body] == ["Mine"]


@pytest.mark.parametrize("org", [2000, 2001, 1011, 999999, "abc", "1001x", "-1001"])
def test_foreign_or_unreachable_org_is_refused_and_nothing_changes(caller, service, token_a, org):
    [foreign] = service.add_customers(2001, ["B's customer"])
    before = service.public_state()
    attempts = [
        ("GET", "/admin/v2/managed/customers", None),
        ("POST", "/admin/v2/managed/customers", {"customerName": "intruder", "seats": 1}),
        ("DELETE", "/admin/v2/managed/customers/%d" % foreign["customerId"], None),
        ("PUT", "/admin/v2/managed/customers/%d" % foreign["customerId"], {"customerName": "x", "seats": 1}),
        ("PUT", "/admin/v2/psa/integration", CW_FORM),
    ]
    for method, path, body in attempts:
        response = caller.request(method, path, token=token_a, org=org, body=body)
        assert response.status == 403, (method, path)
        jsonschema.validate(wire(response), MESSAGE_SCHEMA)
    OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers", "get",
                              caller.request("GET", "/admin/v2/managed/customers", token=token_a, org=org))
    after = service.public_state()
    after["tokens"] = before["tokens"]
    assert after == before


def test_customer_of_another_org_is_not_found_by_id(caller, service, token_a):
    [foreign] = service.add_customers(2000, ["B's customer"])
    path = "/admin/v2/managed/customers/%d" % foreign["customerId"]
    for method, body in (("GET", None), ("PUT", {"customerName": "x", "seats": 1}), ("DELETE", None)):
        response = caller.request(method, path, token=token_a, body=body)
        assert response.status == 404
        OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers/{customerId}", method, response)
    assert customer_names(service, 2000) == ["B's customer"]


def test_token_scoped_to_a_child_on_the_token_request(caller, service):
    service.add_customers(1001, ["Child customer"])
    service.add_customers(1000, ["Parent customer"])
    token = caller.token("key-a", "secret-a", org=1001)
    response = caller.request("GET", "/admin/v2/managed/customers", token=token)
    assert [c["customerName"] for c in response.body] == ["Child customer"]
    # A child-scoped token does not reach its parent nor its siblings.
    for org in (1000, 1002):
        assert caller.request("GET", "/admin/v2/managed/customers", token=token, org=org).status == 403


@pytest.mark.parametrize("org", [2000, 2001, 1011, 424242, "nope"])
def test_token_request_for_an_unreachable_org_is_refused(caller, service, org):
    response = caller.token_response("key-a", "secret-a", org=org)
    assert response.status == 403
    OpenApiResponses.validate(TOKEN_SPEC, "/token", "post", response)
    assert service.public_state()["tokensIssued"] == 0


# --- managed customers ---------------------------------------------------------------------------

def test_managed_customer_crud(caller, service, token_a):
    created = caller.request("POST", "/admin/v2/managed/customers", token=token_a,
                             body={"customerName": "Contoso", "seats": 25})
    assert created.status == 200
    OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers", "post", created)
    assert set(created.body) == {"customerId", "customerName", "seats"}
    path = "/admin/v2/managed/customers/%d" % created.body["customerId"]

    fetched = caller.request("GET", path, token=token_a)
    OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers/{customerId}", "get", fetched)
    assert fetched.body == created.body

    updated = caller.request("PUT", path, token=token_a, body={"customerName": "Contoso Ltd", "seats": 30})
    assert updated.status == 200
    OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers/{customerId}", "put", updated)
    assert updated.body == {"customerId": created.body["customerId"], "customerName": "Contoso Ltd", "seats": 30}

    deleted = caller.request("DELETE", path, token=token_a)
    assert deleted.status == 204 and deleted.body is None
    missing = caller.request("GET", path, token=token_a)
    assert missing.status == 404
    OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers/{customerId}", "get", missing)
    jsonschema.validate(wire(missing), MESSAGE_SCHEMA)
    assert caller.request("DELETE", path, token=token_a).status == 404


def test_customer_name_of_255_characters_is_accepted(caller, token_a):
    response = caller.request("POST", "/admin/v2/managed/customers", token=token_a,
                              body={"customerName": "n" * 255, "seats": 1})
    assert response.status == 200


@pytest.mark.parametrize("body, field", [
    ({"seats": 5}, "customerName"),
    ({"customerName": "", "seats": 5}, "customerName"),
    ({"customerName": "n" * 256, "seats": 5}, "customerName"),
    ({"customerName": 42, "seats": 5}, "customerName"),
    ({"customerName": "Contoso"}, "seats"),
    ({"customerName": "Contoso", "seats": 0}, "seats"),
    ({"customerName": "Contoso", "seats": "5"}, "seats"),
    ({"customerName": "Contoso", "seats": True}, "seats"),
    ({"customerName": "Contoso", "seats": 1.5}, "seats"),
    (["Contoso", 5], "request body"),
])
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_managed_customer_validation(caller, service, token_a, body, field, method):
    [existing] = service.add_customers(1000, ["Existing"])
    path = "/admin/v2/managed/customers"
    if method == "PUT":
        path += "/%d" % existing["customerId"]
    before = service.public_state()
    response = caller.request(method, path, token=token_a, body=body)
    assert response.status == 400
    OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers" + ("/{customerId}" if method == "PUT" else ""),
                              method, response)
    assert field in response.body["message"]
    assert service.public_state() == before


def test_body_that_is_not_json_is_400(caller, token_a):
    response = caller.request("POST", "/admin/v2/managed/customers", token=token_a, raw=b"{not json",
                              headers={"Content-Type": "application/json"})
    assert response.status == 400
    jsonschema.validate(wire(response), MESSAGE_SCHEMA)


def test_paging_250_customers_by_100(caller, service, token_a):
    seeded = service.add_customers(1000, 250)
    pages = [caller.request("GET", "/admin/v2/managed/customers", token=token_a, query={"page": n, "limit": 100})
             for n in (1, 2, 3, 4)]
    for page in pages:
        assert page.status == 200
        OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers", "get", page)
    assert [len(page.body) for page in pages] == [100, 100, 50, 0]
    listed = [c for page in pages for c in page.body]
    assert [c["customerId"] for c in listed] == [c["customerId"] for c in seeded]
    assert len({c["customerId"] for c in listed}) == 250
    default = caller.request("GET", "/admin/v2/managed/customers", token=token_a)
    assert default.body == pages[0].body


def test_small_limits_page_through_everything(caller, service, token_a):
    seeded = service.add_customers(1000, ["c%d" % n for n in range(7)])
    pages = [caller.request("GET", "/admin/v2/managed/customers", token=token_a, query={"page": n, "limit": 3}).body
             for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [c["customerName"] for p in pages for c in p] == [c["customerName"] for c in seeded]


@pytest.mark.parametrize("query, field", [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "ten"}, "limit"),
    ({"page": 0}, "page"), ({"page": -1}, "page"), ({"page": "1.5"}, "page"),
])
@pytest.mark.parametrize("path", ["/admin/v2/managed/customers", "/admin/v2/providers/customers",
                                  "/admin/v2/psa/customers"])
def test_paging_parameters_out_of_range_are_400(caller, token_a, query, field, path):
    response = caller.request("GET", path, token=token_a, query=query)
    assert response.status == 400
    assert field in response.body["message"]
    jsonschema.validate(wire(response), MESSAGE_SCHEMA)


# --- provider customers --------------------------------------------------------------------------

PROVIDER_BODY = {
    "customerName": "Fabrikam", "seats": 50, "streetAddress": "1 Main St", "streetAddress2": "Suite 2",
    "city": "Lyon", "state": "ARA", "countryCode": "FR", "zipCode": "69001", "packageId": 252,
    "adminEmails": ["it@fabrikam.example"], "licenseType": "msla", "isTrial": False, "addonDlp": True,
}


def test_managed_customers_show_in_the_provider_view(caller, service, token_a):
    seeded = service.add_customers(1000, 3)
    listed = caller.request("GET", "/admin/v2/providers/customers", token=token_a)
    assert listed.status == 200
    OpenApiResponses.validate(PROVIDERS_SPEC, "/providers/customers", "get", listed)
    assert [(c["customerId"], c["customerName"], c["seats"]) for c in listed.body] == \
        [(c["customerId"], c["customerName"], c["seats"]) for c in seeded]
    one = caller.request("GET", "/admin/v2/providers/customers/%d" % seeded[0]["customerId"], token=token_a)
    OpenApiResponses.validate(PROVIDERS_SPEC, "/providers/customers/{customerId}", "get", one)
    assert one.body == listed.body[0]


def test_provider_customer_crud(caller, service, token_a):
    created = caller.request("POST", "/admin/v2/providers/customers", token=token_a, body=PROVIDER_BODY)
    assert created.status == 200
    OpenApiResponses.validate(PROVIDERS_SPEC, "/providers/customers", "post", created)
    assert created.body["packageName"] == "Umbrella SIG Advantage"
    assert created.body["licenseType"] == "msla" and created.body["addonDlp"] is True
    path = "/admin/v2/providers/customers/%d" % created.body["customerId"]
    managed = caller.request("GET", "/admin/v2/managed/customers/%d" % created.body["customerId"], token=token_a)
    assert managed.body == {"customerId": created.body["customerId"], "customerName": "Fabrikam", "seats": 50}

    replacement = {key: PROVIDER_BODY[key] for key in (
        "customerName", "seats", "streetAddress", "city", "countryCode", "packageId", "adminEmails")}
    replacement["seats"] = 60
    updated = caller.request("PUT", path, token=token_a, body=replacement)
    assert updated.status == 200
    OpenApiResponses.validate(PROVIDERS_SPEC, "/providers/customers/{customerId}", "put", updated)
    assert updated.body["seats"] == 60
    # PUT is a full replace: optional address fields left out are gone.
    assert "streetAddress2" not in updated.body and "zipCode" not in updated.body

    assert caller.request("DELETE", path, token=token_a).status == 204
    gone = caller.request("GET", path, token=token_a)
    assert gone.status == 404
    OpenApiResponses.validate(PROVIDERS_SPEC, "/providers/customers/{customerId}", "get", gone)


@pytest.mark.parametrize("change, field", [
    ({"packageId": 1}, "packageId"), ({"countryCode": "F"}, "countryCode"), ({"adminEmails": ["nope"]}, "adminEmails"),
    ({"city": DELETE}, "city"), ({"licenseType": "forever"}, "licenseType"), ({"state": "s" * 51}, "state"),
])
def test_provider_customer_validation(caller, service, token_a, change, field):
    body = dict(PROVIDER_BODY)
    for key, value in change.items():
        if value is DELETE:
            body.pop(key)
        else:
            body[key] = value
    response = caller.request("POST", "/admin/v2/providers/customers", token=token_a, body=body)
    assert response.status == 400
    OpenApiResponses.validate(PROVIDERS_SPEC, "/providers/customers", "post", response)
    assert field in response.body["message"]
    assert customer_names(service, 1000) == []


# --- routing -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/v2/unknown", "/admin/v2/managed/customers/abc",
                                  "/admin/v2/managed/customers/1/extra", "/auth/v2/other", "/admin/v2/"])
def test_unknown_routes_are_404_not_found(caller, token_a, path):
    response = caller.request("GET", path, token=token_a)
    assert (response.status, response.body) == (404, {"message": "Not Found"})


@pytest.mark.parametrize("method, path", [
    ("PATCH", "/admin/v2/managed/customers"), ("DELETE", "/admin/v2/managed/customers"),
    ("POST", "/admin/v2/managed/customers/100001"), ("PATCH", "/admin/v2/providers/customers/100001"),
])
def test_wrong_method_on_a_known_route_is_405(caller, token_a, method, path):
    response = caller.request(method, path, token=token_a)
    assert (response.status, response.body) == (405, {"message": "Method Not Allowed"})


# --- rate limits ---------------------------------------------------------------------------------

def test_rate_limits_are_off_by_default(caller, token_a):
    statuses = {caller.request("GET", "/admin/v2/managed/customers", token=token_a).status for _attempt in range(40)}
    assert statuses == {200}
    assert all(caller.token_response("key-a", "secret-a").status == 200 for _attempt in range(25))


def test_admin_rate_limits_per_second_and_per_minute(clock):
    service = make_service(clock, rate_limits=True)
    caller = Caller(service)
    token = caller.token("key-a", "secret-a")

    def get():
        return caller.request("GET", "/admin/v2/managed/customers", token=token)

    assert [get().status for _attempt in range(6)] == [200] * 5 + [429]
    refused = get()
    assert refused.body == {"message": "Too Many Requests"}
    assert "retry-after" not in {name.lower() for name in refused.headers}
    clock.advance(1)
    # 14 a minute: 5 used, so 9 more are accepted over the next seconds, then 429 until the minute passes.
    statuses = []
    for _attempt in range(4):
        statuses += [get().status for _attempt in range(3)]
        clock.advance(1)
    assert statuses == [200] * 9 + [429] * 3
    clock.advance(60)
    assert get().status == 200


def test_token_endpoint_rate_limit_is_per_api_key(clock):
    service = make_service(clock, rate_limits=True)
    caller = Caller(service)
    statuses = [caller.token_response("key-a", "secret-a").status for _attempt in range(21)]
    assert statuses == [200] * 20 + [429]
    refused = caller.token_response("key-a", "secret-a")
    assert refused.body == {"message": "Too Many Requests"} and not refused.headers.get("Retry-After")
    assert caller.token_response("key-b", "secret-b").status == 200
    clock.advance(60)
    assert caller.token_response("key-a", "secret-a").status == 200


def test_provider_family_has_its_own_higher_limit(clock):
    service = make_service(clock, rate_limits=True)
    caller = Caller(service)
    token = caller.token("key-a", "secret-a")
    statuses = [caller.request("GET", "/admin/v2/providers/customers", token=token).status for _attempt in range(31)]
    assert statuses == [200] * 30 + [429]
    assert caller.request("GET", "/admin/v2/managed/customers", token=token).status == 200


def test_set_rate_limits_toggles_at_runtime(clock):
    service = make_service(clock)
    caller = Caller(service)
    token = caller.token("key-a", "secret-a")
    service.set_rate_limits(True)
    assert [caller.request("GET", "/admin/v2/managed/customers", token=token).status for _attempt in range(6)][-1] == 429
    service.set_rate_limits(False)
    assert caller.request("GET", "/admin/v2/managed/customers", token=token).status == 200


def test_rate_limit_class_table_is_used(clock, monkeypatch):
    monkeypatch.setattr(UmbrellaService, "RATE_LIMITS", {"token": ((60, 2),)})
    caller = Caller(make_service(clock, rate_limits=True))
    assert [caller.token_response("key-a", "secret-a").status for _attempt in range(3)] == [200, 200, 429]


# --- PSA extension -------------------------------------------------------------------------------

EXTENSION_CALLS = [
    ("GET", "/admin/v2/psa/integration", None), ("PUT", "/admin/v2/psa/integration", CW_FORM),
    ("DELETE", "/admin/v2/psa/integration", None), ("GET", "/admin/v2/psa/customers", None),
    ("PUT", "/admin/v2/psa/customers/100001", {"connectwiseCompanyId": "ACME"}),
    ("DELETE", "/admin/v2/psa/customers/100001", None), ("PATCH", "/admin/v2/psa/integration", None),
]


@pytest.mark.parametrize("method, path, body", EXTENSION_CALLS)
def test_public_profile_answers_extension_routes_like_unknown_routes(clock, method, path, body):
    service = make_service(clock, profile="public")
    service.add_customers(1000, 1)
    caller = Caller(service)
    token = caller.token("key-a", "secret-a")
    unknown = caller.request(method, "/admin/v2/no/such/route", token=token, body=body)
    response = caller.request(method, path, token=token, body=body)
    assert (response.status, response.body, response.headers) == (unknown.status, unknown.body, unknown.headers)
    assert response.status == 404
    assert service.public_state()["orgs"]["1000"]["psa"] == {"psa": "none", "enabled": False}


def test_integration_of_a_fresh_org_is_none(caller, token_a):
    response = caller.request("GET", "/admin/v2/psa/integration", token=token_a)
    assert response.status == 200
    jsonschema.validate(wire(response), PSA_INTEGRATION_SCHEMA)
    assert response.body["psa"] == "none"


def test_put_integration_stores_the_private_key_and_never_returns_it(caller, service, token_a):
    response = caller.request("PUT", "/admin/v2/psa/integration", token=token_a, body=CW_FORM)
    assert response.status == 200
    jsonschema.validate(wire(response), PSA_INTEGRATION_SCHEMA)
    assert response.body["connectwise"] == {"site": "api-na.myconnectwise.net", "companyId": "acme",
                                            "publicKey": "PubKey0123456789", "privateKeySet": True}
    assert response.body["ticketing"] == CW_FORM["ticketing"]
    fetched = caller.request("GET", "/admin/v2/psa/integration", token=token_a)
    assert fetched.body == response.body
    private_key = CW_FORM["connectwise"]["privateKey"]
    for body in (response.body, fetched.body):
        assert private_key not in json.dumps(body)
    stored = service.public_state()["orgs"]["1000"]["psa"]
    assert stored["connectwise"]["privateKey"] == private_key


def test_private_key_may_be_omitted_only_when_the_public_key_is_unchanged(caller, service, token_a):
    first_try = caller.request("PUT", "/admin/v2/psa/integration", token=token_a,
                               body=cw_form(connectwise__privateKey=DELETE))
    assert first_try.status == 400 and "connectwise.privateKey" in first_try.body["message"]
    caller.request("PUT", "/admin/v2/psa/integration", token=token_a, body=CW_FORM)

    kept = caller.request("PUT", "/admin/v2/psa/integration", token=token_a,
                          body=cw_form(connectwise__privateKey=DELETE, ticketing__queryThreshold=50))
    assert kept.status == 200 and kept.body["ticketing"]["queryThreshold"] == 50
    assert service.public_state()["orgs"]["1000"]["psa"]["connectwise"]["privateKey"] == "PrivSecretKey-0001"

    rotated_without_key = caller.request("PUT", "/admin/v2/psa/integration", token=token_a,
                                         body=cw_form(connectwise__privateKey=DELETE, connectwise__publicKey="New"))
    assert rotated_without_key.status == 400
    assert "connectwise.privateKey" in rotated_without_key.body["message"]

    rotated = caller.request("PUT", "/admin/v2/psa/integration", token=token_a,
                             body=cw_form(connectwise__publicKey="New", connectwise__privateKey="NewPrivate"))
    assert rotated.status == 200 and rotated.body["connectwise"]["publicKey"] == "New"
    assert service.public_state()["orgs"]["1000"]["psa"]["connectwise"]["privateKey"] == "NewPrivate"


@pytest.mark.parametrize("changes, field", [
    ({"psa": "none"}, "psa"), ({"psa": "autotask"}, "psa"), ({"psa": DELETE}, "psa"),
    ({"enabled": "yes"}, "enabled"), ({"enabled": DELETE}, "enabled"),
    ({"connectwise": DELETE}, "connectwise"), ({"ticketing": DELETE}, "ticketing"),
    ({"connectwise__site": ""}, "connectwise.site"), ({"connectwise__companyId": 7}, "connectwise.companyId"),
    ({"connectwise__publicKey": DELETE}, "connectwise.publicKey"),
    ({"connectwise__privateKeySet": True}, "connectwise.privateKeySet"),
    ({"ticketing__queryThreshold": 0}, "ticketing.queryThreshold"),
    ({"ticketing__queryThreshold": 10001}, "ticketing.queryThreshold"),
    ({"ticketing__queryThreshold": "10"}, "ticketing.queryThreshold"),
    ({"ticketing__serviceBoard": "b" * 101}, "ticketing.serviceBoard"),
    ({"ticketing__serviceBoard": ""}, "ticketing.serviceBoard"),
    ({"extra": 1}, "extra"),
])
def test_put_integration_validation_names_the_field(caller, service, token_a, changes, field):
    response = caller.request("PUT", "/admin/v2/psa/integration", token=token_a, body=cw_form(**changes))
    assert response.status == 400
    jsonschema.validate(wire(response), MESSAGE_SCHEMA)
    assert field in response.body["message"]
    assert service.public_state()["orgs"]["1000"]["psa"]["psa"] == "none"


def test_boundaries_of_ticketing_are_accepted(caller, token_a):
    for threshold, board in ((1, "b"), (10000, "b" * 100)):
        response = caller.request("PUT", "/admin/v2/psa/integration", token=token_a,
                                  body=cw_form(ticketing__queryThreshold=threshold, ticketing__serviceBoard=board))
        assert response.status == 200, response.body


def test_identical_put_keeps_modified_at_and_a_change_moves_it(caller, clock, token_a):
    first = caller.request("PUT", "/admin/v2/psa/integration", token=token_a, body=CW_FORM).body
    clock.advance(10)
    same = caller.request("PUT", "/admin/v2/psa/integration", token=token_a, body=CW_FORM).body
    assert same["modifiedAt"] == first["modifiedAt"]
    clock.advance(10)
    changed = caller.request("PUT", "/admin/v2/psa/integration", token=token_a,
                             body=cw_form(enabled=False)).body
    assert changed["modifiedAt"] > first["modifiedAt"] and changed["enabled"] is False


def test_another_psa_configured_answers_409(caller, service, token_a):
    service.manual_psa_form(1000, {"psa": "autotask"})
    assert caller.request("GET", "/admin/v2/psa/integration", token=token_a).body["psa"] == "autotask"
    response = caller.request("PUT", "/admin/v2/psa/integration", token=token_a, body=CW_FORM)
    assert response.status == 409
    jsonschema.validate(wire(response), MESSAGE_SCHEMA)
    assert service.public_state()["orgs"]["1000"]["psa"]["psa"] == "autotask"


def test_delete_integration_leaves_none(caller, service, token_a):
    caller.request("PUT", "/admin/v2/psa/integration", token=token_a, body=CW_FORM)
    response = caller.request("DELETE", "/admin/v2/psa/integration", token=token_a)
    assert response.status == 204 and response.body is None
    assert caller.request("GET", "/admin/v2/psa/integration", token=token_a).body == {"psa": "none", "enabled": False}
    assert service.public_state()["orgs"]["1000"]["psa"] == {"psa": "none", "enabled": False}


def test_integration_is_per_org(caller, service, token_a):
    caller.request("PUT", "/admin/v2/psa/integration", token=token_a, org=1001, body=CW_FORM)
    orgs = service.public_state()["orgs"]
    assert orgs["1001"]["psa"]["psa"] == "connectwise"
    assert orgs["1000"]["psa"]["psa"] == "none" and orgs["1002"]["psa"]["psa"] == "none"


def test_customer_mapping_lifecycle(caller, service, token_a):
    customers = service.add_customers(1000, 3)
    first, second = customers[0]["customerId"], customers[1]["customerId"]
    assert caller.request("GET", "/admin/v2/psa/customers", token=token_a).body == []
    mapped = caller.request("PUT", "/admin/v2/psa/customers/%d" % second, token=token_a,
                            body={"connectwiseCompanyId": "ACME-02"})
    assert mapped.status == 200
    jsonschema.validate(wire(mapped), PSA_MAPPING_SCHEMA)
    assert mapped.body == {"customerId": second, "connectwiseCompanyId": "ACME-02"}
    caller.request("PUT", "/admin/v2/psa/customers/%d" % first, token=token_a, body={"connectwiseCompanyId": "ACME-01"})
    listed = caller.request("GET", "/admin/v2/psa/customers", token=token_a)
    for item in listed.body:
        jsonschema.validate(item, PSA_MAPPING_SCHEMA)
    assert listed.body == [{"customerId": first, "connectwiseCompanyId": "ACME-01"},
                           {"customerId": second, "connectwiseCompanyId": "ACME-02"}]
    page_two = caller.request("GET", "/admin/v2/psa/customers", token=token_a, query={"page": 2, "limit": 1})
    assert page_two.body == listed.body[1:]

    assert caller.request("DELETE", "/admin/v2/psa/customers/%d" % first, token=token_a).status == 204
    assert [m["customerId"] for m in caller.request("GET", "/admin/v2/psa/customers", token=token_a).body] == [second]
    # Deleting the customer removes its mapping with it.
    caller.request("DELETE", "/admin/v2/managed/customers/%d" % second, token=token_a)
    assert caller.request("GET", "/admin/v2/psa/customers", token=token_a).body == []


def test_customer_mapping_of_an_unmanaged_customer_is_404(caller, service, token_a):
    [foreign] = service.add_customers(2000, 1)
    for method, body in (("PUT", {"connectwiseCompanyId": "X"}), ("DELETE", None)):
        for customer_id in (foreign["customerId"], 987654):
            response = caller.request(method, "/admin/v2/psa/customers/%d" % customer_id, token=token_a, body=body)
            assert response.status == 404
            jsonschema.validate(wire(response), MESSAGE_SCHEMA)
    assert service.public_state()["orgs"]["2000"]["customers"][0]["connectwiseCompanyId"] is None


@pytest.mark.parametrize("body, field", [
    ({}, "connectwiseCompanyId"), ({"connectwiseCompanyId": ""}, "connectwiseCompanyId"),
    ({"connectwiseCompanyId": 12}, "connectwiseCompanyId"), ({"connectwiseCompanyId": "A", "x": 1}, "x"),
])
def test_customer_mapping_validation(caller, service, token_a, body, field):
    [customer] = service.add_customers(1000, 1)
    response = caller.request("PUT", "/admin/v2/psa/customers/%d" % customer["customerId"], token=token_a, body=body)
    assert response.status == 400 and field in response.body["message"]


def test_mapping_works_for_customers_created_through_the_provider_api(caller, token_a):
    created = caller.request("POST", "/admin/v2/providers/customers", token=token_a, body=PROVIDER_BODY).body
    response = caller.request("PUT", "/admin/v2/psa/customers/%d" % created["customerId"], token=token_a,
                              body={"connectwiseCompanyId": "FAB"})
    assert response.status == 200


# --- manual console form (both profiles) ---------------------------------------------------------

@pytest.mark.parametrize("profile", ["public", "extended"])
def test_manual_form_sets_the_integration_in_every_profile(clock, profile):
    service = make_service(clock, profile=profile)
    view = service.manual_psa_form(1001, CW_FORM)
    jsonschema.validate(view, PSA_INTEGRATION_SCHEMA)
    assert view["connectwise"]["privateKeySet"] is True
    assert "PrivSecretKey-0001" not in json.dumps(view)
    stored = service.public_state()["orgs"]["1001"]["psa"]
    assert stored["connectwise"]["privateKey"] == "PrivSecretKey-0001"
    # A later save of the form without the private key keeps it, as the console does.
    service.manual_psa_form(1001, cw_form(connectwise__privateKey=DELETE, enabled=False))
    stored = service.public_state()["orgs"]["1001"]["psa"]
    assert stored["enabled"] is False and stored["connectwise"]["privateKey"] == "PrivSecretKey-0001"


def test_manual_form_refuses_bad_input_and_a_second_psa(service):
    with pytest.raises(UmbrellaSeedError, match="ticketing.queryThreshold"):
        service.manual_psa_form(1000, cw_form(ticketing__queryThreshold=0))
    with pytest.raises(UmbrellaSeedError, match="does not exist"):
        service.manual_psa_form(4242, CW_FORM)
    service.manual_psa_form(1000, CW_FORM)
    with pytest.raises(UmbrellaSeedError, match="one PSA at a time"):
        service.manual_psa_form(1000, {"psa": "autotask"})
    service.manual_psa_form(1000, {"psa": "none"})
    assert service.manual_psa_form(1000, {"psa": "autotask"})["psa"] == "autotask"


def test_manual_customer_mapping(service):
    [customer] = service.add_customers(1001, 1)
    service.manual_customer_mapping(1001, customer["customerId"], "ACME-9")
    assert service.public_state()["orgs"]["1001"]["customers"][0]["connectwiseCompanyId"] == "ACME-9"
    with pytest.raises(UmbrellaSeedError):
        service.manual_customer_mapping(1000, customer["customerId"], "X")


# --- seeding, snapshot and restore --------------------------------------------------------------

def test_add_org_refuses_inconsistent_seeds(service):
    with pytest.raises(UmbrellaSeedError):
        service.add_org(1000)
    with pytest.raises(UmbrellaSeedError):
        service.add_org(3001, parent_org_id=3000)
    with pytest.raises(UmbrellaSeedError):
        service.add_org(3000, api_key="key-a", api_secret="other")
    with pytest.raises(UmbrellaSeedError):
        service.add_org("not-a-number")
    assert "3000" not in service.public_state()["orgs"]


def test_add_org_generates_a_secret_for_a_key_without_one(caller, service):
    created = service.add_org(3000, api_key="key-c")
    assert created["apiSecret"]
    assert caller.token_response("key-c", created["apiSecret"]).status == 200


def test_public_state_leaves_out_api_secrets_and_tokens(service, caller, token_a):
    text = json.dumps(service.public_state())
    assert "secret-a" not in text and token_a not in text


def test_snapshot_round_trip(clock):
    service = make_service(clock)
    caller = Caller(service)
    token = caller.token("key-a", "secret-a")
    customers = service.add_customers(1001, 5)
    service.manual_psa_form(1001, CW_FORM)
    service.manual_customer_mapping(1001, customers[0]["customerId"], "ACME-1")
    snapshot = json.loads(json.dumps(service.snapshot()))

    restored = UmbrellaService("extended", clock=clock)
    restored.restore(snapshot)
    assert restored.public_state() == service.public_state()
    assert restored.snapshot() == snapshot
    again = Caller(restored)
    # Tokens, secrets and the customer id sequence survive.
    listed = again.request("GET", "/admin/v2/managed/customers", token=token, org=1001).body
    assert [c["customerId"] for c in listed] == [c["customerId"] for c in customers]
    assert again.token_response("key-a", "secret-a").status == 200
    [new] = restored.add_customers(1001, 1)
    assert new["customerId"] not in {c["customerId"] for c in customers}

    restored.reset()
    assert restored.public_state()["orgs"] == {}
    assert again.request("GET", "/admin/v2/managed/customers", token=token).status == 401


def test_restore_refuses_foreign_data(service):
    with pytest.raises(UmbrellaSeedError):
        service.restore({"version": 99})
    assert "1000" in service.public_state()["orgs"]


def test_profile_must_be_known():
    with pytest.raises(ValueError):
        UmbrellaService("private")
