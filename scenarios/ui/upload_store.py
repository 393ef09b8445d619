"""Scans uploaded from the browser: held on disk part by part, resumable, handed to the page once.

Streamlit's own uploader keeps an upload in the server's memory until the
page reads it: a 500 MB scan costs 500 MB of the server.  A scan is sent
instead, in pieces, to the app's own upload route
(:mod:`scenarios.ui.upload_routes`, same port and origin as the pages), and
this store writes each piece to the end of a file on disk as it arrives, so
memory stays bounded whatever the size.

An upload is *resumable*: the store keeps what arrived of a transfer that was
cut off, says how many bytes it holds, and takes the rest from there.  The
browser resumes by itself after a network failure, and picking the same file
again in the same browser tab resumes it too, also after a reload of the page.

What it accepts, and why it is safe to leave running:

* only uploads for a *token* a page of the app registered
  (:meth:`UploadStore.register`): 32 random bytes per browser session;
* only a file name ending in a scan format the LiDAR reader takes, of at
  most :data:`MAX_UPLOAD_BYTES`, leaving :data:`FREE_DISK_MARGIN_BYTES` free on
  the disk;
* files lie under the store's private temporary folder with names the store
  makes up (the client's name only labels the upload); a finished upload is
  deleted when the page has taken and extracted it or a newer one replaces
  it; an unfinished one when the same session starts another, when nobody has
  added to it for :data:`STALE_S`, or at exit.
"""

from __future__ import annotations

import atexit
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.ui.uploads import SCAN_SUFFIXES

__all__ = ["MAX_UPLOAD_BYTES", "Partial", "Received", "Refused", "UploadStore", "current", "install"]

#: Largest scan accepted (bytes): a whole hospital's terrestrial scan; the disk, not memory, is the limit.
MAX_UPLOAD_BYTES = 8_000_000_000
#: Disk space left free after an upload is accepted (bytes).
FREE_DISK_MARGIN_BYTES = 512 * 1024**2
#: An unfinished upload nobody has added to for this long (s) is deleted when another one begins.
STALE_S = 24 * 3600.0
#: Longest client key kept (characters): the browser's file name, size and modification time.
MAX_KEY_CHARS = 600

_store: UploadStore | None = None


