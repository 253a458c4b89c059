# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Cisco Umbrella API client: OAuth2 client-credentials token (cached), child-org header, paging, errors.

The interface is described in docs/architecture.md; engines code against it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import threading
import time

from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import DEFAULT_BASE_URL
from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import (
    TransportError,
    parse_origin,
    warn_once,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.json_client import (
    ApiError,
    JsonClient,
    content_type,
    json_or_none,
)

TOKEN_PATH = '/auth/v2/token'
BASE_URL_SETTING = 'base_url (psa_umbrella_base_url)'
DEFAULT_PAGE_LIMIT = 100
# Renew this long before expiry, so a token never expires between the check and the request.
RENEW_MARGIN = 300.0

__all__ = [
    'DEFAULT_BASE_URL', 'UmbrellaClient', 'UmbrellaError', 'UmbrellaNotFound', 'UmbrellaUnsupported',
    'UmbrellaAuthError', 'TransportError', 'clear_token_cache',
]

# Umbrella allows 20 token requests a minute per API key: every client of the same key shares one
# token for the life of the process. Keyed by (base URL, key, sha256 of secret) -> (token, renew_at);
# the secret itself is never kept here.
_TOKEN_CACHE = {}
_TOKEN_LOCK = threading.Lock()

# The client's run cache (json_client.NoRunCache, or plugin_utils/run_cache.py handed over by the
# in-process entry point) shares the token between the run's tasks: ``claim(key)`` tells one caller to
# fetch a missing token and the others to wait for it. While another task fetches it, ask this often.
CLAIM_POLL_SECONDS = 0.1


def clear_token_cache():
    """Drop every cached token (tests, or after rotating a key)."""
    with _TOKEN_LOCK:
        _TOKEN_CACHE.clear()


class UmbrellaError(ApiError):
    """An Umbrella answer outside 2xx."""

    VENDOR = 'Umbrella'

    def __reduce__(self):
        # Keeps the error intact when it crosses a process boundary (Ansible workers pickle results).
        return (self.__class__, (self.status, self.message, self.method, self.path, self.hint))


class UmbrellaNotFound(UmbrellaError):
    """404 on a published route: the object does not exist."""


class UmbrellaUnsupported(UmbrellaError):
    """404/405 on an extension route: the server does not offer it (see docs/extension-api.md)."""


class UmbrellaAuthError(UmbrellaError):
    """401 (key/secret or token refused) or 403 (the key may not do this, or not for this org)."""

    def _default_hint(self):
        if self.status in (400, 401):
            return ('check api_key and api_secret (an Umbrella API key of the MSP/MSSP console; '
                    'psa_umbrella_api_key and psa_umbrella_api_secret in the psa_integration role)')
        return ('check that the API key has the scope this request needs and that org_id (psa_umbrella_org_id '
                'in the psa_integration role) is an organization the key may manage')


def _error_message(response, body):
    if isinstance(body, dict):
        # {"message"} (admin, token) or {"statusCode", "error", "message"} (deployments, policies).
        message = body.get('message') or body.get('error_description') or ''
        error = body.get('error')
        if error and message and error not in message:
            return '%s: %s' % (error, message)
        if message or error:
            return message or error
    reason = (response.reason or 'no reason').strip()
    return reason if isinstance(body, (dict, list)) else '%s (%s answer, not Umbrella JSON)' % (
        reason, content_type(response))


def _is_token_rejection(response):
    """401, or the 400 {"error": "invalid_request"} Umbrella answers for an expired bearer token."""
    if response.status_code == 401:
        return True
    if response.status_code == 400:
        body = json_or_none(response)
        return isinstance(body, dict) and body.get('error') == 'invalid_request'
    return False


class UmbrellaClient(JsonClient):
    """One Umbrella API key (optionally acting for a child organization through ``org_id``).

    ``cache`` is the run cache (json_client.NoRunCache when none is given): the run's tasks share one
    token per key through it.
    """

    SETTING = BASE_URL_SETTING

    def __init__(self, api_key, api_secret, base_url=DEFAULT_BASE_URL, org_id=None, allow_plain_http=False,
                 cache=None, **transport):
        super(UmbrellaClient, self).__init__(cache=cache, **transport)
        if not api_key or not api_secret:
            raise ValueError('api_key and api_secret are required')
        # https only (http with allow_plain_http), never a user name or password (http.parse_origin).
        self.base_url = parse_origin(base_url or DEFAULT_BASE_URL, 'base_url', 'psa_umbrella_base_url',
                                     allow_plain_http=allow_plain_http, allow_path=True)
        self.api_key = api_key
        self._secret = api_secret
        self._cache_key = (self.base_url, api_key,
                           hashlib.sha256(api_secret.encode('utf-8')).hexdigest())
        # The run cache files a token under a digest of URL, key and secret, so that only a
        # caller who knows the secret can ask for it.
        self._shared_key = hashlib.sha256(
            '\0'.join((self.base_url, api_key, api_secret)).encode('utf-8')).hexdigest()
        self.org_id = None if org_id in (None, '') else str(org_id)
        self._clock = self._clock or time.monotonic
        self.token_request_count = 0
        self._warn_weak_transport(transport.get('validate_certs', True))

    def _warn_weak_transport(self, validate_certs):
        """Warn, once per run and organization, about settings that expose the secret on the way."""
        where = 'Umbrella %s (%s)' % (self.base_url, 'organization %s' % self.org_id if self.org_id else
                                      'the API key\'s organization')
        tenant = ('umbrella', self.base_url, self.api_key, self.org_id or '')
        if self.base_url.startswith('http://'):
            warn_once('%s: plain HTTP, allowed by allow_plain_http (psa_allow_plain_http): the API secret and '
                      'the ConnectWise keys sent to Umbrella travel in clear; for a lab only' % where,
                      ('plain-http',) + tenant, self.cache)
        elif not validate_certs:
            warn_once('%s: the TLS certificate is not verified (validate_certs / psa_umbrella_validate_certs: '
                      'false): whoever is on the way can read the API secret and the ConnectWise keys sent to '
                      'Umbrella; give ca_path (psa_umbrella_ca_path) instead' % where,
                      ('unverified',) + tenant, self.cache)

    @classmethod
    def from_params(cls, params, cache=None):
        """Build a client from the connection options of common_args.UMBRELLA_ARGSPEC."""
        return cls(params['api_key'], params['api_secret'], base_url=params.get('base_url') or DEFAULT_BASE_URL,
                   org_id=params.get('org_id'), cache=cache, **cls.transport_options(params))

    def __repr__(self):
        return 'UmbrellaClient(base_url=%r, api_key=%r, org_id=%r)' % (self.base_url, self.api_key, self.org_id)

    # -- token --------------------------------------------------------------------------------------

    def _token(self):
        with _TOKEN_LOCK:
            cached = _TOKEN_CACHE.get(self._cache_key)
        if cached and self._clock() < cached[1]:
            return cached[0]
        shared = self._shared_token()
        if shared:
            token, expires_at = shared
            with _TOKEN_LOCK:
                _TOKEN_CACHE[self._cache_key] = (token, self._clock() + (expires_at - time.time()))
            return token
        try:
            return self._fetch_token()
        except Exception:
            self.cache.release(self._shared_key)
            raise

    def _shared_token(self):
        """The run's token from the run cache, or None when this client is to fetch it.

        Forks that start at the same moment all find no token; one of them fetches it while the
        others wait for it, so that a run asks Umbrella for one token, not one per fork.
        """
        while True:
            answer = self.cache.claim(self._shared_key)
            if answer == 'wait':
                (self._sleep or time.sleep)(CLAIM_POLL_SECONDS)
                continue
            return None if answer == 'fetch' else answer

    def _drop_token(self, token):
        with _TOKEN_LOCK:
            cached = _TOKEN_CACHE.get(self._cache_key)
            # Another client may already have replaced it; keep the newer one.
            if cached and cached[0] == token:
                del _TOKEN_CACHE[self._cache_key]
        shared = self.cache.get(self._shared_key)
        if shared and shared[0] == token:
            self.cache.drop(self._shared_key)

    def _fetch_token(self):
        self.token_request_count += 1
        describe = 'Umbrella POST %s' % TOKEN_PATH
        # The token belongs to the key's own organization; org_id goes on data requests only.
        # Asking again for a token changes nothing, so a token POST is retried like a GET.
        response = self._send('POST', self.base_url + TOKEN_PATH, describe, idempotent=True,
                              auth=(self.api_key, self._secret),
                              data={'grant_type': 'client_credentials'},
                              headers={'Accept': 'application/json'})
        body = json_or_none(response)
        if response.status_code != 200:
            error_class = UmbrellaAuthError if response.status_code in (400, 401, 403) else UmbrellaError
            raise error_class(response.status_code, _error_message(response, body), 'POST', TOKEN_PATH)
        if not isinstance(body, dict) or not body.get('access_token'):
            raise UmbrellaError(200, 'the token answer holds no access_token', 'POST', TOKEN_PATH)
        token = body['access_token']
        try:
            lifetime = float(body.get('expires_in') or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        # A short-lived token is renewed at half its life instead of 5 minutes before its end.
        margin = RENEW_MARGIN if lifetime > 2 * RENEW_MARGIN else lifetime / 2
        with _TOKEN_LOCK:
            _TOKEN_CACHE[self._cache_key] = (token, self._clock() + lifetime - margin)
        self.cache.put(self._shared_key, token, time.time() + lifetime - margin)
        return token

    # -- requests -----------------------------------------------------------------------------------

    def _request(self, method, path, params=None, body=None, extension=False):
        path = self._clean_path(path)
        describe = 'Umbrella %s %s' % (method, path)
        headers = {'Accept': 'application/json'}
        if body is not None:
            headers['Content-Type'] = 'application/json'
        if self.org_id:
            headers['X-Umbrella-OrgId'] = self.org_id
        kwargs = {'params': params} if params else {}
        if body is not None:
            kwargs['data'] = json.dumps(body)
        token = self._token()
        for attempt in (1, 2):
            headers['Authorization'] = 'Bearer %s' % token
            response = self._send(method, self.base_url + path, describe, headers=headers, **kwargs)
            if attempt == 1 and _is_token_rejection(response):
                # Expired or revoked token: a fresh one, once. A second refusal is a real one.
                self._drop_token(token)
                token = self._fetch_token()
                continue
            break
        if not 200 <= response.status_code < 300:
            raise self._error(response, method, path, extension)
        if response.status_code == 204 or not response.content:
            return None
        decoded = json_or_none(response)
        if decoded is None:
            raise UmbrellaError(response.status_code, 'the answer is not JSON; is base_url the Umbrella API?',
                                method, path)
        return decoded

    @staticmethod
    def _error(response, method, path, extension):
        status = response.status_code
        message = _error_message(response, json_or_none(response))
        if status in (404, 405) and extension:
            return UmbrellaUnsupported(status, message, method, path)
        if status == 404:
            return UmbrellaNotFound(status, message, method, path)
        if status in (401, 403) or _is_token_rejection(response):
            return UmbrellaAuthError(status, message, method, path)
        return UmbrellaError(status, message, method, path)

    def get(self, path, params=None, extension=False):
        return self._request('GET', path, params=params, extension=extension)

    def post(self, path, body=None, extension=False):
        return self._request('POST', path, body=body, extension=extension)

    def put(self, path, body=None, extension=False):
        return self._request('PUT', path, body=body, extension=extension)

    def patch(self, path, body=None, extension=False):
        return self._request('PATCH', path, body=body, extension=extension)

    def delete(self, path, extension=False):
        self._request('DELETE', path, extension=extension)

    def list(self, path, limit=DEFAULT_PAGE_LIMIT, params=None, extension=False):
        """Every item of a list route: page=1, 2, ... until a page shorter than ``limit``."""
        items = []
        page = 1
        previous = None
        while True:
            query = dict(params or {})
            query.update({'page': page, 'limit': limit})
            chunk = self._request('GET', path, params=query, extension=extension)
            if chunk is None:
                chunk = []
            if not isinstance(chunk, list):
                raise UmbrellaError(200, 'expected a JSON array', 'GET', self._clean_path(path))
            # A server that ignores `page` would repeat itself forever.
            if chunk and chunk == previous:
                return items
            items.extend(chunk)
            if len(chunk) < limit:
                return items
            previous = chunk
            page += 1
