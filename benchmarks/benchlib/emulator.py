"""The emulator as a subprocess of the benchmark, and a small client of its control API."""

import json
import os
import signal
import subprocess
import sys
import time

import requests


class EmulatorProcess:
    """``python -m emulator --profile <p> --port 0 --ready-file F``, stopped on exit of the block."""

    def __init__(self, repo_root, work_dir, profile="extended", python=sys.executable, startup_timeout=60):
        self.repo_root = repo_root
        self.work_dir = work_dir
        self.profile = profile
        self.python = python
        self.startup_timeout = startup_timeout
        self.process = None
        self.ready = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        ready_file = os.path.join(self.work_dir, "emulator-ready.json")
        if os.path.exists(ready_file):
            os.remove(ready_file)
        log = open(os.path.join(self.work_dir, "emulator.log"), "wb")
        self.process = subprocess.Popen(
            [self.python, "-m", "emulator", "--profile", self.profile, "--port", "0", "--ready-file", ready_file],
            cwd=self.repo_root, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while not os.path.exists(ready_file):
            if self.process.poll() is not None:
                raise RuntimeError("the emulator exited with %s before it was ready (see %s)"
                                   % (self.process.returncode, log.name))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator was not ready within %ss" % self.startup_timeout)
            time.sleep(0.05)
        with open(ready_file, encoding="utf-8") as handle:
            self.ready = json.load(handle)
        return self.ready

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def cpu_s(self):
        """CPU seconds the emulator has used so far (it serves every phase; not part of a phase's cost)."""
        try:
            with open("/proc/%d/stat" % self.process.pid, "rb") as handle:
                stat = handle.read()
        except OSError:
            return None
        fields = stat[stat.rfind(b")") + 2:].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks


def new_session(ca_file):
    """A Session trusting the emulator's CA only; REQUESTS_CA_BUNDLE and proxies of the
    environment are ignored (trust_env off), loopback traffic goes nowhere else."""
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_file
    return session


class ControlClient:
    """The emulator's /_emulator/ API (never a vendor surface)."""

    def __init__(self, url, ca_file):
        self.url = url.rstrip("/")
        self.session = new_session(ca_file)

    def _call(self, method, path, body=None):
        response = self.session.request(method, self.url + "/_emulator" + path, json=body, timeout=120)
        if response.status_code >= 400:
            raise RuntimeError("emulator control %s %s: %s %s" % (method, path, response.status_code, response.text))
        return response.json() if response.content else None

    def add_tenant(self, spec):
        return self._call("POST", "/tenants", spec)

    def state(self):
        return self._call("GET", "/state")

    def stats(self):
        return self._call("GET", "/stats")

    def reset_stats(self):
        return self._call("POST", "/stats/reset")

    def reset(self):
        return self._call("POST", "/reset")
