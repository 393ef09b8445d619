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
progress for ``stall_after`` s is given the field to the same portal or bedside laid round
the footprints of the beds and wheelchairs standing in that room, their own patient's
excepted (:meth:`~agents.movement.routes.Navigator.detour_field_id`, positions to a
decimetre, so the fields of one arrangement of units are laid once).  Walkers are looked at
once every :data:`LOOK_EVERY`, and a route choice to the same portal keeps the detour
(:func:`keep`).  The field is one of the same portal, so the walker keeps their place in its
queue; someone the detour does not reach (the bed stands in the doorway) keeps their field.
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

__all__ = ["LOOK_EVERY", "detour", "keep"]

#: Seconds between two looks for walkers to send round parked units: far less than the
#: ``stall_after`` they must have been held up, and a look every step (20 a second) cost the day
#: drill a tenth of its time for nothing.
LOOK_EVERY = 1.0


def detour(st: RunState) -> None:
    """Give the walkers held up in a room by units standing in it the field round them (see the
    module docstring)."""
    pe, plan, t, b = st.people, st.plan, st.t, st.p.behaviour
    if math.floor(t / LOOK_EVERY) == math.floor((t - st.p.model.dt) / LOOK_EVERY):
        return
    stalled = selections.stalled_walkers(pe.state, pe.fid, pe.last_prog, pe.backing_until, t, b.stall_after)
    stalled = stalled[(pe.need[stalled] == 0) & ~plan.through[pe.space[stalled]]]
    if stalled.size == 0:
        return
    parked = np.flatnonzero((pe.need > 0) & (pe.state != states.MOVE) & np.isin(pe.state, states.ON_PLANE))
    if parked.size == 0:
        return
    nav = st.nav
    stalled = stalled[t - pe.detoured[stalled] > b.stall_after]
    for k in stalled.tolist():
        o = pe.opt[k]
        if o is None:
            continue
        if o.kind in ("door", "exit"):
            target: tuple[str, object] = (o.kind, o.ref)
        elif o.kind == "point" and pe.task[k] >= 0:
            target = ("point", st.goals[int(pe.goal[k])].point)  # staff on their way to a bedside
        else:
            continue
        if pe.detour[k] >= 0:
            pe.fid[k] = o.field  # the detour did not help: their own way again
            pe.detour[k] = -1
            pe.detoured[k] = t
            continue
        here = parked[(pe.space[parked] == pe.space[k]) & (pe.lvl[parked] == pe.lvl[k])
                      & (parked != pe.task[k])]  # round the others, not one's own patient
        if here.size == 0:
            continue
        units = tuple((round(float(pe.pos[u, 0]), 1), round(float(pe.pos[u, 1]), 1),
                       round(float(pe.orient[u, 0]), 1), round(float(pe.orient[u, 1]), 1),
                       float(pe.radius[u]), float(pe.extra[u])) for u in here.tolist())
        space = plan.space_ids[int(pe.space[k])]
        fid = nav.detour_field_id(space, target, float(pe.clear[k]), units)
        i, j = plan.grids[int(pe.lvl[k])].cell_of(pe.pos[[k]])
        d, _ = nav.fields.lookup(np.array([fid]), i, j)
        if np.isfinite(d[0]):
            pe.fid[k] = fid
            pe.detour[k] = fid
            pe.detoured[k] = t


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
