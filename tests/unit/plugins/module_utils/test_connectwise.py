# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ConnectWiseClient against a scripted server: URL, headers, codebase, paging, find, errors, secrets."""

import base64
import pickle

import pytest
import requests

from ansible_collections.msp.umbrella_psa.plugins.module_utils import connectwise as cw
from ansible_collections.msp.umbrella_psa.plugins.module_utils.connectwise import (
    ConnectWiseAuthError,
    ConnectWiseClient,
    ConnectWiseError,
    ConnectWiseNotFound,
    ConnectWiseUnsupported,
    TransportError,
    parse_link_header,
)

from fake_http import FakeClock, FakeServer, Reply, json_body, query

PRIVATE_KEY = 'Pr1vate-Secret-Key-do-not-leak'
HOST = 'cw.example.test'
API = '/v2025_1/apis/3.0'
MEMBERS = API + '/system/apiMembers'
BASE = 'https://%s%s' % (HOST, API)


@pytest.fixture(autouse=True)
def fresh_codebase_cache():
    cw.clear_codebase_cache()
    yield
    cw.clear_codebase_cache()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def server(clock):
    return FakeServer(clock=clock)


def make_client(server, clock, codebase='v2025_1/', site=HOST, company_id='acme', **kwargs):
    session = requests.Session()
    server.mount_on(session)
    return ConnectWiseClient(site, company_id, 'PubKey123', PRIVATE_KEY, 'c1d2e3f4-0000-4000-8000-000000000001',
                             codebase=codebase, session=session, sleep=clock.sleep, clock=clock,
                             rand=lambda: 0.5, **kwargs)


@pytest.fixture
def client(server, clock):
    return make_client(server, clock)


def members(*ids):
    return [{'id': i, 'identifier': 'member%d' % i} for i in ids]


# --- URL and headers ------------------------------------------------------------------------------

def test_every_request_carries_the_documented_headers(client, server):
    server.script('GET', MEMBERS + '/5', Reply(200, json={'id': 5}))
    assert client.get('/system/apiMembers/5') == {'id': 5}
    request = server.requests[0]
    expected_auth = 'Basic ' + base64.b64encode(('acme+PubKey123:%s' % PRIVATE_KEY).encode()).decode()
    assert request.headers['Authorization'] == expected_auth
    assert request.headers['clientId'] == 'c1d2e3f4-0000-4000-8000-000000000001'
    assert request.headers['Accept'] == 'application/vnd.connectwise.com+json; version=2025.1'
    assert request.headers['Content-Type'] == 'application/json'
    assert request.url == BASE + '/system/apiMembers/5'


def test_api_version_goes_into_accept(server, clock):
    client = make_client(server, clock, api_version='2025.8')
    server.script('GET', MEMBERS + '/5', Reply(200, json={'id': 5}))
    client.get('system/apiMembers/5')
    assert server.requests[0].headers['Accept'].endswith('version=2025.8')


@pytest.mark.parametrize('site, base_url', [
    ('api-na.myconnectwise.net', 'https://api-na.myconnectwise.net/v4_6_release/apis/3.0'),
    ('API-NA.myconnectwise.net/', 'https://api-na.myconnectwise.net/v4_6_release/apis/3.0'),
    ('cw.example.test:8443', 'https://cw.example.test:8443/v4_6_release/apis/3.0'),
    ('https://cw.example.test:8443', 'https://cw.example.test:8443/v4_6_release/apis/3.0'),
    ('http://127.0.0.1:8080/', 'http://127.0.0.1:8080/v4_6_release/apis/3.0'),
])
def test_site_forms(server, clock, site, base_url):
    # http:// only with allow_plain_http (refused otherwise: test_http_hold.py).
    client = make_client(server, clock, site=site, codebase='/v4_6_release',
                         allow_plain_http=site.startswith('http://'))
    assert client.base_url == base_url


@pytest.mark.parametrize('site', ['https://cw.example.test/v4_6_release/apis/3.0', 'ftp://cw.example.test',
                                  'https://user:pw@cw.example.test', '', 'https://', 'cw.example.test:https'])
def test_site_with_a_path_or_odd_scheme_is_refused(server, clock, site):
    with pytest.raises(ValueError):
        make_client(server, clock, site=site)


