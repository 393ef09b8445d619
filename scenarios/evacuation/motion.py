"""One step of route choice and movement for everyone on a level plane.

Route choice compares every usable portal of the current space (walk time, remaining time,
queue, detour penalty, with hysteresis); movement is the collision-free speed model
(:mod:`agents.movement.pedestrians`) on the level raster, with progress tracked for deadlock detection.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from agents.movement import selections, states
from agents.movement.motion_kernel import (
    QUEUE_LEVELS,
    crowd_counts,
    option_costs,
    plane_step,
    replan_groups,
    take_choices,
)
from agents.movement.routes import Option
from scenarios.evacuation import detours
from scenarios.evacuation.goals import exit_goal, set_goal
from scenarios.evacuation.linking import enter_link

if TYPE_CHECKING:
    from scenarios.evacuation.state import People, Plan, RunState

__all__ = ["FAR_SIDE", "cells", "choose", "move", "onward", "space_at"]


def choose(st: RunState) -> None:
    """Pick the next portal of everyone flagged for a new choice (``people.reroute``).

    Agents are grouped by (space, goal, profile), which share one list of options
    (:func:`~agents.movement.motion_kernel.option_costs` prices them); the current option
    is kept unless another is more than 2 s better (hysteresis).  Groups are handled in the
    order of their lowest member and members in index order, so link queues fill in a fixed
    order.
    """
    pe = st.people
    # Whoever called a lift walks on to its landing and waits there: no new choice.
    members, bounds = replan_groups(pe.reroute, pe.state, pe.called, pe.space, pe.goal, pe.profile_ix,
                                    len(st.goals), pe.n_profiles)
    if members.size == 0:
        return
    # Congestion: people heading for each field near it.
    crowd = crowd_counts(pe.state, pe.fid, pe.dist, st.p.behaviour.crowd_radius)
    for g in range(bounds.size - 1):
        _choose_group(st, members[bounds[g]:bounds[g + 1]], crowd)


class _OptionArrays(NamedTuple):
    """One list of options as arrays (see :func:`_option_arrays`)."""

    options: list[Option]
    field: np.ndarray
    after: np.ndarray
    penalty: np.ndarray
    crowd_scale: np.ndarray  # congestion seconds per person heading for the option's field
    ident: np.ndarray  # value identity of each option (equal options, equal ids)
    link: np.ndarray  # stair or lift
    door: np.ndarray  # global index of the option's door, -1 if it is no door


def _option_arrays(st: RunState, opts: list[Option]) -> _OptionArrays:
    """The arrays of a list of options, kept as long as the list is :meth:`Navigator.options`'s."""
    plan = st.plan
    hit = st.option_arrays.get(id(opts))
    if hit is not None and hit.options is opts:
        return hit
    b = st.p.behaviour
    ident = []
    for o in opts:
        ident.append(st.option_ids.setdefault(o, len(st.option_ids)))
    widths = [o.width if np.isfinite(o.width) else 2.0 for o in opts]
    arr = _OptionArrays(
        options=opts,
        field=np.array([o.field for o in opts], np.int64),
        after=np.array([o.after for o in opts], np.float64),
        penalty=np.array([b.detour_penalty if o.back else 0.0 for o in opts]),
        crowd_scale=np.array([b.crowd_width_factor * max(w, b.crowd_min_width) for w in widths]),
        ident=np.array(ident, np.int64),
        link=np.array([o.kind in ("stair", "lift") for o in opts]),
        door=np.array([plan.door_ix[o.ref] if o.kind == "door" else -1 for o in opts], np.int64))
    st.option_arrays[id(opts)] = arr
    return arr


