"""Closed doors seen by their frame: a flush leaf between two architrave legs under a head.

A hospital door shut flush with its wall leaves the wall band full and no
recess (:mod:`lidar.closed_doors` finds leaves set back in their frame), but
the frame still shows on every face it was scanned from: an architrave 50-120
mm wide stands 10-25 mm proud of the wall (18 mm is the common size) beside
both jambs, from the floor to the door head, and across the head.  Those few
centimetres are below the plan grid's cell, so they are read from the points
themselves, face by face:

1. A wall face is a run of wall cells along a grid row (walls along x) or
   column (walls along y) with open floor seen in front of it; the points
   within a cell of it are its face, fitted as a line (the storey frame is
   only as square as its walls: a 0.2 degree slant moves a 10 m face 3 cm).
2. Along the face, the median of how far the points stand proud of that
   line, in 2 cm bins between 0.3 m and 1.95 m above the floor, draws the
   profile of the face: an architrave leg is a run of bins
   :data:`RIDGE_PROUD` proud and :data:`RIDGE_WIDTH` wide.
3. Two legs at a door's width apart, with a leaf between (seen over most of
   the span and within a centimetre of the wall plane), and a head across the
   top of the span (a band of the same proudness starting 1.9-2.5 m above
   the floor, with the wall flush again above it), are a closed door.
   Pilasters or pipes at door spacing have no head; a cabinet between two
   edges hides the leaf.
4. The clear width is the distance between the legs' inner edges, each
   placed at the last point of the leg where the points change from proud
   to flush (the split that misclassifies fewest points; the leaf beside a
   leg is often in its shadow): architraves are fixed a few millimetres back
   from the lining, so the width is that much wider than the lining's.

A frameless leaf flush with both faces shows nothing of this and is not
found: :func:`lidar.assembly.keep_reachable` names the wall it is likely in
when a room is left out, and :mod:`lidar.hidden_doors` when a room's only
route is long.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import replace

import numpy as np
from scipy import ndimage

from lidar.doors import Opening
from lidar.grid import Grid
from lidar.options import ExtractOptions

__all__ = ["RIDGE_PROUD", "RIDGE_WIDTH", "detect_framed_doors"]

#: How far (m) an architrave leg stands proud of its wall face: 10-20 mm are
#: sold, 18 mm is common (see :data:`lidar.synth.ARCHITRAVE_PROUD`); the lower
#: bound clears a leaf up to 1 cm proud and the range noise of a median of
#: ~20 points; the upper clears pipes and rails standing off the wall.
RIDGE_PROUD = (0.011, 0.04)
#: Width (m) of an architrave leg as the 2 cm profile bins see it (44-119 mm sold).
RIDGE_WIDTH = (0.03, 0.14)
#: Bin (m) of the profile along the face and up the head.
BIN = 0.02
#: Heights (m above the floor) where the legs are profiled: below the head, above skirtings.
LEG_BAND = (0.3, 1.95)
#: Heights (m above the floor) where a door head's bottom may lie.
HEAD_BOTTOM = (1.9, 2.5)
#: How far (m) in front of the face cell points are read: the proudest frame, with margin.
FRONT = 0.05
#: Fewest points for a profile bin to count.
MIN_BIN_POINTS = 4
#: Least fraction of the span between the legs where the leaf is seen flush.
LEAF_SEEN = 0.6
#: Floor seen within this distance (m) in front of a face makes it a face onto a space.
SPACE_REACH = 0.4
#: Least share of a door's width with open floor seen in front of it (within :data:`SPACE_REACH`).
FLOOR_BEFORE = 0.5
#: Shortest wall face (m) read: a door and its two legs, with a little wall beside.
MIN_FACE = 1.0
#: Fewest points on a face worth reading.
MIN_FACE_POINTS = 50
#: Bin (m) along the face whose medians the face line is fitted to.
FACE_BIN = 0.1
#: Bins (m) farther than this off the first line are frames or fixtures, not the face.
FACE_TOLERANCE = 0.006
#: Points this far (m) behind the face line are another surface (an open door's reveal).
BEHIND = 0.03
#: Half width (m) of the window about a leg's inner edge where the edge is placed; the
#: leaf is read this far clear of the legs.
EDGE_WINDOW = 0.05
#: Height (m) read below the lowest head bottom and above the highest: the leaf under a
#: head and the wall over it.
HEAD_MARGIN = 0.2
#: Two finds nearer than half the wider one's width and this (m) are one door.
SAME_DOOR = 0.2
#: Floor returns within this (m) of the floor's height are read for the gap under a leaf.
GAP_Z = 0.02
#: How far (m) behind the face line a floor return under a leaf lies: beyond the
#: face's range noise, and within the wall (a 10 cm wall at least).  A ray from
#: a scanner head 1.5 m up and 2 m off that passes under a leaf 10-19 mm above
#: the floor (NFPA 80 (2007) 4.8.4 allows up to 19 mm) lands 1-3 cm behind its face.
GAP_BEHIND = (0.008, 0.08)
#: Least number of 5 cm bins along the leaf holding such a return: a head that
#: is hidden (a closer's arm, a sign) is then replaced by the gap as evidence.
#: After 5 cm thinning the sample hospital's ground storey kept 3-13 returns under
#: most of its shut framed leaves (3 of 15 kept none), and 50-137 in open doorways.
GAP_MIN_BINS = 3
GAP_BIN = 0.05


def detect_framed_doors(grid: Grid, *, wall: np.ndarray, floor: np.ndarray, points: np.ndarray,
                        floor_z: float, opened: list[Opening], options: ExtractOptions) -> list[Opening]:
    """Closed doors on one storey, found by their architraves (plan grid in the storey's wall frame).

    Args:
        grid: The plan grid.
        wall: Cells filled in the wall band.
        floor: Cells where open floor was seen.
        points: The storey's points (n, 3), in the grid's frame.
        floor_z: Height of the storey's floor.
        opened: Openings already found (open doors and recessed leaves): not found twice.
        options: Door width limits and the outer wall's half thickness.

    Returns:
        One :class:`~lidar.doors.Opening` (``closed=True``) per door, on the wall's centre line.
    """
    z = points[:, 2] - floor_z
    low = points[np.abs(z) < GAP_Z, :2]
    low_i, low_j = grid.cells(low)
    keep = (z >= LEG_BAND[0]) & (z <= HEAD_BOTTOM[1] + HEAD_MARGIN)
    # Only points on a wall's cells or the cells beside them are read.
    keep[keep] = grid.lookup(ndimage.binary_dilation(wall), points[keep, :2])
    xy, pz = points[keep, :2], z[keep]
    i, j = grid.cells(xy)
    seen: list[Opening] = []
    for axis in (0, 1):
        faces = _Faces(xy, i, j, pz) if axis == 0 else _Faces(xy, j, i, pz)
        floors = _Faces(low, low_i, low_j) if axis == 0 else _Faces(low, low_j, low_i)
        for view in (1, -1):
            for line, a, b in _face_runs(grid, wall, floor, axis=axis, view=view):
                found = _doors_on_face(grid, faces, line, a, b, axis=axis, view=view, options=options,
                                       floors=floors)
                seen += [o for o in found if _floor_before(grid, floor, o, line=line, axis=axis, view=view)]
    out: list[Opening] = []
    for o in seen:
        if _known(o, opened + out):
            continue
        # The same door seen from both faces: the mean of the two widths, and
        # the mean of the two centres (each set half a wall behind its face).
        same = [p for p in seen if p.direction == o.direction and _known(o, [p])]
        centre = np.mean([p.centre for p in same], axis=0)
        width = float(np.mean([p.width for p in same]))
        out.append(replace(o, centre=(float(centre[0]), float(centre[1])), width=width))
    return out


def _floor_before(grid: Grid, floor: np.ndarray, o: Opening, *, line: int, axis: int, view: int) -> bool:
    """Open floor seen in front of at least :data:`FLOOR_BEFORE` of the door's width.

    A door is walked through: the side it was seen from has floor at the
    storey's level before it.  A stair flight along a wall has not (its treads
    stand above the floor), nor has a wall behind a run of fixed furniture.
    """
    half = o.width / 2
    centre = o.centre[axis]
    origin = grid.x0 if axis == 0 else grid.y0
    lo = int(np.floor((centre - half - origin) / grid.cell))
    hi = int(np.ceil((centre + half - origin) / grid.cell))
    reach = max(2, round(SPACE_REACH / grid.cell))
    lines = [line + view * k for k in range(1, reach + 1)]
    lines = [x for x in lines if 0 <= x < floor.shape[axis]]
    lo, hi = max(lo, 0), min(hi, floor.shape[1 - axis])
    if not lines or hi <= lo:
        return False
    block = floor[lines, lo:hi] if axis == 0 else floor[lo:hi, lines].T
    return bool(block.any(axis=0).mean() >= FLOOR_BEFORE)


def _stable_order(key: np.ndarray) -> np.ndarray:
    """The stable order of non-negative integer keys (grid lines, bins along a face).

    A grid line index fits 16 bits on any storey (65,535 cells is 3 km at
    5 cm), as does a 2 cm bin along a face, and numpy sorts 16-bit keys
    stably by radix in linear time, several times faster than the merge sort
    it uses for 64-bit keys; a stable order is unique, so the result is the same.
    """
    if len(key) and int(key.max()) <= np.iinfo(np.uint16).max and int(key.min()) >= 0:
        return np.argsort(key.astype(np.uint16), kind="stable")
    return np.argsort(key, kind="stable")


def _known(o: Opening, others: list[Opening]) -> bool:
    """The same door as one already found (the other face of its wall, or an open-door or recess find)."""
    x, y = o.centre
    return any(np.hypot(x - p.centre[0], y - p.centre[1]) < max(o.width, p.width) / 2 + SAME_DOOR
               for p in others)


class _Faces:
    """The storey's points by grid line (row or column) across the walls being read.

    The points are sorted by line when first read: the floor returns are read
    only under a leaf whose head is hidden, so most storeys never sort them
    (a million returns on a 10 M-point storey).
    """

    def __init__(self, xy: np.ndarray, line: np.ndarray, along: np.ndarray, z: np.ndarray | None = None
                 ) -> None:
        self._given = (xy, line, along, z)

    @functools.cached_property
    def _by_line(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        xy, line, along, z = self._given
        order = _stable_order(line)
        return xy[order], line[order], along[order], None if z is None else z[order]

    @property
    def xy(self) -> np.ndarray:
        """Plan position of each point, in line order."""
        return self._by_line[0]

    @property
    def z(self) -> np.ndarray:
        """Height of each point above the floor, in line order."""
        z = self._by_line[3]
        if z is None:
            raise ValueError("these points were given without heights")
        return z

    def near(self, lines: tuple[int, int], a: int, b: int) -> np.ndarray:
        """Indices of the points on grid lines ``lines`` (inclusive) and cells ``a``..``b`` along them."""
        _, line, along, _ = self._by_line
        lo, hi = np.searchsorted(line, [min(lines), max(lines) + 1])
        run = along[lo:hi]
        return lo + np.flatnonzero((run >= a) & (run <= b))


def _face_runs(grid: Grid, wall: np.ndarray, floor: np.ndarray, *, axis: int, view: int
               ) -> list[tuple[int, int, int]]:
    """Wall faces seen from the ``view`` side: (grid line, first cell, last cell) along it."""
    # The wall band holds the faces only (nothing is seen inside a wall), so a
    # face looks onto the space whose floor is seen before the next wall cell.
    clear = np.ones_like(wall)
    seen = np.zeros_like(floor)
    for k in range(1, max(2, round(SPACE_REACH / grid.cell)) + 1):
        clear &= ~np.roll(wall, -view * k, axis=axis)
        seen |= clear & np.roll(floor, -view * k, axis=axis)
    face = wall & seen
    # Bridge the few cells where the face is broken along its line.
    line = np.ones((1, 5), dtype=bool) if axis == 0 else np.ones((5, 1), dtype=bool)
    face = ndimage.binary_closing(face, structure=line) | face
    # A leg standing proud can take the cell in front, and the face steps a
    # line toward the viewer over it: cells touching at a corner are one face,
    # read on its commonest line and the one in front of it.  So are cells a
    # cell apart across a step to the next line: a face at 45 degrees to the
    # scan's voxels steps so (a shut door of the sample hospital turned 45
    # degrees had its face part at it, a leg on each part, and was lost).
    step = np.ones((1, 3), dtype=bool) if axis == 0 else np.ones((3, 1), dtype=bool)
    grown = ndimage.binary_dilation(face, structure=step)
    lab, _ = ndimage.label(grown, structure=np.ones((3, 3), dtype=bool))
    lab = np.where(face, lab, 0)
    runs = []
    shortest = MIN_FACE / grid.cell
    for k, sl in enumerate(ndimage.find_objects(lab)):
        if sl is None:
            continue
        cells = np.argwhere(lab[sl] == k + 1) + np.array([sl[0].start, sl[1].start])
        lines, along = cells[:, axis], cells[:, 1 - axis]
        main = int(np.bincount(lines - lines.min()).argmax() + lines.min())
        near = np.abs(lines - main) <= 1
        a, b = int(along[near].min()), int(along[near].max())
        if b - a + 1 >= shortest:
            runs.append((main, a, b))
    return runs


def _doors_on_face(grid: Grid, faces: _Faces, line: int, a: int, b: int, *, axis: int, view: int,
                   options: ExtractOptions, floors: _Faces) -> list[Opening]:
    """The framed doors on one face (grid ``line``, cells ``a``..``b``), seen from the ``view`` side;
    ``floors`` holds the storey's floor returns, for the gap under a leaf whose head is hidden."""
    c = grid.cell
    k = faces.near((line - view, line + view), a, b)
    if len(k) < MIN_FACE_POINTS:
        return []
    xy = faces.xy[k]
    u, across = xy[:, axis], xy[:, 1 - axis]  # walls along x (axis 0): u is x, across is y
    origin = grid.y0 if axis == 0 else grid.x0
    # Proudness toward the viewer, from the face cell's far edge.
    far_edge = origin + (line + (1 if view < 0 else 0)) * c
    p = (across - far_edge) * view
    ok = (p >= -c - 0.01) & (p <= c + FRONT)
    u, p, z = u[ok], p[ok], faces.z[k][ok]
    fit = _face_line(u, p)
    if fit is None:
        return []
    d = p - np.polyval(fit, u)
    near = (d > -BEHIND) & (d < FRONT)
    if not near.any():
        # Sparse returns on both sides of the face and none on it (a scan thinned to 15 cm
        # spacing): the line fitted between them holds no face to read a frame on.
        return []
    u, d, z = u[near], d[near], z[near]
    lo = float(u.min())
    legs_band = z <= LEG_BAND[1]
    prof = _profile(u[legs_band] - lo, d[legs_band])
    out: list[Opening] = []
    for (l_start, left), (right, r_stop) in _leg_pairs(prof, options):
        # Points are told apart halfway between the legs' and the leaf's proudness.
        legs = np.concatenate([prof[l_start:left], prof[right:r_stop]])
        cut = (float(np.nanmedian(legs)) + float(np.nanmedian(prof[left:right]))) / 2
        l_in = _edge(u[legs_band], d[legs_band], lo + left * BIN, rising=False, cut=cut)
        r_in = _edge(u[legs_band], d[legs_band], lo + right * BIN, rising=True, cut=cut)
        if l_in is None or r_in is None:
            continue
        width = r_in - l_in
        if not options.door_min_width <= width <= options.door_max_width:
            continue
        span = (u > l_in + EDGE_WINDOW) & (u < r_in - EDGE_WINDOW)
        if not _has_head(z[span], d[span]) and not _gap_under(floors, line, a, b, axis=axis, view=view,
                                                               fit=fit, far_edge=far_edge, ends=(l_in, r_in)):
            continue
        mid = (l_in + r_in) / 2
        face = float(np.polyval(fit, mid))
        across_c = (face - options.exterior_offset) * view + far_edge
        centre = (mid, across_c) if axis == 0 else (across_c, mid)
        direction = (1.0, 0.0) if axis == 0 else (0.0, 1.0)
        out.append(Opening((float(centre[0]), float(centre[1])), direction, float(width),
                           2 * options.exterior_offset, closed=True))
    return out


