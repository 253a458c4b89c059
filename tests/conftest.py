# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by every test folder."""

# --- make `ansible_collections.msp.umbrella_psa` importable ------------------------------------------
# The repository root is the collection root. Inside a staged copy
# (.../ansible_collections/msp/umbrella_psa) the tree above is used as is; in a plain checkout a
# temporary directory holding the symlink ansible_collections/msp/umbrella_psa -> repository root goes
# on sys.path, so tests always import the working tree, never a stale staged copy.
import atexit
import os
import shutil
import sys
import tempfile

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _collection_search_root():
    parts = REPO_ROOT.split(os.sep)
    if parts[-3:-1] == ['ansible_collections', 'msp'] and parts[-1] == 'umbrella_psa':
        return os.sep.join(parts[:-3])
    root = tempfile.mkdtemp(prefix='umbrella_psa-collections-')
    atexit.register(shutil.rmtree, root, True)
    namespace = os.path.join(root, 'ansible_collections', 'msp')
    os.makedirs(namespace)
    os.symlink(REPO_ROOT, os.path.join(namespace, 'umbrella_psa'))
    return root


if 'ansible_collections' not in sys.modules:
    sys.path.insert(0, _collection_search_root())


def pytest_configure(config):
    """Stage the collection once, in the controlling process, before any xdist worker starts."""
    if hasattr(config, 'workerinput'):
        return
    # tests/ is on sys.path (pytest puts a rootdir conftest's folder there): helpers are `support.*`.
    from support import ansible_runner  # pylint: disable=import-outside-toplevel
    ansible_runner.stage_collection(force=True)


@pytest.fixture(scope="module", params=["extended", "public"])
def emulator(request):
    """One emulator per test module and profile: a test that takes it runs against each profile.

    A test module (or folder) that needs something else defines its own ``emulator`` fixture, which wins.
    """
    from support.emulator import EmulatorProcess  # pylint: disable=import-outside-toplevel
    with EmulatorProcess(profile=request.param) as emu:
        yield emu
