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
* No retry comes sooner than ``RETRY_FLOOR`` after the previous attempt: a ``Retry-After`` of zero, a
  negative one or a date in the past says nothing usable and is treated as no header at all.
* Failures that waiting rarely cures are not retried for the whole budget: a host name that does not
  resolve fails at once; a refused connection and an answer with an empty body (where one was due)
  are retried for ``BRIEF_RETRY_TIME`` seconds at most (a server or balancer restarting).
* Redirects are never followed by requests itself: a write (anything but ``GET``/``HEAD``) that meets a
  redirect fails, so its body and credentials never go to the host in ``Location``; a read follows a
  redirect only to the same scheme, host and port.

The URLs the clients are given are checked here too (``parse_origin``): ``https`` only, unless a lab
allows plain HTTP, and never with a user name or password in them; no message ever shows the userinfo
of a URL. Settings that lower the protection (``validate_certs: false``, allowed plain HTTP) are
warned about once per run and connection (``warn_once``, ``take_warnings``).

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
import errno as _errno
import hashlib
import math
import multiprocessing
import os
import random as _random
import socket
import ssl
import time
import traceback
import warnings

from ansible.module_utils.six.moves.urllib.parse import urljoin, urlsplit, urlunsplit

from ansible_collections.msp.umbrella_psa.plugins.module_utils.errors import PsaError

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
# No retry sooner than this after the previous attempt, whatever the server says: a Retry-After of 0
# (or a date in the past) and a jitter draw near zero would otherwise make a tight loop of requests.
RETRY_FLOOR = 0.5
# How long a refused connection or an unreadable (empty) answer is retried: long enough for a server
# or a load balancer to restart (seconds, usually), short enough that a wrong port does not cost every
# tenant the whole retry_max_time.
BRIEF_RETRY_TIME = 15.0
MAX_REDIRECTS = 5
READ_METHODS = frozenset(('GET', 'HEAD'))
# getaddrinfo answers that mean "this name does not exist" (not "the resolver is busy", EAI_AGAIN).
_NAME_UNKNOWN = frozenset(getattr(socket, name) for name in ('EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL')
                          if hasattr(socket, name))

RETRY_STATUSES = frozenset((429, 502, 503, 504))
# Statuses that prove the server did not act on the request, so even a POST may be sent again.
NOT_APPLIED_STATUSES = frozenset((429, 503))
IDEMPOTENT_METHODS = frozenset(('GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'))

TLS_HINT = ("pass the CA bundle that signed the server certificate with ca_path, "
            "or, for testing only, set validate_certs: false")


class TransportError(PsaError):
    """The request could not be completed: retry budget spent, TLS failure or unsafe to repeat."""

    def __init__(self, message, describe=None, last_status=None):
        super(TransportError, self).__init__(message)
        self.describe = describe
        self.last_status = last_status

    def __reduce__(self):
        return (self.__class__, (str(self), self.describe, self.last_status))


class MaybeAppliedError(TransportError):
    """A non-idempotent request was sent and its answer lost (dropped connection, read timeout, 502/504,
    an empty answer): the server may or may not have applied it."""


class SettingError(TransportError, ValueError):
    """A connection setting that cannot be used as given (plain HTTP, credentials in a URL, not a URL):
    refused before any request, in one line naming the setting."""


# ---------------------------------------------------------------------------------------------------
# URLs


def without_userinfo(text):
    """``text`` (a URL, or what was meant as one) with any ``user:password@`` removed; for messages."""
    if not isinstance(text, str):
        return repr(text)
    scheme, sep, rest = text.partition('://')
    if not sep:
        scheme, rest = '', text
    # Up to the last '@' before any query: a password may itself hold '/' or '@' (not allowed unencoded
    # in a URL, but typed so all the same), and URL parsing would then take part of it for a path.
    head, tail = _before_query(rest)
    if '@' in head:
        head = head.rpartition('@')[2]
    return (scheme + sep if sep else '') + head + tail


def _before_query(text):
    """``(text up to its first '?' or '#', the rest)``."""
    cut = min([i for i in (text.find('?'), text.find('#')) if i >= 0] or [len(text)])
    return text[:cut], text[cut:]


def _holds_userinfo(text):
    """Whether ``text`` may carry a user name or password: an '@' anywhere before its query."""
    return '@' in _before_query(text.partition('://')[2] or text)[0]


