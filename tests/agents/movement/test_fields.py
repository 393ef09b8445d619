"""Local distance fields: shortest walking distances and directions over a level raster."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from agents.movement.fields import compute_field
from agents.movement.navigation import LevelGrid, build_grid
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


def test_a_window_round_the_domain_and_sources_gives_the_same_field() -> None:
    """Looking only at the part of the level that holds the domain and the sources changes nothing:
    the same window, distances and directions, bit for bit."""
    fac = store_on_corridor()
    g = build_grid(fac, "L0", 0.1)
    dom = g.space == 0
    src = np.zeros(g.shape, bool)
    rows, cols = np.flatnonzero(dom.any(axis=1)), np.flatnonzero(dom.any(axis=0))
    src[rows[len(rows) // 2], cols[2]] = True
    whole = compute_field(g, dom, src, clearance=0.25)
    for window in [(rows[0], rows[-1] + 1, cols[0], cols[-1] + 1), (0, g.shape[0], cols[0], g.shape[1])]:
        a0, a1, b0, b1 = (int(v) for v in window)
        part = compute_field(g, dom, src, clearance=0.25, window=(a0, a1, b0, b1))
        assert (part.i0, part.j0) == (whole.i0, whole.j0)
        assert np.array_equal(part.dist, whole.dist)
        assert np.array_equal(part.direction, whole.direction)
