"""Plane geometry the facility needs: openings in walls and walking distances.

Walking distance through a space is the geodesic (shortest path that stays in
the floor polygon), not the straight line: in an L-shaped corridor people walk
round the corner.  It is computed on the visibility graph of the two end
points and the polygon's vertices, which is exact for polygonal floors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Polygon
from shapely.geometry.polygon import orient

__all__ = [
    "BOUNDARY_TOLERANCE",
    "MAX_REFLEX_VERTICES",
    "MAX_SIMPLIFY_TOLERANCE",
    "SIMPLIFY_TOLERANCE",
    "geodesic_lengths",
    "nearest_edge_direction",
    "opening_segment",
    "shared_wall",
    "sound_polygon",
    "walking_outline",
]

#: How far (m) a door's centre may lie from a wall and still count as on it.
BOUNDARY_TOLERANCE = 0.05

#: Slack used when asking whether a straight segment stays inside a polygon,
#: so that a path grazing a wall or running along it still counts.
_COVER_EPS = 1e-3
#: Length standing in for zero in the sparse visibility graph.
_TINY = 1e-12


def sound_polygon(polygon: Polygon) -> bool:
    """Whether a space's outline is a valid polygon with area (the checks built on it need one)."""
    return not polygon.is_empty and polygon.is_valid and polygon.area > 0


