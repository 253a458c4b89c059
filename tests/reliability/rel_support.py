"""What the reliability tests share: sizes, a closed port, emulator write counters, secret scanning."""

import os
import socket
from pathlib import Path

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
FULL = os.environ.get("RELIABILITY_FULL", "") not in ("", "0", "false", "no")


def size(small, full):
    """The scenario size: ``full`` with RELIABILITY_FULL=1, else ``small`` (what `make test` runs)."""
    return full if FULL else small


def closed_port():
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def vendor_writes(stats):
    """Non-GET vendor requests by route, Umbrella token requests excluded (they write nothing)."""
    return {route: n for route, n in stats["by_route"].items()
            if not route.startswith("GET ") and "/auth/v2/token" not in route}


def find_secrets(texts, secrets):
    """[(where, secret label)] for every secret found in any text ({where: text})."""
    found = []
    for where, text in texts.items():
        for label, secret in secrets.items():
            if secret and secret in text:
                found.append((where, label))
    return found
