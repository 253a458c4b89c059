"""The one response type every emulated service returns to the HTTP layer."""

import json


class Response:
    """A vendor answer: status, body and extra headers.

    ``body`` may be a dict or list (sent as JSON), a str (sent as UTF-8 text), bytes, or None
    (an empty body, e.g. for 204).
    """

    __slots__ = ("status", "body", "headers")

    def __init__(self, status, body=None, headers=None):
        self.status = int(status)
        self.body = body
        self.headers = dict(headers or {})

    def encode(self):
        """Return ``(payload_bytes, content_type)``; content type is None for an empty body."""
        if self.body is None:
            return b"", None
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body, separators=(",", ":")).encode("utf-8"), "application/json; charset=utf-8"
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        return str(self.body).encode("utf-8"), "text/plain; charset=utf-8"

    def __repr__(self):
        # The body may hold a freshly minted private key: never show it.
        return "Response(status=%d)" % self.status
