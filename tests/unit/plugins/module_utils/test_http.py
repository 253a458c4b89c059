# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared retry loop: Retry-After, jittered back-off, the time budget, what is never repeated."""

import warnings

import pytest
import requests
import urllib3
from urllib3.exceptions import InsecureRequestWarning, MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.msp.umbrella_psa.plugins.module_utils import http
from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import (
    TransportError,
    new_session,
    parse_retry_after,
    send,
)

from fake_http import FakeClock, FakeServer, Reply

URL = 'https://cw.example.test/v2025_1/apis/3.0/system/apiMembers'
PATH = '/v2025_1/apis/3.0/system/apiMembers'
DESCRIBE = 'ConnectWise GET /system/apiMembers'


class Sequence:
    """random.random returning the given values in turn (then the last one)."""

    def __init__(self, *values):
        self.values = list(values)

    def __call__(self):
        return self.values.pop(0) if len(self.values) > 1 else self.values[0]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def server(clock):
    return FakeServer(clock=clock)


@pytest.fixture
def session(server):
    s = new_session()
    server.mount_on(s)
    return s


def call(session, clock, method='GET', retry_max_time=120, rand=None, describe=DESCRIBE, **kwargs):
    return send(session, method, URL, retry_max_time, 30, describe,
                sleep=clock.sleep, clock=clock, rand=rand or Sequence(0.5), **kwargs)


def connect_refused():
    reason = NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')
    return requests.exceptions.ConnectionError(MaxRetryError(None, URL, reason))


