"""HTTP(S) front of the emulator: dispatch, faults, latency, statistics and the control API."""

import json
import re
import socket
import ssl
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from emulator.control import ControlAPI
from emulator.http_types import Response

_UMBRELLA_PATH = re.compile(r"^/(auth|admin)/v2(/|$)", re.IGNORECASE)
_LOOPBACK = ("127.", "::1", "::ffff:127.")
_WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


_FAULT_TEXT = {429: ("TooManyRequests", "Too many requests. Retry later.", "Too Many Requests"),
               502: ("BadGateway", "The gateway received an invalid answer.", "Bad Gateway"),
               504: ("GatewayTimeout", "The gateway timed out.", "Gateway Timeout")}


def _fault_body(is_connectwise, status):
    code, message, short = _FAULT_TEXT.get(
        status, ("ServiceUnavailable", "The service is temporarily unavailable.", "Service Unavailable"))
    if is_connectwise:
        return {"code": code, "message": message, "errors": None}
    return {"message": short}


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "msp-umbrella-psa-emulator/1.0"
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 60
    # Headers and body are separate writes: without TCP_NODELAY, Nagle's algorithm and the client's
    # delayed ACK add ~40 ms to every response.
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            # The TLS handshake runs here, in the connection's own thread, not in the accept loop.
            self.connection.do_handshake()

    def date_time_string(self, timestamp=None):
        # The Date header follows the emulator's clock: clients measure the age of _info times against it.
        return super().date_time_string(self.server.app.clock.epoch() if timestamp is None else timestamp)

    # Every method goes through one entry point.
    def do_GET(self):
        self._serve("GET")

    def do_HEAD(self):
        self._serve("HEAD")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_PATCH(self):
        self._serve("PATCH")

    def do_DELETE(self):
        self._serve("DELETE")

    def do_OPTIONS(self):
        self._serve("OPTIONS")

    def log_message(self, format, *args):
        # Quiet by default: the request line can be logged, never headers (they carry credentials).
        if self.server.verbose:
            sys.stderr.write("emulator: %s - %s\n" % (self.address_string(), format % args))

    def _read_body(self):
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _serve(self, method):
        app = self.server.app
        body = self._read_body()
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)

        if path == "/_emulator" or path.startswith("/_emulator/"):
            if not self.client_address[0].startswith(_LOOPBACK):
                self._send(Response(403, {"error": "the control API answers loopback clients only"}), method, False)
                return
            response = self.server.control.handle(method, path[len("/_emulator"):], body)
            self._send(response, method, False)
            return

        connectwise = app.connectwise
        is_connectwise = connectwise.owns(path)
        is_umbrella = not is_connectwise and bool(_UMBRELLA_PATH.match(path))
        if is_connectwise:
            route = connectwise.route_template(path)
            company = connectwise.credentials_company(self.headers)
            tenant = "connectwise:%s" % company.lower() if company else None
        elif is_umbrella:
            route = re.sub(r"/\d+(?=/|$)", "/{id}", path.rstrip("/") or "/")
            org = self.headers.get("X-Umbrella-OrgId")
            tenant = "umbrella:%s" % org if org else "umbrella"
        else:
            route, tenant = path, None
        app.stats.record(method, route, tenant)

        # A write a test holds in flight (emulator/hold.py): dropped unserved unless released to apply.
        held = app.hold.match(method, route, tenant)
        if held is not None and held.phase == "before" and not held.wait():
            app.stats.record_status("drop")
            self._drop()
            return

        fault = app.faults.decide("%s %s %s" % (tenant, method, path))
        if fault.latency:
            time.sleep(fault.latency)
        if fault.kind is not None and not fault.after_apply:
            self._send_fault(fault, is_connectwise, method)
            return

        try:
            if is_connectwise:
                response = connectwise.handle(method, path, query, self.headers, body)
            elif is_umbrella and app.umbrella is not None:
                response = app.umbrella.handle(method, path, query, self.headers, body)
            else:
                response = Response(404, {"message": "Not Found"})
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = Response(500, {"message": "Internal emulator error"})
        if method in _WRITE_METHODS and response.status < 400:
            app.save()
        if held is not None and held.phase == "after":
            held.wait()
            if not held.answer:
                app.stats.record_status("drop")
                self._drop()
                return
        if fault.kind is not None:
            # Served, and the answer is lost on the way back.
            self._send_fault(fault, is_connectwise, method)
            return
        self._send(response, method)

    def _send_fault(self, fault, is_connectwise, method):
        if fault.kind == "drop":
            self.server.app.stats.record_status("drop")
            self._drop()
            return
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
        self._send(Response(fault.status, _fault_body(is_connectwise, fault.status), headers), method)

    def _drop(self):
        # Close without a byte of response: the client sees a reset/closed connection.
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, response, method, vendor=True):
        if vendor:
            self.server.app.stats.record_status(response.status)
        payload, content_type = response.encode()
        self.send_response(response.status)
        headers = {k.lower(): (k, v) for k, v in response.headers.items()}
        if content_type and "content-type" not in headers:
            self.send_header("Content-Type", content_type)
        for name, value in headers.values():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if method != "HEAD" and payload:
            self.wfile.write(payload)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, app, ssl_context=None, verbose=False):
        self.app = app
        self.control = ControlAPI(app)
        self.ssl_context = ssl_context
        self.verbose = verbose
        super().__init__(address, EmulatorHandler)

    def get_request(self):
        sock, address = self.socket.accept()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        # Clients that hang up, fail the handshake or time out are normal; anything else is printed.
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, ssl.SSLError, socket.timeout, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


def make_ssl_context(cert_file, key_file):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


def ready_document(server, scheme, host, ca_file, profile):
    port = server.server_address[1]
    return {"url": "%s://%s:%d" % (scheme, host, port), "ca_file": ca_file, "port": port, "profile": profile}


def dump_ready(document):
    return json.dumps(document)
