"""Rooms along a corridor from its partition walls, when region growing cannot see them.

Most hospital ward and office floors are double-loaded corridors: a row of
rooms on each long side, separated by partition walls that run from the
corridor wall out to the facade.  A scanner that stays in the corridor sees
those rooms only through their doors, so their floors are barely observed and
region growing over seen floor either merges them or finds no door for them.
The walls, though, are seen: the corridor wall with gaps where the doors are,
and the partitions running away from it.  This module reads that layout
directly: along each long side of a corridor it finds the partition walls
(wall-band occupancy running away from the corridor for at least
``side_partition_min_length``), cuts the side into rooms between consecutive
partitions (out to the far extent of the walls seen on that side), and takes
each room's door as the gap in the corridor wall between its partitions,
measured on the wall-band points.  :func:`lidar.extract.extract` uses it only
where the primary segmentation left a corridor side unexplained.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from shapely.geometry import Polygon

from lidar.grid import Grid
from lidar.options import ExtractOptions

__all__ = ["SideRoom", "corridor_frame", "side_rooms"]


@dataclass(frozen=True, slots=True)
class SideRoom:
    """A room cut out of one side of a corridor, with its door(s) in the corridor wall.

    Attributes:
        polygon: Outline between the centre lines of its two partitions
            (plan metres), from :data:`REACH` inside the corridor wall's
            centre line (the caller cuts the corridor's outline out of it,
            so the two share their wall exactly) to the far wall.
        doors: ``((x, y), width)`` of each gap in the corridor wall, the
            centre on the corridor wall's centre line and the clear width (m).
        side: +1 or -1, the side of the corridor axis the room is on.
    """

    polygon: Polygon
    doors: tuple[tuple[tuple[float, float], float], ...]
    side: int


@dataclass(frozen=True, slots=True)
class Frame:
    """A corridor's axis: origin, unit direction along it, unit normal, extent along it."""

    origin: np.ndarray
    u: np.ndarray
    n: np.ndarray
    s_range: tuple[float, float]
    half_width: float

    def local(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Along (s) and across (t) coordinates of plan points."""
        d = xy - self.origin
        return d @ self.u, d @ self.n

    def world(self, s: float, t: float) -> tuple[float, float]:
        p = self.origin + s * self.u + t * self.n
        return float(p[0]), float(p[1])


def corridor_frame(corridor: Polygon, angle: float | None = None) -> Frame:
    """The long axis of a corridor outline.

    Args:
        corridor: The corridor outline.
        angle: Direction (radians) of the storey's walls, or ``None``; the
            axis of the outline's minimum rotated rectangle is snapped to
            the nearer of this direction and its perpendicular (a ragged
            outline tilts its rectangle by a fraction of a degree, which
            over 30 m moves the far end of a wall off its band).

    >>> f = corridor_frame(Polygon([(0, 0), (30, 0), (30, 2), (0, 2)]))
    >>> [round(abs(float(v)), 3) for v in f.u], f.s_range, f.half_width
    ([1.0, 0.0], (-15.0, 15.0), 1.0)
    """
    rect = np.asarray(corridor.minimum_rotated_rectangle.exterior.coords)[:4]
    e0, e1 = rect[1] - rect[0], rect[2] - rect[1]
    long_ = e0 if np.hypot(*e0) >= np.hypot(*e1) else e1
    u = long_ / np.hypot(*long_)
    if angle is not None:
        family = [np.array([np.cos(a), np.sin(a)]) for a in (angle, angle + np.pi / 2)]
        best = max(family, key=lambda v: abs(float(v @ u)))
        u = best * np.sign(float(best @ u) or 1.0)
    n = np.array([-u[1], u[0]])
    xy = np.asarray(corridor.exterior.coords)
    ps, pt = xy @ u, xy @ n
    mid_s, mid_t = (ps.min() + ps.max()) / 2, (pt.min() + pt.max()) / 2
    origin = mid_s * u + mid_t * n
    half_len = float(ps.max() - ps.min()) / 2
    half_w = float(pt.max() - pt.min()) / 2
    return Frame(origin, u, n, (round(-half_len, 6), round(half_len, 6)), round(half_w, 6))


def side_rooms(grid: Grid, wall: np.ndarray, band_points: np.ndarray, frame: Frame, side: int, *,
               opt: ExtractOptions, lattice: float = 0.0) -> list[SideRoom]:
    """Rooms on one side of a corridor, cut between the partition walls that meet it.

    Args:
        grid: The plan grid of ``wall``.
        wall: Wall-band occupancy per cell.
        band_points: Plan coordinates of the wall-band points (door jambs are
            measured on these).
        frame: The corridor's axis (:func:`corridor_frame`).
        side: +1 or -1, which side of the axis.
        opt: Pipeline options (the ``side_*`` fields).
        lattice: Voxel pitch if the points are voxel centres (an occupancy
            map), 0 for scans; widths are measured between jamb voxel centres,
            as :mod:`lidar.doors` does.

    Returns:
        One :class:`SideRoom` per stretch between partitions; rooms whose
        corridor wall shows no door-sized gap have no doors.
    """
    c = grid.cell
    ii, jj = np.nonzero(wall)
    s, t = frame.local(grid.centres(ii, jj))
    t = t * side
    s_lo, s_hi = frame.s_range
    near = (s >= s_lo - 0.5) & (s <= s_hi + 0.5)
    s, t = s[near], t[near]
    tw = _wall_line(t, frame.half_width, c)
    if tw is None:
        return []
    on_wall = np.abs(t - tw) <= opt.side_wall_band
    if on_wall.sum() < 10:
        return []
    beyond = t > tw + opt.side_wall_band
    if beyond.sum() < 10:
        return []
    far = float(np.quantile(t[beyond], 0.99))
    if far - tw < opt.side_room_min_width:
        return []
    a, b = float(s[on_wall].min()), float(s[on_wall].max())
    start = tw + PARTITION_START
    cuts = _partitions(s[t > start], t[t > start], start, c, opt)
    cuts = [p for p in cuts if a + opt.side_room_min_width <= p <= b - opt.side_room_min_width]
    bounds = [a, *cuts, b]
    ps, pt = frame.local(band_points)
    pt = pt * side
    near_wall = np.abs(pt - tw) <= opt.side_wall_band
    gaps = _gaps(ps[near_wall], pt[near_wall], a, b, pitch=lattice or c, opt=opt)
    rooms: list[SideRoom] = []
    for lo, hi in itertools.pairwise(bounds):
        if hi - lo < opt.side_room_min_width:
            continue
        inside = [(g, w) for g, w in gaps if lo + 0.05 < g < hi - 0.05]
        widest = max((w for _, w in inside), default=0.0)
        # The widest gap is the door; a narrower extra gap is kept only if it
        # is door-sized in its own right (short gaps beside a door are more
        # often wall hidden from the scanner than a second door).
        ds = tuple((frame.world(g, tw * side), w) for g, w in inside
                   if w == widest or w >= opt.side_extra_door_min_width - 1e-6)
        t0, t1 = (tw - REACH) * side, (far + opt.exterior_offset) * side
        poly = Polygon([frame.world(lo, t0), frame.world(hi, t0), frame.world(hi, t1), frame.world(lo, t1)])
        rooms.append(SideRoom(poly.normalize(), ds, side))
    return rooms


def _wall_line(t: np.ndarray, half_width: float, cell: float) -> float | None:
    """Across-coordinate of the corridor wall: the densest row of wall cells near the corridor edge."""
    sel = t[(t > half_width * 0.5) & (t < half_width + 0.8)]
    if len(sel) < 10:
        return None
    edges = np.arange(half_width * 0.5, half_width + 0.8 + cell, cell)
    hist, _ = np.histogram(sel, edges)
    k = int(np.argmax(hist))
    return float((edges[k] + edges[k + 1]) / 2)


def _partitions(s: np.ndarray, t: np.ndarray, t_start: float, cell: float, opt: ExtractOptions
                ) -> list[float]:
    """Along-coordinates of walls running away from the corridor wall.

    A column (one cell along the corridor, three cells wide to absorb a
    wall's slight slant) is a partition when the wall cells it holds within
    ``side_partition_probe`` of the corridor wall add up to at least
    ``side_partition_min_length``; neighbouring columns are one partition,
    and of partitions closer than ``side_room_min_width`` only the longest
    is kept (a wall and a cabinet against it).

    >>> opt = ExtractOptions()
    >>> t = np.arange(1.5, 5.0, 0.05)
    >>> s = np.r_[np.full(len(t), 2.0), np.full(len(t), 6.0), [4.0, 4.0]]
    >>> [round(x, 1) for x in _partitions(s, np.r_[t, t, [2.0, 2.1]], 1.4, 0.05, opt)]
    [2.0, 6.0]
    """
    sel = (t >= t_start) & (t <= t_start + opt.side_partition_probe)
    if not sel.any():
        return []
    s0 = float(s[sel].min()) - 2 * cell
    col = np.floor((s[sel] - s0) / cell).astype(np.int64)
    row = np.floor((t[sel] - t_start) / cell).astype(np.int64)
    ncol, nrow = int(col.max()) + 3, int(row.max()) + 1
    occ = np.zeros((ncol, nrow), dtype=bool)
    occ[col, row] = True
    wide = occ.copy()
    wide[1:] |= occ[:-1]
    wide[:-1] |= occ[1:]
    length = wide.sum(axis=1) * cell
    hit = np.nonzero(length >= opt.side_partition_min_length)[0]
    if not len(hit):
        return []
    groups = np.split(hit, np.nonzero(np.diff(hit) > 2)[0] + 1)
    centres = [s0 + (float(np.average(g, weights=length[g])) + 0.5) * cell for g in groups]
    strength = [float(length[g].max()) for g in groups]
    merged: list[list[int]] = [[0]]
    for k in range(1, len(centres)):
        if centres[k] - centres[merged[-1][-1]] < opt.side_room_min_width:
            merged[-1].append(k)
        else:
            merged.append([k])
    return [round(centres[max(m, key=lambda k: strength[k])], 6) for m in merged]


def _gaps(s: np.ndarray, t: np.ndarray, a: float, b: float, *, pitch: float,
          opt: ExtractOptions) -> list[tuple[float, float]]:
    """Door-sized gaps in the corridor wall between ``a`` and ``b``: ``(centre, clear width)``.

    ``s, t`` are the wall-band points near the corridor wall (along it and
    away from the corridor).  Per column of width ``pitch`` along the wall,
    the wall's corridor face is the nearest cell to the corridor holding at
    least :data:`MIN_FACE_POINTS` points; a column is wall when that face is
    within half a pitch of the local face line (the lower quartile of the
    faces within :data:`FACE_WINDOW` m).  A door leaf standing open into the
    room, or furniture behind the opening, lies beyond the face line and so
    does not close the gap.  The width runs from the last face point before
    the gap to the first after it (on an occupancy map, between voxel
    centres: the unbiased estimate, within one voxel), the convention
    :mod:`lidar.doors` uses for the same maps (so a door gets the same width
    whichever step finds it).

    >>> s = np.r_[np.arange(0.0, 2.0, 0.05), np.arange(3.0, 5.0, 0.05)]
    >>> s = np.repeat(s, 4); t = np.zeros(len(s))
    >>> found = _gaps(s, t, 0.0, 4.95, pitch=0.05, opt=ExtractOptions())
    >>> [(round(g, 3), round(w, 3)) for g, w in found]
    [(2.475, 1.05)]
    """
    n = int(np.floor((b - a) / pitch)) + 1
    if not len(s):
        return []
    col = np.clip(np.floor((s - a) / pitch).astype(np.int64), 0, n - 1)
    t0 = float(t.min())
    row = np.floor((t - t0) / pitch).astype(np.int64)
    key = col * (int(row.max()) + 1) + row
    counts = np.bincount(key)
    dense = counts[key] >= MIN_FACE_POINTS
    face = np.full(n, np.inf)
    np.minimum.at(face, col[dense], t0 + (row[dense] + 0.5) * pitch)
    half = max(1, round(FACE_WINDOW / pitch))
    ref = np.full(n, np.inf)
    for k in range(n):
        w = face[max(0, k - half): k + half + 1]
        w = w[np.isfinite(w)]
        if len(w):
            ref[k] = float(np.quantile(w, 0.25))
    solid = np.isfinite(face) & (face <= ref + 0.5 * pitch + 1e-9)
    on_face = dense & solid[col] & (np.abs(t0 + (row + 0.5) * pitch - face[col]) < 1e-9)
    fs, fc = s[on_face], col[on_face]
    out: list[tuple[float, float]] = []
    k = 0
    while k < n:
        if solid[k]:
            k += 1
            continue
        e = k
        while e < n and not solid[e]:
            e += 1
        lo_k, hi_k = k - 1, e
        k = e
        if lo_k < 0 or hi_k >= n:
            continue
        left, right = fs[fc == lo_k], fs[fc == hi_k]
        if not len(left) or not len(right):
            continue
        l_s, r_s = float(left.max()), float(right.min())
        width = r_s - l_s
        if opt.side_door_min_width <= width <= opt.side_door_max_width:
            out.append(((l_s + r_s) / 2, width))
    return out


#: Distance (m) from the corridor wall's centre line at which partitions are looked for
#: (past the corridor wall's own thickness).
PARTITION_START = 0.17
#: Distance (m) a room's outline reaches into the corridor before the corridor is cut out of it.
REACH = 0.5
#: Points a cell of the corridor wall must hold to be wall (a few heights of the wall band).
MIN_FACE_POINTS = 3
#: Half length (m) of the stretch of corridor wall whose faces give the local face line.
FACE_WINDOW = 0.6
