"""The emulator's services and their shared state, independent of HTTP."""

import sys
import threading

from emulator.clock import Clock
from emulator.connectwise import ConnectWiseService
from emulator.faults import FaultInjector
from emulator.hold import WriteHold
from emulator.stats import RequestStats
from emulator.umbrella_sync import UmbrellaSync


def load_umbrella_class():
    """The Umbrella service class, or None when this checkout has no Umbrella emulation."""
    try:
        from emulator.umbrella import UmbrellaService
    except ImportError as error:
        print("emulator: Umbrella emulation unavailable (%s); its routes answer 404" % error, file=sys.stderr)
        return None
    return UmbrellaService


class EmulatorApp:
    """ConnectWise + Umbrella services, tenants registry, faults, statistics and persistence."""

    def __init__(self, profile="extended", scheme="https", rate_limits=False, state_file=None):
        self.profile = profile
        # One clock for both vendors: record times, token expiry and the scheduled sync follow it.
        self.clock = Clock()
        self.connectwise = ConnectWiseService(profile, scheme=scheme, clock=self.clock)
        umbrella_class = load_umbrella_class()
        self.umbrella = (umbrella_class(profile, rate_limits=rate_limits, clock=self.clock.epoch)
                         if umbrella_class else None)
        self.rate_limits = rate_limits
        self.faults = FaultInjector()
        self.hold = WriteHold()
        self.stats = RequestStats()
        self.tenants = {}
        # Umbrella's side of the PSA integration (its runs, queued events, tracked tickets).
        self.umbrella_sync = UmbrellaSync(self) if self.umbrella else None
        self.state_file = state_file
        self._save_lock = threading.Lock()

    # -- persistence ---------------------------------------------------------------------------
    def snapshot(self):
        return {
            "profile": self.profile,
            "clockOffsetHours": self.clock.offset_hours,
            "tenants": dict(self.tenants),
            "connectwise": self.connectwise.snapshot(),
            "umbrella": self.umbrella.snapshot() if self.umbrella else self._umbrella_snapshot,
            "umbrellaSync": self.umbrella_sync.snapshot() if self.umbrella_sync else None,
        }

    _umbrella_snapshot = None

    def restore(self, data):
        # Times already stamped stay in the past after a restart: the clock resumes its offset.
        offset = (data.get("clockOffsetHours") or 0) - self.clock.offset_hours
        if offset > 0:
            self.clock.advance(offset)
        self.tenants = dict(data.get("tenants") or {})
        self.connectwise.restore(data.get("connectwise") or {})
        umbrella = data.get("umbrella")
        if self.umbrella is not None and umbrella is not None:
            self.umbrella.restore(umbrella)
            self.umbrella_sync.restore(data.get("umbrellaSync"))
        else:
            # Keep the Umbrella half of a state file even when Umbrella emulation is unavailable.
            self._umbrella_snapshot = umbrella

    def save(self):
        if self.state_file is None:
            return
        with self._save_lock:
            self.state_file.save(self.snapshot())

    def reset(self):
        self.tenants = {}
        self.connectwise.reset()
        if self.umbrella is not None:
            self.umbrella.reset()
            self.umbrella_sync.reset()
        self._umbrella_snapshot = None

    def set_rate_limits(self, enabled):
        self.rate_limits = bool(enabled)
        if self.umbrella is not None:
            self.umbrella.set_rate_limits(self.rate_limits)

    def public_state(self):
        return {
            "profile": self.profile,
            "tenants": dict(self.tenants),
            "connectwise": self.connectwise.public_state(),
            "umbrella": self.umbrella.public_state() if self.umbrella else None,
        }
