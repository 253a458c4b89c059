"""TLS verification with one CA context per bundle per process, loaded before Ansible forks its workers.

Against the emulator's real HTTPS listener: the certificates are still verified (a bundle without
the emulator's CA is refused), requests still decides which bundle applies (ca_path over the
environment's), and a process forked after ``preload_tls_context()`` loads no bundle of its own.
"""

import json
import os
import subprocess
import sys

import certifi
import pytest
import urllib3.connection

from ansible_collections.msp.umbrella_psa.plugins.module_utils import http
from support.emulator import EmulatorProcess

STATE = "/_emulator/state"


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess(profile="public") as emu:
        yield emu


@pytest.fixture
def bundle(emulator, tmp_path):
    """A bundle of public CAs with the emulator's CA among them, as a user's system store would be."""
    path = tmp_path / "bundle.pem"
    with open(certifi.where(), encoding="utf-8") as public, open(emulator.ca_file, encoding="utf-8") as own:
        path.write_text(public.read() + "\n" + own.read(), encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def fresh_contexts(monkeypatch):
    monkeypatch.setattr(http, "_TLS_CONTEXTS", {})
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def wraps(monkeypatch):
    """What urllib3 hands to ssl_wrap_socket for each new connection: a CA path to load, a context."""
    seen = []
    original = urllib3.connection.ssl_wrap_socket

    def recording(*args, **kwargs):
        seen.append({"ca_certs": kwargs.get("ca_certs"), "ssl_context": kwargs.get("ssl_context")})
        return original(*args, **kwargs)

    monkeypatch.setattr(urllib3.connection, "ssl_wrap_socket", recording)
    return seen


def get(emulator, session):
    return http.send(session, "GET", emulator.url + STATE, 10, 10, "emulator GET %s" % STATE)


def test_the_default_bundle_is_loaded_once_and_handed_to_every_connection(emulator, bundle, monkeypatch, wraps):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
    for task in ("first task", "second task"):  # a session each, as tasks have
        assert get(emulator, http.new_session()).status_code == 200, task
    context = http._TLS_CONTEXTS[bundle]
    assert list(http._TLS_CONTEXTS) == [bundle]
    assert [w["ca_certs"] for w in wraps] == [None, None]
    assert all(w["ssl_context"] is context for w in wraps)
    assert context.check_hostname and context.verify_mode == http.ssl.CERT_REQUIRED


def test_a_server_outside_the_bundle_is_refused(emulator, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # public CAs only
    with pytest.raises(http.TransportError) as info:
        get(emulator, http.new_session())
    assert "TLS" in str(info.value) and "ca_path" in str(info.value)
    assert certifi.where() in http._TLS_CONTEXTS


def test_ca_path_wins_over_the_environment(emulator, monkeypatch, wraps):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    assert get(emulator, http.new_session(ca_path=emulator.ca_file)).status_code == 200
    assert list(http._TLS_CONTEXTS) == [emulator.ca_file]
    assert wraps[0]["ssl_context"] is http._TLS_CONTEXTS[emulator.ca_file] and wraps[0]["ca_certs"] is None


def test_an_unverified_session_loads_no_bundle(emulator, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    assert get(emulator, http.new_session(validate_certs=False)).status_code == 200
    assert http._TLS_CONTEXTS == {}


def test_an_unreadable_ca_path_fails_as_requests_reports_it(emulator, tmp_path):
    missing = str(tmp_path / "missing-ca.pem")
    with pytest.raises(OSError, match="invalid path: %s" % missing):
        get(emulator, http.new_session(ca_path=missing))


# Run in a process of its own, single-threaded as ansible-playbook's main thread forks its workers
# (the test runner's threads would make a fork here unsafe).
WORKER_SCRIPT = """
import json, multiprocessing, os, sys
import urllib3.connection
from ansible_collections.msp.umbrella_psa.plugins.module_utils import http

url, mode = sys.argv[1], sys.argv[2]
if mode == "preload":
    http.preload_tls_context()
reader, writer = os.pipe()


def worker():
    report = {"built": 0}
    try:
        if mode == "preload-in-worker":
            http.preload_tls_context()
            report["contexts"] = len(http._TLS_CONTEXTS)
        original = http.create_urllib3_context

        def counting(*args, **kwargs):
            report["built"] += 1
            return original(*args, **kwargs)

        http.create_urllib3_context = counting
        urllib3.connection.create_urllib3_context = counting
        report["status"] = http.send(http.new_session(), "GET", url, 10, 10, "GET state").status_code
    except Exception as exc:
        report["error"] = repr(exc)
    os.write(writer, json.dumps(report).encode())


# Ansible's workers are multiprocessing processes forked from ansible-playbook.
process = multiprocessing.get_context("fork").Process(target=worker)
process.start()
process.join()
os.close(writer)
with os.fdopen(reader) as pipe:
    sys.stdout.write(pipe.read())
"""


def in_forked_worker(emulator, bundle, mode):
    """Like an Ansible worker: one request in a process forked after ``mode``; what it had to build."""
    env = dict(os.environ, REQUESTS_CA_BUNDLE=bundle, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    env.pop("CURL_CA_BUNDLE", None)
    done = subprocess.run([sys.executable, "-c", WORKER_SCRIPT, emulator.url + STATE, mode], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_worker_forked_after_the_preload_builds_no_context(emulator, bundle):
    assert in_forked_worker(emulator, bundle, "none") == {"built": 1, "status": 200}
    assert in_forked_worker(emulator, bundle, "preload") == {"built": 0, "status": 200}


def test_a_worker_does_not_preload(emulator, bundle):
    # Imported first in a worker (no strategy loaded the plugin before the fork), the preload would
    # serve that one task: it is left to the request, which loads only the bundle it needs.
    assert in_forked_worker(emulator, bundle, "preload-in-worker") == {"contexts": 0, "built": 1, "status": 200}
