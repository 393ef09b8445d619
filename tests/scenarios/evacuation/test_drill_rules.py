"""Rules that keep a multi-storey night drill moving: level sweeps, the lift marshal's call,
clear escape corridors, one preparation per patient, staff who go back in through an exit."""

from __future__ import annotations

import numpy as np
from shapely.geometry import box

from agents.assist import choose_patient
from agents.movement.behaviour import Behaviour
from agents.movement.routes import Goal
from facility.model import Door, Exit, Facility, Level, Lift, Space, SpaceKind
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.assistance import ahead_in_room, assist, called_forward
from scenarios.evacuation.goals import exit_goal, set_goal
from scenarios.evacuation.linking import landing_clear, links
from scenarios.evacuation.model import State
from scenarios.evacuation.motion import cells
from scenarios.evacuation.placement import park_spaces
from scenarios.evacuation.portals import arrivals
from scenarios.evacuation.state import RunState
from scenarios.evacuation.testbeds import ward

LIFT_CALL_AHEAD = Behaviour().lift_call_ahead
TEAM_REACH = Behaviour().team_reach


def _lift_block() -> Facility:
    """Two storeys: a 12 x 6 m ward room on a 2.4 m corridor upstairs, a bed lift at the corridor's
    end, the ground-floor corridor with a final exit."""
    spaces = [Space(id="W", level="L1", kind=SpaceKind.ROOM, polygon=box(0, 0, 12, 6), compartment="C1"),
              Space(id="K1", level="L1", kind=SpaceKind.CORRIDOR, polygon=box(0, 6, 12, 8.4),
                    compartment="C1"),
              Space(id="LF1", level="L1", kind=SpaceKind.LIFT, polygon=box(12, 6, 15, 9.4)),
              Space(id="K0", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(0, 6, 12, 8.4),
                    compartment="C0"),
              Space(id="LF0", level="L0", kind=SpaceKind.LIFT, polygon=box(12, 6, 15, 9.4))]
    doors = [Door(id="DW", spaces=("W", "K1"), at=(6.0, 6.0), width=1.4),
             Door(id="DL1", spaces=("K1", "LF1"), at=(12.0, 7.2), width=1.4),
             Door(id="DL0", spaces=("K0", "LF0"), at=(12.0, 7.2), width=1.4)]
    return Facility(name="lift_block", levels=(Level(id="L0"), Level(id="L1", elevation=4.0)),
                    spaces=tuple(spaces), doors=tuple(doors),
                    exits=(Exit(id="X", space="K0", at=(0.0, 7.2), width=1.6),),
                    lifts=(Lift(id="LF", spaces=("LF0", "LF1"), evacuation_lift=True),))


def test_staff_clear_their_own_level_first() -> None:
    """A ventilated patient one floor away waits for that floor's staff; the bed here comes first."""
    kw = dict(cand_xy=np.array([[1.0, 0.0], [30.0, 0.0]]), cand_level=np.array([1, 0]),
              cand_ward=np.zeros(2, int), cand_dependency=np.array([5, 3]))
    for policy in ("most_dependent", "by_ward", "nearest"):
        assert choose_patient(policy, np.array([0.0, 0.0]), 0, 0, **kw) == 1, policy


def test_lift_marshal_holds_prepared_beds_in_their_room() -> None:
    """Four beds upstairs, eight staff, one lift: at most LIFT_CALL_AHEAD beds are out of their room
    at once, and everyone still gets out without a deadlock."""
    fac = _lift_block()
    people = [PersonSpec(id=f"b{k}", profile="bed", space="W", position=(1.6 + 3.0 * k, 2.0))
              for k in range(4)]
    people += [PersonSpec(id=f"s{k}", profile="staff", space="W", position=(0.8 + 1.4 * k, 4.8), premove=0.0)
               for k in range(8)]
    m = EvacuationModel(fac, people, EvacParams(lifts="all", trajectories=False, max_time=3000.0),
                        np.random.default_rng(3))
    m.people.prepare[:4] = 5.0
    upstairs = m.plan.level_ix["L1"]
    most = 0
    held = False
    while m.t < m.run_state.p.max_time and not m.done():
        m.step()
        pe = m.people
        # Beds that called the lift wait on its landing, walking, until the car takes them.
        out_of_room = ((pe.state[:4] == State.MOVE) & (pe.space[:4] != m.plan.space_ix["W"])
                       & (pe.lvl[:4] == upstairs))
        most = max(most, int(np.count_nonzero(out_of_room)))
        held |= bool(((m.people.state[:4] == State.PREP) & (m.t >= m.people.prep_end[:4])).any())
    assert (m.people.state == State.OUT).all()
    assert not m.deadlocks
    assert held  # someone prepared did wait for the call
    assert most <= LIFT_CALL_AHEAD


