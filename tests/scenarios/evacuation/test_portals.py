"""Doors passed in a step: only the door one heads for, and people pushed over before they set off."""

from __future__ import annotations

import numpy as np

from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.model import State
from scenarios.evacuation.testbeds import store_on_corridor


def test_someone_pushed_into_a_room_before_setting_off_counts_in_it_and_gets_out() -> None:
    """Day drill, seed 0: visitors standing in the L2-A corridor during their pre-movement time
    were pushed across bay doors by the passing crowd. Still counted in the corridor, they stood
    where no corridor field reaches: stranded for good in the bays' doorways, and the beds behind
    them never got out. Now they count in the room they stand in and leave by its door."""
    people = [PersonSpec(id="p", profile="staff", space="K", position=(5.0, 1.0), premove=3.0)]
    m = EvacuationModel(store_on_corridor(0.9), people, EvacParams(max_time=60.0, trajectories=False),
                        np.random.default_rng(0))
    m.step()
    m.people.pos[0] = (1.5, 3.5)  # in the store, as a push would leave them
    while not m.done() and m.t < 60.0:
        m.step()
    assert not m.people.stranded[0]
    assert m.people.state[0] == State.OUT
    assert m.people.route[0] == ["K", "S", "K"]
    flows = m.run_state.passages
    assert [q for q, kind in zip(flows.portals, flows.kinds, strict=True) if kind == "door"] == ["D", "D"]
