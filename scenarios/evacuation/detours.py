"""Detours round parked units: a walker held up in a room by a bed or wheelchair standing in the
way walks round it.

The walking fields (:class:`agents.movement.routes.Navigator`) know the building, not the
people in it: they lead straight at a bed parked between a walker and the door, and the crowd
model's sidestep (swapping sides every ``patience`` s) gets round it in a corridor but not in a
single room, where one side of the bed is a slot narrower than a person.  On day seed 9 a
visitor in the single room L2-W2-SR1 stood a minute in the slot between the wall and the room's
own bed, waiting for its team, with two metres of floor on the bed's other side.

Whoever has walked towards a door or exit of a room (not a space people pass through, where
the queue is the crowd model's), or as staff towards their patient's bedside, and made no
progress for ``stall_after`` s is given the field to the same portal laid round the
footprints of the beds and wheelchairs standing in that room
(:meth:`~agents.movement.routes.Navigator.detour_field_id`, positions to a decimetre, so the
fields of one arrangement of units are laid once).  Staff are led to the nearer side of their
own patient's bed or wheelchair, round it too, not at its centre (their goal's point, inside
its footprint), and queue as for that point.  Walkers are looked at
once every :data:`LOOK_EVERY`, and a route choice to the same portal keeps the detour
(:func:`keep`); at every look a detour is laid again round the units standing then, or dropped
when none is left.  The field is one of the same portal, so the walker keeps their place in its
queue.  Someone pressed against a unit stands inside its footprint as the field widens it (by
their half width and a cell); a field laid with a disc round them left free reaches them.
Someone the detour still does not reach (the bed stands in the doorway) keeps their field.
Someone still held up ``stall_after`` s after taking a detour goes back to their own field,
and may take the detour again as long again after that, as the sidestep swaps sides: on the
shipped night drill a walker in a bay whose detour led into the staff preparing the beds
stood on it for the rest of the minute.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from agents.movement import selections, states

if TYPE_CHECKING:
    from scenarios.evacuation.state import RunState

__all__ = ["LOOK_EVERY", "detour", "keep", "parked_units", "units_round"]

#: Seconds between two looks for walkers to send round parked units: far less than the
#: ``stall_after`` they must have been held up, and a look every step (20 a second) cost the day
#: drill a tenth of its time for nothing.
LOOK_EVERY = 1.0


def detour(st: RunState) -> None:
    """Give the walkers held up in a room by units standing in it the field round them, and lay
    again (or drop) the detours of those whose room's units have moved (see the module
    docstring)."""
    pe, plan, t, b = st.people, st.plan, st.t, st.p.behaviour
    if math.floor(t / LOOK_EVERY) == math.floor((t - st.p.model.dt) / LOOK_EVERY):
        return
    parked = parked_units(st)
    # Those on a detour: the units it was laid round may have moved on.  Left on it, a nurse
    # stood for good in an empty room, on a detour round a wheelchair that had left by the exit.
    for k in np.flatnonzero(pe.detour >= 0).tolist():
        fid = _round(st, k, parked)
        if fid < 0:
            _own_way(st, k)
        elif fid != pe.detour[k]:
            pe.fid[k] = pe.detour[k] = fid
    stalled = selections.stalled_walkers(pe.state, pe.fid, pe.last_prog, pe.backing_until, t, b.stall_after)
    stalled = stalled[(pe.need[stalled] == 0) & ~plan.through[pe.space[stalled]]]
    for k in stalled[t - pe.detoured[stalled] > b.stall_after].tolist():
        if pe.detour[k] >= 0:
            _own_way(st, k)  # the detour did not help
            pe.detoured[k] = t
            continue
        fid = _round(st, k, parked)
        if fid >= 0:
            pe.fid[k] = pe.detour[k] = fid
            pe.detoured[k] = t


def _own_way(st: RunState, k: int) -> None:
    """Person ``k`` leaves their detour for their own option's field."""
    pe = st.people
    o = pe.opt[k]
    pe.detour[k] = -1
    if o is not None:
        pe.fid[k] = o.field


def _round(st: RunState, k: int, parked: np.ndarray) -> int:
    """The field of person ``k``'s way laid round the units of ``parked`` standing in their room,
    or -1: no way that a detour serves (a stair or lift, a bedside not theirs), no unit in the
    room, or the detour does not reach them.  Staff bound for their own patient's bed or
    wheelchair are led to its side (:func:`_to_bedside`); to a patient on foot, round the others."""
    pe, plan = st.people, st.plan
    o = pe.opt[k]
    if o is None:
        return -1
    if o.kind in ("door", "exit"):
        target: tuple[str, object] = (o.kind, o.ref)
    elif o.kind == "point" and pe.task[k] >= 0:
        target = ("point", st.goals[int(pe.goal[k])].point)  # staff on their way to a bedside
    else:
        return -1
    pat = int(pe.task[k]) if o.kind == "point" else -1
    here = parked[(pe.space[parked] == pe.space[k]) & (pe.lvl[parked] == pe.lvl[k])]
    if pat >= 0 and pe.extra[pat] > 0 and pat in here:
        return _to_bedside(st, k, pat, here, target)
    here = here[here != pat]  # round the others, not one's own patient (on foot: their point)
    if here.size == 0:
        return -1
    sid, units = plan.space_ids[int(pe.space[k])], units_round(st, here)
    fid = st.nav.detour_field_id(sid, target, float(pe.clear[k]), units)
    if not np.isfinite(_distance(st, k, fid)):
        fid = st.nav.detour_field_id(sid, target, float(pe.clear[k]), units, start=_start(st, k))
    return fid if np.isfinite(_distance(st, k, fid)) else -1


