# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The transport under hostile answers and careless settings.

Retry-After that says "now" (a floor on back-off), redirects (writes never follow one, reads only within
the origin), plain HTTP (refused unless allowed, then warned), validate_certs: false (warned once per run
and connection), user names and passwords in URLs (refused, never shown), host names that do not resolve
(fail at once), refused connections (retried briefly) and empty answers (one line naming the request; a
write recovered by reading back). Real sockets where time is what is measured, fakes of the one
transport elsewhere.
"""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import socket
import threading
import time

import pytest
import requests

from ansible_collections.msp.umbrella_psa.plugins.module_utils import connectwise, cw_access_info, http, umbrella
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import ConnectWiseClient
from ansible_collections.msp.umbrella_psa.plugins.module_utils.engine import run_engine
from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import (
    MaybeAppliedError,
    SettingError,
    TransportError,
    new_session,
    send,
    take_warnings,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import UmbrellaClient

from fake_http import FakeClock, FakeServer, Reply, json_body

HOST = 'cw.example.test'
API = '/v2025_1/apis/3.0'
ROLES = API + '/system/securityRoles'
PRIVATE_KEY = 'Pr1vate-Secret-Key-do-not-leak'
PASSWORD = 'pa55-in-the-url'


@pytest.fixture(autouse=True)
def fresh_state():
    take_warnings()
    http._WARNED_HERE.clear()  # pylint: disable=protected-access  # a new worker process
    connectwise.clear_codebase_cache()
    umbrella.clear_token_cache()
    yield
    take_warnings()
    http._WARNED_HERE.clear()  # pylint: disable=protected-access


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def server(clock):
    return FakeServer(clock=clock)


def cw_client(server, clock, site=HOST, **kwargs):
    session = requests.Session()
    server.mount_on(session)
    return ConnectWiseClient(site, 'acme', 'PubKey123', PRIVATE_KEY, 'c1d2e3f4-0000-4000-8000-000000000001',
                             codebase='v2025_1/', session=session, sleep=clock.sleep, clock=clock,
                             rand=lambda: 0.5, **kwargs)


def umbrella_client(server, clock, base_url='https://umbrella.example.test', **kwargs):
    session = requests.Session()
    server.mount_on(session)
    return UmbrellaClient('umb-key', 'umb-secret', base_url=base_url, session=session, sleep=clock.sleep,
                          clock=clock, rand=lambda: 0.5, **kwargs)


class LocalServer:
    """A real HTTP server on loopback answering every request with ``answer(handler)``; counts requests."""

    def __init__(self, answer):
        self.count = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_GET(self):  # noqa: N802  # pylint: disable=invalid-name
                outer.count += 1
                status, headers, body = answer(self)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):  # quiet
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# --- Retry-After that says "now": back-off has a floor ---------------------------------------------------

@pytest.mark.parametrize('retry_after', ['0', '-5', 'Wed, 21 Oct 2015 07:28:00 GMT'])
def test_retry_after_now_does_not_make_a_tight_loop_against_a_real_server(retry_after):
    window = 3.0
    with LocalServer(lambda handler: (429, {'Retry-After': retry_after}, b'{}')) as local:
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            send(new_session(), 'GET', local.url + '/x', window, 5, 'ConnectWise GET /x')
        elapsed = time.monotonic() - started
    # At most one request per RETRY_FLOOR (0.5 s) over the window, plus the first: 7. Before the floor,
    # hundreds.
    assert local.count <= window / http.RETRY_FLOOR + 1, (local.count, elapsed)
    assert 'last answer: 429' in str(info.value)


@pytest.mark.parametrize('status, headers', [(429, {'Retry-After': '0'}), (503, {}), (502, {})])
def test_no_retry_comes_sooner_than_the_floor(server, clock, status, headers):
    server.script('GET', '/x', Reply(status, headers=headers))
    session = requests.Session()
    server.mount_on(session)
    with pytest.raises(TransportError):
        send(session, 'GET', 'https://h.test/x', 30, 5, 'GET /x', sleep=clock.sleep, clock=clock, rand=lambda: 0.0)
    assert clock.sleeps and min(clock.sleeps) >= http.RETRY_FLOOR, clock.sleeps
    # 30 s of budget at one request per floor at most.
    assert len(server.requests) <= 30 / http.RETRY_FLOOR + 1


def test_write_once_waits_at_least_the_floor_between_lost_answers(clock):
    def lost():
        raise MaybeAppliedError('POST /x failed: connection lost', describe='POST /x')

    with pytest.raises(TransportError):
        http.write_once(lost, lambda: None, 5, 'POST /x', sleep=clock.sleep, clock=clock, rand=lambda: 0.0)
    assert clock.sleeps and min(clock.sleeps) >= http.RETRY_FLOOR


# --- redirects ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('method', ['POST', 'PUT', 'PATCH', 'DELETE'])
@pytest.mark.parametrize('status', [301, 302, 303, 307, 308])
def test_a_write_never_follows_a_redirect_and_its_body_never_reaches_the_other_host(server, clock, method, status):
    @server.handle
    def redirect(request):
        if request.url.startswith('https://%s/' % HOST):
            return Reply(status, headers={'Location': 'https://evil.example.test/steal?token=abc'})
        return Reply(200, json={'id': 1})

    client = cw_client(server, clock)
    with pytest.raises(TransportError) as info:
        client._request(method, 'system/securityRoles', body={'privateKey': PRIVATE_KEY})  # pylint: disable=protected-access
    assert [r.url.split('/')[2] for r in server.requests] == [HOST]  # nothing sent to evil.example.test
    message = str(info.value)
    assert message.startswith('ConnectWise %s /system/securityRoles failed: ' % method), message
    assert 'https://evil.example.test' in message and 'token=abc' not in message and 'steal' not in message
    assert 'psa_cw_site' in message and '\n' not in message
    # A 303 says the write was done (its answer is elsewhere): a lost answer, which the caller recovers.
    assert isinstance(info.value, http.MaybeAppliedError) == (status == 303)


def test_the_umbrella_integration_put_is_not_re_sent_to_the_location_host(server, clock):
    """The PUT that carries the ConnectWise private key to Umbrella."""
    @server.handle
    def answer(request):
        if request.url.endswith('/auth/v2/token'):
            return Reply(200, json={'access_token': 'tok', 'expires_in': 3600})
        if 'umbrella.example.test' in request.url:
            return Reply(307, headers={'Location': 'https://collector.example.net/psa/integration'})
        return Reply(200, json={})

    client = umbrella_client(server, clock)
    with pytest.raises(TransportError) as info:
        client.put('/admin/v2/psa/integration', {'connectwise': {'privateKey': PRIVATE_KEY}}, extension=True)
    assert not [r for r in server.requests if 'collector.example.net' in r.url]
    assert 'psa_umbrella_base_url' in str(info.value)


def test_a_read_follows_a_redirect_within_its_origin(server, clock):
    server.script('GET', ROLES, Reply(301, headers={'Location': '/v2025_1/apis/3.0/system/securityroles/'}))
    server.script('GET', API + '/system/securityroles/', Reply(200, json={'id': 3}))
    client = cw_client(server, clock)
    assert client.get('system/securityRoles') == {'id': 3}
    assert [r.url for r in server.requests][-1] == 'https://%s%s/system/securityroles/' % (HOST, API)
    # The credentials went along within the origin: the followed request is authenticated too.
    assert 'Authorization' in server.requests[-1].headers


@pytest.mark.parametrize('location', [
    'https://other.example.test/v2025_1/apis/3.0/system/securityRoles',   # another host
    'http://%s/v2025_1/apis/3.0/system/securityRoles' % HOST,             # another scheme
    'https://%s:8443/v2025_1/apis/3.0/system/securityRoles' % HOST,       # another port
    'https://admin:%s@%s/v2025_1/apis/3.0/system/securityRoles' % (PASSWORD, HOST),  # with userinfo
])
def test_a_read_refuses_a_redirect_to_another_origin(server, clock, location):
    server.script('GET', ROLES, Reply(302, headers={'Location': location}))
    client = cw_client(server, clock)
    with pytest.raises(TransportError) as info:
        client.get('system/securityRoles')
    assert len(server.requests) == 1
    assert 'another origin' in str(info.value) and PASSWORD not in str(info.value)


def test_redirect_loops_within_the_origin_end(server, clock):
    server.script('GET', ROLES, Reply(302, headers={'Location': ROLES}))
    with pytest.raises(TransportError) as info:
        cw_client(server, clock).get('system/securityRoles')
    assert 'redirects' in str(info.value) and len(server.requests) == http.MAX_REDIRECTS + 1


# --- plain HTTP -----------------------------------------------------------------------------------------

def test_plain_http_site_is_refused_naming_the_variable(server, clock):
    with pytest.raises(SettingError) as info:
        cw_client(server, clock, site='http://127.0.0.1:8080')
    message = str(info.value)
    assert message.startswith('site (psa_cw_site)') and 'psa_allow_plain_http' in message and '\n' not in message
    assert server.requests == []


def test_plain_http_base_url_is_refused_naming_the_variable(server, clock):
    with pytest.raises(SettingError) as info:
        umbrella_client(server, clock, base_url='http://umbrella.example.test')
    assert str(info.value).startswith('base_url (psa_umbrella_base_url)')
    assert 'psa_allow_plain_http' in str(info.value)


def test_plain_http_when_allowed_works_and_warns(server, clock):
    server.script('GET', ROLES, Reply(200, json=[]))
    client = cw_client(server, clock, site='http://127.0.0.1:8080', allow_plain_http=True)
    assert client.get('system/securityRoles') == []
    warnings = take_warnings()
    assert len(warnings) == 1 and 'plain HTTP' in warnings[0] and 'psa_allow_plain_http' in warnings[0]
    umbrella_client(server, clock, base_url='http://umbrella.example.test', allow_plain_http=True)
    assert len(take_warnings()) == 1


# --- validate_certs: false, warned once per run and connection ------------------------------------------

class RunStore:
    """The run cache's value half (plugin_utils/run_cache.py), as the workers of one run share it."""

    def __init__(self):
        self.values = {}

    def get_value(self, key):
        return self.values.get(key)

    def put_value(self, key, value, lifetime=None):
        self.values[key] = value


