"""The movement step and route choice as plain numpy code, one level and one agent at a time.

This is how :mod:`scenarios.evacuation.motion` read before its loops were compiled
(:mod:`agents.movement.motion_kernel`); ``test_motion_kernel.py`` checks that a model
stepped with these functions and one stepped with the compiled ones stay identical.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from agents.movement.doorways import BACK_OUT, WAIT
from scenarios.evacuation.linking import enter_link
from scenarios.evacuation.motion import cells
from scenarios.evacuation.params import ON_PLANE, State
from tests.agents.movement.csm_calls import constrained_move, step_directions_speeds
from tests.agents.movement.csm_reference import reference_room

if TYPE_CHECKING:
    from scenarios.evacuation.model import EvacuationModel

__all__ = ["reference_choose", "reference_move"]


def reference_choose(m: EvacuationModel) -> None:
    """Route choice, one agent at a time (identity of options as in the model: by value)."""
    idx = np.flatnonzero(m.reroute & (m.state == State.MOVE))
    m.reroute[:] = False
    if idx.size == 0:
        return
    rules = m.p.behaviour
    # Congestion: people heading for each field near it.
    mv = np.flatnonzero((m.state == State.MOVE) & (m.fid >= 0) & (m.dist < rules.crowd_radius))
    crowd: dict[int, int] = {}
    for f in m.fid[mv].tolist():
        crowd[f] = crowd.get(f, 0) + 1
    groups: dict[tuple[int, int, str], list[int]] = {}
    for k in idx.tolist():
        groups.setdefault((int(m.space[k]), int(m.goal[k]), m.profiles[k].name), []).append(k)
    for (sp, gi, _), members in groups.items():
        q = m.profiles[members[0]]
        width = q.mobility.min_door_width
        opts = m.nav.options(m.space_ids[sp], m.goals[gi], speed=q.speed[0], stairs=q.stairs,
                                min_width=width, clearance=q.clearance)
        ks = np.array(members)
        if not opts:
            m.stranded[ks] = True
            m.fid[ks] = -1
            continue
        li = m.level_ix[m.facility.spaces[sp].level]
        store = m.nav.fields
        i, j = m.grids[li].cell_of(m.pos[ks])
        costs = np.empty((len(opts), ks.size))
        dists = np.empty((len(opts), ks.size))
        for oi, o in enumerate(opts):
            d, _ = store.lookup(np.full(ks.size, o.field), i, j)
            dists[oi] = d
            w = o.width if np.isfinite(o.width) else 2.0
            scale = rules.crowd_width_factor * max(w, rules.crowd_min_width)
            cong = rules.congestion_weight * crowd.get(o.field, 0) / scale
            costs[oi] = d / m.v_free[ks] + o.after + cong + (rules.detour_penalty if o.back else 0.0)
        best = np.argmin(costs, axis=0)
        for c, k in enumerate(members):
            cur = m.opt[k]
            b = int(best[c])
            if cur is not None and cur in opts:
                oi = opts.index(cur)
                if costs[oi, c] <= costs[b, c] + rules.hysteresis and np.isfinite(costs[oi, c]):
                    b = oi
            if not np.isfinite(costs[b, c]):
                m.stranded[k] = True
                continue
            m.stranded[k] = False
            o = opts[b]
            ident = m.option_ids.setdefault(o, len(m.option_ids))
            if ident != m.opt_id[k]:
                m.best[k] = np.inf
                m.opt[k] = o
                m.opt_id[k] = ident
            m.fid[k] = o.field
            m.opt_door[k] = m.door_ix[o.ref] if o.kind == "door" else -1
            if o.kind in ("stair", "lift") and dists[b, c] <= rules.link_reach and enter_link(m, k, o):
                m.fid[k] = -1


def reference_move(m: EvacuationModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One movement step as numpy array code; returns what :func:`motion.move` returns."""
    on = np.flatnonzero(np.isin(m.state, ON_PLANE))
    if on.size == 0:
        return on, np.empty(0, np.int64), np.empty(0, np.int64)
    dt = m.p.model.dt
    n = on.size
    desired = np.zeros((n, 2))
    wd = np.zeros(n)
    wn = np.zeros((n, 2))
    lv = m.lvl[on]
    looks = (m.state[on] == State.MOVE) & (m.fid[on] >= 0)
    moving = looks & (m.hold[on] != WAIT)
    dist = np.full(n, np.inf)
    for li, g in enumerate(m.grids):
        sel = lv == li
        if not sel.any():
            continue
        i, j = g.cell_of(m.pos[on[sel]])
        wd[sel] = (reference_room(g.wall, g.slope, m.pos[on[sel]], x0=g.x0, y0=g.y0, h=g.h)
                   + g.h * m.p.behaviour.wall_tolerance)
        wn[sel] = m.wall_normal[li][i, j]
        ms = sel & looks
        if ms.any():
            ii, jj = g.cell_of(m.pos[on[ms]])
            d, v = m.nav.fields.lookup(m.fid[on[ms]], ii, jj)
            desired[ms] = v
            dist[ms] = d
    desired[~moving] = 0.0
    m.dist[on] = dist
    v0 = np.where(moving, m.v_free[on], 0.0)
    back = moving & (m.hold[on] == BACK_OUT)
    desired[back] = -desired[back]
    v0 = np.where(back, np.minimum(v0, m.p.behaviour.back_out_speed), v0)
    # Beds and wheelchairs slow down at turns (Kwak et al. 2021): up to half speed.
    unit = m.need[on] > 0
    if unit.any():
        cosang = np.clip(np.sum(desired * m.heading[on], axis=1), -1.0, 1.0)
        rate = np.arccos(cosang) / dt
        slow = 1.0 - 0.5 * np.clip(rate / (math.pi / 2), 0.0, 1.0)
        v0 = np.where(unit & (np.abs(m.heading[on]).sum(axis=1) > 0), v0 * slow, v0)
    grp = np.where(moving, m.nav.fields.portal[np.maximum(m.fid[on], 0)] * 64 + lv, -1 - np.arange(n))
    st = m.state[on]
    walker = m.need[on] == 0
    unit = moving & ~walker
    steer = moving & (np.abs(desired).sum(axis=1) > 0)
    m.orient[on] = np.where(steer[:, None], desired, m.orient[on])
    flip = moving & ((m.t - m.last_prog[on]) // m.p.behaviour.patience % 2 == 1)
    e, v, fb = step_directions_speeds(m.p.model, pos=m.pos[on], layer=lv, radius=m.radius[on],
                                      extra=m.extra[on], desired=desired, v0=v0, wall_dist=wd,
                                      wall_normal=wn, group=grp,
                                      priority=np.where(np.isfinite(dist), dist, 1e9), rng=m.gen,
                                      orient=m.orient[on],
                                      yielder=walker & (st != State.PREP) & (st != State.INCAPACITATED),
                                      unit=unit, flip=flip)
    m.heading[on] = np.where(moving[:, None], desired, m.heading[on])
    disp = e * (v * dt)[:, None]
    fall = fb * (v * dt)[:, None]
    m.prev_pos[on] = m.pos[on]
    for li, g in enumerate(m.grids):
        sel = lv == li
        if sel.any():
            ks = on[sel]
            m.pos[ks] = constrained_move(m.pos[ks], disp[sel], g.wall, g.slope, clearance=m.clear[ks],
                                         x0=g.x0, y0=g.y0, h=g.h, fallback=fall[sel], gate=g.gate)
    mv = on[moving]
    m.wait[mv] += np.where(v[moving] < 0.2 * m.v_free[mv], dt, 0.0)
    # Progress towards the current portal, for deadlock detection.
    dm = dist[moving]
    # The reference distance moves only on real progress: following every small gain would let
    # a slow bed (2.5 cm a step) never count as progressing.
    better = dm < m.best[mv] - 0.2
    m.best[mv] = np.where(better | ~np.isfinite(m.best[mv]), dm, m.best[mv])
    m.last_prog[mv[better]] = m.t
    space, exit_ = cells(m, on)
    return on, space, exit_
