"""The control API's reliability tools: a vendor write held in flight, Umbrella tokens expired on demand."""

import threading
import time

import pytest
import requests

from conftest import seed_tenant
from support.emulator import EmulatorProcess, new_session


@pytest.fixture(scope="module")
def emulator():
    """A private emulator: the hold is process-wide and must not catch other tests' writes."""
    with EmulatorProcess(profile="extended") as emu:
        yield emu


@pytest.fixture
def tenant(emulator):
    emulator.control.clear_hold()
    yield seed_tenant(emulator)
    emulator.control.clear_hold()


def in_background(call):
    """Run call() in a thread; the returned dict gets "answer" or "error" when it ends."""
    outcome = {}

    def target():
        try:
            outcome["answer"] = call()
        except requests.RequestException as error:
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def wait_until_held(control, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        status = control.hold_status()
        if status["held"]:
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.02)


def role_names(tenant):
    return [r["name"] for r in tenant.get("/system/securityRoles").json()]


def label(tenant):
    return "connectwise:%s" % tenant.company_id.lower()


def test_a_write_held_before_it_is_served_is_dropped_unserved(tenant):
    control = tenant.emulator.control
    control.hold(index=2, phase="before", tenants=[label(tenant)])
    assert tenant.post("/system/securityRoles", {"name": "First"}).status_code == 201
    # Reads are not writes: they neither count nor wait.
    assert tenant.get("/system/securityRoles").status_code == 200
    pending = in_background(lambda: tenant.post("/system/securityRoles", {"name": "Second"}))
    status = wait_until_held(control)
    assert status["request"] == {"request": "POST /system/securityRoles", "tenant": label(tenant), "phase": "before"}
    assert status["journal"] == ["POST /system/securityRoles", "POST /system/securityRoles"]
    assert "Second" not in role_names(tenant)
    control.release_hold()
    pending["thread"].join(10)
    assert isinstance(pending.get("error"), requests.ConnectionError)
    assert "Second" not in role_names(tenant)
    # Held once: later writes pass.
    assert tenant.post("/system/securityRoles", {"name": "Third"}).status_code == 201


def test_a_write_held_before_may_be_released_to_be_served(tenant):
    control = tenant.emulator.control
    control.hold(index=1, phase="before")
    pending = in_background(lambda: tenant.post("/system/securityRoles", {"name": "Released"}))
    wait_until_held(control)
    control.release_hold(apply=True)
    pending["thread"].join(10)
    assert pending["answer"].status_code == 201 and "Released" in role_names(tenant)


def test_a_write_held_after_it_was_served_is_applied_before_its_answer(tenant):
    control = tenant.emulator.control
    control.hold(index=1, phase="after", route="POST /system/securityRoles", tenants=[label(tenant)])
    # Another route does not match.
    assert tenant.post("/system/apiMembers", {"identifier": "notheld", "name": "Not held"}).status_code == 201
    pending = in_background(lambda: tenant.post("/system/securityRoles", {"name": "Applied"}))
    wait_until_held(control)
    assert "Applied" in role_names(tenant) and "answer" not in pending
    control.release_hold()
    pending["thread"].join(10)
    assert pending["answer"].status_code == 201


def test_a_write_held_after_it_was_served_may_lose_its_answer(tenant):
    control = tenant.emulator.control
    control.hold(index=1, phase="after")
    pending = in_background(lambda: tenant.post("/system/securityRoles", {"name": "Answer lost"}))
    wait_until_held(control)
    control.release_hold(answer=False)
    pending["thread"].join(10)
    assert isinstance(pending.get("error"), requests.ConnectionError)
    assert "Answer lost" in role_names(tenant)


def test_writes_of_other_tenants_are_not_counted(emulator, tenant):
    other = seed_tenant(emulator)
    emulator.control.hold(index=1, tenants=[label(other)])
    assert tenant.post("/system/securityRoles", {"name": "Mine"}).status_code == 201
    status = emulator.control.hold_status()
    assert status["seen"] == 0 and status["armed"] and not status["held"]


def test_bad_hold_specs_and_a_release_of_nothing_are_400(emulator):
    control = emulator.control
    assert control.request("POST", "hold", {"index": 0}).status_code == 400
    assert control.request("POST", "hold", {"phase": "during"}).status_code == 400
    assert control.request("POST", "hold", {"tenants": "acme"}).status_code == 400
    control.clear_hold()
    answer = control.request("POST", "hold/release", {})
    assert answer.status_code == 400 and "no request is held" in answer.json()["error"]


def test_umbrella_tokens_expire_on_demand(emulator):
    org_id, key, secret = 991001, "key-991001", "secret-991001"
    emulator.control.create_tenant(name="tokens-991001", umbrella={"org_id": org_id, "api_key": key,
                                                                   "api_secret": secret})
    session = new_session(emulator.ca_file)
    token = session.post(emulator.url + "/auth/v2/token", auth=(key, secret),
                         data={"grant_type": "client_credentials"}, timeout=30).json()["access_token"]

    def customers(bearer):
        return session.get(emulator.url + "/admin/v2/managed/customers",
                           headers={"Authorization": "Bearer " + bearer}, timeout=30)

    assert customers(token).status_code == 200
    assert emulator.control.expire_umbrella_tokens()["expired"] >= 1
    expired = customers(token)
    assert expired.status_code == 400 and expired.json() == {"error": "invalid_request"}