def origin_of(url):
    """``scheme://host[:port]`` of a URL, without userinfo, path or query (which may hold secrets)."""
    parts = urlsplit(url)
    return without_userinfo(urlunsplit((parts.scheme, parts.netloc, '', '', '')))


def origin_key(url):
    """(scheme, host, port) of a URL, the port made explicit; None when the port is not a number."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = (parts.scheme or '').lower()
    return (scheme, (parts.hostname or '').lower(), port or {'https': 443, 'http': 80}.get(scheme))


def same_origin(url, other):
    """Same scheme, host and port, and no userinfo in ``other``."""
    if _holds_userinfo(other):
        return False
    key = origin_key(url)
    return key is not None and key == origin_key(other)


def parse_origin(value, option, variable, allow_plain_http=False, bare_host=False, allow_path=False):
    """Check a site or base URL and return it normalised (``scheme://host[:port][/path]``).

    :arg option, variable: the module option and the role variable that hold the value, both named in
        the error (``'site', 'psa_cw_site'``).
    :arg bare_host: a value without a scheme is a host (``host[:port]``), reached over https.
    :raises SettingError: in one line that never shows the value's user name or password.
    """
    name = '%s (%s)' % (option, variable)
    if not isinstance(value, str) or not value.strip():
        raise SettingError('%s is empty: give the API host, for example https://api.example.com' % name)
    text = value.strip()
    if bare_host and '://' not in text:
        text = 'https://' + text
    shown = without_userinfo(text)
    parts = urlsplit(text)
    if _holds_userinfo(text):
        raise SettingError('%s %r holds a user name or password: remove them (the API keys are options of '
                           'their own); credentials in a URL would be sent and shown' % (name, shown))
    if parts.scheme not in ('https', 'http'):
        raise SettingError('%s %r is not an https:// URL' % (name, shown))
    try:
        parts.port  # pylint: disable=pointless-statement  # raises ValueError for a bad port
        valid = bool(parts.hostname) and not parts.query and not parts.fragment
    except ValueError:
        valid = False
    if not valid or (parts.path.strip('/') and not allow_path):
        raise SettingError('%s %r must be a host name, host:port or https://host[:port]%s' % (
            name, shown, '' if allow_path else ' (no path)'))
    if parts.scheme == 'http' and not allow_plain_http:
        raise SettingError('%s %r uses plain HTTP, which would send the API keys in clear: use https://, or for '
                           'a lab only set allow_plain_http (psa_allow_plain_http): true' % (name, shown))
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path.rstrip('/') if allow_path else '', '', ''))


# ---------------------------------------------------------------------------------------------------
# Warnings about weakened settings, once per run and connection

_PENDING_WARNINGS = []
_WARNED_HERE = set()
# How long the run-wide store remembers a warning: longer than any run (its keeper ends with the run).
WARNED_SECONDS = 7 * 24 * 3600.0


def warn_once(text, key_parts, store=None):
    """Queue ``text`` for the task's result unless this run already warned about ``key_parts``.

    Every task is a new worker process: ``store`` (the client's run cache, ``get_value``/``put_value``;
    plugin_utils/run_cache.py in the in-process entry point) remembers across tasks that a connection
    was warned about, so that a tenant's run says it once rather than in every task. With the no-op
    cache (a module run remotely) each task warns once.
    """
    key = 'transport-warned-' + hashlib.sha256(
        u'\0'.join(u'%s' % (part,) for part in key_parts).encode('utf-8')).hexdigest()
    if key in _WARNED_HERE:
        return
    _WARNED_HERE.add(key)
    if store is not None:
        try:
            if store.get_value(key):
                return
            store.put_value(key, 1, WARNED_SECONDS)
        except Exception:  # pylint: disable=broad-except  # no store: warn, as without one
            pass
    _PENDING_WARNINGS.append(text)


def take_warnings():
    """The warnings queued since the last call (the task's result carries them)."""
    taken = list(_PENDING_WARNINGS)
    del _PENDING_WARNINGS[:]
    return taken


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


def _chain(exc):
    """``exc`` and every exception it wraps (args, urllib3's ``reason``, cause and context)."""
    seen = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, BaseException):
            yield current
            pending.extend(a for a in current.args if isinstance(a, BaseException))
            pending.append(getattr(current, 'reason', None))
            pending.append(current.__cause__)
            pending.append(current.__context__)


def _never_sent(exc):
    """True when the connection could not be opened, so the server cannot have seen the request."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    # NewConnectionError (refused, unreachable, name resolution) derives from ConnectTimeoutError.
    return any(isinstance(current, _urllib3_exceptions.ConnectTimeoutError) for current in _chain(exc))


def _unknown_name(exc):
    """The resolver's answer when the host name does not exist (not a busy resolver), else None."""
    for current in _chain(exc):
        if isinstance(current, socket.gaierror) and current.errno in _NAME_UNKNOWN:
            return current.strerror or str(current)
    return None


def _refused(exc):
    return any(isinstance(current, ConnectionRefusedError)
               or (isinstance(current, OSError) and current.errno == _errno.ECONNREFUSED) for current in _chain(exc))


def _short_error(exc):
    text = str(exc).replace('\n', ' ').strip()
    if len(text) > 300:
        text = text[:297] + '...'
    return '%s: %s' % (type(exc).__name__, text) if text else type(exc).__name__


def _status_text(response):
    reason = (response.reason or '').strip()
    return ('%s %s' % (response.status_code, reason)).strip()


def _empty_answer(response, expect_body):
    """A 200/201 without a body where the request's answer is due one: the client cannot read it."""
    return expect_body and response.status_code in (200, 201) and not response.content


def _request_following(session, method, url, describe, check, **kwargs):
    """One attempt: ``session.request`` without requests' own redirect handling, then the redirects
    this transport allows (reads, within the origin)."""
    response = session.request(method, url, allow_redirects=False, **kwargs)
    hops = 0
    while response.is_redirect:
        target = urljoin(response.url or url, response.headers['Location'])
        status = _status_text(response)
        response.close()
        if method not in READ_METHODS:
            # 303 See Other answers a write the server has done: its answer is elsewhere, so it is treated
            # as a lost answer (the caller's recovery reads back what was written). Any other redirect
            # asks for the write to be sent again elsewhere: not done.
            error = MaybeAppliedError if response.status_code == 303 else TransportError
            raise error(
                '%s failed: the server answered %s towards %s; a write never follows a redirect (its body and '
                'credentials would go there): check %s' % (describe, status, origin_of(target), check),
                describe=describe, last_status=response.status_code)
        if not same_origin(url, target):
            raise TransportError(
                '%s failed: the server answered %s towards another origin, %s; not followed, so that the '
                'credentials stay with %s: check %s' % (describe, status, origin_of(target), origin_of(url), check),
                describe=describe, last_status=response.status_code)
        hops += 1
        if hops > MAX_REDIRECTS:
            raise TransportError('%s failed: more than %d redirects' % (describe, MAX_REDIRECTS),
                                 describe=describe, last_status=response.status_code)
        # The Location holds the whole target, its query included.
        kwargs.pop('params', None)
        response = session.request(method, target, allow_redirects=False, **kwargs)
    return response


def send(session, method, url, retry_max_time, timeout, describe,
         sleep=None, clock=None, rand=None, on_send=None, idempotent=None, check=None, expect_body=None, **kwargs):
    """Send one request, retrying what is safe to retry within ``retry_max_time`` seconds.

    :arg describe: names the request in errors, e.g. ``"ConnectWise GET /system/apiMembers"``.
    :arg sleep, clock, rand: injectable time.sleep, time.monotonic and random.random (tests).
    :arg on_send: called once before every attempt (clients count requests with it).
    :arg idempotent: True for a request that is safe to repeat whatever its method (an OAuth token
        request writes nothing); by default only the idempotent methods are.
    :arg check: what the user should check when the host is wrong (``"psa_cw_site (option site)"``).
    :arg expect_body: whether a 200/201 answer must carry a body (by default: any method but
        ``DELETE``, ``HEAD`` and ``OPTIONS``). An empty one is an answer lost on the way: retried like a
        dropped connection, briefly, or, for a write that may not be repeated, ``MaybeAppliedError``.
    :kwarg kwargs: passed to ``session.request`` (params, json, data, headers, auth...).
    :returns: the last ``requests.Response``; any status outside the retried ones is returned as is.
        Its ``repeated_after_send`` is True when an earlier attempt may have been applied (its answer
        was lost) and the request was sent again: a repeated DELETE may then find the record gone.
    :raises TransportError: budget spent, TLS failure, unknown host, a redirect not to follow, or a
        non-idempotent request that cannot be repeated safely.
    """
    require_requests()
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    rand = rand or _random.random
    method = method.upper()
    check = check or 'the server URL'
    if idempotent is None:
        idempotent = method in IDEMPOTENT_METHODS
    if expect_body is None:
        expect_body = method not in ('DELETE', 'HEAD', 'OPTIONS')
    # An explicit per-request verify keeps REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from overriding the
    # session's ca_path or validate_certs: false (requests prefers the environment otherwise).
    kwargs.setdefault('verify', getattr(session, 'verify', True))
    deadline = clock() + max(float(retry_max_time), 0.0)
    attempts = 0
    retries = 0
    repeated_after_send = False
    brief_since = None  # when the current run of refused connections / empty answers began
    while True:
        attempts += 1
        remaining = deadline - clock()
        # A retry never waits longer for an answer than the budget has left (at least a second, so
        # a nearly spent budget still gives the last attempt a chance).
        attempt_timeout = timeout if attempts == 1 else min(timeout, max(remaining, 1.0))
        if on_send is not None:
            on_send()
        brief = False
        try:
            response = _request_following(session, method, url, describe, check, timeout=attempt_timeout,
                                          **dict(kwargs))
        except requests.exceptions.SSLError as exc:
            raise TransportError('%s failed: TLS error (%s); %s' % (describe, _short_error(exc), TLS_HINT),
                                 describe=describe)
        except requests.exceptions.RequestException as exc:
            if not isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                                    requests.exceptions.ChunkedEncodingError)):
                raise TransportError('%s failed: %s' % (describe, _short_error(exc)), describe=describe)
            unknown = _unknown_name(exc)
            if unknown:
                # Waiting does not make a name exist: say so now rather than after retry_max_time.
                raise TransportError('%s failed: the host name %s does not resolve (%s): check %s' % (
                    describe, urlsplit(url).hostname, unknown, check), describe=describe)
            if not idempotent and not _never_sent(exc):
                raise MaybeAppliedError(
                    '%s failed after the request was sent (%s); not retried because a %s may already '
                    'have been applied: check the object before running again'
                    % (describe, _short_error(exc), method), describe=describe)
            last = _short_error(exc)
            delay = backoff_delay(retries, rand)
            last_status = None
            lost_answer = not _never_sent(exc)
            brief = _refused(exc)
            if brief:
                last = 'connection refused by %s' % origin_of(url)
        else:
            status = response.status_code
            empty = _empty_answer(response, expect_body)
            if status not in RETRY_STATUSES and not empty:
                response.repeated_after_send = repeated_after_send
                return response
            lost_answer = empty or status not in NOT_APPLIED_STATUSES
            last_status = status
            last = _status_text(response) + (' with an empty body' if empty else '')
            if not idempotent and lost_answer:
                raise MaybeAppliedError(
                    '%s failed: %s after the request was sent; not retried because a %s may already '
                    'have been applied: check the object before running again' % (describe, last, method),
                    describe=describe, last_status=status)
            delay = None
            if status == 429:
                delay = parse_retry_after(response.headers.get('Retry-After'), _response_time(response))
                if delay is not None and delay >= RETRY_FLOOR:
                    last += ' (Retry-After: %gs)' % delay
                else:
                    # No header, or one that says "now" (0, negative, a date in the past): not a
                    # reason to ask again at once.
                    delay = backoff_delay(retries, rand, floor=RATE_LIMIT_FLOOR)
            else:
                delay = backoff_delay(retries, rand)
            brief = empty
            response.close()
        delay = max(delay, RETRY_FLOOR)
        now = clock()
        brief_since = (brief_since if brief_since is not None else now) if brief else None
        remaining = deadline - now
        if brief and now + delay - brief_since > BRIEF_RETRY_TIME:
            raise TransportError(
                '%s failed: %s, %d attempt(s) within %gs; not retried longer: is the server up and %s right?'
                % (describe, last, attempts, BRIEF_RETRY_TIME, check), describe=describe, last_status=last_status)
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
        delay = max(backoff_delay(lost - 1, rand), RETRY_FLOOR)
        if clock() + delay > deadline:
            cause = ('answer %s' % last.last_status) if last.last_status else 'connection lost after sending'
            raise TransportError(
                '%s failed: its answer was lost %d time(s) and nothing it made was found to keep; gave up '
                'within retry_max_time=%gs; last: %s' % (describe, lost, float(retry_max_time), cause),
                describe=describe, last_status=last.last_status)
        sleep(delay)
