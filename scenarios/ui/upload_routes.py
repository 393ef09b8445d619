"""The scan upload route, served by the app's own server on the app's own port.

Streamlit serves the app with Starlette and lets an app add routes of its own
(``st.App(..., routes=...)``): the upload route sits beside the pages, so an
app behind a reverse proxy that forwards one port (and one path) uploads
through that proxy like everything else, and the browser needs no
cross-origin permission.  It lives at ``<server.baseUrlPath>/medtwin-upload``
(:func:`route_path`); the pages find it relative to their own address.

The protocol (every answer is JSON; an error is ``{"error": "..."}`` with its status)::

    POST <route>/<token>?name=ward.las&size=524288000&key=<the browser's id of the file>
         -> {"upload": id, "held": bytes already held, "size": size}
    PUT  <route>/<token>/<upload>?offset=<held>     body: the next bytes (any number)
         -> {"upload": id, "held": bytes now held, "size": size}, and once all are held
            {..., "done": {"id": ..., "name": ..., "bytes": ...}}
    GET  <route>/<token>/<upload>  -> {"upload": id, "held": bytes held, "size": size}, with
         "done" as above if it finished (the answer to its last piece may have been lost)

A transfer cut off keeps what arrived; the client asks how much is held (``GET``)
and sends the rest from there.  Each piece is written to disk
:data:`WRITE_BYTES` at a time, off the server's event loop.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from scenarios.ui.upload_store import Partial, Refused, UploadStore

__all__ = ["ROUTE", "WRITE_BYTES", "route_path", "upload_routes"]

#: Last part of the route's path.
ROUTE = "medtwin-upload"
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


def upload_routes(store: UploadStore, base_url_path: str = "") -> list[Route]:
    """The routes that take scans into ``store``, under :func:`route_path` of ``base_url_path``."""
    path = route_path(base_url_path)

    async def begin(request: Request) -> JSONResponse:
        q = request.query_params
        try:
            p = store.begin(request.path_params["token"], q.get("name", ""), _whole(q.get("size"), "size"),
                            q.get("key", ""))
        except Refused as exc:
            return _refused(exc)
        return _answer(p)

    async def status(request: Request) -> JSONResponse:
        token, upload = request.path_params["token"], request.path_params["upload"]
        try:
            p = store.partial(token, upload)
        except Refused as exc:
            ended = store.ended(token, upload)
            if ended is None:
                return _refused(exc)
            upload_id, got = ended  # it finished, but the answer to its last piece was lost
            return JSONResponse({"upload": upload, "held": got.size, "size": got.size,
                                 "done": {"id": upload_id, "name": got.name, "bytes": got.size}},
                                headers={"Cache-Control": "no-store"})
        return _answer(p)

    async def add(request: Request) -> JSONResponse:
        token = request.path_params["token"]
        try:
            p = store.claim(token, request.path_params["upload"],
                            _whole(request.query_params.get("offset"), "offset"))
        except Refused as exc:
            return _refused(exc)
        held, refusal = p.held, None
        try:
            held, refusal = await _write(request, p)
        finally:
            received = store.release(p, held)
        if refusal is not None:
            return _refused(refusal)
        if received is None:
            return _answer(p)
        upload_id = store.finished(token, received, of=p.id)
        return _answer(p, done={"id": upload_id, "name": received.name, "bytes": received.size})

    return [Route(f"{path}/{{token}}", begin, methods=["POST"]),
            Route(f"{path}/{{token}}/{{upload}}", status, methods=["GET"]),
            Route(f"{path}/{{token}}/{{upload}}", add, methods=["PUT"])]


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
