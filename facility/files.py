"""Safe file access for every package: inputs that cannot hang or flood memory, atomic outputs.

One helper for each side of a command, so that no reader and no writer of
medtwin has its own idea of what is safe:

* inputs: :func:`check_input`, :func:`open_input`, :func:`read_input_bytes`
  and :func:`read_input_text` refuse what is not a regular file (a FIFO would
  block the reader forever, a device such as ``/dev/zero`` never ends, a folder
  is a mistake) and what is larger than a stated limit, before reading a byte;
* outputs: :func:`check_output_path` says, before any work starts, that an
  output's folder exists and can be written, so a long run never fails at its
  last step; :func:`atomic_path` and :func:`write_atomic` write a unique
  temporary file in the target's folder (created exclusively, never through a
  symbolic link someone planted there), flush it to disk, rename it onto the
  target and flush the folder, so a crash leaves either the old file or the
  new one, never half of one.

Every refusal is a :class:`~facility.errors.FileAccessError` naming the path,
what it was for and what was expected.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from facility.errors import FileAccessError

__all__ = [
    "atomic_path",
    "check_input",
    "check_output_path",
    "check_outputs",
    "open_input",
    "read_input_bytes",
    "read_input_text",
    "write_atomic",
]

#: Flags of a new temporary file: fail if the name exists (``O_EXCL``, which
#: also refuses a dangling symbolic link of that name) and never follow a link.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
#: Opening for reading must not block on a FIFO before it can be checked.
_OPEN_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC
_TEMP_ATTEMPTS = 16
_KIND = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
         stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket",
         stat.S_IFDIR: "a folder", stat.S_IFLNK: "a symbolic link"}


def _size_text(n: int) -> str:
    """Bytes in the largest binary unit that keeps the number readable.

    >>> _size_text(3 * 2**30)
    '3.0 GiB'
    """
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _check_stat(path: Path, st: os.stat_result, *, what: str, max_bytes: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = _KIND.get(stat.S_IFMT(st.st_mode), "not a regular file")
        raise FileAccessError(str(path), f"is {kind}; expected a regular file", what=what)
    if st.st_size > max_bytes:
        raise FileAccessError(str(path), f"is {_size_text(st.st_size)}, larger than the limit of "
                              f"{_size_text(max_bytes)} for a {what}; is it the right file?", what=what)


def _stat(path: Path, *, what: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise FileAccessError(str(path), "no such file", what=what) from None
    except OSError as exc:
        raise FileAccessError(str(path), f"cannot read: {exc.strerror}", what=what) from None


def check_input(path: str | os.PathLike[str], *, what: str, max_bytes: int) -> int:
    """Check that ``path`` is a regular file no larger than ``max_bytes``; return its size.

    For readers that take a path (Open3D, laspy): the check runs without
    opening the file, so a FIFO cannot block it.

    Raises:
        FileAccessError: Missing, unreadable, not a regular file, or too large.
    """
    p = Path(path)
    st = _stat(p, what=what)
    _check_stat(p, st, what=what, max_bytes=max_bytes)
    return st.st_size


def open_input(path: str | os.PathLike[str], *, what: str, max_bytes: int) -> BinaryIO:
    """Open a regular file for binary reading after checking its kind and size.

    The file is opened without blocking and checked on the open descriptor, so
    a path swapped for a FIFO between a check and the open cannot hang the
    reader.

    Args:
        path: The file.
        what: What the file is for, as the user would say it (``"scan"``).
        max_bytes: Size above which the file is refused.

    Raises:
        FileAccessError: Missing, unreadable, not a regular file, or too large.
    """
    p = Path(path)
    try:
        fd = os.open(p, _OPEN_READ)
    except FileNotFoundError:
        raise FileAccessError(str(p), "no such file", what=what) from None
    except IsADirectoryError:
        raise FileAccessError(str(p), "is a folder; expected a regular file", what=what) from None
    except OSError as exc:
        raise FileAccessError(str(p), f"cannot read: {exc.strerror}", what=what) from None
    try:
        _check_stat(p, os.fstat(fd), what=what, max_bytes=max_bytes)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_input_bytes(path: str | os.PathLike[str], *, what: str, max_bytes: int) -> bytes:
    """The whole content of a checked input file (see :func:`open_input`).

    Raises:
        FileAccessError: As :func:`open_input`, or the file grew past the limit while read.
    """
    with open_input(path, what=what, max_bytes=max_bytes) as fh:
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise FileAccessError(str(path), f"cannot read: {exc.strerror}", what=what) from None
    if len(data) > max_bytes:
        raise FileAccessError(str(path), f"grew past the limit of {_size_text(max_bytes)} for a {what} "
                              "while it was read", what=what)
    return data


def read_input_text(path: str | os.PathLike[str], *, what: str, max_bytes: int) -> str:
    """The content of a checked input file decoded as UTF-8.

    Raises:
        FileAccessError: As :func:`read_input_bytes`, or the bytes are not UTF-8.
    """
    data = read_input_bytes(path, what=what, max_bytes=max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileAccessError(str(path), f"not UTF-8 text ({_not_utf8(data, exc.start)}); expected a text "
                              "file saved as UTF-8", what=what) from None


#: Byte order marks of the encodings Windows editors save "Unicode" text in.
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


#: File signatures of what else a planner may pick by mistake, and what to call it.
_BINARY_KINDS = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx, .docx or .kmz is one)"), (b"\x1f\x8b", "a gzip archive"),
    (b"AC10", "an AutoCAD drawing (DWG): export the plan as GeoJSON"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.xls, .doc)"),
)


def _not_utf8(data: bytes, start: int) -> str:
    """Where UTF-8 decoding failed, and the encoding the file was more likely saved in.

    >>> _not_utf8("Zimmer \u00e4".encode("cp1252"), 7)
    "line 1, byte 7: 0xe4, 'ä' in Windows-1252 or Latin-1"
    >>> _not_utf8("kind".encode("utf-16"), 0)
    'UTF-16, as Windows saves "Unicode" text'
    >>> _not_utf8(b"\\x89PNG\\r\\n\\x1a\\n", 0)
    'binary data: a PNG image'
    """
    if data.startswith(_UTF16_BOMS):
        return 'UTF-16, as Windows saves "Unicode" text'
    kind = next((name for magic, name in _BINARY_KINDS if data.startswith(magic)), None)
    if kind is not None or b"\0" in data[:4096]:
        return f"binary data: {kind or 'not a text file'}"
    line = data.count(b"\n", 0, start) + 1
    byte = data[start]
    as_cp1252 = bytes([byte]).decode("cp1252", "replace")
    guess = f", {as_cp1252!r} in Windows-1252 or Latin-1" if as_cp1252.isprintable() and byte >= 0x80 else ""
    return f"line {line}, byte {start}: 0x{byte:02x}{guess}"


def check_output_path(path: str | os.PathLike[str], *, what: str) -> Path:
    """Check, before the work starts, that ``path`` can be written; return it.

    Its folder must exist and be writable, and the path itself must not be a
    folder (a file is written there, replacing any file of that name).

    Raises:
        FileAccessError: The folder is missing or not writable, or the path is a folder.
    """
    p = Path(path)
    folder = p.parent
    if p.name in ("", ".", ".."):
        raise FileAccessError(str(p), "is a folder; expected a file name", what=what)
    if not folder.is_dir():
        raise FileAccessError(str(p), f"folder {str(folder)!r} does not exist", what=what)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FileAccessError(str(p), f"folder {str(folder)!r} is not writable", what=what)
    if p.is_dir():
        raise FileAccessError(str(p), "is a folder; expected a file name", what=what)
    return p


def check_outputs(outputs: Mapping[str, str | os.PathLike[str] | None], *,
                  inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Check the outputs of one command together, before its work starts.

    Each output passes :func:`check_output_path`; besides, none may be one of the
    command's ``inputs`` (``lidar extract scan.ply --out scan.ply`` replaced the scan by
    the facility) and no two may be the same file (``--out a.json --report a.json`` kept
    only the report).  Sameness is judged on the resolved path, and by
    :func:`os.path.samefile` where both exist (a link or a second name of one file).

    Args:
        outputs: Flag (``"--out"``) -> path, ``None`` for an output not asked for.
        inputs: The files the command reads.

    Raises:
        FileAccessError: Naming the output, its flag, and the input or flag it collides with.
    """
    read = [Path(p) for p in inputs]
    seen: list[tuple[str, Path]] = []
    for flag, path in outputs.items():
        if path is None:
            continue
        p = check_output_path(path, what=flag)
        for src in read:
            if _same_file(p, src):
                raise FileAccessError(str(p), f"is also an input of this command ({src}); writing it would "
                                      "destroy that input: choose another name", what=flag)
        for other, q in seen:
            if _same_file(p, q):
                raise FileAccessError(str(p), f"is also given as {other}: one output would replace the "
                                      "other; choose a name for each", what=flag)
        seen.append((flag, p))


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _umask() -> int:
    """The process umask, read without changing it where the system says it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    # Elsewhere os.umask can only be read by setting it; set it straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _new_temporary(target: Path, *, what: str) -> tuple[int, Path]:
    """Create a unique, empty temporary beside ``target``; the suffix is kept for format detection."""
    for _ in range(_TEMP_ATTEMPTS):
        tmp = target.with_name(f".{target.stem}.{secrets.token_hex(8)}.tmp{target.suffix}")
        try:
            return os.open(tmp, _CREATE, 0o600), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise FileAccessError(str(target), f"cannot write: {exc.strerror}", what=what) from None
    raise FileAccessError(str(target), "cannot create a unique temporary file beside it", what=what)


def _fsync_path(path: Path, flags: int) -> None:
    fd = os.open(path, flags | _CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, what: str = "output",
                sync_folder: bool = True) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``target``; on success it replaces ``target``.

    The temporary is created with ``O_EXCL | O_NOFOLLOW`` under a random name
    (a planted link cannot redirect the write), keeps ``target``'s suffix (so
    writers that choose the format by extension work), is flushed to disk,
    given the permissions of an ordinary new file, renamed onto ``target`` and
    the folder flushed. If the block raises, the temporary is removed and
    ``target`` is untouched.  With ``sync_folder=False`` the folder is not
    flushed: a caller writing several files into one folder flushes it once
    after the last (until then a crash may lose the renames, never leave a
    partly written ``target``).

    Raises:
        FileAccessError: The folder is missing or not writable, or the disk
            refused the write (full, read-only).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with atomic_path(Path(d) / "out.txt") as tmp:
    ...         _ = tmp.write_text("hello")
    ...     (Path(d) / "out.txt").read_text()
    'hello'
    """
    p = check_output_path(target, what=what)
    fd, tmp = _new_temporary(p, what=what)
    os.close(fd)
    try:
        try:
            yield tmp
            _fsync_path(tmp, os.O_RDONLY | _NOFOLLOW)
            os.chmod(tmp, 0o666 & ~_umask(), follow_symlinks=False)
            os.replace(tmp, p)
        except OSError as exc:
            if isinstance(exc, FileAccessError):
                raise
            raise FileAccessError(str(p), f"cannot write: {exc.strerror or exc}", what=what) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_folder:
        with contextlib.suppress(OSError):  # some file systems cannot sync a folder; the rename stands
            _fsync_path(p.parent, os.O_RDONLY)


def write_atomic(target: str | os.PathLike[str], data: bytes | str, *, what: str = "output",
                 sync_folder: bool = True) -> None:
    """Write ``data`` (``str`` as UTF-8) to ``target`` through :func:`atomic_path` (``sync_folder`` as there).

    Raises:
        FileAccessError: As :func:`atomic_path`.
    """
    try:
        payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    except UnicodeEncodeError as exc:
        raise FileAccessError(str(target), f"the text holds a character that is not valid Unicode "
                              f"(position {exc.start}); nothing was written", what=what) from None
    with atomic_path(target, what=what, sync_folder=sync_folder) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | _NOFOLLOW | _CLOEXEC)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
