# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated Umbrella API over real HTTPS, through the real emulator process (CA verified)."""

import itertools
import json
import random

import jsonschema
import pytest
import requests

from support.emulator import new_session
from test_umbrella_service import (CW_FORM, MANAGED_SPEC, MESSAGE_SCHEMA, PSA_INTEGRATION_SCHEMA, TOKEN_SPEC,
                                   OpenApiResponses)

# The emulator processes are shared with other tests of the session: org ids of their own range.
_org_ids = itertools.count(random.randrange(10**8, 9 * 10**8, 10**4))


class HttpResponse:
    """Adapts a requests response to what OpenApiResponses.validate reads."""

    def __init__(self, response):
        self.status = response.status_code
        self.body = response.json() if response.content else None


class UmbrellaHttp:
    """What an Umbrella API client does on the wire, against one emulator process."""

    def __init__(self, emu):
        self.emu = emu
        self.session = new_session(emu.ca_file)

    def seed_console(self, children=0):
        """A parent console with its own key and ``children`` child orgs without keys."""
        org_id = next(_org_ids)
        key, secret = "key-%d" % org_id, "secret-%d" % org_id
        self.emu.control.create_tenant(name="umbrella-%d" % org_id,
                                       umbrella={"org_id": org_id, "api_key": key, "api_secret": secret})
        child_ids = []
        for _child in range(children):
            child = next(_org_ids)
            self.emu.control.create_tenant(name="umbrella-%d" % child,
                                           umbrella={"org_id": child, "parent_org_id": org_id})
            child_ids.append(child)
        return org_id, key, secret, child_ids

    def token_response(self, key, secret, org=None):
        headers = {"X-Umbrella-OrgId": str(org)} if org is not None else {}
        return self.session.post(self.emu.url + "/auth/v2/token", auth=(key, secret), headers=headers,
                                 data={"grant_type": "client_credentials"}, timeout=30)

    def token(self, key, secret, org=None):
        response = self.token_response(key, secret, org)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def call(self, method, path, token, org=None, body=None, params=None):
        headers = {"Authorization": "Bearer " + token}
        if org is not None:
            headers["X-Umbrella-OrgId"] = str(org)
        return self.session.request(method, self.emu.url + path, headers=headers, json=body, params=params,
                                    timeout=30)

    def umbrella_state(self, org_id):
        return self.emu.control.state()["umbrella"]["orgs"][str(org_id)]


@pytest.fixture(scope="module")
def http(extended_emulator):
    return UmbrellaHttp(extended_emulator)


def test_certificate_is_checked_against_the_emulators_ca(http):
    untrusted = requests.Session()
    untrusted.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        untrusted.post(http.emu.url + "/auth/v2/token", data={"grant_type": "client_credentials"}, timeout=30)


def test_token_over_https(http):
    _org, key, secret, _children = http.seed_console()
    response = http.token_response(key, secret)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    OpenApiResponses.validate(TOKEN_SPEC, "/token", "post", HttpResponse(response))
    assert response.json()["expires_in"] == 3600

    refused = http.token_response(key, "wrong-secret")
    assert refused.status_code == 401
    jsonschema.validate(refused.json(), MESSAGE_SCHEMA)
    assert "wrong-secret" not in refused.text and secret not in refused.text

    bad_grant = http.session.post(http.emu.url + "/auth/v2/token", auth=(key, secret),
                                  data={"grant_type": "password"}, timeout=30)
    assert bad_grant.status_code == 400
    OpenApiResponses.validate(TOKEN_SPEC, "/token", "post", HttpResponse(bad_grant))


def test_customers_crud_and_paging_over_https(http):
    org_id, key, secret, _children = http.seed_console()
    token = http.token(key, secret)
    created = http.call("POST", "/admin/v2/managed/customers", token, body={"customerName": "Contoso", "seats": 9})
    assert created.status_code == 200
    OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers", "post", HttpResponse(created))
    customer_id = created.json()["customerId"]

    invalid = http.call("POST", "/admin/v2/managed/customers", token, body={"customerName": "", "seats": 9})
    assert invalid.status_code == 400 and "customerName" in invalid.json()["message"]

    http.emu.control.request("POST", "umbrella/%d/customers" % org_id, {"count": 249}, expect=201)
    pages = [http.call("GET", "/admin/v2/managed/customers", token, params={"page": n, "limit": 100})
             for n in (1, 2, 3)]
    for page in pages:
        assert page.status_code == 200
        OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers", "get", HttpResponse(page))
    assert [len(page.json()) for page in pages] == [100, 100, 50]
    assert pages[0].json()[0] == created.json()
    too_big = http.call("GET", "/admin/v2/managed/customers", token, params={"limit": 101})
    assert too_big.status_code == 400

    path = "/admin/v2/managed/customers/%d" % customer_id
    updated = http.call("PUT", path, token, body={"customerName": "Contoso Ltd", "seats": 10})
    assert updated.json() == {"customerId": customer_id, "customerName": "Contoso Ltd", "seats": 10}
    deleted = http.call("DELETE", path, token)
    assert deleted.status_code == 204 and deleted.content == b""
    missing = http.call("GET", path, token)
    assert missing.status_code == 404
    OpenApiResponses.validate(MANAGED_SPEC, "/managed/customers/{customerId}", "get", HttpResponse(missing))
    assert len(http.umbrella_state(org_id)["customers"]) == 249