def new_worker():
    """What a new task's worker process starts with."""
    take_warnings()
    http._WARNED_HERE.clear()  # pylint: disable=protected-access


def test_validate_certs_false_warns_once_per_run_and_tenant_across_tasks(server, clock):
    store = RunStore()
    seen = []
    for _task in range(4):  # four tasks of one tenant, each in a new worker
        new_worker()
        cw_client(server, clock, validate_certs=False, cache=store)
        umbrella_client(server, clock, validate_certs=False, org_id='111', cache=store)
        seen.append(take_warnings())
    assert [len(w) for w in seen] == [2, 0, 0, 0], seen
    assert 'psa_cw_validate_certs' in seen[0][0] and 'psa_umbrella_validate_certs' in seen[0][1]
    # Another tenant (company, organization) of the same run is warned about too, once.
    new_worker()
    cw_client(server, clock, validate_certs=False, cache=store)
    session = requests.Session()
    server.mount_on(session)
    ConnectWiseClient(HOST, 'other', 'P', 'K', 'c', validate_certs=False, session=session, cache=store)
    umbrella_client(server, clock, validate_certs=False, org_id='222', cache=store)
    assert len(take_warnings()) == 2
    # Verified connections say nothing.
    new_worker()
    cw_client(server, clock)
    assert take_warnings() == []


