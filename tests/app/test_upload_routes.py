"""The upload route through a real reverse proxy, and across a killed server: a scan sent in pieces,
cut off half way, resumed, intact."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from starlette.applications import Starlette

from scenarios.ui.upload_routes import TOKEN_HEADER, WRITE_BYTES, route_path, upload_routes
from scenarios.ui.upload_store import HEAD_BYTES, UploadStore
from tests.app.conftest import REPO, free_port
from tests.app.reverse_proxy import reverse_proxy

#: The app's base URL path, as the proxy forwards it (``server.baseUrlPath``).
BASE = "medtwin"
ROUTE = route_path(BASE)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[UploadStore, int]]:
    """The upload routes served by uvicorn (as the app's server does), behind a reverse proxy; its port."""
    store = UploadStore((".xyz", ".las"), tmp_path / "uploads")
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


def _call(port: int, method: str, path: str, body: bytes | None = None,
          token: str = "") -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers={"Content-Type": "application/octet-stream",
                                                   TOKEN_HEADER: token})
    r = conn.getresponse()
    out = r.status, json.loads(r.read() or b"{}")
    conn.close()
    return out


def _begin(port: int, route: str, token: str, name: str, data: bytes) -> tuple[int, dict[str, object]]:
    """Begin (or find again) the upload of ``data`` as a browser does: name, size, first megabyte's hash."""
    description = {"name": name, "size": len(data), "head": hashlib.sha256(data[:HEAD_BYTES]).hexdigest()}
    return _call(port, "POST", route, json.dumps(description).encode(), token)