def test_child_org_header_over_https(http):
    parent, key, secret, [child] = http.seed_console(children=1)
    other_parent, _key, _secret, [foreign_child] = http.seed_console(children=1)
    token = http.token(key, secret)

    created = http.call("POST", "/admin/v2/managed/customers", token, org=child,
                        body={"customerName": "Child's customer", "seats": 3})
    assert created.status_code == 200
    assert [c["customerName"] for c in http.umbrella_state(child)["customers"]] == ["Child's customer"]
    assert http.umbrella_state(parent)["customers"] == []

    listed = http.call("GET", "/admin/v2/managed/customers", token, org=child)
    assert [c["customerId"] for c in listed.json()] == [created.json()["customerId"]]

    before = http.umbrella_state(foreign_child)
    for org in (other_parent, foreign_child):
        refused = http.call("POST", "/admin/v2/managed/customers", token, org=org,
                            body={"customerName": "intruder", "seats": 1})
        assert refused.status_code == 403
        jsonschema.validate(refused.json(), MESSAGE_SCHEMA)
    assert http.umbrella_state(foreign_child) == before

    # The same header on the token request gives a token of the child org.
    child_token = http.token(key, secret, org=child)
    assert [c["customerName"] for c in http.call("GET", "/admin/v2/managed/customers", child_token).json()] == \
        ["Child's customer"]
    assert http.token_response(key, secret, org=foreign_child).status_code == 403


def test_psa_integration_over_https(http):
    org_id, key, secret, [child] = http.seed_console(children=1)
    token = http.token(key, secret)
    assert http.call("GET", "/admin/v2/psa/integration", token, org=child).json()["psa"] == "none"

    saved = http.call("PUT", "/admin/v2/psa/integration", token, org=child, body=CW_FORM)
    assert saved.status_code == 200
    jsonschema.validate(saved.json(), PSA_INTEGRATION_SCHEMA)
    assert saved.json()["connectwise"]["privateKeySet"] is True
    fetched = http.call("GET", "/admin/v2/psa/integration", token, org=child)
    private_key = CW_FORM["connectwise"]["privateKey"]
    assert private_key not in saved.text and private_key not in fetched.text
    assert fetched.json() == saved.json()
    assert http.umbrella_state(child)["psa"]["connectwise"]["privateKey"] == private_key
    assert http.umbrella_state(org_id)["psa"]["psa"] == "none"

    bad = dict(CW_FORM, ticketing={"serviceBoard": "Umbrella Alerts", "queryThreshold": 0})
    invalid = http.call("PUT", "/admin/v2/psa/integration", token, org=child, body=bad)
    assert invalid.status_code == 400 and "ticketing.queryThreshold" in invalid.json()["message"]

    http.emu.control.request("POST", "umbrella/%d/customers" % child, {"names": ["Mapped"]}, expect=201)
    [customer] = http.umbrella_state(child)["customers"]
    mapped = http.call("PUT", "/admin/v2/psa/customers/%d" % customer["customerId"], token, org=child,
                       body={"connectwiseCompanyId": "ACME-01"})
    assert mapped.json() == {"customerId": customer["customerId"], "connectwiseCompanyId": "ACME-01"}
    assert http.call("GET", "/admin/v2/psa/customers", token, org=child).json() == [mapped.json()]

    assert http.call("DELETE", "/admin/v2/psa/integration", token, org=child).status_code == 204
    assert http.umbrella_state(child)["psa"]["psa"] == "none"


def test_rate_limits_over_https(http):
    _org, key, secret, _children = http.seed_console()
    token = http.token(key, secret)
    http.emu.control.request("POST", "rate-limits", {"enabled": True}, expect=200)
    try:
        statuses = []
        refused = None
        for _attempt in range(20):
            response = http.call("GET", "/admin/v2/managed/customers", token)
            statuses.append(response.status_code)
            if response.status_code == 429:
                refused = response
                break
    finally:
        http.emu.control.request("POST", "rate-limits", {"enabled": False}, expect=200)
    # Whatever the pace, 14 a minute is reached within 15 requests.
    assert statuses[:5] == [200] * 5 and refused is not None and len(statuses) <= 15
    assert refused.json() == {"message": "Too Many Requests"}
    assert "Retry-After" not in refused.headers
    assert http.call("GET", "/admin/v2/managed/customers", token).status_code == 200


@pytest.mark.parametrize("method, path", [("GET", "/admin/v2/psa/integration"),
                                          ("PUT", "/admin/v2/psa/integration"),
                                          ("GET", "/admin/v2/psa/customers")])
def test_public_profile_hides_the_extension_over_https(public_emulator, method, path):
    http = UmbrellaHttp(public_emulator)
    org_id, key, secret, _children = http.seed_console()
    token = http.token(key, secret)
    body = CW_FORM if method == "PUT" else None
    response = http.call(method, path, token, body=body)
    unknown = http.call(method, "/admin/v2/no/such/route", token, body=body)
    assert response.status_code == unknown.status_code == 404
    assert response.json() == unknown.json() == {"message": "Not Found"}
    # The console form still works there, as a person would fill it in.
    form = json.loads(json.dumps(CW_FORM))
    view = public_emulator.control.umbrella_psa_form(org_id, form)
    assert view["connectwise"]["privateKeySet"] is True
    assert http.umbrella_state(org_id)["psa"]["connectwise"]["privateKey"] == CW_FORM["connectwise"]["privateKey"]
