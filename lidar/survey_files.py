"""Survey files read in parts: LAS/LAZ in chunks, E57 scan by scan in the common frame.

Each reader is a generator of ``(points, parts)``: the chunk or scan read, in
file units, and how many parts the file has (for progress), so
:func:`lidar.readers.read` can thin each part as it comes and a file much
larger than memory can be read.  A corrupt file is a
:class:`~lidar.errors.ScanFileError` naming it, whatever the library raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lidar.errors import ScanFileError

__all__ = ["CHUNK", "las_box", "read_e57", "read_las"]

#: Points per chunk when streaming LAS/LAZ files.
CHUNK = 2_000_000


def read_las(path: Path) -> Iterator[tuple[np.ndarray, int]]:
    """The file's points in chunks of :data:`CHUNK`, each with the number of chunks."""
    import laspy

    try:
        with laspy.open(str(path)) as reader:
            n = reader.header.point_count
            if n == 0:
                raise ScanFileError(str(path), "the LAS header declares 0 points")
            head = reader.header
            if not head.are_points_compressed:
                _check_las_length(path, n, head.offset_to_point_data, head.point_format.size)
            parts = -(-n // CHUNK)
            for chunk in reader.chunk_iterator(CHUNK):
                yield np.column_stack([np.asarray(chunk.x), np.asarray(chunk.y), np.asarray(chunk.z)]), parts
    except ScanFileError:
        raise
    except Exception as exc:  # laspy raises many unrelated types for a corrupt file
        raise ScanFileError(str(path), f"cannot read as LAS/LAZ (truncated or corrupt?): {exc}") from None


def _check_las_length(path: Path, count: int, offset: int, record: int) -> None:
    """Refuse an uncompressed LAS file shorter than the points its header declares, before reading any.

    laspy reads the chunks it can and then fails in numpy ("buffer size must be a multiple of
    element size"), which names neither the file's problem nor how much is missing.
    """
    need = count * record
    have = path.stat().st_size - offset
    if have < need:
        raise ScanFileError(str(path), f"the LAS header declares {count} points ({need} bytes) but only "
                                       f"{max(have, 0)} bytes follow; the file is truncated")


def las_box(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The box of the points (file units) the LAS/LAZ header declares, or ``None`` if it is not usable
    (the reader checks every chunk against it all the same: headers can be wrong)."""
    import laspy

    try:
        with laspy.open(str(path)) as reader:
            low = np.asarray(reader.header.mins, dtype=float)
            high = np.asarray(reader.header.maxs, dtype=float)
    except Exception:  # a corrupt file is reported by the chunk reader, which names the problem
        return None
    if not (np.isfinite(low).all() and np.isfinite(high).all() and (high >= low).all()):
        return None
    return low, high


def read_e57(path: Path) -> Iterator[tuple[np.ndarray, int]]:
    """Each scan's points in the common frame, with the number of scans."""
    import pye57

    try:
        e57 = pye57.E57(str(path))
        count = e57.scan_count
    except Exception as exc:  # libE57 errors carry no common type
        raise ScanFileError(str(path), _e57_problem(str(exc))) from None
    if count == 0:
        raise ScanFileError(str(path), "the E57 file holds no scans")
    try:
        for i in range(count):
            # transform=True applies each scan's pose, so the scans merge in one frame.
            d = e57.read_scan(i, transform=True, ignore_missing_fields=True)
            yield np.column_stack([d["cartesianX"], d["cartesianY"], d["cartesianZ"]]), count
    except KeyError as exc:
        raise ScanFileError(str(path), f"scan has no cartesian coordinates ({exc})") from None
    except Exception as exc:  # as above
        raise ScanFileError(str(path), f"cannot read scan data (truncated or corrupt?): {exc}") from None
    finally:
        e57.close()


def _e57_problem(text: str) -> str:
    """What libE57's message says is wrong with a file it cannot open, in one short clause.

    Its messages run to several hundred characters of debug context; a file shorter than its
    header declares (the common case: a copy or download cut short) is named as truncated.

    >>> _e57_problem("size in file header not same as actual (ErrorBadFileLength) **** ... "
    ...              "header.filePhysicalLength=3618816 file->length=1809408 (and 4 more)")
    'the E57 header declares 3618816 bytes but the file holds 1809408; the file is truncated'
    """
    m = re.search(r"header\.filePhysicalLength=(\d+) file->length=(\d+)", text)
    if "ErrorBadFileLength" in text and m:
        return f"the E57 header declares {m[1]} bytes but the file holds {m[2]}; the file is truncated"
    return f"cannot read as E57 (truncated or corrupt?): {text}"
