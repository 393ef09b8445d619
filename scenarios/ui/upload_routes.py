"""The scan upload route, served by the app's own server on the app's own port.

Streamlit serves the app with Starlette and lets an app add routes of its own
(``st.App(..., routes=...)``): the upload route sits beside the pages, so an
app behind a reverse proxy that forwards one port (and one path) uploads
through that proxy like everything else, and the browser needs no
cross-origin permission.  It lives at ``<server.baseUrlPath>/medtwin-upload``
(:func:`route_path`); the pages find it relative to their own address.

The protocol (every request bears the session's token in the :data:`TOKEN_HEADER` header, never in the
address, which a proxy's access log keeps; every answer is JSON; an error is ``{"error": "..."}`` with
its status)::

    POST <route>    body: {"name": "ward.las", "size": 524288000, "head": <SHA-256 of its first MB>}
         -> {"upload": id, "held": bytes already held, "size": size}
    PUT  <route>/<upload>?offset=<held>     body: the next bytes (any number)
         -> {"upload": id, "held": bytes now held, "size": size}, and once all are held
            {..., "done": {"id": ..., "name": ..., "bytes": ...}}
    GET  <route>/<upload>  -> {"upload": id, "held": bytes held, "size": size}, with
         "done" as above if it finished (the answer to its last piece may have been lost)

A transfer cut off keeps what arrived; the client asks how much is held (``GET``)
and sends the rest from there.  The same file begun again (``POST``: same name,
size and first megabyte), from another tab or after the server restarted, is the
upload already held: the answer says how much, and the client sends the rest.
Each piece is written to disk :data:`WRITE_BYTES` at a time, off the server's event loop.
"""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from scenarios.ui.upload_store import Partial, Refused, UploadStore

__all__ = ["MAX_BEGIN_BYTES", "ROUTE", "TOKEN_HEADER", "WRITE_BYTES", "route_path", "upload_routes"]

#: Last part of the route's path.
ROUTE = "medtwin-upload"
#: Header bearing the session's upload token.
TOKEN_HEADER = "X-Medtwin-Upload-Token"
#: Largest body of a request beginning an upload (its JSON description).
MAX_BEGIN_BYTES = 4096
#: Bytes gathered from the connection before they are written to the file: the memory a transfer holds.
WRITE_BYTES = 1024 * 1024


def route_path(base_url_path: str = "") -> str:
    """The route's path for Streamlit's ``server.baseUrlPath`` option.

    >>> route_path(""), route_path("/medtwin/")
    ('/medtwin-upload', '/medtwin/medtwin-upload')
    """
    return "/" + "/".join(p for p in (base_url_path.strip("/"), ROUTE) if p)


def _answer(p: Partial, **more: Any) -> JSONResponse:
    return JSONResponse({"upload": p.id, "held": p.held, "size": p.size, **more},
                        headers={"Cache-Control": "no-store"})


def _refused(exc: Refused) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status, headers={"Cache-Control": "no-store"})


def _whole(text: str | None, what: str) -> int:
    if text is None or not text.isdigit():
        raise Refused(400, f"{what} must be a whole number of bytes, got {text!r}")
    return int(text)


def _token(request: Request) -> str:
    return request.headers.get(TOKEN_HEADER, "")


async def _description(request: Request) -> tuple[str, int, str]:
    """The name, size and first megabyte's hash in a ``POST``'s JSON body."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BEGIN_BYTES:
            raise Refused(413, f"an upload's description must be at most {MAX_BEGIN_BYTES} bytes of JSON")
    try:
        held = json.loads(body or b"null")
    except ValueError as exc:
        raise Refused(400, f"an upload's description must be JSON: {exc}") from None
    if not isinstance(held, dict):
        raise Refused(400, 'an upload\'s description must be a JSON object {"name", "size", "head"}')
    name, size, head = held.get("name"), held.get("size"), held.get("head")
    if not isinstance(name, str) or not name:
        raise Refused(400, f"name must be the file's name, got {name!r}")
    if not isinstance(size, int) or isinstance(size, bool):
        raise Refused(400, f"size must be a whole number of bytes, got {size!r}")
    if not isinstance(head, str):
        raise Refused(400, f"head must be the SHA-256 of the file's first megabyte, got {head!r}")
    return name, size, head


def upload_routes(store: UploadStore, base_url_path: str = "") -> list[Route]:
    """The routes that take scans into ``store``, under :func:`route_path` of ``base_url_path``."""
    path = route_path(base_url_path)

    def done(token: str, p: Partial) -> JSONResponse:
        """The answer about a finished upload: the id session ``token`` takes it by."""
        # handed to this session already (the answer to the last piece may have been lost), or
        # finished before a restart or by another session: this one takes it now
        upload_id = store.ended(token, p.id) or store.finished(token, p)
        return _answer(p, done={"id": upload_id, "name": p.name, "bytes": p.size})

    async def begin(request: Request) -> JSONResponse:
        token = _token(request)
        try:
            store.check(token)  # before the body is read
            p = store.begin(token, *await _description(request))
        except Refused as exc:
            return _refused(exc)
        return done(token, p) if p.held >= p.size else _answer(p)

    async def status(request: Request) -> JSONResponse:
        token = _token(request)
        try:
            p = store.partial(token, request.path_params["upload"])
        except Refused as exc:
            return _refused(exc)
        return done(token, p) if p.held >= p.size else _answer(p)

    async def add(request: Request) -> JSONResponse:
        token = _token(request)
        try:
            p = store.claim(token, request.path_params["upload"],
                            _whole(request.query_params.get("offset"), "offset"))
        except Refused as exc:
            return _refused(exc)
        held, refusal = p.held, None
        try:
            held, refusal = await _write(request, p)
        finally:
            try:
                received = store.release(p, held)
            except Refused as exc:
                refusal, received = exc, None
        if refusal is not None:
            return _refused(refusal)
        return _answer(p) if received is None else done(token, p)

    return [Route(path, begin, methods=["POST"]),
            Route(f"{path}/{{upload}}", status, methods=["GET"]),
            Route(f"{path}/{{upload}}", add, methods=["PUT"])]


async def _write(request: Request, p: Partial) -> tuple[int, Refused | None]:
    """Append the request's body to ``p``'s file; the bytes it then holds, and why it stopped early.

    What arrived before a cut is kept (the client resumes after it); bytes past the announced
    size are not written.
    """
    held = p.held
    buffer = bytearray()
    with p.path.open("r+b") as out:
        out.seek(held)
        out.truncate()

        async def flush() -> None:
            nonlocal held
            if buffer:
                await anyio.to_thread.run_sync(out.write, bytes(buffer))
                held += len(buffer)
                buffer.clear()

        try:
            try:
                async for chunk in request.stream():
                    if held + len(buffer) + len(chunk) > p.size:
                        buffer.clear()
                        return held, Refused(400, f"{p.name}: more bytes than the {p.size:,} announced")
                    buffer += chunk
                    if len(buffer) >= WRITE_BYTES:
                        await flush()
            except ClientDisconnect:
                pass  # keep what arrived: the client resumes after it
            await flush()
        except OSError as exc:
            return held, Refused(507, f"{p.name}: cannot write on the server ({exc.strerror})")
    return held, None
