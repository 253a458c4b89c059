# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One run provisions a tenant at a time: a lock file per tenant on the controller.

Two runs over the same tenants (a CI apply and a scheduled rotation) would otherwise each create,
store, push and revoke keys, and each revoke the key the other just handed to Umbrella. The lock
spans the tenant's whole provisioning, across tasks that each run in a worker process Ansible forks
afresh, so it belongs to the *run* (the ansible-playbook process), not to a worker.

A lock is a small JSON file ``<directory>/.locks/<tenant>.lock`` naming its holder: the run's pid and
the time that process started (so that a pid the system has since given to another process is not
mistaken for the holder), host, user, when it took the lock and the playbook. Every look at the
locks, and every change to them, happens under a short ``flock`` on ``.locks/.gate``: the system
drops that one when its holder dies, so a killed run never blocks the gate. A run killed (SIGKILL)
while it holds tenants' locks leaves their files behind; the next run finds the holder's process gone
(on this host) and takes them over, saying so. A holder on another host (a key store on shared
storage) cannot be checked and is waited for; the message names its host.

The tenants of one batch are claimed together: two runs started at once over the same tenants must
not each take some of them, as each would then wait for the other (with the linear strategy no tenant
of a run moves on until all of its tenants have their lock). A tenant's worker takes every free lock
of the batch or none; only when the bound has passed does it take its own lock alone if that is free.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import errno
import fcntl
import json
import os
import socket
import tempfile
import time

from ansible_collections.msp.umbrella_psa.plugins.module_utils.tenant_paths import (
    TenantPathError, check_directory, check_tenant_name, ensure_directory)

try:
    import pwd
except ImportError:  # pragma: no cover - POSIX controllers only
    pwd = None

LOCKS_SUBDIR = ".locks"
GATE_NAME = ".gate"
SUFFIX = ".lock"
# How often a waiting worker looks again.
POLL_SECONDS = 0.5
# The variable that bounds the wait, named in the message of a run that gives up.
TIMEOUT_VARIABLE = "psa_lock_timeout"


class LockError(Exception):
    """A lock that cannot be taken; the message is one line, meant for the operator."""


class LockTimeout(LockError):
    def __init__(self, message, holder):
        super(LockTimeout, self).__init__(message)
        self.holder = holder


def process_started(pid):
    """The start time of ``pid`` (clock ticks since boot, from /proc), or None where it cannot be read."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            stat = handle.read().decode("ascii", "replace")
    except (IOError, OSError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count from its closing one.
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        return int(fields[19])  # field 22 of stat(5)
    except (IndexError, ValueError):
        return None


def process_alive(pid, started=None):
    """Whether ``pid`` is a live process and, when ``started`` is known, the same one that took the lock."""
    try:
        os.kill(pid, 0)
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            return False
        # EPERM: alive, owned by someone else.
    if started is not None:
        now_started = process_started(pid)
        if now_started is not None and now_started != started:
            return False  # the pid was given to another process since
    return True


def run_pid():
    """The ansible-playbook process of this run: the parent of a task's worker, or this process."""
    import multiprocessing
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None else os.getpid()


def _user():
    if pwd is not None:
        try:
            return pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            pass
    return str(os.getuid())


def _playbooks():
    try:
        from ansible import context
        playbooks = context.CLIARGS.get("args") or ()
    except Exception:  # pylint: disable=broad-except
        playbooks = ()
    return " ".join(playbooks) or "-"


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def this_run(pid=None):
    """The holder record of this run."""
    pid = pid or run_pid()
    return {"pid": pid, "pid_started": process_started(pid), "host": socket.gethostname(), "user": _user(),
            "since": _now(), "playbook": _playbooks()}


def same_run(holder, me):
    return (holder.get("pid") == me["pid"] and holder.get("host") == me["host"]
            and holder.get("pid_started") == me["pid_started"])


