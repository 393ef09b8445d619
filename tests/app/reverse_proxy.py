"""A small real reverse proxy for the tests: one port in front, requests forwarded to the app behind.

It forwards every request under ``front_prefix`` to ``back_prefix`` on the
backend (so it can serve the app at ``/medtwin/`` whatever path the app
expects), streams request and response bodies in pieces as nginx does with
``proxy_request_buffering off``, and, like any proxy, when a client goes away
in the middle of a body it drops the backend connection too.  HTTP only (no
WebSocket): enough to test the upload route through it.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PIECE = 64 * 1024
#: Headers that belong to one connection, never forwarded.
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def _handler(backend: tuple[str, int], front_prefix: str, back_prefix: str) -> type[BaseHTTPRequestHandler]:
    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def _forward(self) -> None:
            if not self.path.startswith(front_prefix):
                self.send_error(404, "not proxied")
                return
            path = back_prefix + self.path[len(front_prefix):]
            length = int(self.headers.get("Content-Length", "0") or 0)
            conn = http.client.HTTPConnection(*backend, timeout=30)
            conn.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP:
                    conn.putheader(name, value)
            conn.putheader("X-Forwarded-Host", self.headers.get("Host", ""))
            conn.endheaders()
            left = length
            while left:
                piece = self.rfile.read(min(PIECE, left))
                if not piece:  # the client went away: so does the request to the backend
                    conn.close()
                    self.close_connection = True
                    return
                conn.send(piece)
                left -= len(piece)
            answer = conn.getresponse()
            body = answer.read()
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP | {"content-length"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            conn.close()

        do_GET = do_POST = do_PUT = _forward

    return Proxy


@contextmanager
def reverse_proxy(backend: tuple[str, int], front_prefix: str = "/",
                  back_prefix: str = "/") -> Iterator[int]:
    """Serve the proxy on a free port of 127.0.0.1 while the block runs; yields that port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(backend, front_prefix, back_prefix))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
