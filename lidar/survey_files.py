"""Survey files read in parts: LAS/LAZ in chunks, E57 scan by scan in the common frame.

Each reader is a generator of ``(points, parts)``: the chunk or scan read, in
file units, and how many parts the file has (for progress), so
:func:`lidar.readers.read` can thin each part as it comes and a file much
larger than memory can be read.  A corrupt file is a
:class:`~lidar.errors.ScanFileError` naming it, whatever the library raised.
"""

from __future__ import annotations

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
            parts = -(-n // CHUNK)
            for chunk in reader.chunk_iterator(CHUNK):
                yield np.column_stack([np.asarray(chunk.x), np.asarray(chunk.y), np.asarray(chunk.z)]), parts
    except ScanFileError:
        raise
    except Exception as exc:  # laspy raises many unrelated types for a corrupt file
        raise ScanFileError(str(path), f"cannot read as LAS/LAZ (truncated or corrupt?): {exc}") from None


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
        raise ScanFileError(str(path), f"cannot read as E57 (truncated or corrupt?): {exc}") from None
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
