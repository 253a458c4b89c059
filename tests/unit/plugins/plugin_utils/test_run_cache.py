"""The run cache and its keeper: a real keeper process over a real Unix socket."""

import os
import stat
import subprocess
import sys
import time

import pytest

from ansible_collections.msp.umbrella_psa.plugins.plugin_utils import run_cache, run_cache_keeper


@pytest.fixture
def run_process():
    """A stand-in for the ansible-playbook process whose lifetime bounds the keeper's."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def wait_for(predicate, seconds=5.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_tokens_are_shared_between_independent_clients(run_process):
    first = run_cache.RunCache(run_pid=run_process.pid)
    second = run_cache.RunCache(run_pid=run_process.pid)
    assert first.get("k1") is None
    expires = time.time() + 600
    first.put("k1", "tok-1", expires)
    assert second.get("k1") == ("tok-1", expires)
    assert second.get("other") is None
    second.drop("k1")
    assert first.get("k1") is None


def test_expired_tokens_are_not_returned(run_process):
    store = run_cache.RunCache(run_pid=run_process.pid)
    store.put("k", "old", time.time() - 1)
    assert store.get("k") is None


def test_keeper_leaves_with_the_run_and_removes_its_socket(run_process):
    store = run_cache.RunCache(run_pid=run_process.pid)
    store.put("k", "tok", time.time() + 600)
    path = run_cache_keeper.socket_path(run_process.pid)
    assert os.path.exists(path)
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert os.path.exists(path + ".lock")
    run_process.kill()
    run_process.wait()
    assert wait_for(lambda: not os.path.exists(path)), "keeper outlived the run"
    # The lock file goes too: one run after another must not fill the directory.
    assert wait_for(lambda: not os.path.exists(path + ".lock")), "lock file left behind"


def test_a_keeper_sweeps_what_killed_keepers_of_ended_runs_left(run_process):
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    other_run = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        folder = run_cache_keeper.private_dir()
        left = [os.path.join(folder, "tokens-%d.sock%s" % (ended.pid, suffix)) for suffix in ("", ".lock")]
        living = [os.path.join(folder, "tokens-%d.sock.lock" % other_run.pid)]
        unrelated = [os.path.join(folder, "notes-%d.txt" % ended.pid)]
        for name in left + living + unrelated:
            with open(name, "w"):
                pass
        run_cache.RunCache(run_pid=run_process.pid).put("k", "tok", time.time() + 600)
        assert wait_for(lambda: not any(os.path.exists(name) for name in left)), "ended run's files kept"
        # A run still going keeps its lock; files that are not a keeper's are not touched.
        assert all(os.path.exists(name) for name in living + unrelated)
    finally:
        other_run.kill()
        other_run.wait()
        for name in living + unrelated:
            os.unlink(name)


def test_one_keeper_per_run_even_when_many_clients_start_at_once(run_process):
    stores = [run_cache.RunCache(run_pid=run_process.pid) for _unused in range(8)]
    for index, store in enumerate(stores):
        store.put("k%d" % index, "t%d" % index, time.time() + 600)
    # Every client sees every other client's token: they all talk to the same keeper.
    assert [stores[0].get("k%d" % i)[0] for i in range(8)] == ["t%d" % i for i in range(8)]
    keepers = subprocess.run(["pgrep", "-f", "run_cache_keeper.py serve .*tokens-%d.sock" % run_process.pid],
                             capture_output=True, text=True, check=False).stdout.split()
    assert len(keepers) == 1


def test_an_unusable_cache_degrades_to_no_cache(monkeypatch):
    store = run_cache.RunCache(run_pid=1)

    def broken():
        raise OSError("no socket for you")

    monkeypatch.setattr(store, "_ensure_keeper", broken)
    assert store.get("k") is None
    store.put("k", "t", time.time() + 60)  # must not raise
    assert store.get("k") is None


def test_values_are_shared_between_independent_clients(run_process):
    first = run_cache.RunCache(run_pid=run_process.pid)
    second = run_cache.RunCache(run_pid=run_process.pid)
    assert first.get_value("v") is None
    catalogue = [{"id": i, "category": "Company", "name": "Screen %d" % i} for i in range(2000)]
    first.put_value("v", catalogue)
    assert second.get_value("v") == catalogue
    # Values and tokens live apart: a value is never handed out as a token.
    assert second.get("v") is None
    first.put_value("short", "x", lifetime=-1)
    assert second.get_value("short") is None


def test_one_caller_fetches_a_missing_token_while_the_others_wait(run_process):
    first, second = (run_cache.RunCache(run_pid=run_process.pid) for _unused in range(2))
    assert first.claim("k") == "fetch"
    assert second.claim("k") == "wait"
    assert first.claim("k") == "wait"  # a second ask by the fetcher itself does not fetch twice
    expires = time.time() + 600
    first.put("k", "tok", expires)
    assert second.claim("k") == ("tok", expires)
    # Claims are per key.
    assert second.claim("other") == "fetch"


def test_a_released_or_expired_claim_lets_the_next_caller_fetch(run_process):
    store = run_cache.RunCache(run_pid=run_process.pid)
    assert store.claim("k") == "fetch"
    store.release("k")
    assert store.claim("k") == "fetch"
    assert store.claim("short", seconds=0.2) == "fetch"
    assert store.claim("short") == "wait"
    assert wait_for(lambda: store.claim("short") == "fetch", seconds=3.0)


def test_the_claim_of_a_fetcher_that_died_lets_the_next_caller_fetch_at_once(run_process):
    path = run_cache_keeper.socket_path(run_process.pid)
    store = run_cache.RunCache(run_pid=run_process.pid)
    assert store.claim("alive") == "fetch"
    # Another worker claims the token and is killed before it puts or releases it.
    fetcher = subprocess.run(
        [sys.executable, "-c", "import json, sys; sys.path.insert(0, %r); import run_cache_keeper; "
         "print(json.dumps(run_cache_keeper.request(%r, {'op': 'claim', 'key': 'k', 'pid': __import__('os').getpid()})))"
         % (os.path.dirname(run_cache_keeper.__file__), path)],
        capture_output=True, text=True, check=True)
    assert '"fetch": true' in fetcher.stdout
    assert store.claim("k") == "fetch"  # not "wait" for a minute
    # A fetcher that is alive keeps its claim.
    assert run_cache.RunCache(run_pid=run_process.pid).claim("alive") == "wait"


def test_without_a_keeper_every_caller_fetches(monkeypatch):
    store = run_cache.RunCache(run_pid=1)

    def broken():
        raise OSError("no socket for you")

    monkeypatch.setattr(store, "_ensure_keeper", broken)
    assert store.claim("k") == "fetch"
    store.release("k")  # must not raise
