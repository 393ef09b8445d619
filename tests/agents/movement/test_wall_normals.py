"""The wall push: away from the nearest wall, sideways only between a doorway's jambs."""

from __future__ import annotations

import numpy as np
import pytest

from agents.movement.navigation import LevelGrid, build_grid
from agents.movement.wall_normals import PASSAGE_MARGIN, away_from_walls, wall_push
from facility.mobility import BED
from scenarios.evacuation.testbeds import room


def _at(grid_normals: np.ndarray, grid: LevelGrid, x: float, y: float) -> np.ndarray:
    i, j = grid.cell_of(np.array([[x, y]]))
    return np.asarray(grid_normals[i[0], j[0]])


@pytest.mark.parametrize("side", ["north", "east"])
def test_between_the_jambs_the_push_never_leans_back_out_of_the_door(side: str) -> None:
    """In a 1.1 m exit (a bed's exact width), between the jambs the push has no part across the
    door line, points to the opening's centre line from either side and fades to nothing on it;
    at a jamb's corner, and along a plain wall, it is the whole push away from the wall."""
    w, d = 5.5, 4.0
    fac = room(w, d, [("E", w / 2, d, BED.min_door_width)] if side == "north"
               else [("E", w, d / 2, BED.min_door_width)])
    g = build_grid(fac, "L0", 0.1)
    away = away_from_walls(g)
    n = wall_push(g, fac, away)
    assert np.array_equal(away, away_from_walls(g))  # placement's normals are left as they are
    # (across the door line, along it) in the room's frame
    def frame(v: np.ndarray) -> tuple[float, float]:
        return (float(v[1]), float(v[0])) if side == "north" else (float(v[0]), float(v[1]))

    def point(along: float, depth: float) -> tuple[float, float]:
        return (along, d - depth) if side == "north" else (w - depth, along)

    centre = w / 2 if side == "north" else d / 2
    x0 = g.x0 if side == "north" else g.y0
    for depth in (0.25, 0.1, 0.0, -0.1):
        for off in (-0.2, -0.1, -0.04, 0.0, 0.04, 0.1, 0.2):
            across, along = frame(_at(n, g, *point(centre + off, depth)))
            assert across == 0.0
            cell = x0 + (np.floor((centre + off - x0) / g.h) + 0.5) * g.h  # its cell's centre
            assert along * (cell - centre) <= 0.0  # towards the centre line
            if abs(cell - centre) < 1e-3:
                assert abs(along) < 0.05  # the two jambs' pushes cancel
    # Beside a jamb, within PASSAGE_MARGIN of it: pushed off the corner, backwards too.
    jamb = centre - BED.min_door_width / 2
    v = _at(n, g, *point(jamb + PASSAGE_MARGIN / 3, 0.15))
    assert frame(v)[0] < -0.3 and np.hypot(*v) == pytest.approx(1.0)
    # A plain wall pushes straight off itself.
    v = _at(n, g, *((1.0, d - 0.15) if side == "north" else (w - 0.15, 0.8)))
    assert frame(v)[0] == pytest.approx(-1.0, abs=0.02)
