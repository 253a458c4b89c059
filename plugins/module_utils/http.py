# pylint: disable=unused-import  # astroid's brain for stdlib 'http' adds unused imports to a module of that name
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP transport shared by the ConnectWise and Umbrella clients.

One retry loop serves both vendors, so both honour rate limits and outages the same way:

* ``429`` is retried after ``Retry-After`` (seconds or an HTTP date, clamped to [0, 60] s); without
  the header (Umbrella never sends one) after a jittered back-off of about a second and growing.
* ``502``/``503``/``504`` and connection failures are retried with full-jitter exponential back-off
  (base 0.5 s, cap 10 s).
* Everything happens within ``retry_max_time`` seconds; when that budget is spent, ``TransportError``
  names the request and the last status or error.

A request that may already have been applied is never sent twice: non-idempotent methods (``POST``,
``PATCH``) are retried only when the server certainly did not act on them, that is on ``429``, on
``503`` and when the connection could not even be opened. After a ``502``/``504``, a read timeout or
a connection dropped mid-answer, they raise ``MaybeAppliedError``. A caller that knows a request is
safe to repeat says so with ``idempotent=True`` (a token request; a PATCH that only replaces fields).

A caller that can tell whether such a write took effect finishes it with ``write_once()``: after a lost
answer it looks for what the write would have made (a role by its name, a member by its identifier...)
and sends the write again only when it is not there. So a lost answer costs a read, not a failed run,
and the write is never applied twice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import math
import multiprocessing
import os
import random as _random
import ssl
import time
import traceback
import warnings

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.utils import DEFAULT_CA_BUNDLE_PATH
    import urllib3.exceptions as _urllib3_exceptions
    from urllib3.util.ssl_ import create_urllib3_context
except ImportError:  # pragma: no cover - exercised only on hosts without requests
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    requests = None
    HTTPAdapter = object
    DEFAULT_CA_BUNDLE_PATH = None
    _urllib3_exceptions = None
    create_urllib3_context = None
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
RETRY_AFTER_MAX = 60.0
# Umbrella answers 429 without Retry-After and asks for "about a second, with jitter".
RATE_LIMIT_FLOOR = 0.5

RETRY_STATUSES = frozenset((429, 502, 503, 504))
# Statuses that prove the server did not act on the request, so even a POST may be sent again.
NOT_APPLIED_STATUSES = frozenset((429, 503))
IDEMPOTENT_METHODS = frozenset(('GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'))

TLS_HINT = ("pass the CA bundle that signed the server certificate with ca_path, "
            "or, for testing only, set validate_certs: false")


class TransportError(Exception):
    """The request could not be completed: retry budget spent, TLS failure or unsafe to repeat."""

    def __init__(self, message, describe=None, last_status=None):
        super(TransportError, self).__init__(message)
        self.describe = describe
        self.last_status = last_status

    def __reduce__(self):
        return (self.__class__, (str(self), self.describe, self.last_status))


class MaybeAppliedError(TransportError):
    """A non-idempotent request was sent and its answer lost (dropped connection, read timeout, 502/504):
    the server may or may not have applied it."""


def require_requests():
    """Raise ImportError with an actionable message when requests is missing."""
    if not HAS_REQUESTS:
        raise ImportError("The Python library 'requests' is required on the host that runs this task "
                          "(pip install requests).\n%s" % REQUESTS_IMPORT_ERROR)


class _QuietInsecureSession(requests.Session if HAS_REQUESTS else object):
    """A session that silences InsecureRequestWarning for its own requests only.

    The user asked for ``validate_certs: false`` on this connection; other connections in the same
    process keep their warnings, hence no global ``urllib3.disable_warnings()``.
    """

    def request(self, *args, **kwargs):  # pylint: disable=arguments-differ
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', _urllib3_exceptions.InsecureRequestWarning)
            return super(_QuietInsecureSession, self).request(*args, **kwargs)


# CA bundle path -> the SSLContext holding its certificates, for the life of the process.
_TLS_CONTEXTS = {}
# requests 2.32 and later let an adapter choose the SSLContext of a connection pool
# (build_connection_pool_key_attributes); with older ones each connection loads its bundle, as before.
_SHARES_CONTEXTS = hasattr(HTTPAdapter, 'build_connection_pool_key_attributes')


def tls_context(bundle):
    """The verifying SSLContext of a CA bundle (a file or a directory), built once per process.

    Left to itself, urllib3 builds a context and loads the bundle for every new connection: with a
    bundle of public CAs (certifi's, or the system's) that is about 40 ms of CPU, as much as the rest
    of a task, paid by every task of every tenant. Built here once instead, and built before Ansible
    forks its workers (``preload_tls_context``), every task shares the loaded certificates.
    """
    context = _TLS_CONTEXTS.get(bundle)
    if context is None:
        context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
        if os.path.isdir(bundle):
            context.load_verify_locations(capath=bundle)
        else:
            context.load_verify_locations(cafile=bundle)
        _TLS_CONTEXTS[bundle] = context
    return context


