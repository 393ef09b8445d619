"""The model's side of stairs and lifts (:mod:`agents.movement.levels`): entering a flight or
calling a car, and landing on the next level when there is room; lift cars unload one unit at a
time and take no new call while unloading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.movement import states
from agents.movement.routes import Option
from scenarios.evacuation.params import ON_PLANE
from scenarios.evacuation.placement import respawn

if TYPE_CHECKING:
    from scenarios.evacuation.model import EvacuationModel

__all__ = ["enter_link", "land", "landing_clear", "links"]


def links(m: EvacuationModel) -> None:
    t = m.t
    for st in m.stairs:
        while st.on_flight and st.on_flight[0][0] <= t:
            _, k, to = st.on_flight[0]
            if not respawn(m, k, m.space_ix[to]):
                break
            st.on_flight.popleft()
            st.last_out = t
            land(m, k, to)
    for lk in m.lifts:
        if any(to in lk.lift.spaces for _, _, to in m.pending):
            continue  # the car is still unloading
        res = lk.dispatch(t)
        if res is not None:
            t_arr, batch = res
            m.pending.extend((t_arr, k, to) for k, to in batch)
    keep = []
    for t_arr, k, to in m.pending:
        if t_arr <= t and landing_clear(m, k, to) and respawn(m, k, m.space_ix[to]):
            land(m, k, to)
        else:
            keep.append((t_arr, k, to))
    m.pending = keep


def landing_clear(m: EvacuationModel, k: int, to: str) -> bool:
    """Whether a bed or wheelchair can be wheeled out of the lift car: nobody left on the lift
    landing ``to``.  Units leave the car one at a time, each once the one before it has cleared
    the landing; beds pushed out next to the last ones locked the small landing up."""
    if m.extra[k] <= 0:
        return True
    sp = m.space_ix[to]
    return not bool((np.isin(m.state, ON_PLANE) & (m.space == sp)).any())


def land(m: EvacuationModel, k: int, to: str) -> None:
    m.state[k] = states.MOVE
    m.route[k].append(to)
    m.reroute[k] = True
    m.best[k] = np.inf
    m.last_prog[k] = m.t
    for s in m.team[k]:
        m.lvl[s] = m.lvl[k]


def enter_link(m: EvacuationModel, k: int, o: Option) -> bool:
    here = m.space_ids[m.space[k]]
    to = o.to_space or ""
    if o.kind == "stair":
        for st in m.stairs:
            if {st.lower, st.upper} == {here, to}:
                if not st.can_enter(m.t):
                    return False
                factor = float(m.stair_f[k])
                if m.env is not None:
                    factor *= float(m.space_factor[m.space[k]])
                st.enter(m.t, k, to, factor)
                break
        else:
            return False
    else:
        lk = next(lk for lk in m.lifts if lk.lift.id == o.ref)
        lk.call(m.t, k, here, to, m.profiles[k].name)
    m.state[k] = states.LINK
    m.last_pass[o.ref] = m.t
    # On the flight or in the car, they have left the compartment of the landing (a stair or lift
    # inside a compartment): its last departure may be this one.
    m.left_compartment(int(m.space[k]), m.space_ix[to])
    return True
