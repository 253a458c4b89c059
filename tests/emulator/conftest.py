"""Fixtures of the emulator tests: real emulator processes (one per profile) and tenant helpers."""

import json
import sys
import uuid
from pathlib import Path

import jsonschema
import pytest

TESTS_DIR = Path(__file__).resolve().parents[1]
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from support.emulator import EmulatorProcess, cw_headers, new_session  # noqa: E402

REPO_ROOT = TESTS_DIR.parent
CW_SCHEMAS = json.loads((REPO_ROOT.parent / "shared" / "vendor-specs" / "connectwise" / "models.schema.json")
                        .read_text(encoding="utf-8"))
CLIENT_ID = "3f1b6c0e-5a1d-4c38-9d7e-2b8a7c6e9f01"


def assert_schema(model, body):
    """Validate a body (an object, or a list of objects) against a ConnectWise model schema."""
    validator = jsonschema.Draft202012Validator(CW_SCHEMAS[model])
    for item in body if isinstance(body, list) else [body]:
        errors = sorted(validator.iter_errors(item), key=str)
        assert not errors, "%s does not match %s: %s" % (json.dumps(item)[:300], model, errors[0].message)


def assert_cw_error(response, status, code=None, field=None, error_code=None):
    """A ConnectWise error answer: status, ErrorResponseMessage shape, optional code and error item."""
    assert response.status_code == status, response.text
    body = response.json()
    assert_schema("ErrorResponseMessage", body)
    if code is not None:
        assert body["code"] == code, body
    if field is not None or error_code is not None:
        items = body["errors"] or []
        assert any((field is None or item.get("field") == field) and
                   (error_code is None or item.get("code") == error_code) for item in items), body
    return body


class CwTenant:
    """One seeded ConnectWise company and a session speaking as its bootstrap admin."""

    def __init__(self, emulator, company_id, public_key, private_key):
        self.emulator = emulator
        self.company_id = company_id
        self.public_key = public_key
        self.private_key = private_key
        self.session = new_session(emulator.ca_file)
        self.base = emulator.cw_base

    def headers(self, public_key=None, private_key=None, company_id=None, **extra):
        headers = cw_headers(company_id or self.company_id, public_key or self.public_key,
                             private_key or self.private_key, CLIENT_ID)
        headers.update(extra)
        return headers

    def request(self, method, path, json_body=None, params=None, headers=None, **credentials):
        return self.session.request(method, path if path.startswith("http") else self.base + path,
                                    json=json_body, params=params, headers=headers or self.headers(**credentials),
                                    timeout=30)

    def get(self, path, params=None, **kwargs):
        return self.request("GET", path, params=params, **kwargs)

    def post(self, path, body, **kwargs):
        return self.request("POST", path, json_body=body, **kwargs)

    def put(self, path, body, **kwargs):
        return self.request("PUT", path, json_body=body, **kwargs)

    def patch(self, path, body, **kwargs):
        return self.request("PATCH", path, json_body=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def member_with_role(self, role_name, identifier=None):
        """Create a role (all None), an API member holding it and a key; return (role, member, key)."""
        role = self.post("/system/securityRoles", {"name": role_name})
        assert role.status_code == 201, role.text
        member = self.post("/system/apiMembers", {"identifier": identifier or unique("m", 12), "name": "Test",
                                                  "securityRole": {"id": role.json()["id"]}})
        assert member.status_code == 201, member.text
        key = self.emulator.control.cw_member_key(self.company_id, member.json()["identifier"], "test key")
        return role.json(), member.json(), key


def unique(prefix, length=15):
    return (prefix + uuid.uuid4().hex)[:length]


def seed_tenant(emulator, **umbrella):
    company_id = unique("co", 12)
    public_key, private_key = unique("P", 16), unique("S", 16)
    emulator.control.create_tenant(name=company_id, connectwise={
        "company_id": company_id, "public_key": public_key, "private_key": private_key, "client_id": CLIENT_ID})
    return CwTenant(emulator, company_id, public_key, private_key)


@pytest.fixture(scope="session")
def extended_emulator():
    with EmulatorProcess(profile="extended") as emulator:
        yield emulator


@pytest.fixture(scope="session")
def public_emulator():
    with EmulatorProcess(profile="public") as emulator:
        yield emulator


@pytest.fixture
def tenant(extended_emulator):
    """A fresh company on the extended-profile emulator."""
    return seed_tenant(extended_emulator)


@pytest.fixture
def public_tenant(public_emulator):
    """A fresh company on the public-profile emulator."""
    return seed_tenant(public_emulator)
