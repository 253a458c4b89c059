# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read-only ConnectWise facts kept for the run: codebase, setup screens, the functions a key sees."""

import requests
import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils import connectwise as cw

from fake_http import FakeClock, FakeServer, Reply

HOST = 'cw.example.test'
PRIVATE_KEY = 'Pr1vate-Secret-Key-do-not-leak'


class DictStore:
    """What the run-wide keeper offers, in one dict (each task of a run is another process)."""

    def __init__(self):
        self.values = {}

    def get_value(self, key):
        return self.values.get(key)

    def put_value(self, key, value, lifetime=3600):
        self.values[key] = value


@pytest.fixture
def store():
    cw.clear_codebase_cache()
    shared = DictStore()
    cw.set_shared_store(shared)
    yield shared
    cw.set_shared_store(None)
    cw.clear_codebase_cache()


def make_client(server, company_id='acme', public_key='PubKey123', private_key=PRIVATE_KEY):
    session = requests.Session()
    server.mount_on(session)
    clock = FakeClock()
    return cw.ConnectWiseClient(HOST, company_id, public_key, private_key, 'c1d2e3f4-0000-4000-8000-000000000001',
                                session=session, sleep=clock.sleep, clock=clock, rand=lambda: 0.5)


def test_codebase_is_discovered_once_per_run_across_processes(store):
    server = FakeServer(clock=FakeClock())
    server.script('GET', '/login/companyinfo/acme',
                  Reply(200, json={'Codebase': 'v2025_1/', 'CompanyID': 'acme'}))
    assert make_client(server).codebase == 'v2025_1/'
    cw.clear_codebase_cache()  # the next task: a new worker process
    assert make_client(server).codebase == 'v2025_1/'
    assert len(server.calls('GET', '/login/companyinfo/acme')) == 1
    # Filed under a digest, not under the site's or company's name.
    assert all(key.startswith('cw-codebase-') and 'acme' not in key for key in store.values)


def test_company_facts_are_shared_and_key_facts_need_the_private_key(store):
    server = FakeServer(clock=FakeClock())
    path = '/v2025_1/apis/3.0/system/setupScreens'
    server.script('GET', path, Reply(200, json=[{'id': 1, 'category': 'Company', 'name': 'Table'}]))
    server.script('GET', '/v2025_1/apis/3.0/system/mySecurity', Reply(200, json=[{'moduleName': 'System'}]))
    bootstrap = make_client(server)
    bootstrap._codebase = 'v2025_1/'
    other = make_client(server, public_key='Other', private_key='other-secret')
    other._codebase = 'v2025_1/'

    screens = cw.cached_list(bootstrap, 'setup-screens', '/system/setupScreens')
    assert cw.cached_list(other, 'setup-screens', '/system/setupScreens') == screens
    assert len(server.calls('GET', path)) == 1

    mine = cw.cached_list(bootstrap, 'my-security', '/system/mySecurity', per_credential=True)
    assert cw.cached_list(bootstrap, 'my-security', '/system/mySecurity', per_credential=True) == mine
    # Another key pair (or the same public key with another private key) does not find it.
    assert cw.cached_list(other, 'my-security', '/system/mySecurity', per_credential=True, peek=True) is None
    impostor = make_client(server, private_key='guess')
    assert cw.cached_list(impostor, 'my-security', '/system/mySecurity', per_credential=True, peek=True) is None
    assert PRIVATE_KEY not in repr(store.values)


def test_without_a_store_every_read_goes_to_the_server():
    cw.set_shared_store(None)
    server = FakeServer(clock=FakeClock())
    path = '/v2025_1/apis/3.0/system/setupScreens'
    server.script('GET', path, Reply(200, json=[]))
    server.script('GET', path, Reply(200, json=[]))
    client = make_client(server)
    client._codebase = 'v2025_1/'
    cw.cached_list(client, 'setup-screens', '/system/setupScreens')
    cw.cached_list(client, 'setup-screens', '/system/setupScreens')
    assert len(server.calls('GET', path)) == 2