def _start(st: RunState, k: int) -> tuple[float, float]:
    """Where person ``k`` stands, to a decimetre, for a detour that must reach them where they are
    pressed against a unit (:meth:`~agents.movement.routes.Navigator.detour_field_id`'s ``start``).

    Day drill seed 3: a nurse on her way to a bedside in the bay L3-W3-BAY4 came up against the
    foot of another team's bed; the field round the beds, widened by her half width, did not
    reach her there, so she kept her own field, straight at the bed, and stood a minute.
    """
    return (round(float(st.people.pos[k, 0]), 1), round(float(st.people.pos[k, 1]), 1))


def _to_bedside(st: RunState, k: int, pat: int, here: np.ndarray, target: tuple[str, object]) -> int:
    """The field of staff member ``k`` to the nearer side of their patient's bed or wheelchair
    ``pat``, round it and the other units ``here``, queueing as for the patient's own point
    ``target``; -1 if neither side is reached (from where they stand, too:
    :func:`_start`).

    The point is the unit's centre, inside its footprint: on night seed 3 a nurse coming into a
    single room stood for a minute at the foot of her patient's bed, led at its centre, too near
    the door to count as at the bedside (:func:`scenarios.evacuation.assistance.in_doorway`).
    """
    pe, plan = st.people, st.plan
    axis = pe.orient[pat] / max(float(np.hypot(*pe.orient[pat])), 1e-9)
    side = np.array([-axis[1], axis[0]])
    off = float(pe.radius[pat] + pe.clear[k]) + plan.grids[int(pe.lvl[k])].h
    units = units_round(st, here)
    sid = plan.space_ids[int(pe.space[k])]
    best, best_d = -1, np.inf
    for start in (None, _start(st, k)):
        for s in (1.0, -1.0):
            x, y = pe.pos[pat] + s * off * side
            fid = st.nav.detour_field_id(sid, ("point", (round(float(x), 1), round(float(y), 1))),
                                         float(pe.clear[k]), units, queue_as=target, start=start)
            d = _distance(st, k, fid)
            if d < best_d:
                best, best_d = fid, d
        if best >= 0:
            return best
    return best


def _distance(st: RunState, k: int, fid: int) -> float:
    """Person ``k``'s distance on field ``fid`` (inf: it does not reach them)."""
    i, j = st.plan.grids[int(st.people.lvl[k])].cell_of(st.people.pos[[k]])
    d, _ = st.nav.fields.lookup(np.array([fid]), i, j)
    return float(d[0])


def parked_units(st: RunState) -> np.ndarray:
    """Rows of the beds and wheelchairs standing on a level plane, not moving (waiting for
    staff, being prepared, held, ...)."""
    pe = st.people
    return np.flatnonzero((pe.need > 0) & (pe.state != states.MOVE) & states.ON_PLANE_TABLE[pe.state])


def units_round(st: RunState, rows: np.ndarray) -> tuple[tuple[float, ...], ...]:
    """The footprints of units ``rows`` as a field is laid round them
    (:meth:`~agents.movement.routes.Navigator.detour_field_id`): position and axis to a
    decimetre, so that the fields of one arrangement of units are laid once."""
    pe = st.people
    return tuple((round(float(pe.pos[u, 0]), 1), round(float(pe.pos[u, 1]), 1),
                  round(float(pe.orient[u, 0]), 1), round(float(pe.orient[u, 1]), 1),
                  float(pe.radius[u]), float(pe.extra[u])) for u in rows.tolist())


def keep(st: RunState, ks: np.ndarray) -> None:
    """After a route choice of ``ks``: those on a detour who chose its portal again stay on it;
    the others leave it.  Everyone walking chooses again every second, and the detour would
    otherwise last till then."""
    pe = st.people
    d = pe.detour[ks]
    on = d >= 0
    if not on.any():
        return
    portal = st.nav.fields.portal
    same = on & (pe.fid[ks] >= 0) & (portal[np.maximum(d, 0)] == portal[np.maximum(pe.fid[ks], 0)])
    pe.fid[ks[same]] = d[same]
    pe.detour[ks[on & ~same]] = -1
