# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""UmbrellaClient against a scripted server: token cache and renewal, org header, paging, errors, secrets."""

import base64
import pickle

import pytest
import requests

from ansible_collections.msp.umbrella_psa.plugins.module_utils import umbrella
from ansible_collections.msp.umbrella_psa.plugins.module_utils.umbrella import (
    UmbrellaAuthError,
    UmbrellaClient,
    UmbrellaError,
    UmbrellaNotFound,
    UmbrellaUnsupported,
)

from fake_http import FakeClock, FakeServer, Reply, form, query

SECRET = 'S3cret-Umbrella-do-not-leak'
KEY = 'key-0123456789abcdef'
BASE = 'https://umbrella.example.test'
TOKEN = '/auth/v2/token'
CUSTOMERS = '/admin/v2/managed/customers'


@pytest.fixture(autouse=True)
def fresh_token_cache():
    umbrella.clear_token_cache()
    yield
    umbrella.clear_token_cache()


@pytest.fixture
def clock():
    return FakeClock()


class TokenIssuer:
    """Hands out token-1, token-2, ... and tells which ones are still valid."""

    def __init__(self, expires_in=3600):
        self.issued = []
        self.expires_in = expires_in
        self.revoked = set()

    def __call__(self, request):
        if not request.url.endswith(TOKEN):
            return None
        token = 'token-%d' % (len(self.issued) + 1)
        self.issued.append(token)
        return Reply(200, json={'token_type': 'bearer', 'access_token': token, 'expires_in': self.expires_in})


@pytest.fixture
def issuer():
    return TokenIssuer()


@pytest.fixture
def server(clock, issuer):
    fake = FakeServer(clock=clock)
    fake.handle(issuer)
    return fake


def make_client(server, clock, secret=SECRET, **kwargs):
    session = requests.Session()
    server.mount_on(session)
    kwargs.setdefault('base_url', BASE)
    return UmbrellaClient(KEY, secret, session=session, sleep=clock.sleep, clock=clock, rand=lambda: 0.5, **kwargs)


@pytest.fixture
def client(server, clock):
    return make_client(server, clock)


def data_calls(server):
    return [r for r in server.requests if not r.url.endswith(TOKEN)]


# --- token -----------------------------------------------------------------------------------------

def test_token_request_is_client_credentials_with_basic_auth(client, server):
    server.script('GET', CUSTOMERS + '/1', Reply(200, json={'customerId': 1}))
    assert client.get(CUSTOMERS + '/1') == {'customerId': 1}
    token_request = server.requests[0]
    assert token_request.method == 'POST' and token_request.url == BASE + TOKEN
    assert token_request.headers['Authorization'] == 'Basic ' + base64.b64encode(
        ('%s:%s' % (KEY, SECRET)).encode()).decode()
    assert token_request.headers['Content-Type'] == 'application/x-www-form-urlencoded'
    assert form(token_request) == {'grant_type': 'client_credentials'}
    assert server.requests[1].headers['Authorization'] == 'Bearer token-1'


def test_one_token_serves_many_calls_and_clients_of_the_same_key(server, clock, issuer):
    server.script('GET', CUSTOMERS, Reply(200, json=[]))
    first = make_client(server, clock, org_id='111')
    second = make_client(server, clock, org_id='222')
    for _round in range(5):
        first.get(CUSTOMERS)
        second.get(CUSTOMERS)
    assert issuer.issued == ['token-1']
    assert len(data_calls(server)) == 10
    assert first.request_count == 6 and second.request_count == 5


def test_another_secret_or_base_url_gets_its_own_token(server, clock, issuer):
    server.script('GET', CUSTOMERS, Reply(200, json=[]))
    make_client(server, clock).get(CUSTOMERS)
    make_client(server, clock, secret='rotated-secret').get(CUSTOMERS)
    make_client(server, clock, base_url='https://other.example.test').get(CUSTOMERS)
    assert issuer.issued == ['token-1', 'token-2', 'token-3']


def test_token_cache_never_holds_the_secret(client, server):
    server.script('GET', CUSTOMERS, Reply(200, json=[]))
    client.get(CUSTOMERS)
    assert SECRET not in repr(umbrella._TOKEN_CACHE)  # pylint: disable=protected-access


@pytest.mark.parametrize('expires_in, still_valid_at, renewed_at', [(3600, 3299, 3301), (100, 49, 51)])
def test_token_is_renewed_before_it_expires(server, clock, issuer, expires_in, still_valid_at, renewed_at):
    issuer.expires_in = expires_in
    server.script('GET', CUSTOMERS, Reply(200, json=[]))
    client = make_client(server, clock)
    start = clock.now
    client.get(CUSTOMERS)
    clock.now = start + still_valid_at
    client.get(CUSTOMERS)
    assert issuer.issued == ['token-1']
    clock.now = start + renewed_at
    client.get(CUSTOMERS)
    assert issuer.issued == ['token-1', 'token-2']
    assert data_calls(server)[-1].headers['Authorization'] == 'Bearer token-2'