def test_post_put_patch_delete_and_count(client, server):
    server.script('POST', MEMBERS, Reply(201, json={'id': 9, 'identifier': 'umbrella'}))
    server.script('PUT', MEMBERS + '/9', Reply(200, json={'id': 9, 'name': 'Umbrella'}))
    server.script('PATCH', MEMBERS + '/9', Reply(200, json={'id': 9, 'inactiveFlag': True}))
    server.script('DELETE', API + '/system/securityroles/4', Reply(204))
    server.script('GET', MEMBERS + '/count', Reply(200, json={'count': 42}))
    assert client.post('/system/apiMembers', {'identifier': 'umbrella'}) == {'id': 9, 'identifier': 'umbrella'}
    assert json_body(server.requests[-1]) == {'identifier': 'umbrella'}
    assert client.put('/system/apiMembers/9', {'name': 'Umbrella'})['name'] == 'Umbrella'
    ops = [{'op': 'replace', 'path': 'inactiveFlag', 'value': True}]
    assert client.patch('/system/apiMembers/9', ops)['inactiveFlag'] is True
    assert json_body(server.requests[-1]) == ops
    assert client.delete('/system/securityroles/4') is None
    assert client.count('/system/apiMembers', conditions='inactiveFlag=false') == 42
    assert query(server.requests[-1]) == {'conditions': 'inactiveFlag=false'}
    assert client.request_count == 5
    with pytest.raises(TypeError):
        client.patch('/system/apiMembers/9', {'inactiveFlag': True})


def test_a_2xx_answer_that_is_not_json_is_an_error(client, server):
    server.script('GET', MEMBERS + '/1', Reply(200, body='<html>login</html>', headers={'Content-Type': 'text/html'}))
    with pytest.raises(ConnectWiseError) as info:
        client.get('/system/apiMembers/1')
    assert 'text/html' in str(info.value)


# --- codebase discovery ---------------------------------------------------------------------------

def companyinfo(codebase='v2025_1/'):
    return Reply(200, json={'Codebase': codebase, 'VersionCode': 'v2025.1', 'CompanyID': 'acme', 'IsCloud': True})


def test_codebase_is_discovered_without_credentials_and_cached(server, clock):
    server.script('GET', '/login/companyinfo/acme', companyinfo())
    server.script('GET', MEMBERS + '/1', Reply(200, json={'id': 1}))
    first = make_client(server, clock, codebase=None)
    assert first.get('/system/apiMembers/1') == {'id': 1}
    info_calls = server.calls('GET', '/login/companyinfo/acme')
    assert len(info_calls) == 1
    assert 'Authorization' not in info_calls[0].headers
    assert first.base_url == BASE
    # A second client of the same site and company does not ask again.
    second = make_client(server, clock, codebase=None, company_id='ACME')
    assert second.base_url == BASE
    assert len(server.calls('GET', '/login/companyinfo/acme')) == 1
    assert second.request_count == 0


def test_codebase_cache_is_per_site_and_company(server, clock):
    server.script('GET', '/login/companyinfo/acme', companyinfo('v2025_1/'))
    server.script('GET', '/login/companyinfo/other', companyinfo('v2024_2/'))
    assert make_client(server, clock, codebase=None).base_url == BASE
    assert make_client(server, clock, codebase=None, company_id='other').base_url.endswith('/v2024_2/apis/3.0')
    assert len(server.calls('GET')) == 2


def test_unknown_company_says_what_to_check(server, clock):
    server.script('GET', '/login/companyinfo/acme', Reply(200, json={'Codebase': None}))
    client = make_client(server, clock, codebase=None)
    with pytest.raises(ConnectWiseError) as info:
        client.get('/system/apiMembers/1')
    assert 'company_id' in str(info.value) and 'codebase' in str(info.value)


def test_company_id_is_escaped_in_the_companyinfo_path(server, clock):
    server.script('GET', '/login/companyinfo/a%2Fb%20c', companyinfo())
    assert make_client(server, clock, codebase=None, company_id='a/b c').base_url == BASE


# --- paging ----------------------------------------------------------------------------------------

