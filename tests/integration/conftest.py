# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the integration tests."""

import pytest

from support.emulator import EmulatorProcess


@pytest.fixture(scope="module", params=["extended", "public"])
def emulator(request):
    """One emulator per test module and profile: a test that takes it runs against each profile.

    A test module that needs one profile only defines its own ``emulator`` fixture, which wins.
    """
    with EmulatorProcess(profile=request.param) as emu:
        yield emu
