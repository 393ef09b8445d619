"""Scan files read whole into memory: PLY, PCD and text (``x y z`` rows).

Open3D reports a bad header or a truncated body on the console and hands back
whatever it got, so every PLY/PCD header is parsed here first, each malformed
line is named, and the rows or bytes actually present are counted against the
points it declares.  A binary PLY in the common layout is read straight into
numpy; anything else goes through Open3D.  Problems are
:class:`~lidar.errors.ScanFileError` naming the file and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facility.files import open_input
from lidar.errors import ScanFileError

__all__ = ["MAX_IN_MEMORY_BYTES", "read_whole"]

#: Largest file read whole into memory (PLY, PCD, text): 4 GiB is ~170 million
#: binary float32 points, several times a dense scan of a hospital storey, and
#: still fits the memory of a planner's workstation once in float64.
MAX_IN_MEMORY_BYTES = 4 * 2**30


def read_whole(path: Path, fmt: str) -> np.ndarray:
    """The points of a PLY, PCD or text file (``fmt``: ``"ply" "pcd" "xyz" "pts"``), read whole.

    Raises:
        ScanFileError: Empty, truncated or corrupt file, or a header naming no x, y, z.
    """
    if path.stat().st_size == 0:
        raise ScanFileError(str(path), "the file is empty (0 bytes)")
    if fmt == "xyz":
        return _read_text(path)
    expected = _declared_points(path, fmt)
    pts = _read_binary_ply(path) if fmt == "ply" else None
    if pts is None:
        import open3d as o3d

        # Open3D prints what went wrong to the console and returns what it got; the counts
        # below name the problem in the one error line, so its messages are held back.
        with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
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
            # Rows of a vertex element with a list property vary in length.
            columns = len(vertex_props) if records[0] is not None else None
            _check_rows(path, body_start, count, "PLY", columns)
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
        per_field = fields.get("COUNT", ["1"] * len(fields.get("FIELDS", [])))
        columns = sum(int(c) for c in per_field) if all(c.isdigit() for c in per_field) else None
        _check_rows(path, end + 1, count, "PCD", columns or None)
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


def _check_rows(path: Path, start: int, count: int, kind: str, columns: int | None = None) -> None:
    """Count the non-blank text rows after the header, streaming, and refuse fewer than ``count``,
    or a last point row with fewer than ``columns`` values: a file cut inside its last row (Open3D
    reports that on the console and reads the missing values as zeros)."""
    rows, tail, last = 0, b"", b""
    with open_input(path, what="scan", max_bytes=MAX_IN_MEMORY_BYTES) as f:
        f.seek(start)
        while rows < count and (block := f.read(1 << 22)):
            lines = (tail + block).split(b"\n")
            tail = lines.pop()
            full = [ln for ln in lines if ln.strip()]
            if rows < count <= rows + len(full):
                last = full[count - rows - 1]
            rows += len(full)
    if rows < count and tail.strip():
        rows += 1
        last = tail
    if rows < count:
        raise ScanFileError(str(path), f"the {kind} header declares {count} points but only {rows} rows "
                            "follow; the file is truncated")
    found = len(last.replace(b",", b" ").split())
    if columns is not None and count and found < columns:
        raise ScanFileError(str(path), f"the {kind} header declares {columns} values per point, but the last "
                            f"point (row {count}) has {found}; the file is truncated")


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


