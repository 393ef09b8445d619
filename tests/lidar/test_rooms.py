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


def test_a_pocket_between_a_cabinet_and_the_door_stays_part_of_its_room() -> None:
    """A cabinet open towards the bay's door, 1 m inside it, leaves a pocket wide enough to seed a
    region; it is open to the bay along both sides, but a scan thinned to its spacing shows floor
    in only about 60 % of open cells, and counted on the returns alone the pocket stayed a room and
    took the bay's door (the sample hospital turned 45 degrees lost an 81 m^2 bay so)."""
    from lidar.rooms import seen_cells

    interior = np.zeros((170, 200), dtype=bool)
    interior[5:165, 5:195] = True
    barrier = np.zeros_like(interior)
    barrier[120:123, :] = True  # the bay's wall on the corridor, the door's closure in it
    barrier[82:84, 82:100] = True  # the cabinet's back, 1.8 m from the door
    barrier[82:105, 82:84] = True  # its sides, open towards the door
    barrier[82:105, 98:100] = True
    returns = interior & (np.random.default_rng(3).random(interior.shape) < 0.6)
    returns[84:105, 84:98] = False  # no floor seen inside it
    seg = segment_rooms(interior, barrier, seen_cells(returns, occupancy_map=False), CELL, ExtractOptions())
    bay = seg.labels[50, 100]
    assert seg.labels.max() == 2  # the bay and the corridor
    assert (seg.labels[110:120, 85:97] == bay).all()


def test_no_room_runs_along_the_outside_of_its_neighbours_outer_wall() -> None:
    """The hull of a storey reaches the outer face of its outer wall all along the facade when the
    floor is seen in one exit's threshold; that unseen strip outside the wall is cut away, or the
    room with the exit grew along it round its neighbour's outer wall (the sample hospital turned
    45 degrees: the entrance hall's outer wall was left only as long as its main entrance)."""
    interior = np.zeros((80, 200), dtype=bool)
    interior[0:75, 5:195] = True  # rows 0-1: the strip the hull adds outside the outer wall
    barrier = np.zeros_like(interior)
    barrier[2:5, :] = True  # the outer wall
    barrier[2:75, 99:102] = True  # the partition between rooms A (west) and B (east)
    barrier[2:5, 40:64] = False  # A's exit, 1.2 m, its threshold floor seen to the outer face
    seen = interior.copy()
    seen[0:2, :] = False
    seen[0:5, 40:64] = True
    seg = segment_rooms(interior, barrier, seen, CELL, ExtractOptions())
    a, b = seg.labels[40, 50], seg.labels[40, 150]
    assert a != b and a > 0 and b > 0
    assert not (seg.labels[:, 102:195] == a).any()
    assert (seg.labels[1:3, 40:64] == a).all()  # A keeps its threshold


def _corridor_by_a_notch(notch_walled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 2 m corridor (seen) whose south wall has a 1.5 m stretch the scanner saw too little of;
    beyond it a 4 x 3 m notch never seen, open to the storey's edge (ground outside in the hull of
    an L) or, with ``notch_walled``, closed by a seen outer wall (a shaft, a void)."""
    interior = np.zeros((140, 240), dtype=bool)
    interior[20:120, 20:220] = True
    barrier = np.zeros_like(interior)
    barrier[80:84, 20:220] = True  # the corridor's south wall at y = 4 m
    barrier[80:84, 100:130] = False  # seen too little along 1.5 m
    barrier[20:84, 78:82] = barrier[20:84, 158:162] = True  # the notch's sides, x = 4 m and 8 m
    if notch_walled:
        barrier[20:24, 78:162] = True
    observed = interior.copy()
    observed[20:80, 82:158] = False  # nothing seen in the notch, floor or ceiling
    return interior, barrier, observed


def test_unseen_ground_reached_from_the_edge_is_not_taken_into_the_corridor_through_a_thin_wall() -> None:
    """An L of two wings at 30 degrees: the wall across the joint, seen at a grazing angle, filled too
    few cells, and the corridor took in 12 m^2 of the ground outside the joint (routes 11 % short)."""
    interior, barrier, observed = _corridor_by_a_notch(False)
    seg = segment_rooms(interior, barrier, observed, CELL, ExtractOptions(), open_ground=True)
    corridor, notch = seg.labels[100, 120], seg.labels[50, 120]
    assert corridor and notch and corridor != notch
    assert (seg.labels[86:118, 30:210] == corridor).mean() > 0.99


def test_an_unseen_void_behind_a_seen_wall_is_grown_as_before() -> None:
    """Ground the storey's edge does not reach (a void closed by a seen outer wall) is seeded with
    the floor it touches, as before: a stair's flights over the void stay part of the stair."""
    interior, barrier, observed = _corridor_by_a_notch(True)
    seg = segment_rooms(interior, barrier, observed, CELL, ExtractOptions(), open_ground=True)
    assert seg.labels[100, 120] == seg.labels[50, 120]
