"""PLY, PCD and text files: headers checked line by line, truncation refused, binary PLY read straight."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lidar.errors import ScanFileError
from lidar.readers import read
from lidar.writers import write_cloud

from .conftest import room_cloud


def test_text_with_commas_and_extra_columns(tmp_path: Path, rng: np.random.Generator) -> None:
    pts = room_cloud(rng, 200)
    f = tmp_path / "scan.txt"
    f.write_text("# x,y,z,intensity\n" + "\n".join(f"{x},{y},{z},7" for x, y, z in pts))
    np.testing.assert_allclose(read(f), pts)


def _ascii_ply(n_declared: int, rows: np.ndarray) -> bytes:
    head = (f"ply\nformat ascii 1.0\nelement vertex {n_declared}\nproperty float x\nproperty float y\n"
            "property float z\nend_header\n")
    return head.encode() + b"".join(f"{x} {y} {z}\n".encode() for x, y, z in rows)


def test_a_truncated_ascii_ply_is_refused_not_padded(tmp_path: Path, rng: np.random.Generator) -> None:
    pts = room_cloud(rng)
    whole = tmp_path / "whole.ply"
    whole.write_bytes(_ascii_ply(len(pts), pts))
    assert len(read(whole)) == len(pts)
    cut = tmp_path / "cut.ply"
    cut.write_bytes(_ascii_ply(len(pts), pts[:-10]))
    with pytest.raises(ScanFileError, match=f"declares {len(pts)} points but only {len(pts) - 10} rows"):
        read(cut)


@pytest.mark.parametrize(
    ("name", "header", "match"),
    [
        ("lots.ply", b"ply\nformat ascii 1.0\nelement vertex lots\nproperty float x\nend_header\n",
         "'element vertex lots': expected a whole number"),
        ("noname.ply", b"ply\nformat ascii 1.0\nelement 10\nproperty float x\nend_header\n",
         "expected 'element NAME COUNT'"),
        ("badprop.ply", b"ply\nformat ascii 1.0\nelement vertex 1\nproperty quad x\nend_header\n1\n",
         "expected 'property TYPE NAME'"),
        ("noformat.ply", b"ply\nelement vertex 1\nproperty float x\nend_header\n1\n", "no 'format' line"),
        ("nohead.ply", b"ply\nformat ascii 1.0\n" + b"comment x\n" * 10, "end_header"),
        ("ten.pcd", b"VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 10\nHEIGHT 1\n"
                    b"POINTS ten\nDATA ascii\n", "'POINTS ten': expected a whole number"),
        ("short.pcd", b"VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 3\nHEIGHT 1\n"
                      b"POINTS 3\nDATA ascii\n0 0 0\n1 1 1\n", "declares 3 points but only 2 rows"),
        ("nodata.pcd", b"VERSION .7\nPOINTS 3\n", "no 'DATA' line"),
        # Open3D reads a cloud without z as flat (zeros) or as whatever memory held
        ("onlyx.ply", b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n1\n",
         "element vertex: has no 'y', 'z' properties"),
        ("zz.ply", b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
                   b"property float zz\nend_header\n1 2 3\n", r"has no 'z' property \(found: x, y, zz\)"),
        ("zz.ply", b"ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\n"
                   b"property float y\nproperty float zz\nend_header\n" + bytes(12), "has no 'z' property"),
        ("xy.pcd", b"VERSION .7\nFIELDS x y\nSIZE 4 4\nTYPE F F\nCOUNT 1 1\nWIDTH 1\nHEIGHT 1\n"
                   b"POINTS 1\nDATA ascii\n1 2\n", "FIELDS: has no 'z' property"),
    ],
)
def test_bad_headers_name_the_line(tmp_path: Path, name: str, header: bytes, match: str) -> None:
    path = tmp_path / name
    path.write_bytes(header)
    with pytest.raises(ScanFileError, match=match) as err:
        read(path)
    assert name in str(err.value)


@pytest.mark.parametrize("order", ["<", ">"])
def test_binary_ply_with_extra_properties_read_straight(tmp_path: Path, rng: np.random.Generator,
                                                        order: str) -> None:
    """Binary PLY vertices are read straight into numpy (no Open3D): float x y z among other
    properties, either byte order, then a face element after them; what Open3D reads, to the bit."""
    import open3d as o3d

    n = 500
    xyz = rng.uniform(0, 5, (n, 3)).astype(np.float32)
    rows = np.zeros(n, dtype=np.dtype([("intensity", order + "u2"), ("x", order + "f4"), ("y", order + "f4"),
                                       ("z", order + "f4"), ("red", "u1")]))
    rows["x"], rows["y"], rows["z"] = xyz.T
    fmt = "binary_little_endian" if order == "<" else "binary_big_endian"
    head = (f"ply\nformat {fmt} 1.0\nelement vertex {n}\nproperty ushort intensity\nproperty float x\n"
            "property float y\nproperty float z\nproperty uchar red\nelement face 0\n"
            "property list uchar int vertex_indices\nend_header\n").encode()
    path = tmp_path / "scan.ply"
    path.write_bytes(head + rows.tobytes())
    got = read(path)
    assert got.dtype == np.float64 and np.array_equal(got, xyz.astype(np.float64))
    assert np.array_equal(got, np.asarray(o3d.io.read_point_cloud(path).points))
    path.write_bytes(head + rows.tobytes()[: -7 * 11])
    with pytest.raises(ScanFileError, match="truncated"):
        read(path)


def test_open3d_double_ply_read_as_it_lies(tmp_path: Path, rng: np.random.Generator) -> None:
    """Open3D's own PLY (little-endian double x y z only) is read as one block; cut short, refused."""
    pts = rng.uniform(0, 5, (400, 3))
    path = write_cloud(pts, tmp_path / "scan.ply")
    assert np.array_equal(read(path), pts)
    data = path.read_bytes()
    path.write_bytes(data[:-24 * 3])
    with pytest.raises(ScanFileError, match="truncated"):
        read(path)


