"""The emulator process itself: readiness, faults, latency, state file, clean stop."""

import json
import subprocess
import sys
import time

import pytest
import requests

from conftest import CLIENT_ID, seed_tenant
from support.emulator import REPO_ROOT, EmulatorProcess, new_session


@pytest.fixture(scope="module")
def faulty():
    """A private emulator: faults are process-wide and must not leak into other tests."""
    with EmulatorProcess(profile="extended") as emulator:
        yield emulator


@pytest.fixture
def faulty_tenant(faulty):
    faulty.control.clear_faults()
    yield seed_tenant(faulty)
    faulty.control.clear_faults()


def test_next_n_faults_then_recovery(faulty_tenant):
    faulty_tenant.emulator.control.set_faults({"next": {"status": 503, "count": 3}, "retry_after": 2})
    statuses = [faulty_tenant.get("/system/securityRoles").status_code for _unused in range(4)]
    assert statuses == [503, 503, 503, 200]


def test_429_carries_retry_after(faulty_tenant):
    faulty_tenant.emulator.control.set_faults({"next": {"status": 429, "count": 1}, "retry_after": 7})
    limited = faulty_tenant.get("/system/securityRoles")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    # The control API itself is never faulted.
    assert faulty_tenant.emulator.control.request("GET", "health").status_code == 200


def test_forever_and_clear(faulty_tenant):
    control = faulty_tenant.emulator.control
    control.set_faults({"forever": {"status": 502}})
    assert {faulty_tenant.get("/system/securityRoles").status_code for _unused in range(3)} == {502}
    control.clear_faults()
    assert faulty_tenant.get("/system/securityRoles").status_code == 200


def test_dropped_connection_sends_nothing(faulty_tenant):
    faulty_tenant.emulator.control.set_faults({"next": {"status": "drop", "count": 1}})
    with pytest.raises(requests.ConnectionError):
        faulty_tenant.get("/system/securityRoles")
    assert faulty_tenant.get("/system/securityRoles").status_code == 200


def test_seeded_rates_are_reproducible(faulty_tenant):
    control = faulty_tenant.emulator.control

    def run():
        control.set_faults({"rate": {"5xx": 0.3, "429": 0.2}, "seed": 42})
        return [faulty_tenant.get("/system/securityRoles").status_code for _unused in range(30)]

    first, second = run(), run()
    assert first == second
    assert {200, 429, 503} == set(first)


def test_seeded_faults_replay_per_tenant_whatever_the_interleaving(faulty):
    control = faulty.control
    control.clear_faults()
    first, second = seed_tenant(faulty), seed_tenant(faulty)
    spec = {"rate": {"5xx": 0.3, "429": 0.2}, "statuses_5xx": [502, 503, 504], "seed": 7}

    # 60 requests a tenant: each 5xx status has a 10 % chance a request, so all three show up in the
    # 120 (the tenants' names, and so their fault sequences, are random; 40 missed one now and then).
    def statuses(tenant, count=60):
        return [tenant.get("/system/securityRoles").status_code for _unused in range(count)]

    control.set_faults(spec)
    one_after_the_other = (statuses(first), statuses(second))
    control.set_faults(spec)
    interleaved = ([], [])
    for _unused in range(60):
        interleaved[1].extend(statuses(second, 1))
        interleaved[0].extend(statuses(first, 1))
    control.clear_faults()
    assert interleaved == one_after_the_other
    assert one_after_the_other[0] != one_after_the_other[1]
    assert {502, 503, 504} <= set(one_after_the_other[0] + one_after_the_other[1])


@pytest.mark.parametrize("fault", ["drop", 502, 504])
def test_a_fault_after_apply_serves_the_request_and_loses_the_answer(faulty_tenant, fault):
    control = faulty_tenant.emulator.control
    control.set_faults({"next": {"status": fault, "count": 1}, "after_apply": 1})
    if fault == "drop":
        with pytest.raises(requests.ConnectionError):
            faulty_tenant.post("/system/securityRoles", {"name": "Applied %s" % fault})
    else:
        assert faulty_tenant.post("/system/securityRoles", {"name": "Applied %s" % fault}).status_code == fault
    names = [r["name"] for r in faulty_tenant.get("/system/securityRoles").json()]
    assert "Applied %s" % fault in names