def test_warnings_reach_the_task_result():
    class Engine:
        @staticmethod
        def run(params, check_mode=False):
            http.warn_once('careful', ('k',))
            return {'changed': False}

    failed, result = run_engine(Engine, {}, False, False)
    assert not failed and result['warnings'] == ['careful']


# --- user names and passwords in URLs --------------------------------------------------------------------

@pytest.mark.parametrize('site', ['https://admin:%s@%s' % (PASSWORD, HOST), 'admin:%s@%s' % (PASSWORD, HOST),
                                  'http://admin:%s@%s' % (PASSWORD, HOST), 'https://admin:%s@%s/path' % (PASSWORD, HOST),
                                  'ftp://admin:%s@%s' % (PASSWORD, HOST), '%s@%s' % (PASSWORD, HOST)])
def test_a_site_with_userinfo_is_refused_without_showing_it(server, clock, site):
    with pytest.raises(SettingError) as info:
        cw_client(server, clock, site=site, allow_plain_http=True)
    message = str(info.value)
    assert PASSWORD not in message and 'admin' not in message
    assert message.startswith('site (psa_cw_site)') and '\n' not in message


@pytest.mark.parametrize('base_url', ['https://admin:%s@umbrella.example.test' % PASSWORD,
                                      'admin:%s@umbrella.example.test' % PASSWORD])