@pytest.mark.parametrize("kind", ["ply", "pcd"])
def test_an_ascii_file_cut_inside_its_last_row_is_refused(tmp_path: Path, rng: np.random.Generator,
                                                          kind: str) -> None:
    """Cut inside its last row, an ASCII PLY or PCD had as many rows as its header declares: Open3D
    printed an error to the console, read the missing value as 0 and the scan was extracted."""
    pts = room_cloud(rng, 500)
    if kind == "ply":
        text = _ascii_ply(len(pts), pts)
    else:
        text = (f"VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH {len(pts)}\nHEIGHT 1\n"
                f"POINTS {len(pts)}\nDATA ascii\n").encode() + b"".join(f"{x} {y} {z}\n".encode()
                                                                       for x, y, z in pts)
    whole = tmp_path / f"whole.{kind}"
    whole.write_bytes(text)
    assert len(read(whole)) == len(pts)
    cut = tmp_path / f"cut.{kind}"
    cut.write_bytes(text[: text.rstrip(b"\n").rindex(b" ")])  # the last row loses its z
    with pytest.raises(ScanFileError, match=rf"{kind.upper()} header declares 3 values per point, but the "
                                            rf"last point \(row {len(pts)}\) has 2; the file is truncated"):
        read(cut)


def test_a_truncated_compressed_pcd_is_one_error_and_nothing_on_the_console(
        tmp_path: Path, rng: np.random.Generator, capfd: pytest.CaptureFixture[str]) -> None:
    """Open3D printed its own warnings about the file before the error line: the user saw three lines."""
    import open3d as o3d

    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(room_cloud(rng, 2000)))
    whole = tmp_path / "whole.pcd"
    o3d.io.write_point_cloud(str(whole), cloud, compressed=True)
    cut = tmp_path / "cut.pcd"
    cut.write_bytes(whole.read_bytes()[:-100])
    capfd.readouterr()
    with pytest.raises(ScanFileError, match="declares 2000 points but 0 could be read; the file is trunc"):
        read(cut)
    assert capfd.readouterr() == ("", "")
