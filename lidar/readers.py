"""One reader for every scan format: points in, an ``(n, 3)`` array of metres out.

:func:`read` dispatches on the file extension (``.ply .pcd .xyz .txt .pts``
through Open3D, ``.las .laz`` through laspy with lazrs, ``.e57`` through pye57
with every scan moved into the common frame by its pose) and then checks the
cloud is one a building can be extracted from.  LAS/LAZ files are streamed in
chunks; with ``voxel`` set every chunk is thinned on the fly, so a file much
larger than memory can be read.  Problems are :class:`~lidar.errors.ScanFileError`
naming the file and what is wrong (and, for units, the option that fixes it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lidar.errors import ScanFileError
from lidar.options import UNIT_SCALE
from lidar.preprocess import voxel_downsample

__all__ = ["SUPPORTED_EXTENSIONS", "check_cloud", "read"]

_OPEN3D = {".ply": "ply", ".pcd": "pcd", ".xyz": "xyz", ".txt": "xyz", ".pts": "pts"}
SUPPORTED_EXTENSIONS = (*_OPEN3D, ".las", ".laz", ".e57")

#: Points per chunk when streaming LAS/LAZ files.
_CHUNK = 2_000_000


def read(path: str | Path, *, units: str = "m", voxel: float | None = None) -> np.ndarray:
    """Read a scan file into an ``(n, 3)`` float64 array in metres.

    Args:
        path: Scan file; the extension chooses the reader.
        units: Unit of the file's coordinates (``"m"``, ``"cm"``, ``"mm"``).
        voxel: If given, keep one point per voxel of this edge (m) while
            reading, which bounds memory for very large files.

    Returns:
        The points, finite, in metres.

    Raises:
        ScanFileError: Missing, unsupported, corrupt or empty file; NaN/inf
            coordinates; a cloud that looks like millimetres or is flat.
    """
    p = Path(path)
    if units not in UNIT_SCALE:
        raise ScanFileError(str(p), f"units must be one of {sorted(UNIT_SCALE)}, got {units!r}")
    if not p.exists():
        raise ScanFileError(str(p), "no such file")
    if not p.is_file():
        raise ScanFileError(str(p), "is not a file")
    ext = p.suffix.lower()
    scale = UNIT_SCALE[units]
    if ext in _OPEN3D:
        chunks: Iterator[np.ndarray] = iter([_read_open3d(p, _OPEN3D[ext])])
    elif ext in (".las", ".laz"):
        chunks = _read_las(p)
    elif ext == ".e57":
        chunks = _read_e57(p)
    else:
        raise ScanFileError(
            str(p), f"unsupported extension {ext!r}; expected one of {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    parts: list[np.ndarray] = []
    for chunk in chunks:
        c = np.asarray(chunk, dtype=np.float64) * scale
        _check_finite(p, c)
        if voxel is not None and len(c):
            c = voxel_downsample(c, voxel)
        parts.append(c)
    pts = np.concatenate(parts) if parts else np.empty((0, 3))
    if voxel is not None and len(parts) > 1:
        pts = voxel_downsample(pts, voxel)
    check_cloud(pts, str(p), units=units)
    return pts


def check_cloud(points: np.ndarray, source: str, *, units: str = "m") -> None:
    """Raise :class:`ScanFileError` if ``points`` cannot be a scan of a building in metres.

    >>> check_cloud(np.array([[0.0, 0.0, 0.0], [5.0, 4.0, 2.8]]), "ok.ply")
    """
    if points.ndim != 2 or points.shape[1] != 3:
        raise ScanFileError(source, f"expected points with 3 coordinates, got shape {points.shape}")
    if len(points) == 0:
        raise ScanFileError(source, "the cloud is empty (no points); is the file truncated or corrupt?")
    _check_finite(Path(source), points)
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = hi - lo
    if units == "m" and (span[2] > 200.0 or max(span[0], span[1]) > 5000.0):
        raise ScanFileError(
            source,
            f"extent {span[0]:.0f} x {span[1]:.0f} x {span[2]:.0f} looks like millimetres "
            "(a building in metres is far smaller); pass --units mm (or units='mm')",
        )
    if span[2] < 1.0:
        raise ScanFileError(
            source,
            f"no vertical extent: heights span only {span[2]:.3f} m, but a scanned storey spans "
            ">= 2 m floor to ceiling; is this a 2-D scan, or are the units wrong (--units)?",
        )


def _check_finite(path: Path, pts: np.ndarray) -> None:
    bad = ~np.isfinite(pts).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ScanFileError(
            str(path), f"{int(bad.sum())} point(s) have NaN or infinite coordinates (first at index {first})"
        )


def _read_open3d(path: Path, fmt: str) -> np.ndarray:
    import open3d as o3d

    if path.stat().st_size == 0:
        raise ScanFileError(str(path), "the file is empty (0 bytes)")
    if fmt == "xyz":
        return _read_text(path)
    expected = _declared_points(path, fmt)
    cloud = o3d.io.read_point_cloud(str(path), format=fmt, print_progress=False)  # type: ignore[arg-type]
    pts = np.asarray(cloud.points)
    if expected is not None and len(pts) != expected:
        raise ScanFileError(str(path), f"the header declares {expected} points but {len(pts)} could be read; "
                                       "the file is truncated or corrupt")
    if len(pts) == 0:
        raise ScanFileError(str(path), f"no points could be read as {fmt.upper()}; the file is truncated, "
                                       "corrupt or holds no points")
    return pts


_SIZES = {"char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2, "int16": 2, "uint16": 2,
          "int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4, "double": 8, "float64": 8}


def _declared_points(path: Path, fmt: str) -> int | None:
    """Points a PLY/PCD header promises, or ``None`` if unknown; checks binary bodies are complete.

    Open3D reports a truncated file on the console and hands back whatever it
    got (often zeros), so the header is checked here.
    """
    with path.open("rb") as f:
        head = f.read(65536)
    end = head.find(b"end_header\n") if fmt == "ply" else -1
    if fmt == "ply" and end >= 0:
        lines = head[:end].decode("ascii", "replace").splitlines()
        binary = any(ln.startswith("format binary") for ln in lines)
        count, record, elements = None, 0, 0
        for ln in lines:
            w = ln.split()
            if w[:1] == ["element"]:
                elements += 1
                if w[1] == "vertex":
                    count = int(w[2])
            elif w[:1] == ["property"] and elements == 1 and w[1] != "list":
                record += _SIZES.get(w[1], 0)
        if binary and count is not None and elements == 1 and record:
            body = path.stat().st_size - (end + len(b"end_header\n"))
            if body < count * record:
                raise ScanFileError(str(path), f"the header declares {count} points ({count * record} bytes) "
                                               f"but only {body} bytes follow; the file is truncated")
        return count
    if fmt == "pcd":
        for ln in head.decode("ascii", "replace").splitlines():
            if ln.startswith("POINTS"):
                return int(ln.split()[1])
            if ln.startswith("DATA"):
                break
    return None


def _read_text(path: Path) -> np.ndarray:
    """Whitespace or comma separated ``x y z ...`` rows; ``#`` comments allowed."""
    try:
        with path.open("r", encoding="utf-8", errors="strict") as f:
            first = next((ln for ln in f if ln.strip() and not ln.lstrip().startswith("#")), "")
        delim = "," if "," in first else None
        data = np.loadtxt(path, comments="#", delimiter=delim, usecols=(0, 1, 2), ndmin=2)
    except (ValueError, UnicodeDecodeError, IndexError) as exc:
        raise ScanFileError(str(path), f"not a text point file with x y z columns: {exc}") from None
    return data


def _read_las(path: Path) -> Iterator[np.ndarray]:
    import laspy

    try:
        with laspy.open(str(path)) as reader:
            n = reader.header.point_count
            if n == 0:
                raise ScanFileError(str(path), "the LAS header declares 0 points")
            for chunk in reader.chunk_iterator(_CHUNK):
                yield np.column_stack([np.asarray(chunk.x), np.asarray(chunk.y), np.asarray(chunk.z)])
    except ScanFileError:
        raise
    except Exception as exc:  # laspy raises many unrelated types for a corrupt file
        raise ScanFileError(str(path), f"cannot read as LAS/LAZ (truncated or corrupt?): {exc}") from None


def _read_e57(path: Path) -> Iterator[np.ndarray]:
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
            yield np.column_stack([d["cartesianX"], d["cartesianY"], d["cartesianZ"]])
    except KeyError as exc:
        raise ScanFileError(str(path), f"scan has no cartesian coordinates ({exc})") from None
    except Exception as exc:  # as above
        raise ScanFileError(str(path), f"cannot read scan data (truncated or corrupt?): {exc}") from None
    finally:
        e57.close()