def test_a_fault_before_apply_changes_nothing(faulty_tenant):
    faulty_tenant.emulator.control.set_faults({"next": {"status": 502, "count": 1}})
    assert faulty_tenant.post("/system/securityRoles", {"name": "Never"}).status_code == 502
    assert "Never" not in [r["name"] for r in faulty_tenant.get("/system/securityRoles").json()]


def test_latency_is_applied(faulty_tenant):
    faulty_tenant.emulator.control.set_faults({"latency_ms": [250, 250]})
    started = time.monotonic()
    assert faulty_tenant.get("/system/securityRoles").status_code == 200
    assert time.monotonic() - started >= 0.25


def test_state_file_survives_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with EmulatorProcess(profile="extended", state_file=state_file) as first:
        tenant = seed_tenant(first)
        role = tenant.post("/system/securityRoles", {"name": "Persisted"}).json()
        member = tenant.post("/system/apiMembers", {"identifier": "keeper", "securityRole": {"id": role["id"]}}).json()
        key = tenant.post("/system/apiMembers/%d/apiKeys" % member["id"], {"description": "kept"}).json()
        assert json.loads(state_file.read_text())["tenants"][tenant.company_id]
    assert first.process.returncode == 0
    with EmulatorProcess(profile="extended", state_file=state_file) as second:
        tenant.emulator, tenant.base = second, second.cw_base
        tenant.session = new_session(second.ca_file)
        assert [r["name"] for r in tenant.get("/system/securityRoles").json()] == ["Admin", "Persisted"]
        mine = tenant.get("/system/mySecurity", {"pageSize": 1}, public_key=key["publicKey"],
                          private_key=key["privateKey"])
        assert mine.status_code == 200 and mine.json()[0]["member"]["identifier"] == "keeper"
        # Ids keep counting where they stopped.
        assert tenant.post("/system/securityRoles", {"name": "Next"}).json()["id"] == role["id"] + 1


def test_a_restart_on_the_same_port_and_tls_dir_keeps_the_certificate_its_clients_trust(tmp_path):
    tls_dir = tmp_path / "tls"
    with EmulatorProcess(profile="extended", tls_dir=tls_dir) as first:
        port, ca = first.port, (tls_dir / "ca.pem").read_bytes()
        session = new_session(first.ca_file)
        assert session.get(first.url + "/_emulator/health", timeout=10).status_code == 200
    with EmulatorProcess(profile="extended", tls_dir=tls_dir, port=port) as second:
        assert second.port == port and (tls_dir / "ca.pem").read_bytes() == ca
        # The session of the first process still trusts the second.
        assert session.get(second.url + "/_emulator/health", timeout=10).status_code == 200


def test_ready_line_on_stdout_and_clean_sigterm(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "emulator", "--profile", "public", "--port", "0",
                                "--plain-http"], cwd=str(REPO_ROOT), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        document = json.loads(process.stdout.readline())
        assert document["url"] == "http://127.0.0.1:%d" % document["port"]
        assert document["profile"] == "public" and document["ca_file"] is None
        session = new_session()
        company = {"company_id": "plain", "public_key": "p" * 16, "private_key": "s" * 16, "client_id": CLIENT_ID}
        assert session.post(document["url"] + "/_emulator/tenants", json={"connectwise": company}).status_code == 201
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        process.stdout.close()
        process.stderr.close()


def test_keep_alive_and_content_length(tenant):
    session = tenant.session
    first = tenant.get("/system/securityRoles")
    second = tenant.get("/system/securityRoles/count")
    assert first.headers["Content-Length"] == str(len(first.content))
    assert second.headers["Content-Length"] == str(len(second.content))
    pool = session.get_adapter(tenant.base).poolmanager
    # Both requests went through one pooled keep-alive connection.
    assert sum(p.num_connections for p in pool.pools._container.values()) == 1
    role = tenant.post("/system/securityRoles", {"name": "D"}).json()
    deleted = tenant.delete("/system/securityRoles/%d" % role["id"])
    assert deleted.status_code == 204 and deleted.headers["Content-Length"] == "0"