def test_list_follows_link_next_across_three_pages(client, server):
    page2 = BASE + '/system/apiMembers?pageSize=1000&pageId=2'
    page3 = BASE + '/system/apiMembers?pageSize=1000&pageId=4'

    @server.handle
    def pages(request):
        q = query(request)
        if q.get('pageId') == '2':
            return Reply(200, json=members(3, 4), headers={'Link': '<%s>; rel="next"' % page3})
        if q.get('pageId') == '4':
            return Reply(200, json=members(5))
        return Reply(200, json=members(1, 2), headers={'Link': '<%s>; rel="next"' % page2})

    records = client.list('/system/apiMembers', conditions='inactiveFlag=false', fields=['id', 'identifier'])
    assert [r['id'] for r in records] == [1, 2, 3, 4, 5]
    assert len(server.requests) == 3
    assert query(server.requests[0]) == {'pageSize': '1000', 'conditions': 'inactiveFlag=false',
                                         'fields': 'id,identifier'}
    assert [r.url for r in server.requests[1:]] == [page2, page3]
    assert all(r.headers['pagination-type'] == 'forward-only' for r in server.requests)
    assert client.request_count == 3


def test_ordered_list_uses_navigable_paging(client, server):
    server.script('GET', MEMBERS, Reply(200, json=members(2, 1)))
    client.list('/system/apiMembers', order_by='identifier desc')
    assert query(server.requests[0])['orderBy'] == 'identifier desc'
    assert 'pagination-type' not in server.requests[0].headers


def test_next_link_to_another_host_is_fetched_from_our_own_origin(client, server):
    server.handle(lambda r: Reply(200, json=members(1), headers={
        'Link': '<https://elsewhere.example/v2025_1/apis/3.0/system/apiMembers?page=2>; rel="next"'})
        if 'page=2' not in r.url else Reply(200, json=members(2)))
    assert [r['id'] for r in client.list('/system/apiMembers')] == [1, 2]
    assert server.requests[1].url == BASE + '/system/apiMembers?page=2'


def test_paging_loop_is_detected(client, server):
    loop = BASE + '/system/apiMembers?page=2'
    server.handle(lambda r: Reply(200, json=members(1), headers={'Link': '<%s>; rel="next"' % loop}))
    with pytest.raises(ConnectWiseError) as info:
        client.list('/system/apiMembers')
    assert info.value.code == 'PagingLoop'
    # page 1, then page 2 once; page 2 pointing to itself stops the loop.
    assert len(server.requests) == 2


def test_empty_list(client, server):
    server.script('GET', MEMBERS, Reply(200, json=[]))
    assert client.list('/system/apiMembers') == []


@pytest.mark.parametrize('header, expected', [
    ('<https://h/a?page=2>; rel="next", <https://h/a?page=9>; rel="last"',
     {'next': 'https://h/a?page=2', 'last': 'https://h/a?page=9'}),
    ('<https://h/a?page=1>;rel=first,<https://h/a?page=2>;rel=next',
     {'first': 'https://h/a?page=1', 'next': 'https://h/a?page=2'}),
    ('<https://h/a?conditions=id%20in%20(1,2)&page=2>; title="x, y"; rel="next last"',
     {'next': 'https://h/a?conditions=id%20in%20(1,2)&page=2', 'last': 'https://h/a?conditions=id%20in%20(1,2)&page=2'}),
    ('<https://h/a?page=3>; REL="Next"', {'next': 'https://h/a?page=3'}),
    ('', {}), ('garbage', {}), (None, {}),
])
def test_parse_link_header(header, expected):
    assert parse_link_header(header) == expected


# --- find ------------------------------------------------------------------------------------------

def test_find_asks_the_server_then_keeps_exact_case_insensitive_matches(client, server):
    server.script('GET', MEMBERS, Reply(200, json=[
        {'id': 1, 'identifier': 'Umbrella'}, {'id': 2, 'identifier': 'umbrella2'}, {'id': 3, 'identifier': 'UMBRELLA'}]))
    found = client.find('/system/apiMembers', 'identifier', 'umbrella')
    assert [r['id'] for r in found] == [1, 3]
    assert query(server.requests[0])['conditions'] == 'identifier="umbrella"'


