"""Fault injection for vendor requests: latency, error statuses, 429 with Retry-After, dropped connections."""

import random
import threading


class FaultSpecError(ValueError):
    """A bad fault specification; the message names the field."""


class Fault:
    """What to do to one request. ``kind`` is None (serve it), "status" or "drop"."""

    __slots__ = ("kind", "status", "retry_after", "latency")

    def __init__(self, kind=None, status=None, retry_after=None, latency=0.0):
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.latency = latency


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
        with self._lock:
            self._spec = spec
            self._rates = rates
            self._retry_after = retry_after
            self._latency = latency
            self._next = upcoming
            self._forever = forever
            self._random = random.Random(spec.get("seed"))

    def describe(self):
        with self._lock:
            return {"rate": dict(self._rates), "retry_after": self._retry_after, "latency_ms": self._latency,
                    "next": dict(self._next) if self._next else None,
                    "forever": dict(self._forever) if self._forever else None}

    def decide(self):
        """The fault for the next vendor request."""
        with self._lock:
            latency = 0.0
            if self._latency:
                latency = self._random.uniform(*self._latency) / 1000.0
            status = None
            if self._forever:
                status = self._forever["status"]
            elif self._next:
                status = self._next["status"]
                self._next["count"] -= 1
                if self._next["count"] <= 0:
                    self._next = None
            elif self._rates:
                draw = self._random.random()
                for name in ("drop", "429", "5xx"):
                    rate = self._rates.get(name, 0.0)
                    if draw < rate:
                        status = {"drop": "drop", "429": 429, "5xx": 503}[name]
                        break
                    draw -= rate
            if status == "drop":
                return Fault("drop", latency=latency)
            if status is not None:
                return Fault("status", status, self._retry_after if status in (429, 503) else None, latency)
            return Fault(latency=latency)