@pytest.mark.parametrize('rejection', [Reply(400, json={'error': 'invalid_request'}),
                                       Reply(401, json={'message': 'Unauthorized'})])
def test_rejected_token_is_replaced_once_and_the_call_repeated(client, server, issuer, rejection):
    server.script('GET', CUSTOMERS, rejection, Reply(200, json=[{'customerId': 1}]))
    assert client.get(CUSTOMERS) == [{'customerId': 1}]
    assert issuer.issued == ['token-1', 'token-2']
    calls = data_calls(server)
    assert [c.headers['Authorization'] for c in calls] == ['Bearer token-1', 'Bearer token-2']
    # The replacement is cached for the next call.
    client.get(CUSTOMERS)
    assert issuer.issued == ['token-1', 'token-2']


@pytest.mark.parametrize('rejection', [Reply(400, json={'error': 'invalid_request'}),
                                       Reply(401, json={'message': 'Unauthorized'})])
def test_a_second_rejection_is_an_auth_error_not_a_loop(client, server, issuer, rejection):
    server.script('GET', CUSTOMERS, rejection)
    with pytest.raises(UmbrellaAuthError) as info:
        client.get(CUSTOMERS)
    assert issuer.issued == ['token-1', 'token-2']
    assert len(data_calls(server)) == 2
    assert info.value.status == rejection.status


def test_other_400_is_not_taken_for_an_expired_token(client, server, issuer):
    server.script('POST', CUSTOMERS, Reply(400, json={'message': 'customerName: must be 1..255 characters'}))
    with pytest.raises(UmbrellaError) as info:
        client.post(CUSTOMERS, {'customerName': ''})
    assert info.value.__class__ is UmbrellaError
    assert issuer.issued == ['token-1']
    assert str(info.value) == ('Umbrella POST /admin/v2/managed/customers failed: 400: '
                               'customerName: must be 1..255 characters')


def test_refused_credentials_on_the_token_request(server, clock):
    server.handlers.clear()
    server.script('POST', TOKEN, Reply(401, json={'message': 'Invalid API key or secret'}))
    client = make_client(server, clock)
    with pytest.raises(UmbrellaAuthError) as info:
        client.get(CUSTOMERS)
    assert str(info.value).startswith('Umbrella POST /auth/v2/token failed: 401: Invalid API key or secret')
    assert 'api_key and api_secret' in str(info.value)
    assert SECRET not in str(info.value)


def test_token_requests_are_rate_limited_without_retry_after(server, clock, issuer):
    server.handlers.clear()
    server.script('POST', TOKEN, Reply(429, json={'message': 'Too Many Requests'}),
                  Reply(200, json={'access_token': 'token-x', 'expires_in': 3600}))
    server.script('GET', CUSTOMERS, Reply(200, json=[]))
    make_client(server, clock).get(CUSTOMERS)
    # No Retry-After from Umbrella: about a second with jitter (rand = 0.5 here).
    assert clock.sleeps == [0.75]


# --- org header --------------------------------------------------------------------------------------

def test_a_token_request_dropped_or_502_after_sending_is_retried(clock):
    # Asking again for a token writes nothing: unlike other POSTs it is retried after a drop or a 502.
    import urllib3.exceptions  # pylint: disable=import-outside-toplevel
    dropped = requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
        'Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')))
    server = FakeServer(clock=clock)
    server.script('POST', TOKEN, dropped, Reply(502),
                  Reply(200, json={'token_type': 'bearer', 'access_token': 'token-x', 'expires_in': 3600}))
    server.script('GET', CUSTOMERS + '/1', Reply(200, json={'customerId': 1}))
    client = make_client(server, clock)
    assert client.get(CUSTOMERS + '/1') == {'customerId': 1}
    assert [r.method for r in server.requests] == ['POST', 'POST', 'POST', 'GET']


def test_org_header_goes_on_data_requests_only(server, clock):
    server.script('PUT', '/admin/v2/psa/integration', Reply(200, json={'psa': 'connectwise'}))
    client = make_client(server, clock, org_id=8123456)
    client.put('/admin/v2/psa/integration', {'psa': 'connectwise'}, extension=True)
    token_request, data_request = server.requests
    assert 'X-Umbrella-OrgId' not in token_request.headers
    assert data_request.headers['X-Umbrella-OrgId'] == '8123456'
    assert data_request.headers['Content-Type'] == 'application/json'


def test_no_org_header_without_org_id(client, server):
    server.script('GET', CUSTOMERS, Reply(200, json=[]))
    client.get(CUSTOMERS)
    assert 'X-Umbrella-OrgId' not in server.requests[1].headers


