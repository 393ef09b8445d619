"""Which way a wall pushes, per raster cell: away from the nearest wall, and sideways only in a doorway.

The crowd kernel turns each mover away from the nearest wall
(:func:`agents.movement.csm_kernel.csm_moves`, its wall repulsion), along this vector of the
cell the mover stands in.  Away from the nearest wall point is right beside a wall, but not in
a doorway: there the nearest wall points are the two jambs, and "away from a jamb" leans back
out of the door.  A bed needs 1.0 of a 1.1 m door; in the doorway its room equals its half
width, the push is at its strongest, and leaning back it was turned round at the door line,
again and again, and never left the room (``tests/agents/movement/test_wall_normals.py``).

Within :data:`PASSAGE_DEPTH` of a door or exit line, and along the opening at least
:data:`PASSAGE_MARGIN` from either jamb, the jambs are the sides of a passage: only the part
of the push along the door line is kept, which centres a mover in the opening and never turns
it back.  Nearer a jamb than that, a mover is at its corner, not between the jambs,
and the whole push turns them round it as before.
"""

from __future__ import annotations

import numpy as np

from agents.movement.navigation import LevelGrid, cell_window
from facility.mobility import BED, REDUCED
from facility.model import Door, Exit, Facility

__all__ = ["PASSAGE_DEPTH", "PASSAGE_MARGIN", "away_from_walls", "wall_push"]

#: Distance (m) along a door line from either jamb beyond which a point is between the jambs:
#: the half width of the widest walker (:data:`facility.mobility.REDUCED`, 0.3 m).  A walker
#: closer than that to a jamb has it beside them, a corner to get round; a bed (centre 0.5 m
#: from each jamb of its 1.1 m door) or a wheelchair (0.35-0.45 m in a 0.8 m door) is always
#: between the two.
PASSAGE_MARGIN = REDUCED.radius
#: Distance (m) from a door line within which a mover between the jambs is in the passage: a
#: bed's half width plus a cell (:data:`facility.mobility.BED`, 0.5 + 0.1 m), so a bed is in
#: it as soon as its width reaches the door line.  There the jamb's whole push, twice the
#: walking direction, turned a bed 0.4 m short of a 1.4 m door and 0.4 m off its centre line
#: away from it, into staff waiting in the room, for good (the day drill, seed 2: 12 left
#: inside).  A walker that far from a wall feels next to no push.
PASSAGE_DEPTH = BED.radius + 0.1


def away_from_walls(grid: LevelGrid) -> np.ndarray:
    """Per cell of ``grid`` (rows, columns, 2): the unit vector away from the nearest wall (the
    normalised gradient of :attr:`LevelGrid.wall`; zero where it has none).  Placement lays a
    parked bed along the wall by it."""
    gy, gx = np.gradient(grid.wall)
    n = np.hypot(gx, gy)
    out = np.zeros((*grid.wall.shape, 2))
    ok = n > 1e-9
    out[ok, 0] = gx[ok] / n[ok]
    out[ok, 1] = gy[ok] / n[ok]
    return out


def wall_push(grid: LevelGrid, facility: Facility, away: np.ndarray) -> np.ndarray:
    """Per cell of ``grid`` (rows, columns, 2): the direction the nearest wall pushes a mover.

    ``away`` (:func:`away_from_walls`), except between a doorway's jambs, where only its
    component along the door line is kept (not normalised again: it fades to zero on the
    opening's centre line, where the two jambs' pushes cancel).
    """
    out = away.copy()
    openings: list[Door | Exit] = [facility.door(d) for d in grid.door_cells]
    openings += [facility.exit(e) for e in grid.exit_ids]
    ny, nx = grid.shape
    for opening in openings:
        seg = facility.door_segment(opening)
        (ax, ay), (bx, by) = seg.coords[0], seg.coords[-1]
        length = float(np.hypot(bx - ax, by - ay))
        if length <= 0.0:
            continue
        tx, ty = (bx - ax) / length, (by - ay) / length
        rows, cols = cell_window(seg.buffer(PASSAGE_DEPTH, cap_style="flat"), grid.x0, grid.y0, grid.h)
        cy = grid.y0 + (np.arange(ny)[rows] + 0.5) * grid.h
        cx = grid.x0 + (np.arange(nx)[cols] + 0.5) * grid.h
        px, py = np.meshgrid(cx - ax, cy - ay)
        along = px * tx + py * ty
        across = px * -ty + py * tx
        between = (along >= PASSAGE_MARGIN) & (along <= length - PASSAGE_MARGIN)
        inside = between & (np.abs(across) <= PASSAGE_DEPTH)
        win = out[rows, cols]
        lateral = win[..., 0] * tx + win[..., 1] * ty
        win[inside, 0] = lateral[inside] * tx
        win[inside, 1] = lateral[inside] * ty
    return out
