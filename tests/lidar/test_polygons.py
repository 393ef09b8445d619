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


def test_a_hole_meeting_the_outline_at_a_corner_is_opened_so_the_space_is_valid() -> None:
    """Unlabelled cells touching the outside only at a cell's corner made a hole whose ring touches the
    outline: the facility refused the space ('a hole must lie strictly inside the space'), so a sparse
    scan of a real floor failed with 'facility is invalid'."""
    lab = np.zeros((8, 8), dtype=int)
    lab[1:7, 1:7] = 1
    lab[1, 1] = 0  # a notch in the corner ...
    lab[2, 2] = 0  # ... and a wall cell meeting it at a corner
    lab[4, 4] = 0  # a column strictly inside stays a hole
    (poly,) = region_polygons(lab, Grid(0.0, 0.0, 1.0, lab.shape), simplify=0.0).values()
    assert poly.is_valid and not any(ring.intersects(poly.exterior) for ring in poly.interiors)
    assert len(poly.interiors) == 1
    assert abs(poly.area - 33.0) < 1e-3  # 36 cells less 3: only a sliver is cut where they met
