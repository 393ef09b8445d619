"""One reader for every scan format: points in, an ``(n, 3)`` array of metres out.

:func:`read` dispatches on the file extension (``.ply .pcd .xyz .txt .pts``
read whole by :mod:`lidar.point_files`, ``.las .laz`` through laspy with lazrs
and ``.e57`` through pye57 with every scan moved into the common frame by its
pose, both read in parts by :mod:`lidar.survey_files`) and then checks the
cloud is one a building can be extracted from (:mod:`lidar.cloud_checks`).
LAS/LAZ files are streamed in chunks; with ``voxel`` set every chunk is
thinned on the fly, so a file much larger than memory can be read.  Problems
are :class:`~lidar.errors.ScanFileError` naming the file and what is wrong
(and, for units, the option that fixes it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from facility.errors import FileAccessError
from facility.files import check_input
from lidar.cloud_checks import MIN_HEIGHT_M, check_cloud, check_finite
from lidar.errors import ScanFileError
from lidar.options import UNIT_SCALE
from lidar.point_files import MAX_IN_MEMORY_BYTES, read_whole
from lidar.preprocess import SeenVoxels, bounds, voxel_downsample
from lidar.survey_files import las_box, read_e57, read_las

__all__ = ["MAX_IN_MEMORY_BYTES", "MAX_STREAMED_BYTES", "SUPPORTED_EXTENSIONS", "check_cloud", "read"]

_OPEN3D = {".ply": "ply", ".pcd": "pcd", ".xyz": "xyz", ".txt": "xyz", ".pts": "pts"}
SUPPORTED_EXTENSIONS = (*_OPEN3D, ".las", ".laz", ".e57")

#: Thinned points held from earlier chunks before they are thinned together
#: (a 4-storey hospital at 5 cm voxels is about 10 M points).
_MERGE_POINTS = 8_000_000
_STREAMED = (".las", ".laz", ".e57")
#: Largest LAS/LAZ/E57 file (read in chunks, thinned while reading): beyond
#: what a survey of a whole campus produces.
MAX_STREAMED_BYTES = 256 * 2**30


def read(path: str | Path, *, units: str = "m", voxel: float | None = None,
         progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Read a scan file into an ``(n, 3)`` float64 array in metres.

    Args:
        path: Scan file; the extension chooses the reader.
        units: Unit of the file's coordinates (``"m"``, ``"cm"``, ``"mm"``).
        voxel: If given, keep one point per voxel of this edge (m) while
            reading, which bounds memory for very large files.
        progress: Called as ``progress(parts_done, parts)`` after each part
            (a LAS/LAZ chunk, an E57 scan; a whole file otherwise): a
            100 M-point file takes minutes to read.

    Returns:
        The points, finite, in metres.

    Raises:
        ScanFileError: Missing, unsupported, corrupt or empty file; NaN/inf
            coordinates; a cloud that looks like millimetres or is flat.
    """
    p = Path(path)
    if units not in UNIT_SCALE:
        raise ScanFileError(str(p), f"units must be one of {sorted(UNIT_SCALE)}, got {units!r}")
    ext = p.suffix.lower()
    try:
        check_input(p, what="scan", max_bytes=MAX_STREAMED_BYTES if ext in _STREAMED else MAX_IN_MEMORY_BYTES)
    except FileAccessError as exc:
        raise ScanFileError(str(p), exc.problem) from None
    scale = UNIT_SCALE[units]
    seen: SeenVoxels | None = None
    if ext in _OPEN3D:
        chunks: Iterator[tuple[np.ndarray, int]] = iter([(read_whole(p, _OPEN3D[ext]), 1)])
    elif ext in (".las", ".laz"):
        chunks = read_las(p)
        box = las_box(p)
        if voxel is not None and box is not None:
            low, high = box[0] * scale - voxel, box[1] * scale + voxel
            seen = SeenVoxels(low, high, voxel) if SeenVoxels.fits(low, high, voxel) else None
    elif ext == ".e57":
        chunks = read_e57(p)
    else:
        raise ScanFileError(
            str(p), f"unsupported extension {ext!r}; expected one of {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    parts: list[np.ndarray] = []
    held, limit = 0, _MERGE_POINTS
    mapped = seen is not None  # every part so far thinned against the map of the voxels kept
    # The box of the points as read, before any thinning: a cloud in the wrong unit may be
    # smaller than one voxel, and thinned to a single point its units could not be judged.
    box_lo, box_hi = np.full(3, np.inf), np.full(3, -np.inf)
    for done, (chunk, parts_total) in enumerate(chunks, start=1):
        c = np.asarray(chunk, dtype=np.float64)
        if scale != 1.0:
            c = c * scale
        check_finite(p, c)
        if len(c):
            lo_c, hi_c = bounds(c)
            box_lo, box_hi = np.minimum(box_lo, lo_c), np.maximum(box_hi, hi_c)
        if seen is not None:
            first = seen.first_unseen(c)
            if first is None:  # the header's bounds were wrong: merge as for any file
                seen, mapped = None, False
            else:
                parts.append(c[first])
                if progress is not None:
                    progress(done, parts_total)
                continue
        if voxel is not None and len(c):
            c = voxel_downsample(c, voxel)
        parts.append(c)
        held += len(c)
        if voxel is not None and held > limit and len(parts) > 1:
            # A file not sorted in space thins little chunk by chunk; the
            # chunks kept so far are merged and thinned together, so memory
            # stays within twice the thinned cloud, not the file (the bound
            # doubles with it, so the merges cost a few passes in all).
            # Order is kept: each voxel keeps the first point read in it, as
            # in one pass.
            parts = [voxel_downsample(np.concatenate(parts), voxel)]
            held, limit = len(parts[0]), max(_MERGE_POINTS, 2 * len(parts[0]))
        if progress is not None:
            progress(done, parts_total)
    pts = np.concatenate(parts) if parts else np.empty((0, 3))
    if voxel is not None and len(parts) > 1 and not mapped:
        pts = voxel_downsample(pts, voxel)
    if voxel is not None and len(pts) and float((box_hi - box_lo).max()) < MIN_HEIGHT_M:
        # "--units mm" on a scan in metres: 8 x 6 x 2.8 mm, one 5 cm voxel, "no vertical extent"
        check_cloud(np.vstack([box_lo, box_hi]), str(p), units=units)
    check_cloud(pts, str(p), units=units)
    return pts

