"""The server goes away mid-run: the emulator restarted from its state file, Umbrella tokens expired.

Both happen while a provisioning run waits on a write the emulator holds in flight (emulator/hold.py),
so the moment is the same every time. The run itself finishes: requests that meet the stopped server are
retried (the connection could not even be opened), the write whose answer died with the server is
recovered by reading back what it made, and an expired token is replaced once. Then every tenant is
converged and a further run writes nothing.
"""

import time

from rel_support import (assert_no_duplicates, integration_holds_working_key, kill_process_group, record_figure,
                         size, tenant_labels, vendor_writes, wait_until_held)
from role.harness import Tenants, results
from support.emulator import EmulatorProcess

TENANTS = size(3, 10)
RUN_TIMEOUT = 600


def add_tenants(tenants, prefix, first_org):
    for number in range(TENANTS):
        tenants.add("%s%02d" % (prefix, number), "%s%02d" % (prefix, number), first_org + number)
    return next(iter(tenants.hosts))


def finish(process):
    try:
        return process.wait(RUN_TIMEOUT)
    finally:
        kill_process_group(process)


def assert_converged_and_quiet(emulator, tenants):
    assert_no_duplicates(emulator.control.state())
    for host in tenants.hosts:
        integration_holds_working_key(tenants, host)
    emulator.control.reset_stats()
    quiet = tenants.run("-f", "20")
    assert quiet.returncode == 0, quiet.explain()
    assert vendor_writes(emulator.control.stats()) == {}
    assert {r["status"] for r in results(quiet).values()} == {"unchanged"}


def test_a_run_survives_an_emulator_restart_from_its_state_file(tmp_path):
    state_file, tls_dir = tmp_path / "state.json", tmp_path / "tls"
    emulator = EmulatorProcess(profile="extended", state_file=state_file, tls_dir=tls_dir).start()
    try:
        tenants = Tenants(emulator, tmp_path / "run")
        first = add_tenants(tenants, "rst", 962000)
        # The member is created and saved; the server stops before its answer leaves.
        emulator.control.hold(phase="after", route="POST /system/apiMembers", tenants=tenant_labels(tenants, first))
        process = tenants.start("-f", "20")
        try:
            wait_until_held(emulator.control, process)
            stopped = time.monotonic()
            assert emulator.stop() == 0
            restarted = EmulatorProcess(profile="extended", state_file=state_file, tls_dir=tls_dir,
                                        port=emulator.port).start()
            down_seconds = time.monotonic() - stopped
            tenants.emulator = emulator = restarted
            returncode = finish(process)
        finally:
            kill_process_group(process)
        assert returncode == 0, "the interrupted run failed (exit %s)" % returncode
        record_figure("restart", tenants=TENANTS, down_seconds=round(down_seconds, 1), exit_code=returncode)
        assert_converged_and_quiet(emulator, tenants)
    finally:
        emulator.stop()


def test_a_run_recovers_from_umbrella_tokens_expiring_under_it(tmp_path):
    with EmulatorProcess(profile="extended") as emulator:
        tenants = Tenants(emulator, tmp_path)
        first = add_tenants(tenants, "exp", 963000)
        # Hold the first tenant's Umbrella write, expire every token while it waits, then let it through
        # carrying its now expired token.
        emulator.control.hold(route="PUT /admin/v2/psa/integration", tenants=tenant_labels(tenants, first))
        process = tenants.start("-f", "20")
        try:
            wait_until_held(emulator.control, process)
            expired = emulator.control.expire_umbrella_tokens()["expired"]
            emulator.control.reset_stats()
            emulator.control.release_hold(apply=True)
            returncode = finish(process)
        finally:
            kill_process_group(process)
        stats = emulator.control.stats()
        record_figure("token-expiry", tenants=TENANTS, expired_tokens=expired, exit_code=returncode,
                      by_status=stats["by_status"],
                      token_requests=sum(n for r, n in stats["by_route"].items() if "/auth/v2/token" in r))
        assert expired >= 1
        assert returncode == 0, "the run did not recover from the expired token (exit %s)" % returncode
        # The held write met its expired token (400 invalid_request), a new token was issued and the
        # write repeated.
        assert stats["by_status"].get("400", 0) >= 1, stats["by_status"]
        assert any("/auth/v2/token" in route for route in stats["by_route"]), stats["by_route"]
        assert_converged_and_quiet(emulator, tenants)
