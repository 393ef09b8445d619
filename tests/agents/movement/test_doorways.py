"""Doorways: one passage per real crossing, and turns when people meet in a door from both sides."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from agents.movement.behaviour import Behaviour
from agents.movement.doorways import BACK_OUT, GO, WAIT, DoorTurns, turns
from facility.model import Door, Exit, Facility, Level, Space, SpaceKind
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec, simulate
from scenarios.evacuation.model import State

TURN_AFTER = Behaviour().turn_after


def _two_rooms(door: float) -> Facility:
    """Rooms A and B (8 x 6 m) joined by one door, each with a final exit on its far wall."""
    sp = [Space(id="A", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 0, 8, 6), compartment="C"),
          Space(id="B", level="L0", kind=SpaceKind.ROOM, polygon=box(8, 0, 16, 6), compartment="C")]
    return Facility(name="two_rooms", levels=(Level(id="L0"),), spaces=tuple(sp),
                    doors=(Door(id="D", spaces=("A", "B"), at=(8.0, 3.0), width=door),),
                    exits=(Exit(id="XB", space="B", at=(16.0, 3.0), width=1.2),
                           Exit(id="XA", space="A", at=(0.0, 3.0), width=1.2)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_door_flow_counts_each_crossing_once(seed: int) -> None:
    """20 people cross from A to B and 12 from B to A through a 1 m door: 32 crossings, no more.

    Jostled in the doorway, people used to flip between the two spaces and every flip counted
    as a passage (and used the door's capacity); meeting head-on, they stalled.
    """
    people = [PersonSpec(id=f"a{k}", profile="visitor", space="A", premove=0.0, exit="XB")
              for k in range(20)]
    people += [PersonSpec(id=f"b{k}", profile="visitor", space="B", premove=0.0, exit="XA")
               for k in range(12)]
    m = simulate(_two_rooms(1.0), people, EvacParams(trajectories=False, max_time=600.0),
                 np.random.default_rng(seed))
    assert (m.people.state == State.OUT).all()
    assert not m.deadlocks
    flows = m.recorder.tables()["door_flows"].to_pandas()
    assert int((flows["portal"] == "D").sum()) == 32
    assert all(len(r) == 2 for r in m.people.route)  # each crossed once: [start, other]


def test_beds_meeting_head_on_in_a_door_take_turns() -> None:
    """Two beds with their teams, one from each room, through the same 1.4 m door."""
    people = [PersonSpec(id="bA", profile="bed", space="A", position=(4.0, 3.0), exit="XB"),
              PersonSpec(id="bB", profile="bed", space="B", position=(12.0, 3.0), exit="XA")]
    people += [PersonSpec(id=f"s{k}", profile="staff", space=("A" if k < 2 else "B"),
                          position=(4.0 + 8 * (k // 2), 1.2 + 3.6 * (k % 2)), premove=0.0) for k in range(4)]
    m = EvacuationModel(_two_rooms(1.4), people, EvacParams(trajectories=False, max_time=900.0),
                        np.random.default_rng(0))
    m.people.prepare[:2] = 1.0
    m.run()
    assert (m.people.state == State.OUT).all()
    assert not m.deadlocks
    assert sorted(m.people.exit_used[:2]) == ["XA", "XB"]


def _codes(dt: DoorTurns, t: float, side: list[int], band: list[bool], dist: list[float], *,
           width: float = 0.4, door: float = 1.0, stalled: list[bool] | None = None) -> list[int]:
    n = len(side)
    return turns(dt, t, walkers=np.arange(n), door=np.zeros(n, np.int64), in_band=np.array(band),
                 side=np.array(side), dist=np.array(dist), evacuee=np.ones(n, bool), width=np.full(n, width),
                 reach=np.full(n, 0.2), unit=np.zeros(n, bool), door_width=np.array([door]),
                 behaviour=Behaviour(), stalled=None if stalled is None else np.array(stalled)).tolist()


def test_turns() -> None:
    dt = DoorTurns.empty(1)
    # One side only: everyone goes.
    assert _codes(dt, 0.0, [0, 0], [True, False], [0.1, 1.0]) == [GO, GO]
    # The other side arrives while side 0 is in the door: it waits.
    assert _codes(dt, 1.0, [0, 1], [True, False], [0.1, 1.0]) == [GO, WAIT]
    # Both in the door: the one nearer the far end goes, the other backs out.
    assert _codes(dt, 2.0, [0, 1], [True, True], [0.5, 0.2]) == [BACK_OUT, GO]
    # After turn_after s of waiting, the waiting side's turn: the other side's newcomers wait.
    dt = DoorTurns.empty(1)
    assert _codes(dt, 0.0, [0, 1], [False, False], [1.0, 1.0]) == [GO, WAIT]
    assert _codes(dt, TURN_AFTER, [0, 1], [False, False], [1.0, 1.0]) == [WAIT, GO]
    # A door wide enough for two lanes each way needs no turns; one lane each way is not enough.
    assert _codes(DoorTurns.empty(1), 0.0, [0, 1], [True, True], [0.5, 0.2], door=2.0) == [GO, GO]
    assert _codes(DoorTurns.empty(1), 0.0, [0, 1], [True, True], [0.5, 0.2], door=1.2) == [BACK_OUT, GO]


def test_someone_stuck_in_the_doorway_against_the_side_whose_turn_it_is_backs_out() -> None:
    """Day drill, seed 7: a nurse stood in a bay's doorway going in, against twenty people
    waiting to leave the bay; they waited for her and blocked her way, for an hour."""
    dt = DoorTurns.empty(1)
    assert _codes(dt, 0.0, [1, 1], [False, False], [1.0, 1.5]) == [GO, GO]  # side 1 has the turn
    # Side 0 in the doorway while side 1 has the turn: it walks on, side 1 waits ...
    assert _codes(dt, 1.0, [0, 1, 1], [True, False, False], [0.0, 1.0, 1.5]) == [GO, WAIT, WAIT]
    # ... unless it has made no progress for `patience` s: then it backs out and side 1 goes.
    stuck = _codes(dt, 10.0, [0, 0, 1, 1], [True, False, False, False], [0.0, 2.0, 1.0, 1.5],
                   stalled=[True, False, False, False])
    assert stuck == [BACK_OUT, WAIT, GO, GO]



def test_staff_going_in_for_patients_let_a_unit_out_first() -> None:
    """Day drill, seed 8: staff kept coming through the L2 smoke door into a corridor of beds
    queueing for it, and beds and staff locked up for good (75 people never got out). A bed or
    wheelchair on its way out takes the turn from staff going in for patients at once."""
    dt = DoorTurns.empty(1)

    def codes(t: float, side: list[int], band: list[bool], dist: list[float], *, evacuee: list[bool],
              unit: list[bool]) -> list[int]:
        n = len(side)
        return turns(dt, t, walkers=np.arange(n), door=np.zeros(n, np.int64), in_band=np.array(band),
                     side=np.array(side), dist=np.array(dist), evacuee=np.array(evacuee),
                     width=np.full(n, 0.4), reach=np.full(n, 0.2), unit=np.array(unit),
                     door_width=np.array([1.0]), behaviour=Behaviour()).tolist()

    # Staff (side 1, going in for a patient) have the turn.
    staff_in = codes(0.0, [1, 1], [False, False], [1.0, 2.0], evacuee=[False, False], unit=[False, False])
    assert staff_in == [GO, GO]
    # A bed coming out (side 0) arrives: the staff wait at once, the bed goes.
    out = codes(0.5, [0, 1, 1], [False, False, False], [2.0, 1.0, 2.0], evacuee=[True, False, False],
                unit=[True, False, False])
    assert out[0] == GO and out[1:] != [GO, GO]
    # People walking out do not take the turn that way: they wait their turn_after.
    dt = DoorTurns.empty(1)
    codes(0.0, [1], [False], [1.0], evacuee=[False], unit=[False])
    walkers = codes(0.5, [0, 1], [False, False], [2.0, 1.0], evacuee=[True, False], unit=[False, False])
    assert walkers == [WAIT, GO]