def _choose_group(st: RunState, ks: np.ndarray, crowd: np.ndarray) -> None:
    """Route choice for agents ``ks`` (ascending) in one space with one goal and profile."""
    pe, plan = st.people, st.plan
    k0 = int(ks[0])
    sp = int(pe.space[k0])
    q = pe.profiles[k0]
    width = q.mobility.min_door_width  # the mobility table's, as routing asks
    opts = st.nav.options(plan.space_ids[sp], st.goals[int(pe.goal[k0])], speed=q.speed[0], stairs=q.stairs,
                          min_width=width, clearance=q.clearance)
    goal = st.goals[int(pe.goal[k0])]
    allocated = goal.kind == "exit" and bool(goal.exits)
    if not opts:
        if allocated:
            _drop_allocation(st, ks)
            return
        pe.stranded[ks] = True
        pe.fid[ks] = -1
        return
    oa = _option_arrays(st, opts)
    li = plan.level_ix[plan.facility.spaces[sp].level]
    x0, y0, h = plan.arrays.origin[li]
    fs = st.nav.fields
    b = st.p.behaviour
    choice, dist, ok = option_costs(ks, pe.pos, pe.v_free, pe.opt_id, plan.grids[li].wall, x0, y0, h,
                                    oa.field, oa.after, crowd, b.congestion_weight, oa.crowd_scale,
                                    oa.penalty, oa.ident, fs.flat_d, fs.meta, b.hysteresis)
    if allocated and not ok.all():
        _drop_allocation(st, ks[~ok])
        ks, choice, dist, ok = ks[ok], choice[ok], dist[ok], ok[ok]
    changed, at_link = take_choices(ks, choice, dist, ok, oa.field, oa.ident, oa.door, oa.link, b.link_reach,
                                    pe.stranded, pe.fid, pe.opt_id, pe.opt_door, pe.best)
    for c in changed.tolist():
        pe.opt[int(ks[c])] = opts[int(choice[c])]
    detours.keep(st, ks)
    # Close enough to a stair or lift landing: take the flight or call the car (in index order:
    # the queue's order).
    for c in at_link.tolist():
        k = int(ks[c])
        if enter_link(st, k, opts[int(choice[c])]):
            pe.fid[k] = -1


def _drop_allocation(st: RunState, ks: np.ndarray) -> None:
    """People whose allocated exit can no longer be reached (a door on the way closed) head for
    the best exit still open, as a marshal would send them, instead of standing for good."""
    pe = st.people
    for k in ks.tolist():
        pe.assigned_exit[k] = None
        set_goal(st, k, exit_goal(st, k))
    pe.fid[ks] = -1


