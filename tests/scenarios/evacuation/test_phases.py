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


def test_whoever_holds_just_past_the_smoke_door_steps_aside_for_the_refuge_s_arrivals() -> None:
    """Day drill, seed 5: visitors and a nurse of the receiving corridor stood where they were,
    just past the L2 smoke door, and the first bed through it stood in the doorway for minutes
    with eight more queueing behind it. Whoever holds within a bed's length and a metre of a door
    from the fire compartment steps aside when the horizontal phase starts; others stay put."""
    m = _ward_under_way([PersonSpec(id="by_door", profile="visitor", space="KB", position=(8.9, 6.2)),
                         PersonSpec(id="nurse_by_door", profile="staff", space="KB", position=(9.2, 5.6),
                                    premove=0.0),
                         PersonSpec(id="far", profile="visitor", space="KB", position=(20.0, 6.2))])
    pe, params = m.people, m.run_state.p
    gap = np.hypot(pe.pos[:, 0] - 8.0, pe.pos[:, 1] - 6.2)
    assert (pe.state[1:] != states.PRE).all()
    keep = phases.way_in(params.behaviour)  # 3.2 m: a bed's 2.2 m and a metre
    assert keep == 3.2 and gap[1] >= keep and gap[2] >= keep, gap
    assert np.allclose(pe.pos[3], (20.0, 6.2))
    assert m.run_state.plan.space_ids[pe.space[1]] in ("KB",)


def test_whoever_holds_and_is_pushed_into_the_way_in_steps_aside_again() -> None:
    """Day drill, seed 21: a nurse waiting for a task past the L2 smoke door, clear of it when the
    alarm went, was moved 8.5 m in 25 s by the staff passing her into the door's opening, and the
    beds coming through locked against her (7 stall flags). Someone holding whom the crowd moved
    into the way in steps aside again; someone moved elsewhere, or not moved, stays."""
    m = _ward_under_way([PersonSpec(id=name, profile="visitor", space="KB", position=(x, 6.2), premove=0.0)
                         for name, x in (("pushed_in", 20.0), ("pushed_on", 22.0), ("stood", 24.0))])
    st, pe, params = m.run_state, m.people, m.run_state.p
    assert (pe.state[1:] == states.HOLD).all()
    pe.prev_pos[1:] = pe.pos[1:]
    pe.pos[1] = (8.9, 6.2)  # moved into the smoke door's way in this step
    pe.pos[2] = (21.0, 6.2)  # moved, but far from the door
    pe.pos[3] = pe.prev_pos[3] = (9.4, 6.2)  # in the way in, but not moved this step
    phases.keep_the_way_in(st)
    gap = np.hypot(pe.pos[:, 0] - 8.0, pe.pos[:, 1] - 6.2)
    assert gap[1] >= phases.way_in(params.behaviour), gap
    assert np.allclose(pe.pos[2], (21.0, 6.2)) and np.allclose(pe.pos[3], (9.4, 6.2))


def _ward_under_way(people: list[PersonSpec]) -> EvacuationModel:
    """Two-room ward (:func:`~scenarios.evacuation.testbeds.ward`: smoke door SD at (8.0, 6.2),
    compartment A on fire, B beyond the door) with a bed in W0 and ``people``, stepped until
    everyone but the bed has responded to the alarm (at most 20 s)."""
    from scenarios.evacuation.testbeds import ward

    params = EvacParams(strategy="progressive", fire_compartments=("A",), trajectories=False, max_time=60.0,
                        vertical_after=600.0)
    everyone = [PersonSpec(id="bed", profile="bed", space="W0"), *people]
    m = EvacuationModel(ward(rooms=2, beds_per_room=1), everyone, params, np.random.default_rng(0))
    for _ in range(400):
        m.step()
        if (m.people.state[1:] != states.PRE).all():
            break
    return m
