"""The strategy's phases: when people set off, when the vertical phase begins, and when a run is
over.

Under progressive horizontal evacuation the fire compartments move first, to a neighbouring
compartment (phase 1); everyone else holds (defend in place).  The vertical phase (2) begins
when the fire compartments are empty or at ``vertical_after``: those holding set off for the
final exits and those in a refuge come back onto the floor to do the same.  A ``full``
evacuation is phase 2 from the start; a ``horizontal`` one ends with phase 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.movement import selections, states
from facility.mobility import BED
from scenarios.evacuation import placement
from scenarios.evacuation.goals import exit_goal, in_phase, safety_goal, set_goal

if TYPE_CHECKING:
    from agents.movement.behaviour import Behaviour
    from scenarios.evacuation.state import RunState

__all__ = ["activate", "done", "first_phase", "keep_the_way_in", "return_from_refuge", "safe_counts",
           "switch", "way_in"]

#: Most people brought back from the refuges per step (those a space has no room for yet are
#: tried again the next step).
RETURN_PER_STEP = 20

#: States of someone whose evacuation is settled, one way or the other.
_SETTLED = states.table(states.REFUGE, states.OUT, states.INCAPACITATED)

#: ``_HOLD_TABLE[state]``: holding in place.
_HOLD_TABLE = states.table(states.HOLD)

#: ``_REFUGE_TABLE[state]``: in a refuge now.
_REFUGE_TABLE = states.table(states.REFUGE)


def first_phase(strategy: str) -> int:
    """The phase a run of ``strategy`` begins in."""
    return 1 if strategy in ("progressive", "horizontal") else 2


def switch(st: RunState) -> None:
    """Begin the vertical phase when it is due; in it, bring people back from the refuges."""
    pe = st.people
    if st.phase == 2:
        if st.p.strategy == "progressive":
            return_from_refuge(st)
        return
    if st.p.strategy == "horizontal" or st.t < st.p.alarm:
        return
    left = (pe.home_in_fire & ~_SETTLED[pe.state]
            & ~pe.stranded & ~pe.left_behind)
    timed = st.p.vertical_after is not None and st.t >= st.p.alarm + st.p.vertical_after
    if left.any() and not timed:
        return
    st.phase = 2
    st.phase2 = st.t
    for k in np.flatnonzero(pe.state == states.HOLD).tolist():
        if pe.staff[k]:
            continue
        pe.state[k] = states.NEED if pe.need[k] else states.MOVE
        set_goal(st, k, exit_goal(st, k))
        if np.isnan(pe.t_move[k]) and not pe.need[k]:
            pe.t_move[k] = st.t


def return_from_refuge(st: RunState) -> None:
    """Vertical phase: people waiting in a refuge come back onto the floor as there is room.

    Someone on foot comes back into the space they took refuge through, else into another
    space of the refuge (:func:`~scenarios.evacuation.placement.refuge_spaces`), where the floor
    area taken by the people already in it and by them stays within the space's area at the
    refuge's design allowance per person (``refuge_demand``: NFPA 101's 0.56 m2 a person and
    2.8 m2 a patient).  Rooms whose doors are all narrower than
    :data:`~scenarios.evacuation.placement.WIDE_DOOR` (stores, utility rooms) take nobody but
    their own refugees: brought back all at once, the overflow of the day drill's L2 refuge was
    put into its stores, and fifteen to thirty people at a time then waited behind a 0.9 m door
    for a gap in the corridor's queue (day drill, seed 1: 58 of its 64 stall flags).  Whoever
    has no room yet goes on waiting in the refuge, joining the floor as the queue ahead moves.
    A bed or wheelchair comes back where it can be parked and leave again
    (:func:`~scenarios.evacuation.placement.park_spaces`), with no area check: held back by
    the walkers' allowance, units came back later and into other bays, and on day seed 5 a
    bay of L2-B filled with parked beds and the staff fetching them until nobody could move.
    """
    pe, plan = st.people, st.plan
    waiting = selections.in_state(pe.state, _REFUGE_TABLE)
    if waiting.size == 0:
        return
    on = states.ON_PLANE_TABLE[pe.state] & (pe.space >= 0)
    taken = np.bincount(pe.space[on], weights=pe.refuge_demand[on], minlength=len(plan.space_ids))
    on_foot_to: dict[int, list[int]] = {}  # per refuge space: where people on foot may come back
    placed = 0
    for k in waiting.tolist():
        if placed >= RETURN_PER_STEP:
            break
        home, unit, need = int(pe.refuge_space[k]), bool(pe.need[k] > 0), float(pe.refuge_demand[k])
        if unit:
            width = 2 * float(pe.radius[k]) + 0.1
            spaces = placement.park_spaces(st, placement.refuge_spaces(st, home), width)
        else:
            if home not in on_foot_to:
                fac, ids = plan.facility, plan.space_ids
                on_foot_to[home] = [s for s in placement.refuge_spaces(st, home)
                                    if s == home or not placement.narrow_room(fac, ids[s])]
            spaces = [s for s in on_foot_to[home] if taken[s] + need <= plan.space_area[s]]
        into = next((s for s in spaces if placement.respawn(st, k, s, park=unit)), -1)
        if into < 0:
            continue
        placed += 1
        taken[into] += need
        if pe.staff[k]:
            pe.state[k] = states.HOLD
        else:
            pe.state[k] = states.NEED if unit else states.MOVE
            set_goal(st, k, exit_goal(st, k))
        pe.reached[k] = 0
        pe.t_reach[k] = np.nan
        pe.last_prog[k] = st.t
        pe.best[k] = np.inf


def activate(st: RunState) -> None:
    """End of pre-movement: walk, wait for staff, or hold in place."""
    pe, t = st.people, st.t
    if t < st.p.alarm:
        # Before the alarm only those who saw the hazard itself set off (hazard.cue_starts), on
        # foot: staff and the patients they move answer the alarm.
        early = np.flatnonzero((pe.state == states.PRE) & (t >= pe.t_start) & (pe.need == 0) & ~pe.staff)
        for k in early.tolist():
            if in_phase(st, k):
                _set_off(st, k)
        return
    ready = selections.set_off_now(pe.state, pe.t_start, pe.need, t)
    for k in ready.tolist():
        if not in_phase(st, k) and not pe.staff[k]:
            pe.state[k] = states.HOLD
            _clear_the_way_in(st, k)
        elif pe.need[k] > 0:
            pe.state[k] = states.NEED
        elif pe.staff[k]:
            if t < pe.t_start[k]:
                continue
            pe.state[k] = states.HOLD  # free for tasks (scenarios.evacuation.assistance)
            _clear_the_way_in(st, k)
        else:
            _set_off(st, k)


def way_in(b: Behaviour) -> float:
    """Metres from a door into the refuge within which someone holding there is in the way of the
    beds coming through it: a bed's length (:data:`facility.mobility.BED`) and the room kept clear
    in front of a door (``behaviour.door_keep_clear``)."""
    return BED.footprint[1] + b.door_keep_clear


def _clear_the_way_in(st: RunState, k: int) -> None:
    """Someone holding in place (a compartment not moved yet, or staff waiting for a task) within
    :func:`way_in` of a door through which a fire compartment is moved into theirs steps aside
    (:func:`~scenarios.evacuation.placement.step_aside`).

    Day drill, seed 5: visitors and a nurse of the L2-B corridor stood where they were, just
    past the L2 smoke door, and a bed coming through it from the fire compartment stood in the
    doorway for minutes with eight more queueing behind it.
    """
    pe, plan = st.people, st.plan
    if st.phase != 1 or not plan.fire_comp.any() or plan.in_fire[pe.space[k]]:
        return
    sid = plan.space_ids[pe.space[k]]
    for d in plan.facility.doors_of.get(sid, ()):
        other = plan.space_ix[d.other(sid)]
        if (plan.in_fire[other]
                and np.hypot(pe.pos[k, 0] - d.at[0], pe.pos[k, 1] - d.at[1]) < way_in(st.p.behaviour)):
            placement.step_aside(st, k, int(pe.space[k]), pe.pos[k].copy())
            return


def keep_the_way_in(st: RunState) -> None:
    """Whoever holds in place and was moved by the crowd this step into :func:`way_in` of a door
    through which a fire compartment is moved into theirs steps aside again
    (:func:`_clear_the_way_in`).

    Day drill, seed 21: a nurse waiting for a task in the L2-B corridor, clear of the smoke door
    when the alarm went, was moved 8.5 m west in 25 s by the staff passing her (someone standing
    steps aside from a walker), into the smoke door's opening; the beds coming through squeezed
    between her and the jamb, and the door was locked for five minutes (7 stall flags).
    """
    if st.phase != 1 or not st.plan.fire_comp.any():
        return
    pe = st.people
    for k in selections.pushed(pe.state, pe.pos, pe.prev_pos, _HOLD_TABLE).tolist():
        _clear_the_way_in(st, k)


def _set_off(st: RunState, k: int) -> None:
    """Person ``k`` walks off now towards safety."""
    st.people.state[k] = states.MOVE
    st.people.t_move[k] = st.t
    set_goal(st, k, safety_goal(st, k))


def done(st: RunState) -> bool:
    """Whether nobody is left to move: everyone out (or, in phase 1 of a horizontal evacuation,
    the fire compartments in a refuge), but for the stranded, those left behind and the
    incapacitated."""
    pe = st.people
    if st.phase == 1:
        if st.p.strategy != "horizontal":
            return False
        safe = states.SAFE_TABLE[pe.state]
        fallen = pe.state == states.INCAPACITATED
        return not bool((pe.home_in_fire & ~safe & ~pe.stranded & ~pe.left_behind & ~fallen).any())
    return not selections.any_active(pe.state, pe.stranded, pe.left_behind)


def safe_counts(st: RunState) -> tuple[int, int, int]:
    """(safe, out, in a refuge now). Safe: out, or in a refuge now or before (moving on from it in
    the vertical phase), unless incapacitated before reaching one: the figure never goes down."""
    pe = st.people
    out, refuge = pe.state == states.OUT, pe.state == states.REFUGE
    fell = pe.casualties.flag & (pe.refuge_space < 0)
    safe = int(np.count_nonzero((out | (pe.refuge_space >= 0)) & ~fell))
    return safe, int(np.count_nonzero(out)), int(np.count_nonzero(refuge))
