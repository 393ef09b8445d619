"""One step of route choice and movement for everyone on a level plane.

Route choice compares every usable portal of the current space (walk time, remaining time,
queue, detour penalty, with hysteresis); movement is the collision-free speed model
(:mod:`agents.movement.pedestrians`) on the level raster, with progress tracked for deadlock detection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from agents.movement import states
from agents.movement.motion_kernel import option_costs, plane_step
from agents.movement.routes import Option
from scenarios.evacuation.linking import enter_link
from scenarios.evacuation.params import ON_PLANE, State

if TYPE_CHECKING:
    from scenarios.evacuation.model import EvacuationModel

__all__ = ["cells", "choose", "move", "space_at"]


def choose(m: EvacuationModel) -> None:
    """Pick the next portal of everyone flagged for a new choice (``m.reroute``).

    Agents are grouped by (space, goal, profile), which share one list of options
    (:func:`~agents.movement.motion_kernel.option_costs` prices them); the current option
    is kept unless another is more than 2 s better (hysteresis).  Groups are handled in the
    order of their lowest member and members in index order, so link queues fill in a fixed
    order.
    """
    idx = np.flatnonzero(m.reroute & (m.state == states.MOVE))
    m.reroute[:] = False
    if idx.size == 0:
        return
    # Congestion: people heading for each field near it.
    near = (m.state == states.MOVE) & (m.fid >= 0) & (m.dist < m.p.behaviour.crowd_radius)
    crowd = np.bincount(m.fid[near])
    gkey = (m.space[idx] * (len(m.goals) + 1) + m.goal[idx]) * m.n_profiles + m.profile_ix[idx]
    _, first, inv = np.unique(gkey, return_index=True, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(first.size + 1))
    for g in np.argsort(first, kind="stable").tolist():
        _choose_group(m, idx[order[bounds[g]:bounds[g + 1]]], crowd)


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


def _option_arrays(m: EvacuationModel, opts: list[Option]) -> _OptionArrays:
    """The arrays of a list of options, kept as long as the list is :meth:`Navigator.options`'s."""
    hit = m.option_arrays.get(id(opts))
    if hit is not None and hit.options is opts:
        return hit
    b = m.p.behaviour
    ident = []
    for o in opts:
        ident.append(m.option_ids.setdefault(o, len(m.option_ids)))
    widths = [o.width if np.isfinite(o.width) else 2.0 for o in opts]
    arr = _OptionArrays(
        options=opts,
        field=np.array([o.field for o in opts], np.int64),
        after=np.array([o.after for o in opts], np.float64),
        penalty=np.array([b.detour_penalty if o.back else 0.0 for o in opts]),
        crowd_scale=np.array([b.crowd_width_factor * max(w, b.crowd_min_width) for w in widths]),
        ident=np.array(ident, np.int64),
        link=np.array([o.kind in ("stair", "lift") for o in opts]),
        door=np.array([m.door_ix[o.ref] if o.kind == "door" else -1 for o in opts], np.int64))
    m.option_arrays[id(opts)] = arr
    return arr