def test_a_base_url_with_userinfo_is_refused_without_showing_it(server, clock, base_url):
    with pytest.raises(SettingError) as info:
        umbrella_client(server, clock, base_url=base_url)
    assert PASSWORD not in str(info.value) and str(info.value).startswith('base_url (psa_umbrella_base_url)')


def test_userinfo_is_not_in_the_task_result_of_a_module():
    params = dict(site='https://admin:%s@%s' % (PASSWORD, HOST), company_id='acme', public_key='P',
                  private_key='K', client_id='c', api_version='2025.1', codebase=None, validate_certs=True,
                  allow_plain_http=False, ca_path=None, timeout=5, retry_max_time=5,
                  required=[{'module': 'System', 'function': 'Members', 'inquire': 'All'}])
    failed, result = run_engine(cw_access_info, params, False, False)
    assert failed and PASSWORD not in repr(result) and 'psa_cw_site' in result['msg'], result
    assert not result['msg'].startswith('Unexpected error')


def test_without_userinfo():
    assert http.without_userinfo('https://u:p@h:1/x?q') == 'https://h:1/x?q'
    assert http.without_userinfo('u:p@h') == 'h'
    # A password holding '/' or '@' (typed unencoded) is hidden whole: everything up to the last '@'
    # before the query goes, even if URL parsing would take part of it for a path.
    assert http.without_userinfo('https://svc:pa/ss@api.example.com/x') == 'https://api.example.com/x'
    assert http.without_userinfo('https://svc:p@ss@h') == 'https://h'
    assert http.without_userinfo('https://h/x?conditions=email="a@b"') == 'https://h/x?conditions=email="a@b"'
    for site in ('https://svc:pa/ss@api.example.com', 'https://svc:12/34@host'):
        with pytest.raises(http.SettingError) as refused:
            http.parse_origin(site, 'site', 'psa_cw_site', bare_host=True, allow_path=True)
        assert 'user name or password' in str(refused.value) and 'ss@' not in str(refused.value)
        assert '34@' not in str(refused.value)


# --- names that do not resolve, ports that refuse -------------------------------------------------------

def test_a_host_name_that_does_not_resolve_fails_at_once():
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment in between
    client = ConnectWiseClient('nonexistent.invalid', 'acme', 'P', 'K', 'c', codebase='v2025_1/',
                               retry_max_time=10, session=session)
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        client.get('system/securityRoles')
    elapsed = time.monotonic() - started
    assert elapsed < 2, elapsed
    assert client.request_count == 1
    message = str(info.value)
    assert 'nonexistent.invalid does not resolve' in message and 'psa_cw_site' in message and '\n' not in message


def test_a_refused_connection_is_retried_briefly_not_for_the_whole_budget(server, clock):
    from urllib3.exceptions import MaxRetryError, NewConnectionError
    reason = NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')
    reason.__cause__ = ConnectionRefusedError(111, 'Connection refused')
    server.script('GET', ROLES, requests.exceptions.ConnectionError(MaxRetryError(None, ROLES, reason)))
    client = cw_client(server, clock, retry_max_time=120)
    started = clock.now
    with pytest.raises(TransportError) as info:
        client.get('system/securityRoles')
    assert clock.now - started <= http.BRIEF_RETRY_TIME
    assert len(server.requests) >= 3  # retried: a restarting server comes back within seconds
    message = str(info.value)
    assert 'not retried longer' in message and 'psa_cw_site' in message
    assert 'connection refused by https://%s' % HOST in message


