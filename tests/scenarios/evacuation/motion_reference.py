"""The movement step and route choice as plain numpy code, one level and one agent at a time.

This is how :mod:`scenarios.evacuation.motion` read before its loops were compiled
(:mod:`agents.movement.motion_kernel`); ``test_motion_kernel.py`` checks that a model
stepped with these functions and one stepped with the compiled ones stay identical.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from agents.movement.doorways import BACK_OUT, GO, WAIT
from agents.movement.motion_kernel import QUEUE_LEVELS
from scenarios.evacuation.linking import enter_link
from scenarios.evacuation.motion import cells, onward
from scenarios.evacuation.params import ON_PLANE, State
from tests.agents.movement.csm_calls import constrained_move, step_directions_speeds
from tests.agents.movement.csm_reference import reference_room

if TYPE_CHECKING:
    from scenarios.evacuation.state import RunState

__all__ = ["reference_choose", "reference_move"]


def _wall_push(normal: np.ndarray, line: np.ndarray, pos: np.ndarray, wall_range: float) -> np.ndarray:
    """The walls' push at each position: the normal, or between a doorway's jambs the jambs' net
    push along the door line towards its centre line, ``1 - exp(-2 o / wall_range)`` at ``o`` m
    off it."""
    t = line[:, :2]
    off = line[:, 2] - np.sum(pos * t, axis=1)
    g = np.sign(off) * (1.0 - np.exp(-2.0 * np.abs(off) / wall_range))
    return np.where((np.abs(t).sum(axis=1) > 0)[:, None], g[:, None] * t, normal)


def reference_choose(st: RunState) -> None:
    """Route choice, one agent at a time (identity of options as in the model: by value)."""
    pe = st.people
    idx = np.flatnonzero(pe.reroute & (pe.state == State.MOVE) & ~pe.called)
    pe.reroute[:] = False
    if idx.size == 0:
        return
    rules = st.p.behaviour
    # Congestion: people heading for each field near it.
    mv = np.flatnonzero((pe.state == State.MOVE) & (pe.fid >= 0) & (pe.dist < rules.crowd_radius))
    crowd: dict[int, int] = {}
    for f in pe.fid[mv].tolist():
        crowd[f] = crowd.get(f, 0) + 1
    groups: dict[tuple[int, int, str], list[int]] = {}
    for k in idx.tolist():
        groups.setdefault((int(pe.space[k]), int(pe.goal[k]), pe.profiles[k].name), []).append(k)
    for (sp, gi, _), members in groups.items():
        q = pe.profiles[members[0]]
        width = q.mobility.min_door_width
        opts = st.nav.options(st.plan.space_ids[sp], st.goals[gi], speed=q.speed[0], stairs=q.stairs,
                                min_width=width, clearance=q.clearance)
        ks = np.array(members)
        if not opts:
            pe.stranded[ks] = True
            pe.fid[ks] = -1
            continue
        li = st.plan.level_ix[st.plan.facility.spaces[sp].level]
        store = st.nav.fields
        i, j = st.plan.grids[li].cell_of(pe.pos[ks])
        costs = np.empty((len(opts), ks.size))
        dists = np.empty((len(opts), ks.size))
        for oi, o in enumerate(opts):
            d, _ = store.lookup(np.full(ks.size, o.field), i, j)
            dists[oi] = d
            w = o.width if np.isfinite(o.width) else 2.0
            scale = rules.crowd_width_factor * max(w, rules.crowd_min_width)
            cong = rules.congestion_weight * crowd.get(o.field, 0) / scale
            costs[oi] = d / pe.v_free[ks] + o.after + cong + (rules.detour_penalty if o.back else 0.0)
        best = np.argmin(costs, axis=0)
        for c, k in enumerate(members):
            cur = pe.opt[k]
            b = int(best[c])
            if cur is not None and cur in opts:
                oi = opts.index(cur)
                if costs[oi, c] <= costs[b, c] + rules.hysteresis and np.isfinite(costs[oi, c]):
                    b = oi
            if not np.isfinite(costs[b, c]):
                pe.stranded[k] = True
                continue
            pe.stranded[k] = False
            o = opts[b]
            ident = st.option_ids.setdefault(o, len(st.option_ids))
            if ident != pe.opt_id[k]:
                pe.best[k] = np.inf
                pe.opt[k] = o
                pe.opt_id[k] = ident
            pe.fid[k] = o.field
            pe.opt_door[k] = st.plan.door_ix[o.ref] if o.kind == "door" else -1
            if o.kind in ("stair", "lift") and dists[b, c] <= rules.link_reach and enter_link(st, k, o):
                pe.fid[k] = -1


def reference_move(st: RunState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One movement step as numpy array code; returns what :func:`motion.move` returns."""
    pe = st.people
    on = np.flatnonzero(np.isin(pe.state, ON_PLANE))
    if on.size == 0:
        return on, np.empty(0, np.int64), np.empty(0, np.int64)
    dt = st.p.model.dt
    n = on.size
    join_group, join_distance = onward(st)  # from the distances of the last step, as the model
    desired = np.zeros((n, 2))
    wd = np.zeros(n)
    wn = np.zeros((n, 2))
    lv = pe.lvl[on]
    looks = (pe.state[on] == State.MOVE) & (pe.fid[on] >= 0)
    moving = looks & (pe.hold[on] != WAIT)
    dist = np.full(n, np.inf)
    for li, g in enumerate(st.plan.grids):
        sel = lv == li
        if not sel.any():
            continue
        i, j = g.cell_of(pe.pos[on[sel]])
        wd[sel] = (reference_room(g.wall, g.slope, pe.pos[on[sel]], x0=g.x0, y0=g.y0, h=g.h)
                   + g.h * st.p.behaviour.wall_tolerance)
        lines = st.plan.arrays.raster(st.plan.arrays.passage, li)
        wn[sel] = _wall_push(st.plan.wall_normal[li][i, j], lines[i, j], pe.pos[on[sel]],
                             st.p.model.wall_range)
        ms = sel & looks
        if ms.any():
            ii, jj = g.cell_of(pe.pos[on[ms]])
            d, v = st.nav.fields.lookup(pe.fid[on[ms]], ii, jj)
            desired[ms] = v
            dist[ms] = d
    desired[~moving] = 0.0
    pe.dist[on] = dist
    v0 = np.where(moving, pe.v_free[on], 0.0)
    back = moving & (pe.hold[on] == BACK_OUT)
    desired[back] = -desired[back]
    v0 = np.where(back, np.minimum(v0, st.p.behaviour.back_out_speed), v0)
    # Beds and wheelchairs slow down at turns (Kwak et al. 2021): up to half speed.
    unit = pe.need[on] > 0
    if unit.any():
        cosang = np.clip(np.sum(desired * pe.heading[on], axis=1), -1.0, 1.0)
        rate = np.arccos(cosang) / dt
        slow = 1.0 - 0.5 * np.clip(rate / (math.pi / 2), 0.0, 1.0)
        v0 = np.where(unit & (np.abs(pe.heading[on]).sum(axis=1) > 0), v0 * slow, v0)
    queue = st.nav.fields.portal[np.maximum(pe.fid[on], 0)] * QUEUE_LEVELS + lv
    grp = np.where(moving, queue, -1 - np.arange(n))
    state = pe.state[on]
    walker = pe.need[on] == 0
    unit = moving & ~walker
    steer = moving & (np.abs(desired).sum(axis=1) > 0)
    pe.orient[on] = np.where(steer[:, None], desired, pe.orient[on])
    flip = moving & ((st.t - pe.last_prog[on]) // st.p.behaviour.patience % 2 == 1)
    e, v, fb = step_directions_speeds(st.p.model, pos=pe.pos[on], layer=lv, radius=pe.radius[on],
                                      extra=pe.extra[on], desired=desired, v0=v0, wall_dist=wd,
                                      wall_normal=wn, group=grp,
                                      priority=np.where(np.isfinite(dist), dist, 1e9), rng=st.rng,
                                      orient=pe.orient[on],
                                      yielder=walker & (state != State.PREP) & (state != State.INCAPACITATED),
                                      unit=unit, flip=flip, merger=_mergers(st, on, moving, dist, flip),
                                      **_joining(st, on, moving, dist, group=join_group,
                                                 distance=join_distance))
    pe.heading[on] = np.where(moving[:, None], desired, pe.heading[on])
    disp = e * (v * dt)[:, None]
    fall = fb * (v * dt)[:, None]
    pe.prev_pos[on] = pe.pos[on]
    for li, g in enumerate(st.plan.grids):
        sel = lv == li
        if sel.any():
            ks = on[sel]
            pe.pos[ks] = constrained_move(pe.pos[ks], disp[sel], g.wall, g.slope, clearance=pe.clear[ks],
                                          x0=g.x0, y0=g.y0, h=g.h, fallback=fall[sel], gate=g.gate)
    mv = on[moving]
    pe.wait[mv] += np.where(v[moving] < 0.2 * pe.v_free[mv], dt, 0.0)
    # Progress towards the current portal, for deadlock detection.
    dm = dist[moving]
    # The reference distance moves only on real progress: following every small gain would let
    # a slow bed (2.5 cm a step) never count as progressing.
    better = dm < pe.best[mv] - 0.2
    pe.best[mv] = np.where(better | ~np.isfinite(pe.best[mv]), dm, pe.best[mv])
    pe.last_prog[mv[better]] = st.t
    space, exit_ = cells(st.people, st.plan, on)
    return on, space, exit_


def _joining(st: RunState, on: np.ndarray, moving: np.ndarray, dist: np.ndarray, *, group: np.ndarray,
             distance: np.ndarray) -> dict[str, np.ndarray]:
    """The kernel's ``join_group`` and ``join_priority`` of ``on``: whoever walks within ``merge_reach``
    of their door with a queue beyond it (``group`` and ``distance``:
    :func:`scenarios.evacuation.motion.onward`)."""
    joins = moving & (group[on] >= 0) & (dist < st.p.behaviour.merge_reach)
    return {"join_group": np.where(joins, group[on], -1), "join_priority": dist + distance[on]}


def _mergers(st: RunState, on: np.ndarray, moving: np.ndarray, dist: np.ndarray,
             flip: np.ndarray) -> np.ndarray:
    """Who of ``on`` claims the spot in front of their side door this step (the kernel's ``merger``)."""
    pe, b = st.people, st.p.behaviour
    held = st.t - pe.last_prog[on] > b.patience
    return (moving & (pe.hold[on] == GO) & (pe.opt_door[on] >= 0) & (dist < b.merge_reach)
            & (pe.goal[on] >= 0) & ~st.plan.corridor[pe.space[on]] & held & flip)
