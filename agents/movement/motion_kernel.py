"""Compiled body of one movement step (:func:`scenarios.evacuation.motion.move`).

One call takes everyone standing on a level plane through the whole step: their raster cell,
wall distance and wall normal, the walking direction and remaining distance from their local
field, the slowdown of beds and wheelchairs at turns, the collision-free speed model
(:func:`agents.movement.csm_kernel.csm_step`), the wall-constrained move
(:func:`agents.movement.csm_kernel.wall_move_one`), waiting time and progress for deadlock detection,
and finally the space and exit apron of the cell each one ends in.  The rules are the ones
documented in :mod:`scenarios.evacuation.motion` and :mod:`agents.movement.pedestrians`;
``tests/scenarios/evacuation/motion_reference.py`` holds them as numpy array code, and the
tests check that both give the same crowd, step after step.

Level rasters are passed as typed lists of arrays (one per level), fields as the flat arrays
of :class:`agents.movement.routes.FieldStore`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from agents.movement.csm_kernel import csm_moves, grid_cell, neighbour_grid, room_at, still, wall_move_one
from agents.movement.doorways import BACK_OUT, GO, WAIT
from agents.movement.navigation import LevelGrid
from agents.movement.states import State
from agents.movement.wall_normals import push_at

__all__ = ["QUEUE_LEVELS", "LevelArrays", "crowd_counts", "field_cell", "level_arrays", "option_costs",
           "plane_step", "replan_groups", "take_choices"]

#: A queue (the crowd step's group) is one portal on one level: ``portal * QUEUE_LEVELS + level``
#: (a stair's landings queue apart); more levels than a building has.
QUEUE_LEVELS = 64

_MOVE = int(State.MOVE)
_PREP = int(State.PREP)
_DOWN = int(State.INCAPACITATED)
_WAIT = WAIT
_BACK_OUT = BACK_OUT
_FLAGS = np.ones(5, np.bool_)
_GO = GO


class LevelArrays(NamedTuple):
    """The level rasters, every level's packed end to end, in the form the compiled step reads them.

    Level ``li`` holds the cells ``cells[li, 0]`` on, row-major, ``cells[li, 1]`` rows by
    ``cells[li, 2]`` columns (:meth:`raster` gives one level's as a grid).  One flat array per
    raster rather than a list of arrays per level: a compiled call takes arrays for free, where a
    typed list costs a conversion at every step and compiling its methods at every start.
    """

    wall: np.ndarray  # room: distance to the nearest wall at cell centres (the grids' own ``wall`` are views)
    normal: np.ndarray  # (cells, 2) unit vector away from the nearest wall
    passage: np.ndarray  # (cells, 3) an opening's door line and centre line, zeros outside passages
    space: np.ndarray  # global space index, -1 off the floor
    exit: np.ndarray  # index into the level's exit ids, -1 off an exit apron
    origin: np.ndarray  # (levels, 3): x0, y0, cell size
    slope: np.ndarray  # (cells, 2) gradient of the room at cell centres
    gate: np.ndarray  # widest footprint half width an opening lets through, inf elsewhere
    cells: np.ndarray  # (levels, 3) int64: offset of the level's first cell, rows, columns
    floor: np.ndarray  # lower bound of the room in each cell (the grids' own ``floor`` are views)

    def raster(self, values: np.ndarray, li: int) -> np.ndarray:
        """Level ``li``'s part of one of the packed rasters, as a (rows, columns, ...) view."""
        start, rows, cols = (int(v) for v in self.cells[li])
        return values[start:start + rows * cols].reshape((rows, cols, *values.shape[1:]))


def level_arrays(grids: list[LevelGrid], normals: list[np.ndarray], passages: list[np.ndarray],
                 local_to_global: list[np.ndarray]) -> LevelArrays:
    """Pack the level rasters.

    Each grid's ``wall`` and ``floor`` become views of the packed ones, so closing a door
    (:meth:`agents.movement.navigation.LevelGrid.close_door`) shows in the step too.  ``space`` is
    -1 in door bands (:meth:`agents.movement.navigation.LevelGrid.band`): someone there keeps the
    space they came from, and passes the door only once through its band.
    """
    sizes = [g.wall.size for g in grids]
    cells = np.array([(sum(sizes[:li]), *g.shape) for li, g in enumerate(grids)], np.int64).reshape(-1, 3)
    wall = np.concatenate([g.wall.ravel() for g in grids]).astype(np.float64) if grids else np.empty(0)
    floor = np.concatenate([g.floor.ravel() for g in grids]).astype(np.float64) if grids else np.empty(0)
    for li, g in enumerate(grids):
        g.wall = wall[cells[li, 0]:cells[li, 0] + sizes[li]].reshape(g.shape)
        g.floor = floor[cells[li, 0]:cells[li, 0] + sizes[li]].reshape(g.shape)

    def packed(parts: list[np.ndarray], dtype: type, width: int = 0) -> np.ndarray:
        shape = (-1, width) if width else (-1,)
        return (np.concatenate([np.asarray(a, dtype).reshape(shape) for a in parts]) if parts
                else np.empty((0, width) if width else 0, dtype))

    space = [np.where((g.space >= 0) & ~g.band(), l2g[np.maximum(g.space, 0)], -1)
             for g, l2g in zip(grids, local_to_global, strict=True)]
    origin = np.array([(g.x0, g.y0, g.h) for g in grids], np.float64).reshape(-1, 3)
    return LevelArrays(wall, packed(normals, np.float64, 2), packed(passages, np.float64, 3),
                       packed(space, np.int64),
                       packed([g.exit for g in grids], np.int64), origin,
                       packed([g.slope for g in grids], np.float64, 2),
                       packed([g.gate for g in grids], np.float64), cells, floor)


@njit(cache=True)
def _raster(values: np.ndarray, cells: np.ndarray, li: int) -> np.ndarray:
    """Level ``li``'s (rows, columns) view of a packed raster (:class:`LevelArrays`), of any dtype."""
    start, rows, cols = cells[li, 0], cells[li, 1], cells[li, 2]
    return values[start:start + rows * cols].reshape((rows, cols))


@njit(cache=True)
def _raster2(values: np.ndarray, cells: np.ndarray, li: int) -> np.ndarray:
    """Level ``li``'s (rows, columns, 2) view of a packed raster of vectors."""
    start, rows, cols = cells[li, 0], cells[li, 1], cells[li, 2]
    return values[start:start + rows * cols].reshape((rows, cols, 2))


@njit(cache=True)
def _raster3(values: np.ndarray, cells: np.ndarray, li: int) -> np.ndarray:
    """Level ``li``'s (rows, columns, 3) view of a packed raster of triples."""
    start, rows, cols = cells[li, 0], cells[li, 1], cells[li, 2]
    return values[start:start + rows * cols].reshape((rows, cols, 3))


@njit(cache=True)
def field_cell(meta: np.ndarray, f: int, i: int, j: int) -> int:
    """Index in the flat field arrays of grid cell (i, j) on field ``f``; -1 outside its window."""
    fi = i - meta[f, 1]
    fj = j - meta[f, 2]
    if 0 <= fi < meta[f, 3] and 0 <= fj < meta[f, 4]:
        return int(meta[f, 0] + fi * meta[f, 4] + fj)
    return -1


@njit(cache=True)
def plane_step(  # noqa: PLR0917 - numba compiles positional parameters only
        on: np.ndarray, pos: np.ndarray, prev_pos: np.ndarray, lvl: np.ndarray, state: np.ndarray,
        fid: np.ndarray, hold: np.ndarray, v0: np.ndarray, need: np.ndarray, heading: np.ndarray,
        orient: np.ndarray,
        radius: np.ndarray, extra: np.ndarray, clear: np.ndarray, last_prog: np.ndarray,
        best: np.ndarray, wait: np.ndarray, dist: np.ndarray, counted: np.ndarray, opt_door: np.ndarray,
        wall: np.ndarray, normal: np.ndarray, passage: np.ndarray, space: np.ndarray, exit_: np.ndarray,
        origin: np.ndarray, slope: np.ndarray, gate: np.ndarray, cells: np.ndarray, floor: np.ndarray,
        goal: np.ndarray, corridor: np.ndarray, merge_reach: float,
        join_group: np.ndarray, join_distance: np.ndarray,
        flat_d: np.ndarray, flat_v: np.ndarray, meta: np.ndarray, portal: np.ndarray,
        noise: np.ndarray, t: float, dt: float, patience: float, back_speed: float, wall_tolerance: float,
        params: np.ndarray,
        out_space: np.ndarray, out_exit: np.ndarray) -> None:
    """Move everyone in ``on`` (indices of people on a plane) by one step, in place.

    Writes ``pos``, ``prev_pos``, ``heading``, ``orient``, ``dist``, ``wait``, ``best`` and
    ``last_prog`` of those people, and per entry of ``on`` the global space (``-1`` off the
    floor) and level exit index (``-1`` if none) of the cell they end in.  ``hold`` is each
    person's doorway code (:func:`agents.movement.doorways.turns`): someone told to wait
    stands (and steps aside), someone told to back out walks back along their field at most
    at ``back_speed``.

    Everyone keeps their half width ``clear`` of room from every wall, and out of openings too
    narrow for it (:func:`agents.movement.csm_kernel.wall_move_one`).

    Someone walking out of a room (not a ``corridor``) by a door, to safety or as staff on their
    way to a patient (with a ``goal``), who stands within ``merge_reach`` of their door, at a
    standstill for over ``patience`` s, claims the spot in front of the door in every other ``patience`` s
    (:func:`agents.movement.csm_kernel.csm_step`'s ``merger``): the passing queue lets them in.
    Someone walking within ``merge_reach`` of their door with a ``join_group`` (per person, ``-1``
    for none: the queue beyond their door) is ranked in that queue at their distance to the door
    plus ``join_distance``, the far side's distance to that queue's portal
    (:func:`agents.movement.csm_kernel.csm_step`'s ``join_group`` and ``join_priority``).
    """
    n = on.size
    desired = np.zeros((n, 2))
    wd = np.zeros(n)
    wn = np.zeros((n, 2))
    dst = np.full(n, np.inf)
    speed = np.zeros(n)
    grp = np.empty(n, np.int64)
    prio = np.empty(n)
    lay = np.empty(n, np.int64)
    p_on = np.empty((n, 2))
    rad = np.empty(n)
    ext = np.empty(n)
    ori = np.empty((n, 2))
    yielder = np.empty(n, np.bool_)
    unit = np.empty(n, np.bool_)
    flip = np.empty(n, np.bool_)
    merger = np.zeros(n, np.bool_)
    jg = np.full(n, -1, np.int64)
    jp = np.zeros(n)
    moving = np.empty(n, np.bool_)
    ci = np.empty(n, np.int64)
    cj = np.empty(n, np.int64)
    levels = origin.shape[0]
    rows = cells[:, 1]
    cols = cells[:, 2]
    for a in range(n):
        k = on[a]
        li = lvl[k]
        lay[a] = li
        x0, y0, h = origin[li, 0], origin[li, 1], origin[li, 2]
        ci[a], cj[a] = grid_cell(pos[k, 0], pos[k, 1], x0, y0, h, cols[li], rows[li])
    for a in range(n):
        k = on[a]
        li = lay[a]
        i, j = ci[a], cj[a]
        looks = state[k] == _MOVE and fid[k] >= 0
        mv = looks and hold[k] != _WAIT
        moving[a] = mv
        if looks:
            q = field_cell(meta, fid[k], i, j)
            if q >= 0:
                dst[a] = flat_d[q]
                if mv:
                    desired[a, 0] = flat_v[q, 0]
                    desired[a, 1] = flat_v[q, 1]
        if mv:
            speed[a] = v0[k]
            if hold[k] == _BACK_OUT:
                desired[a, 0], desired[a, 1] = -desired[a, 0], -desired[a, 1]
                speed[a] = min(speed[a], back_speed)
        dist[k] = dst[a]
        # Beds and wheelchairs slow down at turns (Kwak et al. 2021): up to half speed.
        if need[k] > 0 and abs(heading[k, 0]) + abs(heading[k, 1]) > 0:
            c = min(max(desired[a, 0] * heading[k, 0] + desired[a, 1] * heading[k, 1], -1.0), 1.0)
            rate = math.acos(c) / dt
            speed[a] *= 1.0 - 0.5 * min(max(rate / (math.pi / 2), 0.0), 1.0)
        grp[a] = portal[fid[k]] * QUEUE_LEVELS + li if mv else -1 - a
        prio[a] = dst[a] if math.isfinite(dst[a]) else 1e9
        if mv and join_group[k] >= 0 and dst[a] < merge_reach:
            jg[a] = join_group[k]
            jp[a] = dst[a] + join_distance[k]
        p_on[a, 0], p_on[a, 1] = pos[k, 0], pos[k, 1]
        rad[a] = radius[k]
        ext[a] = extra[k]
        walker = need[k] == 0
        yielder[a] = walker and state[k] != _PREP and state[k] != _DOWN  # the fallen are not moved aside
        unit[a] = mv and not walker
        if mv and abs(desired[a, 0]) + abs(desired[a, 1]) > 0:
            orient[k, 0], orient[k, 1] = desired[a, 0], desired[a, 1]
        ori[a, 0], ori[a, 1] = orient[k, 0], orient[k, 1]
        flip[a] = mv and (t - last_prog[k]) // patience % 2 == 1
        if (mv and hold[k] == _GO and opt_door[k] >= 0 and dst[a] < merge_reach and goal[k] >= 0
                and not corridor[counted[k]] and t - last_prog[k] > patience):
            merger[a] = flip[a]
    grid = neighbour_grid(p_on, lay, params[4])
    stand = still(lay, desired, speed, grid)
    # Level rasters are read one level at a time, as (rows, columns) views of the packed ones; the
    # room and wall push only where the crowd model reads them (not for anyone standing still
    # with no one walking near).
    for li in range(levels):
        w = _raster(wall, cells, li)
        sl = _raster2(slope, cells, li)
        nrm = _raster2(normal, cells, li)
        pas = _raster3(passage, cells, li)
        for a in range(n):
            if lay[a] == li and not stand[a]:
                k = on[a]
                wd[a] = room_at(w, sl, pos[k, 0], pos[k, 1], origin[li, 0], origin[li, 1], origin[li, 2]) \
                    + origin[li, 2] * wall_tolerance
                wn[a, 0], wn[a, 1] = push_at(nrm[ci[a], cj[a]], pas[ci[a], cj[a]], pos[k, 0], pos[k, 1],
                                             params[3])
    e, v, fb = csm_moves(p_on, lay, rad, ext, desired, speed, wd, wn, grp, prio, noise, ori, yielder,
                         unit, flip, merger, jg, jp, params, _FLAGS, grid, stand)
    for li in range(levels):
        w = _raster(wall, cells, li)
        sl = _raster2(slope, cells, li)
        gt = _raster(gate, cells, li)
        fl = _raster(floor, cells, li)
        x0, y0, h = origin[li, 0], origin[li, 1], origin[li, 2]
        for a in range(n):
            if lay[a] != li:
                continue
            k = on[a]
            step = v[a] * dt
            px, py = pos[k, 0], pos[k, 1]
            prev_pos[k, 0], prev_pos[k, 1] = px, py
            if step != 0.0:  # (standing, they stay in the cell they were in)
                pos[k, 0], pos[k, 1] = wall_move_one(px, py, e[a, 0] * step, e[a, 1] * step,
                                                     fb[a, 0] * step, fb[a, 1] * step, w, sl, gt, fl,
                                                     clear[k], x0, y0, h, True)
                ci[a], cj[a] = grid_cell(pos[k, 0], pos[k, 1], x0, y0, h, cols[li], rows[li])
    for li in range(levels):
        sp = _raster(space, cells, li)
        ex = _raster(exit_, cells, li)
        for a in range(n):
            if lay[a] == li:
                out_space[a] = sp[ci[a], cj[a]]
                out_exit[a] = ex[ci[a], cj[a]]
    for a in range(n):
        k = on[a]
        if moving[a]:
            heading[k, 0], heading[k, 1] = desired[a, 0], desired[a, 1]
            if v[a] < 0.2 * v0[k]:
                wait[k] += dt
            # Progress towards the current portal, for deadlock detection.  The reference moves
            # only on real progress: following every small gain would let a slow bed (2.5 cm a
            # step) never count as progressing.
            better = dst[a] < best[k] - 0.2
            if better or not math.isfinite(best[k]):
                best[k] = dst[a]
            if better:
                last_prog[k] = t


@njit(cache=True)
def option_costs(  # noqa: PLR0917 - numba compiles positional parameters only
        ks: np.ndarray, pos: np.ndarray, v0: np.ndarray, cur_id: np.ndarray, wall: np.ndarray,
        x0: float, y0: float, h: float, field: np.ndarray, after: np.ndarray, crowd: np.ndarray,
        weight: float, crowd_scale: np.ndarray, penalty: np.ndarray, opt_id: np.ndarray, flat_d: np.ndarray,
        meta: np.ndarray, hysteresis: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Route choice among one list of options for agents ``ks`` (one space, goal and profile).

    Option ``o`` costs ``d_o(x) / v0 + after_o + crowd_o + penalty_o`` for an agent at ``x``,
    ``crowd_o`` being ``weight`` times the people heading for its field (``crowd``, per field id,
    :func:`crowd_counts`) over its ``crowd_scale``; the agent keeps its current option
    (``cur_id`` among ``opt_id``) unless another costs more than ``hysteresis`` s less.  Returns
    per agent the chosen option's index, its field distance and whether its cost is finite.
    """
    no = field.size
    cost = np.empty(no)
    dist = np.empty(no)
    cong = np.empty(no)
    for o in range(no):
        count = crowd[field[o]] if field[o] < crowd.size else 0
        cong[o] = weight * count / crowd_scale[o]
    out_choice = np.empty(ks.size, np.int64)
    out_dist = np.empty(ks.size)
    out_ok = np.empty(ks.size, np.bool_)
    ny, nx = wall.shape
    for c in range(ks.size):
        k = ks[c]
        i, j = grid_cell(pos[k, 0], pos[k, 1], x0, y0, h, nx, ny)
        cur = -1
        for o in range(no):
            f = field[o]
            q = field_cell(meta, f, i, j)
            d = flat_d[q] if q >= 0 else np.inf
            dist[o] = d
            cost[o] = d / v0[k] + after[o] + cong[o] + penalty[o]
            if cur < 0 and opt_id[o] == cur_id[k]:
                cur = o
        b = 0
        for o in range(1, no):
            if cost[o] < cost[b]:
                b = o
        if cur >= 0 and math.isfinite(cost[cur]) and cost[cur] <= cost[b] + hysteresis:
            b = cur
        out_choice[c] = b
        out_dist[c] = dist[b]
        out_ok[c] = math.isfinite(cost[b])
    return out_choice, out_dist, out_ok


@njit(cache=True)
def take_choices(  # noqa: PLR0917 - numba compiles positional parameters only
        ks: np.ndarray, choice: np.ndarray, dist: np.ndarray, ok: np.ndarray, field: np.ndarray,
        ident: np.ndarray, door: np.ndarray, link: np.ndarray, link_reach: float, stranded: np.ndarray,
        fid: np.ndarray, opt_id: np.ndarray, opt_door: np.ndarray,
        best: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Write the route choice of agents ``ks`` (:func:`option_costs`'s ``choice``, ``dist`` and
    ``ok``) into the crowd's arrays.

    Someone with no finite option is stranded; the others follow their option's field, door
    and identity, and start their progress afresh (``best``) if the option is a new one.
    Returns the positions in ``ks`` of those whose option changed, and of those within
    ``link_reach`` of the stair or lift landing they chose (who take it now), both ascending.
    """
    changed = np.empty(ks.size, np.int64)
    at_link = np.empty(ks.size, np.int64)
    m = 0
    n_link = 0
    for c in range(ks.size):
        k = ks[c]
        if not ok[c]:
            stranded[k] = True
            continue
        stranded[k] = False
        o = choice[c]
        fid[k] = field[o]
        if ident[o] != opt_id[k]:
            best[k] = np.inf
            changed[m] = c
            m += 1
        opt_id[k] = ident[o]
        opt_door[k] = door[o]
        if link[o] and dist[c] <= link_reach:
            at_link[n_link] = c
            n_link += 1
    return changed[:m], at_link[:n_link]


@njit(cache=True)
def replan_groups(reroute: np.ndarray, state: np.ndarray, called: np.ndarray, space: np.ndarray,  # noqa: PLR0917
                  goal: np.ndarray, profile: np.ndarray, n_goals: int,
                  n_profiles: int) -> tuple[np.ndarray, np.ndarray]:
    """Who chooses a route this step, grouped by (space, goal, profile), and ``reroute`` cleared.

    Everyone walking (``MOVE``) flagged in ``reroute`` and not waiting for a lift they called
    chooses.  Returns their indices group after group (groups in the order of their lowest
    member, members in index order) and each group's start in that order (``bounds[g]:bounds[g +
    1]``).  One compiled pass: the step asks this every 0.05 s, mostly of nobody.
    """
    n = state.size
    idx = np.empty(n, np.int64)
    m = 0
    for k in range(n):
        if reroute[k] and state[k] == _MOVE and not called[k]:
            idx[m] = k
            m += 1
        reroute[k] = False
    idx = idx[:m]
    key = np.empty(m, np.int64)
    for c in range(m):
        k = idx[c]
        key[c] = (space[k] * (n_goals + 1) + goal[k]) * n_profiles + profile[k]
    by_key = np.argsort(key, kind="mergesort")  # stable: members of a group in index order
    # Runs of one key, then the runs by their first (lowest) member.
    run_start = np.empty(m + 1, np.int64)
    runs = 0
    for c in range(m):
        if c == 0 or key[by_key[c]] != key[by_key[c - 1]]:
            run_start[runs] = c
            runs += 1
    run_start[runs] = m
    first = np.empty(runs, np.int64)
    for r in range(runs):
        first[r] = by_key[run_start[r]]
    members = np.empty(m, np.int64)
    bounds = np.empty(runs + 1, np.int64)
    c = 0
    for g, r in enumerate(np.argsort(first, kind="mergesort")):
        bounds[g] = c
        for q in range(run_start[r], run_start[r + 1]):
            members[c] = idx[by_key[q]]
            c += 1
    bounds[runs] = m
    return members, bounds


@njit(cache=True)
def crowd_counts(state: np.ndarray, fid: np.ndarray, dist: np.ndarray, radius: float) -> np.ndarray:
    """Per field, how many people walking (``MOVE``) follow it within ``radius`` m of its portal
    (``numpy.bincount`` of their fields: as long as the largest such field id plus one)."""
    top = -1
    for k in range(state.size):
        if state[k] == _MOVE and fid[k] >= 0 and dist[k] < radius:
            top = max(top, fid[k])
    out = np.zeros(top + 1, np.int64)
    for k in range(state.size):
        if state[k] == _MOVE and fid[k] >= 0 and dist[k] < radius:
            out[fid[k]] += 1
    return out
