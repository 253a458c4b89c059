"""Convergence in one run under injected faults, and retries that stay bounded.

Sizes: RELIABILITY_FULL=1 runs the full set (100 tenants), else the small one (10) that `make test` runs;
both under the full fault mix.
"""

import re
import time

import pytest

from rel_support import (PLAYBOOKS, assert_no_duplicates, integration_holds_working_key, record_figure, size,
                         vendor_writes)
from role.harness import Tenants, results
from support.ansible_runner import run_playbook
from support.emulator import EmulatorProcess

# The fault mix: 10 % 5xx (502, 503, 504), 5 % 429 with Retry-After, 2 % dropped connections,
# 50-200 ms latency. Half of the drops and 502/504 come after the server applied the request (its answer is
# lost), the case the clients recover from by reading back what the write made. Seeded per tenant and
# request (emulator/faults.py), so a failing run replays with the same faults.
FAULTS = {"rate": {"5xx": 0.10, "429": 0.05, "drop": 0.02}, "statuses_5xx": [502, 503, 504], "after_apply": 0.5,
          "retry_after": 1, "latency_ms": [50, 200], "seed": 7}


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


def test_tenants_converge_under_faults(emulator, tmp_path):
    count = size(10, 100)
    tenants = Tenants(emulator, tmp_path)
    for number in range(count):
        tenants.add("t%03d" % number, "flt%03d" % number, 770000 + number)
    emulator.control.set_faults(FAULTS)
    emulator.control.reset_stats()
    started = time.monotonic()
    try:
        run = tenants.run("-f", "20")
    finally:
        faulted = emulator.control.stats()
        emulator.control.clear_faults()
    elapsed = time.monotonic() - started
    outcome = results(run)
    failed = {h: r["message"][:300] for h, r in outcome.items() if r["status"] == "failed"}
    record_figure("faults", tenants=count, runs=1, failed_tenants=len(failed),
                  failure_messages=sorted(set(failed.values()))[:10], requests=faulted["total"],
                  by_status=faulted["by_status"], lost_answers=lost_answers(faulted),
                  seconds=round(elapsed, 1))
    # One run converges every tenant: a lost answer costs a read, never a failed tenant.
    assert run.returncode == 0 and not failed, "failed tenants: %s" % failed
    assert len(outcome) == count
    assert lost_answers(faulted) > 0, faulted["by_status"]  # the run did meet answers lost on the way back

    state = emulator.control.state()
    assert_no_duplicates(state)
    for host in tenants.hosts:
        integration_holds_working_key(tenants, host)

    emulator.control.reset_stats()
    quiet = tenants.run("-f", "20")
    assert quiet.returncode == 0, quiet.explain()
    stats = emulator.control.stats()
    # The only non-GET requests are Umbrella token requests, which write nothing.
    assert sum(n for m, n in stats["by_method"].items() if m != "GET") == vendor_token_posts(stats)
    assert vendor_writes(stats) == {}
    assert {r["status"] for r in results(quiet).values()} == {"unchanged"}
    record_figure("faults-quiet-rerun", tenants=count, requests=stats["total"], by_method=stats["by_method"])


def lost_answers(stats):
    """Faults that left the client unsure whether its request was applied (drops, 502, 504)."""
    return sum(stats["by_status"].get(status, 0) for status in ("drop", "502", "504"))


def vendor_token_posts(stats):
    return sum(n for route, n in stats["by_route"].items() if "/auth/v2/token" in route)


def test_retries_stay_bounded_against_503_forever(emulator, tmp_path):
    company = "bounded"
    seeded = emulator.control.create_tenant(name="bounded", connectwise={"company_id": company, "client_id": "c1"})
    cw = {"site": emulator.url.split("://", 1)[1], "company_id": company, "client_id": "c1",
          "public_key": seeded["connectwise"]["public_key"], "private_key": seeded["connectwise"]["private_key"],
          "ca_path": emulator.ca_file}
    emulator.control.set_faults({"forever": {"status": 503}, "retry_after": 1})
    emulator.control.reset_stats()
    try:
        started = time.monotonic()
        run = run_playbook(PLAYBOOKS / "bounded.yml", extra_vars={"cw": cw, "retry_max_time": 5})
        elapsed = time.monotonic() - started
        result = run.result("Role lookup against a server that answers 503 forever")
        task_seconds = float(run.result("Elapsed")["ansible_facts"]["elapsed_seconds"])
    finally:
        stats = emulator.control.stats()
        emulator.control.clear_faults()
    record_figure("bounded-retries", retry_max_time=5, playbook_seconds=round(elapsed, 1), task_seconds=task_seconds,
                  attempts=stats["total"], message=result.get("msg"))
    assert result["failed"] is True
    message = result["msg"]
    # It names the request (the first one a client sends is the codebase lookup) and the last status.
    assert re.search(r"ConnectWise GET /\S+ failed", message) and "last answer: 503" in message, message
    assert "\n" not in message.strip()
    # The task itself (measured in the play) stops within retry_max_time plus one request and slack.
    assert task_seconds is not None and task_seconds <= 5 + 5, (task_seconds, message)
    assert 2 <= stats["total"] <= 20, stats
