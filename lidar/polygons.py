"""From labelled plan cells to wall-aligned space outlines that share their edges.

Each region becomes the union of its row runs (exact, fast), then all
outlines of a storey are simplified *together* as a polygon coverage
(``shapely.coverage_simplify``), so the edge two rooms share stays one edge
after the staircase of grid cells is straightened into walls.  Sharing edges
exactly matters: a door must lie on the wall of both spaces it joins.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from facility.geometry import BOUNDARY_TOLERANCE, nearest_edge_direction
from lidar.grid import Grid

__all__ = ["open_pinched_holes", "region_polygons", "shared_wall_length", "shared_wall_span"]


def region_polygons(labels: np.ndarray, grid: Grid, simplify: float) -> dict[int, Polygon]:
    """Outline of every labelled region, simplified as one coverage.

    Args:
        labels: int grid, 0 = no region.
        grid: The grid the labels live on.
        simplify: Simplification tolerance (m); 0 keeps the cell staircase.

    Returns:
        Label -> polygon (the largest part if a region came out in pieces);
        labels whose outline vanished are absent.

    >>> lab = np.zeros((4, 6), dtype=int); lab[1:3, 1:3] = 1; lab[1:3, 3:5] = 2
    >>> polys = region_polygons(lab, Grid(0.0, 0.0, 1.0, (4, 6)), 0.0)
    >>> sorted((k, p.area) for k, p in polys.items())
    [(1, 4.0), (2, 4.0)]
    """
    nrow, _ = labels.shape
    # Row runs: where the label changes along a row.
    pad = np.pad(labels, ((0, 0), (1, 1)))
    change = pad[:, 1:] != pad[:, :-1]
    boxes_lab: list[np.ndarray] = []
    boxes: list[np.ndarray] = []
    for i in range(nrow):
        cuts = np.flatnonzero(change[i])
        if len(cuts) < 2:
            continue
        starts, stops = cuts[:-1], cuts[1:]
        lab = labels[i, starts]
        keep = lab > 0
        if not keep.any():
            continue
        y0 = grid.y0 + i * grid.cell
        x0 = grid.x0 + starts[keep] * grid.cell
        x1 = grid.x0 + stops[keep] * grid.cell
        boxes.append(np.column_stack([x0, np.full(len(x0), y0), x1, np.full(len(x0), y0 + grid.cell)]))
        boxes_lab.append(lab[keep])
    if not boxes:
        return {}
    b = np.vstack(boxes)
    bl = np.concatenate(boxes_lab)
    rects = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    order = np.argsort(bl, kind="stable")
    bl, rects = bl[order], rects[order]
    keys, starts = np.unique(bl, return_index=True)
    ends = np.append(starts[1:], len(bl))
    merged = [shapely.union_all(rects[s:e], grid_size=grid.cell / 100)
              for s, e in zip(starts, ends, strict=True)]
    merged = [_largest(m) for m in merged]
    if simplify > 0:
        merged = list(shapely.coverage_simplify(np.asarray(merged, dtype=object), simplify))
    out: dict[int, Polygon] = {}
    for k, m in zip(keys.tolist(), merged, strict=True):
        poly = open_pinched_holes(_largest(shapely.make_valid(m)), grid.cell / 100)
        if not poly.is_empty and poly.area > 0:
            out[int(k)] = shapely.orient_polygons(poly)
    return out


def open_pinched_holes(polygon: Polygon, gap: float) -> Polygon:
    """The polygon with every hole that meets its outline opened to the outside where they meet.

    Cells that touch only at a corner join a hole to the outside in the grid's
    8-neighbourhood, but as polygons they make a hole whose ring touches the
    outline at a point: a facility refuses such a hole (it must lie strictly
    inside its space).  A notch ``gap`` wide is cut where the two meet, so the
    hole becomes part of the outside, as it is in the grid; the space loses
    only that notch.

    >>> ring = [(0, 0), (4, 0), (4, 4), (0, 4)]
    >>> pinched = Polygon(ring, [[(0, 2), (1, 1), (1, 3)]])  # its hole touches the outline at (0, 2)
    >>> opened = open_pinched_holes(pinched, 0.01)
    >>> opened.is_valid, len(opened.interiors), round(pinched.area - opened.area, 3)
    (True, 0, 0.0)
    >>> chain = Polygon(ring, [[(0, 2), (1, 1), (1, 2)], [(1, 2), (2, 2), (2, 3)]])  # touching the first
    >>> len(open_pinched_holes(chain, 0.01).interiors)
    0
    """
    # A hole that touched an opened one meets the outline in its turn: repeat (each pass
    # opens at least one hole, so there are at most as many passes as holes).
    for _ in range(len(polygon.interiors)):
        outline = polygon.exterior
        touch = [ring.intersection(outline) for ring in polygon.interiors if ring.intersects(outline)]
        if not touch:
            break
        cut = shapely.union_all([t.buffer(gap, quad_segs=2) for t in touch])
        polygon = _largest(shapely.make_valid(polygon.difference(cut)))
    return polygon


def _largest(geom: shapely.Geometry) -> Polygon:
    if isinstance(geom, Polygon):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    parts = [p for g in polys for p in (g.geoms if isinstance(g, MultiPolygon) else [g])]
    return max(parts, key=lambda p: p.area) if parts else Polygon()


def shared_wall_span(a: Polygon, b: Polygon, at: tuple[float, float]) -> tuple[float, float]:
    """Extent ``(lo, hi)``, along the wall at ``at`` and relative to it, of the wall ``a`` and ``b`` share.

    Measured from both sides, as :mod:`facility.validate` does; ``(0, 0)`` if they share none.
    """
    p = Point(at)
    parts = []
    for x, y in ((a, b), (b, a)):
        shared = shapely.intersection(x.boundary, y.boundary.buffer(BOUNDARY_TOLERANCE))
        lines = [g for g in getattr(shared, "geoms", [shared]) if not g.is_empty and g.length > 0]
        if not lines:
            return 0.0, 0.0
        parts.append(min(lines, key=p.distance))
    u = np.asarray(nearest_edge_direction(a, at))
    ta = (np.asarray(parts[0].coords) - np.asarray(at)) @ u
    tb = (np.asarray(parts[1].coords) - np.asarray(at)) @ u
    return max(float(ta.min()), float(tb.min())), min(float(ta.max()), float(tb.max()))


def shared_wall_length(a: Polygon, b: Polygon, at: tuple[float, float]) -> float:
    """Length, along the wall at ``at``, of the wall ``a`` and ``b`` share there (seen from both sides)."""
    lo, hi = shared_wall_span(a, b, at)
    return max(hi - lo, 0.0)
