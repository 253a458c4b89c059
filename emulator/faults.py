"""Fault injection for vendor requests: latency, error statuses, 429 with Retry-After, dropped connections.

A drop or a 502/504 may come before the request is served (nothing happened) or, with ``after_apply``,
after it was served: the change is made and its answer lost on the way back, the case a client must
recover from without applying a write twice.

With a ``seed`` every request draws from its own stream, named by the seed, the request's tenant,
method and path and how many such requests came before it. So a run replays the same faults for
each tenant whatever the order in which concurrent tenants reach the server.
"""

import random
import threading

GATEWAY_STATUSES = (502, 504)


class FaultSpecError(ValueError):
    """A bad fault specification; the message names the field."""


class Fault:
    """What to do to one request. ``kind`` is None (serve it), "status" or "drop"."""

    __slots__ = ("kind", "status", "retry_after", "latency", "after_apply")

    def __init__(self, kind=None, status=None, retry_after=None, latency=0.0, after_apply=False):
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.latency = latency
        # True: serve the request first, then drop the connection or answer the status instead.
        self.after_apply = after_apply


def _status(value, field):
    if value == "drop":
        return value
    if not isinstance(value, int) or isinstance(value, bool) or not 400 <= value <= 599:
        raise FaultSpecError("%s must be an HTTP error status (400-599) or \"drop\"" % field)
    return value


class FaultInjector:
    def __init__(self):
        self._lock = threading.Lock()
        self.clear()

    def clear(self):
        with getattr(self, "_lock"):
            self._spec = {}
            self._rates = {}
            self._retry_after = 1
            self._latency = None
            self._next = None
            self._forever = None
            self._statuses_5xx = (503,)
            self._after_apply = 0.0
            self._seed = None
            self._streams = {}
            self._random = random.Random()

    def configure(self, spec):
        """Replace the current faults with ``spec`` (see README); raises FaultSpecError."""
        if not isinstance(spec, dict):
            raise FaultSpecError("the body must be a JSON object")
        rates = {}
        for name, rate in (spec.get("rate") or {}).items():
            if name not in ("5xx", "429", "drop"):
                raise FaultSpecError("rate.%s: use 5xx, 429 or drop" % name)
            if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise FaultSpecError("rate.%s must be a number from 0 to 1" % name)
            rates[name] = float(rate)
        if sum(rates.values()) > 1:
            raise FaultSpecError("the rates add up to more than 1")
        retry_after = spec.get("retry_after", 1)
        if not isinstance(retry_after, int) or retry_after < 0:
            raise FaultSpecError("retry_after must be a whole number of seconds")
        latency = spec.get("latency_ms")
        if latency is not None:
            if isinstance(latency, (int, float)):
                latency = [latency, latency]
            if (not isinstance(latency, list) or len(latency) != 2
                    or not all(isinstance(v, (int, float)) and v >= 0 for v in latency) or latency[0] > latency[1]):
                raise FaultSpecError("latency_ms must be [min, max] milliseconds")
        upcoming = spec.get("next")
        if upcoming is not None:
            if not isinstance(upcoming, dict):
                raise FaultSpecError("next must be an object {status, count}")
            count = upcoming.get("count", 1)
            if not isinstance(count, int) or count < 1:
                raise FaultSpecError("next.count must be a positive integer")
            upcoming = {"status": _status(upcoming.get("status"), "next.status"), "count": count}
        forever = spec.get("forever")
        if forever is not None:
            if not isinstance(forever, dict):
                raise FaultSpecError("forever must be an object {status}")
            forever = {"status": _status(forever.get("status"), "forever.status")}
        statuses = spec.get("statuses_5xx", [503])
        if (not isinstance(statuses, list) or not statuses
                or not all(isinstance(v, int) and not isinstance(v, bool) and 500 <= v <= 599 for v in statuses)):
            raise FaultSpecError("statuses_5xx must be a non-empty list of 5xx statuses, e.g. [502, 503, 504]")
        after_apply = spec.get("after_apply", 0)
        if isinstance(after_apply, bool) or not isinstance(after_apply, (int, float)) or not 0 <= after_apply <= 1:
            raise FaultSpecError("after_apply must be a number from 0 to 1 (the share of drops and 502/504 "
                                 "that come after the request was served)")
        seed = spec.get("seed")
        with self._lock:
            self._spec = spec
            self._rates = rates
            self._statuses_5xx = tuple(statuses)
            self._after_apply = float(after_apply)
            self._seed = seed
            self._streams = {}
            self._retry_after = retry_after
            self._latency = latency
            self._next = upcoming
            self._forever = forever
            self._random = random.Random(spec.get("seed"))

    def describe(self):
        with self._lock:
            return {"rate": dict(self._rates), "retry_after": self._retry_after, "latency_ms": self._latency,
                    "next": dict(self._next) if self._next else None,
                    "forever": dict(self._forever) if self._forever else None,
                    "statuses_5xx": list(self._statuses_5xx), "after_apply": self._after_apply, "seed": self._seed}

    def _stream(self, request):
        """The random source of one request: its own seeded stream, or the injector's."""
        if self._seed is None or request is None:
            return self._random
        count = self._streams.get(request, 0)
        self._streams[request] = count + 1
        # A str seed is hashed with SHA-512 by random.Random: stable across processes and runs.
        return random.Random("%s|%s|%d" % (self._seed, request, count))

    def decide(self, request=None):
        """The fault for the next vendor request; ``request`` names it ("tenant METHOD path")."""
        with self._lock:
            rand = self._stream(request)
            latency = 0.0
            if self._latency:
                latency = rand.uniform(*self._latency) / 1000.0
            status = None
            if self._forever:
                status = self._forever["status"]
            elif self._next:
                status = self._next["status"]
                self._next["count"] -= 1
                if self._next["count"] <= 0:
                    self._next = None
            elif self._rates:
                draw = rand.random()
                for name in ("drop", "429", "5xx"):
                    rate = self._rates.get(name, 0.0)
                    if draw < rate:
                        status = {"drop": "drop", "429": 429, "5xx": None}[name]
                        if status is None:
                            status = self._statuses_5xx[int(draw / rate * len(self._statuses_5xx))
                                                        % len(self._statuses_5xx)]
                        break
                    draw -= rate
            # Only a fault that leaves the client unsure can come after the request was served.
            after = (status == "drop" or status in GATEWAY_STATUSES) and rand.random() < self._after_apply
            if status == "drop":
                return Fault("drop", latency=latency, after_apply=after)
            if status is not None:
                return Fault("status", status, self._retry_after if status in (429, 503) else None, latency, after)
            return Fault(latency=latency)
