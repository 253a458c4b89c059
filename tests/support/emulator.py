"""Start the real emulator process for tests and tools, and drive its control API.

Usage::

    from support.emulator import EmulatorProcess

    with EmulatorProcess(profile="extended") as emu:          # python -m emulator --port 0 ...
        emu.control.create_tenant(connectwise={...}, umbrella={...})
        requests.get(emu.cw_base + "/system/apiMembers", verify=emu.ca_file, headers=...)

``tests/`` is on ``sys.path`` under pytest (it holds the root conftest.py), so ``support`` is importable.
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
CW_API_PREFIX = "/v4_6_release/apis/3.0"


class EmulatorStartError(RuntimeError):
    pass


class ControlClient:
    """A small client of the emulator's /_emulator/ control API."""

    def __init__(self, url, ca_file=None):
        self.url = url.rstrip("/")
        self.session = new_session(ca_file)

    def request(self, method, path, body=None, expect=None):
        response = self.session.request(method, "%s/_emulator/%s" % (self.url, path.lstrip("/")),
                                        json=body, timeout=30)
        if expect is not None and response.status_code != expect:
            raise AssertionError("control %s %s answered %d: %s" % (method, path, response.status_code,
                                                                    response.text[:500]))
        return response

    def create_tenant(self, name=None, connectwise=None, umbrella=None):
        body = {}
        if name is not None:
            body["name"] = name
        if connectwise is not None:
            body["connectwise"] = connectwise
        if umbrella is not None:
            body["umbrella"] = umbrella
        return self.request("POST", "tenants", body, expect=201).json()

    def state(self):
        return self.request("GET", "state", expect=200).json()

    def reset(self):
        return self.request("POST", "reset", {}, expect=200).json()

    def stats(self):
        return self.request("GET", "stats", expect=200).json()

    def reset_stats(self):
        return self.request("POST", "stats/reset", {}, expect=200).json()

    def set_faults(self, spec):
        return self.request("POST", "faults", spec, expect=200).json()

    def clear_faults(self):
        return self.request("DELETE", "faults", expect=200).json()

    def cw_role_settings(self, company_id, role, settings=None, customize=None):
        body = {"settings": settings or []}
        if customize is not None:
            body["customize"] = customize
        return self.request("POST", "connectwise/%s/roles/%s/settings" % (company_id, role), body, expect=200).json()

    def cw_member_key(self, company_id, member_identifier, description):
        return self.request("POST", "connectwise/%s/members/%s/keys" % (company_id, member_identifier),
                            {"description": description}, expect=201).json()

    def cw_bulk_members(self, company_id, count, prefix="bulk"):
        return self.request("POST", "connectwise/%s/bulk-members" % company_id,
                            {"count": count, "prefix": prefix}, expect=201).json()

    def umbrella_psa_form(self, org_id, form):
        return self.request("POST", "umbrella/%s/psa" % org_id, form, expect=200).json()

    def hold(self, index=1, phase="before", route=None, tenants=None):
        """Hold the index-th matching vendor write in flight (emulator/hold.py); its status."""
        spec = {"index": index, "phase": phase}
        if route is not None:
            spec["route"] = route
        if tenants is not None:
            spec["tenants"] = list(tenants)
        return self.request("POST", "hold", spec, expect=200).json()

    def hold_status(self):
        return self.request("GET", "hold", expect=200).json()

    def release_hold(self, apply=None, answer=True):
        body = {"answer": answer}
        if apply is not None:
            body["apply"] = apply
        return self.request("POST", "hold/release", body, expect=200).json()

    def clear_hold(self):
        return self.request("DELETE", "hold", expect=200).json()

    def expire_umbrella_tokens(self):
        return self.request("POST", "umbrella/tokens/expire", {}, expect=200).json()

    def psa_sync(self, org_id):
        """Run Umbrella's sync of one console now (emulator/umbrella_sync.py); its report."""
        return self.request("POST", "umbrella/%s/psa/sync" % org_id, {}, expect=200).json()

    def last_psa_sync(self, org_id):
        """The report of the console's last sync (AssertionError: none yet, 404)."""
        return self.request("GET", "umbrella/%s/psa/sync" % org_id, expect=200).json()

    def botnet_events(self, org_id, customer_id, identity, count):
        return self.request("POST", "umbrella/%s/botnet-events" % org_id,
                            {"customerId": customer_id, "identity": identity, "count": count}, expect=200).json()

    def advance_clock(self, hours):
        """Move the emulator's clock forward; ``{"now", "offset_hours"}``."""
        return self.request("POST", "clock", {"advance_hours": hours}, expect=200).json()


