"""Openings weighed against the segmentation: a door separates its sides, a beam over open floor does not."""

from __future__ import annotations

import numpy as np

from lidar.doors import Opening
from lidar.grid import Grid
from lidar.joins import separates

CELL = 0.05


def _floor(with_wall: bool) -> tuple[Grid, np.ndarray, np.ndarray]:
    """A 6 x 6 m floor, all seen, with (or without) a wall along y = 3 with a 1 m gap at x = 2.5-3.5."""
    g = Grid(0.0, 0.0, CELL, (120, 120))
    yy, xx = (np.mgrid[0:120, 0:120] + 0.5) * CELL
    walls = (np.abs(yy - 3.0) < 0.08) & ~((xx > 2.5) & (xx < 3.5))
    if not with_wall:
        walls[:] = False
    return g, walls, ~walls


def test_a_door_in_a_wall_separates_its_two_sides() -> None:
    g, walls, walkable = _floor(with_wall=True)
    door = Opening((3.0, 3.0), (1.0, 0.0), 1.0, 0.15)
    assert separates(g, walls, door, walkable)


def test_a_beam_over_open_floor_does_not() -> None:
    g, walls, walkable = _floor(with_wall=False)
    beam = Opening((3.0, 3.0), (1.0, 0.0), 1.0, 0.15)
    assert not separates(g, walls, beam, walkable)


def _wall_and_door(walls_end: float) -> tuple[Grid, np.ndarray, Opening]:
    """A wall along y = 0 from x = ``walls_end`` to 6 m with a 1.4 m door at x = 2.0-3.4."""
    g = Grid(-1.0, -3.0, 0.05, (120, 160))
    yy, xx = (np.mgrid[0:120, 0:160] + 0.5) * 0.05
    xx, yy = xx - 1.0, yy - 3.0
    walls = (np.abs(yy) < 0.075) & (xx > walls_end) & ~((xx > 2.0) & (xx < 3.4))
    return g, walls, Opening((2.7, 0.0), (1.0, 0.0), 1.4, 0.15)


def test_a_door_into_a_space_seen_only_through_it_separates_its_sides() -> None:
    """An open lift car in its dark shaft: the shaft's other walls were never seen, so the two sides
    of the landing door meet round the wall's end, but only over cells where no floor was seen."""
    g, walls, door = _wall_and_door(walls_end=1.0)
    yy, xx = (np.mgrid[0:120, 0:160] + 0.5) * 0.05
    xx, yy = xx - 1.0, yy - 3.0
    car = (yy < 0) & (yy > -1.5) & (xx > 2.0) & (xx < 3.4)
    walkable = (yy > 0.075) | car | (np.abs(yy) < 0.075) & (xx > 2.0) & (xx < 3.4)
    assert separates(g, walls, door, walkable)
    # Floor seen all round the wall's end: the sides meet there, as round a beam's ends.
    assert not separates(g, walls, door, np.ones_like(walls))