def default_ca_bundle():
    """The bundle requests verifies with when no ca_path is given: the environment's, else certifi's."""
    return os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or DEFAULT_CA_BUNDLE_PATH


def preload_tls_context():
    """Load the default CA bundle now, in the process that will fork the workers (ansible-playbook).

    Called by ``plugins/plugin_utils/worker_preload.py`` in the controller's main process, before
    Ansible forks the workers: every worker forked after that finds the context loaded. Never
    raises: a bundle that cannot be loaded is left to the first request, which reports it as before.
    """
    if not HAS_REQUESTS or not _SHARES_CONTEXTS or multiprocessing.parent_process() is not None:
        return  # a worker: a context loaded here would serve one task only
    try:
        tls_context(default_ca_bundle())
    except Exception:  # pylint: disable=broad-except
        pass


class _SharedContextAdapter(HTTPAdapter):
    """An HTTPAdapter that verifies with the process-wide context of the bundle requests chose.

    requests resolves ``verify`` as always (the session's ca_path, else REQUESTS_CA_BUNDLE or
    CURL_CA_BUNDLE, else certifi); this adapter only hands urllib3 the already loaded context of that
    bundle instead of the bundle's path, which urllib3 would load again for each connection. The
    context verifies the certificate chain and the host name exactly as urllib3's own would.
    """

    def _context_for(self, verify):
        if verify is False:
            return None
        bundle = verify if isinstance(verify, str) else DEFAULT_CA_BUNDLE_PATH
        try:
            return tls_context(bundle)
        except (OSError, ValueError, ssl.SSLError):
            return None  # requests reports an unreadable bundle itself, as it always did

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super(_SharedContextAdapter, self).build_connection_pool_key_attributes(
            request, verify, cert)
        context = self._context_for(verify)
        if context is not None:
            pool_kwargs.pop('ca_certs', None)
            pool_kwargs.pop('ca_cert_dir', None)
            pool_kwargs['ssl_context'] = context
        return host_params, pool_kwargs

    def cert_verify(self, conn, url, verify, cert):
        super(_SharedContextAdapter, self).cert_verify(conn, url, verify, cert)
        if self._context_for(verify) is not None:
            # The certificates are in the pool's ssl_context; a path here would be loaded into it
            # again on every connection.
            conn.ca_certs = None
            conn.ca_cert_dir = None


def new_session(validate_certs=True, ca_path=None):
    """Return a requests.Session configured for TLS, with urllib3's own retries turned off."""
    require_requests()
    session = requests.Session() if validate_certs else _QuietInsecureSession()
    if not validate_certs:
        session.verify = False
    elif ca_path:
        session.verify = ca_path
    # Retries are send()'s job: urllib3 retrying underneath would break the time budget and could
    # repeat a POST.
    adapter = (_SharedContextAdapter if _SHARES_CONTEXTS else HTTPAdapter)(max_retries=0)
    session.mount('https://', adapter)
    session.mount('http://', adapter)
    return session


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After value (delay-seconds or HTTP-date), or None if unusable.

    ``now`` is the reference time for an HTTP date (the response's own Date header when present,
    so that a skewed local clock does not matter).
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment is None:
            return None
        if now is None:
            now = time.time()
        seconds = moment.timestamp() - now
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_MAX)


def _response_time(response):
    """The server's notion of "now" from its Date header, else local wall time."""
    date = response.headers.get('Date')
    if date:
        try:
            return email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError):
            pass
    return time.time()


def backoff_delay(attempt, rand, floor=0.0):
    """Full-jitter exponential back-off for the given (0-based) retry number."""
    span = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(attempt, 16)))
    return floor + rand() * span