def test_lift_marshal_does_not_hold_corridor_or_ground_floor_units() -> None:
    fac = _lift_block()
    people = [PersonSpec(id="a", profile="bed", space="W", position=(2.0, 2.0)),
              PersonSpec(id="b", profile="bed", space="W", position=(6.0, 2.0)),
              PersonSpec(id="c", profile="bed", space="W", position=(10.0, 2.0)),
              PersonSpec(id="d", profile="bed", space="K1", position=(4.0, 7.2)),
              PersonSpec(id="e", profile="bed", space="K0", position=(4.0, 7.2))]
    m = EvacuationModel(fac, people, EvacParams(lifts="all", trajectories=False), np.random.default_rng(0))
    m.people.state[:2] = State.MOVE
    assert not called_forward(m.run_state, 2)
    assert called_forward(m.run_state, 3)  # already in the escape corridor: waiting there blocks it
    assert called_forward(m.run_state, 4)  # ground floor: out through the exit, no lift
    m.people.state[0] = State.OUT
    assert called_forward(m.run_state, 2)


def _first_task(m: EvacuationModel, staff: int, limit: float = 300.0) -> int:
    """The patient a staff member is first sent to (fails rather than hangs if none by ``limit`` s)."""
    while m.people.task[staff] < 0:
        assert m.t < limit, f"no task by {limit} s"
        m.step()
    return int(m.people.task[staff])


def _ward_team(people: list[PersonSpec], **kw: object) -> EvacuationModel:
    params = EvacParams(strategy="horizontal", fire_compartments=("A",), trajectories=False,
                        max_time=900.0, **kw)  # type: ignore[arg-type]
    return EvacuationModel(ward(rooms=2, beds_per_room=1), people, params, np.random.default_rng(0))


def test_patients_in_the_corridor_are_fetched_first() -> None:
    """The bed in the room is nearer, but the one in the corridor narrows everyone's way out."""
    people = [PersonSpec(id="room", profile="bed", space="W0", position=(2.0, 2.5)),
              PersonSpec(id="aisle", profile="bed", space="KA", position=(6.5, 6.2)),
              PersonSpec(id="s", profile="staff", space="KA", position=(2.0, 6.2), premove=0.0)]
    assert _first_task(_ward_team(people), 2) == 1


def test_a_patient_is_prepared_once() -> None:
    people = [PersonSpec(id="b", profile="bed", space="W0", position=(2.0, 2.5)),
              PersonSpec(id="s0", profile="staff", space="KA", position=(2.0, 6.2), premove=0.0),
              PersonSpec(id="s1", profile="staff", space="KA", position=(3.0, 6.2), premove=0.0)]
    m = _ward_team(people)
    assert m.people.prepare[0] > 0
    m.run()
    assert m.people.state[0] == State.REFUGE
    assert m.people.prepare[0] == 0.0  # moved on again in the vertical phase without a second preparation


def test_beds_park_in_rooms_before_the_corridor() -> None:
    m = _ward_team([PersonSpec(id="b", profile="bed", space="W0", position=(2.0, 2.5))])
    ka, w0, w1 = (m.plan.space_ix[s] for s in ("KA", "W0", "W1"))
    # W0's one bed space holds its own bed, still to be moved: no unit is parked there.
    assert park_spaces(m.run_state, [ka, w0, w1], 1.1) == [w1, ka]
    # A room whose door is too narrow for the unit is no parking place: it could not leave again.
    assert park_spaces(m.run_state, [ka, w0, w1], 1.5) == [ka]
    # With a bed space free, W0 takes one, after W1, none of whose own beds are still to be moved.
    params = EvacParams(strategy="horizontal", fire_compartments=("A",), trajectories=False)
    m = EvacuationModel(ward(rooms=2, beds_per_room=2), [PersonSpec(id="b", profile="bed", space="W0",
                                                                    position=(2.0, 2.5))],
                        params, np.random.default_rng(0))
    assert park_spaces(m.run_state, [ka, w0, w1], 1.1) == [w1, w0, ka]


