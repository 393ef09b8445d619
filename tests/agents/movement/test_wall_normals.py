"""The wall push: away from the nearest wall, sideways only between a doorway's jambs."""

from __future__ import annotations

import numpy as np
import pytest

from agents.movement.navigation import LevelGrid, build_grid
from agents.movement.pedestrians import SpeedModel
from agents.movement.wall_normals import PASSAGE_MARGIN, away_from_walls, passages, push_at
from facility.mobility import BED, WHEELCHAIR
from scenarios.evacuation.testbeds import room

_RANGE = SpeedModel().wall_range


def _push(grid: LevelGrid, normals: np.ndarray, lines: np.ndarray, x: float, y: float) -> np.ndarray:
    i, j = grid.cell_of(np.array([[x, y]]))
    return np.array(push_at(normals[i[0], j[0]], lines[i[0], j[0]], x, y, _RANGE))


@pytest.mark.parametrize("side", ["north", "east"])
def test_between_the_jambs_the_push_never_leans_back_out_of_the_door(side: str) -> None:
    """In a 1.1 m exit (a bed's exact width), between the jambs the push has no part across the
    door line, points to the opening's centre line from the mover's own side of it and fades to
    nothing on it; at a jamb's corner, and along a plain wall, it is the whole push away from the
    wall."""
    w, d = 5.5, 4.0
    fac = room(w, d, [("E", w / 2, d, BED.min_door_width)] if side == "north"
               else [("E", w, d / 2, BED.min_door_width)])
    g = build_grid(fac, "L0", 0.1)
    away = away_from_walls(g)
    lines = passages(g, fac)
    # (across the door line, along it) in the room's frame
    def frame(v: np.ndarray) -> tuple[float, float]:
        return (float(v[1]), float(v[0])) if side == "north" else (float(v[0]), float(v[1]))

    def point(along: float, depth: float) -> tuple[float, float]:
        return (along, d - depth) if side == "north" else (w - depth, along)

    centre = w / 2 if side == "north" else d / 2
    for depth in (0.25, 0.1, 0.0, -0.1):
        for off in (-0.2, -0.1, -0.04, -0.01, 0.0, 0.01, 0.04, 0.1, 0.2):
            across, along = frame(_push(g, away, lines, *point(centre + off, depth)))
            assert across == 0.0
            assert along * off <= 0.0  # towards the centre line
            assert abs(along) == pytest.approx(1.0 - np.exp(-2 * abs(off) / _RANGE))
    # Beside a jamb, within PASSAGE_MARGIN of it: pushed off the corner, backwards too.
    jamb = centre - BED.min_door_width / 2
    v = _push(g, away, lines, *point(jamb + PASSAGE_MARGIN / 3, 0.15))
    assert frame(v)[0] < -0.3 and np.hypot(*v) == pytest.approx(1.0)
    # A plain wall pushes straight off itself.
    v = _push(g, away, lines, *((1.0, d - 0.15) if side == "north" else (w - 0.15, 0.8)))
    assert frame(v)[0] == pytest.approx(-1.0, abs=0.02)


def test_a_mover_is_pushed_towards_the_centre_line_from_its_own_side_within_one_cell() -> None:
    """Two points of one cell, on either side of an exit's centre line, are pushed towards it from
    each side: a wheelchair 4 cm off the centre of a 0.8 m exit (its exact width), whose cell's
    centre lay across the line, was pushed by the cell towards the nearer jamb and stopped short
    of the exit for good."""
    w, d = 7.89, 5.42  # the exit's centre line, x = 3.945, crosses a cell of the 0.1 m raster
    fac = room(w, d, [("E", w / 2, d, WHEELCHAIR.min_door_width)])
    g = build_grid(fac, "L0", 0.1)
    away, lines = away_from_walls(g), passages(g, fac)
    y = d - 0.05
    left, right = np.array([[w / 2 - 0.03, y]]), np.array([[w / 2 + 0.03, y]])
    assert tuple(np.concatenate(g.cell_of(left))) == tuple(np.concatenate(g.cell_of(right)))
    assert _push(g, away, lines, *left[0])[0] > 0.5
    assert _push(g, away, lines, *right[0])[0] < -0.5
