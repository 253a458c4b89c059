"""``python -m emulator``: start the emulator and print one JSON line when it is ready."""

import argparse
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
    return parser.parse_args(argv)


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

    def stop(signum, frame):
        # shutdown() waits for serve_forever() to return, so it cannot run in the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    document = dump_ready(ready_document(server, "http" if args.plain_http else "https", args.host, ca_file,
                                         args.profile))
    if args.ready_file:
        _write_atomic(args.ready_file, document + "\n")
    sys.stdout.write(document + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        app.save()
        if temporary_tls_dir:
            shutil.rmtree(temporary_tls_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
