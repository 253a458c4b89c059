"""Run one module's test playbook against the emulator and collect what that run did.

The module integration tests each have a small playbook that runs the module once with the extra vars it
is given and writes the task's result to ``result_file``. ``play_module`` runs it, counts the vendor
requests of that run alone (the emulator's counters are reset first) and checks that no secret the test
names reached the output or the result.

Usage::

    run = play_module(PLAYBOOK, tenant["emulator"], tenant["tmp"], tenant["connection"], "--check",
                      secrets=[PRIVATE_KEY], rotate="always")
    assert run.result["changed"] and run.writes == 0
"""

import itertools
import json

import pytest

from support.ansible_runner import run_playbook

TOKEN_ROUTE = "POST /auth/v2/token"
_numbers = itertools.count(1)


class ModuleRun:
    """The task result, the output and the vendor requests of one playbook run."""

    def __init__(self, result, stats, output):
        self.result, self.output = result, output
        self.by_method, self.by_route = stats["by_method"], stats["by_route"]

    @property
    def writes(self):
        """Requests that change something: anything but a read, and the Umbrella token request."""
        return sum(n for route, n in self.by_route.items() if not route.startswith("GET ") and route != TOKEN_ROUTE)

    def count(self, prefix):
        """Requests whose route ("METHOD /path") starts with the prefix."""
        return sum(n for route, n in self.by_route.items() if route.startswith(prefix))


def play_module(playbook, emulator, tmp, connection, *args, secrets=(), verbose=True, **options):
    """Run the playbook with the connection and options as extra vars; return a ModuleRun."""
    result_file = tmp / ("result-%d.json" % next(_numbers))
    emulator.control.reset_stats()
    extra = dict(connection, result_file=str(result_file), **options)
    verbosity = ("-vvv",) if verbose else ()
    run = run_playbook(playbook, *args, *verbosity, extra_vars=extra, json_output=False)
    output = run.stdout + run.stderr
    stats = emulator.control.stats()
    assert result_file.exists(), output
    written = result_file.read_text()
    for secret in secrets:
        # Every secret is a no_log option: in no output, result or diff, at any verbosity.
        assert secret not in output and secret not in written
    return ModuleRun(json.loads(written), stats, output)


def skip_unless_profile(emulator, profile, why):
    if emulator.profile != profile:
        pytest.skip(why)
