"""Two runs at once over the same tenants: one run provisions a tenant at a time, and no key is revoked
while the key store or the console lacks the key that succeeds it.

Real ansible-playbook processes against the real emulator:

- a plain run and a rotation started at the same moment: both end well (the later one waited, naming the
  other), and every tenant has one live key, the very key its key store and its console hold;
- a run killed (SIGKILL) while it holds the tenants' locks: the next run takes them over, says so, converges;
- a run that waits with a small psa_lock_timeout gives up, naming the run it waited for and the variable;
- a rotation started while a write of another run is held in flight: no revoked key in store or console.
"""

import json
import subprocess
import threading
import time

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from rel_support import (assert_no_duplicates, integration_holds_working_key, kill_process_group, record_figure,
                         tenant_labels, wait_until_held)
from role.harness import VAULT_PASSWORD, Tenants, results
from support.ansible_runner import BIN_DIR, REPO_ROOT, AnsibleRun, ansible_env
from support.emulator import EmulatorProcess

TENANTS = 3


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="extended") as emu:
        yield emu


def seed(emulator, tmp_path, prefix, base):
    tenants = Tenants(emulator, tmp_path)
    for number in range(TENANTS):
        tenants.add("%s%02d" % (prefix, number), "%s-%02d" % (prefix, number), base + number)
    return tenants


class Background:
    """ansible-playbook over the tenants' inventory in the background, its output captured (json callback)."""

    def __init__(self, tenants, *args, extra=None):
        command = [str(BIN_DIR / "ansible-playbook"), "msp.umbrella_psa.provision_tenants", "-i",
                   str(tenants.inventory), "-e", "@%s" % tenants._vars_file(extra), *args]
        self.process = subprocess.Popen(command, cwd=str(REPO_ROOT), env=ansible_env(tenants.env(True)),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True)
        self.pid = self.process.pid
        self._output = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        self._output["stdout"], self._output["stderr"] = self.process.communicate()

    def finish(self, timeout=600):
        self._reader.join(timeout)
        assert not self._reader.is_alive(), "the playbook did not end within %ss" % timeout
        stdout = self._output.get("stdout") or ""
        start = stdout.find("{")
        data = json.loads(stdout[start:]) if start >= 0 else {}
        return AnsibleRun(self.process.returncode, stdout, self._output.get("stderr") or "", data)

    def kill(self):
        kill_process_group(self.process)
        self._reader.join(30)


def lock_holder(tenants, host):
    path = tenants.key_store / ".locks" / ("%s.lock" % host)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def stored_key(tenants, host):
    """(public, private) of the tenant's key store as it is on disk."""
    store = yaml.safe_load((tenants.key_store / ("%s.yml" % host)).read_text())
    private = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))]).decrypt(store["private_key_vault"])
    return store["public_key"], private.decode()


def assert_one_key_everywhere(tenants):
    """One live key per tenant, and the key store and the console hold that very key."""
    assert_no_duplicates(tenants.state())
    for host in tenants.hosts:
        integration_holds_working_key(tenants, host)  # one live key, the console's, which works
        live = tenants.integration_keys(host)[0]
        assert stored_key(tenants, host) == (live["publicKey"], live["privateKey"]), host


def assert_ended_well_or_named_the_holder(run, other_pid):
    """Exit 0, or every failed tenant failed naming the run it waited for and psa_lock_timeout."""
    if run.returncode == 0:
        assert {r["status"] for r in results(run).values()} <= {"created", "changed", "unchanged"}, run.explain()
        return
    for host, result in results(run).items():
        if result["status"] == "failed":
            assert "pid %d" % other_pid in result["message"] and "psa_lock_timeout" in result["message"], (
                host, result["message"])


def test_a_run_and_a_rotation_at_once_leave_one_live_key_held_everywhere(emulator, tmp_path):
    tenants = seed(emulator, tmp_path, "both", 972000)
    assert tenants.run().returncode == 0  # provisioned: the rotation has a key to replace
    plain = Background(tenants, "-f", "10")
    rotation = Background(tenants, "-f", "10", extra={"psa_rotate_key": True})
    first, second = plain.finish(), rotation.finish()
    assert_ended_well_or_named_the_holder(first, rotation.pid)
    assert_ended_well_or_named_the_holder(second, plain.pid)
    assert first.returncode == 0 and second.returncode == 0, (first.explain(), second.explain())
    # One of them waited for the other, and said whom for.
    waited = [(run, other) for run, other in ((first, rotation.pid), (second, plain.pid))
              if "waiting up to 300 s (psa_lock_timeout)" in run.stderr]
    assert waited, (first.stderr[-2000:], second.stderr[-2000:])
    for run, other in waited:
        assert "pid %d" % other in run.stderr, run.stderr[-2000:]
    assert_one_key_everywhere(tenants)
    assert all(lock_holder(tenants, host) is None for host in tenants.hosts)  # released
    # The rotation rotated every tenant (whether it ran first or second): its result says so.
    assert {r["status"] for r in results(second).values()} == {"changed"}, results(second)


def test_a_killed_runs_locks_are_taken_over_by_the_next_run(emulator, tmp_path):
    tenants = seed(emulator, tmp_path, "kill", 973000)
    first = next(iter(tenants.hosts))
    emulator.control.hold(index=1, phase="after", route="POST /system/apiMembers/{id}/apiKeys",
                          tenants=tenant_labels(tenants, first))
    killed = Background(tenants, "-f", "10")
    try:
        wait_until_held(emulator.control, killed.process)
        assert lock_holder(tenants, first)["pid"] == killed.pid
    finally:
        killed.kill()
        emulator.control.clear_hold()
    time.sleep(1.0)  # the held request's thread ends
    assert all(lock_holder(tenants, host)["pid"] == killed.pid for host in tenants.hosts)
    started = time.monotonic()
    rerun = tenants.run("-f", "10")
    seconds = time.monotonic() - started
    assert rerun.returncode == 0, rerun.explain()
    assert "took over the lock held by a run that is no longer running, pid %d" % killed.pid in rerun.stdout, (
        rerun.stdout[-3000:])
    assert_one_key_everywhere(tenants)
    assert all(lock_holder(tenants, host) is None for host in tenants.hosts)
    record_figure("hold-kill-takeover", tenants=TENANTS, rerun_seconds=round(seconds, 1))


