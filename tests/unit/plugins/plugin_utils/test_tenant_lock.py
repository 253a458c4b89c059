"""The tenant lock: one run per tenant, a killed run's lock taken over, a bounded wait naming the holder.

Runs are stood in for by real processes (``sleep``): their pid and start time are what a lock records.
"""

import json
import os
import socket
import subprocess
import sys

import pytest

from ansible_collections.msp.umbrella_psa.plugins.plugin_utils import tenant_lock


@pytest.fixture
def other_run():
    """A live process standing for another ansible-playbook run; its holder record."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield tenant_lock.this_run(pid=process.pid)
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def ended_run():
    """The holder record of a run that has ended (killed)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    record = tenant_lock.this_run(pid=process.pid)
    process.wait()
    return record


def me():
    return tenant_lock.this_run(pid=os.getpid())


def lock_file(directory, tenant):
    return os.path.join(str(directory), ".locks", tenant + ".lock")


def test_a_free_lock_is_taken_naming_the_run_and_released(tmp_path):
    taken = tenant_lock.acquire(str(tmp_path), "acme", 5, me=me())
    assert taken["waited"] < 1 and taken["taken_over"] == {}
    record = json.loads(open(lock_file(tmp_path, "acme")).read())
    assert record["pid"] == os.getpid() and record["host"] == socket.gethostname()
    assert {"user", "since", "playbook", "pid_started"} <= set(record) and record["tenant"] == "acme"
    assert oct(os.stat(str(tmp_path / ".locks")).st_mode & 0o777) == "0o700"
    # Taken again by the same run: kept (every task of a run may ask).
    assert tenant_lock.acquire(str(tmp_path), "acme", 0, me=me())["taken_over"] == {}
    assert tenant_lock.release(str(tmp_path), "acme", me=me())[0] is True
    assert not os.path.exists(lock_file(tmp_path, "acme"))


def test_a_live_holder_is_waited_for_then_named_with_the_variable(tmp_path, other_run):
    tenant_lock.acquire(str(tmp_path), "acme", 0, me=other_run)
    notices = []
    with pytest.raises(tenant_lock.LockTimeout) as raised:
        tenant_lock.acquire(str(tmp_path), "acme", 1, me=me(), notify=notices.append, poll=0.1)
    message = str(raised.value)
    assert "\n" not in message
    for part in ("tenant acme", "pid %d" % other_run["pid"], other_run["user"], other_run["host"],
                 other_run["since"], "psa_lock_timeout", "gave up waiting after 1 s"):
        assert part in message, (part, message)
    # Said once, whom it waits for.
    assert len(notices) == 1 and "waiting up to 1 s" in notices[0] and "pid %d" % other_run["pid"] in notices[0]
    # Still the holder's.
    assert json.loads(open(lock_file(tmp_path, "acme")).read())["pid"] == other_run["pid"]


def test_the_lock_of_a_killed_run_is_taken_over_and_said(tmp_path, ended_run):
    tenant_lock.acquire(str(tmp_path), "acme", 0, me=ended_run)
    taken = tenant_lock.acquire(str(tmp_path), "acme", 0, me=me())
    assert taken["taken_over"]["acme"]["pid"] == ended_run["pid"]
    assert json.loads(open(lock_file(tmp_path, "acme")).read())["pid"] == os.getpid()


def test_a_pid_given_to_another_process_is_not_the_holder(tmp_path, other_run):
    reused = dict(other_run, pid_started=(other_run["pid_started"] or 0) + 12345)
    assert tenant_lock.is_stale(reused)
    assert not tenant_lock.is_stale(other_run)


def test_a_holder_on_another_host_is_waited_for(ended_run):
    # Its process cannot be checked from here, whatever this host's pids say.
    assert not tenant_lock.is_stale(dict(ended_run, host="another-controller"))


def test_an_unreadable_lock_is_taken_over(tmp_path):
    os.makedirs(str(tmp_path / ".locks"))
    with open(lock_file(tmp_path, "acme"), "w") as handle:
        handle.write("{not json")
    assert "acme" in tenant_lock.acquire(str(tmp_path), "acme", 0, me=me())["taken_over"]


def test_a_batch_is_claimed_together_or_not_at_all(tmp_path, other_run):
    # Two runs at once over the same tenants: the first claim takes every free lock of the batch ...
    tenant_lock.acquire(str(tmp_path), "t1", 0, together=["t1", "t2", "t3"], me=other_run)
    for tenant in ("t1", "t2", "t3"):
        assert json.loads(open(lock_file(tmp_path, tenant)).read())["pid"] == other_run["pid"]
    # ... so the other run holds none of them while it waits (no run waits for another that waits for it).
    tenant_lock.release(str(tmp_path), "t3", me=other_run)
    notices = []
    with pytest.raises(tenant_lock.LockTimeout):
        tenant_lock.acquire(str(tmp_path), "t1", 0.3, together=["t1", "t2", "t3"], me=me(), notify=notices.append,
                            poll=0.1)
    assert not os.path.exists(lock_file(tmp_path, "t3"))
    # t3 is free but t1 is not: t3 waits for the whole batch, and is taken alone once the bound has passed.
    taken = tenant_lock.acquire(str(tmp_path), "t3", 0.3, together=["t1", "t2", "t3"], me=me(), notify=notices.append,
                                poll=0.1)
    assert taken["waited"] >= 0.3
    assert "the lock of tenant t1" in notices[-1]
    assert json.loads(open(lock_file(tmp_path, "t3")).read())["pid"] == os.getpid()


