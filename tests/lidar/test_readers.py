"""Every format reads back what was written; every bad file gets an error naming it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lidar.errors import ScanFileError
from lidar.readers import check_cloud, read
from lidar.writers import write_cloud


def _room(rng: np.random.Generator, n: int = 3000) -> np.ndarray:
    p = rng.uniform([0, 0, 0], [5, 4, 2.8], size=(n, 3))
    return np.round(p, 4)


def _count_thinning(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Spy on the reader's thinning: the size of each cloud it thins (each chunk, each merge)."""
    from lidar import readers

    merges: list[int] = []
    thin = readers.voxel_downsample

    def counted(points: np.ndarray, voxel: float) -> np.ndarray:
        merges.append(len(points))
        return thin(points, voxel)

    monkeypatch.setattr(readers, "voxel_downsample", counted)
    return merges


@pytest.mark.parametrize("ext", [".ply", ".pcd", ".xyz", ".pts"])
def test_open3d_formats_round_trip(tmp_path: Path, rng: np.random.Generator, ext: str) -> None:
    pts = _room(rng)
    path = write_cloud(pts, tmp_path / f"scan{ext}")
    back = read(path)
    assert back.shape == pts.shape
    np.testing.assert_allclose(np.sort(back, axis=0), np.sort(pts, axis=0), atol=1e-3)


def test_text_with_commas_and_extra_columns(tmp_path: Path, rng: np.random.Generator) -> None:
    pts = _room(rng, 200)
    f = tmp_path / "scan.txt"
    f.write_text("# x,y,z,intensity\n" + "\n".join(f"{x},{y},{z},7" for x, y, z in pts))
    np.testing.assert_allclose(read(f), pts)


@pytest.mark.parametrize("ext", [".las", ".laz"])
def test_las_and_laz_streamed_and_thinned(tmp_path: Path, rng: np.random.Generator, ext: str) -> None:

    pts = _room(rng, 5000)
    _write_las(tmp_path / f"s{ext}", pts)
    back = read(tmp_path / f"s{ext}")
    assert len(back) == len(pts)
    thinned = read(tmp_path / f"s{ext}", voxel=0.5)
    assert len(thinned) <= 11 * 9 * 6  # voxels the 5 x 4 x 2.8 m box can touch
    # One point per 0.5 m voxel: no two share a voxel.
    keys = {tuple(k) for k in np.floor(thinned / 0.5).astype(int)}
    assert len(keys) == len(thinned)


def test_e57_scans_are_merged_with_their_poses(tmp_path: Path, rng: np.random.Generator) -> None:
    import pye57

    a = _room(rng, 500)
    path = str(tmp_path / "two.e57")
    e57 = pye57.E57(path, mode="w")
    for shift in (0.0, 10.0):
        data = {"cartesianX": a[:, 0], "cartesianY": a[:, 1], "cartesianZ": a[:, 2]}
        e57.write_scan_raw(data, rotation=np.array([1.0, 0, 0, 0]), translation=np.array([shift, 0.0, 0.0]))
    e57.close()
    back = read(path)
    assert len(back) == 1000
    assert back[:, 0].max() > 10.0 + a[:, 0].max() - 1e-6  # the second scan moved by its pose


def test_units_mm_scales(tmp_path: Path, rng: np.random.Generator) -> None:
    pts = _room(rng) * 1000
    path = write_cloud(pts, tmp_path / "mm.ply")
    with pytest.raises(ScanFileError, match="units mm"):
        read(path)
    np.testing.assert_allclose(read(path, units="mm").max(axis=0), pts.max(axis=0) / 1000, atol=1e-6)


def test_a_scan_in_metres_read_as_millimetres_is_named_though_thinning_collapses_it(
        tmp_path: Path, rng: np.random.Generator) -> None:
    # regression: read as mm, the room fitted in one 5 cm voxel and was called "no vertical extent"
    path = write_cloud(_room(rng), tmp_path / "m.ply")
    for units in ("mm", "cm"):
        with pytest.raises(ScanFileError, match="looks like metres; pass --units m"):
            read(path, units=units, voxel=0.05)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("missing.ply", None, "no such file"),
        ("scan.obj", b"v 0 0 0\n", "unsupported extension"),
        ("empty.ply", b"", "empty"),
        ("trunc.ply", b"ply\nformat binary_little_endian 1.0\nelement vertex 1000\nproperty float x\n"
                      b"property float y\nproperty float z\nend_header\n\x00\x00", "truncated"),
        ("bad.txt", b"a b c\n", "x y z columns"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, name: str, content: bytes | None, match: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ScanFileError, match=match) as err:
        read(path)
    assert name in str(err.value)


def test_nan_and_flat_clouds(tmp_path: Path) -> None:
    nan = np.array([[0.0, 0, 0], [1.0, np.nan, 2.0], [3.0, 3, 3]])
    f = tmp_path / "nan.xyz"
    f.write_text("\n".join(" ".join(map(str, p)) for p in nan))
    with pytest.raises(ScanFileError, match="NaN or infinite"):
        read(f)
    flat = np.array([[0.0, 0, 0], [5.0, 4, 0.2]])
    with pytest.raises(ScanFileError, match="no vertical extent"):
        check_cloud(flat, "flat.ply")


def _write_las(path: Path, pts: np.ndarray) -> None:
    """Write ``pts`` as a LAS or LAZ file (by ``path``'s suffix) at millimetre scale."""
    import laspy

    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales = np.array([0.001, 0.001, 0.001])
    las = laspy.LasData(header)
    las.x, las.y, las.z = pts[:, 0], pts[:, 1], pts[:, 2]
    las.write(str(path))


