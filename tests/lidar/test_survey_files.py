"""LAS/LAZ and E57 files read in parts: E57 scans are moved into one frame by their poses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lidar.errors import ScanFileError
from lidar.readers import read

from .conftest import room_cloud, write_las


def test_e57_scans_are_merged_with_their_poses(tmp_path: Path, rng: np.random.Generator) -> None:
    import pye57

    a = room_cloud(rng, 500)
    path = str(tmp_path / "two.e57")
    e57 = pye57.E57(path, mode="w")
    for shift in (0.0, 10.0):
        data = {"cartesianX": a[:, 0], "cartesianY": a[:, 1], "cartesianZ": a[:, 2]}
        e57.write_scan_raw(data, rotation=np.array([1.0, 0, 0, 0]), translation=np.array([shift, 0.0, 0.0]))
    e57.close()
    back = read(path)
    assert len(back) == 1000
    assert back[:, 0].max() > 10.0 + a[:, 0].max() - 1e-6  # the second scan moved by its pose


def test_a_truncated_las_is_named_before_any_chunk_is_read(tmp_path: Path, rng: np.random.Generator) -> None:
    """laspy read what it could and then failed in numpy: 'buffer size must be a multiple of element size'."""
    path = tmp_path / "s.las"
    write_las(path, room_cloud(rng, 1000))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 10 * 34 - 5])  # 10 point records and 5 bytes short
    with pytest.raises(ScanFileError, match=r"the LAS header declares 1000 points \(34000 bytes\) but only "
                                            r"33655 bytes follow; the file is truncated"):
        read(path)


def test_a_truncated_e57_is_named_in_one_short_line(tmp_path: Path, rng: np.random.Generator) -> None:
    """libE57's message ran to 375 characters of debug context."""
    import pye57

    a = room_cloud(rng, 500)
    path = tmp_path / "s.e57"
    e57 = pye57.E57(str(path), mode="w")
    e57.write_scan_raw({"cartesianX": a[:, 0], "cartesianY": a[:, 1], "cartesianZ": a[:, 2]})
    e57.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ScanFileError) as err:
        read(path)
    assert err.value.message == (f"the E57 header declares {len(data)} bytes but the file holds "
                                 f"{len(data) // 2}; the file is truncated")
