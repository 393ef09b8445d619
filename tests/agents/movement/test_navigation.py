"""Level rasters and local distance fields."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.movement.navigation import build_grid, compute_field
from scenarios.evacuation.testbeds import l_corner, room


def test_field_matches_euclidean_in_open_room() -> None:
    fac = room(12, 8, [("E", 12.0, 4.0, 1.0)])
    g = build_grid(fac, "L0", 0.1)
    src = g.exit >= 0
    f = compute_field(g, g.space == 0, src, clearance=0.0, wall_range=1e-6)
    # Cells in the middle of the room, far from walls: no shorter than the straight line to the
    # nearest point of the 1 m opening (x = 12, 3.5 <= y <= 4.5), and within 4 % of the straight
    # line to its middle (the metric error of the 16-neighbour grid).
    for x, y in [(2.0, 4.0), (6.0, 1.5), (9.0, 6.0)]:
        i, j = g.cell_of(np.array([[x, y]]))
        d = f.dist[i[0] - f.i0, j[0] - f.j0]
        nearest = np.hypot(12.0 - x, 4.0 - np.clip(y, 3.5, 4.5))
        assert 0.96 * nearest <= d <= 1.04 * np.hypot(12.0 - x, 4.0 - y)


def test_field_goes_round_the_corner() -> None:
    fac = l_corner(12.0, 2.0)
    g = build_grid(fac, "L0", 0.1)
    f = compute_field(g, g.space == 0, g.exit >= 0, clearance=0.2)
    i, j = g.cell_of(np.array([[1.0, 1.0]]))
    d = f.dist[i[0] - f.i0, j[0] - f.j0]
    assert d > 10.0 + 11.0 - 2.0  # along both arms, not through the wall
    v = f.direction[i[0] - f.i0, j[0] - f.j0]
    assert v[0] > 0.9  # first walk along the first arm (east)


@settings(max_examples=20, deadline=None)
@given(x=st.floats(0.0, 8.0), y=st.floats(0.0, 5.0))
def test_wall_bound_is_a_lower_bound(x: float, y: float) -> None:
    """The raster's wall distance never overstates the true distance to a wall (by more than a cell)."""
    fac = room(8, 5, [("E", 8.0, 2.5, 1.0)])
    g = build_grid(fac, "L0", 0.1)
    i, j = g.cell_of(np.array([[x, y]]))
    c = g.centre(i, j)[0]
    true = min(c[0], c[1], 5.0 - c[1], 8.0 - c[0] if abs(c[1] - 2.5) > 0.5 else 99.0)
    if g.space[i[0], j[0]] >= 0:
        assert g.wall[i[0], j[0]] <= true + 1e-9
