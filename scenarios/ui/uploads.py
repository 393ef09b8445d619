"""What a user uploads: a facility file, or a scan to extract a facility from.

A facility file is parsed by the one facility loader (:func:`facility.loads`)
under the name the user gave it, so errors name *their* file, not a temporary
one.  A scan is copied to a temporary file in chunks as it is read from the
upload and handed to :func:`lidar.extract` by path: the LiDAR reader then
streams it (LAS/LAZ/E57 in chunks) instead of this module holding a second
copy in memory.

Streamlit's uploader itself holds an upload whole in the server's memory
before the page sees it, so a scan too large for that is opened instead from
the app's *scan folder* on the server (``medtwin app --scans DIR``,
:func:`scan_files`): the reader streams it from where it lies, in chunks, and
only the files in that folder can be opened (never an arbitrary path a
browser sends).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from facility import Facility, FacilityFileError, loads

if TYPE_CHECKING:
    from lidar import Extraction

__all__ = ["CHUNK_BYTES", "SCAN_SUFFIXES", "extract_scan", "facility_from_bytes", "scan_files",
           "scan_to_file"]

#: Bytes copied at a time from an upload to its temporary file.
CHUNK_BYTES = 8 * 1024 * 1024
#: Every scan format the LiDAR reader takes (without the dot, as ``st.file_uploader`` wants).
SCAN_SUFFIXES: tuple[str, ...] = ()
try:
    from lidar.readers import SUPPORTED_EXTENSIONS as _EXT

    SCAN_SUFFIXES = tuple(e.lstrip(".") for e in _EXT)
except ImportError:  # pragma: no cover - lidar is part of medtwin
    pass


def facility_from_bytes(name: str, data: bytes) -> Facility:
    """The facility in an uploaded file (facility JSON or GeoJSON), validated.

    Raises:
        FacilityError: The file is not UTF-8 text, not JSON, or not a valid
            facility; the message names ``name`` and the field.

    >>> facility_from_bytes("x.json", b'{"format": "medtwin-facility/1"')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    facility.errors.FacilityFileError: x.json: ...
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FacilityFileError(name, "not a text file (a facility file is UTF-8 JSON)") from None
    return loads(text, source=name)


def scan_to_file(upload: IO[bytes], name: str, folder: Path | None = None) -> Path:
    """Copy an uploaded scan to a temporary file (same extension), chunk by chunk.

    The caller deletes the file when the extraction is done.
    """
    suffix = Path(name).suffix.lower()
    with tempfile.NamedTemporaryFile(prefix="medtwin-scan-", suffix=suffix, dir=folder,
                                     delete=False) as out:
        upload.seek(0)
        shutil.copyfileobj(upload, out, CHUNK_BYTES)
    return Path(out.name)


def scan_files(folder: Path) -> list[Path]:
    """The scans directly in ``folder`` (a format the LiDAR reader takes), by name; none if it is missing.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for n in ("b.las", "a.PLY", "notes.txt.bak", "c.e57"):
    ...     _ = (d / n).write_bytes(b"")
    >>> [p.name for p in scan_files(d)], scan_files(d / "missing")
    (['a.PLY', 'b.las', 'c.e57'], [])
    """
    if not folder.is_dir():
        return []
    suffixes = {f".{s}" for s in SCAN_SUFFIXES}
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes),
                  key=lambda p: p.name.lower())


def extract_scan(path: Path, name: str, progress: Callable[[str, int, int], None]) -> Extraction:
    """Extract a facility from the scan at ``path``, reporting each stage to ``progress``.

    Raises:
        lidar.LidarError: The scan cannot be read, or no storey or room was found.
    """
    from lidar import extract

    return extract(path, name=Path(name).stem, progress=progress)
