# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-API-key sliding-window rate limits, as Cisco documents them for Umbrella.

Umbrella counts requests per API key and per API family, over several windows at once (for
example 5 a second *and* 14 a minute *and* 350 per 30 minutes for the general admin API). A
request over any window is refused with 429 and is not counted.
"""

import bisect
import threading

# (window in seconds, requests allowed in that window) per API family.
# Source: Umbrella developer guide, "Rate Limits" (per API key).
DEFAULT_LIMITS = {
    "token": ((60, 20),),
    "admin": ((1, 5), (60, 14), (1800, 350)),
    "provider": ((1, 30), (60, 70), (1800, 1000)),
}


class RateLimiter:
    """Sliding windows of accepted request times, keyed by (API key, family)."""

    def __init__(self, clock, limits=None):
        self._clock = clock
        self.limits = dict(limits if limits is not None else DEFAULT_LIMITS)
        self._hits = {}
        self._lock = threading.Lock()

    def clear(self):
        with self._lock:
            self._hits.clear()

    def allow(self, api_key, family):
        """Record the request and return True, or return False when a window is full."""
        windows = self.limits.get(family, ())
        if not windows:
            return True
        now = self._clock()
        longest = max(window for window, _allowed in windows)
        with self._lock:
            hits = self._hits.setdefault((api_key, family), [])
            # Forget what no window can see any more, so the list stays bounded.
            del hits[:bisect.bisect_right(hits, now - longest)]
            for window, allowed in windows:
                in_window = len(hits) - bisect.bisect_right(hits, now - window)
                if in_window >= allowed:
                    return False
            hits.append(now)
            return True
