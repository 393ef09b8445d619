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

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from facility.errors import FileAccessError
from facility.files import check_input, open_input
from lidar.errors import ScanFileError
from lidar.options import UNIT_SCALE
from lidar.preprocess import SeenVoxels, bounds, voxel_downsample

__all__ = ["MAX_IN_MEMORY_BYTES", "MAX_STREAMED_BYTES", "SUPPORTED_EXTENSIONS", "check_cloud", "read"]

_OPEN3D = {".ply": "ply", ".pcd": "pcd", ".xyz": "xyz", ".txt": "xyz", ".pts": "pts"}
SUPPORTED_EXTENSIONS = (*_OPEN3D, ".las", ".laz", ".e57")

#: Points per chunk when streaming LAS/LAZ files.
_CHUNK = 2_000_000
#: Thinned points held from earlier chunks before they are thinned together
#: (a 4-storey hospital at 5 cm voxels is about 10 M points).
_MERGE_POINTS = 8_000_000
_STREAMED = (".las", ".laz", ".e57")
#: Largest file read whole into memory (PLY, PCD, text): 4 GiB is ~170 million
#: binary float32 points, several times a dense scan of a hospital storey, and
#: still fits the memory of a planner's workstation once in float64.
MAX_IN_MEMORY_BYTES = 4 * 2**30
#: Largest LAS/LAZ/E57 file (read in chunks, thinned while reading): beyond
#: what a survey of a whole campus produces.
MAX_STREAMED_BYTES = 256 * 2**30
#: A coordinate beyond this (m) from the origin is implausible for a building:
#: even georeferenced UTM northings stay below 10,000 km.
IMPLAUSIBLE_COORDINATE_M = 1e8
#: Share of points cut from each end of every axis to measure the extent of the
#: bulk of the cloud, so a few stray returns (or one corrupt value) do not
#: decide the units.
_BULK_TAIL = 0.005
#: Points (about) the bulk's extent is measured on.
_BULK_SAMPLE = 1_000_000
#: A scanned building in metres: the bulk of its points spans at least this
#: height (floor to ceiling, less the thin tails cut off) ...
_MIN_HEIGHT_M = 1.5
#: ... a typical storey (floor to ceiling, m), to choose between plausible units ...
_STOREY_M = 3.0
#: ... and no building is taller or wider than these (m).
_MAX_HEIGHT_M = 200.0
_MAX_WIDTH_M = 5000.0
#: Points farther than this beyond the bulk's box (m, and at least the bulk's
#: own width) are not part of the building: a grid spanning them would not fit
#: in memory.
_FAR_BEYOND_BULK_M = 100.0


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
        chunks: Iterator[tuple[np.ndarray, int]] = iter([(_read_open3d(p, _OPEN3D[ext]), 1)])
    elif ext in (".las", ".laz"):
        chunks = _read_las(p)
        box = _las_box(p)
        if voxel is not None and box is not None:
            low, high = box[0] * scale - voxel, box[1] * scale + voxel
            seen = SeenVoxels(low, high, voxel) if SeenVoxels.fits(low, high, voxel) else None
    elif ext == ".e57":
        chunks = _read_e57(p)
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
        _check_finite(p, c)
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
    if voxel is not None and len(pts) and float((box_hi - box_lo).max()) < _MIN_HEIGHT_M:
        # "--units mm" on a scan in metres: 8 x 6 x 2.8 mm, one 5 cm voxel, "no vertical extent"
        check_cloud(np.vstack([box_lo, box_hi]), str(p), units=units)
    check_cloud(pts, str(p), units=units)
    return pts