class Refused(Exception):
    """An upload the store does not take; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Received:
    """A finished upload: the name the user gave it, where it lies on the server, and its size."""

    name: str
    path: Path
    size: int


@dataclass
class Partial:
    """An upload under way: how big it will be, how much is held, and whether a transfer is adding to it.

    Attributes:
        id: The upload's id (random; the route names it).
        key: The browser's identity of the file (name, size, modification time): the same file
            picked again in the same session resumes this upload.
        name: The file name the user gave (its last part only).
        size: Bytes announced.
        path: Where the bytes lie.
        held: Bytes written so far (the file's length).
        busy: A transfer is adding to it now (a second one is refused rather than interleaved).
        touched: When bytes last arrived (monotonic s).
    """

    id: str
    key: str
    name: str
    size: int
    path: Path
    held: int = 0
    busy: bool = False
    touched: float = field(default_factory=time.monotonic)


class UploadStore:
    """The uploads of one app process: its tokens, the uploads under way and the finished ones.

    Args:
        suffixes: File name endings accepted (lower case, with the dot).
        folder: Where the files lie (default: a new private temporary folder, removed at close).
    """

    def __init__(self, suffixes: tuple[str, ...], folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else Path(tempfile.mkdtemp(prefix="medtwin-uploads-"))
        self.suffixes = suffixes
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self._partial: dict[str, tuple[str, Partial]] = {}  # upload id -> (token, upload)
        self._done: dict[tuple[str, str], Received] = {}
        self._ended: dict[tuple[str, str], str] = {}  # (token, upload id) -> id of the finished upload

    def close(self) -> None:
        """Delete every upload not taken, and the folder."""
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

    def begin(self, token: str, name: str, size: int, key: str) -> Partial:
        """The upload of file ``name`` (``size`` bytes, identified by the browser as ``key``).

        The same file begun again in the same session is the upload already under way (its
        ``held`` bytes are kept: the caller resumes from there); any other unfinished upload of
        the session is deleted.

        Raises:
            Refused: Not a token of the app, not a scan format, too large, or no disk space left.
        """
        name = Path(name.replace("\\", "/")).name
        suffix = Path(name).suffix.lower()
        if not self.accepts(token):
            raise Refused(403, "this upload was not asked for by a page of the app")
        if suffix not in self.suffixes:
            raise Refused(415, f"{name or 'the file'}: not a scan format the reader takes "
                               f"({', '.join(self.suffixes)})")
        if not 0 < size <= MAX_UPLOAD_BYTES:
            raise Refused(413, f"{name}: {size / 1e6:,.0f} MB; a scan must be 1 byte to "
                               f"{MAX_UPLOAD_BYTES / 1e6:,.0f} MB")
        key = key[:MAX_KEY_CHARS]
        now = time.monotonic()
        with self._lock:
            for upload_id, (owner, p) in list(self._partial.items()):
                same = owner == token and p.key == key and p.name == name and p.size == size
                if same:
                    return p
                if (owner == token or now - p.touched > STALE_S) and not p.busy:
                    del self._partial[upload_id]
                    p.path.unlink(missing_ok=True)
            if shutil.disk_usage(self.folder).free - size < FREE_DISK_MARGIN_BYTES:
                raise Refused(507, f"{name}: not enough disk space on the server")
            fd, path = tempfile.mkstemp(prefix="scan-", suffix=suffix, dir=self.folder)
            with open(fd, "wb"):
                pass
            p = Partial(secrets.token_urlsafe(12), key, name, size, Path(path))
            self._partial[p.id] = (token, p)
            return p

    def partial(self, token: str, upload_id: str) -> Partial:
        """The upload ``upload_id`` of session ``token``, under way.

        Raises:
            Refused: The session has no such upload (finished, replaced or never begun).
        """
        with self._lock:
            owner, p = self._partial.get(upload_id, ("", None))
            if p is None or owner != token:
                raise Refused(404, "no such upload under way (pick the file again to start over)")
            return p

    def claim(self, token: str, upload_id: str, offset: int) -> Partial:
        """Mark the upload busy for a transfer that starts at byte ``offset``.

        Raises:
            Refused: No such upload (404), another transfer is adding to it (409), or ``offset``
                is not the bytes held (409: the client asks how many, and resumes from there).
        """
        p = self.partial(token, upload_id)
        with self._lock:
            if p.busy:
                raise Refused(409, "another transfer is adding to this upload")
            if offset != p.held:
                raise Refused(409, f"the server holds {p.held} bytes of this upload, not {offset}")
            p.busy = True
            return p

    def release(self, p: Partial, held: int) -> Received | None:
        """End a transfer that left ``held`` bytes in the file; the upload if that finished it."""
        with self._lock:
            p.held, p.busy, p.touched = held, False, time.monotonic()
            if held < p.size:
                return None
            self._partial.pop(p.id, None)
        return Received(p.name, p.path, p.size)

    def finished(self, token: str, received: Received, of: str = "") -> str:
        """Record a finished upload (of the upload under way ``of``); the id the page takes it by.

        Any earlier one of the same session not taken is deleted.
        """
        upload_id = secrets.token_urlsafe(12)
        with self._lock:
            for key in [k for k in self._done if k[0] == token]:
                self._done.pop(key).path.unlink(missing_ok=True)
            for key in [k for k in self._ended if k[0] == token]:
                del self._ended[key]
            self._done[(token, upload_id)] = received
            self._ended[(token, of)] = upload_id
        return upload_id

    def ended(self, token: str, of: str) -> tuple[str, Received] | None:
        """The finished upload that upload ``of`` became, while not taken: its id and file.

        The answer to a transfer's last piece can be lost on the way: the browser then asks
        about an upload no longer under way, and learns here that it finished.
        """
        with self._lock:
            upload_id = self._ended.get((token, of))
            got = self._done.get((token, upload_id)) if upload_id is not None else None
            return (upload_id, got) if upload_id is not None and got is not None else None

    def take(self, token: str, upload_id: str) -> Received | None:
        """The upload ``upload_id`` of session ``token``, handed over once (the caller deletes its file)."""
        with self._lock:
            return self._done.pop((token, upload_id), None)


def install(store: UploadStore | None = None) -> UploadStore:
    """Make ``store`` (default: a new one for every scan format) this process's store, deleted at exit."""
    global _store  # noqa: PLW0603 - one store per server process, found by the pages
    if _store is None:
        _store = store if store is not None else UploadStore(tuple(f".{s}" for s in SCAN_SUFFIXES))
        atexit.register(_store.close)
    return _store


def current() -> UploadStore | None:
    """The store of this process, or ``None`` when the app runs without its upload route.

    That is when it runs with ``streamlit run app.py`` (and in page tests) rather than ``medtwin app``.
    """
    return _store