def _ascii_ply(n_declared: int, rows: np.ndarray) -> bytes:
    head = (f"ply\nformat ascii 1.0\nelement vertex {n_declared}\nproperty float x\nproperty float y\n"
            "property float z\nend_header\n")
    return head.encode() + b"".join(f"{x} {y} {z}\n".encode() for x, y, z in rows)


def test_a_truncated_ascii_ply_is_refused_not_padded(tmp_path: Path, rng: np.random.Generator) -> None:
    pts = _room(rng)
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


def test_units_are_judged_from_the_bulk_and_named(tmp_path: Path, rng: np.random.Generator) -> None:
    storey = rng.uniform([0, 0, 0], [30.0, 20.0, 3.0], size=(2000, 3))
    with pytest.raises(ScanFileError, match="looks like centimetres; pass --units cm"):
        check_cloud(storey * 100, "cm.ply")
    with pytest.raises(ScanFileError, match="looks like millimetres; pass --units mm"):
        check_cloud(storey * 1000, "mm.ply")
    with pytest.raises(ScanFileError, match="looks like metres; pass --units m"):
        check_cloud(storey / 100, "m.ply", units="cm")
    check_cloud(storey, "m.ply")


def test_outliers_are_named_as_implausible_not_as_a_unit(rng: np.random.Generator) -> None:
    storey = rng.uniform([0, 0, 0], [30.0, 20.0, 3.0], size=(2000, 3))
    corrupt = storey.copy()
    corrupt[7] = [1e300, 0.0, 0.0]
    with pytest.raises(ScanFileError, match=r"1 point\(s\) have implausible coordinates .* index 7") as err:
        check_cloud(corrupt, "x.ply")
    assert "units" not in str(err.value) and len(str(err.value)) < 300
    stray = storey.copy()
    stray[3] = [4000.0, 0.0, 1.0]
    with pytest.raises(ScanFileError, match=r"lie more than 100 m beyond the bulk .* index 3"):
        check_cloud(stray, "x.ply")


def test_a_fifo_or_device_is_refused_without_reading(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.ply"
    os.mkfifo(fifo)
    with pytest.raises(ScanFileError, match="FIFO"):
        read(fifo)


@settings(max_examples=60, deadline=None)
@given(width=st.floats(5.0, 300.0), depth=st.floats(5.0, 300.0), height=st.floats(2.2, 8.0),
       unit=st.sampled_from(["m", "cm", "mm"]))
def test_any_storey_in_any_unit_is_recognised(width: float, depth: float, height: float, unit: str) -> None:
    from lidar.options import UNIT_SCALE
    from lidar.readers import _looks_like

    span_read_as_metres = np.array([width, depth, height]) / UNIT_SCALE[unit]
    assert _looks_like(span_read_as_metres, "m") == unit


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


def test_a_streamed_file_is_thinned_as_in_one_pass_with_bounded_chunks(
        tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a LAZ file not sorted in space, whose header gives no usable box, are merged and
    re-thinned as they come (so memory stays near the thinned cloud): the result is the one-pass
    thinning, point for point."""

    from lidar import readers
    from lidar.preprocess import voxel_downsample

    pts = _room(rng, 20000)
    _write_las(tmp_path / "s.laz", pts)
    whole = voxel_downsample(read(tmp_path / "s.laz"), 0.2)
    monkeypatch.setattr(readers, "_CHUNK", 1500)
    monkeypatch.setattr(readers, "_MERGE_POINTS", 3000)
    monkeypatch.setattr(readers, "_las_box", lambda path: None)
    merges = _count_thinning(monkeypatch)
    assert np.array_equal(read(tmp_path / "s.laz", voxel=0.2), whole)
    # Never more than twice the thinned cloud (or the merge bound) and a chunk at once.
    assert max(merges) <= 2 * max(3000, len(whole)) + 1500
    assert len(merges) - 14 <= 4  # 14 chunks thinned, and few merges


@pytest.mark.parametrize("box", ["header", "too small"])
def test_a_file_with_a_box_is_thinned_against_the_voxels_kept_as_in_one_pass(
        tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch, box: str) -> None:
    """With the box of the points known from the LAS header, each chunk is thinned against a map of
    the voxels kept so far, without merging (a 100 M-point file in no spatial order spent most of its
    reading merging); a header whose box misses points switches to merging, with the same result."""

    from lidar import readers
    from lidar.preprocess import voxel_downsample

    pts = _room(rng, 20000)
    _write_las(tmp_path / "s.las", pts)
    whole = voxel_downsample(read(tmp_path / "s.las"), 0.2)
    monkeypatch.setattr(readers, "_CHUNK", 1500)
    if box == "too small":  # the header lies: the last metre of the room lies outside its box
        monkeypatch.setattr(readers, "_las_box", lambda path: (np.zeros(3), np.array([4.0, 4.0, 2.8])))
    merges = _count_thinning(monkeypatch)
    assert np.array_equal(read(tmp_path / "s.las", voxel=0.2), whole)
    assert (merges == []) == (box == "header")


def test_reading_reports_progress_part_by_part(tmp_path: Path, rng: np.random.Generator,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A LAS file read in chunks reports each one (a 100 M-point file takes minutes to read); a
    file read whole reports one part."""

    from lidar import readers

    pts = _room(rng, 5000)
    _write_las(tmp_path / "s.las", pts)
    monkeypatch.setattr(readers, "_CHUNK", 2000)
    seen: list[tuple[int, int]] = []
    read(tmp_path / "s.las", voxel=0.1, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    write_cloud(pts, tmp_path / "s.ply")
    seen.clear()
    read(tmp_path / "s.ply", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 1)]