def check_cloud(points: np.ndarray, source: str, *, units: str = "m") -> None:
    """Raise :class:`ScanFileError` if ``points`` (in metres) cannot be a scan of a building.

    The units are judged from the extent of the bulk of the points (each axis
    cut to its 0.5-99.5 % range), so one stray return or one corrupt value
    neither hides a unit mistake nor causes a false one; the message says which
    unit the bulk looks like. Coordinates no building can have, and points far
    from the bulk, are named as such.

    Args:
        points: ``(n, 3)`` coordinates already scaled to metres.
        source: Names the cloud in messages.
        units: The unit the user declared (to say what to pass instead).

    >>> check_cloud(np.array([[0.0, 0.0, 0.0], [5.0, 4.0, 2.8]]), "ok.ply")
    """
    if points.ndim != 2 or points.shape[1] != 3:
        raise ScanFileError(source, f"expected points with 3 coordinates, got shape {points.shape}")
    if len(points) == 0:
        raise ScanFileError(source, "the cloud is empty (no points); is the file truncated or corrupt?")
    _check_finite(Path(source), points)
    # The tests per point below run only when the cloud's box fails them (0.5 s on 10 M points).
    low, high = bounds(points)
    if max(-low.min(), high.max()) > IMPLAUSIBLE_COORDINATE_M:
        huge = np.abs(points).max(axis=1) > IMPLAUSIBLE_COORDINATE_M
        first = int(np.flatnonzero(huge)[0])
        raise ScanFileError(source, f"{int(huge.sum())} point(s) have implausible coordinates (more than "
                            f"{IMPLAUSIBLE_COORDINATE_M:.0e} m from the origin; first at index {first}: "
                            f"{_xyz(points[first])}); the file is corrupt or not in {units}")
    # Every k-th point is plenty for the 0.5 % tails, and sorting every
    # column of a 10 M-point cloud took seconds.
    bulk = points[:: max(1, len(points) // _BULK_SAMPLE)]
    lo, hi = np.quantile(bulk, [_BULK_TAIL, 1.0 - _BULK_TAIL], axis=0)
    span = hi - lo
    looks = _looks_like(span, units)
    if not looks and span[2] < _MIN_HEIGHT_M:
        raise ScanFileError(
            source,
            f"no vertical extent: heights span only {span[2]:.3f} m, but a scanned storey spans "
            ">= 2 m floor to ceiling; is this a 2-D scan, or are the units wrong (--units)?",
        )
    if looks != units:
        hint = (f"looks like {_UNIT_NAMES[looks]}; pass --units {looks} (or units={looks!r})" if looks
                else "matches no unit (m, cm, mm) for a building; is it a scan of a building?")
        raise ScanFileError(source, f"the bulk of the points spans {_span(span)} m read as "
                            f"{_UNIT_NAMES[units]}, which is not a building: the cloud {hint}")
    margin = max(_FAR_BEYOND_BULK_M, float(max(span[0], span[1])))
    if (low >= lo - margin).all() and (high <= hi + margin).all():
        return
    far = ((points < lo - margin) | (points > hi + margin)).any(axis=1)
    if far.any():
        first = int(np.flatnonzero(far)[0])
        raise ScanFileError(source, f"{int(far.sum())} point(s) lie more than {margin:.0f} m beyond the bulk "
                            f"of the cloud ({_span(span)} m; first at index {first}: {_xyz(points[first])}); "
                            "crop stray returns from the scan before extracting")


#: Metres per unit, and the words used in messages.
_UNIT_NAMES = {"m": "metres", "cm": "centimetres", "mm": "millimetres", "": "no unit"}


def _looks_like(span_m: np.ndarray, declared: str) -> str:
    """The unit in which the bulk's extent is a plausible building, or ``""`` if none.

    ``span_m`` was scaled from the file with the ``declared`` unit, which wins
    whenever it is plausible. Otherwise the plausible unit whose height is
    nearest (by ratio) to one storey is chosen: a 5 x 4 m room in millimetres
    would also be a plausible 28 m tall building in centimetres, but scans of
    one storey are far more common.

    >>> _looks_like(np.array([2000.0, 1500.0, 300.0]), "m")
    'cm'
    >>> _looks_like(np.array([4940.0, 3960.0, 2770.0]), "m")
    'mm'
    >>> _looks_like(np.array([20.0, 15.0, 3.0]), "m")
    'm'
    """
    raw = span_m / UNIT_SCALE[declared]

    def plausible(unit: str) -> bool:
        s = raw * UNIT_SCALE[unit]
        return bool(_MIN_HEIGHT_M <= s[2] <= _MAX_HEIGHT_M and max(s[0], s[1]) <= _MAX_WIDTH_M)

    if plausible(declared):
        return declared
    others = [u for u in ("m", "cm", "mm") if u != declared and plausible(u)]
    if not others:
        return ""
    return min(others, key=lambda u: abs(math.log(raw[2] * UNIT_SCALE[u] / _STOREY_M)))


def _span(span: np.ndarray) -> str:
    return " x ".join(f"{v:.3g}" for v in span)


def _xyz(point: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in point) + ")"


def _check_finite(path: Path, pts: np.ndarray) -> None:
    # The whole array at once first: the test per point (a reduction over rows
    # of three) took ten times as long on 10 M points, and is needed only to
    # name the bad ones.
    if np.isfinite(pts.ravel()).all():
        return
    bad = ~np.isfinite(pts).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ScanFileError(
            str(path), f"{int(bad.sum())} point(s) have NaN or infinite coordinates (first at index {first})"
        )


def _read_open3d(path: Path, fmt: str) -> np.ndarray:
    if path.stat().st_size == 0:
        raise ScanFileError(str(path), "the file is empty (0 bytes)")
    if fmt == "xyz":
        return _read_text(path)
    expected = _declared_points(path, fmt)
    pts = _read_binary_ply(path) if fmt == "ply" else None
    if pts is None:
        import open3d as o3d

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
#: A header longer than this is not a point cloud header.
_HEADER_BYTES = 65536
_PLY_FORMATS = ("ascii", "binary_little_endian", "binary_big_endian")
_PCD_DATA = ("ascii", "binary", "binary_compressed")


def _declared_points(path: Path, fmt: str) -> int | None:
    """Points a PLY/PCD header promises, after checking the header and that the body holds them.

    Open3D reports a bad header or a truncated body on the console and hands
    back whatever it got (a truncated ASCII PLY comes back padded with
    zeros), so the header is parsed here, every malformed line is named, and
    the rows (ASCII) or bytes (binary) actually present are counted.
    """
    with open_input(path, what="scan", max_bytes=MAX_IN_MEMORY_BYTES) as f:
        head = f.read(_HEADER_BYTES)
    if fmt == "ply":
        return _check_ply(path, head)
    if fmt == "pcd":
        return _check_pcd(path, head)
    return None


#: PLY property types as numpy scalar types (byte order added per file).
_PLY_NUMPY = {"char": "i1", "uchar": "u1", "int8": "i1", "uint8": "u1", "short": "i2", "ushort": "u2",
              "int16": "i2", "uint16": "u2", "int": "i4", "uint": "u4", "int32": "i4", "uint32": "u4",
              "float": "f4", "float32": "f4", "double": "f8", "float64": "f8"}


def _read_binary_ply(path: Path) -> np.ndarray | None:
    """The x, y, z columns of a binary PLY whose first element is the vertices, read straight into numpy.

    The common layout (every scanner export and Open3D's own writer): the
    vertex element first, fixed-size properties.  Read as one structured
    array from the file, a 10 M-point storey takes a fraction of a second
    and no Open3D import (which alone took seconds).  Any other layout
    (ASCII, list properties before the vertices, no x/y/z) returns ``None``
    and is left to Open3D.  The header was checked by :func:`_check_ply`.
    """
    with open_input(path, what="scan", max_bytes=MAX_IN_MEMORY_BYTES) as f:
        head = f.read(_HEADER_BYTES)
    marker = head.find(b"end_header")
    body = head.find(b"\n", marker) + 1
    lines = head[:marker].decode("ascii").splitlines()
    order = {"binary_little_endian": "<", "binary_big_endian": ">"}
    fmt = next((ln.split()[1] for ln in lines if ln.startswith("format ")), "")
    elements = [ln.split() for ln in lines if ln.startswith(("element ", "property "))]
    if fmt not in order or not elements or elements[0][:2] != ["element", "vertex"]:
        return None
    fields: list[tuple[str, str]] = []
    for w in elements[1:]:
        if w[0] == "element":
            break
        if len(w) != 3 or w[1] not in _PLY_NUMPY:
            return None  # a list property: rows of varying size
        fields.append((w[2], order[fmt] + _PLY_NUMPY[w[1]]))
    names = [n for n, _ in fields]
    if len(set(names)) != len(names) or not {"x", "y", "z"} <= set(names):
        return None
    count = int(elements[0][2])
    plain = names == ["x", "y", "z"] and {t for _, t in fields} == {"<f8"}
    rows: np.ndarray = np.fromfile(path, dtype=np.dtype("<f8" if plain else fields),
                                   count=3 * count if plain else count, offset=body)
    got = len(rows) // 3 if plain else len(rows)
    if got < count:
        raise ScanFileError(str(path), f"the header declares {count} points but only {got} could be "
                                       "read; the file is truncated")
    if plain:  # little-endian doubles x y z and nothing else (Open3D's own files): the rows as they lie
        return rows.reshape(count, 3)
    return np.column_stack([rows["x"], rows["y"], rows["z"]]).astype(np.float64, copy=False)


def _header_lines(path: Path, head: bytes, end: int, kind: str) -> list[str]:
    try:
        return head[:end].decode("ascii").splitlines()
    except UnicodeDecodeError as exc:
        raise ScanFileError(str(path), f"{kind} header: byte {exc.start} is not ASCII text") from None


def _count(path: Path, text: str, line: str, kind: str) -> int:
    if not text.isdigit():
        raise ScanFileError(str(path), f"{kind} header line {line!r}: expected a whole number of points, "
                            f"found {text!r}")
    return int(text)


def _check_ply(path: Path, head: bytes) -> int:
    marker = head.find(b"end_header")
    if not head.startswith(b"ply") or marker < 0:
        raise ScanFileError(str(path), "not a PLY file: it must start with 'ply' and have an 'end_header' "
                            f"line within its first {_HEADER_BYTES} bytes")
    lines = _header_lines(path, head, marker, "PLY")
    body_start = head.index(b"\n", marker) + 1 if b"\n" in head[marker:] else len(head)
    encoding = None
    names: list[str] = []
    counts: list[int] = []
    records: list[int | None] = []  # bytes per row, None if the element has a list property
    vertex_props: list[str] = []  # scalar properties of the vertex element
    for ln in lines[1:]:
        w = ln.split()
        if not w or w[0] in ("comment", "obj_info"):
            continue
        if w[0] == "format":
            if len(w) < 2 or w[1] not in _PLY_FORMATS:
                raise ScanFileError(str(path), f"PLY header line {ln!r}: expected format one of "
                                    f"{', '.join(_PLY_FORMATS)}")
            encoding = w[1]
        elif w[0] == "element":
            if len(w) != 3:
                raise ScanFileError(str(path), f"PLY header line {ln!r}: expected 'element NAME COUNT'")
            names.append(w[1])
            counts.append(_count(path, w[2], ln, "PLY"))
            records.append(0)
        elif w[0] == "property":
            if not names:
                raise ScanFileError(str(path), f"PLY header line {ln!r}: a property before any element")
            if len(w) == 5 and w[1] == "list":
                records[-1] = None
            elif len(w) == 3 and w[1] in _SIZES:
                size = records[-1]
                records[-1] = None if size is None else size + _SIZES[w[1]]
                if names[-1] == "vertex":
                    vertex_props.append(w[2])
            else:
                raise ScanFileError(str(path), f"PLY header line {ln!r}: expected 'property TYPE NAME' with "
                                    f"TYPE one of {', '.join(_SIZES)}")
        else:
            raise ScanFileError(str(path), f"PLY header line {ln!r}: unknown keyword {w[0]!r}")
    if encoding is None:
        raise ScanFileError(str(path), "PLY header has no 'format' line")
    if "vertex" not in names:
        raise ScanFileError(str(path), "PLY header declares no 'element vertex': the file holds no points")
    _check_xyz(path, "PLY header: element vertex", vertex_props)
    count = counts[names.index("vertex")]
    if encoding == "ascii":
        if names[0] == "vertex":
            _check_rows(path, body_start, count, "PLY")
    elif all(r is not None for r in records):
        need = sum(c * (r or 0) for c, r in zip(counts, records, strict=True))
        body = path.stat().st_size - body_start
        if body < need:
            raise ScanFileError(str(path), f"the header declares {count} points ({need} bytes) "
                                           f"but only {body} bytes follow; the file is truncated")
    return count


def _check_pcd(path: Path, head: bytes) -> int | None:
    marker = head.find(b"\nDATA")
    if marker < 0:
        raise ScanFileError(str(path), f"not a PCD file: no 'DATA' line in its first {_HEADER_BYTES} bytes")
    end = head.find(b"\n", marker + 1)
    end = len(head) if end < 0 else end
    lines = _header_lines(path, head, end, "PCD")
    fields: dict[str, list[str]] = {}
    for ln in lines:
        w = ln.split()
        if w and not w[0].startswith("#"):
            fields[w[0]] = w[1:]
    points = fields.get("POINTS")
    if points is None or len(points) != 1:
        raise ScanFileError(str(path), "PCD header: expected one 'POINTS COUNT' line")
    count = _count(path, points[0], "POINTS " + " ".join(points), "PCD")
    _check_xyz(path, "PCD header: FIELDS", fields.get("FIELDS", []))
    data = fields.get("DATA", [""])
    if len(data) != 1 or data[0] not in _PCD_DATA:
        raise ScanFileError(str(path), f"PCD header line 'DATA {' '.join(data)}': expected one of "
                            f"{', '.join(_PCD_DATA)}")
    for key in ("WIDTH", "HEIGHT"):
        if key in fields:
            _count(path, "".join(fields[key]), f"{key} {' '.join(fields[key])}", "PCD")
    if data[0] == "ascii":
        _check_rows(path, end + 1, count, "PCD")
    elif data[0] == "binary":
        sizes, counts = fields.get("SIZE", []), fields.get("COUNT", ["1"] * len(fields.get("SIZE", [])))
        if not all(x.isdigit() for x in sizes + counts) or len(sizes) != len(counts):
            raise ScanFileError(str(path), "PCD header: SIZE and COUNT must be whole numbers, one per field")
        need = count * sum(int(a) * int(b) for a, b in zip(sizes, counts, strict=True))
        body = path.stat().st_size - (end + 1)
        if body < need:
            raise ScanFileError(str(path), f"the header declares {count} points ({need} bytes) "
                                           f"but only {body} bytes follow; the file is truncated")
    return count


def _check_xyz(path: Path, where: str, props: list[str]) -> None:
    """Refuse a header whose points lack a scalar ``x``, ``y`` or ``z``.

    Open3D reads such a file without a word: the missing coordinate comes back
    as zero (a flat cloud, then blamed on the units) or as whatever memory held.
    """
    missing = [axis for axis in ("x", "y", "z") if axis not in props]
    if missing:
        have = ", ".join(props) if props else "none"
        raise ScanFileError(str(path), f"{where}: has no {', '.join(repr(m) for m in missing)} "
                            f"propert{'y' if len(missing) == 1 else 'ies'} (found: {have}); a point "
                            "cloud needs x, y and z")


def _check_rows(path: Path, start: int, count: int, kind: str) -> None:
    """Count the non-blank text rows after the header, streaming, and refuse fewer than ``count``."""
    rows, tail = 0, b""
    with open_input(path, what="scan", max_bytes=MAX_IN_MEMORY_BYTES) as f:
        f.seek(start)
        while rows < count and (block := f.read(1 << 22)):
            lines = (tail + block).split(b"\n")
            tail = lines.pop()
            rows += sum(1 for ln in lines if ln.strip())
    rows += bool(tail.strip())
    if rows < count:
        raise ScanFileError(str(path), f"the {kind} header declares {count} points but only {rows} rows "
                            "follow; the file is truncated")


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


def _read_las(path: Path) -> Iterator[tuple[np.ndarray, int]]:
    """The file's points in chunks of :data:`_CHUNK`, each with the number of chunks."""
    import laspy

    try:
        with laspy.open(str(path)) as reader:
            n = reader.header.point_count
            if n == 0:
                raise ScanFileError(str(path), "the LAS header declares 0 points")
            parts = -(-n // _CHUNK)
            for chunk in reader.chunk_iterator(_CHUNK):
                yield np.column_stack([np.asarray(chunk.x), np.asarray(chunk.y), np.asarray(chunk.z)]), parts
    except ScanFileError:
        raise
    except Exception as exc:  # laspy raises many unrelated types for a corrupt file
        raise ScanFileError(str(path), f"cannot read as LAS/LAZ (truncated or corrupt?): {exc}") from None


def _las_box(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
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


def _read_e57(path: Path) -> Iterator[tuple[np.ndarray, int]]:
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