def describe(holder):
    """``pid 123 of bob on ctl since 2026-01-01T10:00:00Z (playbook site.yml)``"""
    return "pid %s of %s on %s since %s (playbook %s)" % (
        holder.get("pid", "?"), holder.get("user", "?"), holder.get("host", "?"), holder.get("since", "?"),
        holder.get("playbook", "?"))


def is_stale(holder, host=None):
    """A lock whose run is known to be gone: on this host, its process has ended (or is another one now)."""
    if not isinstance(holder, dict) or not isinstance(holder.get("pid"), int):
        return True  # unreadable: nobody can be waited for
    if holder.get("host") != (host or socket.gethostname()):
        return False
    return not process_alive(holder["pid"], holder.get("pid_started"))


def check_name(tenant):
    """A tenant name usable as a file name in the locks directory (the inventory host name)."""
    try:
        return check_tenant_name(tenant)
    except TenantPathError as exc:
        raise LockError(str(exc))


def locks_dir(directory):
    """``<directory>/.locks``, created mode 0700 (with the directory itself) when missing; an existing one is left as it is."""
    try:
        path = os.path.join(check_directory(directory, "psa_key_store_dir"), LOCKS_SUBDIR)
        # The key store directory too, when this is the first thing to make it: mode 0700, as the store wants.
        ensure_directory(path, 0o700)
    except TenantPathError as exc:
        raise LockError(str(exc))
    except OSError as exc:
        raise LockError("could not create the locks directory %s: %s" % (
            os.path.join(str(directory), LOCKS_SUBDIR), exc.strerror or exc))
    return path


def _usable(tenant):
    try:
        check_tenant_name(tenant)
    except TenantPathError:
        return False
    return True


class Locks(object):
    """The locks of one directory, looked at and changed only under the gate."""

    def __init__(self, directory, me=None, create=True):
        if create:
            self.dir = locks_dir(directory)
        else:
            # Looked at only (check mode): a directory that does not exist holds no lock, and is not made.
            try:
                path = os.path.join(check_directory(directory, "psa_key_store_dir"), LOCKS_SUBDIR)
            except TenantPathError as exc:
                raise LockError(str(exc))
            self.dir = path if os.path.isdir(path) else None
        self.me = me or this_run()

    def _path(self, tenant):
        return os.path.join(self.dir, check_name(tenant) + SUFFIX)

    def _gate(self):
        path = os.path.join(self.dir, GATE_NAME)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LockError("could not open %s: %s" % (path, exc.strerror or exc))
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def holder(self, tenant):
        """The record in the tenant's lock file; None when there is none, {} when it cannot be read."""
        try:
            with open(self._path(tenant), "rb") as handle:
                data = json.loads(handle.read().decode("utf-8"))
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return None
            # A lock that exists but cannot be read (another user's, say) is never taken over blindly.
            raise LockError("could not read the lock %s: %s" % (self._path(tenant), exc.strerror or exc))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, tenant, claimed=False):
        """The lock file, naming this run; ``claimed``: taken with another tenant of the batch, not yet by its own task."""
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".%s." % check_name(tenant), suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(dict(self.me, tenant=tenant, claimed=claimed), handle)
            os.replace(tmp, self._path(tenant))
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _state(self, tenant):
        """('free'|'mine'|'stale'|'held', holder)."""
        holder = self.holder(tenant)
        if holder is None:
            return "free", None
        if same_run(holder, self.me):
            return "mine", holder
        if is_stale(holder, self.me["host"]):
            return "stale", holder
        return "held", holder

    def try_take(self, tenant, together=(), alone=False, take=True):
        """Take the tenant's lock, with every lock of ``together`` (or none), unless ``alone``.

        With ``take`` false, only tell whether another live run holds the tenant's lock, writing nothing.
        Returns (taken, (tenant, holder) that blocks, {tenant: stale holder taken over}).
        """
        check_name(tenant)
        if self.dir is None:
            return True, None, {}
        # A name that cannot be a lock file fails in its own tenant's task, not in every other one's.
        wanted = [tenant] if alone else [tenant] + sorted(name for name in set(together) - {tenant} if _usable(name))
        gate = self._gate()
        try:
            own_state, own_holder = self._state(tenant)
            if own_state == "mine" and take and own_holder.get("claimed"):
                self._write(tenant)  # the tenant's own task has it now
            if own_state == "mine" or (not take and own_state != "held"):
                return True, None, {}
            if own_state == "held":
                return False, (tenant, own_holder), {}
            states = [(name,) + (self._state(name) if name != tenant else (own_state, own_holder)) for name in wanted]
            blocking = [(name, holder) for name, state, holder in states if state == "held"]
            if blocking:
                return False, blocking[0], {}
            taken_over = {}
            for name, state, holder in states:
                if state in ("free", "stale"):
                    self._write(name, claimed=name != tenant)
                # A lock only claimed with the batch was never used by its tenant's own task: a run killed
                # while taking its locks, or a tenant of the batch whose key store is in another directory
                # (its own lock is there). Taken over without a word.
                if state == "stale" and not holder.get("claimed"):
                    taken_over[name] = holder
            return True, None, taken_over
        except (IOError, OSError) as exc:
            raise LockError("could not write a lock in %s: %s" % (self.dir, exc.strerror or exc))
        finally:
            os.close(gate)  # closing the descriptor drops the flock

    def release(self, tenant):
        """Remove the tenant's lock when this run holds it; the holder found otherwise (None: no lock)."""
        gate = self._gate()
        try:
            state, holder = self._state(tenant)
            if state == "mine":
                os.unlink(self._path(tenant))
                return True, holder
            return False, holder
        except (IOError, OSError) as exc:
            raise LockError("could not remove the lock %s: %s" % (self._path(tenant), exc.strerror or exc))
        finally:
            os.close(gate)


