"""Compiled inner loop of the collision-free speed model step (:mod:`agents.movement.pedestrians`).

One call computes every agent's direction, speed and fallback direction for a
step.  Neighbours are found with a cell list (cells as wide as the interaction
cutoff, keyed by level, row and column), and each agent sums over its own
neighbours, so the loop needs no scatter-adds and compiles to a few tight
loops with numba.  The rules, their constants and their reasons are documented
in ``docs/evacuation.md`` and on ``step_directions_speeds`` of ``tests/agents/movement/csm_calls.py``;
this module is only their arithmetic.  ``tests/agents/movement/csm_reference.py`` holds the same rules
written as numpy pair arrays, and the tests check that both agree.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["NeighbourGrid", "csm_moves", "csm_step", "footprint_room", "grid_cell", "neighbour_grid",
           "room_at", "room_reached", "still", "wall_move", "wall_move_one"]


#: Most cells the neighbour grid may have per agent (plus :data:`_CELLS_MIN`): people spread
#: over a large site get coarser cells instead of a huge grid (3 x 3 cells still cover the cutoff).
_CELLS_PER_AGENT = 8
_CELLS_MIN = 4096

#: A cell list (:func:`neighbour_grid`): per agent its cell column, row and key; the agents in
#: cell order; each cell's start in that order; the grid's width and height in cells.
NeighbourGrid = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]


@njit(cache=True)
def neighbour_grid(pos: np.ndarray, layer: np.ndarray, size: float) -> NeighbourGrid:
    """Neighbour grid (cell list): cells at least ``size`` wide keyed by (layer, row, column).

    Returns each agent's cell column, row and key, the agents ordered by cell (by index within a
    cell), the start of each cell's run in that order (``start[c]:start[c + 1]``) and the grid
    width and height.
    """
    n = pos.shape[0]
    minx, maxx = pos[:, 0].min(), pos[:, 0].max()
    miny, maxy = pos[:, 1].min(), pos[:, 1].max()
    nl = layer.max() + 1
    while True:
        ncx = int((maxx - minx) / size) + 1
        ncy = int((maxy - miny) / size) + 1
        if nl * ncx * ncy <= _CELLS_PER_AGENT * n + _CELLS_MIN:
            break
        size *= 2.0
    cx = np.empty(n, np.int64)
    cy = np.empty(n, np.int64)
    key = np.empty(n, np.int64)
    start = np.zeros(nl * ncx * ncy + 1, np.int64)
    for k in range(n):
        cx[k] = int((pos[k, 0] - minx) / size)
        cy[k] = int((pos[k, 1] - miny) / size)
        key[k] = (layer[k] * ncy + cy[k]) * ncx + cx[k]
        start[key[k] + 1] += 1
    for c in range(1, start.size):
        start[c] += start[c - 1]
    fill = start[:-1].copy()
    order = np.empty(n, np.int64)
    for k in range(n):
        order[fill[key[k]]] = k
        fill[key[k]] += 1
    return cx, cy, key, order, start, ncx, ncy


@njit(cache=True)
def _later(i: int, j: int, priority: np.ndarray) -> bool:
    """Whether j queues behind i for the same portal (ties within 5 cm: the higher index)."""
    if priority[j] > priority[i] + 0.05:
        return True
    return abs(priority[j] - priority[i]) <= 0.05 and j > i


@njit(cache=True)
def _joined_later(i: int, j: int, group: np.ndarray, priority: np.ndarray,  # noqa: PLR0917 - numba
                  join_group: np.ndarray, join_priority: np.ndarray) -> bool:
    """Whether j queues behind i across a door: in the queue i is about to join, or i in the one
    j is about to join (:func:`csm_step`'s ``join_group``)."""
    if join_group[i] >= 0 and join_group[i] == group[j] and priority[j] > join_priority[i] + 0.05:
        return True
    return join_group[j] >= 0 and join_group[j] == group[i] and join_priority[j] > priority[i] + 0.05


@njit(cache=True)
def csm_step(  # noqa: PLR0917 - numba compiles positional parameters only
        pos: np.ndarray, layer: np.ndarray, radius: np.ndarray, extra: np.ndarray, desired: np.ndarray,
        v0: np.ndarray, wall_dist: np.ndarray, wall_normal: np.ndarray, group: np.ndarray,
        priority: np.ndarray, noise: np.ndarray, orient: np.ndarray, yielder: np.ndarray,
        unit: np.ndarray, flip: np.ndarray, merger: np.ndarray, join_group: np.ndarray,
        join_priority: np.ndarray, params: np.ndarray,
        flags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directions ``e``, speeds ``v`` and fallback directions of all agents for one step.

    Someone standing still (zero ``desired`` and ``v0``) with nobody walking within the
    neighbour cells gets ``e = 0`` and ``v = 0`` without further work (their direction would
    not move them; :func:`still`).

    ``params`` = :meth:`agents.movement.pedestrians.SpeedModel.kernel` (strength, range, wall strength,
    wall range, cutoff, time gap, mouth, sidestep, sidestep range, yield speed, step aside,
    yield lookahead);
    ``flags`` = (use group and priority, use orient, use yielder/unit, use flip, use merger).
    Arrays a flag switches off may be any array of the right length.

    A moving unit (``unit``) is not steered by people standing behind it (no ``desired``, on the
    far side of its walking direction): it moves away from them anyway, and their push turned it
    into a door's jamb (day drill, seed 8: a bed 0.3 m short of a single room's door, with three
    nurses standing at the next beds 1.1 m behind it, was pushed against the jamb for good).

    ``merger``: people in a side door waiting to step into the passing stream, who claim the
    spot in front of them (their ``desired`` direction, ``priority`` plus their radius ahead):
    anyone of another group walking towards that spot and not yet on it keeps their headway to
    it as if someone stood there (the zipper at a side door; see ``docs/evacuation.md``).

    ``join_group`` and ``join_priority`` (``-1`` and any value for nobody): someone about to
    leave a room by its door and join the queue beyond it is ranked in that queue too (group
    ``join_group``, remaining distance ``join_priority``), beside their own door's queue: whoever
    of the two queues by the other is later in that ranking neither pushes the other back nor
    holds them up (the queue rule of one group, across the door).
    """
    n = pos.shape[0]
    if n == 0:
        return np.empty((0, 2)), np.empty(0), np.empty((0, 2))
    grid = neighbour_grid(pos, layer, params[4])
    return csm_moves(pos, layer, radius, extra, desired, v0, wall_dist, wall_normal, group, priority, noise,
                     orient, yielder, unit, flip, merger, join_group, join_priority, params, flags, grid,
                     still(layer, desired, v0, grid))


@njit(cache=True)
def still(layer: np.ndarray, desired: np.ndarray, v0: np.ndarray,
          grid: NeighbourGrid) -> np.ndarray:
    """Who stands still with nobody walking in the neighbour cells round them (no ``desired``
    direction, no free speed): :func:`csm_moves` leaves them where they are without reading their
    walls or neighbours, which spares most of a building waiting for its phase."""
    cx, cy, key, _, start, ncx, ncy = grid
    n = layer.size
    walking = np.zeros(start.size - 1, np.bool_)
    for a in range(n):
        if abs(desired[a, 0]) + abs(desired[a, 1]) > 0:
            walking[key[a]] = True
    out = np.zeros(n, np.bool_)
    for i in range(n):
        if v0[i] != 0 or abs(desired[i, 0]) + abs(desired[i, 1]) != 0:
            continue
        near_walker = False
        for dyc in range(-1, 2):
            for dxc in range(-1, 2):
                yy = cy[i] + dyc
                xx = cx[i] + dxc
                if 0 <= yy < ncy and 0 <= xx < ncx:
                    near_walker = near_walker or walking[(layer[i] * ncy + yy) * ncx + xx]
        out[i] = not near_walker
    return out


@njit(cache=True)
def csm_moves(  # noqa: PLR0917 - numba compiles positional parameters only
        pos: np.ndarray, layer: np.ndarray, radius: np.ndarray, extra: np.ndarray, desired: np.ndarray,
        v0: np.ndarray, wall_dist: np.ndarray, wall_normal: np.ndarray, group: np.ndarray,
        priority: np.ndarray, noise: np.ndarray, orient: np.ndarray, yielder: np.ndarray,
        unit: np.ndarray, flip: np.ndarray, merger: np.ndarray, join_group: np.ndarray,
        join_priority: np.ndarray, params: np.ndarray, flags: np.ndarray,
        grid: NeighbourGrid, stand: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`csm_step` over a neighbour grid (:func:`neighbour_grid`) and the agents it may skip
    (:func:`still`): their ``wall_dist`` and ``wall_normal`` are never read."""
    n = pos.shape[0]
    strength, rng_d, wall_strength, wall_range, cutoff, time_gap = (
        params[0], params[1], params[2], params[3], params[4], params[5])
    mouth, sidestep, sidestep_range, yield_speed, step_aside, yield_lookahead = (
        params[6], params[7], params[8], params[9], params[10], params[11])
    use_group, use_orient, use_yield, use_flip, use_merge = flags[0], flags[1], flags[2], flags[3], flags[4]
    # Most crowds have nobody about to join another queue: they skip the checks across doors.
    use_join = False
    if use_group:
        for k in range(n):
            if join_group[k] >= 0:
                use_join = True
                break
    # Most steps have no merger at all: their walkers skip the second pass over their neighbours.
    if use_merge:
        use_merge = False
        for k in range(n):
            if merger[k]:
                use_merge = True
                break
    e = np.empty((n, 2))
    fallback = np.empty((n, 2))
    v = np.empty(n)
    cx, cy, _, order, start, ncx, ncy = grid
    cut2 = cutoff * cutoff
    # Positions in cell order: the scan of a cell's candidates reads memory in sequence.
    sx = np.empty(n)
    sy = np.empty(n)
    rank = np.empty(n, np.int64)
    for q in range(n):
        sx[q] = pos[order[q], 0]
        sy[q] = pos[order[q], 1]
        rank[order[q]] = q
    cand = np.empty(n, np.int64)
    los = np.empty(9, np.int64)
    his = np.empty(9, np.int64)
    nb = np.empty(n, np.int64)
    gnx = np.empty(n)
    gny = np.empty(n)
    gs = np.empty(n)
    gext = np.empty(n)
    glij = np.empty(n)
    for i in range(n):
        if stand[i]:
            e[i, 0], e[i, 1] = 0.0, 0.0
            fallback[i, 0], fallback[i, 1] = 0.0, 0.0
            v[i] = 0.0
            continue
        # -- neighbours within the cutoff on the same layer, with their geometry ------------------
        c = 0
        for dyc in range(-1, 2):
            for dxc in range(-1, 2):
                yy = cy[i] + dyc
                xx = cx[i] + dxc
                if yy < 0 or yy >= ncy or xx < 0 or xx >= ncx:
                    los[c] = 0
                    his[c] = 0
                else:
                    k = (layer[i] * ncy + yy) * ncx + xx
                    los[c] = start[k]
                    his[c] = start[k + 1]
                c += 1
        # Candidates within the cutoff first, without a branch per candidate (about a third of
        # the 3 x 3 cells' people pass, at random: a branch on it is mispredicted often), then
        # the geometry of those that pass, in the same order.
        m = 0
        pix, piy = pos[i, 0], pos[i, 1]
        me = rank[i]
        for c in range(9):
            for q in range(los[c], his[c]):
                dx = pix - sx[q]
                dy = piy - sy[q]
                cand[m] = q
                m += (dx * dx + dy * dy <= cut2) & (q != me)
        for t in range(m):
            q = cand[t]
            dx = pix - sx[q]
            dy = piy - sy[q]
            s = max(math.sqrt(dx * dx + dy * dy), 1e-9)
            j = order[q]
            nx, ny = dx / s, dy / s
            if use_orient:
                ext = (extra[i] * abs(nx * orient[i, 0] + ny * orient[i, 1])
                       + extra[j] * abs(nx * orient[j, 0] + ny * orient[j, 1]))
            else:
                ext = extra[i] + extra[j]
            nb[t] = j
            gnx[t] = nx
            gny[t] = ny
            gs[t] = s
            gext[t] = ext
            glij[t] = radius[i] + radius[j]
        dix, diy = desired[i, 0], desired[i, 1]
        moving_i = abs(dix) + abs(diy) > 0
        standing_i = not moving_i
        ex, ey = dix, diy
        ax, ay = 0.0, 0.0  # give-way direction
        bx, by = 0.0, 0.0  # give-way fallback
        yielding = False
        for q in range(m):
            j = nb[q]
            nx, ny, s, ext = gnx[q], gny[q], gs[q], gext[q]
            dx, dy = nx * s, ny * s
            lij = glij[q]
            reach = lij + ext
            merging = use_group and group[i] == group[j]
            if merging and priority[i] < mouth and _later(i, j, priority):
                rep = 0.0
            elif (use_join and join_group[i] >= 0 and join_group[i] == group[j]
                  and priority[j] > join_priority[i] + 0.05):
                rep = 0.0  # someone of the queue beyond i's door, behind i in it
            elif (use_yield and use_orient and unit[i] and desired[j, 0] == 0 and desired[j, 1] == 0
                  and nx * dix + ny * diy > 0):
                rep = 0.0  # a bed is not pushed on by people standing behind it (see the docstring)
            else:
                rep = strength * math.exp(min((reach - s) / rng_d, 30.0))
            ex += rep * nx
            ey += rep * ny
            # Sidestep round someone oncoming or standing.
            djx, djy = desired[j, 0], desired[j, 1]
            standing_j = abs(djx) + abs(djy) == 0
            along = -(nx * dix + ny * diy)
            cross = nx * diy - ny * dix
            oncoming = dix * djx + diy * djy < -0.3 and not merging
            if moving_i and (oncoming or standing_j) and along > 0 and abs(cross) * s < lij + 0.3:
                side = 1.0 if (oncoming or cross == 0) else (1.0 if cross > 0 else -1.0)
                rx, ry = diy * side, -dix * side
                if (not oncoming and rx * wall_normal[i, 0] + ry * wall_normal[i, 1] < -0.3
                        and wall_dist[i] - radius[i] < sidestep_range):
                    rx, ry = -rx, -ry
                if use_flip and flip[i]:
                    rx, ry = -rx, -ry
                w = sidestep * math.exp(min((reach + sidestep_range - s) / sidestep_range, 30.0))
                ex += w * rx
                ey += w * ry
            # Give way to a moving unit, or to anyone walking at someone standing.
            if use_yield and use_orient and yielder[i]:
                moving_j = not standing_j
                if unit[j]:
                    ox, oy = orient[j, 0], orient[j, 1]
                    look = yield_lookahead
                else:
                    ox, oy = djx, djy
                    look = step_aside
                if unit[j] or (standing_i and moving_j):
                    al = dx * ox + dy * oy
                    lat = ox * dy - oy * dx
                    same_way = dix * ox + diy * oy > 0.5
                    if (not same_way and al > -radius[j] and al < radius[j] + extra[j] + radius[i] + look
                            and abs(lat) < lij + 0.3):
                        sd = 1.0 if lat >= 0 else -1.0
                        ax += -oy * sd + 0.5 * ox
                        ay += ox * sd + 0.5 * oy
                        bx += ox
                        by += oy
                        yielding = True
        v0i = v0[i]
        if yielding:
            ex, ey = ax, ay
            bn = max(math.sqrt(bx * bx + by * by), 1e-9)
            fallback[i, 0], fallback[i, 1] = bx / bn, by / bn
            v0i = max(v0i, yield_speed)
        else:
            fallback[i, 0], fallback[i, 1] = dix, diy
        if moving_i:
            ex += noise[i, 0]
            ey += noise[i, 1]
        wrep = min(wall_strength * math.exp(min((radius[i] - wall_dist[i]) / wall_range, 30.0)), 50.0)
        ex += wrep * wall_normal[i, 0]
        ey += wrep * wall_normal[i, 1]
        norm = math.sqrt(ex * ex + ey * ey)
        if norm > 1e-9:
            ex, ey = ex / norm, ey / norm
        else:
            ex, ey = dix, diy
        e[i, 0], e[i, 1] = ex, ey
        # -- headway gap to neighbours ahead along the new direction -----------------------------
        gap = np.inf
        forward = ex * dix + ey * diy > 0
        for q in range(m):
            j = nb[q]
            nx, ny, s = gnx[q], gny[q], gs[q]
            lij = glij[q]
            if -(nx * ex + ny * ey) <= 0 or abs(nx * ey - ny * ex) * s >= lij:
                continue
            if (use_group and group[i] == group[j] and _later(i, j, priority) and not yielding
                    and forward):
                continue
            if use_join and not yielding and forward and _joined_later(i, j, group, priority, join_group,
                                                                          join_priority):
                continue
            gap = min(gap, s - lij - gext[q])
        if use_merge and moving_i:
            gap = min(gap, _merge_gap(i, nb[:m], pos, radius, extra, desired, priority, group, merger,
                                      use_group, ex, ey))
        v[i] = min(max(gap / time_gap, 0.0), v0i)
    return e, v, fallback


@njit(cache=True)
def _merge_gap(i: int, near: np.ndarray, pos: np.ndarray, radius: np.ndarray,  # noqa: PLR0917
               extra: np.ndarray, desired: np.ndarray, priority: np.ndarray, group: np.ndarray,
               merger: np.ndarray, use_group: bool, ex: float, ey: float) -> float:
    """Headway of agent ``i`` (walking along ``(ex, ey)``) to the spots claimed by the mergers among
    its neighbours ``near`` (:func:`csm_step`); ``inf`` if none lies ahead of it.  A bed or
    wheelchair claims room for its length (``extra``) as well as its width."""
    gap = np.inf
    for j in near:
        if not merger[j] or (use_group and group[i] == group[j]):
            continue
        off = priority[j] + radius[j] + extra[j]
        dx = pos[i, 0] - (pos[j, 0] + desired[j, 0] * off)
        dy = pos[i, 1] - (pos[j, 1] + desired[j, 1] * off)
        s = max(math.sqrt(dx * dx + dy * dy), 1e-9)
        lij = radius[i] + radius[j] + extra[j]
        if s < lij:
            continue  # on the spot already: walking on clears it
        nx, ny = dx / s, dy / s
        if -(nx * ex + ny * ey) > 0 and abs(nx * ey - ny * ex) * s < lij:
            gap = min(gap, s - lij)
    return gap


@njit(cache=True)
def grid_cell(x: float, y: float, x0: float, y0: float, h: float,  # noqa: PLR0917 - numba, positional only
              nx: int, ny: int) -> tuple[int, int]:
    """Row and column of the raster cell holding (x, y), clipped to an ``ny`` x ``nx`` grid."""
    j = min(max(int((x - x0) / h), 0), nx - 1)
    i = min(max(int((y - y0) / h), 0), ny - 1)
    return i, j


@njit(cache=True)
def room_at(room: np.ndarray, slope: np.ndarray,  # noqa: PLR0917 - numba, positional only
            x: float, y: float, x0: float, y0: float, h: float) -> float:
    """Room (distance to the nearest wall) at (x, y) from below: the least of the tangent planes at
    the four cell centres around it (:attr:`agents.movement.navigation.LevelGrid.wall` and
    ``slope``).  The crowd rules' wall push reads it.

    Exact along a straight wall and across the ridge between two jambs (each side's plane holds
    on its side); under the truth near a corner, since a cone lies above its tangent planes: at
    the 0.1 m raster by up to 5.5 cm where a walker's half width touches a door's jamb (40,000
    points by a 1.4 m door, against shapely's distance).  Below zero within a cell of a wall line.
    Steps are checked against :func:`footprint_room`, which is never under the truth.
    """
    return _room(room, slope, x, y, x0, y0, h, False)


@njit(cache=True)
def footprint_room(room: np.ndarray, slope: np.ndarray, gate: np.ndarray,  # noqa: PLR0917 - numba, positional
                   x: float, y: float, x0: float, y0: float, h: float) -> float:
    """Room for a footprint centred at (x, y): the room there from above (:func:`room_reached`),
    or from below (:func:`room_at`) in an opening (where the cell has a gate), and no more than
    that gate.  A footprint of half width ``c`` clears every wall (to within 2 cm), and fits
    every opening it is in, where this is at least ``c``.

    In an opening the lower bound keeps centres a few centimetres off the jambs' corners: read
    from above there, two walkers wedged abreast between the jambs of a 1 m exit, and one of
    the two exits of the JuPedSim comparison's case B (2,000 people) was shut for 255 s.
    """
    ny, nx = room.shape
    i, j = grid_cell(x, y, x0, y0, h, nx, ny)
    g = gate[i, j]
    return min(_room(room, slope, x, y, x0, y0, h, not g < np.inf), g)


@njit(cache=True)
def room_reached(room: np.ndarray, slope: np.ndarray,  # noqa: PLR0917 - numba, positional only
                 x: float, y: float, x0: float, y0: float, h: float) -> float:
    """Room at (x, y) from above: the distance to the nearest of the wall points nearest the four
    cell centres around it, each the centre less its room along its gradient (where the raster
    holds the exact room: a gradient is set; elsewhere, and at a closed door's negative room, the
    cell's tangent plane as in :func:`room_at`).

    Each such point lies on a wall, so this is never under the truth; it is exact where the wall
    point nearest (x, y) is one of them (at a corner, a door's jamb), and over it along a straight
    wall by the square of the distance along the wall between (x, y)'s foot and the nearest of
    theirs (at most half a cell) over twice the room: 6 mm at a walker's 0.2 m with the 0.1 m
    raster.  Against shapely's distance, on points 0.15-0.6 m from the walls round a 1.4 m door
    and a 1.2 m exit: over by 1.7 cm at most, 99 % within 7 mm.  The
    lower bound (:func:`room_at`, up to 5.5 cm under by a jamb) held steps back that the walls
    allow: on day drill seed 3 a nurse pressed under the end of the wall beside the door of
    L2-W2-BAY4, 0.203 m from it, read 0.192 m or less a step towards the opening and stood alone
    80 s until flagged.  A step still never crosses a wall line: it ends within a cell of it,
    where this is under any half width.  Steps read it outside openings only
    (:func:`footprint_room`).
    """
    return _room(room, slope, x, y, x0, y0, h, True)


@njit(cache=True)
def _room(room: np.ndarray, slope: np.ndarray,  # noqa: PLR0917 - numba, positional only
          x: float, y: float, x0: float, y0: float, h: float, above: bool) -> float:
    """:func:`room_at` (``above`` false: the least of the four tangent planes) or
    :func:`room_reached` (true: the nearest of the four wall points where the raster has them)."""
    ny, nx = room.shape
    j = math.floor((x - x0) / h - 0.5)
    i = math.floor((y - y0) / h - 0.5)
    least = np.inf
    for di in range(2):
        ii = min(max(i + di, 0), ny - 1)
        for dj in range(2):
            jj = min(max(j + dj, 0), nx - 1)
            cx = x0 + (jj + 0.5) * h
            cy = y0 + (ii + 0.5) * h
            r = room[ii, jj]
            sx, sy = slope[ii, jj, 0], slope[ii, jj, 1]
            if above and r >= 0.0 and (sx != 0.0 or sy != 0.0):
                least = min(least, math.hypot(x - (cx - r * sx), y - (cy - r * sy)))
            else:
                least = min(least, r + sx * (x - cx) + sy * (y - cy))
    return least


@njit(cache=True)
def wall_move_one(  # noqa: PLR0917 - numba compiles positional parameters only
        px: float, py: float, dx: float, dy: float, fx: float, fy: float, room: np.ndarray,
        slope: np.ndarray, gate: np.ndarray, floor: np.ndarray, c: float, x0: float, y0: float, h: float,
        use_fallback: bool) -> tuple[float, float]:
    """One agent's new position: the whole move ``(dx, dy)``, else its x or y part, else the same
    for the fallback ``(fx, fy)``, else stay.

    A move is kept where the footprint's room (:func:`footprint_room`) is at least its half
    width ``c``, or no less than it has now (so someone placed tight against a wall may still
    move off it).  Displacements must be shorter than one cell ``h``: a step across a wall line
    would end within a cell of it, where the room is under any half width.  ``floor`` is a lower bound of that
    room per cell (:func:`agents.movement.navigation.room_floor`; ``-inf`` to do without): where
    it already clears the need, the exact room is not computed (the answer is the same).
    """
    ny, nx = room.shape
    i, j = grid_cell(px, py, x0, y0, h, nx, ny)
    need = c if floor[i, j] >= c else min(c, footprint_room(room, slope, gate, px, py, x0, y0, h))
    tries = 2 if use_fallback else 1
    for t in range(tries):
        mx = dx if t == 0 else fx
        my = dy if t == 0 else fy
        if _fits(room, slope, gate, floor, px + mx, py + my, x0, y0, h, need):
            return px + mx, py + my
        if abs(mx) > 1e-3 and _fits(room, slope, gate, floor, px + mx, py, x0, y0, h, need):
            return px + mx, py
        if abs(my) > 1e-3 and _fits(room, slope, gate, floor, px, py + my, x0, y0, h, need):
            return px, py + my
    return px, py


@njit(cache=True)
def _fits(room: np.ndarray, slope: np.ndarray, gate: np.ndarray, floor: np.ndarray,  # noqa: PLR0917 - numba
          x: float, y: float, x0: float, y0: float, h: float, need: float) -> bool:
    """Whether the footprint's room at (x, y) is at least ``need``: at once where the cell's
    ``floor`` says so, else exactly (:func:`footprint_room`)."""
    ny, nx = room.shape
    i, j = grid_cell(x, y, x0, y0, h, nx, ny)
    return floor[i, j] >= need or footprint_room(room, slope, gate, x, y, x0, y0, h) >= need


@njit(cache=True)
def wall_move(  # noqa: PLR0917 - numba compiles positional parameters only
        pos: np.ndarray, disp: np.ndarray, room: np.ndarray, slope: np.ndarray, gate: np.ndarray,
        clearance: np.ndarray, x0: float, y0: float, h: float, fallback: np.ndarray,
        use_fallback: bool) -> np.ndarray:
    """New positions of everyone (:func:`wall_move_one` for each, with the exact room everywhere)."""
    n = pos.shape[0]
    out = np.empty_like(pos)
    floor = np.full(room.shape, -np.inf)
    for k in range(n):
        out[k, 0], out[k, 1] = wall_move_one(pos[k, 0], pos[k, 1], disp[k, 0], disp[k, 1], fallback[k, 0],
                                             fallback[k, 1], room, slope, gate, floor, clearance[k], x0, y0,
                                             h, use_fallback)
    return out