def test_staff_sent_back_in_from_an_exit_do_not_leave() -> None:
    """Staff released at a final exit stand on it; sent to the next patient they must not count as out."""
    fac = ward(rooms=1, beds_per_room=1)
    people = [PersonSpec(id="b", profile="bed", space="W0", position=(2.0, 2.5)),
              PersonSpec(id="s", profile="staff", space="KA", position=(2.0, 6.2), premove=0.0)]
    m = EvacuationModel(fac, people, EvacParams(trajectories=False), np.random.default_rng(0))
    g = m.plan.grids[0]
    i, j = np.nonzero(g.exit >= 0)
    m.people.pos[1] = g.centre(i[:1], j[:1])[0]
    m.people.space[1] = m.plan.space_ix["KB"]
    m.people.state[1] = State.MOVE
    m.people.task[1] = 0
    m.people.team[0] = [1]
    st = m.run_state
    set_goal(st, 1, st.goals.index(Goal("point", spaces=frozenset(["W0"]), point=(2.0, 2.5))))
    m.people.prev_pos[1] = (24.0, 6.2)
    arrivals(st, *_walkers_cells(st))
    assert m.people.state[1] == State.MOVE
    assert tuple(m.people.pos[1]) == (24.0, 6.2)  # pushed against the exit, they stay inside
    # Someone whose goal is an exit does leave there.
    m.people.task[1] = -1
    m.people.team[0] = []
    set_goal(st, 1, exit_goal(st, 1))
    m.people.pos[1] = g.centre(i[:1], j[:1])[0]
    arrivals(st, *_walkers_cells(st))
    assert m.people.state[1] == State.OUT


def test_staff_wait_at_the_bedside_not_in_the_doorway() -> None:
    """A second nurse stopping beside the first, but in the doorway, would shut in the other beds."""
    people = [PersonSpec(id="b", profile="bed", space="W0", position=(2.0, 1.8)),
              PersonSpec(id="s0", profile="staff", space="W0", position=(1.6, 4.0)),
              PersonSpec(id="s1", profile="staff", space="W0", position=(2.4, 4.4))]
    m = _ward_team(people)
    m.people.state[:] = (State.NEED, State.FETCH, State.MOVE)
    m.people.team[0] = [1, 2]
    m.people.task[1:] = 0
    assist(m.run_state)
    assert m.people.state[2] == State.MOVE  # within 1 m of its teammate, but 0.7 m from the door
    m.people.pos[2] = (2.0, 3.6)
    assist(m.run_state)
    assert m.people.state[2] == State.FETCH
    assert m.people.state[0] == State.PREP


def test_a_nurse_near_a_teammate_at_the_bedside_has_joined_the_team() -> None:
    """In a full bay the second nurse may be held off the bed by the next patient's: 1.25 m from a
    teammate at the bedside is close enough (TEAM_REACH), 3.2 m from the patient is not."""
    people = [PersonSpec(id="b", profile="bed", space="W0", position=(2.0, 1.8)),
              PersonSpec(id="s0", profile="staff", space="W0", position=(1.6, 4.0)),
              PersonSpec(id="s1", profile="staff", space="W0", position=(0.5, 4.6))]
    m = _ward_team(people)
    m.people.state[:] = (State.NEED, State.FETCH, State.MOVE)
    m.people.team[0] = [1, 2]
    m.people.task[1:] = 0
    assert 1.0 < np.hypot(*(m.people.pos[2] - m.people.pos[1])) < TEAM_REACH
    assist(m.run_state)
    assert m.people.state[2] == State.FETCH


def _bay(people: list[PersonSpec]) -> EvacuationModel:
    return EvacuationModel(_lift_block(), people, EvacParams(lifts="all", trajectories=False),
                           np.random.default_rng(0))


def test_a_room_is_cleared_from_the_door_inwards() -> None:
    """The bed deep in the bay is the most dependent, but the wheelchair by the door goes first."""
    people = [PersonSpec(id="bed", profile="bed", space="W", position=(6.0, 1.5)),
              PersonSpec(id="chair", profile="wheelchair", space="W", position=(4.5, 4.0)),
              PersonSpec(id="s", profile="staff", space="W", position=(10.0, 3.0), premove=0.0)]
    assert _first_task(_bay(people), 2) == 1


