"""Scans uploaded from the browser: held on disk part by part, resumable, handed to the page once.

Streamlit's own uploader keeps an upload in the server's memory until the
page reads it: a 500 MB scan costs 500 MB of the server.  A scan is sent
instead, in pieces, to the app's own upload route
(:mod:`scenarios.ui.upload_routes`, same port and origin as the pages), and
this store writes each piece to the end of a file on disk as it arrives, so
memory stays bounded whatever the size.

An upload is *resumable*, from any browser tab and across a restart of the
server: it is known by the file it carries, its name, its size and the
SHA-256 of its first :data:`HEAD_BYTES` (:class:`FileKey`), and the store keeps
what arrived on disk, in its folder (``<results>/.uploads``, :data:`UPLOAD_DIR`,
for ``medtwin app``), with a small description beside it.  A browser that picks the same
file again, in this tab or another, before or after a restart, asks "what do
you hold for this file" and sends the rest.  The store checks the first
:data:`HEAD_BYTES` it receives against the hash the client announced, so a
file is only ever continued by the file it began with.

What it accepts, and why it is safe to leave running:

* only requests bearing a *token* a page of the app registered
  (:meth:`UploadStore.register`): 32 random bytes per browser session, sent in
  a request header, never in the address (a proxy's access log keeps those);
* only a file name ending in a scan format the LiDAR reader takes, of at
  most :data:`MAX_UPLOAD_BYTES`, leaving :data:`FREE_DISK_MARGIN_BYTES` free on
  the disk; all unfinished uploads together are bounded by the store's
  ``max_held_bytes`` (the oldest idle ones make room for a new one);
* files lie in the store's folder under names the store makes up (the
  client's name only labels the upload); an upload is deleted when the page
  has taken it, or when nobody has added to it for the store's ``stale_s``
  (checked when the store opens and whenever an upload begins).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.ui.uploads import SCAN_SUFFIXES

__all__ = ["HEAD_BYTES", "MAX_HELD_BYTES", "MAX_UPLOAD_BYTES", "STALE_S", "UPLOAD_DIR", "FileKey", "Partial",
           "Received", "Refused", "UploadStore", "current", "install"]

#: Largest scan accepted (bytes): a whole hospital's terrestrial scan; the disk, not memory, is the limit.
MAX_UPLOAD_BYTES = 8_000_000_000
#: Bytes all unfinished uploads may announce together (two of the largest scans).
MAX_HELD_BYTES = 2 * MAX_UPLOAD_BYTES
#: Disk space left free after an upload is accepted (bytes).
FREE_DISK_MARGIN_BYTES = 512 * 1024**2
#: An upload nobody has added to for this long (s) is deleted: a day, time to come back to it tomorrow.
STALE_S = 24 * 3600.0
#: Bytes at the start of a file whose SHA-256 identifies it (with its name and size).
HEAD_BYTES = 1024 * 1024
#: The app's upload folder under its results store (hidden: the store lists runs, not this).
UPLOAD_DIR = ".uploads"
#: Suffix of an upload's description in the store's folder (its bytes have the scan's own suffix,
#: which the LiDAR reader goes by).
_META = ".json"
_HEX64 = re.compile(r"[0-9a-f]{64}")

_store: UploadStore | None = None


class Refused(Exception):
    """An upload the store does not take; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class FileKey:
    """What identifies a file being uploaded, whoever sends it: its name, size and first bytes' hash.

    Attributes:
        name: The file name the user gave (its last part only).
        size: Bytes in the file.
        head: SHA-256 (hex) of its first :data:`HEAD_BYTES` (of the whole file if smaller).
    """

    name: str
    size: int
    head: str


@dataclass(frozen=True)
class Received:
    """A finished upload: the name the user gave it, where it lies on the server, and its size."""

    name: str
    path: Path
    size: int


@dataclass
class Partial:
    """An upload held by the store: the file it carries, how much of it is held, and whether a
    transfer is adding to it.

    Attributes:
        id: The upload's id (random; the route names it, and its files in the folder are named by it).
        key: The file it carries.
        path: Where the bytes lie.
        held: Bytes written so far (the file's length).
        busy: A transfer is adding to it now (a second one is refused rather than interleaved).
        touched: When bytes last arrived (s since the epoch: it outlives the process).
    """

    id: str
    key: FileKey
    path: Path
    held: int = 0
    busy: bool = False
    touched: float = field(default_factory=time.time)

    @property
    def name(self) -> str:
        return self.key.name

    @property
    def size(self) -> int:
        return self.key.size