def test_find_on_a_nested_field(client, server):
    server.script('GET', MEMBERS, Reply(200, json=[
        {'id': 1, 'securityRole': {'id': 3}}, {'id': 2, 'securityRole': {'id': 30}}, {'id': 4}]))
    assert [r['id'] for r in client.find('/system/apiMembers', 'securityRole/id', 3)] == [1]
    assert query(server.requests[0])['conditions'] == 'securityRole/id=3'


def test_find_with_an_unquotable_value_lists_everything_and_filters_here(client, server):
    value = 'both " and \''
    server.script('GET', MEMBERS, Reply(200, json=[{'id': 1, 'name': value}, {'id': 2, 'name': 'both'}]))
    assert [r['id'] for r in client.find('/system/apiMembers', 'name', value)] == [1]
    assert 'conditions' not in query(server.requests[0])


def test_find_with_a_bad_field_name_is_refused(client, server):
    with pytest.raises(cw.ConditionValueError):
        client.find('/system/apiMembers', 'name="x" or id', 'x')
    assert server.requests == []


# --- errors ----------------------------------------------------------------------------------------

def test_duplicate_is_one_readable_line(client, server):
    server.script('POST', MEMBERS, Reply(400, json={
        'code': 'InvalidObject', 'message': 'ApiMember object is invalid',
        'errors': [{'code': 'ObjectExists', 'message': 'The identifier is already in use.',
                    'resource': 'apiMember', 'field': 'identifier'}]}))
    with pytest.raises(ConnectWiseError) as info:
        client.post('/system/apiMembers', {'identifier': 'umbrella'})
    error = info.value
    assert error.__class__ is ConnectWiseError
    assert str(error) == ('ConnectWise POST /system/apiMembers failed: 400 InvalidObject: ApiMember object is '
                          'invalid (identifier: ObjectExists: The identifier is already in use.)')
    assert (error.status, error.code, error.method, error.path) == (400, 'InvalidObject', 'POST', '/system/apiMembers')
    assert error.errors[0]['code'] == 'ObjectExists'


def test_unknown_route_is_unsupported_and_unknown_record_is_not_found(client, server):
    server.script('PATCH', API + '/system/securityRoles/1/settings/2', Reply(404, json={
        'code': 'NotFound', 'message': 'The endpoint does not exist.'}))
    server.script('GET', MEMBERS + '/77', Reply(404, json={
        'code': 'NotFound', 'message': 'ApiMember recId 77 not found.'}))
    with pytest.raises(ConnectWiseUnsupported):
        client.patch('/system/securityRoles/1/settings/2', [])
    with pytest.raises(ConnectWiseNotFound) as info:
        client.get('/system/apiMembers/77')
    assert not isinstance(info.value, ConnectWiseUnsupported)
    assert 'recId 77' in str(info.value)


def test_method_not_allowed_is_unsupported(client, server):
    server.script('PUT', API + '/system/securityroles/4', Reply(405, body=''))
    with pytest.raises(ConnectWiseUnsupported) as info:
        client.put('/system/securityroles/4', {'name': 'x'})
    assert info.value.status == 405
    assert str(info.value).startswith('ConnectWise PUT /system/securityroles/4 failed: 405')


@pytest.mark.parametrize('status, words', [(401, 'company_id, public_key and private_key'),
                                           (401, 'psa_cw_private_key and psa_cw_client_id in the psa_integration role'),
                                           (403, 'security role')])
def test_auth_errors_hint_at_the_cause(client, server, status, words):
    server.script('GET', MEMBERS + '/1', Reply(status, json={'code': 'Unauthorized', 'message': 'UserNotAuthenticated'}))
    with pytest.raises(ConnectWiseAuthError) as info:
        client.get('/system/apiMembers/1')
    assert words in str(info.value)
    assert '\n' not in str(info.value)


def test_html_error_page_is_summarised_not_pasted(client, server):
    page = '<html><body><h1>Oops</h1>\n' + 'x' * 5000 + '</body></html>'
    server.script('GET', MEMBERS + '/1', Reply(500, body=page, headers={'Content-Type': 'text/html; charset=utf-8'}))
    with pytest.raises(ConnectWiseError) as info:
        client.get('/system/apiMembers/1')
    assert str(info.value) == ('ConnectWise GET /system/apiMembers/1 failed: 500: Internal Server Error '
                               '(text/html answer, not ConnectWise JSON)')


