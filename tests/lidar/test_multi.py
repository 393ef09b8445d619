"""One file per storey: one building when the files share a frame, an error naming the file when not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lidar.errors import ScanFileError
from lidar.extract import extract
from lidar.multi import read_storeys
from lidar.writers import write_cloud


def _split(points: np.ndarray, tmp: Path, *, own_floor: bool = False) -> list[Path]:
    """The tower's scan cut into one PLY per storey (optionally each with its floor at 0)."""
    files = []
    for k in range(3):
        part = points[(points[:, 2] >= 3.4 * k - 0.3) & (points[:, 2] < 3.4 * (k + 1) - 0.3)].copy()
        if own_floor:
            part[:, 2] -= 3.4 * k
        files.append(write_cloud(part, tmp / f"storey{k}.ply"))
    return files


def test_storey_files_in_one_frame_make_one_building(tower_scan: np.ndarray, tmp_path: Path) -> None:
    files = _split(tower_scan, tmp_path)
    fac = extract(files).facility
    assert [lv.id for lv in fac.levels] == ["L0", "L1", "L2"]
    assert len(fac.stairs) == 2 and all(len(s.spaces) == 3 for s in fac.stairs)
    assert fac.metadata["source"] == " + ".join(str(f) for f in files)


def test_storeys_each_at_height_zero_are_stacked_by_their_elevations(tower_scan: np.ndarray,
                                                                     tmp_path: Path) -> None:
    files = _split(tower_scan, tmp_path, own_floor=True)
    with pytest.raises(ScanFileError, match="elevation"):
        read_storeys(files)
    pts = read_storeys(files, elevations=[0.0, 3.4, 6.8])
    assert abs(np.quantile(pts[:, 2], 0.999) - tower_scan[:, 2].max()) < 0.3


def test_storey_off_to_the_side_is_an_error_naming_the_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    below = rng.uniform((0, 0, 0), (20, 10, 3), (5000, 3))
    beside = rng.uniform((60, 0, 3.5), (80, 10, 6.5), (5000, 3))
    a, b = tmp_path / "g.xyz", tmp_path / "f1.xyz"
    np.savetxt(a, below)
    np.savetxt(b, beside)
    with pytest.raises(ScanFileError, match=r"f1\.xyz.*not in one frame"):
        read_storeys([a, b])
    with pytest.raises(ScanFileError, match="one per file"):
        read_storeys([a, b], elevations=[0.0])
