"""Large scans streamed from the browser to a temporary file, never held whole in memory.

Streamlit's own uploader keeps an upload in the server's memory until the
page reads it: a 500 MB scan costs 500 MB of the server (more while it is
copied).  ``medtwin app`` therefore serves a small upload endpoint beside the
app, in the same process, on the same address (another port, picked free at
start).  The Facility page's scan uploader (:mod:`scenarios.ui.scan_upload`)
sends the file there with ``PUT /upload/<token>?name=<file name>``; the
browser streams it from disk and this server writes it to a temporary file
:data:`CHUNK_BYTES` at a time, so memory stays bounded whatever the size.

What it accepts, and why it is safe to leave running:

* only a request naming a *token* a page of this app registered
  (:func:`UploadServer.register`): 32 random bytes per browser session;
  a browser request from a page of another origin (another port) is
  refused, and only the app's own pages may read the answer (CORS);
* only a file name ending in a scan format the LiDAR reader takes, with a
  ``Content-Length`` of at most :data:`MAX_UPLOAD_BYTES` and leaving
  :data:`FREE_DISK_MARGIN_BYTES` free on the disk;
* the file is written under a private temporary folder with a name the
  server makes up (the client's name only labels it), and deleted when the
  page has read it, when a newer upload of the same session replaces it, or
  at exit; a broken transfer leaves nothing behind.

The page takes a finished upload back with :func:`UploadServer.take`, by the
token and the upload id the server answered with.
"""

from __future__ import annotations

import atexit
import json
import secrets
import shutil
import socket
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["CHUNK_BYTES", "MAX_UPLOAD_BYTES", "Received", "UploadServer", "current", "start"]

#: Bytes read from the connection and written to the file at a time: the memory an upload holds.
CHUNK_BYTES = 1024 * 1024
#: Largest scan accepted (bytes): a whole hospital's terrestrial scan; the disk, not memory, is the limit.
MAX_UPLOAD_BYTES = 8_000_000_000
#: Disk space left free after an upload is accepted (bytes).
FREE_DISK_MARGIN_BYTES = 512 * 1024**2
#: How often (s) the serving thread checks whether it is asked to stop.
POLL_S = 0.1
#: Path prefix of the endpoint.
ROUTE = "/upload/"

_server: UploadServer | None = None


@dataclass(frozen=True)
class Received:
    """A finished upload: the name the user gave it, where it lies on the server, and its size."""

    name: str
    path: Path
    size: int