def test_cdn_429_html_is_retried_then_reported_by_the_transport(client, server, clock):
    client.retry_max_time = 5
    server.script('GET', MEMBERS + '/1',
                  Reply(429, body='<html>Too many</html>', headers={'Content-Type': 'text/html', 'Retry-After': '2'}))
    with pytest.raises(TransportError) as info:
        client.get('/system/apiMembers/1')
    assert clock.sleeps == [2.0, 2.0]
    assert str(info.value).startswith('ConnectWise GET /system/apiMembers/1 failed')
    assert info.value.last_status == 429
    assert client.request_count == 3


def test_errors_survive_pickling(client, server):
    server.script('GET', MEMBERS + '/1', Reply(401, json={'code': 'Unauthorized', 'message': 'no'}))
    with pytest.raises(ConnectWiseAuthError) as info:
        client.get('/system/apiMembers/1')
    copy = pickle.loads(pickle.dumps(info.value))
    assert copy.__class__ is ConnectWiseAuthError and str(copy) == str(info.value)


# --- secrets ---------------------------------------------------------------------------------------

def test_private_key_never_appears_in_repr_or_errors(client, server):
    server.script('GET', MEMBERS + '/1', Reply(401, json={'code': 'Unauthorized', 'message': 'bad'}))
    server.script('GET', MEMBERS + '/2', Reply(503))
    basic = base64.b64encode(('acme+PubKey123:%s' % PRIVATE_KEY).encode()).decode()
    texts = [repr(client), str(client)]
    for path in ('/system/apiMembers/1', '/system/apiMembers/2'):
        client.retry_max_time = 1
        with pytest.raises(Exception) as info:
            client.get(path)
        texts += [str(info.value), repr(info.value), repr(vars(info.value))]
    for text in texts:
        assert PRIVATE_KEY not in text
        assert basic not in text
    assert 'PubKey123' in repr(client)


@pytest.mark.parametrize('missing', ['company_id', 'public_key', 'private_key', 'client_id'])
def test_missing_credentials_are_named(missing):
    values = {'company_id': 'acme', 'public_key': 'pub', 'private_key': PRIVATE_KEY, 'client_id': 'guid'}
    values[missing] = None
    with pytest.raises(ValueError) as info:
        ConnectWiseClient(HOST, **values)
    assert missing in str(info.value)
    assert PRIVATE_KEY not in str(info.value)


def test_a_replace_only_patch_is_repeated_after_a_502(client, server):
    ops = [{'op': 'replace', 'path': 'inactiveFlag', 'value': True}]
    server.script('PATCH', MEMBERS + '/9', Reply(502, body='bad gateway'), Reply(200, json={'id': 9, 'inactiveFlag': True}))
    assert client.patch('/system/apiMembers/9', ops)['inactiveFlag'] is True
    assert [r.method for r in server.requests] == ['PATCH', 'PATCH']


def test_a_patch_that_adds_is_not_repeated_after_a_502(client, server):
    ops = [{'op': 'add', 'path': 'notes', 'value': 'x'}]
    server.script('PATCH', MEMBERS + '/9', Reply(502, body='bad gateway'), Reply(200, json={'id': 9}))
    with pytest.raises(TransportError):
        client.patch('/system/apiMembers/9', ops)
    assert [r.method for r in server.requests] == ['PATCH']


def test_a_patch_the_caller_declares_idempotent_is_repeated_after_a_502(client, server):
    # A set-like list (the extension's customize list): adding an item it holds changes nothing.
    path = '/system/securityRoles/4/customizeItems'
    ops = [{'op': 'add', 'path': '-', 'value': {'customizeIdentifier': 'SystemTableSetup', 'itemIdentifier': '27'}}]
    server.script('PATCH', API + path, Reply(502, body='bad gateway'), Reply(200, json=[{'id': 1}]))
    assert client.patch(path, ops, idempotent=True) == [{'id': 1}]
    assert [r.method for r in server.requests] == ['PATCH', 'PATCH']


# --- a POST whose answer is lost (recover) -----------------------------------------------------------

def dropped_after_sending():
    return requests.exceptions.ConnectionError('Connection aborted: RemoteDisconnected')


