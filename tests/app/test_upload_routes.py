"""The upload route through a real reverse proxy: a scan sent in pieces, cut off half way, resumed, intact."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from starlette.applications import Starlette

from scenarios.ui.upload_routes import WRITE_BYTES, route_path, upload_routes
from scenarios.ui.upload_store import UploadStore
from tests.app.conftest import free_port
from tests.app.reverse_proxy import reverse_proxy

#: The app's base URL path, as the proxy forwards it (``server.baseUrlPath``).
BASE = "medtwin"
ROUTE = route_path(BASE)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[UploadStore, int]]:
    """The upload routes served by uvicorn (as the app's server does), behind a reverse proxy; its port."""
    store = UploadStore((".xyz", ".las"), tmp_path / "uploads")
    store.folder.mkdir()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=upload_routes(store, BASE)), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        with reverse_proxy(("127.0.0.1", port), f"/{BASE}/", f"/{BASE}/") as front:
            yield store, front
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def _call(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers={"Content-Type": "application/octet-stream"})
    r = conn.getresponse()
    out = r.status, json.loads(r.read() or b"{}")
    conn.close()
    return out


def _cut(port: int, path: str, declared: int, sent: bytes, *, store: UploadStore, written: int) -> None:
    """Send ``declared`` bytes' headers and only ``sent`` bytes of body, then drop the connection.

    It drops only once the server has written ``written`` bytes of the file, so the cut falls
    after bytes the server holds, whatever the machine's load.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"PUT {path} HTTP/1.1\r\nHost: app.example\r\nContent-Length: {declared}\r\n"
                  f"Content-Type: application/octet-stream\r\n\r\n".encode() + sent)
        deadline = time.monotonic() + 30
        while sum(f.stat().st_size for f in store.folder.iterdir()) < written:
            assert time.monotonic() < deadline, "the server never wrote the bytes sent"
            time.sleep(0.02)


def test_a_transfer_cut_half_way_through_a_proxy_resumes_and_the_file_is_intact(
        served: tuple[UploadStore, int]) -> None:
    store, port = served
    data = np.random.default_rng(14).integers(0, 256, 3 * WRITE_BYTES + 5, dtype=np.uint8).tobytes()
    token = store.register()
    route = f"/{BASE}/medtwin-upload/{token}"
    status, begun = _call(port, "POST", f"{route}?name=ward.xyz&size={len(data)}&key=k1")
    assert status == 200 and begun["held"] == 0
    upload = begun["upload"]
    piece = f"{route}/{upload}"
    status, first = _call(port, "PUT", f"{piece}?offset=0", data[:WRITE_BYTES])
    assert status == 200 and first["held"] == WRITE_BYTES and "done" not in first
    # the second transfer announces the rest but is cut off after a little more than a megabyte
    _cut(port, f"{piece}?offset={WRITE_BYTES}", len(data) - WRITE_BYTES,
         data[WRITE_BYTES:2 * WRITE_BYTES + 999], store=store, written=2 * WRITE_BYTES)
    deadline = time.monotonic() + 30
    while True:  # the client asks how much the server holds and sends the rest from there
        status, held = _call(port, "GET", piece)
        assert status == 200
        offset = int(str(held["held"]))
        status, answer = _call(port, "PUT", f"{piece}?offset={offset}", data[offset:])
        if status != 409:  # 409: the cut transfer is still being closed on the server
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert 2 * WRITE_BYTES <= offset <= 2 * WRITE_BYTES + 999  # what arrived before the cut was kept
    assert status == 200 and answer["held"] == len(data)
    done = answer["done"]
    assert isinstance(done, dict) and done["name"] == "ward.xyz" and done["bytes"] == len(data)
    # had that answer been lost, asking about the upload says it finished, and under which id
    status, again = _call(port, "GET", piece)
    assert status == 200 and again["done"] == done and again["held"] == len(data)
    got = store.take(token, str(done["id"]))
    assert got is not None
    assert hashlib.sha256(got.path.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert _call(port, "GET", piece)[0] == 404  # taken: nothing more to say about it


def test_the_route_says_why_it_refuses(served: tuple[UploadStore, int]) -> None:
    store, port = served
    token = store.register()
    route = f"/{BASE}/medtwin-upload"
    status, body = _call(port, "POST", f"{route}/not-a-token?name=a.xyz&size=3&key=k")
    assert status == 403 and "not asked for" in str(body["error"])
    status, body = _call(port, "POST", f"{route}/{token}?name=a.xyz&size=lots&key=k")
    assert status == 400 and "size" in str(body["error"])
    _, begun = _call(port, "POST", f"{route}/{token}?name=a.xyz&size=3&key=k")
    piece = f"{route}/{token}/{begun['upload']}"
    status, body = _call(port, "PUT", f"{piece}?offset=1", b"bc")
    assert status == 409 and "holds 0 bytes" in str(body["error"])
    status, body = _call(port, "PUT", f"{piece}?offset=0", b"abcd")
    assert status == 400 and "more bytes than" in str(body["error"])
    assert _call(port, "GET", f"{route}/{token}/nothing")[0] == 404
    status, body = _call(port, "PUT", f"{piece}?offset=0", b"abc")
    assert status == 200 and body["held"] == 3
