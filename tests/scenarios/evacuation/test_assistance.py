"""The per-step release gate answers as the one-patient rules it batches; no team is sent for a
patient no door of whose room its unit passes."""

from __future__ import annotations

import numpy as np

from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.assistance import _Gate, ahead_in_room, at_bedside, called_forward, shut_in
from scenarios.evacuation.model import State
from scenarios.evacuation.testbeds import store_on_corridor
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
    m.people.prepare[:6] = 5.0
    checked = {"ahead": 0, "held": 0}
    while m.t < m.run_state.p.max_time and not m.done():
        gate = _Gate(m.run_state)
        for pat in np.flatnonzero(m.people.state == State.PREP).tolist():
            ahead = ahead_in_room(m.run_state, pat)
            assert gate.ahead_in_room(pat) == ahead, (m.t, pat)
            called = called_forward(m.run_state, pat)
            assert gate.called_forward(pat) == called, (m.t, pat)
            checked["ahead"] += ahead
            checked["held"] += not called
        m.step()
    assert m.done()
    assert checked["ahead"] > 0 and checked["held"] > 0  # both rules were exercised



def _upstairs_bed(staff: list[tuple[str, str, tuple[float, float], float]]) -> EvacuationModel:
    """A bed upstairs in the lift block and the given staff (id, space, position, pre-movement),
    everyone out at once (no horizontal phase)."""
    people = [PersonSpec(id="bed", profile="bed", space="W", position=(3.0, 2.0))]
    people += [PersonSpec(id=i, profile="staff", space=sp, position=xy, premove=pre)
               for i, sp, xy, pre in staff]
    return EvacuationModel(_lift_block(), people, EvacParams(lifts="all", trajectories=False, max_time=900.0),
                           np.random.default_rng(0))


def test_staff_of_another_level_come_only_where_nobody_is_free() -> None:
    """A nurse upstairs and one downstairs, both free: the one upstairs takes the bed and the one
    downstairs is not sent up while a nurse of the bed's floor is free. Once nobody upstairs is
    free, the one downstairs (walking out by then) turns back for the second place."""
    m = _upstairs_bed([("up", "K1", (10.0, 7.2), 0.0), ("down", "K0", (6.0, 7.2), 0.0)])
    up, down = 1, 2
    m.step()
    assert m.people.team[0] == [up]
    assert m.people.task[down] == -1
    for _ in range(3):
        m.step()
    assert sorted(m.people.team[0]) == [up, down]
    m.run()
    assert m.people.state[0] == State.OUT
    assert not m.deadlocks


def test_a_nurse_of_the_floor_relieves_one_still_on_the_way_from_another() -> None:
    """Nobody upstairs is free at first, so two nurses set off from the ground floor; a nurse of
    the bed's floor falls free before they arrive: she takes the place of one of them (who is
    released), and the team stays at the two the bed needs."""
    m = _upstairs_bed([("a", "K0", (1.0, 7.2), 0.0), ("b", "K0", (2.0, 7.2), 0.0),
                       ("c", "K1", (10.0, 7.2), 2.0)])
    a, b, c = 1, 2, 3
    m.step()
    assert sorted(m.people.team[0]) == [a, b]
    while m.t < 2.5:
        m.step()
    assert c in m.people.team[0]
    assert len(m.people.team[0]) == 2
    relieved = ({a, b} - set(m.people.team[0])).pop()
    assert m.people.task[relieved] != 0
    m.run()
    assert m.people.state[0] == State.OUT
    assert not m.deadlocks


def test_no_staff_are_sent_for_a_bed_no_door_of_its_room_passes() -> None:
    # Found trying a small clinic: two staff went for a bed in a store with a 0.9 m door and
    # stood at its bedside to the end of the drill, with deadlock flags, instead of leaving.
    fac = store_on_corridor(0.9)
    people = [PersonSpec(id="bed", profile="bed", space="S", position=(1.5, 3.5)),
              PersonSpec(id="s1", profile="staff", space="K", position=(2.0, 1.0), premove=0.0),
              PersonSpec(id="s2", profile="staff", space="K", position=(4.0, 1.0), premove=0.0)]
    m = EvacuationModel(fac, people, EvacParams(trajectories=False, max_time=120.0), np.random.default_rng(0))
    assert shut_in(m.people, m.plan).tolist() == [True, False, False]
    m.run()
    assert m.people.stranded[0] and m.people.team[0] == []
    assert (m.people.state[1:] == State.OUT).all() and not m.deadlocks
    # Through a door a bed passes, the same two staff take it out.
    m = EvacuationModel(store_on_corridor(1.2), people, EvacParams(trajectories=False, max_time=300.0),
                        np.random.default_rng(0))
    assert not shut_in(m.people, m.plan).any()
    m.run()
    assert (m.people.state == State.OUT).all()


def test_a_team_on_its_way_holds_the_units_behind_its_patient() -> None:
    """Day drill, seed 8: a bed at the back of a single room set off before the team of the bed
    by the door arrived, and that team then stood between it and the door for good.  A patient
    whose team is on its way counts as attended, as one with staff at the bedside."""
    people = [PersonSpec(id="bed", profile="bed", space="S", position=(1.5, 3.5)),
              PersonSpec(id="nurse", profile="staff", space="K", position=(8.0, 1.0), premove=0.0)]
    m = EvacuationModel(store_on_corridor(1.2), people, EvacParams(max_time=60.0, trajectories=False),
                        np.random.default_rng(0))
    pe = m.people
    pe.state[0] = State.NEED
    assert not at_bedside(pe, 0)
    pe.team[0].append(1)
    pe.task[1] = 0
    pe.state[1] = State.MOVE  # on the way
    assert at_bedside(pe, 0)
    pe.task[1] = -1  # sent elsewhere
    assert not at_bedside(pe, 0)