def _never_sent(exc):
    """True when the connection could not be opened, so the server cannot have seen the request."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        # NewConnectionError (refused, unreachable, name resolution) derives from ConnectTimeoutError.
        if isinstance(current, _urllib3_exceptions.ConnectTimeoutError):
            return True
        if isinstance(current, BaseException):
            pending.extend(a for a in current.args if isinstance(a, BaseException))
            pending.append(getattr(current, 'reason', None))
            pending.append(current.__cause__)
            pending.append(current.__context__)
    return False


def _short_error(exc):
    text = str(exc).replace('\n', ' ').strip()
    if len(text) > 300:
        text = text[:297] + '...'
    return '%s: %s' % (type(exc).__name__, text) if text else type(exc).__name__


def _status_text(response):
    reason = (response.reason or '').strip()
    return ('%s %s' % (response.status_code, reason)).strip()


def send(session, method, url, retry_max_time, timeout, describe,
         sleep=None, clock=None, rand=None, on_send=None, idempotent=None, **kwargs):
    """Send one request, retrying what is safe to retry within ``retry_max_time`` seconds.

    :arg describe: names the request in errors, e.g. ``"ConnectWise GET /system/apiMembers"``.
    :arg sleep, clock, rand: injectable time.sleep, time.monotonic and random.random (tests).
    :arg on_send: called once before every attempt (clients count requests with it).
    :arg idempotent: True for a request that is safe to repeat whatever its method (an OAuth token
        request writes nothing); by default only the idempotent methods are.
    :kwarg kwargs: passed to ``session.request`` (params, json, data, headers, auth...).
    :returns: the last ``requests.Response``; any status outside the retried ones is returned as is.
        Its ``repeated_after_send`` is True when an earlier attempt may have been applied (its answer
        was lost) and the request was sent again: a repeated DELETE may then find the record gone.
    :raises TransportError: budget spent, TLS failure, or a non-idempotent request that cannot be
        repeated safely.
    """
    require_requests()
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    rand = rand or _random.random
    method = method.upper()
    if idempotent is None:
        idempotent = method in IDEMPOTENT_METHODS
    # An explicit per-request verify keeps REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from overriding the
    # session's ca_path or validate_certs: false (requests prefers the environment otherwise).
    kwargs.setdefault('verify', getattr(session, 'verify', True))
    deadline = clock() + max(float(retry_max_time), 0.0)
    attempts = 0
    retries = 0
    repeated_after_send = False
    while True:
        attempts += 1
        remaining = deadline - clock()
        # A retry never waits longer for an answer than the budget has left (at least a second, so
        # a nearly spent budget still gives the last attempt a chance).
        attempt_timeout = timeout if attempts == 1 else min(timeout, max(remaining, 1.0))
        if on_send is not None:
            on_send()
        try:
            response = session.request(method, url, timeout=attempt_timeout, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise TransportError('%s failed: TLS error (%s); %s' % (describe, _short_error(exc), TLS_HINT),
                                 describe=describe)
        except requests.exceptions.RequestException as exc:
            if not isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                                    requests.exceptions.ChunkedEncodingError)):
                raise TransportError('%s failed: %s' % (describe, _short_error(exc)), describe=describe)
            if not idempotent and not _never_sent(exc):
                raise MaybeAppliedError(
                    '%s failed after the request was sent (%s); not retried because a %s may already '
                    'have been applied: check the object before running again'
                    % (describe, _short_error(exc), method), describe=describe)
            last = _short_error(exc)
            delay = backoff_delay(retries, rand)
            last_status = None
            lost_answer = not _never_sent(exc)
        else:
            status = response.status_code
            if status not in RETRY_STATUSES:
                response.repeated_after_send = repeated_after_send
                return response
            lost_answer = status not in NOT_APPLIED_STATUSES
            last_status = status
            last = _status_text(response)
            if not idempotent and status not in NOT_APPLIED_STATUSES:
                raise MaybeAppliedError(
                    '%s failed: %s after the request was sent; not retried because a %s may already '
                    'have been applied: check the object before running again' % (describe, last, method),
                    describe=describe, last_status=status)
            delay = None
            if status == 429:
                delay = parse_retry_after(response.headers.get('Retry-After'), _response_time(response))
                if delay is not None:
                    last += ' (Retry-After: %gs)' % delay
                else:
                    delay = backoff_delay(retries, rand, floor=RATE_LIMIT_FLOOR)
            else:
                delay = backoff_delay(retries, rand)
            response.close()
        remaining = deadline - clock()
        if remaining <= 0 or delay > remaining:
            raise TransportError(
                '%s failed: gave up after %d attempt(s) within retry_max_time=%gs; last answer: %s'
                % (describe, attempts, float(retry_max_time), last),
                describe=describe, last_status=last_status)
        sleep(delay)
        retries += 1
        repeated_after_send = repeated_after_send or lost_answer


def write_once(send_write, recover, retry_max_time, describe, sleep=None, clock=None, rand=None):
    """Finish a non-idempotent write whose answer may be lost on the way back, never applying it twice.

    :arg send_write: sends the write and returns its outcome (raises ``MaybeAppliedError`` when the
        answer was lost).
    :arg recover: called after a lost answer; reads what the write would have made and returns it
        (the write was applied: that is its outcome), or None (it was not: it is sent again). It may
        also undo a write whose outcome is of no use without its answer (a key whose private half
        was in the lost answer) and return None.
    :arg describe: names the write in errors, e.g. ``"ConnectWise POST /system/apiMembers"``.
    :returns: ``(outcome, recovered)``; ``recovered`` is True when the outcome was read back.
    :raises TransportError: every answer was lost and the write was never applied within
        ``retry_max_time`` seconds (or any error of ``send_write`` or ``recover``).
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    rand = rand or _random.random
    deadline = clock() + max(float(retry_max_time), 0.0)
    lost = 0
    while True:
        try:
            return send_write(), False
        except MaybeAppliedError as exc:
            last = exc
        lost += 1
        found = recover()
        if found is not None:
            return found, True
        delay = backoff_delay(lost - 1, rand)
        if clock() + delay > deadline:
            cause = ('answer %s' % last.last_status) if last.last_status else 'connection lost after sending'
            raise TransportError(
                '%s failed: its answer was lost %d time(s) and nothing it made was found to keep; gave up '
                'within retry_max_time=%gs; last: %s' % (describe, lost, float(retry_max_time), cause),
                describe=describe, last_status=last.last_status)
        sleep(delay)