def move(st: RunState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of movement for everyone on a plane (:func:`~agents.movement.motion_kernel.plane_step`).

    Everyone walking (``MOVE`` with a field) follows their field's direction at their free
    speed, beds and wheelchairs slowed at turns; people standing (waiting, being prepared)
    take part only by stepping aside.  Returns the people on a plane and, per person, the
    global space and the level exit index of the cell they end in (for
    :func:`scenarios.evacuation.portals.arrivals`).
    """
    pe, plan = st.people, st.plan
    on = selections.in_state(pe.state, states.ON_PLANE_TABLE)
    n = on.size
    out_space = np.empty(n, np.int64)
    out_exit = np.empty(n, np.int64)
    if n == 0:
        return on, out_space, out_exit
    sm, b = st.p.model, st.p.behaviour
    noise = st.rng.normal(0.0, sm.noise, (n, 2)) if sm.noise > 0 else np.zeros((n, 2))
    fs = st.nav.fields
    la = plan.arrays
    join_group, join_distance = onward(st)
    plane_step(on, pe.pos, pe.prev_pos, pe.lvl, pe.state, pe.fid, pe.hold, pe.v_free, pe.need, pe.heading,
               pe.orient, pe.radius, pe.extra, pe.clear, pe.last_prog, pe.best, pe.wait, pe.dist,
               pe.space, pe.opt_door,
               la.wall, la.normal, la.passage, la.space, la.exit, la.origin, la.slope, la.gate, la.cells,
               la.floor, pe.goal, plan.corridor,
               b.merge_reach, join_group, join_distance,
               fs.flat_d, fs.flat_v, fs.meta, fs.portal, noise, st.t, sm.dt, b.patience, b.back_out_speed,
               b.wall_tolerance, plan.csm, out_space, out_exit)
    return on, out_space, out_exit


#: Metres round a door's centre searched for the cells of its far side (beyond its band's depth).
FAR_SIDE = 0.7


def onward(st: RunState) -> tuple[np.ndarray, np.ndarray]:
    """The queue beyond their door that people about to leave a room for safety join.

    For everyone walking out of a room (not a corridor) towards safety within
    ``behaviour.merge_reach`` of their door: the queue group (portal and level, as
    :func:`~agents.movement.motion_kernel.plane_step` groups people) of the best way on from the
    door's far side, and the far side's walking distance to that portal; ``-1`` and 0 for
    everyone else.  The kernel ranks them in that queue as well as in their own door's
    (:func:`agents.movement.csm_kernel.csm_step`'s ``join_group``): a zipper by remaining
    distance, instead of a side room waiting minutes for a gap in a packed corridor.
    """
    pe, plan = st.people, st.plan
    near = selections.leaving_rooms(pe.state, pe.opt_door, pe.goal, pe.dist, st.p.behaviour.merge_reach,
                                    st.goals.evac, plan.corridor, pe.space)
    if near.size == 0:
        return _nobody_onward(len(pe.ids))
    group = np.full(len(pe.ids), -1, np.int64)
    distance = np.zeros(len(pe.ids))
    for k in near.tolist():
        group[k], distance[k] = _onward_of(st, k)
    return group, distance


@lru_cache(maxsize=4)
def _nobody_onward(n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`onward` of ``n`` people none of whom is about to leave a room (most steps): one pair
    of arrays, shared, which the kernel only reads."""
    return np.full(n, -1, np.int64), np.zeros(n)


def _onward_of(st: RunState, k: int) -> tuple[int, float]:
    """:func:`onward` for person k, kept per (door, goal, profile) while the routes stay the same
    (the navigator's ``version``: its options for a profile are fixed until a door closes or a
    space turns untenable)."""
    pe, plan = st.people, st.plan
    o = pe.opt[k]
    if o is None or o.kind != "door" or o.to_space is None:
        return -1, 0.0
    key = (o.ref, int(pe.goal[k]), int(pe.profile_ix[k]))
    hit = st.onward.get(key)
    if hit is not None and hit[0] == st.nav.version:
        return hit[1], hit[2]
    q = pe.profiles[k]
    opts = st.nav.options(o.to_space, st.goals[int(pe.goal[k])], speed=q.speed[0], stairs=q.stairs,
                          min_width=q.mobility.min_door_width, clearance=q.clearance)
    li = int(pe.lvl[k])
    g = plan.grids[li]
    ax, ay = plan.facility.door(o.ref).at
    offs = np.arange(-FAR_SIDE, FAR_SIDE + 1e-9, g.h)
    dx, dy = np.meshgrid(offs, offs)
    disc = dx * dx + dy * dy <= FAR_SIDE * FAR_SIDE
    i, j = g.cell_of(np.column_stack([ax + dx[disc], ay + dy[disc]]))
    far = plan.arrays.raster(plan.arrays.space, li)[i, j] == plan.space_ix[o.to_space]
    best, best_cost, best_d = -1, np.inf, 0.0
    for opt in opts if far.any() else ():
        if opt.kind == "point":
            continue
        d = float(st.nav.fields.lookup(np.full(int(far.sum()), opt.field), i[far], j[far])[0].min())
        cost = d / max(q.speed[0], 1e-6) + opt.after + (st.p.behaviour.detour_penalty if opt.back else 0.0)
        if np.isfinite(d) and cost < best_cost:
            best, best_cost, best_d = opt.field, cost, d
    out = (int(st.nav.fields.portal[best]) * QUEUE_LEVELS + li, best_d) if best >= 0 else (-1, 0.0)
    st.onward[key] = (st.nav.version, *out)
    return out


def cells(pe: People, plan: Plan, ks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Global space (-1 off the floor) and level exit index (-1 if none) of the cells of ``ks``."""
    space = np.full(ks.size, -1, np.int64)
    exit_ = np.full(ks.size, -1, np.int64)
    for li, g in enumerate(plan.grids):
        sel = pe.lvl[ks] == li
        if sel.any():
            i, j = g.cell_of(pe.pos[ks[sel]])
            space[sel] = plan.arrays.raster(plan.arrays.space, li)[i, j]
            exit_[sel] = g.exit[i, j]
    return space, exit_


def space_at(pe: People, plan: Plan, k: int) -> int:
    """The global space of the cell person k stands in (a door band: the space they count in)."""
    g = plan.grids[pe.lvl[k]]
    i, j = g.cell_of(pe.pos[k:k + 1])
    loc = g.space[i[0], j[0]]
    return int(plan.local_to_global[pe.lvl[k]][loc]) if loc >= 0 else int(pe.space[k])
