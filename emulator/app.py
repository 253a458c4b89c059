"""The emulator's services and their shared state, independent of HTTP."""

import sys
import threading

from emulator.connectwise import ConnectWiseService
from emulator.faults import FaultInjector
from emulator.hold import WriteHold
from emulator.stats import RequestStats


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
        self.connectwise = ConnectWiseService(profile, scheme=scheme)
        umbrella_class = load_umbrella_class()
        self.umbrella = umbrella_class(profile, rate_limits=rate_limits) if umbrella_class else None
        self.rate_limits = rate_limits
        self.faults = FaultInjector()
        self.hold = WriteHold()
        self.stats = RequestStats()
        self.tenants = {}
        self.state_file = state_file
        self._save_lock = threading.Lock()

    # -- persistence ---------------------------------------------------------------------------
    def snapshot(self):
        return {
            "profile": self.profile,
            "tenants": dict(self.tenants),
            "connectwise": self.connectwise.snapshot(),
            "umbrella": self.umbrella.snapshot() if self.umbrella else self._umbrella_snapshot,
        }

    _umbrella_snapshot = None

    def restore(self, data):
        self.tenants = dict(data.get("tenants") or {})
        self.connectwise.restore(data.get("connectwise") or {})
        umbrella = data.get("umbrella")
        if self.umbrella is not None and umbrella is not None:
            self.umbrella.restore(umbrella)
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