def _face_line(u: np.ndarray, p: np.ndarray) -> np.ndarray | None:
    """The face as a line p(u), fitted to :data:`FACE_BIN` medians twice (bins far off dropped)."""
    bins = np.floor((u - u.min()) / FACE_BIN).astype(np.int64)
    ok = np.bincount(bins) >= MIN_BIN_POINTS
    if ok.sum() < 4:
        return None
    cu, mp = _bin_medians(bins, u)[ok], _bin_medians(bins, p)[ok]
    # The wall face is the farthest surface back that holds most bins: start
    # from the lower half, so frames and fixtures do not pull the line forward.
    keep = mp <= np.median(mp) + FACE_TOLERANCE
    fit = np.polyfit(cu[keep], mp[keep], 1)
    keep = np.abs(mp - np.polyval(fit, cu)) <= FACE_TOLERANCE
    if keep.sum() < 3:
        return None
    return np.polyfit(cu[keep], mp[keep], 1)


def _profile(u: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Median proudness per :data:`BIN` along ``u`` (``nan`` where too few points).

    >>> float(_profile(np.array([0.001, 0.005, 0.011, 0.015, 0.041]), np.array([1.0, 3.0, 2.0, 0.0, 5.0]))[0])
    1.5
    """
    return _bin_medians(np.floor(u / BIN).astype(np.int64), d)


def _bin_medians(bins: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The median of ``values`` in each bin ``0..bins.max()`` (``nan`` where fewer than
    :data:`MIN_BIN_POINTS`); one sort for all the bins, the same figures as ``np.median`` per bin.

    >>> _bin_medians(np.array([0, 0, 0, 0, 1, 1, 1, 1, 1]), np.array([4.0, 1, 3, 2, 9, 5, 7, 6, 8])).tolist()
    [2.5, 7.0]
    """
    nb = int(bins.max()) + 1 if len(bins) else 0
    med = np.full(nb, np.nan)
    if not nb:
        return med
    by_value = np.argsort(values)
    vs = values[by_value][_stable_order(bins[by_value])]  # by bin, then by value within it
    counts = np.bincount(bins, minlength=nb)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ok = counts >= MIN_BIN_POINTS
    lo = starts[ok] + (counts[ok] - 1) // 2
    hi = starts[ok] + counts[ok] // 2
    med[ok] = (vs[lo] + vs[hi]) / 2
    return med


def _leg_pairs(prof: np.ndarray, options: ExtractOptions
               ) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The bins [start, stop) of the left and the right leg of each leg pair with a leaf between."""
    legs = [(a, b) for a, b in _proud_runs(prof) if RIDGE_WIDTH[0] - BIN <= (b - a) * BIN <= RIDGE_WIDTH[1]]
    pairs = []
    for (l_start, l_end), (r_start, r_stop) in itertools.pairwise(legs):
        gap = (r_start - l_end) * BIN
        if not options.door_min_width - 2 * BIN <= gap <= options.door_max_width + 2 * BIN:
            continue
        between = prof[l_end:r_start]
        seen = between[~np.isnan(between)]
        if len(seen) < LEAF_SEEN * len(between):
            continue
        if np.mean(np.abs(seen) < RIDGE_PROUD[0]) < LEAF_SEEN:
            continue
        pairs.append(((l_start, l_end), (r_start, r_stop)))
    return pairs


def _proud_runs(prof: np.ndarray) -> list[tuple[int, int]]:
    """Runs [start, stop) of profile bins standing :data:`RIDGE_PROUD` proud; empty bins do not split a run.

    At 5 cm voxels a 2 cm bin is empty every other step or so, up a leg or
    across a head alike.

    >>> _proud_runs(np.array([0.0, 0.02, np.nan, 0.02, 0.0, np.nan, 0.02]))
    [(1, 4), (6, 7)]
    """
    proud = (prof >= RIDGE_PROUD[0]) & (prof <= RIDGE_PROUD[1])
    valid = np.flatnonzero(~np.isnan(prof))
    runs: list[tuple[int, int]] = []
    start = -1
    for k, v in enumerate(valid.tolist()):
        if proud[v] and start < 0:
            start = v
        if start >= 0 and (k + 1 == len(valid) or not proud[valid[k + 1]]):
            runs.append((int(start), int(v) + 1))
            start = -1
    return runs


def _edge(u: np.ndarray, d: np.ndarray, guess: float, *, rising: bool, cut: float = RIDGE_PROUD[0]
          ) -> float | None:
    """Where the face changes between a leg (proud) and the leaf (flush) near ``guess``.

    ``rising``: proud on the far side (the right leg's inner edge); ``cut``:
    the proudness (m) that tells a leg's point from the leaf's.  The edge
    is the split of the points, sorted along the face, that misclassifies
    the fewest of them.
    """
    sel = np.abs(u - guess) <= EDGE_WINDOW
    if sel.sum() < 10:
        return None
    order = np.argsort(u[sel])
    us = u[sel][order]
    proud = d[sel][order] >= cut
    first = ~proud if rising else proud  # what the points before the edge should be
    # Split after k points: mistakes are the others before it and the first kind after it.
    err = np.concatenate([[0], np.cumsum(~first)]) + np.concatenate([np.cumsum(first[::-1])[::-1], [0]])
    k = int(np.argmin(err))
    if k == 0 or k == len(us):
        return None
    # The leg's face is the frontmost surface there, always in view; the leaf
    # beside it lies in the leg's shadow for a scanner off to the side (2 cm
    # proud seen at 60 degrees hides 3.5 cm), so the edge is the leg's last point.
    return float(us[k] if rising else us[k - 1])


def _gap_under(floors: _Faces, line: int, a: int, b: int, *, axis: int, view: int, fit: np.ndarray,
               far_edge: float, ends: tuple[float, float]) -> bool:
    """Floor seen behind the face line along the span, inside the wall: under the leaf.

    A wall stands on its floor, so no floor shows behind its face; a leaf
    hangs 10-19 mm above it (and may be set back up to a centimetre), and a
    scanner sees a little floor under it.
    """
    k = floors.near((line - 2 * view, line), a, b)
    if not len(k):
        return False
    xy = floors.xy[k]
    u = xy[:, axis]
    d = (xy[:, 1 - axis] - far_edge) * view - np.polyval(fit, u)
    under = ((-d > GAP_BEHIND[0]) & (-d < GAP_BEHIND[1])
             & (u > ends[0] + EDGE_WINDOW) & (u < ends[1] - EDGE_WINDOW))
    return len(np.unique(np.floor(u[under] / GAP_BIN))) >= GAP_MIN_BINS


def _has_head(z: np.ndarray, d: np.ndarray) -> bool:
    """A head across the span: a proud band starting 1.9-2.5 m up, flush wall above it."""
    sel = z >= HEAD_BOTTOM[0] - HEAD_MARGIN
    if sel.sum() < 20:
        return False
    prof = _profile(z[sel] - (HEAD_BOTTOM[0] - HEAD_MARGIN), d[sel])
    heights = HEAD_BOTTOM[0] - HEAD_MARGIN + (np.arange(len(prof)) + 0.5) * BIN
    for a, b in _proud_runs(prof):
        bottom, top = heights[a] - BIN / 2, heights[b - 1] + BIN / 2
        if not HEAD_BOTTOM[0] - BIN <= bottom <= HEAD_BOTTOM[1] or top - bottom > RIDGE_WIDTH[1]:
            continue
        below = prof[max(0, a - 5):a]
        above = prof[b:b + 5]
        below, above = below[~np.isnan(below)], above[~np.isnan(above)]
        if len(above) >= 1 and np.all(np.abs(above) < RIDGE_PROUD[0]) and (
                len(below) == 0 or np.mean(np.abs(below) < RIDGE_PROUD[0]) >= 0.5):
            return True
    return False
