"""A provisioning run killed (SIGKILL) between any two of its writes: the next run converges, nothing is
lost and nothing is left behind.

The kill points come from the writes a run actually makes: a reference run of one fresh tenant lists
them (the emulator's write journal, emulator/hold.py). At each point the emulator holds that write of
the first tenant in flight, before it is served or after it was served and before its answer is sent,
and the test kills the whole playbook while it waits. Then:

- nothing lost: every Umbrella integration that holds a key holds one that authenticates;
- the next run converges every tenant: one live integration key, held by Umbrella, authenticating as
  the integration member with the required permissions; no duplicate role, member or key;
- a further run changes nothing and writes nothing.

Sizes: RELIABILITY_FULL=1 kills a 20-tenant run at every write, before and after it is served; `make test`
kills a 3-tenant run at four points (before the first write; after the member, the key and before the
Umbrella write).
"""

import time

import pytest

from rel_support import (FULL, assert_no_duplicates, integration_holds_working_key, kill_process_group, record_figure,
                         size, tenant_labels, umbrella_keys_authenticate, vendor_writes, wait_until_held)
from role.harness import Tenants, results
from support.emulator import EmulatorProcess

TENANTS = size(3, 20)
# The points `make test` kills at: (phase, route of the held write, or None for the first write).
SMALL_POINTS = (("before", None), ("after", "POST /system/apiMembers"),
                ("after", "POST /system/apiMembers/{id}/apiKeys"), ("before", "PUT /admin/v2/psa/integration"))


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


@pytest.fixture(scope="module")
def reference_writes(emulator, tmp_path_factory):
    """The vendor writes a fresh tenant's run makes, in order ("METHOD route")."""
    tenants = Tenants(emulator, tmp_path_factory.mktemp("reference"))
    tenants.add("reference", "crashref", 960000)
    emulator.control.hold(index=10 ** 6, tenants=tenant_labels(tenants, "reference"))
    try:
        run = tenants.run()
        journal = emulator.control.hold_status()["journal"]
    finally:
        emulator.control.clear_hold()
    assert run.returncode == 0, run.explain()
    assert journal and journal == [w for w in journal if not w.startswith("GET ")]
    return journal


def kill_points(writes):
    """(index of the write, phase) for every kill point of this size."""
    if FULL:
        return [(index, phase) for index in range(1, len(writes) + 1) for phase in ("before", "after")]
    points = []
    for phase, route in SMALL_POINTS:
        index = 1 if route is None else writes.index(route) + 1
        points.append((index, phase))
    return points


def test_a_run_killed_at_any_write_converges_on_the_next_run(emulator, reference_writes, tmp_path):
    # Role, member, key, Umbrella: the kill points cover each kind of write (one test, so that parallel
    # workers do not each repeat the reference run).
    for route in ("POST /system/securityRoles", "POST /system/apiMembers", "POST /system/apiMembers/{id}/apiKeys",
                  "PUT /admin/v2/psa/integration"):
        assert route in reference_writes, reference_writes
    assert len(kill_points(reference_writes)) >= size(4, 10)
    figures = []
    for number, (index, phase) in enumerate(kill_points(reference_writes)):
        write = reference_writes[index - 1]
        where = "killed %s write %d (%s)" % (phase, index, write)
        tenants = Tenants(emulator, tmp_path / ("point%02d" % number))
        for tenant in range(TENANTS):
            tenants.add("k%02dt%02d" % (number, tenant), "kill%02d-%02d" % (number, tenant),
                        961000 + 100 * number + tenant)
        first = next(iter(tenants.hosts))
        emulator.control.hold(index=index, phase=phase, tenants=tenant_labels(tenants, first))
        process = tenants.start("-f", "20")
        try:
            held = wait_until_held(emulator.control, process)
            kill_process_group(process)
        finally:
            kill_process_group(process)
            emulator.control.clear_hold()
        assert held["request"]["request"] == write, (where, held)
        # The held request's thread ends (dropped, or its answer sent to nobody), and so do requests of
        # the other tenants' killed workers that the server was still serving: a rerun racing one of
        # those would meet a second client on the same tenant, which is not the crash under test.
        time.sleep(2.0)

        if phase == "before" and write == "PUT /admin/v2/psa/integration":
            # The kill stopped the task itself (its worker too): the held write never reached Umbrella.
            assert tenants.umbrella_psa(first)["psa"] == "none", where
        umbrella_keys_authenticate(tenants)
        keys_after_kill = sum(len(tenants.integration_keys(h)) for h in tenants.hosts)

        started = time.monotonic()
        rerun = tenants.run("-f", "20")
        rerun_seconds = time.monotonic() - started
        assert rerun.returncode == 0, (where, rerun.explain())
        statuses = {h: r["status"] for h, r in results(rerun).items()}
        assert set(statuses) == set(tenants.hosts), (where, statuses)
        assert_no_duplicates(emulator.control.state())
        for host in tenants.hosts:
            integration_holds_working_key(tenants, host)

        emulator.control.reset_stats()
        quiet = tenants.run("-f", "20")
        stats = emulator.control.stats()
        assert quiet.returncode == 0, (where, quiet.explain())
        assert vendor_writes(stats) == {}, (where, vendor_writes(stats))
        assert {r["status"] for r in results(quiet).values()} == {"unchanged"}, where
        figures.append({"index": index, "phase": phase, "write": write, "keys_after_kill": keys_after_kill,
                        "rerun_statuses": sorted(set(statuses.values())), "rerun_seconds": round(rerun_seconds, 1)})
    record_figure("crash", tenants=TENANTS, writes=reference_writes, points=figures)
