"""The scan upload endpoint: streams to a file, for a registered session, a scan format and a sane size."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios.ui import upload_server
from scenarios.ui.upload_server import UploadServer

APP_PORT = 8599
SUFFIXES = (".xyz", ".las")


@pytest.fixture
def server() -> Iterator[UploadServer]:
    srv = UploadServer("127.0.0.1", SUFFIXES, APP_PORT).start()
    try:
        yield srv
    finally:
        srv.close()


APP_ORIGIN = f"http://127.0.0.1:{APP_PORT}"


def _put(srv: UploadServer, path: str, body: bytes | Iterator[bytes], length: int,
         origin: str | None = APP_ORIGIN) -> tuple[int, dict[str, object], dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    headers = {"Content-Length": str(length), "Content-Type": "application/octet-stream"}
    if origin:
        headers["Origin"] = origin
    conn.request("PUT", path, body=body, headers=headers)
    r = conn.getresponse()
    out = (r.status, json.loads(r.read() or b"{}"), dict(r.getheaders()))
    conn.close()
    return out


def _chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    left = total
    while left:
        n = min(size, left)
        yield bytes([left % 251]) * n
        left -= n


def test_a_scan_is_streamed_to_a_file_and_handed_over_once(server: UploadServer) -> None:
    token = server.register()
    total = 5 * (1 << 20) + 123
    status, body, headers = _put(server, f"/upload/{token}?name=..%2F..%2Fward.xyz", _chunks(total), total)
    assert status == 200 and body["name"] == "ward.xyz" and body["bytes"] == total
    assert headers["Access-Control-Allow-Origin"] == f"http://127.0.0.1:{APP_PORT}"
    got = server.take(token, str(body["id"]))
    assert got is not None and got.name == "ward.xyz" and got.size == total
    assert got.path.parent == server.folder and got.path.suffix == ".xyz"  # the client's path is never used
    assert got.path.read_bytes() == b"".join(_chunks(total))
    assert server.take(token, str(body["id"])) is None


def test_a_newer_upload_replaces_the_one_not_taken(server: UploadServer) -> None:
    token = server.register()
    _, first, _ = _put(server, f"/upload/{token}?name=a.las", b"x" * 10, 10)
    _, second, _ = _put(server, f"/upload/{token}?name=b.las", b"y" * 10, 10)
    assert server.take(token, str(first["id"])) is None
    got = server.take(token, str(second["id"]))
    assert got is not None and got.path.read_bytes() == b"y" * 10
    assert [p.name for p in server.folder.iterdir()] == [got.path.name]


def test_uploads_nobody_asked_for_or_of_the_wrong_kind_are_refused(
        server: UploadServer, monkeypatch: pytest.MonkeyPatch) -> None:
    token = server.register()
    assert _put(server, "/upload/not-a-token?name=a.xyz", b"x", 1)[0] == 403
    status, body, _ = _put(server, f"/upload/{token}?name=notes.txt", b"x", 1)
    assert status == 415 and "notes.txt" in str(body["error"])
    monkeypatch.setattr(upload_server, "MAX_UPLOAD_BYTES", 100)
    status, body, _ = _put(server, f"/upload/{token}?name=big.xyz", b"x" * 101, 101)
    assert status == 413 and "limit" in str(body["error"])
    # a page served from another port may not send, nor read the answer
    status, _, headers = _put(server, f"/upload/{token}?name=a.xyz", b"x", 1, origin="http://127.0.0.1:9999")
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    assert list(server.folder.iterdir()) == []


def test_a_transfer_cut_off_leaves_nothing(server: UploadServer) -> None:
    token = server.register()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(f"PUT /upload/{token}?name=cut.xyz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
                  .encode() + b"z" * 1000)
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := s.recv(4096):  # the server closes the connection after its answer
            reply += chunk
    text = reply.decode()
    assert " 400 " in text.splitlines()[0] and "cut off" in text
    assert list(server.folder.iterdir()) == []


def test_the_endpoint_is_cleaned_up_on_close() -> None:
    srv = UploadServer("127.0.0.1", SUFFIXES, APP_PORT).start()
    token = srv.register()
    _put(srv, f"/upload/{token}?name=a.xyz", b"abc", 3)
    folder: Path = srv.folder
    srv.close()
    assert not folder.exists()