def acquire(directory, tenant, timeout, together=(), notify=None, me=None, poll=POLL_SECONDS, clock=time.monotonic,
            sleep=time.sleep, take=True):
    """Take ``tenant``'s lock within ``timeout`` seconds; returns {waited, taken_over, holder}.

    With ``take`` false (check mode) the lock is only waited for: nothing is written, not even the directory.

    ``taken_over`` maps each tenant whose stale lock this call took over to the run that had held it.

    ``notify(message)`` is called once when the run has to wait, naming whom it waits for. Raises
    LockTimeout (naming the holder and psa_lock_timeout) when the bound passes.
    """
    locks = Locks(directory, me, create=take)
    started = clock()
    deadline = started + max(0, timeout)
    announced = None
    past = False
    while True:
        # Past the bound, a free lock of this tenant is taken alone (see the module's docstring).
        taken, blocking, taken_over = locks.try_take(tenant, together, alone=past, take=take)
        if taken:
            return {"waited": round(clock() - started, 1), "taken_over": taken_over, "holder": locks.me}
        name, holder = blocking
        if not past and clock() >= deadline:
            past = True  # one more attempt, for this tenant's lock alone
            continue
        if past:
            raise LockTimeout(
                "tenant %s is being provisioned by another run, %s: gave up waiting after %d s (%s); run again "
                "once that run has ended, or raise %s" % (tenant, describe(holder), timeout, TIMEOUT_VARIABLE,
                                                          TIMEOUT_VARIABLE), holder)
        if notify is not None and holder != announced:
            whose = "its lock" if name == tenant else "the lock of tenant %s (this run's tenants are taken together)" % name
            notify("tenant %s: waiting up to %d s (%s) for the run that holds %s: %s"
                   % (tenant, timeout, TIMEOUT_VARIABLE, whose, describe(holder)))
            announced = holder
        sleep(max(0.05, min(poll, deadline - clock())))


def release(directory, tenant, me=None):
    """Release the tenant's lock if this run holds it; returns (released, holder found)."""
    locks = Locks(directory, me, create=False)  # nothing to release where no lock directory exists
    if locks.dir is None:
        return False, None
    return locks.release(tenant)
