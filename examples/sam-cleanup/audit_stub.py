"""A stand-in for the audit service the cleanup job reports to: POST /audit keeps an
entry, GET /audit lists them. Run it beside the harness:

    python examples/sam-cleanup/audit_stub.py --port 8099

or start it in a test with `running()`.
"""

import argparse
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar


class AuditHandler(BaseHTTPRequestHandler):
    entries: ClassVar[list] = []  # every entry posted, for as long as the stub runs

    def do_POST(self):
        if self.path != "/audit":
            return self._answer(404, {"error": "no such endpoint"})
        length = int(self.headers.get("Content-Length") or 0)
        try:
            entry = json.loads(self.rfile.read(length))
        except ValueError:
            return self._answer(400, {"error": "not JSON"})
        self.entries.append(entry)
        self._answer(201, {"accepted": entry})

    def do_GET(self):
        if self.path != "/audit":
            return self._answer(404, {"error": "no such endpoint"})
        self._answer(200, {"entries": self.entries})

    def _answer(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # quiet
        pass


@contextmanager
def running(port=0):
    """The stub on 127.0.0.1 in a thread; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), AuditHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    port = parser.parse_args().port
    print(f"audit stub on http://127.0.0.1:{port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), AuditHandler).serve_forever()
