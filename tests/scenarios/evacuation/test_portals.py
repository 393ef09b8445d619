"""Doors passed in a step: people pushed over before they set off, and rooms merging into a passing queue."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from agents.movement.behaviour import Behaviour
from facility.model import Door, Exit, Facility, Level, Space, SpaceKind
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.model import State
from scenarios.evacuation.testbeds import room, store_on_corridor


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


def test_someone_holding_in_place_and_pushed_into_a_room_counts_in_it() -> None:
    """Someone holding in place (their compartment's turn has not come) is pushed by a passing
    crowd as much as someone preparing to go: across a door, they count in the space they stand
    in, or no field of the space they counted in would reach them when their turn came."""
    people = [PersonSpec(id="p", profile="visitor", space="K", position=(5.0, 1.0), premove=0.0)]
    m = EvacuationModel(store_on_corridor(0.9), people, EvacParams(max_time=60.0, trajectories=False),
                        np.random.default_rng(0))
    m.step()
    m.people.state[0] = State.HOLD
    m.people.pos[0] = (1.5, 3.5)  # in the store, as a push would leave them
    m.step()
    assert m.people.state[0] == State.HOLD
    assert m.plan.space_ids[int(m.people.space[0])] == "S"
    assert m.people.route[0] == ["K", "S"]


def _queue_past_a_side_room() -> Facility:
    """A 40 x 2.4 m corridor ``K`` ending in a 1.8 m exit ``X``, with a 4 x 4 m room ``S`` off it by a
    0.9 m door ``D`` 2.3 m short of the exit, in the crowd pressing to it (as the rooms beside the
    day drill's L2 smoke door)."""
    spaces = [Space(id="K", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(0, 0, 40, 2.4), compartment="C"),
              Space(id="S", level="L0", kind=SpaceKind.ROOM, polygon=box(35.7, 2.4, 39.7, 6.4),
                    compartment="C")]
    return Facility(name="side room", levels=(Level(id="L0"),), spaces=tuple(spaces),
                    doors=(Door(id="D", spaces=("S", "K"), at=(37.7, 2.4), width=0.9),),
                    exits=(Exit(id="X", space="K", at=(40.0, 1.2), width=1.8),))


def _side_door_passages(merge_reach: float, seed: int) -> list[float]:
    """When each of six people leaving the side room at 45 s passes its door into the corridor,
    with 250 people of the corridor on their way to the exit (the crowd may push a few of those
    into the room and out again: their passages are not the room's)."""
    people = [PersonSpec(id=f"k{i}", profile="visitor", space="K", premove=0.0,
                         position=(1.0 + 0.6 * (i // 4), 0.4 + 0.6 * (i % 4))) for i in range(250)]
    people += [PersonSpec(id=f"s{i}", profile="visitor", space="S", premove=45.0,
                          position=(36.2 + 0.7 * (i % 5), 3.9 + 0.8 * (i // 5))) for i in range(6)]
    params = EvacParams(max_time=300.0, trajectories=False, behaviour=Behaviour(merge_reach=merge_reach))
    m = EvacuationModel(_queue_past_a_side_room(), people, params, np.random.default_rng(seed))
    room, out = m.run_state.plan.space_ix["S"], {}
    while not m.done() and m.t < 300.0:
        m.step()
        for k in np.flatnonzero(m.people.space[250:] != room).tolist():
            out.setdefault(k, m.t)
    assert not m.deadlocks
    assert (m.people.state == State.OUT).all()
    return sorted(out.values())


@pytest.mark.parametrize("seed", [1])
def test_a_queue_passing_a_side_door_lets_the_room_in(seed: int) -> None:
    """Day drill: the rooms beside the L2 smoke door waited minutes (stall flags by the dozen) for
    the fire compartment's queue to pass, since it filled every gap at their door.  Someone held
    up in a side door claims the spot in front of it every other ``patience`` seconds and the
    queue lets them in, one after another: all six are through by 52 s.  Without the rule, one
    of them at most slips out along a jamb (at 64 s) and the others wait for the queue to be
    nearly gone (105 s and after)."""
    merged = _side_door_passages(Behaviour().merge_reach, seed)
    starved = _side_door_passages(0.0, seed)
    assert len(merged) == len(starved) == 6
    assert merged[-1] < 60.0 and starved[1] > 90.0



def _queue_with_a_patient_behind_it(kind: SpaceKind = SpaceKind.CORRIDOR) -> EvacuationModel:
    """A 20 x 2.4 m corridor (or a space of another ``kind``) packed with 150 visitors (about 4.5
    per m2) queueing for a 0.8 m exit at its east end; a nurse by the exit is sent for a
    wheelchair patient in the room off its west end."""
    k = Space(id="K", level="L0", kind=kind, polygon=box(0, 0, 20, 2.4), compartment="C1")
    a = Space(id="A", level="L0", kind=SpaceKind.ROOM, polygon=box(-4, -1, 0, 3.4), compartment="C1")
    fac = Facility(name="queue", levels=(Level(id="L0"),), spaces=(k, a),
                   doors=(Door(id="D", spaces=("A", "K"), at=(0.0, 1.2), width=1.4),),
                   exits=(Exit(id="E", space="K", at=(20.0, 1.2), width=0.8),))
    people = [PersonSpec(id="p", profile="wheelchair", space="A", position=(-2.5, 1.2))]
    people += [PersonSpec(id="nurse", profile="staff", space="K", position=(19.3, 1.2), premove=0.0)]
    people += [PersonSpec(id=f"v{i}", profile="visitor", space="K", premove=0.0,
                          position=(3.0 + 0.45 * (i // 5), 0.3 + 0.45 * (i % 5))) for i in range(150)]
    return EvacuationModel(fac, people, EvacParams(trajectories=False, max_time=400.0),
                           np.random.default_rng(0))


@pytest.mark.parametrize("kind", [SpaceKind.CORRIDOR, SpaceKind.STAIR, SpaceKind.EXIT])
def test_staff_squeeze_through_a_queue_coming_the_other_way(kind: SpaceKind) -> None:
    """The nurse gets through the standing queue to the patient's room while most of the queue is
    still in the corridor, and nobody is flagged. Before staff could squeeze past, the nurse was
    still held in the queue at 400 s, which stood locked against them (55 flags). The same on a
    stair's landing and in an exit lobby: staff coming up the day drill's east stair for the next
    patient stood on the L2 landing for minutes against the queue for the flight down."""
    m = _queue_with_a_patient_behind_it(kind)
    pe, nurse = m.people, 1
    a = m.run_state.plan.space_ix["A"]
    while pe.space[nurse] != a and m.t < 400.0:
        m.step()
    still_queueing = int(np.sum(pe.state[2:] != State.OUT))
    assert pe.space[nurse] == a
    assert still_queueing >= 75, f"reached the room at {m.t:.0f} s, with {still_queueing} still inside"
    m.run()
    assert np.all(pe.state == State.OUT)
    assert not m.deadlocks


def test_someone_waiting_for_a_bed_moving_past_the_doorway_ahead_is_not_flagged() -> None:
    """Day seed 3: a visitor the crowd had pushed into a store waited a minute and a half for
    the beds queueing to the lift past its door, and was flagged as deadlocked.  Held up by a
    bed being moved (or prepared) in the doorway ahead, they are waiting; by a bed standing
    there waiting for staff, or after the bed has gone, a minute without progress is a flag."""
    from scenarios.evacuation import portals

    people = [PersonSpec(id="v", profile="visitor", space="S", position=(1.5, 3.5), premove=0.0),
              PersonSpec(id="bed", profile="bed", space="K", position=(1.5, 1.35))]
    m = EvacuationModel(store_on_corridor(0.9), people, EvacParams(max_time=60.0, trajectories=False),
                        np.random.default_rng(0))
    m.step()
    pe, st = m.people, m.run_state
    assert pe.opt[0] is not None and pe.opt[0].ref == "D"
    pe.orient[1] = (1.0, 0.0)  # along the corridor, its side 0.1 m from the door line
    pe.state[1] = State.MOVE

    def flagged() -> bool:
        pe.last_prog[0] = st.t - 2 * st.p.deadlock_window
        pe.dead[0] = False
        portals.flag_deadlocks(st)
        return bool(pe.dead[0])

    assert not flagged()
    pe.state[1] = State.NEED  # waiting for staff: it may never move
    assert flagged()
    pe.state[1] = State.PREP
    assert not flagged()
    pe.pos[1] = (6.0, 1.0)  # gone on down the corridor
    assert flagged()


def test_someone_standing_in_a_doorway_others_pass_is_waiting_their_turn() -> None:
    """Day seed 7: a nurse going into a bay for a patient stood a minute in its door while the
    bay's people came out (evacuees' turn before hers), and was flagged.  Someone standing in a
    door's band is waiting as long as others pass that door."""
    from scenarios.evacuation import portals

    people = [PersonSpec(id="v", profile="visitor", space="K", position=(5.0, 1.0), premove=0.0)]
    m = EvacuationModel(store_on_corridor(0.9), people, EvacParams(max_time=60.0, trajectories=False),
                        np.random.default_rng(0))
    m.step()
    pe, st = m.people, m.run_state
    pe.pos[0] = (1.5, 1.9)  # in the store door's band, on the corridor side, bound for the exit
    assert pe.opt[0] is not None and pe.opt[0].ref == "X"

    def flagged(door_passed: float) -> bool:
        st.passages.last_pass["D"] = st.t - door_passed
        pe.last_prog[0] = st.t - 2 * st.p.deadlock_window
        pe.dead[0] = False
        portals.flag_deadlocks(st)
        return bool(pe.dead[0])

    assert not flagged(1.0)
    assert flagged(2 * st.p.deadlock_window)


def test_someone_held_by_a_queue_that_moves_is_queueing_not_deadlocked() -> None:
    """Day seed 3: a wheelchair pushed into a store's doorway by the queue for the east stair
    waited 220 s there while the queue went down the stair, and was flagged.  Held by someone
    in front of them whose portal others pass, they are queueing; once that queue has stopped,
    or when the one in contact stands behind them, a minute without progress is a flag."""
    from scenarios.evacuation import portals

    people = [PersonSpec(id="v", profile="visitor", space="S", position=(1.5, 3.5), premove=0.0),
              PersonSpec(id="q", profile="visitor", space="K", position=(6.0, 1.0), premove=0.0)]
    m = EvacuationModel(store_on_corridor(0.9), people, EvacParams(max_time=60.0, trajectories=False),
                        np.random.default_rng(0))
    m.step()
    pe, st = m.people, m.run_state
    assert pe.opt[0] is not None and pe.opt[0].ref == "D"
    assert pe.opt[1] is not None and pe.opt[1].ref == "X"
    pe.pos[0], pe.heading[0] = (1.5, 2.3), (0.0, -1.0)  # in the store's doorway, facing out
    pe.pos[1] = (1.5, 1.6)  # in the corridor in front of them, in the queue for the exit

    def flagged(exit_passed: float) -> bool:
        st.passages.last_pass["X"] = st.t - exit_passed
        st.passages.last_pass["D"] = st.t - 2 * st.p.deadlock_window
        pe.last_prog[0] = st.t - 2 * st.p.deadlock_window
        pe.dead[0] = False
        portals.flag_deadlocks(st)
        return bool(pe.dead[0])

    assert not flagged(1.0)
    assert flagged(2 * st.p.deadlock_window)  # the queue has not moved for as long
    pe.pos[1] = (1.5, 4.0)  # behind them, in the store: not what holds them
    assert flagged(1.0)
    pe.pos[1] = (2.1, 1.6)  # in front, 0.6 m off their axis
    assert flagged(1.0)  # beside a walker's lane
    pe.extra[0], pe.orient[0] = 0.5, (1.0, 0.0)  # a unit lying across its way: its lane is its length
    assert not flagged(1.0)
    pe.orient[0] = (0.0, -1.0)  # the same unit lying along its way
    assert flagged(1.0)


def _staff_leaving_for_a_patient(merge_reach: float) -> float:
    """When the nurse in the side room sent at 45 s for a wheelchair patient at the corridor's far
    end passes its door into the queue of 250 pressing to the exit (her colleague evacuates)."""
    spaces = [Space(id="K", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(-8, 0, 40, 2.4),
                    compartment="C"),
              Space(id="S", level="L0", kind=SpaceKind.ROOM, polygon=box(35.7, 2.4, 39.7, 6.4),
                    compartment="C")]
    fac = Facility(name="side room", levels=(Level(id="L0"),), spaces=tuple(spaces),
                   doors=(Door(id="D", spaces=("S", "K"), at=(37.7, 2.4), width=0.9),),
                   exits=(Exit(id="X", space="K", at=(40.0, 1.2), width=1.8),))
    people = [PersonSpec(id=f"k{i}", profile="visitor", space="K", premove=0.0,
                         position=(1.0 + 0.6 * (i // 4), 0.4 + 0.6 * (i % 4))) for i in range(250)]
    people += [PersonSpec(id="p", profile="wheelchair", space="K", position=(-6.0, 1.2), premove=0.0)]
    people += [PersonSpec(id=f"s{i}", profile="staff", space="S", premove=45.0, position=(36.5 + 2 * i, 5.5))
               for i in range(2)]
    params = EvacParams(max_time=200.0, trajectories=False, behaviour=Behaviour(merge_reach=merge_reach))
    m = EvacuationModel(fac, people, params, np.random.default_rng(0))
    room = m.run_state.plan.space_ix["S"]
    while m.t < 200.0 and m.people.space[251] == room:
        m.step()
    assert m.people.task[251] == 250  # on her way to the patient
    return m.t


def test_staff_leaving_a_room_for_a_patient_are_let_into_a_passing_queue() -> None:
    """Day seed 0: nurses leaving the refuge bay for their next patients stood in its door against
    the queue for the east stair, and the evacuees behind them waited a minute.  Held up in the
    door, staff on their way to a patient claim the spot outside it as evacuees do."""
    zipped = _staff_leaving_for_a_patient(Behaviour().merge_reach)
    starved = _staff_leaving_for_a_patient(0.0)
    assert zipped < starved - 20.0, (zipped, starved)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_beds_out_of_facing_doors_at_once_settle_who_goes_first(seed: int) -> None:
    """Day seed 10: two beds came out of facing single rooms into the L2-A corridor at once, each
    half turned towards the smoke door, each in the way of the other's turn; both bound for the
    same door, so no standoff was called, and they stood for two hours (with seed 0 here, for
    good).  Two units abreast for one portal are a standoff: the one farther from it backs off."""
    room, corridor = SpaceKind.ROOM, SpaceKind.CORRIDOR
    spaces = (Space(id="K", level="L0", kind=corridor, polygon=box(0, 0, 20, 2.4), compartment="C"),
              Space(id="A", level="L0", kind=room, polygon=box(4, 2.4, 8, 9.9), beds=1, compartment="C"),
              Space(id="B", level="L0", kind=room, polygon=box(4, -7.5, 8, 0), beds=1, compartment="C"))
    fac = Facility(name="facing rooms", levels=(Level(id="L0"),), spaces=spaces,
                   doors=(Door(id="DA", spaces=("A", "K"), at=(6.0, 2.4), width=1.4),
                          Door(id="DB", spaces=("B", "K"), at=(6.0, 0.0), width=1.4)),
                   exits=(Exit(id="X", space="K", at=(20.0, 1.2), width=1.8),))
    people = [PersonSpec(id="a", profile="bed", space="A", position=(6.0, 6.0)),
              PersonSpec(id="b", profile="bed", space="B", position=(6.0, -3.6))]
    people += [PersonSpec(id=f"s{r}{i}", profile="staff", space=r, position=(4.8 + 2.4 * i, y), premove=0.0)
               for r, y in (("A", 6.0), ("B", -3.6)) for i in range(2)]
    params = EvacParams(max_time=300.0, trajectories=False)
    m = EvacuationModel(fac, people, params, np.random.default_rng(seed))
    m.people.orient[0] = m.people.heading[0] = (0.0, -1.0)  # feet to their doors
    m.people.orient[1] = m.people.heading[1] = (0.0, 1.0)
    m.people.prepare[:2] = 30.0  # ready together
    while not m.done() and m.t < 300.0:
        m.step()
    assert m.done() and (m.people.state == State.OUT).all() and m.t < 120.0
    assert not m.deadlocks


def test_whoever_stands_waiting_in_a_stalled_walkers_way_steps_aside() -> None:
    """Day seed 25: nurses waiting for their patients' turn, pushed by the crowd to the door of a
    bay, stood round the wheelchair leaving it, and the bay never emptied.  Someone standing
    waiting ahead of a unit, or of someone on foot, that has not moved for ``stall_after`` s,
    within contact of its reach, steps aside in their own space, clear of its openings; nobody
    behind it does, nor anyone while it moves."""
    from scenarios.evacuation import portals

    people = [PersonSpec(id="w", profile="wheelchair", space="R", position=(5.5, 2.5), premove=0.0),
              PersonSpec(id="v", profile="visitor", space="R", position=(1.0, 1.0), premove=0.0),
              PersonSpec(id="n", profile="visitor", space="R", position=(2.0, 4.0), premove=0.0),
              PersonSpec(id="b", profile="visitor", space="R", position=(1.0, 4.0), premove=0.0)]
    m = EvacuationModel(room(8, 5, [("E", 8.0, 2.5, 1.2)]), people,
                        EvacParams(max_time=60.0, trajectories=False), np.random.default_rng(0))
    m.step()
    pe, st = m.people, m.run_state
    assert pe.opt[1] is not None and pe.opt[1].ref == "E"
    w, n, b = 0, 2, 3
    pe.state[w], pe.fid[w], pe.orient[w] = State.MOVE, pe.fid[1], (1.0, 0.0)  # on its way out, east
    pe.pos[w], pe.pos[n], pe.pos[b] = (5.5, 2.5), (6.6, 2.7), (4.4, 2.4)  # n ahead of it, b behind
    pe.state[1] = State.OUT  # out of the picture
    pe.state[[n, b]] = State.FETCH
    st.t = 10.0  # a look (one a second)
    pe.last_prog[w] = st.t - 1.0  # moving: nobody steps aside
    portals.make_way(st)
    assert tuple(pe.pos[n]) == (6.6, 2.7)
    pe.last_prog[w] = st.t - 2 * st.p.behaviour.stall_after  # stalled
    portals.make_way(st)
    assert tuple(pe.pos[b]) == (4.4, 2.4)  # behind it: not in its way
    b_ = st.p.behaviour
    d = pe.pos[n] - pe.pos[w]
    gap = np.hypot(*d) - (pe.radius[w] + pe.extra[w] + pe.radius[n])
    assert d @ pe.orient[w] <= 0 or gap >= b_.contact  # out of its way
    assert np.hypot(*(pe.pos[n] - (8.0, 2.5))) > pe.radius[n] + b_.door_keep_clear  # clear of the exit
    assert pe.space[n] == st.plan.space_ix["R"]
    # Someone on foot held up as long by someone waiting ahead of them is made way for too.
    pe.state[w], pe.state[1] = State.OUT, State.MOVE
    pe.pos[1], pe.orient[1], pe.last_prog[1] = (5.5, 2.5), (1.0, 0.0), st.t - 2 * b_.stall_after
    pe.pos[n] = (6.1, 2.6)
    st.t += 1.0
    portals.make_way(st)
    assert np.hypot(*(pe.pos[n] - pe.pos[1])) - pe.radius[1] - pe.radius[n] >= b_.contact


def test_someone_who_moved_a_metre_in_the_last_ten_seconds_is_not_stalled() -> None:
    """Day seed 0: a nurse walking against the crowd queueing for the east stair was carried 10 m
    back by it and flagged as she walked freely back, still short of her best distance to her
    door.  Whoever moved over a metre since the mark before last (10 to 20 s ago) is not flagged;
    once they stand, a minute without progress is a flag again."""
    from scenarios.evacuation import portals

    people = [PersonSpec(id="v", profile="visitor", space="S", position=(1.5, 3.5), premove=0.0)]
    m = EvacuationModel(store_on_corridor(0.9), people, EvacParams(max_time=60.0, trajectories=False),
                        np.random.default_rng(0))
    m.step()
    pe, st = m.people, m.run_state
    w = st.p.deadlock_window

    def flagged(moved: float) -> bool:
        st.t = st.passages.marked + 1.0  # between two marks
        st.passages.before[0] = pe.pos[0] - (moved, 0.0)
        st.passages.last_pass["D"] = st.t - 2 * w
        pe.last_prog[0], pe.dead[0] = st.t - 2 * w, False
        portals.flag_deadlocks(st)
        return bool(pe.dead[0])

    assert not flagged(1.5)
    assert flagged(0.3)  # swaying in place
    st.t = st.passages.marked + portals.MARK_EVERY  # a mark: where they stood ten seconds ago
    before = pe.pos[0].copy()
    portals.flag_deadlocks(st)
    assert np.array_equal(st.passages.mark[0], before)
