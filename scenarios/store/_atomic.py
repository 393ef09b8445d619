"""Safe writes: a unique temporary in the target's folder, fsync, then one rename.

A reader sees either the old file or the whole new one, never a torn one, and
a crash leaves at worst a hidden ``.NAME.tmp-*`` file.  Symbolic links are
not followed: a link where a result file should go is an error, so a store
cannot be tricked into writing outside its folder.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from scenarios.errors import ResultsStoreError

__all__ = ["atomic_path", "fsync_dir", "write_atomic"]


def fsync_dir(folder: Path) -> None:
    """Make a rename or creation inside ``folder`` durable (no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path to write ``target`` through; renamed onto it on success.

    The caller writes the temporary file (e.g. ``pq.write_table(t, tmp)``);
    on a clean exit it is fsynced and renamed over ``target``; on an error it
    is removed and ``target`` is untouched.
    """
    target = Path(target)
    if target.is_symlink():
        raise ResultsStoreError(f"{target}: is a symbolic link; results are never written through links")
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(target.parent)


def write_atomic(target: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``target`` atomically (text is UTF-8)."""
    raw = data.encode() if isinstance(data, str) else data
    with atomic_path(target) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
    return Path(target)