def dropped_mid_answer():
    return requests.exceptions.ConnectionError(
        ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')))


# --- Retry-After ----------------------------------------------------------------------------------

@pytest.mark.parametrize('header_name', ['Retry-After', 'retry-after', 'RETRY-AFTER'])
def test_retry_after_seconds_is_honoured_whatever_the_header_case(session, server, clock, header_name):
    server.script('GET', PATH, Reply(429, headers={header_name: '3'}), Reply(200, json=[]))
    response = call(session, clock)
    assert response.status_code == 200
    assert clock.sleeps == [3.0]
    assert len(server.requests) == 2


def test_retry_after_http_date_is_measured_from_the_server_date(session, server, clock):
    server.script('GET', PATH,
                  Reply(429, headers={'Date': 'Wed, 21 Oct 2026 07:28:00 GMT',
                                      'Retry-After': 'Wed, 21 Oct 2026 07:28:07 GMT'}),
                  Reply(200, json=[]))
    call(session, clock)
    assert clock.sleeps == [7.0]


# A Retry-After below the floor (0, negative) is taken as no header: the rate-limit back-off, 0.5 + 0.5 * 0.5.
@pytest.mark.parametrize('value, expected', [('3600', 60.0), ('-5', 0.75), ('0', 0.75), ('1.5', 1.5)])
def test_retry_after_is_clamped_to_the_floor_and_sixty_seconds(session, server, clock, value, expected):
    server.script('GET', PATH, Reply(429, headers={'Retry-After': value}), Reply(200, json=[]))
    call(session, clock, retry_max_time=500)
    assert clock.sleeps == [expected]


def test_retry_after_beyond_the_budget_fails_at_once_instead_of_sleeping_in_vain(session, server, clock):
    server.script('GET', PATH, Reply(429, headers={'Retry-After': '30'}), Reply(200, json=[]))
    with pytest.raises(TransportError) as info:
        call(session, clock, retry_max_time=10)
    assert clock.sleeps == []
    assert len(server.requests) == 1
    assert info.value.last_status == 429
    assert 'Retry-After: 30s' in str(info.value)
    assert str(info.value).startswith(DESCRIBE + ' failed')


def test_unparsable_retry_after_falls_back_to_jittered_backoff(session, server, clock):
    server.script('GET', PATH, Reply(429, headers={'Retry-After': 'soon'}), Reply(200, json=[]))
    call(session, clock, rand=Sequence(0.5))
    assert clock.sleeps == [http.RATE_LIMIT_FLOOR + 0.5 * http.BACKOFF_BASE]


def test_429_without_retry_after_waits_at_least_the_rate_limit_floor(session, server, clock):
    server.script('GET', PATH, Reply(429), Reply(429), Reply(200, json=[]))
    call(session, clock, rand=Sequence(0.0, 1.0))
    assert clock.sleeps == [http.RATE_LIMIT_FLOOR, http.RATE_LIMIT_FLOOR + 2 * http.BACKOFF_BASE]


@pytest.mark.parametrize('value, expected', [
    (None, None), ('', None), ('later', None), ('nan', None), ('12', 12.0),
    ('Wed, 21 Oct 2026 07:28:30 GMT', 30.0),
])
def test_parse_retry_after(value, expected):
    # 2026-10-21T07:28:00Z as the reference time
    assert parse_retry_after(value, now=1792567680.0) == expected


# --- 5xx, jitter and the budget -------------------------------------------------------------------

def test_gateway_errors_are_retried_with_full_jitter_exponential_backoff(session, server, clock):
    server.script('GET', PATH, Reply(502), Reply(503), Reply(504), Reply(200, json=[{'id': 1}]))
    response = call(session, clock, rand=Sequence(0.25, 0.5, 0.75))
    assert response.json() == [{'id': 1}]
    # Full jitter, never below the floor (0.25 * 0.5 would be 0.125 s).
    assert clock.sleeps == [http.RETRY_FLOOR, 0.5 * 1.0, 0.75 * 2.0]


def test_backoff_is_capped(clock):
    assert http.backoff_delay(30, lambda: 1.0) == http.BACKOFF_CAP
    assert http.backoff_delay(0, lambda: 1.0) == http.BACKOFF_BASE


def test_budget_bounds_total_time_and_error_names_request_and_last_status(session, server, clock):
    server.script('GET', PATH, Reply(503))
    start = clock()
    with pytest.raises(TransportError) as info:
        call(session, clock, retry_max_time=10, rand=Sequence(1.0))
    assert clock() - start <= 10
    # 0.5 + 1 + 2 + 4 = 7.5 s slept; the next wait (8 s) no longer fits.
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert len(server.requests) == 5
    message = str(info.value)
    assert message.startswith('ConnectWise GET /system/apiMembers failed')
    assert '503 Service Unavailable' in message
    assert '5 attempt(s)' in message
    assert info.value.last_status == 503
    assert info.value.describe == DESCRIBE


def test_budget_counts_time_spent_waiting_for_answers(session, server, clock):
    server.latency = 4.0
    server.script('GET', PATH, Reply(503))
    start = clock()
    with pytest.raises(TransportError):
        call(session, clock, retry_max_time=10, rand=Sequence(1.0))
    # Answers take 4 s each: after two attempts and a 0.5 s wait, 8.5 s are gone.
    assert len(server.requests) == 3
    assert clock() - start <= 10 + 4.0


def test_zero_budget_means_a_single_attempt_even_with_retry_after_zero(session, server, clock):
    server.script('GET', PATH, Reply(429, headers={'Retry-After': '0'}))
    with pytest.raises(TransportError):
        call(session, clock, retry_max_time=0)
    assert len(server.requests) == 1


def test_other_errors_are_returned_not_retried(session, server, clock):
    server.script('GET', PATH, Reply(500, json={'code': 'UnexpectedError'}), Reply(200, json=[]))
    response = call(session, clock)
    assert response.status_code == 500
    assert len(server.requests) == 1


def test_on_send_counts_every_attempt(session, server, clock):
    sent = []
    server.script('GET', PATH, Reply(503), Reply(503), Reply(200, json=[]))
    call(session, clock, on_send=lambda: sent.append(1))
    assert len(sent) == 3 == len(server.requests)


def test_retries_shorten_the_answer_timeout_to_the_remaining_budget(session, server, clock):
    server.script('GET', PATH, Reply(503), Reply(200, json=[]))
    send(session, 'GET', URL, 5, 30, DESCRIBE, sleep=clock.sleep, clock=clock, rand=Sequence(1.0))
    assert server.requests[0].timeout_used == 30
    assert server.requests[1].timeout_used == pytest.approx(4.5)


# --- connection errors and what is never repeated ------------------------------------------------

@pytest.mark.parametrize('error', [connect_refused(), dropped_mid_answer(),
                                   requests.exceptions.ReadTimeout('read timed out'),
                                   requests.exceptions.ConnectTimeout('connect timed out')])
def test_idempotent_requests_are_retried_after_connection_errors(session, server, clock, error):
    server.script('GET', PATH, error, Reply(200, json=[]))
    assert call(session, clock).status_code == 200
    assert len(server.requests) == 2


def test_connection_errors_until_the_budget_runs_out_name_the_error(session, server, clock):
    server.script('GET', PATH, connect_refused())
    with pytest.raises(TransportError) as info:
        call(session, clock, retry_max_time=3, rand=Sequence(1.0))
    assert 'ConnectionError' in str(info.value)
    assert 'Connection refused' in str(info.value)
    assert info.value.last_status is None


@pytest.mark.parametrize('error', [dropped_mid_answer(), requests.exceptions.ReadTimeout('read timed out')])
def test_post_is_not_retried_once_the_request_was_sent(session, server, clock, error):
    server.script('POST', PATH, error, Reply(201, json={'id': 1}))
    with pytest.raises(TransportError) as info:
        call(session, clock, method='POST', describe='ConnectWise POST /system/apiMembers')
    assert len(server.requests) == 1
    assert clock.sleeps == []
    assert 'not retried' in str(info.value)
    assert str(info.value).startswith('ConnectWise POST /system/apiMembers failed')


@pytest.mark.parametrize('status', [502, 504])
def test_post_is_not_retried_after_a_gateway_answer(session, server, clock, status):
    server.script('POST', PATH, Reply(status), Reply(201, json={'id': 1}))
    with pytest.raises(TransportError) as info:
        call(session, clock, method='POST')
    assert len(server.requests) == 1
    assert info.value.last_status == status


@pytest.mark.parametrize('first', [connect_refused(), requests.exceptions.ConnectTimeout('connect timed out'),
                                   Reply(429, headers={'Retry-After': '1'}), Reply(503)])
def test_post_is_retried_when_the_server_certainly_did_not_act(session, server, clock, first):
    server.script('POST', PATH, first, Reply(201, json={'id': 1}))
    assert call(session, clock, method='POST').status_code == 201
    assert len(server.requests) == 2


def test_patch_is_treated_like_post(session, server, clock):
    server.script('PATCH', PATH, dropped_mid_answer(), Reply(200, json={}))
    with pytest.raises(TransportError):
        call(session, clock, method='PATCH')
    assert len(server.requests) == 1


def test_tls_failure_says_how_to_trust_the_server(session, server, clock):
    server.script('GET', PATH, requests.exceptions.SSLError('certificate verify failed: self-signed certificate'))
    with pytest.raises(TransportError) as info:
        call(session, clock)
    message = str(info.value)
    assert 'TLS' in message and 'ca_path' in message and 'validate_certs: false' in message
    assert 'self-signed certificate' in message
    assert len(server.requests) == 1


# --- sessions ---------------------------------------------------------------------------------------

def test_new_session_tls_options():
    assert new_session().verify is True
    assert new_session(ca_path='/etc/ssl/custom-ca.pem').verify == '/etc/ssl/custom-ca.pem'
    assert new_session(validate_certs=False, ca_path='/ignored.pem').verify is False


class WarningAdapter(FakeServer):
    """Emits urllib3's InsecureRequestWarning like an unverified HTTPS request does."""

    def send(self, request, **kwargs):
        warnings.warn('Unverified HTTPS request', InsecureRequestWarning)
        return super().send(request, **kwargs)


@pytest.mark.parametrize('validate_certs, warned', [(False, False), (True, True)])
def test_insecure_warning_is_silenced_only_for_an_unverified_session(validate_certs, warned):
    session = new_session(validate_certs=validate_certs)
    adapter = WarningAdapter().mount_on(session)
    adapter.script('GET', '/', Reply(200, json={}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        session.get('https://cw.example.test/')
        warnings.warn('someone else', InsecureRequestWarning)
    insecure = [w for w in caught if issubclass(w.category, urllib3.exceptions.InsecureRequestWarning)]
    # The warning raised outside the session always stays visible.
    assert len(insecure) == (2 if warned else 1)


@pytest.mark.parametrize('options, expected', [({'validate_certs': False}, False),
                                               ({'ca_path': '/etc/ssl/emulator-ca.pem'}, '/etc/ssl/emulator-ca.pem')])
def test_ca_bundle_environment_does_not_override_the_session_tls_options(monkeypatch, clock, options, expected):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/elsewhere/bundle.pem')
    monkeypatch.setenv('CURL_CA_BUNDLE', '/elsewhere/bundle.pem')
    session = new_session(**options)
    server = FakeServer().mount_on(session)
    server.script('GET', PATH, Reply(200, json=[]))
    call(session, clock)
    assert server.requests[0].verify_used == expected