def nearest_edge_direction(polygon: Polygon, at: Sequence[float]) -> tuple[float, float]:
    """Unit direction of the polygon boundary edge nearest to ``at`` (vectorised over the edges).

    >>> from shapely.geometry import box
    >>> nearest_edge_direction(box(0, 0, 4, 2), (2.0, 0.0))
    (1.0, 0.0)
    """
    p = np.array([float(at[0]), float(at[1])])
    starts, ends = [], []
    for ring in [polygon.exterior, *polygon.interiors]:
        c = np.asarray(ring.coords)[:, :2]
        starts.append(c[:-1])
        ends.append(c[1:])
    a, b = np.vstack(starts), np.vstack(ends)
    d = b - a
    length2 = np.einsum("ij,ij->i", d, d)
    keep = length2 > 0
    if not keep.any():
        return (1.0, 0.0)
    a, d, length2 = a[keep], d[keep], length2[keep]
    t = np.clip(np.einsum("ij,ij->i", p - a, d) / length2, 0.0, 1.0)
    gap = a + t[:, None] * d - p
    best = int(np.argmin(np.einsum("ij,ij->i", gap, gap)))
    v = d[best] / math.sqrt(length2[best])
    return (float(v[0]), float(v[1]))


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
    polygon's reflex vertices (a shortest path bends only at those), which is
    exact for polygonal floors. A floor with more than
    :data:`MAX_REFLEX_VERTICES` reflex vertices (a scanned room outlined cell
    by cell, a round column of thousands of points) is first simplified with
    :func:`walking_outline`, so the work stays near-linear in the vertices;
    lengths then may be short by at most a few times the tolerance used per
    corner turned. Unreachable pairs (a point outside the polygon) get inf.

    >>> from shapely.geometry import Polygon
    >>> L = Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])
    >>> round(float(geodesic_lengths(L, [(0, 1), (9, 10)])[0, 1]), 2)
    16.12
    """
    n = len(points)
    out = np.zeros((n, n))
    if n < 2:
        return out
    pts = np.array([(float(p[0]), float(p[1])) for p in points], dtype=float).reshape(n, 2)
    corners, tolerance = walking_outline(polygon)
    region = polygon.buffer(_COVER_EPS + tolerance)
    shapely.prepare(region)
    iu = np.triu_indices(n, 1)
    seen = _visible(region, pts[iu[0]], pts[iu[1]])
    direct = np.hypot(*(pts[iu[0]] - pts[iu[1]]).T)
    out[iu] = np.where(seen, direct, np.nan)
    out[iu[1], iu[0]] = out[iu]
    if seen.all():
        return out
    nodes = np.vstack([pts, corners])
    k = len(nodes)
    iu_all = np.triu_indices(k, 1)
    lengths = np.hypot(*(nodes[iu_all[0]] - nodes[iu_all[1]]).T)
    known = (iu_all[0] < n) & (iu_all[1] < n)
    vis = np.zeros(len(lengths), dtype=bool)
    vis[known] = seen  # the point pairs were tested above, in the same order
    rest = ~known
    vis[rest] = _visible(region, nodes[iu_all[0][rest]], nodes[iu_all[1][rest]])
    # A sparse matrix drops zero entries: two nodes at one spot keep a tiny edge.
    weights = np.maximum(lengths[vis], _TINY)
    graph = csr_matrix((weights, (iu_all[0][vis], iu_all[1][vis])), shape=(k, k))
    dist = dijkstra(graph, directed=False, indices=np.arange(n))[:, :n]
    return np.where(np.isnan(out), dist, out)


#: Reflex vertices above which a floor outline is simplified for walking
#: lengths: a hand-drawn hospital room has a handful; a 400-vertex visibility
#: graph takes about 0.1 s.
MAX_REFLEX_VERTICES = 200
#: First simplification tolerance (m): the door-on-wall tolerance, well
#: inside the noise of a scanned wall.
SIMPLIFY_TOLERANCE = BOUNDARY_TOLERANCE
#: Largest simplification tolerance (m); past it the outline is kept as it is
#: and the visibility graph is simply larger.
MAX_SIMPLIFY_TOLERANCE = 0.8


def walking_outline(polygon: Polygon) -> tuple[np.ndarray, float]:
    """The reflex vertices a shortest walk can bend at, and the simplification tolerance used (m).

    A vertex is reflex when the floor's interior angle there exceeds 180
    degrees (an inside corner of the outline, any corner of a column). If
    there are more than :data:`MAX_REFLEX_VERTICES`, the outline is simplified
    (Douglas-Peucker, topology kept) with :data:`SIMPLIFY_TOLERANCE`, doubled
    until few enough remain or :data:`MAX_SIMPLIFY_TOLERANCE` is reached; every
    simplified vertex is within that tolerance of a wall.

    >>> from shapely.geometry import Polygon
    >>> L = Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])
    >>> walking_outline(L)
    (array([[8., 2.]]), 0.0)
    """
    corners = _reflex(polygon)
    tolerance = 0.0
    candidate = SIMPLIFY_TOLERANCE
    while len(corners) > MAX_REFLEX_VERTICES and candidate <= MAX_SIMPLIFY_TOLERANCE:
        simple = polygon.simplify(candidate, preserve_topology=True)
        if isinstance(simple, Polygon) and not simple.is_empty:
            corners, tolerance = _reflex(simple), candidate
        candidate *= 2
    return corners, tolerance


def _reflex(polygon: Polygon) -> np.ndarray:
    """Vertices where the interior turns by more than 180 degrees (rings oriented interior-left)."""
    oriented = orient(polygon, sign=1.0)
    found = []
    for ring in [oriented.exterior, *oriented.interiors]:
        c = np.asarray(ring.coords)[:-1, :2]
        if len(c) < 3:
            continue
        before, after = np.roll(c, 1, axis=0), np.roll(c, -1, axis=0)
        into, out = c - before, after - c
        cross = into[:, 0] * out[:, 1] - into[:, 1] * out[:, 0]
        found.append(c[cross < 0])
    return np.vstack(found) if found else np.empty((0, 2))


def _visible(region: shapely.Geometry, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each segment ``a[i]``-``b[i]`` stays inside ``region`` (vectorised over segments)."""
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    same = np.all(a == b, axis=1)
    coords = np.stack([a, b], axis=1)
    lines = shapely.linestrings(coords)
    with np.errstate(all="ignore"):
        inside = np.asarray(shapely.covers(region, lines), dtype=bool)
    return inside | same
