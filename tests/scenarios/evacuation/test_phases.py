"""The vertical phase brings people back from a refuge only where there is room for them."""

from __future__ import annotations

import numpy as np

from agents.movement import states
from agents.movement.behaviour import Behaviour
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec, phases
from scenarios.evacuation.params import ON_PLANE
from scenarios.evacuation.testbeds import store_on_corridor


def test_people_come_back_from_a_refuge_as_there_is_room_and_never_into_a_store() -> None:
    """Day drill, seed 1: brought back onto the floor all at once, the L2 refuge's overflow was
    put into its stores, and fifteen to thirty people at a time waited behind a 0.9 m door for a
    gap in the corridor's queue (58 of the seed's 64 stall flags). Now the corridor (20 m2, here
    2 m2 a person: room for 10) takes them as it has room; the rest wait in the refuge."""
    people = [PersonSpec(id=f"p{k}", profile="staff", space="K", position=(0.5 + 0.6 * k, 1.0), premove=0.0)
              for k in range(15)]
    params = EvacParams(max_time=60.0, trajectories=False, behaviour=Behaviour(refuge_area_other=2.0))
    m = EvacuationModel(store_on_corridor(0.9), people, params, np.random.default_rng(0))
    m.step()
    st = m.run_state
    pe, plan = st.people, st.plan
    k_ix, s_ix = plan.space_ix["K"], plan.space_ix["S"]
    pe.state[:] = states.REFUGE
    pe.refuge_space[:] = k_ix

    def on_floor() -> np.ndarray:
        return np.flatnonzero(np.isin(pe.state, ON_PLANE))

    phases.return_from_refuge(st)
    assert on_floor().size == 10
    assert (pe.space[on_floor()] == k_ix).all()
    phases.return_from_refuge(st)
    assert on_floor().size == 10 and not (pe.space == s_ix).any()
    pe.state[on_floor()[:3]] = states.OUT
    phases.return_from_refuge(st)
    assert on_floor().size == 10
    assert int((pe.state == states.REFUGE).sum()) == 2
