"""Hold one vendor write in flight, so that a test can stop its client at a known point of a run.

Armed with ``{"index": k, "phase": "before"|"after", "route"?, "tenants"?}``, the k-th vendor write that
matches (counted from the moment it was armed) is held: ``before`` it is served, or ``after`` it was
served and before its answer is sent. A test waits until ``held`` is true, kills its client, and
releases the request: a write held ``before`` is then dropped unserved (or served, with ``apply``);
one held ``after`` gets its answer sent to whoever still listens, or, with ``answer: false``, its
connection closed without one (a write applied whose answer is lost).

Writes are the vendor requests that change something: POST, PUT, PATCH and DELETE, except Umbrella's
token request. The journal lists every matching write since the hold was armed (``METHOD route``), so
that a reference run tells a test which writes a run makes and where it can stop it.
"""

import threading

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PHASES = ("before", "after")
# A held request never waits longer than this for its release (a test that forgot it).
MAX_HOLD_SECONDS = 300
JOURNAL_LIMIT = 10000


class HoldSpecError(ValueError):
    """A bad hold specification; the message names the field."""


def is_write(method, route):
    return method in WRITE_METHODS and "/auth/v2/token" not in route


class _Ticket:
    """The request being held, and how it is released."""

    def __init__(self, phase):
        self.phase = phase
        self.apply = phase == "after"
        self.answer = True
        self.waiting = False
        self._released = threading.Event()

    def release(self, apply, answer=True):
        if apply is not None:
            self.apply = bool(apply) or self.phase == "after"
        # False: the connection is closed instead of answering (the answer is lost on the way back).
        self.answer = bool(answer)
        self._released.set()

    def wait(self):
        """Block until released; True when the request is (to be) served."""
        self.waiting = True
        self._released.wait(MAX_HOLD_SECONDS)
        return self.apply


class WriteHold:
    def __init__(self):
        self._lock = threading.Lock()
        self._ticket = None
        self.clear()

    def clear(self):
        """Disarm and release whatever is held (served only if it was held after being served)."""
        with self._lock:
            ticket = self._ticket
            self._spec = None
            self._seen = 0
            self._journal = []
            self._held = None
            self._ticket = None
        if ticket is not None:
            ticket.release(None)

    def arm(self, spec):
        index = spec.get("index", 1)
        if not isinstance(index, int) or isinstance(index, bool) or index < 1:
            raise HoldSpecError("index must be a positive integer (the k-th matching write)")
        phase = spec.get("phase", "before")
        if phase not in PHASES:
            raise HoldSpecError("phase must be before or after")
        route = spec.get("route")
        if route is not None and not isinstance(route, str):
            raise HoldSpecError("route must be \"METHOD /route/template\", e.g. \"POST /system/apiMembers\"")
        tenants = spec.get("tenants")
        if tenants is not None and (not isinstance(tenants, list) or not all(isinstance(t, str) for t in tenants)):
            raise HoldSpecError("tenants must be a list of tenant labels (connectwise:<company>, umbrella:<org>)")
        self.clear()
        with self._lock:
            self._spec = {"index": index, "phase": phase, "route": route,
                          "tenants": None if tenants is None else [t.lower() for t in tenants]}
        return self.status()

    def status(self):
        with self._lock:
            ticket = self._ticket
            return {"armed": self._spec is not None and self._held is None, "spec": self._spec, "seen": self._seen,
                    "held": ticket is not None and ticket.waiting, "request": self._held,
                    "journal": list(self._journal)}

    def release(self, apply=None, answer=True):
        with self._lock:
            ticket, self._ticket = self._ticket, None
        if ticket is None:
            raise HoldSpecError("no request is held")
        ticket.release(apply, answer)
        return self.status()

    def match(self, method, route, tenant):
        """Count a vendor request that is about to be served; the ticket of the one to hold, else None.

        The server waits on the ticket before serving the request (phase ``before``) or after it
        (``after``).
        """
        with self._lock:
            spec = self._spec
            if spec is None or self._held is not None or not is_write(method, route):
                return None
            request = "%s %s" % (method, route)
            if spec["route"] is not None and spec["route"] != request:
                return None
            if spec["tenants"] is not None and (tenant or "").lower() not in spec["tenants"]:
                return None
            self._seen += 1
            if len(self._journal) < JOURNAL_LIMIT:
                self._journal.append(request)
            if self._seen != spec["index"]:
                return None
            self._held = {"request": request, "tenant": tenant, "phase": spec["phase"]}
            self._ticket = _Ticket(spec["phase"])
            return self._ticket
