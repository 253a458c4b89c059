# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ConnectWise PSA (Manage) REST client: auth, headers, codebase discovery, paging, conditions, errors.

The interface is described in docs/architecture.md; engines code against it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import math
import re
from email.utils import parsedate_to_datetime

from ansible.module_utils.six.moves.urllib.parse import quote, urljoin, urlsplit, urlunsplit

from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import DEFAULT_API_VERSION
from ansible_collections.msp.umbrella_psa.plugins.module_utils.errors import PsaError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import (
    HAS_REQUESTS,
    MaybeAppliedError,
    TransportError,
    parse_origin,
    warn_once,
    write_once,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.json_client import (
    ApiError,
    JsonClient,
    content_type,
    json_or_none,
    one_line,
)

if HAS_REQUESTS:
    from requests.auth import HTTPBasicAuth

PAGE_SIZE = 1000  # ConnectWise's hard maximum
ENDPOINT_MISSING_MESSAGE = 'The endpoint does not exist.'

__all__ = [
    'DEFAULT_API_VERSION', 'ConnectWiseClient', 'ConnectWiseError', 'ConnectWiseNotFound',
    'ConnectWiseUnsupported', 'ConnectWiseAuthError', 'ConditionValueError', 'conditions',
    'MaybeAppliedError', 'TransportError', 'clear_codebase_cache', 'parse_link_header',
]

# A company's codebase does not change during a run: kept in this process, and in the client's run
# cache, which the in-process entry point shares between the run's tasks (plugin_utils/run_cache.py).
# Cache keys are digests; the key of a fact that belongs to one key pair includes its private key.
_CODEBASE_CACHE = {}


def clear_codebase_cache():
    """Forget discovered codebases (tests; a site upgraded while a long process runs)."""
    _CODEBASE_CACHE.clear()


def cache_key(kind, *parts):
    """A cache key: ``kind`` and a SHA-256 digest of the parts (which may hold a secret)."""
    digest = hashlib.sha256(u'\0'.join(u'%s' % (part,) for part in parts).encode('utf-8')).hexdigest()
    return 'cw-%s-%s' % (kind, digest)


# ---------------------------------------------------------------------------------------------------
# Errors


class ConnectWiseError(ApiError):
    """A ConnectWise answer outside 2xx (or one that is not what the API promises)."""

    VENDOR = 'ConnectWise'
    # True when the request was sent again after an answer was lost (see http.send).
    repeated_after_send = False

    def __init__(self, status, code, message, errors=None, method=None, path=None, hint=None):
        self.code = code or ''
        self.errors = list(errors or [])
        super(ConnectWiseError, self).__init__(status, message, method, path, hint)

    @property
    def object_exists(self):
        """ConnectWise refused a create because the name or identifier is taken (an ObjectExists item)."""
        return any(isinstance(item, dict) and item.get('code') == 'ObjectExists' for item in self.errors)

    def __reduce__(self):
        # Keeps the error intact when it crosses a process boundary (Ansible workers pickle results).
        return (self.__class__, (self.status, self.code, self.message, self.errors, self.method, self.path,
                                 self.hint))

    def _status_text(self):
        return ' '.join(str(part) for part in (self.status, self.code) if part not in (None, ''))

    def _details(self):
        return '; '.join(_describe_error_item(item) for item in self.errors if item)


def _describe_error_item(item):
    if not isinstance(item, dict):
        return one_line(item, 200)
    parts = [item.get('field'), item.get('code'), item.get('message')]
    return ': '.join(one_line(p, 200) for p in parts if p)


class ConnectWiseNotFound(ConnectWiseError):
    """404 on a record: the route exists, the object does not."""


class ConnectWiseUnsupported(ConnectWiseError):
    """The server does not offer the route (404 "The endpoint does not exist." or 405)."""


class ConnectWiseAuthError(ConnectWiseError):
    """401 (credentials) or 403 (the API member's security role denies the request)."""

    def _default_hint(self):
        if self.status == 401:
            # The role's variables too: a role user never wrote these option names.
            return ('check company_id, public_key and private_key (the key pair of an active API member '
                    'of that company) and client_id (psa_cw_company_id, psa_cw_public_key, psa_cw_private_key '
                    'and psa_cw_client_id in the psa_integration role)')
        return "the API member's security role does not allow this request"


def _error_from_response(response, method, path):
    status = response.status_code
    code, message, errors = '', '', []
    body = json_or_none(response)
    if isinstance(body, dict):
        code = body.get('code') or ''
        message = body.get('message') or ''
        errors = body.get('errors') or []
        if not isinstance(errors, list):
            errors = [errors]
    if not message:
        # A CDN or proxy in front of ConnectWise answers with HTML; say what came back, not the page.
        message = '%s (%s answer, not ConnectWise JSON)' % ((response.reason or 'no reason').strip(),
                                                            content_type(response)) \
            if body is None else (response.reason or 'no message')
    args = (status, code, message, errors, method, path)
    if (status == 404 and message.strip() == ENDPOINT_MISSING_MESSAGE) or status == 405:
        return ConnectWiseUnsupported(*args)
    if status == 404:
        return ConnectWiseNotFound(*args)
    if status in (401, 403):
        return ConnectWiseAuthError(*args)
    return ConnectWiseError(*args)


# ---------------------------------------------------------------------------------------------------
# Conditions


class ConditionValueError(PsaError, ValueError):
    """A value (or field name) that cannot be put into a ConnectWise condition safely."""

    def __init__(self, field, reason):
        self.field = field
        self.reason = reason
        super(ConditionValueError, self).__init__('condition on field %r: %s' % (field, reason))

    def __reduce__(self):
        return (self.__class__, (self.field, self.reason))


_FIELD_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$')
_CONTROL_RE = re.compile(u'[\u0000-\u001f\u007f]')


def _check_field(field):
    if not isinstance(field, str) or not _FIELD_RE.match(field):
        raise ConditionValueError(field, 'not a field name (letters, digits, _ and / for nested fields)')
    return field


def _literal(field, value):
    """Render one value as a condition literal; never pastes a value that could break out of it."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise ConditionValueError(field, 'not a finite number')
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return '[%s]' % value.strftime('%Y-%m-%dT%H:%M:%SZ')
    if not isinstance(value, str):
        raise ConditionValueError(field, 'unsupported value type %s' % type(value).__name__)
    if _CONTROL_RE.search(value):
        raise ConditionValueError(field, 'the value holds a control character')
    # ConnectWise documents no escape inside a quoted string: pick the quote the value does not hold.
    # Backslashes and % are literal inside quotes.
    if '"' not in value:
        return '"%s"' % value
    if "'" not in value:
        return "'%s'" % value
    raise ConditionValueError(field, 'the value holds both quote characters and cannot be quoted')


def _combine(operator, parts):
    parts = [p for p in parts if p]
    if not parts:
        return ''
    if len(parts) == 1:
        return parts[0]
    return (' %s ' % operator).join('(%s)' % p for p in parts)


class conditions:  # pylint: disable=invalid-name
    """Builders of ConnectWise ``conditions`` strings (``conditions.eq('identifier', 'umbrella')``)."""

    @staticmethod
    def eq(field, value):
        return '%s=%s' % (_check_field(field), _literal(field, value))

    @staticmethod
    def ne(field, value):
        return '%s!=%s' % (_check_field(field), _literal(field, value))

    @staticmethod
    def in_(field, values):
        _check_field(field)
        values = list(values)
        if not values:
            raise ConditionValueError(field, 'in_() needs at least one value')
        return '%s in (%s)' % (field, ','.join(_literal(field, v) for v in values))

    @staticmethod
    def and_(*parts):
        return _combine('and', parts)

    @staticmethod
    def or_(*parts):
        return _combine('or', parts)


# ---------------------------------------------------------------------------------------------------
# Paging


_LINK_RE = re.compile(r'<([^>]*)>((?:\s*;\s*[^;,<=\s]+(?:\s*=\s*(?:"[^"]*"|[^;,<]*))?)*)')
_PARAM_RE = re.compile(r';\s*([^=;\s]+)\s*(?:=\s*("[^"]*"|[^;]*))?')


def parse_link_header(value):
    """Map each ``rel`` of an RFC 8288 Link header to its URL (``rel="next last"`` gives both)."""
    links = {}
    for match in _LINK_RE.finditer(value or ''):
        url, params = match.group(1).strip(), match.group(2)
        for pmatch in _PARAM_RE.finditer(params):
            if pmatch.group(1).lower() != 'rel' or pmatch.group(2) is None:
                continue
            for rel in pmatch.group(2).strip().strip('"').split():
                links.setdefault(rel.lower(), url)
    return links


def _nested_value(record, field):
    value = record
    for part in field.split('/'):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _same_value(actual, wanted):
    if isinstance(actual, str) and isinstance(wanted, str):
        # ConnectWise compares strings case-insensitively; so does the exact client-side filter.
        return actual.casefold() == wanted.casefold()
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return actual is wanted
    return actual == wanted


# ---------------------------------------------------------------------------------------------------
# Client


SITE_SETTING = 'site (psa_cw_site)'


def _split_site(site, allow_plain_http=False):
    """``host``, ``host:port`` or ``https://host[:port]`` -> ``https://host[:port]``.

    Refused (``SettingError``, a ValueError) in one line that never shows a user name or password: a
    path, a user name or password, a scheme other than https (http only with ``allow_plain_http``).
    """
    return parse_origin(site, 'site', 'psa_cw_site', allow_plain_http=allow_plain_http, bare_host=True)


def _normalise_codebase(codebase):
    codebase = codebase.strip().strip('/')
    return codebase + '/' if codebase else ''


class ConnectWiseClient(JsonClient):
    """One ConnectWise company, reached with one API member's key pair.

    ``cache`` is the run cache (json_client.NoRunCache when none is given): the codebase, catalogues
    and what a key sees are read once per run through it (``run_list``).
    """

    SETTING = SITE_SETTING

    def __init__(self, site, company_id, public_key, private_key, client_id,
                 api_version=DEFAULT_API_VERSION, codebase=None, allow_plain_http=False, cache=None,
                 **transport):
        super(ConnectWiseClient, self).__init__(cache=cache, **transport)
        missing = [name for name, value in (('company_id', company_id), ('public_key', public_key),
                                            ('private_key', private_key), ('client_id', client_id)) if not value]
        if missing:
            raise ValueError('ConnectWise connection options missing: %s' % ', '.join(missing))
        self.origin = _split_site(site, allow_plain_http)
        self._warn_weak_transport(transport.get('validate_certs', True), company_id)
        self.site = site
        self.company_id = company_id
        self.public_key = public_key
        self._auth = HTTPBasicAuth('%s+%s' % (company_id, public_key), private_key)
        self.client_id = client_id
        self.api_version = api_version or DEFAULT_API_VERSION
        self._codebase = _normalise_codebase(codebase) if codebase else None

    def _warn_weak_transport(self, validate_certs, company_id):
        """Warn, once per run and company, about settings that expose the keys on the way."""
        where = 'ConnectWise %s (company %s)' % (self.origin, company_id)
        if self.origin.startswith('http://'):
            warn_once('%s: plain HTTP, allowed by allow_plain_http (psa_allow_plain_http): the API keys travel in '
                      'clear; for a lab only' % where, ('plain-http', self.origin, str(company_id).lower()),
                      self.cache)
        elif not validate_certs:
            warn_once('%s: the TLS certificate is not verified (validate_certs / psa_cw_validate_certs: false): '
                      'whoever is on the way can read the API keys; give ca_path (psa_cw_ca_path) instead'
                      % where, ('unverified', self.origin, str(company_id).lower()), self.cache)

    @classmethod
    def from_params(cls, params, cache=None):
        """Build a client from the connection options of common_args.CONNECTWISE_ARGSPEC."""
        return cls(params['site'], params['company_id'], params['public_key'], params['private_key'],
                   params['client_id'], api_version=params.get('api_version') or DEFAULT_API_VERSION,
                   codebase=params.get('codebase'), cache=cache, **cls.transport_options(params))

    def __repr__(self):
        return 'ConnectWiseClient(site=%r, company_id=%r, public_key=%r, api_version=%r)' % (
            self.origin, self.company_id, self.public_key, self.api_version)

    # -- base URL -----------------------------------------------------------------------------------

    @property
    def codebase(self):
        if self._codebase is None:
            self._codebase = self._discover_codebase()
        return self._codebase

    @property
    def base_url(self):
        return '%s/%sapis/3.0' % (self.origin, self.codebase)

    def site_key(self, kind):
        """The cache key of a fact shared by every key of this company (codebase, catalogues)."""
        return cache_key(kind, self.origin, str(self.company_id).lower())

    def credential_key(self, kind):
        """The cache key of a fact of this very key pair: only a caller with the private key finds it."""
        return cache_key(kind, self.origin, str(self.company_id).lower(), self.public_key,
                         self._auth.password)

    def _discover_codebase(self):
        key = self.site_key('codebase')
        cached = _CODEBASE_CACHE.get(key) or self.cache.get_value(key)
        if cached:
            _CODEBASE_CACHE[key] = cached
            return cached
        path = '/login/companyinfo/%s' % quote(str(self.company_id), safe='')
        response = self._send('GET', self.origin + path, 'ConnectWise GET %s' % path,
                              headers={'Accept': 'application/json'})
        body = json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict) or not body.get('Codebase'):
            raise ConnectWiseError(
                response.status_code, 'CodebaseUnknown',
                'company %r is not known at %s (no Codebase in the company info); check site and '
                'company_id, or set codebase (for example v2025_1/)' % (self.company_id, self.origin),
                method='GET', path=path)
        codebase = _normalise_codebase(body['Codebase'])
        _CODEBASE_CACHE[key] = codebase
        self.cache.put_value(key, codebase)
        return codebase

    # -- facts of the run ---------------------------------------------------------------------------

    def run_list(self, kind, path, per_credential=False, instead=None, **kwargs):
        """``list(path, **kwargs)``, read once per run and shared by the run's tasks.

        ``kind`` names the fact in the run cache; ``per_credential`` files it under this key pair (what
        that key sees) rather than the company (what every key sees). ``instead`` is a smaller read
        that serves this task alone: taken when the cache does not outlive the task, so the whole list
        is read only when the rest of the run can use it.
        """
        key = self.credential_key(kind) if per_credential else self.site_key(kind)
        value = self.cache.get_value(key)
        if value is not None:
            return value
        if instead is not None and not self.cache.lasting:
            return instead()
        value = self.list(path, **kwargs)
        self.cache.put_value(key, value)
        return value

    def remember(self, kind, value, per_credential=False):
        """File a list read otherwise (``run_list`` returns it from now on)."""
        self.cache.put_value(self.credential_key(kind) if per_credential else self.site_key(kind), value)

    # -- requests -----------------------------------------------------------------------------------

    def _headers(self, extra=None):
        headers = {
            'clientId': self.client_id,
            'Accept': 'application/vnd.connectwise.com+json; version=%s' % self.api_version,
            'Content-Type': 'application/json',
        }
        if extra:
            headers.update(extra)
        return headers

    def _call(self, method, path, params=None, body=None, url=None, headers=None, idempotent=None):
        """Send one API request; return the response of a 2xx answer, raise the typed error otherwise."""
        path = self._clean_path(path)
        kwargs = {'headers': self._headers(headers), 'auth': self._auth, 'idempotent': idempotent}
        if params:
            kwargs['params'] = params
        if body is not None:
            kwargs['data'] = json.dumps(body)
        response = self._send(method, url or self.base_url + path, 'ConnectWise %s %s' % (method, path), **kwargs)
        self.last_date_header = response.headers.get('Date') or self.last_date_header
        if not 200 <= response.status_code < 300:
            error = _error_from_response(response, method, path)
            error.repeated_after_send = getattr(response, 'repeated_after_send', False)
            raise error
        return response

    def _decode(self, response, method, path):
        if response.status_code == 204 or not response.content:
            return None
        body = json_or_none(response)
        if body is None:
            raise ConnectWiseError(response.status_code, 'NotJson',
                                   'the answer is %s, not JSON; is site the API host of the company?'
                                   % content_type(response), method=method, path=self._clean_path(path))
        return body

    def _request(self, method, path, params=None, body=None, idempotent=None):
        return self._decode(self._call(method, path, params=params, body=body, idempotent=idempotent), method, path)

    # -- public API ---------------------------------------------------------------------------------

    def get(self, path, params=None):
        return self._request('GET', path, params=params)

    def list(self, path, conditions=None, fields=None, order_by=None):  # pylint: disable=redefined-outer-name
        """Every record of a list route, following ``Link: rel="next"`` to the last page."""
        params = {'pageSize': PAGE_SIZE}
        if conditions:
            params['conditions'] = conditions
        if fields:
            params['fields'] = fields if isinstance(fields, str) else ','.join(fields)
        headers = None
        if order_by:
            params['orderBy'] = order_by
        else:
            # Forward-only paging stays consistent while records are added; it cannot be ordered.
            headers = {'pagination-type': 'forward-only'}
        records = []
        url = None
        seen = set()
        while True:
            response = self._call('GET', path, params=None if url else params, url=url, headers=headers)
            page = self._decode(response, 'GET', path)
            if page is None:
                page = []
            if not isinstance(page, list):
                raise ConnectWiseError(response.status_code, 'NotAList', 'expected a JSON array of records',
                                       method='GET', path=self._clean_path(path))
            records.extend(page)
            next_url = parse_link_header(response.headers.get('Link')).get('next')
            if not next_url or not page:
                return records
            url = self._next_page_url(response.url, next_url)
            if url in seen:
                raise ConnectWiseError(response.status_code, 'PagingLoop',
                                       'the next-page link points back to a page already read',
                                       method='GET', path=self._clean_path(path))
            seen.add(url)

    def _next_page_url(self, current_url, link):
        """The next page on *our* origin: credentials never follow a link to another host."""
        absolute = urljoin(current_url or self.base_url, link)
        parts = urlsplit(absolute)
        origin = urlsplit(self.origin)
        return urlunsplit((origin.scheme, origin.netloc, parts.path, parts.query, ''))

    def find(self, path, field, value):
        """Records whose ``field`` equals ``value`` exactly (strings case-insensitively, like ConnectWise)."""
        try:
            records = self.list(path, conditions=conditions.eq(field, value))
        except ConditionValueError:
            if not _FIELD_RE.match(field or ''):
                raise
            # The value cannot be quoted safely: read everything and compare here instead.
            records = self.list(path)
        return [r for r in records if isinstance(r, dict) and _same_value(_nested_value(r, field), value)]

    def offers(self, collection):
        """Whether the server offers an extension collection, asked of its parent id 0 (which no record has).

        For check mode, when the parent is one an earlier task would create: a record-level 404 means the
        route exists, 404 "The endpoint does not exist." (or 405) that it does not (docs/extension-api.md).
        """
        try:
            self.list(collection)
        except ConnectWiseUnsupported:
            return False
        except ConnectWiseNotFound:
            return True
        return True

    def count(self, path, conditions=None):  # pylint: disable=redefined-outer-name
        params = {'conditions': conditions} if conditions else None
        body = self._request('GET', self._clean_path(path).rstrip('/') + '/count', params=params)
        if not isinstance(body, dict) or not isinstance(body.get('count'), int):
            raise ConnectWiseError(200, 'NotACount', 'expected {"count": N}', method='GET',
                                   path=self._clean_path(path) + '/count')
        return body['count']

    def post(self, path, body, recover=None):
        """Create a record (201). ``recover`` finds what this POST would have made.

        Without ``recover``, a POST whose answer is lost (dropped connection, read timeout, 502/504)
        raises ``MaybeAppliedError``. With it, the client calls ``recover()`` after a lost answer: the
        record it returns is taken as the POST's answer; None means the POST was not applied and it is
        sent again (``http.write_once``). Records found by a natural key (a role by name, a member by
        identifier) make good recoveries.
        """
        if recover is None:
            return self._request('POST', path, body=body)
        record, _recovered = write_once(
            lambda: self._request('POST', path, body=body), recover, self.retry_max_time,
            'ConnectWise POST %s' % self._clean_path(path), sleep=self._sleep, clock=self._clock, rand=self._rand)
        return record

    def put(self, path, body):
        return self._request('PUT', path, body=body)

    def patch(self, path, operations, idempotent=None):
        """Apply JSON Patch operations. ``idempotent=True`` states that the route gives the same result
        however often the request is applied, so it may be repeated after a lost answer."""
        if not isinstance(operations, list):
            raise TypeError('patch() takes a JSON Patch list of {"op", "path", "value"} operations')
        if idempotent is None:
            # Replacing fields with absolute values gives the same record however often it is applied,
            # so such a PATCH may be repeated after a dropped connection; add/remove in general may not.
            idempotent = all(isinstance(op, dict) and op.get('op') == 'replace' for op in operations) or None
        return self._request('PATCH', path, body=operations, idempotent=idempotent)

    # -- server time (cw_umbrella_sync_info) ------------------------------------------------------

    # The HTTP ``Date`` header of the last API answer (RFC 7231: the server's clock when it answered).
    last_date_header = None

    def server_time(self):
        """The server's notion of now, from the last answer's ``Date`` header (aware UTC), or None.

        Freshness checks compare ``_info`` times, which the server stamps with its own clock, with this
        rather than with the controller's clock, which may be off.
        """
        if not self.last_date_header:
            return None
        try:
            value = parsedate_to_datetime(self.last_date_header)
        except (TypeError, ValueError, IndexError):
            return None
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc)

    def delete(self, path):
        try:
            self._request('DELETE', path)
        except ConnectWiseNotFound as exc:
            # An earlier attempt was applied and its answer lost: the repeat finds the record gone,
            # which is what was asked.
            if not exc.repeated_after_send:
                raise
