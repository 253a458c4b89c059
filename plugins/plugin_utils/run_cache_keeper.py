# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keeper of a run cache: one process per run that holds its Umbrella tokens and server facts in memory.

Umbrella grants 20 token requests a minute per API key. Every task runs in a worker process that
Ansible forks afresh, so a per-process cache dies with each task: one parent-console key serving a
thousand child orgs would need a thousand tokens and spend fifty minutes waiting for them.

The first task that needs the cache starts this keeper (see run_cache.py, the client side), which
holds tokens and values in memory and answers on a Unix socket in a private directory (mode 0700,
owned by the user). It exits as soon as the ansible-playbook process it serves is gone, or after a
quiet spell, and removes its socket; nothing is written to disk but the socket itself. Tokens are
filed under a digest of base URL, API key *and* secret, so only a caller that knows the secret can
ask for a token. The lock file that lets one task start the keeper goes with it when the run has
ended; a keeper sweeps away what keepers of runs that have ended left behind (killed before they
could tidy up).

Values are facts read from a server that do not change during a run (a ConnectWise company's
codebase, its setup screens catalogue, the functions a key sees); they are never secrets, and one
that belongs to one credential is filed under a digest that includes its secret
(see ``plugins/module_utils/connectwise.py``).

Run as a script (``python run_cache_keeper.py serve SOCKET WATCH_PID``) it is the keeper itself; it
imports nothing but the standard library, since it runs outside Ansible.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import json
import os
import re
import socket
import stat
import sys
import tempfile
import threading
import time

# How long the keeper waits for a request before it concludes the run has moved on. A safety net
# only: the watch on the ansible-playbook process ends it with the run. It must outlast the longest
# gap between two tasks that use the keeper: with the linear strategy over a thousand tenants, the
# tasks between two ConnectWise tasks take well over 15 minutes.
IDLE_SECONDS = 4 * 3600
# How often the keeper checks that the ansible-playbook process is still alive.
WATCH_INTERVAL = 1.0
# A value (a catalogue of a few hundred rows) may be larger than a token.
MAX_MESSAGE = 4 * 1024 * 1024
# How long the other tasks of a run wait for the one task that fetches a missing token before they
# fetch their own (the fetching task may have died, or be waiting out Umbrella's rate limit).
CLAIM_SECONDS = 60.0


def private_dir():
    """A directory only this user can enter; refuse one that someone else could read or replace."""
    path = os.path.join(tempfile.gettempdir(), "msp-umbrella-psa-%d" % os.getuid())
    try:
        os.mkdir(path, 0o700)
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise OSError("unsafe run cache directory %s (must be a directory owned by you, mode 0700)" % path)
    return path


def socket_path(run_pid):
    return os.path.join(private_dir(), "tokens-%d.sock" % run_pid)


# What a keeper leaves in the private directory: its socket and the lock its run started it under.
_RUN_FILE = re.compile(r"tokens-([0-9]+)\.sock(\.lock)?$")


def request(path, message):
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(2.0)
        conn.connect(path)
        conn.sendall(json.dumps(message).encode("utf-8") + b"\n")
        return json.loads(_read_line(conn) or "{}")
    finally:
        conn.close()


def _read_line(conn):
    chunks, size = [], 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_MESSAGE:
            raise ValueError("message too long")
        if chunk.endswith(b"\n"):
            break
    return b"".join(chunks).decode("utf-8").strip()


def alive(path):
    try:
        return request(path, {"op": "ping"}).get("ok") is True
    except (OSError, ValueError):
        return False


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


class Keeper:
    """The keeper process: a dict of tokens and one of values behind a Unix socket."""

    def __init__(self, path, watch_pid):
        self.path = path
        self.watch_pid = watch_pid
        self.tokens = {}
        self.values = {}
        # key -> (time until which one caller is fetching that token, that caller's pid) (claim).
        self.claims = {}
        self.lock = threading.Lock()
        self.last_request = time.time()

    def answer(self, message):
        op = message.get("op")
        now = time.time()
        with self.lock:
            self.last_request = now
            if op == "ping":
                return {"ok": True}
            key = message.get("key")
            if not isinstance(key, str):
                return {"error": "key"}
            if op == "get":
                token, expires_at = self.tokens.get(key, (None, 0))
                return {"token": token, "expires_at": expires_at} if expires_at > now else {}
            if op == "put":
                self.tokens[key] = (str(message.get("token")), float(message.get("expires_at") or 0))
                self.claims.pop(key, None)
                return {"ok": True}
            if op == "claim":
                token, expires_at = self.tokens.get(key, (None, 0))
                if expires_at > now:
                    return {"token": token, "expires_at": expires_at}
                until, holder = self.claims.get(key, (0, None))
                # A fetcher killed before its put or release (SIGKILL, the OOM killer) does not make
                # the run wait out its claim: the next caller fetches at once.
                if until > now and (holder is None or pid_alive(holder)):
                    return {"wait": True}
                pid = message.get("pid")
                self.claims[key] = (now + float(message.get("seconds") or CLAIM_SECONDS),
                                    pid if isinstance(pid, int) and pid > 0 else None)
                return {"fetch": True}
            if op == "release":
                self.claims.pop(key, None)
                return {"ok": True}
            if op == "drop":
                self.tokens.pop(key, None)
                return {"ok": True}
            if op == "vget":
                value, expires_at = self.values.get(key, (None, 0))
                return {"value": value} if expires_at > now else {}
            if op == "vput":
                self.values[key] = (message.get("value"), float(message.get("expires_at") or 0))
                return {"ok": True}
        return {"error": "op"}

    def serve(self):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            server.bind(self.path)
        finally:
            os.umask(old_umask)
        server.listen(64)
        server.settimeout(WATCH_INTERVAL)
        try:
            # Beside the answers, not before them: the task that started this keeper is waiting.
            threading.Thread(target=self.sweep_ended_runs, daemon=True).start()
            while pid_alive(self.watch_pid) and time.time() - self.last_request < IDLE_SECONDS:
                try:
                    conn, _addr = server.accept()
                except socket.timeout:
                    continue
                threading.Thread(target=self._handle, args=(conn,), daemon=True).start()
        finally:
            server.close()
            _unlink(self.path)
            # Only once the run has ended: while it lives, a task may be waiting on this lock, and a
            # new lock file beside the one it holds would let two tasks start two keepers.
            if not pid_alive(self.watch_pid):
                _unlink(self.path + ".lock")

    def sweep_ended_runs(self):
        """Remove the sockets and lock files of runs that have ended (their keepers were killed)."""
        folder = os.path.dirname(self.path)
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            match = _RUN_FILE.match(name)
            if match and int(match.group(1)) != self.watch_pid and not pid_alive(int(match.group(1))):
                _unlink(os.path.join(folder, name))

    def _handle(self, conn):
        try:
            conn.settimeout(5.0)
            reply = self.answer(json.loads(_read_line(conn) or "{}"))
            conn.sendall(json.dumps(reply).encode("utf-8") + b"\n")
        except (OSError, ValueError):
            pass
        finally:
            conn.close()


def main(argv):
    if len(argv) != 4 or argv[1] != "serve":
        sys.stderr.write("usage: run_cache_keeper.py serve SOCKET WATCH_PID\n")
        return 2
    Keeper(argv[2], int(argv[3])).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
