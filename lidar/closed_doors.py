"""Closed doors: a leaf set back in its frame, seen from the side it is recessed from.

A shut door leaves no gap in the wall band, but its leaf is thinner than the
wall and set back from at least one face: seen from that side, the wall's
face steps back over the door's width between the floor and the door head,
while the lintel above keeps the face.  On the plan grid (storey frame, so
walls run along the axes) that is a line of cells filled in the lintel band
but not in the wall band, with wall-band cells (the leaf) 5-20 cm behind it,
floor seen in front of it (a cabinet standing there would hide the floor),
and the wall face resuming at both ends (the jambs).  The clear width is the
gap between the jamb faces, measured on the wall-band points lying on the
face line, as for open doors.  A leaf flush with both faces (no recess on
either side, or recessed only on a side nobody scanned) leaves no trace in
the plan and is not found: the room behind it is left out, and the warning
names the wall the door is likely in (:func:`lidar.assembly.keep_reachable`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from lidar.doors import Opening
from lidar.grid import Grid
from lidar.options import ExtractOptions

__all__ = ["LEAF_SETBACK", "detect_closed_doors"]

#: How far behind the recessed face (m) the leaf may stand.
LEAF_SETBACK = (0.05, 0.2)
#: How far in front of the recess (m) the floor must be seen.
FLOOR_REACH = 0.3
#: How far (m) in front of the wall's far face a leaf's face must stand: a leaf
#: (commonly 44 mm for an FD30 fire door, 54 mm for an FD60; the synthetic one
#: 40 mm, 10 mm in from its far face) is thinner than its wall (100 mm studs and
#: up) by at least this.
LEAF_INSET = 0.025
#: Beyond the recess's depth (m), how far back the far face may stand (a 30 cm wall).
FAR_FACE_REACH = 0.15
#: How far (m) beyond a recess's ends the wall face must resume (the jambs): a
#: face at 45 degrees to the scan's voxels leaves a few cells by a jamb empty in
#: the wall band (the sample hospital's west lift door turned 45 degrees: 15 cm).
JAMB_SEARCH = 0.25
#: Along the wall (m): the jamb reveals are left out this far inside the ends,
#: and the far face is read from here to JAMB_REACH beyond them.
JAMB_CLEAR = 0.05
JAMB_REACH = 0.6
#: Far-face points needed beyond the jambs to compare the leaf with.
MIN_FACE_POINTS = 10
#: Bins (m) along the recess, and the share of them the leaf must show in.
LEAF_BIN = 0.05
MIN_LEAF_COVER = 0.4


def detect_closed_doors(grid: Grid, *, wall: np.ndarray, lintel: np.ndarray, floor: np.ndarray,
                        band_points: np.ndarray, opened: list[Opening], options: ExtractOptions
                        ) -> list[Opening]:
    """Shut doors on one storey (plan grid in the storey's wall frame).

    Args:
        grid: The plan grid.
        wall: Cells filled in the wall band.
        lintel: Cells filled in the lintel band.
        floor: Cells where open floor was seen.
        band_points: Plan coordinates (n, 2) of the wall-band points.
        opened: Openings already found (a recess there is an open door's reveal).
        options: Door width limits.

    Returns:
        One :class:`~lidar.doors.Opening` per shut door, on the wall's centre line.
    """
    c = grid.cell
    recess = lintel & ~wall
    out: list[Opening] = []
    lo, hi = max(1, round(LEAF_SETBACK[0] / c)), max(1, round(LEAF_SETBACK[1] / c))
    reach = max(1, round(FLOOR_REACH / c))
    for axis in (0, 1):  # walls along x (rows), then along y (columns)
        for sign in (1, -1):  # the leaf lies on this side of the recessed face
            leaf = np.zeros_like(wall)
            seen = np.zeros_like(floor)
            for k in range(lo, hi + 1):
                leaf |= np.roll(wall, -sign * k, axis=axis)
            for k in range(1, reach + 1):
                seen |= np.roll(floor, sign * k, axis=axis)
            cand = recess & leaf & seen
            out += _runs(grid, cand, wall, axis=axis, sign=sign, band_points=band_points, opened=opened,
                         options=options)
    return out


def _runs(grid: Grid, cand: np.ndarray, wall: np.ndarray, *, axis: int, sign: int, band_points: np.ndarray,
          opened: list[Opening], options: ExtractOptions) -> list[Opening]:
    c = grid.cell
    along = 1 - axis  # walls along x vary in column index
    line = np.ones((1, 3), dtype=bool) if axis == 0 else np.ones((3, 1), dtype=bool)
    # Cells touching at a corner are one recess: a face at 45 degrees to the
    # scan's voxels steps between two grid lines (the sample hospital's west
    # lift door, scanned turned 45 degrees, fell into five pieces and was lost).
    lab, _ = ndimage.label(ndimage.binary_closing(cand, structure=line) | cand, structure=np.ones((3, 3)))
    out: list[Opening] = []
    for sl in ndimage.find_objects(lab):
        if sl is None:
            continue
        span = (sl[along].stop - sl[along].start) * c
        if not 0.8 * options.door_min_width <= span <= options.door_max_width + 0.1:
            continue
        row = (sl[axis].start + sl[axis].stop - 1) // 2
        a, b = sl[along].start, sl[along].stop
        # Jambs: the wall face resumes just beyond both ends (on the lines the
        # recess covers, or the next: a face stepping between two lines).
        band = slice(max(0, sl[axis].start - 1), sl[axis].stop + 1)
        lines = wall[band, :].any(axis=0) if axis == 0 else wall[:, band].any(axis=1)
        face: np.ndarray = np.asarray(lines)
        reach = max(3, round(JAMB_SEARCH / c))
        if not (face[max(0, a - reach):a].any() and face[b:b + reach].any()):
            continue
        ii = np.array([row, row]) if axis == 0 else np.array([a, b - 1])
        jj = np.array([a, b - 1]) if axis == 0 else np.array([row, row])
        ends = grid.centres(ii, jj)
        width, mid = _measure(band_points, ends, axis=axis, cell=c)
        if width is None or not options.door_min_width <= width <= options.door_max_width:
            continue
        if not _leaf_seen(band_points, mid, width, axis=axis, sign=sign):
            continue
        u = np.array([1.0, 0.0]) if axis == 0 else np.array([0.0, 1.0])
        nrm = np.array([0.0, 1.0]) if axis == 0 else np.array([1.0, 0.0])
        # The face seen is the recessed side's; the wall's centre is half a wall behind it.
        centre = mid + nrm * sign * options.exterior_offset
        if any(np.hypot(*(centre - np.asarray(o.centre))) < max(o.width, width) / 2 + 0.2
               for o in opened + out):
            continue
        out.append(Opening((float(centre[0]), float(centre[1])), (float(u[0]), float(u[1])), width,
                           2 * options.exterior_offset, closed=True))
    return out


def _leaf_seen(pts: np.ndarray, mid: np.ndarray, width: float, *, axis: int, sign: int) -> bool:
    """Whether a leaf stands in the recess, seen from the recessed side, in front of the wall's far face.

    A wall whose near face is hidden in the wall band (the flight of a stair
    climbing along it, its treads in the way) shows the same plan as a recess:
    lintel-band face, and the wall's far face, seen from the room beyond, 5-20
    cm behind.  A leaf is thinner than its wall: its face toward the recess
    stands at least :data:`LEAF_INSET` in front of the far face, which the far
    face's points beyond the jamb faces (``mid`` -+ ``width`` / 2) give.  Where
    the far face was not seen beyond the jambs, whatever stands in the recess
    is taken for the leaf.
    """
    k, m = axis, 1 - axis
    face = float(mid[m])
    lo, hi = float(mid[k]) - width / 2, float(mid[k]) + width / 2  # the jamb faces
    depth = (pts[:, m] - face) * sign
    # Depths are from the middle of the face's cells, which hold the face within half a cell.
    behind = (depth > LEAF_SETBACK[0] / 2) & (depth < LEAF_SETBACK[1] + FAR_FACE_REACH)
    along = pts[:, k]
    beyond = behind & (depth > LEAF_SETBACK[0]) & (((along > lo - JAMB_REACH) & (along < lo - JAMB_CLEAR))
                                                   | ((along > hi + JAMB_CLEAR) & (along < hi + JAMB_REACH)))
    inside = behind & (along > lo + JAMB_CLEAR) & (along < hi - JAMB_CLEAR)
    if beyond.sum() >= MIN_FACE_POINTS:
        inside &= depth < float(np.median(depth[beyond])) - LEAF_INSET
    bins = np.unique(np.floor(pts[inside, k] / LEAF_BIN))
    return len(bins) >= MIN_LEAF_COVER * (hi - lo - 2 * JAMB_CLEAR) / LEAF_BIN


def _measure(pts: np.ndarray, ends: np.ndarray, *, axis: int, cell: float) -> tuple[float | None, np.ndarray]:
    """Clear width between the jamb faces on the recessed face's line, and the opening's middle."""
    k = axis  # coordinate along the wall: x (0) for walls along x (grid rows, axis 0)
    m = 1 - k
    face = float(ends[0, m])
    lo, hi = float(ends[:, k].min()), float(ends[:, k].max())
    near = pts[(np.abs(pts[:, m] - face) <= cell / 2 + 0.01) & (pts[:, k] > lo - 0.5)
               & (pts[:, k] < hi + 0.5)]
    centre = (lo + hi) / 2
    left, right = near[near[:, k] < centre, k], near[near[:, k] > centre, k]
    if len(left) < 3 or len(right) < 3:
        return None, np.zeros(2)
    a = float(np.median(left[left >= left.max() - 0.02]))
    b = float(np.median(right[right <= right.min() + 0.02]))
    mid = np.empty(2)
    mid[k], mid[m] = (a + b) / 2, face
    return b - a, mid