def test_a_prepared_unit_waits_for_the_one_nearer_the_door() -> None:
    people = [PersonSpec(id="bed", profile="bed", space="W", position=(6.0, 1.5)),
              PersonSpec(id="chair", profile="wheelchair", space="W", position=(6.0, 4.0)),
              PersonSpec(id="aisle", profile="bed", space="K1", position=(3.0, 7.2))]
    m = _bay(people)
    m.people.state[:] = State.PREP
    assert ahead_in_room(m.run_state, 0)
    assert not ahead_in_room(m.run_state, 1)
    assert not ahead_in_room(m.run_state, 2)  # corridors have no inside and outside
    m.people.state[1] = State.MOVE
    assert ahead_in_room(m.run_state, 0)  # the chair is on its way out of the room: one unit at a time
    m.people.state[1] = State.OUT
    assert not ahead_in_room(m.run_state, 0)


def test_units_leave_a_lift_car_one_at_a_time() -> None:
    """A bed is wheeled out of the car only when the landing is clear of whoever came out before."""
    people = [PersonSpec(id="first", profile="wheelchair", space="LF0", position=(13.5, 7.7)),
              PersonSpec(id="bed", profile="bed", space="W", position=(6.0, 1.5)),
              PersonSpec(id="walker", profile="visitor", space="W", position=(3.0, 3.0))]
    m = _bay(people)
    m.people.state[0] = State.MOVE
    assert not landing_clear(m.run_state, 1, "LF0")
    assert landing_clear(m.run_state, 2, "LF0")  # people on foot squeeze out beside it
    m.people.pos[0] = (6.0, 7.2)
    m.people.space[0] = m.plan.space_ix["K0"]
    assert landing_clear(m.run_state, 1, "LF0")
    # While the car unloads it takes no new calls.
    m.people.state[1] = State.LINK
    m.run_state.links.pending = [(0.0, 1, "LF0")]
    m.people.space[0] = m.plan.space_ix["LF0"]
    m.run_state.links.lifts[0].call(0.0, 2, "LF1", "LF0", "visitor")
    links(m.run_state)
    assert m.run_state.links.lifts[0].trips == 0 and m.run_state.links.pending == [(0.0, 1, "LF0")]


def test_a_unit_waits_for_its_lift_on_the_landing() -> None:
    """A bed that called the lift is wheeled on into the landing and stands there, on the floor,
    until the car has come up and opened for it; only then is it off the plane, and the wait is
    not a deadlock. Its staff, on foot, ride with it."""
    people = [PersonSpec(id="bed", profile="bed", space="K1", position=(9.0, 7.2)),
              PersonSpec(id="s0", profile="staff", space="K1", position=(7.0, 6.6), premove=0.0),
              PersonSpec(id="s1", profile="staff", space="K1", position=(7.0, 7.8), premove=0.0)]
    m = _bay(people)
    st = m.run_state
    lift = st.links.lifts[0]
    waited: list[tuple[float, str]] = []
    flags_then = None
    while m.t < 900.0 and m.people.state[0] != State.OUT:
        m.step()
        pe = m.people
        if pe.called[0]:
            if not waited:  # the car is away downstairs for a minute and a half
                lift.busy_until, lift.at = m.t + 90.0, "LF0"
                called_at = m.t
            assert pe.state[0] == State.MOVE  # on the floor, waiting
            waited.append((m.t, m.plan.space_ids[pe.space[0]]))
        if pe.state[0] == State.LINK and flags_then is None:
            flags_then = len(m.deadlocks)
            rise = 4.0 / lift.lift.speed
            assert m.t >= called_at + 90.0 + rise + 2 * lift.lift.door_time - 0.1  # it came up and opened
    assert waited and waited[-1][1] == "LF1" and waited[-1][0] - waited[0][0] > 60.0
    assert flags_then == 0 and not m.deadlocks
    assert m.people.state[0] == State.OUT


def _walkers_cells(st: RunState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Everyone walking, with the global space and level exit index of their cells: what
    ``arrivals`` takes from the movement step, for a step the test drives by hand."""
    on = np.flatnonzero(st.people.state == State.MOVE)
    space, exit_ = cells(st.people, st.plan, on)
    return on, space, exit_
