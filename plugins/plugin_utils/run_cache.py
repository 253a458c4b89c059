# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run cache: Umbrella tokens and immutable server facts shared by the tasks of one run.

Every task runs in a worker process that Ansible forks afresh, so what one task learns (an Umbrella
token, a ConnectWise company's codebase or catalogue) would die with it. The in-process entry point
hands a ``RunCache`` to the clients it builds (``engine.build_clients``); the cache talks to the run's
keeper process (run_cache_keeper.py), which it starts on first use. It has the interface of
``module_utils/json_client.NoRunCache``, the no-op cache a module run on another host gets.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import sys
import time

from ansible_collections.msp.umbrella_psa.plugins.plugin_utils import run_cache_keeper as keeper

START_TIMEOUT = 5.0
# How long a value is kept when the caller gives no lifetime.
VALUE_SECONDS = 3600


class RunCache:
    """The run's cache, client side: ``get(key)``, ``put(key, token, expires_at)``...; a failure means "no cache".

    ``expires_at`` is wall-clock time (``time.time()``), since the value crosses processes.
    ``get_value(key)`` and ``put_value(key, value, lifetime)`` hold any JSON value the same way.
    """

    # What is put here outlives the task: the next task (another fork) reuses it.
    lasting = True

    def __init__(self, run_pid=None):
        # Ansible forks each task's worker from the ansible-playbook process, whose pid names the run.
        self.run_pid = run_pid or os.getppid()
        self._path = None
        self._disabled = False

    def _call(self, message):
        if self._disabled:
            return None
        try:
            if self._path is None:
                self._path = self._ensure_keeper()
            return keeper.request(self._path, message)
        except (OSError, ValueError):
            # The cache is an optimisation: without it every task requests its own token.
            self._disabled = True
            return None

    def get(self, key):
        answer = self._call({"op": "get", "key": key}) or {}
        token, expires_at = answer.get("token"), answer.get("expires_at")
        if token and expires_at and expires_at > time.time():
            return token, expires_at
        return None

    def put(self, key, token, expires_at):
        self._call({"op": "put", "key": key, "token": token, "expires_at": expires_at})

    def drop(self, key):
        self._call({"op": "drop", "key": key})

    def claim(self, key, seconds=keeper.CLAIM_SECONDS):
        """The token, or who fetches a missing one: ``(token, expires_at)``, ``"fetch"`` or ``"wait"``.

        The first caller to find no token is told to fetch it (for ``seconds`` at most, until its
        ``put`` or ``release``, or until its process is gone); the callers after it are told to wait
        and ask again. Without a keeper every caller fetches its own.
        """
        answer = self._call({"op": "claim", "key": key, "seconds": seconds, "pid": os.getpid()}) or {}
        token, expires_at = answer.get("token"), answer.get("expires_at")
        if token and expires_at and expires_at > time.time():
            return token, expires_at
        return "wait" if answer.get("wait") else "fetch"

    def release(self, key):
        """Give up a claim without a token (the fetch failed): the next caller fetches."""
        self._call({"op": "release", "key": key})

    def get_value(self, key):
        """The value filed under ``key``, or None (unknown, expired, or no keeper)."""
        answer = self._call({"op": "vget", "key": key}) or {}
        return answer.get("value")

    def put_value(self, key, value, lifetime=VALUE_SECONDS):
        self._call({"op": "vput", "key": key, "value": value, "expires_at": time.time() + lifetime})

    def _ensure_keeper(self):
        path = keeper.socket_path(self.run_pid)
        if keeper.alive(path):
            return path
        # One keeper per run: the lock serialises the forks that all arrive at once.
        lock_path = path + ".lock"
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            import fcntl
            fcntl.flock(fd, fcntl.LOCK_EX)
            if not keeper.alive(path):
                self._start_keeper(path)
        finally:
            os.close(fd)
        return path

    def _start_keeper(self, path):
        if os.path.exists(path):
            os.unlink(path)  # left by a keeper that was killed; it held no secret
        with open(os.devnull, "r+b") as devnull:
            subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, os.path.abspath(keeper.__file__), "serve", path, str(self.run_pid)],
                stdin=devnull, stdout=devnull, stderr=devnull, close_fds=True,
                start_new_session=True, env={"PATH": os.environ.get("PATH", "")})
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if keeper.alive(path):
                return
            time.sleep(0.02)
        raise OSError("run cache keeper did not start")