# --- paging --------------------------------------------------------------------------------------------

def test_list_pages_until_a_short_page(client, server):
    pages = {'1': [{'customerId': 1}, {'customerId': 2}], '2': [{'customerId': 3}, {'customerId': 4}],
             '3': [{'customerId': 5}]}
    server.handle(lambda r: Reply(200, json=pages[query(r)['page']]) if CUSTOMERS in r.url else None)
    items = client.list(CUSTOMERS, limit=2)
    assert [i['customerId'] for i in items] == [1, 2, 3, 4, 5]
    assert [query(r) for r in data_calls(server)] == [
        {'page': '1', 'limit': '2'}, {'page': '2', 'limit': '2'}, {'page': '3', 'limit': '2'}]


def test_list_stops_after_an_empty_page_and_keeps_extra_params(client, server):
    pages = {'1': [{'id': 1}, {'id': 2}], '2': []}
    server.handle(lambda r: Reply(200, json=pages[query(r)['page']]) if CUSTOMERS in r.url else None)
    assert len(client.list(CUSTOMERS, limit=2, params={'sort': 'name'})) == 2
    assert query(data_calls(server)[0]) == {'page': '1', 'limit': '2', 'sort': 'name'}


def test_list_stops_when_the_server_ignores_page(client, server):
    server.script('GET', CUSTOMERS, Reply(200, json=[{'id': 1}, {'id': 2}]))
    assert client.list(CUSTOMERS, limit=2) == [{'id': 1}, {'id': 2}]
    assert len(data_calls(server)) == 2


def test_default_limit_is_100(client, server):
    server.script('GET', CUSTOMERS, Reply(200, json=[]))
    client.list(CUSTOMERS)
    assert query(data_calls(server)[0]) == {'page': '1', 'limit': '100'}


# --- errors --------------------------------------------------------------------------------------------

def test_404_is_unsupported_only_on_an_extension_route(client, server):
    server.script('GET', '/admin/v2/psa/integration', Reply(404, json={'message': 'Not Found'}))
    server.script('GET', CUSTOMERS + '/9', Reply(404, json={'message': 'Customer not found'}))
    with pytest.raises(UmbrellaUnsupported):
        client.get('/admin/v2/psa/integration', extension=True)
    with pytest.raises(UmbrellaNotFound) as info:
        client.get(CUSTOMERS + '/9')
    assert str(info.value) == 'Umbrella GET /admin/v2/managed/customers/9 failed: 404: Customer not found'


def test_405_on_an_extension_route_is_unsupported(client, server):
    server.script('PUT', '/admin/v2/psa/integration', Reply(405, body=''))
    with pytest.raises(UmbrellaUnsupported) as info:
        client.put('/admin/v2/psa/integration', {}, extension=True)
    assert info.value.status == 405


def test_status_code_error_message_variant(client, server):
    server.script('DELETE', '/deployments/v2/networks/1',
                  Reply(409, json={'statusCode': 409, 'error': 'Conflict', 'message': 'Network is in use'}))
    with pytest.raises(UmbrellaError) as info:
        client.delete('/deployments/v2/networks/1')
    assert str(info.value) == 'Umbrella DELETE /deployments/v2/networks/1 failed: 409: Conflict: Network is in use'


def test_forbidden_hints_at_scope_and_org(server, clock):
    server.script('GET', CUSTOMERS, Reply(403, json={'message': 'Forbidden'}))
    client = make_client(server, clock, org_id='42')
    with pytest.raises(UmbrellaAuthError) as info:
        client.get(CUSTOMERS)
    assert 'org_id' in str(info.value) and 'scope' in str(info.value)


def test_non_json_error_is_summarised(client, server):
    server.script('GET', CUSTOMERS, Reply(500, body='<html>oops</html>', headers={'Content-Type': 'text/html'}))
    with pytest.raises(UmbrellaError) as info:
        client.get(CUSTOMERS)
    assert str(info.value) == ('Umbrella GET /admin/v2/managed/customers failed: 500: Internal Server Error '
                               '(text/html answer, not Umbrella JSON)')


def test_delete_returns_none_on_204(client, server):
    server.script('DELETE', CUSTOMERS + '/5', Reply(204))
    assert client.delete(CUSTOMERS + '/5') is None


def test_errors_survive_pickling(client, server):
    server.script('GET', '/admin/v2/psa/customers', Reply(404, json={'message': 'Not Found'}))
    with pytest.raises(UmbrellaUnsupported) as info:
        client.get('/admin/v2/psa/customers', extension=True)
    copy = pickle.loads(pickle.dumps(info.value))
    assert copy.__class__ is UmbrellaUnsupported and str(copy) == str(info.value)


# --- secrets ---------------------------------------------------------------------------------------------