def test_a_refused_port_is_given_up_within_the_brief_window_on_a_real_socket(monkeypatch):
    monkeypatch.setattr(http, 'BRIEF_RETRY_TIME', 2.0)
    session = requests.Session()
    session.trust_env = False
    client = ConnectWiseClient('127.0.0.1:%d' % closed_port(), 'acme', 'P', 'K', 'c', codebase='v2025_1/',
                               retry_max_time=60, session=session)
    started = time.monotonic()
    with pytest.raises(TransportError):
        client.get('system/securityRoles')
    assert time.monotonic() - started < 4
    assert client.request_count >= 2


# --- answers the client cannot read ---------------------------------------------------------------------

def test_an_empty_200_to_a_read_is_a_one_line_error_naming_the_request(server, clock):
    server.script('GET', ROLES, Reply(200, body=b''))
    client = cw_client(server, clock)
    with pytest.raises(TransportError) as info:
        client.list('system/securityRoles', conditions='name="x"')
    message = str(info.value)
    assert message.startswith('ConnectWise GET /system/securityRoles failed: ') and 'empty body' in message
    assert 'conditions' not in message and 'NoneType' not in message and '\n' not in message
    assert clock.now - 1000.0 <= http.BRIEF_RETRY_TIME  # not the whole retry_max_time


def test_an_empty_200_to_a_post_is_a_one_line_error_naming_the_request(server, clock):
    server.script('POST', ROLES, Reply(200, body=b''))
    client = cw_client(server, clock)
    with pytest.raises(MaybeAppliedError) as info:
        client.post('system/securityRoles', {'name': 'Umbrella'})
    message = str(info.value)
    assert message.startswith('ConnectWise POST /system/securityRoles failed: 200 OK with an empty body')
    assert len(server.calls('POST')) == 1  # never sent twice blindly


def test_an_empty_201_to_a_post_is_recovered_by_reading_back_like_a_lost_answer(server, clock):
    server.script('POST', ROLES, Reply(201, body=b''))
    client = cw_client(server, clock)
    found = {'id': 7, 'name': 'Umbrella'}
    record = client.post('system/securityRoles', {'name': 'Umbrella'}, recover=lambda: found)
    assert record == found and len(server.calls('POST')) == 1
    assert json_body(server.calls('POST')[0]) == {'name': 'Umbrella'}


def test_an_empty_umbrella_token_answer_is_an_error_naming_the_request(server, clock):
    server.script('POST', '/auth/v2/token', Reply(200, body=b''))
    client = umbrella_client(server, clock)
    with pytest.raises(TransportError) as info:
        client.get('/admin/v2/managed/customers')
    assert str(info.value).startswith('Umbrella POST /auth/v2/token failed: ')


def test_a_delete_and_a_204_may_be_empty(server, clock):
    server.script('DELETE', ROLES + '/4', Reply(204))
    server.script('PATCH', ROLES + '/4', Reply(204))
    client = cw_client(server, clock)
    client.delete('system/securityRoles/4')
    client._request('PATCH', 'system/securityRoles/4', body=[])  # pylint: disable=protected-access


def test_the_overlap_message_of_two_tenants_on_one_site_never_shows_its_password():
    from ansible_collections.msp.umbrella_psa.plugins.filter.tenant_overlaps import tenant_overlaps
    site = 'https://admin:%s@%s' % (PASSWORD, HOST)
    hostvars = {h: {'psa_cw_site': site, 'psa_cw_company_id': 'acme'} for h in ('a', 'b')}
    found = tenant_overlaps(['a', 'b'], hostvars)
    assert set(found) == {'a', 'b'} and PASSWORD not in repr(found) and HOST in found['a']
