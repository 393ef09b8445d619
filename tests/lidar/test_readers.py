"""The one reader: every format reads back what was written; every bad file gets an error naming it;
large files are streamed and thinned as in one pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lidar.errors import ScanFileError
from lidar.readers import read
from lidar.writers import write_cloud

from .conftest import room_cloud, write_las


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
    pts = room_cloud(rng)
    path = write_cloud(pts, tmp_path / f"scan{ext}")
    back = read(path)
    assert back.shape == pts.shape
    np.testing.assert_allclose(np.sort(back, axis=0), np.sort(pts, axis=0), atol=1e-3)


@pytest.mark.parametrize("ext", [".las", ".laz"])
def test_las_and_laz_streamed_and_thinned(tmp_path: Path, rng: np.random.Generator, ext: str) -> None:

    pts = room_cloud(rng, 5000)
    write_las(tmp_path / f"s{ext}", pts)
    back = read(tmp_path / f"s{ext}")
    assert len(back) == len(pts)
    thinned = read(tmp_path / f"s{ext}", voxel=0.5)
    assert len(thinned) <= 11 * 9 * 6  # voxels the 5 x 4 x 2.8 m box can touch
    # One point per 0.5 m voxel: no two share a voxel.
    keys = {tuple(k) for k in np.floor(thinned / 0.5).astype(int)}
    assert len(keys) == len(thinned)


def test_units_mm_scales(tmp_path: Path, rng: np.random.Generator) -> None:
    pts = room_cloud(rng) * 1000
    path = write_cloud(pts, tmp_path / "mm.ply")
    with pytest.raises(ScanFileError, match="units mm"):
        read(path)
    np.testing.assert_allclose(read(path, units="mm").max(axis=0), pts.max(axis=0) / 1000, atol=1e-6)


def test_a_scan_in_metres_read_as_millimetres_is_named_though_thinning_collapses_it(
        tmp_path: Path, rng: np.random.Generator) -> None:
    # regression: read as mm, the room fitted in one 5 cm voxel and was called "no vertical extent"
    path = write_cloud(room_cloud(rng), tmp_path / "m.ply")
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


def test_a_fifo_or_device_is_refused_without_reading(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.ply"
    os.mkfifo(fifo)
    with pytest.raises(ScanFileError, match="FIFO"):
        read(fifo)


def test_a_streamed_file_is_thinned_as_in_one_pass_with_bounded_chunks(
        tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a LAZ file not sorted in space, whose header gives no usable box, are merged and
    re-thinned as they come (so memory stays near the thinned cloud): the result is the one-pass
    thinning, point for point."""

    from lidar import readers, survey_files
    from lidar.preprocess import voxel_downsample

    pts = room_cloud(rng, 20000)
    write_las(tmp_path / "s.laz", pts)
    whole = voxel_downsample(read(tmp_path / "s.laz"), 0.2)
    monkeypatch.setattr(survey_files, "CHUNK", 1500)
    monkeypatch.setattr(readers, "_MERGE_POINTS", 3000)
    monkeypatch.setattr(readers, "las_box", lambda path: None)
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

    from lidar import readers, survey_files
    from lidar.preprocess import voxel_downsample

    pts = room_cloud(rng, 20000)
    write_las(tmp_path / "s.las", pts)
    whole = voxel_downsample(read(tmp_path / "s.las"), 0.2)
    monkeypatch.setattr(survey_files, "CHUNK", 1500)
    if box == "too small":  # the header lies: the last metre of the room lies outside its box
        monkeypatch.setattr(readers, "las_box", lambda path: (np.zeros(3), np.array([4.0, 4.0, 2.8])))
    merges = _count_thinning(monkeypatch)
    assert np.array_equal(read(tmp_path / "s.las", voxel=0.2), whole)
    assert (merges == []) == (box == "header")


def test_reading_reports_progress_part_by_part(tmp_path: Path, rng: np.random.Generator,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A LAS file read in chunks reports each one (a 100 M-point file takes minutes to read); a
    file read whole reports one part."""

    from lidar import survey_files

    pts = room_cloud(rng, 5000)
    write_las(tmp_path / "s.las", pts)
    monkeypatch.setattr(survey_files, "CHUNK", 2000)
    seen: list[tuple[int, int]] = []
    read(tmp_path / "s.las", voxel=0.1, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    write_cloud(pts, tmp_path / "s.ply")
    seen.clear()
    read(tmp_path / "s.ply", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 1)]
