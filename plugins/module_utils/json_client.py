# -*- coding: utf-8 -*-
# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What both vendor clients share: the JSON client base, the API error base and the no-op run cache.

``http.py`` keeps the transport (sessions, TLS, the retry rules); this module keeps what a JSON API
client does around it: count and send requests through ``http.send``, read a JSON body that may not
be JSON, render an error answer in one line, and hold the run cache it was handed. The vendor clients
(``connectwise.py``, ``umbrella.py``) add their authentication, paging and error mapping.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.umbrella_psa.plugins.module_utils.common_args import (
    DEFAULT_RETRY_MAX_TIME,
    DEFAULT_TIMEOUT,
)
from ansible_collections.msp.umbrella_psa.plugins.module_utils.errors import PsaError
from ansible_collections.msp.umbrella_psa.plugins.module_utils.http import new_session, require_requests, send

# An error message carries at most this much of what the server said.
MAX_MESSAGE = 500


def one_line(text, limit=MAX_MESSAGE):
    """``text`` on one line, cut to ``limit`` characters (a server may answer with a whole page)."""
    text = ' '.join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + '...'


def json_or_none(response):
    """The decoded JSON body, or None for an empty or non-JSON body (a proxy's HTML page)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def content_type(response):
    return (response.headers.get('Content-Type') or 'no content type').split(';')[0]


class ApiError(PsaError):
    """A vendor's answer outside 2xx (or one that is not what its API promises), in one line.

    ``VENDOR`` names the API in the message; ``_status_text`` and ``_details`` let a vendor add what
    its error bodies carry. Subclasses keep their own constructor and ``__reduce__`` (Ansible
    workers pickle results, and an error must cross that boundary intact).
    """

    VENDOR = 'API'

    def __init__(self, status, message, method=None, path=None, hint=None):
        self.status = status
        self.message = message or ''
        self.method = method
        self.path = path
        self.hint = hint or self._default_hint()
        super(ApiError, self).__init__(self._render())

    def _default_hint(self):
        return None

    def _status_text(self):
        return '' if self.status is None else str(self.status)

    def _details(self):
        return ''

    def _render(self):
        head = ' '.join(('%s %s %s failed' % (self.VENDOR, self.method or '', self.path or '')).split())
        status = self._status_text()
        text = head + ': ' + (status + ': ' if status else '') + one_line(self.message or 'no message')
        details = self._details()
        if details:
            text += ' (%s)' % one_line(details)
        if self.hint:
            text += ' - ' + self.hint
        return text

    def __str__(self):
        return self._render()


class NoRunCache:
    """The run cache of a client that shares nothing beyond itself (a module run on another host).

    A run cache holds, for the tasks of one run, the Umbrella tokens (``get``, ``put``, ``drop``,
    ``claim``, ``release``) and facts of a server that do not change during the run (``get_value``,
    ``put_value``); plugin_utils/run_cache.py is the one the in-process entry point hands over.
    ``lasting`` tells whether what is put outlives this task: only then is a whole list worth reading
    to share it.
    """

    lasting = False

    def get(self, key):
        return None

    def put(self, key, token, expires_at):
        pass

    def drop(self, key):
        pass

    def claim(self, key):
        return 'fetch'

    def release(self, key):
        pass

    def get_value(self, key):
        return None

    def put_value(self, key, value, lifetime=None):
        pass


class JsonClient:
    """The plumbing of one vendor client: transport options, the request counter and the run cache.

    ``SETTING`` names the option (and variable) that a transport error points at.
    """

    SETTING = None

    def __init__(self, validate_certs=True, ca_path=None, timeout=DEFAULT_TIMEOUT,
                 retry_max_time=DEFAULT_RETRY_MAX_TIME, session=None, sleep=None, clock=None, rand=None,
                 cache=None):
        require_requests()
        self.timeout = float(timeout)
        self.retry_max_time = float(retry_max_time)
        self._session = session if session is not None else new_session(validate_certs, ca_path)
        self._sleep, self._clock, self._rand = sleep, clock, rand
        self.cache = cache if cache is not None else NoRunCache()
        self.request_count = 0

    @staticmethod
    def transport_options(params):
        """The constructor's transport keywords from validated options (common_args' defaults)."""
        return dict(
            allow_plain_http=bool(params.get('allow_plain_http')),
            validate_certs=params.get('validate_certs', True),
            ca_path=params.get('ca_path'),
            timeout=params.get('timeout') or DEFAULT_TIMEOUT,
            retry_max_time=DEFAULT_RETRY_MAX_TIME if params.get('retry_max_time') is None
            else params['retry_max_time'],
        )

    @classmethod
    def from_params(cls, params, cache=None):
        """A client from the vendor's connection options (common_args), sharing ``cache``."""
        raise NotImplementedError

    def _count(self):
        self.request_count += 1

    def _send(self, method, url, describe, **kwargs):
        return send(self._session, method, url, self.retry_max_time, self.timeout, describe,
                    sleep=self._sleep, clock=self._clock, rand=self._rand, on_send=self._count,
                    check=self.SETTING, **kwargs)

    @staticmethod
    def _clean_path(path):
        return '/' + path.lstrip('/')
