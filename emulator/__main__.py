"""``python -m emulator``: start the emulator and print one JSON line when it is ready."""

import argparse
import math
import os
import shutil
import signal
import sys
import tempfile
import threading

from emulator import tls
from emulator.app import EmulatorApp
from emulator.server import EmulatorServer, dump_ready, make_ssl_context, ready_document
from emulator.state import StateFile
from emulator.umbrella_sync import SyncScheduler

# The sync connects to the emulator's own socket: a wildcard listening address is reached on loopback.
_WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m emulator",
                                     description="HTTPS emulator of ConnectWise PSA and Cisco Umbrella.")
    parser.add_argument("--profile", choices=("extended", "public"), default="extended",
                        help="public: the vendors' published APIs only; extended: plus the extension contract")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="port; 0 picks a free one (default 8443)")
    parser.add_argument("--state-file", help="restore from and save to this JSON file")
    parser.add_argument("--tls-dir", help="directory for the generated CA and server certificate")
    parser.add_argument("--plain-http", action="store_true", help="serve plain HTTP instead of HTTPS")
    parser.add_argument("--rate-limits", action="store_true", help="enforce Umbrella's published rate limits")
    parser.add_argument("--ready-file", help="also write the ready JSON document to this file")
    parser.add_argument("--verbose", action="store_true", help="log each request line to stderr")
    parser.add_argument("--sync-interval", type=_positive_seconds, metavar="SECONDS",
                        help="run Umbrella's PSA sync of every console with a ConnectWise integration this "
                             "often (default: only on demand, through the control API)")
    return parser.parse_args(argv)


def _positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of seconds" % text) from None
    if value <= 0 or not math.isfinite(value):  # NaN is neither finite nor positive
        raise argparse.ArgumentTypeError("the interval must be a positive number of seconds")
    return value


def _sync_url(scheme, host, port):
    host = _WILDCARD_HOSTS.get(host, host)
    return "%s://%s:%d" % (scheme, "[%s]" % host if ":" in host else host, port)


def _write_atomic(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".ready-", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def main(argv=None):
    args = parse_args(argv)
    state_file = StateFile(args.state_file) if args.state_file else None
    app = EmulatorApp(args.profile, scheme="http" if args.plain_http else "https",
                      rate_limits=args.rate_limits, state_file=state_file)
    if state_file is not None:
        saved = state_file.load()
        if saved:
            app.restore(saved)

    ssl_context, ca_file, temporary_tls_dir = None, None, None
    if not args.plain_http:
        tls_dir = args.tls_dir
        if not tls_dir:
            tls_dir = temporary_tls_dir = tempfile.mkdtemp(prefix="umbrella-psa-emulator-")
        ca_file, cert_file, key_file = tls.generate(tls_dir)
        ssl_context = make_ssl_context(cert_file, key_file)

    server = EmulatorServer((args.host, args.port), app, ssl_context, verbose=args.verbose)

    scheme = "http" if args.plain_http else "https"
    scheduler = None
    if app.umbrella_sync is not None:
        app.umbrella_sync.set_endpoint(_sync_url(scheme, args.host, server.server_address[1]), ca_file)
        if args.sync_interval:
            scheduler = SyncScheduler(app.umbrella_sync, args.sync_interval)

    def shut_down():
        # A sync in flight finishes against a server that still serves; then the server stops.
        if scheduler is not None:
            scheduler.stop()
        server.shutdown()

    def stop(signum, frame):
        # shutdown() waits for serve_forever() to return, so it cannot run in the serving thread.
        threading.Thread(target=shut_down, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if scheduler is not None:
        scheduler.start()
    document = dump_ready(ready_document(server, scheme, args.host, ca_file, args.profile))
    if args.ready_file:
        _write_atomic(args.ready_file, document + "\n")
    sys.stdout.write(document + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        if scheduler is not None:
            scheduler.stop()  # already stopped after a signal; here for any other way out
        server.server_close()
        app.save()
        if temporary_tls_dir:
            shutil.rmtree(temporary_tls_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
