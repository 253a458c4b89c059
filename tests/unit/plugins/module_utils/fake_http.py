# Copyright (c) 2026 msp.umbrella_psa contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A scripted HTTP server for unit tests of one client, mounted into a requests.Session as an adapter.

No sockets are opened: requests' own machinery prepares each request (auth, params, body, headers)
and hands it to FakeServer.send, which records it and answers from a script.
"""

import http.client
import json as jsonlib
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


class Reply:
    """One scripted answer: a status with a JSON body, a raw body, and headers."""

    def __init__(self, status=200, json=None, body=None, headers=None):
        self.status = status
        self.headers = dict(headers or {})
        if json is not None:
            self.body = jsonlib.dumps(json).encode('utf-8')
            self.headers.setdefault('Content-Type', 'application/json; charset=utf-8')
        elif isinstance(body, str):
            self.body = body.encode('utf-8')
        else:
            self.body = body or b''


class FakeClock:
    """time.monotonic and time.sleep in one: sleeping moves the clock, nothing really waits."""

    def __init__(self, start=1000.0):
        self.now = start
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0, 'negative sleep %r' % seconds
        self.sleeps.append(seconds)
        self.now += seconds


class FakeServer(BaseAdapter):
    """Answers by (method, path): each route holds a list of replies, the last one repeats."""

    def __init__(self, clock=None, latency=0.0):
        super().__init__()
        self.routes = {}
        self.handlers = []
        self.requests = []
        self.clock = clock
        self.latency = latency

    def mount_on(self, session):
        session.mount('https://', self)
        session.mount('http://', self)
        return self

    def script(self, method, path, *replies):
        """Answer `method path` with these replies in turn (a reply may be an exception to raise)."""
        self.routes[(method.upper(), path)] = list(replies)
        return self

    def handle(self, func):
        """Answer with func(request) -> Reply | None (None: fall through to scripted routes)."""
        self.handlers.append(func)
        return func

    def calls(self, method=None, path=None):
        return [r for r in self.requests
                if (method is None or r.method == method.upper())
                and (path is None or urlsplit(r.url).path == path)]

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        request.timeout_used = timeout
        request.verify_used = verify
        self.requests.append(request)
        if self.clock is not None and self.latency:
            self.clock.now += self.latency
        reply = None
        for handler in self.handlers:
            reply = handler(request)
            if reply is not None:
                break
        if reply is None:
            key = (request.method, urlsplit(request.url).path)
            if key not in self.routes:
                reply = Reply(404, json={'code': 'NotFound', 'message': 'The endpoint does not exist.'})
            else:
                queue = self.routes[key]
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, BaseException):
            raise reply
        return self._response(request, reply)

    @staticmethod
    def _response(request, reply):
        response = requests.Response()
        response.status_code = reply.status
        response.reason = http.client.responses.get(reply.status, '')
        response.headers = CaseInsensitiveDict(reply.headers)
        response._content = reply.body  # pylint: disable=protected-access
        response.encoding = 'utf-8'
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def query(request):
    """The query string of a recorded request as {name: value} (single values)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query, keep_blank_values=True).items()}


def form(request):
    body = request.body
    if isinstance(body, bytes):
        body = body.decode('utf-8')
    return {k: v[0] for k, v in parse_qs(body or '').items()}


def json_body(request):
    body = request.body
    if isinstance(body, bytes):
        body = body.decode('utf-8')
    return jsonlib.loads(body)