def test_release_leaves_another_runs_lock(tmp_path, other_run):
    tenant_lock.acquire(str(tmp_path), "acme", 0, me=other_run)
    released, holder = tenant_lock.release(str(tmp_path), "acme", me=me())
    assert released is False and holder["pid"] == other_run["pid"]
    assert os.path.exists(lock_file(tmp_path, "acme"))


@pytest.mark.parametrize("name", ["../x", "a/../../b", ".hidden", "..", ""])
def test_a_name_that_would_leave_the_locks_directory_is_refused(tmp_path, name):
    with pytest.raises(tenant_lock.LockError) as raised:
        tenant_lock.acquire(str(tmp_path), name, 0, me=me())
    assert "inventory_hostname" in str(raised.value) and "rename the inventory host" in str(raised.value)
    assert os.listdir(str(tmp_path / ".locks")) in ([], [".gate"])
    assert os.listdir(str(tmp_path)) == [".locks"]


def test_a_missing_key_store_directory_is_made_0700(tmp_path):
    tenant_lock.acquire(str(tmp_path / "keys"), "acme", 0, me=me())
    assert oct(os.stat(str(tmp_path / "keys")).st_mode & 0o777) == "0o700"


@pytest.mark.parametrize("directory", ["", "keys", "./keys"])
def test_a_relative_or_empty_directory_is_refused_naming_the_variable(directory):
    with pytest.raises(tenant_lock.LockError) as raised:
        tenant_lock.acquire(directory, "acme", 0, me=me())
    assert str(raised.value).startswith("psa_key_store_dir ") and "absolute directory" in str(raised.value)


def test_the_run_is_the_parent_of_a_task_worker():
    import multiprocessing
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    worker = context.Process(target=lambda: queue.put(tenant_lock.run_pid()))
    worker.start()
    assert queue.get(timeout=10) == os.getpid()
    worker.join(10)


def test_check_mode_waits_for_a_holder_but_writes_nothing(tmp_path, other_run):
    # No directory yet: nothing to wait for, and nothing is made.
    assert tenant_lock.acquire(str(tmp_path / "keys"), "acme", 0, me=me(), take=False)["waited"] == 0
    assert not (tmp_path / "keys").exists()
    tenant_lock.acquire(str(tmp_path), "acme", 0, me=other_run)
    with pytest.raises(tenant_lock.LockTimeout):
        tenant_lock.acquire(str(tmp_path), "acme", 0.2, me=me(), take=False, poll=0.1)
    tenant_lock.acquire(str(tmp_path), "bravo", 0, together=["acme", "bravo"], me=me(), take=False)
    assert sorted(os.listdir(str(tmp_path / ".locks"))) == [".gate", "acme.lock"]


def test_a_bad_name_in_the_batch_does_not_fail_the_other_tenants(tmp_path):
    tenant_lock.acquire(str(tmp_path), "acme", 0, together=["acme", "../x", "bravo"], me=me())
    assert sorted(os.listdir(str(tmp_path / ".locks"))) == [".gate", "acme.lock", "bravo.lock"]


def test_a_lock_only_claimed_with_the_batch_is_taken_over_silently(tmp_path, ended_run):
    # The killed run claimed t2 with t1 but t2's own task never took it (or t2's key store is elsewhere).
    tenant_lock.acquire(str(tmp_path), "t1", 0, together=["t1", "t2"], me=ended_run)
    assert json.loads(open(lock_file(tmp_path, "t2")).read())["claimed"] is True
    assert json.loads(open(lock_file(tmp_path, "t1")).read())["claimed"] is False
    taken = tenant_lock.acquire(str(tmp_path), "t2", 0, together=["t1", "t2"], me=me())
    assert set(taken["taken_over"]) == {"t1"}  # the lock t1's task held is reported; t2's claim is not
    # The tenant's own task confirms a claimed lock.
    assert json.loads(open(lock_file(tmp_path, "t1")).read())["claimed"] is True
    tenant_lock.acquire(str(tmp_path), "t1", 0, together=["t1", "t2"], me=me())
    assert json.loads(open(lock_file(tmp_path, "t1")).read())["claimed"] is False


def test_a_lock_that_cannot_be_read_is_an_error_not_taken_over(tmp_path, monkeypatch):
    store = tmp_path / "keys"
    tenant_lock.acquire(str(store), "acme", timeout=1, me=me())
    real_open = open

    def refused(path, *args, **kwargs):
        if str(path).endswith("acme" + tenant_lock.SUFFIX):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refused)
    with pytest.raises(tenant_lock.LockError, match="could not read the lock .*Permission denied"):
        tenant_lock.acquire(str(store), "acme", timeout=1, me=tenant_lock.this_run(pid=1))


def test_releasing_where_no_lock_directory_exists_creates_nothing(tmp_path):
    assert tenant_lock.release(str(tmp_path / "keys"), "acme", me=me()) == (False, None)
    assert not (tmp_path / "keys").exists()
