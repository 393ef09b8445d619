"""Outlines from labelled cells share their edges exactly after simplification."""

from __future__ import annotations

import numpy as np

from lidar.grid import Grid
from lidar.polygons import region_polygons


def test_neighbours_share_their_wall_after_simplification() -> None:
    lab = np.zeros((60, 120), dtype=int)
    lab[5:55, 5:60] = 1
    lab[5:55, 60:115] = 2
    lab[5:8, 58:60] = 2  # a staircase notch the simplification straightens
    polys = region_polygons(lab, Grid(0.0, 0.0, 0.05, lab.shape), simplify=0.15)
    a, b = polys[1], polys[2]
    assert a.intersection(b).area < 1e-9  # no overlap
    shared = a.boundary.intersection(b.boundary)
    assert shared.length > 2.4  # the whole 2.5 m wall is one shared edge
    assert abs(a.area + b.area - 50 * 110 * 0.05**2) < 0.05