class UploadStore:
    """The uploads of one app: the tokens of its sessions, and the uploads held in its folder.

    Args:
        suffixes: File name endings accepted (lower case, with the dot).
        folder: Where the uploads lie; those found there are taken up again (default: a new
            private temporary folder, removed at close).
        max_held_bytes: Bytes all unfinished uploads may announce together.
        stale_s: An upload nobody has added to for this long (s) is deleted.
    """

    def __init__(self, suffixes: tuple[str, ...], folder: Path | None = None, *,
                 max_held_bytes: int = MAX_HELD_BYTES, stale_s: float = STALE_S) -> None:
        if max_held_bytes <= 0 or stale_s <= 0:
            raise ValueError(f"max_held_bytes and stale_s must be > 0, got {max_held_bytes}, {stale_s}")
        self._own_folder = folder is None
        self.folder = folder if folder is not None else Path(tempfile.mkdtemp(prefix="medtwin-uploads-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.suffixes = suffixes
        self.max_held_bytes = max_held_bytes
        self.stale_s = stale_s
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self._partial: dict[str, Partial] = {}  # upload id -> upload (finished ones until taken)
        self._done: dict[tuple[str, str], str] = {}  # (token, finished id) -> upload id
        self._ended: dict[tuple[str, str], str] = {}  # (token, upload id) -> finished id
        self._load()

    def _load(self) -> None:
        """Take up the uploads held in the folder (a restart); delete stale ones and strays."""
        for meta in sorted(self.folder.glob(f"*{_META}")):
            try:
                held = json.loads(meta.read_text(encoding="utf-8"))
                key = FileKey(str(held["name"]), int(held["size"]), str(held["head"]))
                data = meta.with_suffix(Path(key.name).suffix.lower())
                if data.suffix not in self.suffixes:
                    raise ValueError(f"{key.name}: not a scan format")
                stat = data.stat()
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not an upload of this store's: deleted below with the other strays
            self._partial[meta.stem] = Partial(meta.stem, key, data, min(stat.st_size, key.size),
                                               touched=stat.st_mtime)
        kept = {p.path for p in self._partial.values()}
        kept |= {path.with_suffix(_META) for path in kept}
        for stray in self.folder.iterdir():
            if stray.is_file() and stray not in kept:
                stray.unlink(missing_ok=True)
        with self._lock:
            self._drop_stale(time.time())

    def close(self) -> None:
        """Forget the sessions; a private temporary folder is deleted with every upload in it."""
        with self._lock:
            self._tokens.clear()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def register(self) -> str:
        """A new token for one browser session: requests bearing it are accepted."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens.add(token)
        return token

    def accepts(self, token: str) -> bool:
        with self._lock:
            return token in self._tokens

    def check(self, token: str) -> None:
        """Refuse (403) a request whose token no page of the app registered."""
        if not self.accepts(token):
            raise Refused(403, "this upload was not asked for by a page of the app (reload the page)")

    def begin(self, token: str, name: str, size: int, head: str) -> Partial:
        """The upload of file ``name`` (``size`` bytes, whose first bytes hash to ``head``).

        The same file begun before, by any session and before a restart too, is the upload
        already held (its ``held`` bytes are kept: the caller resumes from there).

        Raises:
            Refused: Not a token of the app, not a scan format, too large, a malformed hash, or
                no room left (the store's bound or the disk).
        """
        self.check(token)
        name = Path(name.replace("\\", "/")).name
        suffix = Path(name).suffix.lower()
        if suffix not in self.suffixes:
            raise Refused(415, f"{name or 'the file'}: not a scan format the reader takes "
                               f"({', '.join(self.suffixes)})")
        if not 0 < size <= MAX_UPLOAD_BYTES:
            raise Refused(413, f"{name}: {size / 1e6:,.0f} MB; a scan must be 1 byte to "
                               f"{MAX_UPLOAD_BYTES / 1e6:,.0f} MB")
        if not _HEX64.fullmatch(head):
            raise Refused(400, f"{name}: head must be the SHA-256 of the file's first bytes "
                               f"(64 lower-case hex digits), got {head[:80]!r}")
        key = FileKey(name, size, head)
        with self._lock:
            self._drop_stale(time.time())
            for p in self._partial.values():
                if p.key == key:
                    return p
            self._make_room(key)
            upload_id = secrets.token_urlsafe(12)
            p = Partial(upload_id, key, self.folder / f"{upload_id}{suffix}")
            p.path.touch()
            _write_meta(p)
            self._partial[upload_id] = p
            return p

    def _make_room(self, key: FileKey) -> None:
        """Delete the oldest idle unfinished uploads until ``key`` fits the store's bound (lock held)."""
        if key.size > self.max_held_bytes:
            raise Refused(507, f"{key.name}: larger than the {self.max_held_bytes / 1e6:,.0f} MB "
                               "the server keeps for uploads")
        idle = sorted((p for p in self._partial.values() if not p.busy), key=lambda p: p.touched)
        while sum(p.size for p in self._partial.values()) + key.size > self.max_held_bytes and idle:
            self._delete(idle.pop(0))
        if sum(p.size for p in self._partial.values()) + key.size > self.max_held_bytes:
            raise Refused(507, f"{key.name}: the server holds as much of other uploads as it keeps "
                               "(try again when they finish)")
        if shutil.disk_usage(self.folder).free - key.size < FREE_DISK_MARGIN_BYTES:
            raise Refused(507, f"{key.name}: not enough disk space on the server")

    def _drop_stale(self, now: float) -> None:
        """Delete the uploads nobody has added to for ``stale_s`` (lock held)."""
        for p in [p for p in self._partial.values() if not p.busy and now - p.touched > self.stale_s]:
            self._delete(p)

    def _delete(self, p: Partial) -> None:
        """Forget ``p`` and delete its files (lock held)."""
        self._partial.pop(p.id, None)
        p.path.unlink(missing_ok=True)
        p.path.with_suffix(_META).unlink(missing_ok=True)
        for k in [k for k, v in self._done.items() if v == p.id]:
            del self._done[k]

    def partial(self, token: str, upload_id: str) -> Partial:
        """The upload ``upload_id``, held (its random id is what only a sender of the file knows).

        Raises:
            Refused: Not a token of the app (403), or no such upload held (404: taken, deleted or
                never begun).
        """
        self.check(token)
        with self._lock:
            p = self._partial.get(upload_id)
            if p is None:
                raise Refused(404, "no such upload held (pick the file again to start over)")
            return p

    def claim(self, token: str, upload_id: str, offset: int) -> Partial:
        """Mark the upload busy for a transfer that starts at byte ``offset``.

        Raises:
            Refused: Not a token of the app (403), no such upload (404), another transfer is adding
                to it (409), or ``offset`` is not the bytes held (409: the client asks how many, and
                resumes from there).
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
        """End a transfer that left ``held`` bytes in the file; the upload if that finished it.

        Raises:
            Refused: The first bytes received do not hash to the ``head`` the upload was begun
                with (400; the upload is deleted: it was not the file it claimed to be).
        """
        head_end = min(HEAD_BYTES, p.size)
        checked = p.held >= head_end
        with self._lock:
            p.held, p.busy, p.touched = held, False, time.time()
        if not checked and held >= head_end:
            with p.path.open("rb") as f:
                got = hashlib.sha256(f.read(head_end)).hexdigest()
            if got != p.key.head:
                with self._lock:
                    self._delete(p)
                raise Refused(400, f"{p.name}: its first bytes are not those of the file begun "
                                   "(picked another file with the same name and size?); start again")
        return Received(p.name, p.path, p.size) if held >= p.size else None

    def finished(self, token: str, p: Partial) -> str:
        """Hand the finished upload ``p`` to session ``token``: the new id it takes it by.

        The id is recorded as what ``p`` became for that session (:meth:`ended`); any earlier
        finished upload of the session not taken is deleted.
        """
        done_id = secrets.token_urlsafe(12)
        with self._lock:
            for key in [k for k in self._done if k[0] == token and self._done[k] != p.id]:
                other = self._partial.get(self._done.pop(key))
                if other is not None and other.held >= other.size:
                    self._delete(other)
            for key in [k for k in self._ended if k[0] == token]:
                del self._ended[key]
            self._done[(token, done_id)] = p.id
            self._ended[(token, p.id)] = done_id
        return done_id

    def ended(self, token: str, of: str) -> str | None:
        """The id that the finished upload ``of`` was handed to session ``token`` by, while not taken.

        The answer to a transfer's last piece can be lost on the way: the browser then asks
        about the upload again, and learns here that it finished, and under which id.
        """
        with self._lock:
            done_id = self._ended.get((token, of))
            return done_id if done_id is not None and (token, done_id) in self._done else None

    def take(self, token: str, done_id: str) -> Received | None:
        """The finished upload ``done_id`` of session ``token``, handed over once.

        The store forgets it (its description is deleted); the caller deletes its file.
        """
        with self._lock:
            upload_id = self._done.pop((token, done_id), None)
            p = self._partial.pop(upload_id, None) if upload_id is not None else None
            if p is None:
                return None
            for k in [k for k, v in self._done.items() if v == p.id]:
                del self._done[k]
            p.path.with_suffix(_META).unlink(missing_ok=True)
            return Received(p.name, p.path, p.size)


def _write_meta(p: Partial) -> None:
    """Describe ``p`` beside its bytes, so a restarted server knows which file they are."""
    meta = p.path.with_suffix(_META)
    tmp = meta.with_suffix(".tmp")
    tmp.write_text(json.dumps({"name": p.key.name, "size": p.key.size, "head": p.key.head}), encoding="utf-8")
    tmp.replace(meta)


def install(store: UploadStore | None = None, folder: Path | None = None) -> UploadStore:
    """Make ``store`` (default: a new one for every scan format, in ``folder``) this process's store.

    A store in a private temporary folder is deleted at exit; one in ``folder`` is kept for
    the next start, which resumes its uploads.
    """
    global _store  # noqa: PLW0603 - one store per server process, found by the pages
    if _store is None:
        _store = store if store is not None else UploadStore(tuple(f".{s}" for s in SCAN_SUFFIXES), folder)
        atexit.register(_store.close)
    return _store


def current() -> UploadStore | None:
    """The store of this process, or ``None`` when the app runs without its upload route.

    That is when it runs with ``streamlit run app.py`` (and in page tests) rather than ``medtwin app``.
    """
    return _store
