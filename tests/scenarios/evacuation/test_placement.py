"""Where refuge occupants wait when the corridor they entered is full."""

from __future__ import annotations

import numpy as np

from facility.sample import sample
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.model import State
from scenarios.evacuation.placement import refuge_spaces


def test_refuge_overflow_fills_wide_door_rooms_before_stores() -> None:
    fac = sample()
    m = EvacuationModel(fac, [PersonSpec(id="v", profile="visitor", space="L2-B-CORRIDOR")],
                        EvacParams(trajectories=False), np.random.default_rng(0))
    order = [m.plan.space_ids[k] for k in refuge_spaces(m.run_state, m.plan.space_ix["L2-B-CORRIDOR"])]
    assert order[0] == "L2-B-CORRIDOR"

    def widest(sid: str) -> float:
        return max(d.width for d in fac.doors_of[sid])

    wide = [widest(s) >= 1.2 for s in order[1:]]
    assert any(wide) and not all(wide)
    # every room with a wide door comes before every room with only narrow ones
    assert wide == sorted(wide, reverse=True), list(zip(order[1:], wide, strict=True))
    assert all(fac.space(s).compartment == "L2-B" for s in order)


def test_units_are_parked_in_a_room_whose_own_beds_are_still_to_be_moved_last() -> None:
    """Day drill, seed 2027: a bed parked in a side room of the refuge stood between the room's
    own two beds and their door; they waited for it to leave, their staff stood in its way."""
    from scenarios.evacuation.placement import park_spaces
    from scenarios.evacuation.testbeds import ward

    fac = ward(rooms=3)
    people = [PersonSpec(id="own", profile="bed", space="W1", position=(6.0, 2.0)),
              PersonSpec(id="gone", profile="bed", space="W2", position=(10.0, 2.0))]
    m = EvacuationModel(fac, people, EvacParams(trajectories=False), np.random.default_rng(0))
    m.people.state[1] = State.OUT  # W2's bed has left: W2 may take a parked unit
    rooms = [m.plan.space_ix[s] for s in ("W0", "W1", "W2", "KA")]
    assert [m.plan.space_ids[k] for k in park_spaces(m.run_state, rooms, 1.1)] == ["W0", "W2", "W1", "KA"]
