"""The per-step release gate answers as the one-patient rules it batches."""

from __future__ import annotations

import numpy as np

from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.assistance import _Gate, ahead_in_room, called_forward
from scenarios.evacuation.model import State
from tests.scenarios.evacuation.test_drill_rules import _lift_block


def test_gate_matches_the_one_patient_rules() -> None:
    """Beds upstairs in one room with a single lift: patients are held in their room and by the
    lift marshal; at every step the gate and the rules agree for every prepared patient."""
    people = [PersonSpec(id=f"b{k}", profile=("bed" if k % 2 else "wheelchair"), space="W",
                         position=(1.4 + 1.8 * k, 2.0)) for k in range(6)]
    people += [PersonSpec(id=f"s{k}", profile="staff", space="W", position=(0.8 + 1.4 * k, 4.8), premove=0.0)
               for k in range(8)]
    m = EvacuationModel(_lift_block(), people, EvacParams(lifts="all", trajectories=False, max_time=1500.0),
                        np.random.default_rng(1))
    m.prepare[:6] = 5.0
    checked = {"ahead": 0, "held": 0}
    while m.t < m.p.max_time and not m.done():
        gate = _Gate(m)
        for pat in np.flatnonzero(m.state == State.PREP).tolist():
            ahead = ahead_in_room(m, pat)
            assert gate.ahead_in_room(pat) == ahead, (m.t, pat)
            called = called_forward(m, pat)
            assert gate.called_forward(pat) == called, (m.t, pat)
            checked["ahead"] += ahead
            checked["held"] += not called
        m.step()
    assert m.done()
    assert checked["ahead"] > 0 and checked["held"] > 0  # both rules were exercised
