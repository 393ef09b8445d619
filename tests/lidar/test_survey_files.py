"""LAS/LAZ and E57 files read in parts: E57 scans are moved into one frame by their poses."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lidar.readers import read

from .conftest import room_cloud


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
