"""What the reliability tests share: sizes, a closed port, emulator write counters, secret scanning."""

import os
import socket
import sys
from pathlib import Path

# The scenarios reuse the role harness of tests/integration (role.harness). Not a conftest.py: a second
# module named "conftest" would shadow the one the emulator tests import helpers from.
_INTEGRATION = str(Path(__file__).resolve().parents[1] / "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
FULL = os.environ.get("RELIABILITY_FULL", "") not in ("", "0", "false", "no")


def size(small, full):
    """The scenario size: ``full`` with RELIABILITY_FULL=1, else ``small`` (what `make test` runs)."""
    return full if FULL else small


def closed_port():
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def vendor_writes(stats):
    """Non-GET vendor requests by route, Umbrella token requests excluded (they write nothing)."""
    return {route: n for route, n in stats["by_route"].items()
            if not route.startswith("GET ") and "/auth/v2/token" not in route}


def find_secrets(texts, secrets):
    """[(where, secret label)] for every secret found in any text ({where: text})."""
    found = []
    for where, text in texts.items():
        for label, secret in secrets.items():
            if secret and secret in text:
                found.append((where, label))
    return found


# What Cisco's guide asks of the integration member (the role's default psa_role_permissions).
REQUIRED_LEVELS = {
    ("Companies", "Company Maintenance"): {"inquireLevel": "All"},
    ("Companies", "Configurations"): {"addLevel": "All", "editLevel": "All", "inquireLevel": "All"},
    ("Service Desk", "Service Tickets"): {"addLevel": "All", "editLevel": "All", "inquireLevel": "All"},
    ("System", "Table Setup"): {"addLevel": "All", "editLevel": "All", "inquireLevel": "All"},
}
FIGURES_FILE = Path(__file__).resolve().parents[2] / "build" / "reliability-figures.jsonl"


def record_figure(name, **values):
    """Append one measured figure to build/reliability-figures.jsonl (what docs/reliability.md quotes)."""
    import json
    import time
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(FIGURES_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(dict(values, scenario=name, full=FULL, at=time.strftime("%Y-%m-%dT%H:%M:%S"))) + "\n")


def assert_no_duplicates(state):
    """No company holds two roles, members or keys of one name / identifier / public key."""
    for company_id, company in state["connectwise"].items():
        for kind, field in (("roles", "name"), ("members", "identifier"), ("api_keys", "publicKey")):
            values = [str(r[field]).lower() for r in company[kind]]
            assert len(values) == len(set(values)), (company_id, kind, sorted(values))


def integration_holds_working_key(tenants, host):
    """Umbrella's PSA settings hold the member's only live key, which authenticates as the member
    and has every required permission (read back with the key itself from /system/mySecurity)."""
    from support.emulator import cw_headers, new_session  # pylint: disable=import-outside-toplevel
    keys = tenants.integration_keys(host)
    assert len(keys) == 1, (host, keys)
    psa = tenants.umbrella_psa(host)["connectwise"]
    assert (psa["publicKey"], psa["privateKey"]) == (keys[0]["publicKey"], keys[0]["privateKey"]), host
    session = new_session(tenants.emulator.ca_file)
    answer = session.get(tenants.emulator.cw_base + "/system/mySecurity", params={"pageSize": 1000}, timeout=30,
                         headers=cw_headers(tenants.hosts[host]["company_id"], psa["publicKey"], psa["privateKey"],
                                            tenants.hosts[host]["vars"]["psa_cw_client_id"]))
    assert answer.status_code == 200, (host, answer.status_code, answer.text[:300])
    rows = answer.json()
    assert rows and rows[0]["member"]["identifier"].lower() == "umbrella", host
    levels = {(r["moduleName"], r["moduleFunctionName"]): r for r in rows}
    for function, wanted in REQUIRED_LEVELS.items():
        for level, value in wanted.items():
            assert levels[function][level] == value, (host, function, level, levels[function][level])


def tenant_labels(tenants, host):
    """How the emulator names a tenant's requests (its ConnectWise company and its Umbrella org)."""
    return ["connectwise:%s" % tenants.hosts[host]["company_id"].lower(), "umbrella:%s" % tenants.hosts[host]["org_id"]]


def kill_process_group(process):
    """SIGKILL a playbook started with Tenants.start() and every task worker (support.processes)."""
    from support.processes import kill_tree  # pylint: disable=import-outside-toplevel
    kill_tree(process)


def wait_until_held(control, process, timeout=300):
    """Wait until the emulator holds the armed write; the playbook must still be running."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        status = control.hold_status()
        if status["held"]:
            return status
        assert process.poll() is None, "the playbook ended (exit %s) before the held write: %s" % (
            process.returncode, status)
        assert time.monotonic() < deadline, "no write held after %ss: %s" % (timeout, status)
        time.sleep(0.02)


def umbrella_keys_authenticate(tenants):
    """Nothing lost: every Umbrella integration that holds a key holds one that authenticates."""
    for host in tenants.hosts:
        psa = tenants.umbrella_psa(host)
        if psa.get("psa") != "connectwise":
            continue
        status, identifier = tenants.authenticate(host, psa["connectwise"]["publicKey"],
                                                  psa["connectwise"]["privateKey"])
        assert status == 200 and (identifier or "").lower() == "umbrella", (host, status, identifier)
