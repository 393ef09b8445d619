"""Level rasters and local distance fields."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from agents.movement.csm_kernel import footprint_room, room_at
from agents.movement.navigation import EXACT_REACH, LevelGrid, build_grid, compute_field, opening_room
from facility.mobility import BED, MOBILITIES, STAFF
from scenarios.evacuation.testbeds import l_corner, room, store_on_corridor


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


def _scipy_distances(g: LevelGrid, use: np.ndarray, src: np.ndarray, wall_range: float = 0.5) -> np.ndarray:
    """Walking distances by scipy's Dijkstra over the explicit 16-neighbour graph of ``use``
    (moves cut only through cells of ``use``; an edge costs its length times the mean of its two
    cells' wall costs): the reference the compiled field is held to."""
    offsets = [(0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1),
               (1, 2), (2, 1), (-1, 2), (-2, 1), (1, -2), (2, -1), (-1, -2), (-2, -1)]
    rows, cols = np.nonzero(use)
    i0, i1, j0, j1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    win = use[i0:i1, j0:j1]
    ni, nj = win.shape
    idx = np.full(win.shape, -1, np.int64)
    idx[win] = np.arange(int(win.sum()))
    cost = 1.0 + 2.0 * np.clip((wall_range - g.wall[i0:i1, j0:j1]) / wall_range, 0.0, 1.0)
    a_all, b_all, w_all = [], [], []
    for di, dj in offsets:
        si, sj = int(np.sign(di)), int(np.sign(dj))
        through = {(si, 0), (0, sj), (di - si, dj), (di, dj - sj)} - {(0, 0), (di, dj)} \
            if abs(di) + abs(dj) > 1 else set()
        for i, j in zip(*np.nonzero(win), strict=True):
            cells = [(i + di, j + dj)] + [(i + ci, j + cj) for ci, cj in through]
            if all(0 <= ci < ni and 0 <= cj < nj and win[ci, cj] for ci, cj in cells):
                a_all.append(idx[i, j])
                b_all.append(idx[i + di, j + dj])
                w_all.append(g.h * math.hypot(di, dj) * 0.5 * (cost[i, j] + cost[i + di, j + dj]))
    n = int(win.sum())
    graph = coo_matrix((w_all, (a_all, b_all)), shape=(n, n)).tocsr()
    d = dijkstra(graph, directed=True, indices=idx[src[i0:i1, j0:j1]], min_only=True)
    out = np.full(win.shape, np.inf)
    out[win] = d
    return out


@settings(max_examples=5, deadline=None)
@given(door=st.floats(0.8, 1.6), arm=st.floats(1.2, 3.0), corner=st.booleans(),
       clearance=st.sampled_from([0.0, 0.25, 0.5]))
def test_field_distances_are_the_shortest_paths_of_scipy(door: float, arm: float, corner: bool,
                                                          clearance: float) -> None:
    """The compiled Dijkstra gives bit for bit the distances scipy's gives on the same graph (a
    shortest distance is the least of its in-neighbours' distance plus the edge, whatever the
    order cells are settled in): a store off a corridor, or an L-shaped corridor, to its exit."""
    fac = l_corner(6.0, arm) if corner else store_on_corridor(door)
    g = build_grid(fac, "L0", 0.1)
    ok = (g.space >= 0) & (g.wall >= clearance - g.h / math.sqrt(2)) & (g.gate >= clearance)
    src = (g.exit >= 0) & (g.wall > -0.5)
    f = compute_field(g, g.space >= 0, g.exit >= 0, clearance)
    ref = _scipy_distances(g, ok | src, src)
    assert np.isfinite(f.dist).sum() > 100
    np.testing.assert_array_equal(f.dist, ref)


@settings(max_examples=6, deadline=None)
@given(door=st.floats(0.8, 1.6), closed=st.booleans(), seed=st.integers(0, 2**16))
def test_room_floor_is_a_lower_bound_of_the_footprint_room(door: float, closed: bool, seed: int) -> None:
    """Steps skip the exact room where the cell's floor clears the footprint: the floor must never
    exceed the room anywhere in the cell, by the door, at the jambs, and once the door is closed."""
    g = build_grid(store_on_corridor(door), "L0", 0.1)
    if closed:
        g.close_door("D")
    pts = np.random.default_rng(seed).uniform((-0.5, -0.5), (10.5, 5.5), (2500, 2))
    i, j = g.cell_of(pts)
    room = np.array([footprint_room(g.wall, g.slope, g.gate, x, y, g.x0, g.y0, g.h) for x, y in pts])
    assert (g.floor[i, j] <= room).all()
    assert (g.floor[i, j] > room - 0.3).mean() > 0.5  # and a useful bound where it is finite


@settings(max_examples=20, deadline=None)
@given(x=st.floats(0.0, 8.0), y=st.floats(0.0, 5.0), width=st.floats(0.6, 2.0))
def test_room_is_the_exact_distance_to_the_nearest_wall(x: float, y: float, width: float) -> None:
    """At every cell centre, on the floor or off it, the room is the distance to the nearest wall
    line (the room's outline less the exit opening), measured independently with shapely."""
    fac = room(8, 5, [("E", 8.0, 2.5, width)])
    g = build_grid(fac, "L0", 0.1)
    i, j = g.cell_of(np.array([[x, y]]))
    c = g.centre(i, j)[0]
    walls = fac.space("R").polygon.boundary.difference(fac.door_segment(fac.exits[0]).buffer(1e-9))
    true = shapely.distance(walls, shapely.Point(*c))
    assert g.wall[i[0], j[0]] == pytest.approx(min(true, EXACT_REACH), abs=1e-9) or (
        true > EXACT_REACH and g.wall[i[0], j[0]] <= true)


def test_every_unit_fits_exactly_the_doors_routing_gives_it() -> None:
    """The gate of an opening admits a footprint of half width up to (width - 0.1 m) / 2: for a
    bed, a wheelchair or a walking aid that is exactly the table's door width (a door of that
    width admits it, anything narrower not); walkers are stopped by routing at 0.6 m first."""
    for mob in MOBILITIES.values():
        assert opening_room(mob.min_door_width) >= mob.clearance, mob.name
        if mob.min_door_width > STAFF.min_door_width:
            assert opening_room(mob.min_door_width - 0.01) < mob.clearance, mob.name
    assert BED.clearance == BED.radius == 0.5  # the whole width of the bed keeps off walls


@pytest.mark.parametrize(("width", "admits"), [(1.1, True), (1.09, False), (0.9, False)])
def test_a_door_gate_is_closed_to_a_bed_only_below_its_width(width: float, admits: bool) -> None:
    fac = store_on_corridor(width)
    g = build_grid(fac, "L0", 0.1)
    i, j = g.cell_of(np.array([[1.5, 2.0]]))  # the middle of the door line
    assert bool(g.gate[i[0], j[0]] >= BED.clearance) is admits
    assert np.isinf(g.gate[g.cell_of(np.array([[5.0, 1.0]]))]).all()  # no gate in the corridor
    f = compute_field(g, (g.space >= 0), g.exit >= 0, clearance=BED.clearance)
    store = g.cell_of(np.array([[1.5, 3.5]]))
    assert bool(np.isfinite(f.dist[store[0][0] - f.i0, store[1][0] - f.j0])) is admits


def test_the_field_covers_every_cell_a_bed_fits_in_a_door_of_its_width() -> None:
    """In a 1.1 m door a bed's centre has 10 cm of play: every cell holding a point where it fits
    (interpolated room >= 0.5 m) is in its field, so the bed never stands where it has no way."""
    fac = room(8.0, 6.0, [("E", 8.0, 3.0, 1.1)])
    g = build_grid(fac, "L0", 0.1)
    f = compute_field(g, g.space >= 0, g.exit >= 0, clearance=BED.clearance)
    ys = np.linspace(2.9, 3.1, 81)
    for x in np.linspace(7.0, 7.99, 34):
        for y in ys:
            if room_at(g.wall, g.slope, x, y, g.x0, g.y0, g.h) >= BED.clearance:
                i, j = g.cell_of(np.array([[x, y]]))
                assert np.isfinite(f.dist[i[0] - f.i0, j[0] - f.j0]), (x, y)
    fits = [y for y in ys if room_at(g.wall, g.slope, 7.99, y, g.x0, g.y0, g.h) >= BED.clearance]
    assert max(fits) - min(fits) >= 0.06  # the play of the centre at the door line