def _cut(port: int, path: str, token: str, declared: int, sent: bytes, *, folder: Path, written: int) -> None:
    """Send ``declared`` bytes' headers and only ``sent`` bytes of body, then drop the connection.

    It drops only once the server has written ``written`` bytes of the file, so the cut falls
    after bytes the server holds, whatever the machine's load.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        head = (f"PUT {path} HTTP/1.1\r\nHost: app.example\r\nContent-Length: {declared}\r\n"
                f"{TOKEN_HEADER}: {token}\r\nContent-Type: application/octet-stream\r\n\r\n")
        s.sendall(head.encode() + sent)
        _wait_written(folder, written)


def _wait_written(folder: Path, written: int) -> None:
    deadline = time.monotonic() + 30
    while sum(f.stat().st_size for f in folder.iterdir() if f.suffix != ".json") < written:
        assert time.monotonic() < deadline, "the server never wrote the bytes sent"
        time.sleep(0.02)


def test_a_transfer_cut_half_way_through_a_proxy_resumes_and_the_file_is_intact(
        served: tuple[UploadStore, int]) -> None:
    store, port = served
    data = np.random.default_rng(14).integers(0, 256, 3 * WRITE_BYTES + 5, dtype=np.uint8).tobytes()
    token = store.register()
    route = f"/{BASE}/medtwin-upload"
    status, begun = _begin(port, route, token, "ward.xyz", data)
    assert status == 200 and begun["held"] == 0
    upload = begun["upload"]
    piece = f"{route}/{upload}"
    assert token not in piece  # the token travels in a header: a proxy's access log never sees it
    status, first = _call(port, "PUT", f"{piece}?offset=0", data[:WRITE_BYTES], token)
    assert status == 200 and first["held"] == WRITE_BYTES and "done" not in first
    # the second transfer announces the rest but is cut off after a little more than a megabyte
    _cut(port, f"{piece}?offset={WRITE_BYTES}", token, len(data) - WRITE_BYTES,
         data[WRITE_BYTES:2 * WRITE_BYTES + 999], folder=store.folder, written=2 * WRITE_BYTES)
    deadline = time.monotonic() + 30
    while True:  # the client asks how much the server holds and sends the rest from there
        status, held = _call(port, "GET", piece, token=token)
        assert status == 200
        offset = int(str(held["held"]))
        status, answer = _call(port, "PUT", f"{piece}?offset={offset}", data[offset:], token)
        if status != 409:  # 409: the cut transfer is still being closed on the server
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert 2 * WRITE_BYTES <= offset <= 2 * WRITE_BYTES + 999  # what arrived before the cut was kept
    assert status == 200 and answer["held"] == len(data)
    done = answer["done"]
    assert isinstance(done, dict) and done["name"] == "ward.xyz" and done["bytes"] == len(data)
    # had that answer been lost, asking about the upload says it finished, and under which id
    status, again = _call(port, "GET", piece, token=token)
    assert status == 200 and again["done"] == done and again["held"] == len(data)
    got = store.take(token, str(done["id"]))
    assert got is not None
    assert hashlib.sha256(got.path.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert _call(port, "GET", piece, token=token)[0] == 404  # taken: nothing more to say about it


def test_the_route_says_why_it_refuses(served: tuple[UploadStore, int]) -> None:
    store, port = served
    token = store.register()
    route = f"/{BASE}/medtwin-upload"
    status, body = _begin(port, route, "not-a-token", "a.xyz", b"abc")
    assert status == 403 and "not asked for" in str(body["error"])
    status, body = _call(port, "POST", route, b'{"name": "a.xyz", "size": "lots", "head": ""}', token)
    assert status == 400 and "size" in str(body["error"])
    status, body = _call(port, "POST", route, b"name=a.xyz", token)
    assert status == 400 and "JSON" in str(body["error"])
    _, begun = _begin(port, route, token, "a.xyz", b"abc")
    piece = f"{route}/{begun['upload']}"
    for method, body_sent in (("GET", None), ("PUT", b"abc")):  # the upload's id alone is not enough
        status, body = _call(port, method, f"{piece}?offset=0", body_sent)
        assert status == 403, method
    status, body = _call(port, "PUT", f"{piece}?offset=1", b"bc", token)
    assert status == 409 and "holds 0 bytes" in str(body["error"])
    status, body = _call(port, "PUT", f"{piece}?offset=0", b"abcd", token)
    assert status == 400 and "more bytes than" in str(body["error"])
    assert _call(port, "GET", f"{route}/nothing", token=token)[0] == 404
    status, body = _call(port, "PUT", f"{piece}?offset=0", b"abc", token)
    assert status == 200 and body["held"] == 3


def _serve_alone(folder: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """Start the route in a process of its own; the process and a session's token."""
    script = REPO / "tests" / "app" / "upload_server.py"
    proc = subprocess.Popen([sys.executable, str(script), str(folder), str(port)], cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    token = proc.stdout.readline().strip()
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, token
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "the upload server did not start"
            time.sleep(0.05)


def test_an_upload_resumes_after_the_server_is_killed_and_started_again(tmp_path: Path) -> None:
    data = np.random.default_rng(7).integers(0, 256, 4 * WRITE_BYTES + 77, dtype=np.uint8).tobytes()
    folder, port = tmp_path / "uploads", free_port()
    route = "/medtwin-upload"
    proc, token = _serve_alone(folder, port)
    try:
        status, begun = _begin(port, route, token, "ward.xyz", data)
        assert status == 200
        piece = f"{route}/{begun['upload']}"
        status, _ = _call(port, "PUT", f"{piece}?offset=0", data[:WRITE_BYTES + 3], token)
        assert status == 200
        # half of the file is under way when the server dies without a chance to tidy up
        half = len(data) // 2
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(f"PUT {piece}?offset={WRITE_BYTES + 3} HTTP/1.1\r\nHost: x\r\n"
                      f"Content-Length: {len(data) - WRITE_BYTES - 3}\r\n{TOKEN_HEADER}: {token}\r\n\r\n"
                      .encode() + data[WRITE_BYTES + 3:half])
            _wait_written(folder, 2 * WRITE_BYTES)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    proc, fresh = _serve_alone(folder, port)
    try:
        assert _call(port, "GET", piece, token=token)[0] == 403  # the old session's token died with it
        status, again = _begin(port, route, fresh, "ward.xyz", data)  # the same file, picked again
        held = int(str(again["held"]))
        assert status == 200 and again["upload"] == begun["upload"] and 2 * WRITE_BYTES <= held <= half
        status, answer = _call(port, "PUT", f"{piece}?offset={held}", data[held:], fresh)
        assert status == 200 and isinstance(answer["done"], dict)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    got = folder / f"{begun['upload']}.xyz"
    assert hashlib.sha256(got.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