class UploadServer:
    """The upload endpoint: a threading HTTP server bound to the app's address, with its own folder.

    Args:
        host: The address the app listens on (the endpoint is never wider).
        suffixes: File name endings accepted (lower case, with the dot).
        app_port: The app's port: only pages served from it may send files (CORS).
        port: Port to listen on; 0 picks a free one.
    """

    def __init__(self, host: str, suffixes: tuple[str, ...], app_port: int, port: int = 0) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="medtwin-uploads-"))
        self.suffixes = suffixes
        self.app_port = app_port
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self._done: dict[tuple[str, str], Received] = {}
        server_class = _Server6 if ":" in host else ThreadingHTTPServer  # an IPv6 address such as ::1
        self._httpd = server_class((host, port), _handler(self))
        self._httpd.daemon_threads = True
        self.port: int = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(POLL_S,),
                                        name="medtwin-uploads", daemon=True)

    def start(self) -> UploadServer:
        """Serve in a background thread; stop and clean up at exit."""
        self._thread.start()
        atexit.register(self.close)
        return self

    def close(self) -> None:
        """Stop serving and delete every upload not taken."""
        self._httpd.shutdown()
        self._httpd.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def register(self) -> str:
        """A new token for one browser session: uploads naming it are accepted."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens.add(token)
        return token

    def accepts(self, token: str) -> bool:
        with self._lock:
            return token in self._tokens

    def finished(self, token: str, received: Received) -> str:
        """Record a finished upload; any earlier one of the same session not taken is deleted."""
        upload_id = secrets.token_urlsafe(12)
        with self._lock:
            for key in [k for k in self._done if k[0] == token]:
                self._done.pop(key).path.unlink(missing_ok=True)
            self._done[(token, upload_id)] = received
        return upload_id

    def take(self, token: str, upload_id: str) -> Received | None:
        """The upload ``upload_id`` of session ``token``, handed over once (the caller deletes its file)."""
        with self._lock:
            return self._done.pop((token, upload_id), None)


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _reply(handler: BaseHTTPRequestHandler, status: int, body: dict[str, object], origin: str | None) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    if origin:
        handler.send_header("Access-Control-Allow-Origin", origin)
        handler.send_header("Vary", "Origin")
    handler.end_headers()
    handler.wfile.write(data)


def _handler(server: UploadServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """``OPTIONS`` (the browser's preflight) and ``PUT /upload/<token>?name=...``."""

        server_version = "medtwin-uploads"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the app's log is Streamlit's."""

        def _origin(self) -> str | None:
            """The request's origin if it is a page of the app (same port), else ``None``."""
            origin = self.headers.get("Origin")
            if not origin:
                return None
            parsed = urllib.parse.urlsplit(origin)
            return origin if parsed.port == server.app_port and parsed.scheme in ("http", "https") else None

        def do_OPTIONS(self) -> None:
            origin = self._origin()
            self.send_response(204 if origin else 403)
            if origin:
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Allow-Methods", "PUT")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Access-Control-Max-Age", "600")
                self.send_header("Vary", "Origin")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_PUT(self) -> None:
            origin = self._origin()
            url = urllib.parse.urlsplit(self.path)
            token = url.path[len(ROUTE):] if url.path.startswith(ROUTE) else ""
            name = Path(urllib.parse.parse_qs(url.query).get("name", [""])[0]).name
            suffix = Path(name).suffix.lower()
            size = self.headers.get("Content-Length", "")
            self.close_connection = True
            if self.headers.get("Origin") and origin is None:
                _reply(self, 403, {"error": "uploads are taken only from the app's own pages"}, None)
                return
            if not token or not server.accepts(token):
                _reply(self, 403, {"error": "this upload was not asked for by a page of the app"}, origin)
                return
            if suffix not in server.suffixes:
                _reply(self, 415, {"error": f"{name or 'the file'}: not a scan format the reader "
                                            f"takes ({', '.join(server.suffixes)})"}, origin)
                return
            if not size.isdigit():
                _reply(self, 411, {"error": "the upload must state its length"}, origin)
                return
            length = int(size)
            if length > MAX_UPLOAD_BYTES:
                _reply(self, 413, {"error": f"{name}: {length / 1e6:,.0f} MB is over the "
                                            f"{MAX_UPLOAD_BYTES / 1e6:,.0f} MB limit"}, origin)
                return
            if shutil.disk_usage(server.folder).free - length < FREE_DISK_MARGIN_BYTES:
                _reply(self, 507, {"error": f"{name}: not enough disk space on the server"}, origin)
                return
            path = _receive(self, server.folder, suffix, length)
            if path is None:
                _reply(self, 400, {"error": f"{name}: the upload was cut off"}, origin)
                return
            upload_id = server.finished(token, Received(name, path, length))
            _reply(self, 200, {"id": upload_id, "name": name, "bytes": length}, origin)

    return Handler


def _receive(handler: BaseHTTPRequestHandler, folder: Path, suffix: str, length: int) -> Path | None:
    """Copy ``length`` bytes of the request body to a new file in ``folder``; ``None`` if cut off."""
    fd, name = tempfile.mkstemp(prefix="scan-", suffix=suffix, dir=folder)
    path = Path(name)
    left = length
    try:
        with open(fd, "wb") as out:
            while left > 0:
                chunk = handler.rfile.read(min(CHUNK_BYTES, left))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
    except OSError:
        left = max(left, 1)
    if left > 0:
        path.unlink(missing_ok=True)
        return None
    return path


def start(host: str, app_port: int, suffixes: tuple[str, ...], port: int = 0) -> UploadServer:
    """Start this process's upload endpoint (once) beside the app at ``host:app_port``.

    ``port`` is the endpoint's own port; 0 picks a free one.
    """
    global _server  # noqa: PLW0603 - one endpoint per server process, found by the pages
    if _server is None:
        _server = UploadServer(host, suffixes, app_port, port).start()
    return _server


def current() -> UploadServer | None:
    """The endpoint of this process, or ``None`` when the app runs without one (``streamlit run``, tests)."""
    return _server
