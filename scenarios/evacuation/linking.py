"""The model's side of stairs and lifts (:mod:`agents.movement.levels`): entering a flight or
calling a car, and landing on the next level when there is room; lift cars unload one unit at a
time and take no new call while unloading.

A bed or wheelchair that calls a lift stays on the floor: it is wheeled on into the lift's
landing and waits there (``people.called``) until the car has come for it and opened, and only
then leaves the plane (``LINK``), so units waiting for a car take up the landing and those
behind them wait in the corridor, as in front of a real lift.  People on foot leave the plane
when they call, as if they stood aside in the lobby: staff going back up for the next patient
call the car from the exit level's landing, which the units coming down must be wheeled out
into (:func:`landing_clear`); left standing there, they would keep the car from unloading and
themselves from being fetched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.movement import states
from agents.movement.routes import Option
from scenarios.evacuation.params import ON_PLANE
from scenarios.evacuation.placement import respawn

if TYPE_CHECKING:
    from scenarios.evacuation.state import RunState

__all__ = ["enter_link", "land", "landing_clear", "links"]


def links(st: RunState) -> None:
    """Land whoever reached the end of a flight or whose lift car arrived, where there is room;
    dispatch lift cars that have finished unloading."""
    plan = st.plan
    t = st.t
    for fl in st.links.stairs:
        while fl.on_flight and fl.on_flight[0][0] <= t:
            _, k, to = fl.on_flight[0]
            if not respawn(st, k, plan.space_ix[to]):
                break
            fl.on_flight.popleft()
            fl.last_out = t
            land(st, k, to)
    for lk in st.links.lifts:
        if any(to in lk.lift.spaces for _, _, to in st.links.pending):
            continue  # the car is still unloading
        trip = lk.dispatch(t)
        if trip is not None:
            st.links.boarding.extend((trip.board, trip.arrive, k, to) for k, to in trip.batch)
    _board(st)
    keep = []
    for t_arr, k, to in st.links.pending:
        if t_arr <= t and landing_clear(st, k, to) and respawn(st, k, plan.space_ix[to]):
            land(st, k, to)
        else:
            keep.append((t_arr, k, to))
    st.links.pending = keep


def _board(st: RunState) -> None:
    """Units whose car has come are wheeled in: off the plane until it arrives.  One no longer
    waiting for it (incapacitated meanwhile) is left behind by the car.  Callers on foot are off
    the plane already."""
    pe, plan, t = st.people, st.plan, st.t
    wait = []
    for board, arrive, k, to in st.links.boarding:
        if board > t:
            wait.append((board, arrive, k, to))
            continue
        if not pe.called[k]:
            if pe.state[k] == states.LINK:  # on foot: in the lobby since the call
                st.links.pending.append((arrive, k, to))
            continue
        pe.called[k] = False
        if pe.state[k] != states.MOVE:
            continue
        pe.state[k] = states.LINK
        pe.fid[k] = -1
        st.passages.last_pass[_lift_of(st, to)] = t
        # In the car, they have left the compartment of the landing: its last departure may be this one.
        st.passages.leave(plan, int(pe.space[k]), plan.space_ix[to], t)
        st.links.pending.append((arrive, k, to))
    st.links.boarding = wait


def _lift_of(st: RunState, landing: str) -> str:
    return next(lk.lift.id for lk in st.links.lifts if landing in lk.lift.spaces)


def landing_clear(st: RunState, k: int, to: str) -> bool:
    """Whether a bed or wheelchair can be wheeled out of the lift car: nobody left on the lift
    landing ``to``.  Units leave the car one at a time, each once the one before it has cleared
    the landing; beds pushed out next to the last ones locked the small landing up."""
    pe, plan = st.people, st.plan
    if pe.extra[k] <= 0:
        return True
    sp = plan.space_ix[to]
    return not bool((np.isin(pe.state, ON_PLANE) & (pe.space == sp)).any())


def land(st: RunState, k: int, to: str) -> None:
    """Person k (and the team moving them) is on the floor of landing ``to``: walking again."""
    pe = st.people
    pe.state[k] = states.MOVE
    pe.route[k].append(to)
    pe.reroute[k] = True
    pe.best[k] = np.inf
    pe.last_prog[k] = st.t
    for s in pe.team[k]:
        pe.lvl[s] = pe.lvl[k]


def enter_link(st: RunState, k: int, o: Option) -> bool:
    """Person k steps onto the stair of option ``o`` or calls its lift: True if they are off the
    plane now; False if the flight is full (they stay where they are and try again) or they are
    a unit that called the car (wheeled on into the landing to wait for it: :func:`links`
    boards them)."""
    pe, plan = st.people, st.plan
    here = plan.space_ids[pe.space[k]]
    to = o.to_space or ""
    if o.kind == "stair":
        for fl in st.links.stairs:
            if {fl.lower, fl.upper} == {here, to}:
                if not fl.can_enter(st.t):
                    return False
                factor = float(pe.stair_f[k])
                if st.env is not None:
                    factor *= float(st.space_factor[pe.space[k]])
                fl.enter(st.t, k, to, factor)
                break
        else:
            return False
    else:
        lk = next(lk for lk in st.links.lifts if lk.lift.id == o.ref)
        lk.call(st.t, k, here, to, pe.profiles[k].name)
        if pe.extra[k] > 0:
            pe.called[k] = True
            st.passages.last_pass[o.ref] = st.t
            return False
    pe.state[k] = states.LINK
    st.passages.last_pass[o.ref] = st.t
    # On the flight or out of the lobby, they have left the compartment of the landing (a stair
    # or lift inside a compartment): its last departure may be this one.
    st.passages.leave(plan, int(pe.space[k]), plan.space_ix[to], st.t)
    return True
