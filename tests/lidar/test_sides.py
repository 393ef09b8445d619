"""Corridor-side rooms: partitions found where they meet the corridor wall, doors measured in its gaps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from lidar.grid import Grid
from lidar.options import ExtractOptions
from lidar.sides import SideRoom, corridor_frame, side_rooms

PITCH = 0.02


def _line(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    n = max(2, int(np.hypot(x1 - x0, y1 - y0) / PITCH) + 1)
    return np.column_stack([np.linspace(x0, x1, n), np.linspace(y0, y1, n)])


def floor_walls(doors: list[tuple[float, float]], *, partitions: tuple[float, ...] = (0.0, 4.0, 8.0, 12.0),
                half: float = 1.2, depth: float = 5.0, stub: bool = False) -> np.ndarray:
    """Wall points (plan) of a corridor along x with rooms on the +y side.

    ``doors`` are (centre x, clear width) gaps in the corridor wall at y = +half;
    the -y side is a plain wall.  With ``stub`` the partitions stop 0.4 m short
    of the corridor wall (their feet hidden by furniture).
    """
    x0, x1 = partitions[0], partitions[-1]
    pts = [_line(x0, -half, x1, -half), _line(x0, half + depth, x1, half + depth)]
    edges = [x0, *sorted(e for c, w in doors for e in (c - w / 2, c + w / 2)), x1]
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        pts.append(_line(a, half, b, half))
    for p in partitions:
        pts.append(_line(p, half + (0.4 if stub else 0.0), p, half + depth))
    return np.concatenate(pts)


def _wall_grid(xy: np.ndarray, cell: float = 0.05) -> tuple[Grid, np.ndarray]:
    grid = Grid.covering(xy, cell)
    wall = np.zeros(grid.shape, dtype=bool)
    wall[grid.cells(xy)] = True
    return grid, wall


def _rooms(xy: np.ndarray, side: int = 1) -> list[SideRoom]:
    grid, wall = _wall_grid(xy)
    band = np.repeat(xy, 5, axis=0)  # several heights of the wall band per plan point
    frame = corridor_frame(box(xy[:, 0].min(), -1.1, xy[:, 0].max(), 1.1), angle=0.0)
    return side_rooms(grid, wall, band, frame, side, opt=ExtractOptions())


def test_one_room_between_each_pair_of_partitions() -> None:
    rooms = _rooms(floor_walls([(2.0, 0.9), (5.0, 1.2), (10.5, 0.8)]))
    assert len(rooms) == 3
    xs = sorted((r.polygon.bounds[0], r.polygon.bounds[2]) for r in rooms)
    for (lo, hi), (a, b) in zip(xs, [(0, 4), (4, 8), (8, 12)], strict=True):
        assert abs(lo - a) < 0.1 and abs(hi - b) < 0.1
    widths = sorted(round(w, 2) for r in rooms for _, w in r.doors)
    assert widths == sorted(round(w, 2) for w in (0.9 + PITCH, 1.2 + PITCH, 0.8 + PITCH)) or all(
        abs(a - b) <= 0.05 for a, b in zip(widths, [0.8, 0.9, 1.2], strict=True))
    for r in rooms:
        assert r.polygon.bounds[3] > 6.0  # out to the facade at y = 6.2


def test_partitions_need_not_touch_the_corridor_wall() -> None:
    rooms = _rooms(floor_walls([(2.0, 0.9), (6.0, 0.9), (10.0, 0.9)], stub=True))
    assert len(rooms) == 3
    assert all(len(r.doors) == 1 for r in rooms)


def test_plain_wall_side_has_no_rooms_with_doors() -> None:
    rooms = _rooms(floor_walls([(2.0, 0.9)]), side=-1)
    assert not any(r.doors for r in rooms)


def test_too_wide_and_too_narrow_gaps_are_not_doors() -> None:
    rooms = _rooms(floor_walls([(2.0, 0.4), (6.0, 2.6), (10.0, 1.0)]))
    doors = [(xy, w) for r in rooms for xy, w in r.doors]
    assert len(doors) == 1
    assert abs(doors[0][0][0] - 10.0) < 0.05


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.7, 1.6), min_size=3, max_size=3), st.lists(st.floats(-0.8, 0.8), min_size=3,
                                                                        max_size=3))
def test_door_width_and_position_are_measured(widths: list[float], offsets: list[float]) -> None:
    doors = [(2.0 + 4.0 * k + offsets[k], widths[k]) for k in range(3)]
    rooms = sorted(_rooms(floor_walls(doors)), key=lambda r: r.polygon.bounds[0])
    assert len(rooms) == 3
    for r, (cx, w) in zip(rooms, doors, strict=True):
        assert len(r.doors) == 1
        (x, y), found = r.doors[0]
        # Jambs are measured on points PITCH apart: the gap is found to within two spacings.
        assert abs(found - w) <= 2 * PITCH + 1e-9
        assert abs(x - cx) <= PITCH + 1e-9
        assert abs(y - 1.2) <= 0.06


def test_options_disable_short_partitions() -> None:
    xy = floor_walls([(2.0, 0.9), (6.0, 0.9), (10.0, 0.9)])
    grid, wall = _wall_grid(xy)
    frame = corridor_frame(box(0, -1.1, 12, 1.1), angle=0.0)
    opt = replace(ExtractOptions(), side_partition_min_length=6.0, side_partition_probe=6.0)
    rooms = side_rooms(grid, wall, np.repeat(xy, 5, axis=0), frame, 1, opt=opt)
    assert len(rooms) == 1  # no partition is 6 m long: the whole side is one stretch
    assert len(rooms[0].doors) == 3


def test_occupancy_map_widths_add_one_voxel_as_other_doors_do() -> None:
    # Voxel centres every 8 cm; 10 voxels of the corridor wall left open at x = 2.0-2.8.
    v = 0.08
    xs = np.arange(0.0, 12.0 + 1e-9, v)
    wall = xs[(xs < 2.0 - 1e-9) | (xs > 2.8 + 1e-9)]
    side_walls = [np.column_stack([np.full(len(t), p), t]) for p in (0.0, 4.0, 8.0, 12.0)
                  for t in [np.arange(1.2 + v, 6.2, v)]]
    xy = np.concatenate([np.column_stack([wall, np.full(len(wall), 1.2)]),
                         np.column_stack([xs, np.full(len(xs), -1.2)]),
                         np.column_stack([xs, np.full(len(xs), 6.2)]), *side_walls])
    grid, mask = _wall_grid(xy, cell=0.084)
    frame = corridor_frame(box(0, -1.1, 12, 1.1), angle=0.0)
    rooms = side_rooms(grid, mask, np.repeat(xy, 5, axis=0), frame, 1, opt=ExtractOptions(), lattice=v)
    doors = [w for r in rooms for _, w in r.doors]
    assert doors == [pytest.approx(2.88 - 1.92)]


def test_a_short_extra_gap_is_not_a_second_door() -> None:
    rooms = _rooms(floor_walls([(1.5, 1.0), (3.0, 0.65), (6.0, 0.9), (7.0, 0.85)]))
    by_room = sorted((r.polygon.bounds[0], sorted(round(w, 2) for _, w in r.doors)) for r in rooms)
    assert [len(d) for _, d in by_room] == [1, 2, 0]
    assert by_room[0][1][0] > 0.95 and min(by_room[1][1]) > 0.8
