"""Doors and exits in a step: who waits or backs out at a doorway before people move, and who
passed a door or a final exit after (with the door's capacity); who is held up getting there
(standoffs settled, staff squeezing past a queue coming the other way), and the deadlock flags.

A door passage is counted once per real crossing: the level rasters leave door bands out of
every space (:func:`agents.movement.motion_kernel.level_arrays`), so someone in a band keeps the
space they came from and changes space only on leaving it on the other side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.movement import capsules, selections, squeezing, states
from agents.movement import standoffs as standoff_rules
from agents.movement.doorways import BACK_OUT, GO, WAIT, turns
from agents.movement.navigation import DOOR_BAND
from scenarios.evacuation import placement
from scenarios.evacuation.assistance import reach_safety

if TYPE_CHECKING:
    from scenarios.evacuation.state import RunState

__all__ = ["MAKE_WAY_EVERY", "MARK_EVERY", "MOVED", "admit", "arrivals", "clear_doorway", "doorways",
           "flag_deadlocks", "make_way", "queue_flows_ahead", "standoffs", "unit_in_doorway"]

#: States of a unit being moved or prepared.
_MOVED_OR_PREPARED = states.table(states.MOVE, states.PREP)
#: States of people standing where they are, waiting: at a bedside for their team or their
#: patient's turn (``FETCH``), or for the alarm or a task (``HOLD``).
_WAITING = states.table(states.FETCH, states.HOLD)

#: Seconds between two looks for people standing in a stalled unit's way (:func:`make_way`):
#: far less than the ``stall_after`` the unit must have stood.
MAKE_WAY_EVERY = 1.0

#: Seconds between two marks of where everyone stands (:func:`flag_deadlocks`), and the metres
#: someone must have moved since the mark before last (10 to 20 s ago) not to be stalled, however
#: far they are from their portal: a walker's metre in a second, well beyond the sway of someone
#: held in place (a few centimetres a step, back and forth).
MARK_EVERY = 10.0
MOVED = 1.0


def doorways(st: RunState) -> None:
    """Who waits or backs out at a doorway this step (:func:`agents.movement.doorways.turns`)."""
    pe, plan, b = st.people, st.plan, st.p.behaviour
    pe.hold[:] = GO
    # Only those near their door take part (anyone in a door's band is well within approach).
    ks = selections.door_walkers(pe.state, pe.fid, pe.opt_door, pe.dist, b.approach)
    if ks.size == 0 or selections.doors_quiet(ks, pe.opt_door, pe.space, pe.need, st.passages.turns.turn,
                                              st.passages.turns.waiting_since):
        return
    door = pe.opt_door[ks]
    bd = np.full(ks.size, -1, np.int64)
    for li, g in enumerate(plan.grids):
        sel = pe.lvl[ks] == li
        if sel.any():
            i, j = g.cell_of(pe.pos[ks[sel]])
            bd[sel] = plan.band_door[li][i, j]
    evac = st.goals.evac[: len(st.goals)][pe.goal[ks]]
    code = turns(st.passages.turns, st.t, walkers=ks, door=door, in_band=bd == door, side=pe.space[ks],
                 dist=pe.dist[ks], evacuee=evac, width=2 * pe.radius[ks], reach=pe.radius[ks] + pe.extra[ks],
                 unit=pe.need[ks] > 0, door_width=plan.door_widths, behaviour=b,
                 stalled=st.t - pe.last_prog[ks] > b.patience)
    pe.hold[ks] = code
    pe.wait[ks[code == WAIT]] += st.p.model.dt


def standoffs(st: RunState) -> None:
    """Who backs off this step to settle a standoff (:func:`agents.movement.standoffs.back_off`, as
    :func:`agents.movement.selections.backing_off` computes it)."""
    pe, t, b = st.people, st.t, st.p.behaviour
    stalled = selections.stalled_walkers(pe.state, pe.fid, pe.last_prog, pe.backing_until, t, b.stall_after)
    # Only a pair with a bed or wheelchair in it can be a standoff: most steps with people
    # stalled (a queue at a door) have none, and the rounds would be counted for nothing.
    if stalled.size >= 2 and (pe.need[stalled] > 0).any():
        rounds = standoff_rules.standoff_rounds(t, pe.last_prog, b.stall_after, b.back_off_time)
        yielders = selections.backing_off(stalled, pe.pos, pe.lvl, pe.radius, pe.extra, pe.orient, pe.dist,
                                          pe.fid, st.nav.fields.portal, pe.need, b.contact, rounds,
                                          standoff_rules.SWAP_AFTER)
        pe.backing_until[yielders] = t + b.back_off_time
    selections.mark_backing(pe.state, pe.fid, pe.backing_until, t, pe.hold, BACK_OUT)


def make_way(st: RunState) -> None:
    """Whoever stands waiting (:data:`_WAITING`) in the way of someone walking, a bed or wheelchair
    too, who has made no progress for ``stall_after`` s (ahead of them along their axis, within
    ``contact`` of their reach) steps aside to a free spot of their space clear of its doors
    (:func:`placement.stand_aside`).

    The speed model's give-way rule moves someone standing out of a walker's way only where
    there is room to move into.  Day drill seed 25, with steps checked against the room from
    above: four nurses waiting for their patients' turn in the bay L2-W2-BAY3 had been pushed by
    the people passing them to the door, and stood round the wheelchair leaving it; the bay's
    other patients were to leave after it, so nobody moved again (16 people left at the 7,200 s
    cap).  Day seed 6: in L1-RECOVERY, a nurse on her way to a bedside and one leaving stood a
    minute behind the teams waiting at the other beds (two flags).
    """
    pe, t, b = st.people, st.t, st.p.behaviour
    if np.floor(t / MAKE_WAY_EVERY) == np.floor((t - st.p.model.dt) / MAKE_WAY_EVERY):
        return
    stalled = selections.stalled_walkers(pe.state, pe.fid, pe.last_prog, pe.backing_until, t, b.stall_after)
    waiting = np.flatnonzero(_WAITING[pe.state])
    if stalled.size == 0 or waiting.size == 0:
        return
    # Only the stalled on a level where someone waits (a queue at a stair has hundreds stalled).
    for u in stalled[np.isin(pe.lvl[stalled], pe.lvl[waiting])].tolist():
        near = waiting[pe.lvl[waiting] == pe.lvl[u]]
        d = pe.pos[near] - pe.pos[u]
        gap = np.hypot(d[:, 0], d[:, 1]) - (pe.radius[u] + pe.extra[u] + pe.radius[near])
        ahead = d @ pe.orient[u] > 0
        for s in near[(gap < b.contact) & ahead].tolist():
            placement.stand_aside(st, s)


def squeeze_past(st: RunState) -> None:
    """Held-up staff on their way to a patient change places with the evacuee heading the other way
    just ahead of them (:mod:`agents.movement.squeezing`), in one space people pass through (a
    corridor or a stair's landing: :attr:`~scenarios.evacuation.state.Plan.through`), out of door
    bands."""
    pe, plan, t, b = st.people, st.plan, st.t, st.p.behaviour
    staff = selections.held_up_staff(pe.state, pe.need, pe.fid, pe.hold, pe.staff, pe.task, pe.last_prog,
                                     pe.squeezed, plan.through, pe.space, t, b.squeeze_after,
                                     b.squeeze_every, GO)
    if staff.size == 0:
        return
    ready = ((pe.state == states.MOVE) & (pe.need == 0) & (pe.fid >= 0) & (pe.hold == GO)
             & (t - pe.squeezed >= b.squeeze_every) & plan.through[pe.space])
    evacuees = np.flatnonzero(ready & (pe.task < 0) & (pe.goal >= 0))
    evacuees = evacuees[st.goals.evac[pe.goal[evacuees]]]
    for li, g in enumerate(plan.grids):
        ks, others = staff[pe.lvl[staff] == li], evacuees[pe.lvl[evacuees] == li]
        if ks.size == 0 or others.size == 0:
            continue
        both = np.concatenate([ks, others])
        i, j = g.cell_of(pe.pos[both])
        clear = plan.band_door[li][i, j] < 0
        _, heading = st.nav.fields.lookup(pe.fid[both], i, j)
        ks, others = ks[clear[:ks.size]], others[clear[ks.size:]]
        heading_of = np.zeros_like(pe.pos)
        heading_of[both] = heading
        for s, w in squeezing.squeeze_pairs(ks, others, pos=pe.pos, radius=pe.radius, heading_of=heading_of,
                                            space=pe.space, reach=b.squeeze_reach):
            pe.pos[[s, w]] = pe.pos[[w, s]]
            pe.prev_pos[[s, w]] = pe.pos[[s, w]]
            pe.squeezed[[s, w]] = t


def arrivals(st: RunState, on: np.ndarray, cell_space: np.ndarray, cell_exit: np.ndarray) -> None:
    """Exits passed and doors crossed by the people who walked this step (level by level).

    ``on``, ``cell_space`` and ``cell_exit`` are :func:`~scenarios.evacuation.motion.move`'s: the
    people on a plane and the global space and level exit index of the cell each ended in.
    Someone a door or exit has no capacity for this step (:func:`admit`) goes back to where they
    stood.
    """
    pe, plan, t = st.people, st.plan, st.t
    if not selections.any_crossing(pe.state, pe.space, on, cell_space, cell_exit):
        return
    s_on = pe.state[on]
    standing = (s_on == states.PRE) | (s_on == states.HOLD)
    _pushed_over(st, on[standing], cell_space[standing])
    walked = pe.state[on] == states.MOVE
    on, cell_space, cell_exit = on[walked], cell_space[walked], cell_exit[walked]
    for li, g in enumerate(plan.grids):
        sel = pe.lvl[on] == li
        if not sel.any():
            continue
        ks = on[sel]
        ex = cell_exit[sel]
        glob = np.where(cell_space[sel] >= 0, cell_space[sel], pe.space[ks])
        for k, e_ix in zip(ks[ex >= 0].tolist(), ex[ex >= 0].tolist(), strict=True):
            if st.goals[pe.goal[k]].kind != "exit":
                # Only people heading out pass a final exit: staff going back in for the next
                # patient and pressed against it by the outflow stay inside, on the team.
                pe.pos[k] = pe.prev_pos[k]
                continue
            eid = g.exit_ids[int(e_ix)]
            if not admit(st, eid, plan.exit_width[eid]):
                pe.pos[k] = pe.prev_pos[k]
                continue
            pe.exit_used[k] = eid
            st.passages.leave(plan, int(pe.space[k]), -1, t)
            st.passages.log(t, eid, "exit")
            reach_safety(st, k, 1)
        changed = (glob != pe.space[ks]) & (ex < 0)
        for k, new in zip(ks[changed].tolist(), glob[changed].tolist(), strict=True):
            old = plan.space_ids[pe.space[k]]
            sid = plan.space_ids[new]
            door = plan.door_between.get(frozenset((old, sid)))
            if door is not None and not admit(st, door, float(plan.door_widths[plan.door_ix[door]])):
                pe.pos[k] = pe.prev_pos[k]
                continue
            _enter(st, k, new, door)
            goal = st.goals[pe.goal[k]]
            if goal.kind == "spaces" and sid in goal.spaces:
                pe.refuge_space[k] = new
                reach_safety(st, k, 2)
            else:
                pe.reroute[k] = True
                pe.best[k] = np.inf


def _pushed_over(st: RunState, pre: np.ndarray, cell_space: np.ndarray) -> None:
    """People standing (not yet set off, or holding in place) whom the crowd pushed across a door
    count in the space they stand in (seen from the space they counted in, they stood outside it:
    no way on was finite there, so they were stranded, and in a bay's doorway they held its beds
    in for good).  Those holding in place (a compartment whose turn has not come) are pushed as
    much as those still preparing to go."""
    pe, plan = st.people, st.plan
    moved = (cell_space >= 0) & (cell_space != pe.space[pre])
    for k, new in zip(pre[moved].tolist(), cell_space[moved].tolist(), strict=True):
        door = plan.door_between.get(frozenset((plan.space_ids[pe.space[k]], plan.space_ids[new])))
        _enter(st, k, new, door)
        pe.reroute[k] = True
        pe.best[k] = np.inf


def _enter(st: RunState, k: int, new: int, door: str | None) -> None:
    """Person ``k`` now counts in space ``new``, having passed ``door`` (``None``: no door between)."""
    pe, plan = st.people, st.plan
    st.passages.leave(plan, int(pe.space[k]), new, st.t)
    pe.space[k] = new
    pe.route[k].append(plan.space_ids[new])
    if door is not None:
        st.passages.log(st.t, door, "door")


def flag_deadlocks(st: RunState) -> None:
    """Flag, once each, whoever has made no progress for ``deadlock_window`` while nobody passed
    the portal ahead of them (someone with no usable way out is stranded, not deadlocked:
    counted once, as stranded).

    Some are waiting, not deadlocked:

    * a unit on a lift's landing waiting for the car it called, or in the queue to that landing
      while the lift takes people in;
    * someone standing in a doorway that others pass, waiting their turn at it: on day seed 7
      a nurse going into a bay for a patient stood a minute in its door while the bay's people
      came out, evacuees' turn before hers (:mod:`agents.movement.doorways`);
    * someone on foot with a bed or wheelchair being moved or prepared in the doorway ahead of
      them (:func:`unit_in_doorway`): in a random room, a nurse waited a minute by the exit
      while the wheelchair in front of it was prepared; on day seed 3 a visitor the crowd had
      pushed into a store waited a minute and a half for the beds queueing to the lift past its
      door.  A unit is never let off so: if the one in the doorway is locked, it is flagged
      itself, and once it has gone the wait is a lock again;
    * anyone, a unit too, held by a queue that moves (:func:`queue_flows_ahead`);
    * anyone who has moved more than :data:`MOVED` since the mark before last, 10 to 20 s ago
      (:data:`MARK_EVERY`): on day seed 0 a nurse bound for a single room against the crowd
      queueing for the east stair was carried 10 m back by it in 80 s and was flagged while
      walking freely back towards her best distance to her door (progress counts only below it).
    """
    pe, t, w = st.people, st.t, st.p.deadlock_window
    p = st.passages
    if t - p.marked >= MARK_EVERY:
        p.before, p.mark, p.marked = p.mark, pe.pos.copy(), t
    last = p.last_pass
    stuck = selections.stuck_walkers(pe.state, pe.last_prog, pe.dead, pe.stranded, pe.called, t, w)
    if stuck.size:
        stuck = stuck[~(np.hypot(*(pe.pos[stuck] - p.before[stuck]).T) > MOVED)]
    for k in stuck.tolist():
        o = pe.opt[k]
        ahead = -1e9 if o is None else last.get(o.ref, -1e9)
        if o is not None and o.ref in st.plan.door_lift:
            ahead = max(ahead, last.get(st.plan.door_lift[o.ref], -1e9))
        if t - ahead <= w or t - _doorway_passed(st, k) <= w:
            continue
        if o is not None and o.kind in ("door", "exit") and pe.need[k] == 0 and unit_in_doorway(st, k, o.ref):
            continue
        if queue_flows_ahead(st, k):
            continue
        pe.dead[k] = True
        st.passages.deadlocks.append((pe.ids[k], t, float(pe.pos[k, 0]), float(pe.pos[k, 1])))


def queue_flows_ahead(st: RunState, k: int) -> bool:
    """Whether person ``k``'s way is held by a queue that moves: someone walking in ``k``'s lane
    ahead (:func:`agents.movement.standoffs.in_lane`, along the way ``k``'s field leads), no
    farther than contact (``behaviour.contact`` m between their reaches) plus the way one backs
    off in a standoff (``back_out_speed`` x ``back_off_time``), whose own portal someone passed
    within ``deadlock_window``.

    Day seed 3: a wheelchair bound for the east lift was pushed into a store's doorway by the
    queue for the east stair, whose fan fills the corridor between the store and the lift lobby.
    It stood there, backing off now and then, for 220 s while that queue went down the stair, a
    person a second, and left as soon as the fan had gone.  Waiting behind a queue that moves is
    queueing, not a deadlock; once the queue stops moving, or has gone and ``k`` still makes no
    progress, it is flagged as before.
    """
    pe, t, w, b = st.people, st.t, st.p.deadlock_window, st.p.behaviour
    way = pe.heading[k]
    if pe.fid[k] >= 0:  # the way the field leads, whether they walk it or back off from it now
        i, j = st.plan.grids[int(pe.lvl[k])].cell_of(pe.pos[[k]])
        _, v = st.nav.fields.lookup(pe.fid[[k]], i, j)
        way = v[0] if v[0].any() else way
    reach = pe.radius + pe.extra
    d = pe.pos - pe.pos[k]
    # Their own half extent across their way, a unit's length as far as it lies across it (a
    # wheelchair backed into a doorway lies along the corridor while its way leads out).
    half = pe.radius[k] + pe.extra[k] * abs(pe.orient[k, 0] * way[1] - pe.orient[k, 1] * way[0])
    ahead = standoff_rules.in_lane(d, orient_o=way, orient_y=pe.orient, radius_o=half, radius_y=pe.radius,
                                   extra_y=pe.extra)
    ahead &= d @ way - reach - reach[k] < b.contact + b.back_out_speed * b.back_off_time
    ahead &= (pe.lvl == pe.lvl[k]) & (pe.state == states.MOVE)
    ahead[k] = False
    last = st.passages.last_pass
    for q in np.flatnonzero(ahead).tolist():
        o = pe.opt[q]
        if o is not None and t - last.get(o.ref, -np.inf) <= w:
            return True
    return False


def _doorway_passed(st: RunState, k: int) -> float:
    """When anyone last passed the door in whose band person ``k`` stands (-inf: none)."""
    pe, plan = st.people, st.plan
    li = int(pe.lvl[k])
    i, j = plan.grids[li].cell_of(pe.pos[[k]])
    d = int(plan.band_door[li][i[0], j[0]])
    return -np.inf if d < 0 else st.passages.last_pass.get(plan.facility.doors[d].id, -np.inf)


def unit_in_doorway(st: RunState, k: int, portal: str) -> bool:
    """Whether a bed or wheelchair being moved or prepared, on person ``k``'s level, comes
    within a door band and ``k``'s width of the opening of door or exit ``portal``
    (:data:`agents.movement.navigation.DOOR_BAND`): ``k`` cannot pass till it has gone."""
    pe = st.people
    on = (pe.need > 0) & _MOVED_OR_PREPARED[pe.state] & (pe.lvl == pe.lvl[k])
    on[k] = False
    units = np.flatnonzero(on)
    if units.size == 0:
        return False
    ends = st.openings.get(portal)
    if ends is None:
        fac = st.plan.facility
        opening = fac.door(portal) if portal in st.plan.door_ix else fac.exit(portal)
        ends = st.openings[portal] = np.asarray(fac.door_segment(opening).coords, np.float64)[[0, -1]].ravel()
    u0, u1 = capsules.axis_ends(pe.pos[units], pe.orient[units], pe.extra[units])
    gap = capsules.segment_gaps(u0, u1, ends[:2], ends[2:]) - pe.radius[units]
    return bool((gap < DOOR_BAND + 2 * pe.clear[k]).any())


def admit(st: RunState, portal: str, width: float) -> bool:
    """Whether a door or exit with capacity ``door_flow * width`` lets one more through now."""
    if st.p.door_flow is None:
        return True
    last = st.passages.last_pass
    if st.t - last.get(portal, -1e9) < 1.0 / (st.p.door_flow * width) - 1e-9:
        return False
    last[portal] = st.t
    return True


def clear_doorway(st: RunState, door: str) -> None:
    """Whoever stands in a door's band when it closes steps back into the space they count in
    (a closed door is a wall: left in it, they could never move again)."""
    pe, plan = st.people, st.plan
    d = plan.door_ix[door]
    on = np.flatnonzero(states.ON_PLANE_TABLE[pe.state])
    for li, g in enumerate(plan.grids):
        sel = on[pe.lvl[on] == li]
        if sel.size == 0:
            continue
        i, j = g.cell_of(pe.pos[sel])
        for k in sel[plan.band_door[li][i, j] == d].tolist():
            placement.respawn(st, k, int(pe.space[k]))