def test_a_waiting_run_gives_up_after_psa_lock_timeout_naming_the_holder(emulator, tmp_path):
    tenants = seed(emulator, tmp_path, "wait", 974000)
    first = next(iter(tenants.hosts))
    emulator.control.hold(index=1, phase="before", tenants=tenant_labels(tenants, first))
    holder = Background(tenants, "-f", "10")
    try:
        wait_until_held(emulator.control, holder.process)
        before = tenants.cw_state(first), tenants.umbrella_psa(first)
        started = time.monotonic()
        waiting = tenants.run("-f", "10", extra={"psa_lock_timeout": 3})
        seconds = time.monotonic() - started
        # The first tenant's write is held, so its run stands still there: the waiting run wrote nothing to it.
        assert (tenants.cw_state(first), tenants.umbrella_psa(first)) == before
    finally:
        emulator.control.release_hold(apply=True)
    done = holder.finish()
    assert done.returncode == 0, done.explain()
    assert waiting.returncode != 0
    outcome = results(waiting)
    assert set(outcome) == set(tenants.hosts)
    for host, result in outcome.items():
        assert result["status"] == "failed" and result["failed_task"] == "Take the tenant's lock", (host, result)
        message = result["message"]
        assert "\n" not in message
        for part in ("tenant %s" % host, "another run, pid %d" % holder.pid, "psa_lock_timeout",
                     "gave up waiting after 3 s", "msp.umbrella_psa.provision_tenants"):
            assert part in message, (part, message)
    assert "waiting up to 3 s (psa_lock_timeout)" in waiting.stderr and "pid %d" % holder.pid in waiting.stderr
    assert seconds < 60, seconds
    assert_one_key_everywhere(tenants)
    record_figure("hold-lock-timeout", tenants=TENANTS, timeout=3, waiting_run_seconds=round(seconds, 1))


@pytest.mark.parametrize("number, route", [(0, "POST /system/apiMembers/{id}/apiKeys"),
                                           (1, "PUT /admin/v2/psa/integration")])
def test_a_rotation_started_while_a_write_is_in_flight_revokes_no_key_in_use(emulator, tmp_path, number, route):
    tenants = seed(emulator, tmp_path, "fly%d" % number, 975000 + 100 * number)
    assert tenants.run().returncode == 0
    first = next(iter(tenants.hosts))
    # The first run rotates too: its write of the first tenant's new key (or its push to Umbrella) is held.
    emulator.control.hold(index=1, phase="before", route=route, tenants=tenant_labels(tenants, first))
    held_run = Background(tenants, "-f", "10", extra={"psa_rotate_key": True})
    try:
        wait_until_held(emulator.control, held_run.process)
        second = Background(tenants, "-f", "10", extra={"psa_rotate_key": True})
        time.sleep(8.0)
        second_waited = second.process.poll() is None
        holders = [(lock_holder(tenants, host) or {}).get("pid") for host in tenants.hosts]
    finally:
        emulator.control.release_hold(apply=True)
    runs = held_run.finish(), second.finish()
    for run in runs:
        assert run.returncode == 0, run.explain()
    # Neither the key store nor the console holds a revoked key: one live key, held by both.
    assert_one_key_everywhere(tenants)
    # The second run waited for the first, which held its tenants' locks while the write was held, and said so.
    assert second_waited and holders == [held_run.pid] * TENANTS, (second_waited, holders)
    assert "waiting up to 300 s" in runs[1].stderr and "pid %d" % held_run.pid in runs[1].stderr


def test_no_key_is_revoked_when_the_key_store_no_longer_holds_its_successor(emulator, tmp_path):
    # Someone writes the key store between the push to Umbrella and the revocation (a run of an older
    # version, a restore from backup): the check just before the revocation reads the file again.
    tenants = seed(emulator, tmp_path, "guard", 976000)
    assert tenants.run().returncode == 0
    first = next(iter(tenants.hosts))
    old_store = (tenants.key_store / ("%s.yml" % first)).read_text()
    old_key = tenants.integration_keys(first)[0]
    emulator.control.hold(index=1, phase="after", route="PUT /admin/v2/psa/integration",
                          tenants=tenant_labels(tenants, first))
    rotation = Background(tenants, "-f", "10", extra={"psa_rotate_key": True})
    try:
        wait_until_held(emulator.control, rotation.process)
        (tenants.key_store / ("%s.yml" % first)).write_text(old_store)
    finally:
        emulator.control.release_hold()
    run = rotation.finish()
    assert run.returncode == 0, run.explain()
    assert "previous keys not revoked: the key store" in run.stdout + run.stderr, run.explain()
    # The old key, which the key store holds again, was not revoked; the other tenants rotated as usual.
    assert old_key["publicKey"] in [k["publicKey"] for k in tenants.integration_keys(first)]
    assert stored_key(tenants, first) == (old_key["publicKey"], old_key["privateKey"])
    for host in list(tenants.hosts)[1:]:
        integration_holds_working_key(tenants, host)
    # The next run finds the server's newest key missing from the store, replaces it and converges.
    rerun = tenants.run("-f", "10")
    assert rerun.returncode == 0, rerun.explain()
    assert_one_key_everywhere(tenants)
