"""Plane geometry the facility needs: openings in walls and walking distances.

Walking distance through a space is the geodesic (shortest path that stays in
the floor polygon), not the straight line: in an L-shaped corridor people walk
round the corner.  It is computed on the visibility graph of the two end
points and the polygon's vertices, which is exact for polygonal floors.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.prepared import prep

__all__ = [
    "BOUNDARY_TOLERANCE",
    "geodesic_lengths",
    "nearest_edge_direction",
    "opening_segment",
    "shared_wall",
]

#: How far (m) a door's centre may lie from a wall and still count as on it.
BOUNDARY_TOLERANCE = 0.05

#: Slack used when asking whether a straight segment stays inside a polygon,
#: so that a path grazing a wall or running along it still counts.
_COVER_EPS = 1e-3


def nearest_edge_direction(polygon: Polygon, at: Sequence[float]) -> tuple[float, float]:
    """Unit direction of the polygon boundary edge nearest to ``at``.

    >>> from shapely.geometry import box
    >>> nearest_edge_direction(box(0, 0, 4, 2), (2.0, 0.0))
    (1.0, 0.0)
    """
    p = Point(at)
    best: tuple[float, tuple[float, float]] = (math.inf, (1.0, 0.0))
    rings = [polygon.exterior, *polygon.interiors]
    for ring in rings:
        coords = np.asarray(ring.coords)
        for a, b in itertools.pairwise(coords):
            seg = LineString([a, b])
            d = seg.distance(p)
            if d < best[0] and seg.length > 0:
                v = (b - a) / seg.length
                best = (d, (float(v[0]), float(v[1])))
    return best[1]


def opening_segment(polygon: Polygon, at: Sequence[float], width: float) -> LineString:
    """The door opening: ``width`` long, centred on ``at``, along the nearest wall.

    >>> from shapely.geometry import box
    >>> opening_segment(box(0, 0, 4, 2), (2.0, 2.0), 1.0).length
    1.0
    """
    ux, uy = nearest_edge_direction(polygon, at)
    h = width / 2.0
    x, y = float(at[0]), float(at[1])
    return LineString([(x - ux * h, y - uy * h), (x + ux * h, y + uy * h)])


def shared_wall(a: Polygon, b: Polygon, tolerance: float = BOUNDARY_TOLERANCE) -> shapely.Geometry:
    """The part of ``a``'s boundary that lies on ``b``'s boundary (within tolerance)."""
    return a.boundary.intersection(b.boundary.buffer(tolerance))


def geodesic_lengths(
    polygon: Polygon, points: Sequence[tuple[float, float]]
) -> np.ndarray:
    """Matrix of shortest walking lengths between ``points`` inside ``polygon``.

    Points may lie on the boundary (doors). Pairs with a straight line of sight
    get the Euclidean length; others go through the visibility graph of the
    polygon's vertices. Unreachable pairs (a point outside the polygon) get inf.

    >>> from shapely.geometry import Polygon
    >>> L = Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])
    >>> round(float(geodesic_lengths(L, [(0, 1), (9, 10)])[0, 1]), 2)
    16.12
    """
    n = len(points)
    out = np.zeros((n, n))
    if n < 2:
        return out
    region = prep(polygon.buffer(_COVER_EPS))
    pts: list[tuple[float, float]] = [(float(p[0]), float(p[1])) for p in points]

    def visible(p: tuple[float, float], q: tuple[float, float]) -> bool:
        return region.covers(LineString([p, q])) if p != q else True

    need_graph = False
    for i in range(n):
        for j in range(i + 1, n):
            if visible(pts[i], pts[j]):
                out[i, j] = out[j, i] = math.dist(pts[i], pts[j])
            else:
                out[i, j] = out[j, i] = math.nan
                need_graph = True
    if not need_graph:
        return out

    # Reflex vertices are enough for shortest paths, but all vertices are few
    # in a floor plan and simpler to reason about.
    verts: list[tuple[float, float]] = []
    for ring in [polygon.exterior, *polygon.interiors]:
        verts.extend((float(c[0]), float(c[1])) for c in list(ring.coords)[:-1])
    nodes = pts + verts
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    for i in range(len(nodes)):
        for j in range(i + 1, len(nodes)):
            if i < n and j < n and not math.isnan(out[i, j]):
                g.add_edge(i, j, w=out[i, j])
            elif visible(nodes[i], nodes[j]):
                g.add_edge(i, j, w=math.dist(nodes[i], nodes[j]))
    for i in range(n):
        lengths = nx.single_source_dijkstra_path_length(g, i, weight="w")
        for j in range(n):
            if math.isnan(out[i, j]):
                out[i, j] = lengths.get(j, math.inf)
    return out