def _choose_group(m: EvacuationModel, ks: np.ndarray, crowd: np.ndarray) -> None:
    """Route choice for agents ``ks`` (ascending) in one space with one goal and profile."""
    k0 = int(ks[0])
    sp = int(m.space[k0])
    q = m.profiles[k0]
    width = q.mobility.min_door_width  # the mobility table's, as routing asks
    opts = m.nav.options(m.space_ids[sp], m.goals[int(m.goal[k0])], speed=q.speed[0], stairs=q.stairs,
                         min_width=width, clearance=q.clearance)
    goal = m.goals[int(m.goal[k0])]
    allocated = goal.kind == "exit" and bool(goal.exits)
    if not opts:
        if allocated:
            _drop_allocation(m, ks)
            return
        m.stranded[ks] = True
        m.fid[ks] = -1
        return
    oa = _option_arrays(m, opts)
    li = m.level_ix[m.facility.spaces[sp].level]
    x0, y0, h = m.level_arrays.origin[li]
    count = np.where(oa.field < crowd.size, crowd[np.minimum(oa.field, crowd.size - 1)], 0) \
        if crowd.size else np.zeros(oa.field.size, np.int64)
    cong = m.p.behaviour.congestion_weight * count / oa.crowd_scale
    n = ks.size
    choice = np.empty(n, np.int64)
    dist = np.empty(n)
    ok = np.empty(n, np.bool_)
    fs = m.nav.fields
    option_costs(ks, m.pos, m.v_free, m.opt_id, m.grids[li].wall, x0, y0, h, oa.field, oa.after, cong,
                 oa.penalty, oa.ident, fs.flat_d, fs.meta, m.p.behaviour.hysteresis, choice, dist, ok)
    if allocated and not ok.all():
        _drop_allocation(m, ks[~ok])
        ks, choice, dist, ok = ks[ok], choice[ok], dist[ok], ok[ok]
    m.stranded[ks[~ok]] = True
    m.stranded[ks[ok]] = False
    kk, cc = ks[ok], choice[ok]
    m.fid[kk] = oa.field[cc]
    new = oa.ident[cc] != m.opt_id[kk]
    for k, c in zip(kk[new].tolist(), cc[new].tolist(), strict=True):
        m.best[k] = np.inf
        m.opt[k] = opts[c]
    m.opt_id[kk] = oa.ident[cc]
    m.opt_door[kk] = oa.door[cc]
    # Close enough to a stair or lift landing: take it (in index order: the queue's order).
    near = ok & oa.link[choice] & (dist <= m.p.behaviour.link_reach)
    for k, c in zip(ks[near].tolist(), choice[near].tolist(), strict=True):
        if enter_link(m, k, opts[c]):
            m.fid[k] = -1


def _drop_allocation(m: EvacuationModel, ks: np.ndarray) -> None:
    """People whose allocated exit can no longer be reached (a door on the way closed) head for
    the best exit still open, as a marshal would send them, instead of standing for good."""
    for k in ks.tolist():
        m.assigned_exit[k] = None
        m.set_goal(k, m.exit_goal(k))
    m.fid[ks] = -1


def move(m: EvacuationModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of movement for everyone on a plane (:func:`~agents.movement.motion_kernel.plane_step`).

    Everyone walking (``MOVE`` with a field) follows their field's direction at their free
    speed, beds and wheelchairs slowed at turns; people standing (waiting, being prepared)
    take part only by stepping aside.  Returns the people on a plane and, per person, the
    global space and the level exit index of the cell they end in (for :meth:`_arrivals`).
    """
    on = np.flatnonzero(_ON_PLANE_TABLE[m.state])
    n = on.size
    out_space = np.empty(n, np.int64)
    out_exit = np.empty(n, np.int64)
    if n == 0:
        return on, out_space, out_exit
    sm, b = m.p.model, m.p.behaviour
    noise = m.gen.normal(0.0, sm.noise, (n, 2)) if sm.noise > 0 else np.zeros((n, 2))
    fs = m.nav.fields
    la = m.level_arrays
    plane_step(on, m.pos, m.prev_pos, m.lvl, m.state, m.fid, m.hold, m.v_free, m.need, m.heading, m.orient,
               m.radius, m.extra, m.clear, m.last_prog, m.best, m.wait, m.dist,
               la.wall, la.normal, la.space, la.exit, la.origin, la.slope, la.gate, fs.flat_d, fs.flat_v,
               fs.meta, fs.portal, noise, m.t, sm.dt, b.patience, b.back_out_speed, b.wall_tolerance,
               m.csm_params, out_space, out_exit)
    return on, out_space, out_exit


#: ``_ON_PLANE_TABLE[state]``: whether that state stands on a level plane.
_ON_PLANE_TABLE = np.isin(np.arange(len(State)), ON_PLANE)


def cells(m: EvacuationModel, ks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Global space (-1 off the floor) and level exit index (-1 if none) of the cells of ``ks``."""
    space = np.full(ks.size, -1, np.int64)
    exit_ = np.full(ks.size, -1, np.int64)
    for li, g in enumerate(m.grids):
        sel = m.lvl[ks] == li
        if sel.any():
            i, j = g.cell_of(m.pos[ks[sel]])
            space[sel] = m.level_arrays.space[li][i, j]
            exit_[sel] = g.exit[i, j]
    return space, exit_


def space_at(m: EvacuationModel, k: int) -> int:
    g = m.grids[m.lvl[k]]
    i, j = g.cell_of(m.pos[k:k + 1])
    loc = g.space[i[0], j[0]]
    return int(m.local_to_global[m.lvl[k]][loc]) if loc >= 0 else int(m.space[k])