def test_secret_and_token_never_appear_in_repr_or_errors(server, clock):
    server.script('GET', CUSTOMERS, Reply(403, json={'message': 'Forbidden'}))
    server.script('GET', CUSTOMERS + '/1', Reply(503))
    client = make_client(server, clock, retry_max_time=1)
    texts = [repr(client), str(client)]
    for path in (CUSTOMERS, CUSTOMERS + '/1'):
        with pytest.raises(Exception) as info:
            client.get(path)
        texts += [str(info.value), repr(info.value), repr(vars(info.value))]
    basic = base64.b64encode(('%s:%s' % (KEY, SECRET)).encode()).decode()
    for text in texts:
        assert SECRET not in text
        assert basic not in text
        assert 'token-1' not in text
    assert KEY in repr(client)


def test_missing_credentials_are_refused():
    with pytest.raises(ValueError):
        UmbrellaClient(KEY, '')


class DictStore:
    """The run cache's interface over a dict (the real one talks to a keeper process)."""

    lasting = True

    def __init__(self):
        self.tokens = {}

    def get(self, key):
        return self.tokens.get(key)

    def put(self, key, token, expires_at):
        self.tokens[key] = (token, expires_at)

    def drop(self, key):
        self.tokens.pop(key, None)

    def claim(self, key):
        return self.tokens.get(key) or 'fetch'

    def release(self, key):
        pass


@pytest.fixture
def shared_store():
    return DictStore()


def test_a_token_is_shared_across_processes_through_the_run_store(server, clock, issuer, shared_store):
    server.script('GET', CUSTOMERS, Reply(200, json=[]), Reply(200, json=[]))
    make_client(server, clock, cache=shared_store).get(CUSTOMERS)
    umbrella.clear_token_cache()  # what the next task's fresh worker process starts with
    make_client(server, clock, cache=shared_store).get(CUSTOMERS)
    assert issuer.issued == ['token-1']
    assert [c.headers['Authorization'] for c in data_calls(server)] == ['Bearer token-1'] * 2
    stored_key = next(iter(shared_store.tokens))
    assert SECRET not in stored_key and 'token-1' not in stored_key


class ClaimingStore(DictStore):
    """Scripted answers to claim (then the plain store's), and a record of the releases."""

    def __init__(self, answers=()):
        super(ClaimingStore, self).__init__()
        self.answers = list(answers)
        self.released = []

    def claim(self, key):
        if self.answers:
            return self.answers.pop(0)
        return super(ClaimingStore, self).claim(key)

    def release(self, key):
        self.released.append(key)


def test_a_client_told_to_wait_uses_the_token_another_task_fetched(server, clock, issuer):
    store = ClaimingStore(answers=['wait', 'wait'])
    other = make_client(server, clock, cache=store)
    server.script('GET', CUSTOMERS, Reply(200, json=[]), Reply(200, json=[]))
    other.get(CUSTOMERS)  # told to wait twice, then to fetch: one token, stored
    assert issuer.issued == ['token-1'] and len(store.tokens) == 1
    umbrella.clear_token_cache()
    store.answers = ['wait']
    make_client(server, clock, cache=store).get(CUSTOMERS)  # waits once, then finds the stored token
    assert issuer.issued == ['token-1']


def test_a_waiting_client_sleeps_with_the_real_clock_when_none_is_given(server, clock, issuer, monkeypatch):
    slept = []
    monkeypatch.setattr(umbrella.time, 'sleep', slept.append)
    store = ClaimingStore(answers=['wait'])
    session = requests.Session()
    server.mount_on(session)
    client = UmbrellaClient(KEY, SECRET, session=session, clock=clock, rand=lambda: 0.5, base_url=BASE, cache=store)
    server.script('GET', CUSTOMERS, Reply(200, json=[]))
    client.get(CUSTOMERS)
    assert slept == [umbrella.CLAIM_POLL_SECONDS]


def test_a_failed_token_fetch_releases_the_claim(server, clock):
    store = ClaimingStore()
    server.handlers.clear()
    server.script('POST', TOKEN, Reply(401, json={'message': 'Invalid API key or secret'}))
    with pytest.raises(UmbrellaAuthError):
        make_client(server, clock, cache=store).get(CUSTOMERS)
    assert len(store.released) == 1 and store.tokens == {}


def test_a_rejected_shared_token_is_dropped_and_replaced(server, clock, issuer, shared_store):
    server.script('GET', CUSTOMERS, Reply(200, json=[]), Reply(401, json={'message': 'Unauthorized'}),
                  Reply(200, json=[]))
    make_client(server, clock, cache=shared_store).get(CUSTOMERS)
    umbrella.clear_token_cache()
    make_client(server, clock, cache=shared_store).get(CUSTOMERS)
    assert issuer.issued == ['token-1', 'token-2']
    assert [token for token, _expiry in shared_store.tokens.values()] == ['token-2']
