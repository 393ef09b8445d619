"""Walking distances and openings, checked against lengths worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from facility.geometry import (
    BOUNDARY_TOLERANCE,
    geodesic_lengths,
    nearest_edge_direction,
    opening_segment,
    shared_wall,
)

#: An L-shaped corridor: 10 m along y = 0..2, then 10 m up x = 8..10.
L_SHAPE = Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])
#: A 10 m square room with a 2 x 6 m column block in the middle.
HOLED = Polygon(box(0, 0, 10, 10).exterior.coords, [box(4, 2, 6, 8).exterior.coords])


def test_geodesic_round_an_l_corner() -> None:
    # Shortest path from (0, 1) to (9, 10) bends at the inner corner (8, 2): 2 * sqrt(8² + 1²).
    d = geodesic_lengths(L_SHAPE, [(0.0, 1.0), (9.0, 10.0)])
    assert d[0, 1] == pytest.approx(2 * math.sqrt(65))
    assert d[0, 1] > math.dist((0, 1), (9, 10))


def test_geodesic_with_line_of_sight_is_straight() -> None:
    d = geodesic_lengths(L_SHAPE, [(1.0, 1.0), (9.0, 1.0), (9.0, 9.0)])
    assert d[0, 1] == pytest.approx(8.0)
    assert d[1, 2] == pytest.approx(8.0)
    assert d[0, 2] == pytest.approx(math.dist((1, 1), (8, 2)) + math.dist((8, 2), (9, 9)))


def test_geodesic_round_a_hole() -> None:
    # From (5, 0.5) to (5, 9.5) past the column: to corner (4, 2), up its side 6 m, on from (4, 8).
    d = geodesic_lengths(HOLED, [(5.0, 0.5), (5.0, 9.5)])
    assert d[0, 1] == pytest.approx(2 * math.hypot(1.0, 1.5) + 6.0)
    # Beside the column there is a clear line.
    assert geodesic_lengths(HOLED, [(1.0, 0.5), (1.0, 9.5)])[0, 1] == pytest.approx(9.0)


def test_point_outside_the_floor_is_unreachable() -> None:
    d = geodesic_lengths(box(0, 0, 2, 2), [(1.0, 1.0), (5.0, 5.0)])
    assert d[0, 1] == math.inf


def test_one_point_gives_a_zero_matrix() -> None:
    assert geodesic_lengths(L_SHAPE, [(1.0, 1.0)]).tolist() == [[0.0]]


coord = st.floats(0.05, 9.95)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(coord, coord), min_size=2, max_size=5))
def test_geodesic_metric_properties_in_the_l(points: list[tuple[float, float]]) -> None:
    pts = [p for p in points if L_SHAPE.contains(Point(p))]
    d = geodesic_lengths(L_SHAPE, pts)
    n = len(pts)
    assert np.allclose(d, d.T)
    assert np.all(np.diag(d) == 0)
    for i in range(n):
        for j in range(n):
            assert d[i, j] >= math.dist(pts[i], pts[j]) - 1e-9  # never shorter than the straight line
            for k in range(n):
                assert d[i, j] <= d[i, k] + d[k, j] + 1e-9  # triangle inequality


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 6), st.floats(0, 4)), min_size=2, max_size=4))
def test_geodesic_in_a_convex_room_is_euclidean(points: list[tuple[float, float]]) -> None:
    d = geodesic_lengths(box(0, 0, 6, 4), points)
    for i, p in enumerate(points):
        for j, q in enumerate(points):
            assert d[i, j] == pytest.approx(math.dist(p, q), abs=1e-9)


def test_opening_follows_the_nearest_wall() -> None:
    room = box(0, 0, 4, 3)
    assert nearest_edge_direction(room, (4.0, 1.5)) in ((0.0, 1.0), (0.0, -1.0))
    seg = opening_segment(room, (4.0, 1.5), 1.2)
    assert seg.length == pytest.approx(1.2)
    assert {round(c[0], 9) for c in seg.coords} == {4.0}
    assert sorted(c[1] for c in seg.coords) == pytest.approx([0.9, 2.1])


def test_shared_wall_of_neighbours() -> None:
    a, b = box(0, 0, 4, 3), box(4, 1, 8, 5)
    wall = shared_wall(a, b)
    # a's east wall x = 4 between y = 1 and 3, plus at most the tolerance beyond each end.
    assert 2.0 <= wall.length <= 2.0 + 2 * BOUNDARY_TOLERANCE + 1e-9
    assert shared_wall(a, box(5, 0, 6, 1)).length == 0


def test_many_vertices_stay_fast_and_close_to_exact() -> None:
    """A round column of 130,000 vertices: simplified, near-linear, within the documented tolerance."""
    import time

    from facility.geometry import MAX_SIMPLIFY_TOLERANCE, walking_outline

    ang = np.linspace(0, 2 * np.pi, 130_000, endpoint=False)
    column = np.c_[25 + 5 * np.cos(ang), 25 + 5 * np.sin(ang)]
    hall = Polygon([(0, 0), (50, 0), (50, 50), (0, 50)], [column])
    corners, tolerance = walking_outline(hall)
    assert 0 < tolerance <= MAX_SIMPLIFY_TOLERANCE and len(corners) < 1000
    start = time.process_time()
    d = geodesic_lengths(hall, [(25.0, 1.0), (25.0, 49.0)])[0, 1]
    assert time.process_time() - start < 5.0
    # Exact: two tangents to the circle and the arc between them.
    exact = 2 * np.sqrt(24**2 - 5**2) + 5 * (np.pi - 2 * np.arccos(5 / 24))
    assert exact - 4 * tolerance <= d <= exact + 1e-6


def test_reflex_corners_give_the_exact_length_of_an_l() -> None:
    from facility.geometry import walking_outline

    ell = Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])
    corners, tolerance = walking_outline(ell)
    assert tolerance == 0.0 and corners.tolist() == [[8.0, 2.0]]
    d = geodesic_lengths(ell, [(0, 1), (9, 10), (4, 1)])
    assert d[0, 1] == pytest.approx(np.hypot(8, 1) + np.hypot(1, 8))
    assert d[0, 2] == pytest.approx(4.0) and np.allclose(d, d.T)


def _all_vertex_reference(polygon: Polygon, points: list[tuple[float, float]]) -> np.ndarray:
    """Shortest paths over the visibility graph of every vertex, pair by pair: slow, plainly right."""
    import itertools

    import networkx as nx
    from shapely.geometry import LineString

    region = polygon.buffer(1e-3)
    verts = [c for ring in [polygon.exterior, *polygon.interiors] for c in list(ring.coords)[:-1]]
    nodes = [*points, *verts]
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    for i, j in itertools.combinations(range(len(nodes)), 2):
        if nodes[i] == nodes[j] or region.covers(LineString([nodes[i], nodes[j]])):
            g.add_edge(i, j, w=math.dist(nodes[i], nodes[j]))
    out = np.zeros((len(points), len(points)))
    for i in range(len(points)):
        lengths = nx.single_source_dijkstra_path_length(g, i, weight="w")
        for j in range(len(points)):
            out[i, j] = lengths.get(j, math.inf)
    return out


@settings(max_examples=40, deadline=None)
@given(data=st.data(), shape=st.sampled_from(["L", "holed"]))
def test_reflex_corners_agree_with_every_vertex(data: st.DataObject, shape: str) -> None:
    polygon = L_SHAPE if shape == "L" else HOLED
    x0, y0, x1, y1 = polygon.bounds
    coords = st.tuples(st.floats(x0, x1), st.floats(y0, y1)).filter(lambda p: polygon.covers(Point(p)))
    points = data.draw(st.lists(coords, min_size=2, max_size=5))
    np.testing.assert_allclose(geodesic_lengths(polygon, points), _all_vertex_reference(polygon, points),
                               rtol=0, atol=1e-9)