def new_session(ca_file=None):
    """A Session that trusts the emulator's CA.

    ``trust_env`` is off because requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override
    ``Session.verify``, and because loopback traffic must never go through a proxy.
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_file if ca_file else True
    return session


def cw_headers(company_id, public_key, private_key, client_id="00000000-0000-4000-8000-000000000001",
               api_version="2025.1"):
    """The headers a ConnectWise integration sends."""
    token = base64.b64encode(("%s+%s:%s" % (company_id, public_key, private_key)).encode()).decode()
    return {
        "Authorization": "Basic " + token,
        "clientId": client_id,
        "Accept": "application/vnd.connectwise.com+json; version=%s" % api_version,
    }


class EmulatorProcess:
    """One ``python -m emulator`` process on a free loopback port."""

    def __init__(self, profile="extended", state_file=None, extra_args=(), python=None, env=None, port=0,
                 tls_dir=None):
        self.profile = profile
        self.state_file = state_file
        # A restart keeps its address and certificate when given the port and TLS directory it had.
        self.fixed_port = port
        self.tls_dir = tls_dir
        self.extra_args = list(extra_args)
        self.python = python or sys.executable
        self.env = env
        self.process = None
        self.url = self.ca_file = self.port = None
        self.control = None
        self._workdir = None
        self.log_file = None

    @property
    def cw_base(self):
        return self.url + CW_API_PREFIX

    def start(self, timeout=30):
        self._workdir = tempfile.mkdtemp(prefix="emulator-test-")
        ready_file = os.path.join(self._workdir, "ready.json")
        command = [self.python, "-m", "emulator", "--profile", self.profile, "--port", str(self.fixed_port),
                   "--ready-file", ready_file, "--tls-dir", str(self.tls_dir or os.path.join(self._workdir, "tls"))]
        if self.state_file:
            command += ["--state-file", str(self.state_file)]
        command += self.extra_args
        self.log_file = os.path.join(self._workdir, "stderr.log")
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(command, cwd=str(REPO_ROOT), stdout=subprocess.DEVNULL, stderr=log,
                                            env=self.env)
        deadline = time.monotonic() + timeout
        while not os.path.exists(ready_file):
            if self.process.poll() is not None:
                raise EmulatorStartError("emulator exited with %s: %s" % (self.process.returncode, self.stderr()))
            if time.monotonic() > deadline:
                self.stop()
                raise EmulatorStartError("emulator not ready after %ss: %s" % (timeout, self.stderr()))
            time.sleep(0.05)
        with open(ready_file, encoding="utf-8") as handle:
            document = json.load(handle)
        self.url, self.ca_file, self.port = document["url"], document["ca_file"], document["port"]
        self.control = ControlClient(self.url, self.ca_file)
        return self

    def stderr(self):
        try:
            with open(self.log_file, encoding="utf-8", errors="replace") as handle:
                return handle.read()[-4000:]
        except (OSError, TypeError):
            return ""

    def stop(self, timeout=10):
        """SIGTERM, then wait; returns the exit code (killed after ``timeout`` seconds)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        # Its ready file, log and (unless tls_dir was given) its TLS key and CA: nothing to keep once
        # the block is done, and one directory per emulator a suite starts adds up.
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
