"""Room segmentation: gaps in walls do not merge rooms, furniture does not split them."""

from __future__ import annotations

import numpy as np

from lidar.options import ExtractOptions
from lidar.rooms import segment_rooms

CELL = 0.05


def _two_rooms(gap: float) -> tuple[np.ndarray, np.ndarray]:
    interior = np.zeros((100, 200), dtype=bool)
    interior[10:90, 10:190] = True
    barrier = np.zeros_like(interior)
    barrier[10:90, 98:102] = True  # a 20 cm partition at x = 5 m
    g = int(gap / CELL)
    barrier[50 : 50 + g, 98:102] = False  # an occluded stretch of it
    return interior, barrier


def test_gap_narrower_than_seed_diameter_keeps_rooms_apart() -> None:
    interior, barrier = _two_rooms(0.6)
    seg = segment_rooms(interior, barrier, interior, CELL, ExtractOptions())
    assert seg.labels.max() == 2
    # They meet on the partition's centre line.
    assert set(np.unique(seg.labels[50, 95:100])) == {1} or set(np.unique(seg.labels[50, 95:100])) == {2}
    assert seg.labels[20, 99] != seg.labels[20, 101]


def test_furniture_does_not_split_a_room() -> None:
    interior = np.zeros((100, 200), dtype=bool)
    interior[10:90, 10:190] = True
    barrier = np.zeros_like(interior)
    barrier[35:65, 90:110] = True  # a 1.5 x 1 m table block in the middle, free floor round it
    seg = segment_rooms(interior, barrier, interior, CELL, ExtractOptions())
    assert seg.labels.max() == 1
    assert (seg.labels[interior] == 1).all()


def test_cells_given_to_a_seed_beyond_a_wall_go_back_to_their_own_room() -> None:
    """Two rooms split by a wall that stops short of the outer wall (the strip the hull adds beyond
    it joins them). Cells by the wall on the west are nearer in a straight line to the east seed;
    those that reach it only through the west room's cells were kept (the west room of the sample
    hospital's second storey, turned 30 degrees, then merged with its neighbour over them)."""
    from lidar.rooms import _grow

    free = np.ones((30, 40), dtype=bool)
    free[:26, 20] = False  # the wall, open over its last 4 rows
    free[10, 12:20] = False  # a cabinet's face across the west room, to the wall
    seeds = np.zeros(free.shape, dtype=np.int32)
    seeds[:, :3] = 1
    seeds[:, 22:25] = 2
    lab = _grow(seeds, free)
    assert (lab[:10, :20] == 1).all()  # cut off from the gap by the cabinet: the west room's
    assert (lab[:, 21:] == 2).all()
