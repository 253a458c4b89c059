"""Each ConnectWise write of a fresh tenant applied and its answer lost: the same run carries on.

A creating POST is read back by its natural key (a key, whose private half was in the lost answer, is
deleted and made again); a PATCH that gives the same result however often it is applied is sent again.

The random fault mix (test_rel_faults.py) meets these cases by chance; here each is made to happen,
once per route: the emulator holds the tenant's write after serving it, then closes the connection
without an answer (emulator/hold.py). The run must exit 0 and leave exactly one role, member and key,
the key Umbrella holds working; a further run writes nothing.
"""

import pytest

from rel_support import (assert_no_duplicates, integration_holds_working_key, kill_process_group, record_figure,
                         tenant_labels, vendor_writes, wait_until_held)
from role.harness import Tenants, results
from support.emulator import EmulatorProcess

WRITES = ("POST /system/securityRoles", "PATCH /system/securityRoles/{id}/settings",
          "PATCH /system/securityRoles/{id}/customizeItems", "POST /system/apiMembers",
          "POST /system/apiMembers/{id}/apiKeys")


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


@pytest.mark.parametrize("route", WRITES)
def test_a_write_whose_answer_is_lost_is_finished_in_the_same_run(emulator, tmp_path, route):
    number = WRITES.index(route)
    tenants = Tenants(emulator, tmp_path)
    tenants.add("lost%d" % number, "lost%d" % number, 964000 + number)
    host = next(iter(tenants.hosts))
    emulator.control.hold(phase="after", route=route, tenants=tenant_labels(tenants, host))
    emulator.control.reset_stats()
    process = tenants.start()
    try:
        wait_until_held(emulator.control, process)
        emulator.control.release_hold(answer=False)
        returncode = process.wait(300)
    finally:
        kill_process_group(process)
        emulator.control.clear_hold()
    stats = emulator.control.stats()
    record_figure("lost-answer", route=route, exit_code=returncode, by_route=vendor_writes(stats))
    assert returncode == 0, "the run did not recover from the lost answer of %s" % route
    assert stats["by_status"].get("drop") == 1, stats["by_status"]

    assert_no_duplicates(emulator.control.state())
    integration_holds_working_key(tenants, host)
    company = tenants.cw_state(host)
    assert [r["name"] for r in company["roles"]].count("Umbrella") == 1
    role = next(r for r in company["roles"] if r["name"] == "Umbrella")
    assert len(role["customize"]) == len({i["itemIdentifier"] for i in role["customize"]}) == 3
    if route.endswith("/apiKeys"):
        # The key whose answer was lost was deleted, a second one created: two POSTs, one DELETE.
        writes = vendor_writes(stats)
        assert writes[route] == 2 and writes[route.replace("POST ", "DELETE ") + "/{id}"] == 1, writes

    emulator.control.reset_stats()
    quiet = tenants.run()
    assert quiet.returncode == 0, quiet.explain()
    assert vendor_writes(emulator.control.stats()) == {}
    assert {r["status"] for r in results(quiet).values()} == {"unchanged"}
