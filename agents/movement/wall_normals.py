"""Which way a wall pushes a mover: away from the nearest wall, and sideways only in a doorway.

The crowd kernel turns each mover away from the nearest wall
(:func:`agents.movement.csm_kernel.csm_moves`, its wall repulsion), along the direction
:func:`push_at` gives at the mover's own position.  Away from the nearest wall point is right
beside a wall (:func:`away_from_walls`, per raster cell), but not in a doorway: there the
nearest wall points are the two jambs, and "away from a jamb" leans back out of the door.  A
bed needs 1.0 of a 1.1 m door; in the doorway its room equals its half width, the push is at
its strongest, and leaning back it was turned round at the door line, again and again, and
never left the room (``tests/agents/movement/test_wall_normals.py``).

Within :data:`PASSAGE_DEPTH` of a door or exit line, and along the opening at least
:data:`PASSAGE_MARGIN` from either jamb, the jambs are the sides of a passage
(:func:`passages`): both push, the nearer harder, and what is left of the two is along the door
line, towards the opening's centre line from the mover's side of it, fading to nothing on it.
It is worked out at the mover's own position, not at its cell's centre: a cell holding the
centre line has points on both sides of it, and a wheelchair 4 cm off the centre of an exit of
exactly its width, whose cell's centre lay across the line, was pushed towards the nearer jamb
and stopped 2 cm short of the exit for good.  Nearer a jamb than :data:`PASSAGE_MARGIN`, a mover
is at its corner, not between the jambs, and the whole push turns them round it as before.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from agents.movement.navigation import LevelGrid, cell_window
from facility.mobility import BED, REDUCED
from facility.model import Door, Exit, Facility

__all__ = ["PASSAGE_DEPTH", "PASSAGE_MARGIN", "away_from_walls", "passages", "push_at"]

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


def passages(grid: LevelGrid, facility: Facility) -> np.ndarray:
    """Per cell of ``grid`` (rows, columns, 3): in an opening's passage, the unit vector along its
    door line and the centre line's coordinate along it, ``(tx, ty, m)`` (a point ``(x, y)`` is
    ``m - (x tx + y ty)`` short of the centre line along ``(tx, ty)``); zeros elsewhere.

    A cell is in the passage when its centre is within :data:`PASSAGE_DEPTH` of the door line
    and at least :data:`PASSAGE_MARGIN` from either jamb along it.
    """
    out = np.zeros((*grid.shape, 3))
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
        inside = ((along >= PASSAGE_MARGIN) & (along <= length - PASSAGE_MARGIN)
                  & (np.abs(across) <= PASSAGE_DEPTH))
        win = out[rows, cols]
        win[inside] = (tx, ty, (ax + bx) / 2 * tx + (ay + by) / 2 * ty)
    return out


@njit(cache=True)
def push_at(normal: np.ndarray, line: np.ndarray, x: float, y: float,
            wall_range: float) -> tuple[float, float]:
    """The direction the walls push a mover at ``(x, y)``, in a cell with away-from-walls
    ``normal`` (:func:`away_from_walls`) and passage ``line`` (:func:`passages`).

    Outside a passage, ``normal``.  In one, along the door line towards its centre line, of
    length ``1 - exp(-2 o / wall_range)`` at ``o`` m off it: the crowd kernel scales the push
    by the nearer wall's strength, ``exp((r - a) / wall_range)`` at ``a`` m from it
    (:func:`agents.movement.csm_kernel.csm_moves`), and the farther jamb, ``2 o`` m farther,
    pushes back by ``exp((r - a - 2 o) / wall_range)``: what the two leave is this fraction of
    the nearer's push.
    """
    tx, ty = line[0], line[1]
    if tx == 0.0 and ty == 0.0:
        return normal[0], normal[1]
    off = line[2] - (x * tx + y * ty)
    g = 1.0 - math.exp(-2.0 * abs(off) / wall_range)
    if off < 0.0:
        g = -g
    return g * tx, g * ty