@pytest.mark.parametrize('lost', [dropped_after_sending(), Reply(502, body='bad gateway'), Reply(504)])
def test_a_lost_post_answer_is_recovered_from_what_the_post_made(client, server, lost):
    server.script('POST', MEMBERS, lost, Reply(201, json={'id': 99}))
    found = []

    def recover():
        found.append(True)
        return {'id': 7, 'identifier': 'umbrella'}

    assert client.post('/system/apiMembers', {'identifier': 'umbrella'}, recover=recover) == \
        {'id': 7, 'identifier': 'umbrella'}
    # Applied once: the record read back is the answer, the POST is not sent again.
    assert [r.method for r in server.requests] == ['POST']
    assert found == [True]


def test_a_lost_post_that_was_not_applied_is_sent_again(client, server, clock):
    server.script('POST', MEMBERS, dropped_after_sending(), Reply(502), Reply(201, json={'id': 8}))
    recovered = []
    assert client.post('/system/apiMembers', {'identifier': 'umbrella'},
                       recover=lambda: recovered.append(True)) == {'id': 8}
    assert [r.method for r in server.requests] == ['POST', 'POST', 'POST']
    assert recovered == [True, True]
    assert len(clock.sleeps) == 2  # a back-off between the rounds


def test_recover_is_not_called_when_the_post_got_an_answer(client, server):
    server.script('POST', MEMBERS, Reply(400, json={'code': 'InvalidObject', 'message': 'bad',
                                                    'errors': [{'code': 'ObjectExists', 'field': 'identifier'}]}))
    with pytest.raises(ConnectWiseError):
        client.post('/system/apiMembers', {'identifier': 'umbrella'}, recover=pytest.fail)
    assert len(server.requests) == 1


def test_posts_whose_answers_are_always_lost_stop_within_the_budget(server, clock):
    client = make_client(server, clock, retry_max_time=20)
    server.script('POST', MEMBERS, Reply(502))
    started = clock.now
    with pytest.raises(TransportError) as info:
        client.post('/system/apiMembers', {'identifier': 'umbrella'}, recover=lambda: None)
    assert clock.now - started <= 20
    assert 2 <= len(server.requests) <= 12
    message = str(info.value)
    assert message.startswith('ConnectWise POST /system/apiMembers failed: its answer was lost')
    assert 'nothing it made was found' in message and message.endswith('last: answer 502')
    assert info.value.last_status == 502


def test_without_recover_a_lost_post_answer_is_an_error_that_says_it_may_be_applied(client, server):
    server.script('POST', MEMBERS, dropped_after_sending())
    with pytest.raises(cw.MaybeAppliedError) as info:
        client.post('/system/apiMembers', {'identifier': 'umbrella'})
    assert 'may already have been applied' in str(info.value)
    assert len(server.requests) == 1


def test_a_recovery_read_that_fails_is_reported_as_itself(client, server):
    server.script('POST', MEMBERS, Reply(504))
    server.script('GET', MEMBERS, Reply(401, json={'code': 'Unauthorized', 'message': 'no'}))
    with pytest.raises(ConnectWiseAuthError):
        client.post('/system/apiMembers', {'identifier': 'umbrella'},
                    recover=lambda: client.find('/system/apiMembers', 'identifier', 'umbrella'))


@pytest.mark.parametrize('lost', [dropped_after_sending(), Reply(502), Reply(504)])
def test_a_delete_repeated_after_a_lost_answer_that_finds_the_record_gone_is_done(client, server, lost):
    server.script('DELETE', MEMBERS + '/9', lost, Reply(404, json={'code': 'NotFound', 'message': 'Member 9 not found'}))
    assert client.delete('/system/apiMembers/9') is None
    assert [r.method for r in server.requests] == ['DELETE', 'DELETE']


@pytest.mark.parametrize('first', [None, Reply(503), Reply(429, headers={'Retry-After': '0'})])
def test_a_delete_of_a_missing_record_is_not_found_unless_an_answer_was_lost(client, server, first):
    missing = Reply(404, json={'code': 'NotFound', 'message': 'Member 9 not found'})
    server.script('DELETE', MEMBERS + '/9', *([first, missing] if first else [missing]))
    with pytest.raises(ConnectWiseNotFound):
        client.delete('/system/apiMembers/9')
