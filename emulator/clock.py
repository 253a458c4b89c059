"""The emulator's clock: real time plus an offset that only moves forward.

One instance serves the whole emulator, so that ConnectWise's record times (``_info``), its
access tokens, Umbrella's OAuth tokens and Umbrella's scheduled sync all see the same "now".
Advancing it by 30 hours lets a test see what a day and more later looks like (tokens expired,
a sync due) without waiting; the clock never goes back, as neither vendor's does.

Token expiry follows this clock too, deliberately: after an advance, a token issued before has
expired as it would have in reality (ConnectWise's temporary member tokens answer 401, Umbrella's
bearer tokens 400 ``invalid_request``). The collection's Umbrella client treats either answer as a
rejected token and fetches a new one once; its own token cache runs on the controller's clock, which
the emulator's advance does not move, so that renewal is the path exercised.
"""

import datetime
import math
import threading
import time

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class Clock:
    """Real UTC time shifted by ``offset_hours``; thread-safe."""

    def __init__(self, offset_hours=0.0):
        self._lock = threading.Lock()
        self._offset_seconds = 0.0
        if offset_hours:
            self.advance(offset_hours)

    @property
    def offset_hours(self):
        with self._lock:
            return self._offset_seconds / 3600.0

    def advance(self, hours):
        """Move the clock forward by ``hours`` (a positive number); the new offset in hours."""
        if isinstance(hours, bool) or not isinstance(hours, (int, float)):
            raise TypeError("hours must be a number")
        hours = float(hours)
        if hours <= 0 or not math.isfinite(hours):  # NaN is neither finite nor positive
            raise ValueError("hours must be a positive, finite number")
        with self._lock:
            self._offset_seconds += hours * 3600.0
            return self._offset_seconds / 3600.0

    def epoch(self):
        """Seconds since the epoch, like ``time.time()`` (the form Umbrella's service counts in)."""
        with self._lock:
            offset = self._offset_seconds
        return time.time() + offset

    def now(self):
        """The current aware UTC datetime."""
        return datetime.datetime.fromtimestamp(self.epoch(), tz=datetime.timezone.utc)

    def iso(self):
        """The current time as ConnectWise writes it: ``2026-01-31T12:00:00Z``."""
        return self.now().strftime(ISO_FORMAT)
