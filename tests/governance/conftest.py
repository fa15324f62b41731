"""Fixtures of the governance tests: a WeCom group robot on a real local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest


class _Robot(BaseHTTPRequestHandler):
    """Answers like a WeCom / 政务微信 group robot: ``{"errcode": 0, "errmsg": "ok"}``, or
    the error code the test sets (93000: invalid webhook key)."""

    def do_POST(self):  # noqa: N802 - the http.server API
        length = int(self.headers["Content-Length"])
        self.server.state.received.append(
            {
                "path": self.path,
                "content_type": self.headers["Content-Type"],
                "body": json.loads(self.rfile.read(length)),
            }
        )
        errcode = self.server.state.errcode
        payload = json.dumps({"errcode": errcode, "errmsg": "ok" if not errcode else "bad"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def group_robot():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Robot)
    server.state = SimpleNamespace(received=[], errcode=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    yield SimpleNamespace(
        url=f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=street-desk",
        state=server.state,
        received=server.state.received,
    )
    server.shutdown()
    server.server_close()
