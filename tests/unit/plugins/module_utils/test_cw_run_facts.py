# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read-only ConnectWise facts kept for the run: codebase, setup screens, the functions a key sees."""

import requests
import pytest

from ansible_collections.msp.umbrella_psa.plugins.module_utils import connectwise as cw
from ansible_collections.msp.umbrella_psa.plugins.module_utils.json_client import NoRunCache

from fake_http import FakeClock, FakeServer, Reply

HOST = 'cw.example.test'
PRIVATE_KEY = 'Pr1vate-Secret-Key-do-not-leak'


class DictStore:
    """What the run cache offers, in one dict (each task of a run is another process)."""

    lasting = True

    def __init__(self):
        self.values = {}

    def get_value(self, key):
        return self.values.get(key)

    def put_value(self, key, value, lifetime=3600):
        self.values[key] = value


@pytest.fixture
def store():
    cw.clear_codebase_cache()
    yield DictStore()
    cw.clear_codebase_cache()


def make_client(server, cache=None, company_id='acme', public_key='PubKey123', private_key=PRIVATE_KEY):
    session = requests.Session()
    server.mount_on(session)
    clock = FakeClock()
    return cw.ConnectWiseClient(HOST, company_id, public_key, private_key, 'c1d2e3f4-0000-4000-8000-000000000001',
                                session=session, sleep=clock.sleep, clock=clock, rand=lambda: 0.5, cache=cache)


def test_codebase_is_discovered_once_per_run_across_processes(store):
    server = FakeServer(clock=FakeClock())
    server.script('GET', '/login/companyinfo/acme',
                  Reply(200, json={'Codebase': 'v2025_1/', 'CompanyID': 'acme'}))
    assert make_client(server, store).codebase == 'v2025_1/'
    cw.clear_codebase_cache()  # the next task: a new worker process
    assert make_client(server, store).codebase == 'v2025_1/'
    assert len(server.calls('GET', '/login/companyinfo/acme')) == 1
    # Filed under a digest, not under the site's or company's name.
    assert all(key.startswith('cw-codebase-') and 'acme' not in key for key in store.values)


def test_company_facts_are_shared_and_key_facts_need_the_private_key(store):
    server = FakeServer(clock=FakeClock())
    path = '/v2025_1/apis/3.0/system/setupScreens'
    server.script('GET', path, Reply(200, json=[{'id': 1, 'category': 'Company', 'name': 'Table'}]))
    server.script('GET', '/v2025_1/apis/3.0/system/mySecurity', Reply(200, json=[{'moduleName': 'System'}]))
    bootstrap = make_client(server, store)
    bootstrap._codebase = 'v2025_1/'
    other = make_client(server, store, public_key='Other', private_key='other-secret')
    other._codebase = 'v2025_1/'

    screens = bootstrap.run_list('setup-screens', '/system/setupScreens')
    assert other.run_list('setup-screens', '/system/setupScreens') == screens
    assert len(server.calls('GET', path)) == 1

    mine = bootstrap.run_list('my-security', '/system/mySecurity', per_credential=True)
    assert bootstrap.run_list('my-security', '/system/mySecurity', per_credential=True) == mine
    assert len(server.calls('GET', '/v2025_1/apis/3.0/system/mySecurity')) == 1
    # Another key pair (or the same public key with another private key) does not find it.
    impostor = make_client(server, store, private_key='guess')
    filed = set(store.values)
    assert other.credential_key('my-security') not in filed
    assert impostor.credential_key('my-security') not in filed
    assert bootstrap.credential_key('my-security') in filed
    assert PRIVATE_KEY not in repr(store.values)


def test_without_a_run_cache_every_read_goes_to_the_server():
    server = FakeServer(clock=FakeClock())
    path = '/v2025_1/apis/3.0/system/setupScreens'
    server.script('GET', path, Reply(200, json=[]))
    server.script('GET', path, Reply(200, json=[]))
    client = make_client(server)
    client._codebase = 'v2025_1/'
    assert isinstance(client.cache, NoRunCache)
    client.run_list('setup-screens', '/system/setupScreens')
    client.run_list('setup-screens', '/system/setupScreens')
    assert len(server.calls('GET', path)) == 2


@pytest.mark.parametrize('cache, whole_list_reads', [(None, 0), (DictStore(), 1)])
def test_a_smaller_read_serves_a_task_whose_cache_does_not_outlive_it(cache, whole_list_reads):
    """Only a lasting run cache makes the whole catalogue worth reading: the run's other tasks use it."""
    server = FakeServer(clock=FakeClock())
    path = '/v2025_1/apis/3.0/system/setupScreens'
    server.script('GET', path, Reply(200, json=[{'id': 1, 'category': 'Company', 'name': 'Table'}]))
    client = make_client(server, cache)
    client._codebase = 'v2025_1/'
    smaller = []
    value = client.run_list('setup-screens', '/system/setupScreens', instead=lambda: smaller.append(1) or ['few'])
    assert len(server.calls('GET', path)) == whole_list_reads
    assert value == (['few'] if whole_list_reads == 0 else [{'id': 1, 'category': 'Company', 'name': 'Table'}])
    assert smaller == ([1] if whole_list_reads == 0 else [])
