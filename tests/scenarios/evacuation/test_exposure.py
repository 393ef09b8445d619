"""The movers' side of the hazard contract, with small hand-written environments.

Each environment here is a test double of :class:`scenarios.hazards.conditions.Environment`:
conditions fixed per space (or switched at a time), so what the people do can be predicted.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from facility.model import Door, Exit, Facility, Level, Space, SpaceKind
from scenarios.base import Replication
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec, simulate
from scenarios.evacuation.exposure import Casualties, stop_incapacitated
from scenarios.evacuation.kpis import replication_kpis, report, summarize
from scenarios.evacuation.model import State
from scenarios.evacuation.schema import EvacuationScenario
from scenarios.evacuation.testbeds import corridor, stair_tower, ward
from scenarios.hazards.conditions import DOSES, Conditions, calm
from tests.scenarios.evacuation.drills import ward_drill


class Fixed:
    """An environment whose conditions are a function of time, set by the test."""

    def __init__(self, facility: Facility, conditions: Callable[[float, Conditions], None]) -> None:
        self.space_ids = tuple(s.id for s in facility.spaces)
        self.cues: dict[str, float] = {}
        self.ix = {s: k for k, s in enumerate(self.space_ids)}
        self.conditions = conditions
        self.times: list[float] = []

    def advance(self, time: float) -> Conditions:
        self.times.append(time)
        c = calm(self.space_ids, time)
        self.conditions(time, c)
        return c


def _two_ways() -> Facility:
    """A 10 x 6 m room between two 2 m corridors, each with a final exit at its far end."""
    spaces = [Space(id="R", level="L0", kind=SpaceKind.ROOM, polygon=box(10, 0, 20, 6), compartment="C"),
              Space(id="A", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(0, 2, 10, 4), compartment="C"),
              Space(id="B", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(20, 2, 30, 4), compartment="C")]
    doors = [Door(id="DA", spaces=("R", "A"), at=(10.0, 3.0), width=1.2),
             Door(id="DB", spaces=("R", "B"), at=(20.0, 3.0), width=1.2)]
    exits = [Exit(id="XA", space="A", at=(0.0, 3.0), width=1.6),
             Exit(id="XB", space="B", at=(30.0, 3.0), width=1.6)]
    return Facility(name="two_ways", levels=(Level(id="L0"),), spaces=tuple(spaces), doors=tuple(doors),
                    exits=tuple(exits))


def _walkers(n: int, space: str) -> list[PersonSpec]:
    return [PersonSpec(id=f"p{k}", profile="visitor", space=space, premove=0.0) for k in range(n)]


def test_people_avoid_an_untenable_corridor_and_replan_when_it_turns() -> None:
    fac = _two_ways()
    people = _walkers(12, "R")
    free = simulate(fac, people, EvacParams(trajectories=False), np.random.default_rng(1))
    assert {"XA", "XB"} <= set(free.people.exit_used)  # both ways are used without a hazard

    def a_untenable(t: float, c: Conditions) -> None:
        c.untenable[env.ix["A"]] = True

    env = Fixed(fac, a_untenable)
    m = simulate(fac, people, EvacParams(trajectories=False), np.random.default_rng(1), environment=env)
    assert (m.people.state == State.OUT).all()
    assert set(m.people.exit_used) == {"XB"}
    assert not any("A" in r for r in m.people.route)
    # Read at the alarm and then every hazard_every seconds, never going back in time.
    assert env.times[0] == 0.0 and np.all(np.diff(env.times) > 0)
    assert np.allclose(np.diff(env.times), 1.0, atol=0.051)

    # The corridor turns untenable after 2 s: those heading for it (not yet through) turn round.
    def a_later(t: float, c: Conditions) -> None:
        c.untenable[env.ix["A"]] = t >= 2.0

    env = Fixed(fac, a_later)
    m = simulate(fac, people, EvacParams(trajectories=False), np.random.default_rng(1), environment=env)
    assert (m.people.state == State.OUT).all()
    through_a = sum("A" in r for r in m.people.route)
    assert 0 < through_a < sum("A" in r for r in free.people.route)  # those already past the door go on


def test_a_slow_space_takes_longer() -> None:
    fac = corridor(31.0, 2.4)
    person = [PersonSpec(id="p", profile="visitor", space="K", position=(1.0, 1.2), premove=0.0, speed=1.2)]
    free = simulate(fac, person, EvacParams(trajectories=False), np.random.default_rng(0))

    def smoke(t: float, c: Conditions) -> None:
        c.speed_factor[:] = 0.5

    slow = simulate(fac, person, EvacParams(trajectories=False), np.random.default_rng(0),
                    environment=Fixed(fac, smoke))
    ratio = float(slow.people.t_reach[0] / free.people.t_reach[0])
    assert 1.9 < ratio < 2.1, ratio


def test_doses_are_rate_times_time_spent() -> None:
    """Two rooms on a corridor, each with its own rate: a dose counts the time in each space."""
    fac = _two_ways()
    rates = {"R": 0.01, "A": 0.0, "B": 0.1}

    def hot(t: float, c: Conditions) -> None:
        for sid, r in rates.items():
            c.dose_rate[DOSES.index("fed_heat"), env.ix[sid]] = r
        c.dose_rate[DOSES.index("toxic_load"), env.ix["R"]] = 2.0

    env = Fixed(fac, hot)
    people = [PersonSpec(id="p", profile="visitor", space="R", position=(18.0, 3.0), premove=0.0, exit="XB")]
    m = simulate(fac, people, EvacParams(trajectories=False), np.random.default_rng(0), environment=env)
    tab = m.recorder.tables()
    doses = tab["doses"].to_pandas().set_index("id")
    # The time of the door crossing into B, from the door-flow table.
    flows = tab["door_flows"].to_pandas()
    t_door = float(flows.loc[flows["portal"] == "DB", "time"].iloc[0])
    t_out = float(m.people.t_reach[0])
    dt = m.run_state.p.model.dt
    assert doses.loc["p", "fed_heat"] == pytest.approx(0.01 * t_door + 0.1 * (t_out - t_door), abs=0.11 * dt)
    assert doses.loc["p", "toxic_load"] == pytest.approx(2.0 * t_door, abs=2.0 * dt)
    assert doses.loc["p", "fed_asphyxiant"] == 0.0
    # Once out, no more dose.
    assert m.people.dose[1, 0] == doses.loc["p", "fed_heat"]


def _beds_and_staff() -> tuple[Facility, list[PersonSpec]]:
    fac = ward(rooms=2, beds_per_room=1)
    people = [PersonSpec(id="b0", profile="bed", space="W0", position=(2.0, 2.5)),
              PersonSpec(id="b1", profile="bed", space="W1", position=(6.0, 2.5)),
              PersonSpec(id="s0", profile="staff", space="KB", position=(12.0, 6.2), premove=0.0),
              PersonSpec(id="s1", profile="staff", space="KB", position=(13.0, 6.2), premove=0.0)]
    return fac, people


def test_staff_do_not_fetch_from_an_untenable_room_unless_allowed() -> None:
    fac, people = _beds_and_staff()

    def w0(t: float, c: Conditions) -> None:
        c.untenable[env.ix["W0"]] = True

    env = Fixed(fac, w0)
    m = simulate(fac, people, EvacParams(trajectories=False, max_time=1500.0), np.random.default_rng(0),
                 environment=env)
    assert m.t < 1500.0  # the run ended: a patient left behind is not waited for
    pe = m.people
    assert pe.state[0] == State.NEED and pe.left_behind[0] and pe.left_reason[0] == "untenable"
    assert (m.people.state[1:] == State.OUT).all()
    agents = m.recorder.tables()["agents"].to_pandas().set_index("id")
    assert agents.loc["b0", "left_behind"] and agents.loc["b0", "left_behind_reason"] == "untenable"
    assert not agents.loc["b1", "left_behind"]

    env = Fixed(fac, w0)
    m = simulate(fac, people, EvacParams(trajectories=False, max_time=1500.0, enter_untenable=True),
                 np.random.default_rng(0), environment=env)
    assert (m.people.state == State.OUT).all() and not m.people.left_behind.any()


def test_compartment_rset_is_the_last_departure() -> None:
    fac = ward(rooms=2, beds_per_room=1)
    people = [PersonSpec(id=f"p{k}", profile="ambulant", space=f"W{k % 2}", premove=float(k))
              for k in range(4)]
    m = simulate(fac, people, EvacParams(trajectories=False), np.random.default_rng(0))
    tab = m.recorder.tables()
    comp = tab["compartments"].to_pandas().set_index("compartment")
    flows = tab["door_flows"].to_pandas()
    assert comp.loc["A", "rset_s"] == flows.loc[flows["portal"] == "SD", "time"].max()
    assert comp.loc["B", "rset_s"] == pytest.approx(float(np.max(m.people.t_reach)))
    assert (comp["remaining"] == 0).all()


def test_no_hazard_and_a_calm_one_give_the_same_drill() -> None:
    """Reading an environment that changes nothing leaves a drill bit for bit what it is without one."""
    fac, people, params = ward_drill()
    a = EvacuationModel(fac, people, params, np.random.default_rng(5))
    b = EvacuationModel(fac, people, params, np.random.default_rng(5),
                        environment=Fixed(fac, lambda t, c: None))
    a.run()
    b.run()
    assert a.t == b.t and a.deadlocks == b.deadlocks
    for name in ("pos", "state", "space", "t_reach", "wait", "v0", "dist"):
        np.testing.assert_array_equal(getattr(a.people, name), getattr(b.people, name), err_msg=name)
    ta, tb = a.recorder.tables(), b.recorder.tables()
    for name in ("agents", "door_flows", "evacuated_over_time", "compartments"):
        pd.testing.assert_frame_equal(ta[name].to_pandas(), tb[name].to_pandas(), check_exact=True, obj=name)


def test_environment_over_other_spaces_is_refused() -> None:
    from scenarios.errors import RunError

    fac, people = _beds_and_staff()
    env = Fixed(fac, lambda t, c: None)
    env.space_ids = env.space_ids[::-1]
    with pytest.raises(RunError, match="facility's order"):
        EvacuationModel(fac, people, EvacParams(), np.random.default_rng(0), environment=env)


def test_people_cross_untenable_space_when_every_way_out_does() -> None:
    """Both corridors untenable from the start: nobody may stand still in the room waiting."""
    fac = _two_ways()
    people = _walkers(12, "R")

    def both_untenable(t: float, c: Conditions) -> None:
        c.untenable[env.ix["A"]] = True
        c.untenable[env.ix["B"]] = True

    env = Fixed(fac, both_untenable)
    m = simulate(fac, people, EvacParams(trajectories=False, max_time=600.0), np.random.default_rng(1),
                 environment=env)
    assert (m.people.state == State.OUT).all()

    # With one corridor tenable again, everyone takes it.
    def only_a(t: float, c: Conditions) -> None:
        c.untenable[env.ix["A"]] = True

    env = Fixed(fac, only_a)
    m = simulate(fac, people, EvacParams(trajectories=False, max_time=600.0), np.random.default_rng(1),
                 environment=env)
    assert (m.people.state == State.OUT).all() and set(m.people.exit_used) == {"XB"}


def _hot_stair(rate: float) -> tuple[Facility, Fixed]:
    """Two storeys on a stair, the exit at its foot; both landings give ``rate`` of heat dose per second."""
    fac = stair_tower(2)
    env = Fixed(fac, lambda t, c: None)

    def hot(t: float, c: Conditions) -> None:
        for sid in ("S0", "S1"):
            c.dose_rate[DOSES.index("fed_heat"), env.ix[sid]] = rate

    env.conditions = hot
    return fac, env


def test_a_person_is_incapacitated_in_a_hot_stair_stops_there_and_is_not_evacuated() -> None:
    # Found by a user: people walked out through a 300 C stair and were counted as out.
    people = [PersonSpec(id="w", profile="visitor", space="R1", position=(3.0, 2.0), premove=0.0, speed=1.2)]
    fac, env = _hot_stair(0.2)  # a heat dose of 1 after 5 s in the stair
    m = simulate(fac, people, EvacParams(max_time=600.0), np.random.default_rng(0), environment=env)
    assert m.people.state[0] == State.INCAPACITATED and m.people.casualties.dose == ["fed_heat"]
    assert m.t < 120.0  # the drill ends: nobody is left who can still move
    tab = m.recorder.tables()
    row = tab["agents"].to_pandas().iloc[0]
    assert row["incapacitated"] and row["incapacitated_space"] in ("S0", "S1")
    assert row["incapacitated_by"] == "fed_heat" and 0 < row["incapacitated_at"] < m.t
    assert tab["doses"].to_pandas()["fed_heat"].iloc[0] >= 1.0
    # where they fell they stay
    traj = tab["trajectories"].to_pandas()
    after = traj[traj["time"] > row["incapacitated_at"] + 0.5]
    assert len(after) and after["state"].eq("incapacitated").all()
    assert np.ptp(after["x"]) < 0.05 and np.ptp(after["y"]) < 0.05
    kpis = replication_kpis(tab["agents"], tab["door_flows"], 0.0, m.t, tab["deadlocks"].num_rows)
    assert kpis["incapacitated"] == 1 and kpis["evacuated"] == 0 and kpis["remaining"] == 0
    assert math.isnan(kpis["rset_s"])
    curve = tab["evacuated_over_time"].to_pandas().iloc[-1]
    assert (curve["out"], curve["remaining"], curve["incapacitated"]) == (0, 0, 1)
    summary = summarize(EvacuationScenario(name="stair"), [Replication(index=0, kpis=kpis, tables=tab)])
    fallen = summary["incapacitated_people"]
    assert [(f["id"], f["dose"]) for f in fallen] == [("w", "fed_heat")]
    assert "Incapacitated by the hazard (1" in report(_summary_means(summary))
    # A stair that only warms them a little: out, with their dose.
    fac, env = _hot_stair(0.01)
    m = simulate(fac, people, EvacParams(max_time=600.0), np.random.default_rng(0), environment=env)
    assert m.people.state[0] == State.OUT and not m.people.casualties.flag.any()


def _summary_means(summary: dict[str, object]) -> dict[str, object]:
    return {k: v if isinstance(v, list | dict) else {"mean": v} for k, v in summary.items()}


def test_incapacitated_staff_leave_their_patient_s_team_and_carried_patients_are_carried_on() -> None:
    st = np.array([State.PREP, State.FETCH, State.FETCH, State.MOVE, State.LINK, State.ATTACHED])
    need = np.array([2, 0, 0, 1, 0, 0])
    task = np.array([-1, 0, 0, -1, -1, 3])
    team: list[list[int]] = [[1, 2], [], [], [5], [], []]
    prep_end = np.array([50.0, np.inf, np.inf, np.inf, np.inf, np.inf])
    cas = Casualties.none(6)
    cas.time[[1, 3, 4, 5]] = 10.0
    stopped = stop_incapacitated(cas, state=st, need=need, task=task, team=team, prep_end=prep_end)
    assert stopped.tolist() == [1]
    assert st.tolist() == [State.NEED, State.INCAPACITATED, State.FETCH, State.MOVE, State.LINK,
                           State.ATTACHED]
    assert team[0] == [2] and task[1] == -1 and prep_end[0] == np.inf  # preparation starts again
    # on a stair or escorting a unit: they stop once on a floor on their own again
    st[4], st[5] = State.MOVE, State.HOLD
    again = stop_incapacitated(cas, state=st, need=need, task=task, team=team, prep_end=prep_end)
    assert again.tolist() == [4, 5]
    assert team[3] == [] and st[3] == State.MOVE  # the patient of the unit goes on, counted by the KPIs


def test_stays_cover_the_drill_without_gaps() -> None:
    fac = _two_ways()
    env = Fixed(fac, lambda t, c: None)
    people = [PersonSpec(id="p", profile="visitor", space="R", position=(18.0, 3.0), premove=0.0, exit="XB")]
    m = simulate(fac, people, EvacParams(trajectories=False), np.random.default_rng(0), environment=env)
    stays = m.recorder.tables()["stays"].to_pandas()
    assert stays["space"].tolist() == ["R", "B"] and not stays["until_end"].any()
    assert stays["entered_s"].iloc[0] == 0.0
    assert stays["left_s"].iloc[-1] == pytest.approx(m.people.t_reach[0])
    flows = m.recorder.tables()["door_flows"].to_pandas()
    t_door = float(flows.loc[flows["portal"] == "DB", "time"].iloc[0])
    assert stays["left_s"].iloc[0] == pytest.approx(t_door)


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 5), rate=st.floats(0.0, 0.4), seed=st.integers(0, 3))
def test_everyone_ends_out_or_incapacitated_by_their_own_dose(n: int, rate: float, seed: int) -> None:
    """A hot corridor with its exit: each person is either out with a heat dose under 1 or
    incapacitated with a dose of 1 or more, where they fell; the categories add up."""
    fac = corridor(12.0, 2.4)
    env = Fixed(fac, lambda t, c: None)

    def hot(t: float, c: Conditions) -> None:
        c.dose_rate[DOSES.index("fed_heat"), env.ix["K"]] = rate

    env.conditions = hot
    people = [PersonSpec(id=f"p{k}", profile="visitor", space="K", position=(1.0 + 1.5 * k, 1.2), premove=0.0)
              for k in range(n)]
    m = simulate(fac, people, EvacParams(max_time=120.0, record_every=0.5), np.random.default_rng(seed),
                 environment=env)
    tab = m.recorder.tables()
    a = tab["agents"].to_pandas().set_index("id")
    heat = tab["doses"].to_pandas().set_index("id")["fed_heat"]
    fallen = a["incapacitated"]
    assert ((a["reached_how"] == "exit") ^ fallen).all()
    assert (heat[fallen] >= 1.0).all() and (heat[~fallen] < 1.0).all()
    kpis = replication_kpis(tab["agents"], tab["door_flows"], 0.0, m.t, tab["deadlocks"].num_rows)
    assert kpis["evacuated"] + kpis["in_refuge"] + kpis["incapacitated"] + kpis["remaining"] == n
    traj = tab["trajectories"].to_pandas()
    for pid in a.index[fallen]:
        after = traj[(traj["id"] == pid) & (traj["time"] > a.loc[pid, "incapacitated_at"] + 0.1)]
        assert (after["state"] == "incapacitated").all()


def test_someone_incapacitated_stays_where_they_fell_while_others_pass() -> None:
    # Found trying it: the crowd model let a person lying in a corridor be pushed 10 m along it
    # by eight walkers going by.
    fac = corridor(20.0, 1.6)
    env = Fixed(fac, lambda t, c: None)
    people = [PersonSpec(id="body", profile="visitor", space="K", position=(10.0, 0.8), premove=1e4)]
    people += [PersonSpec(id=f"w{k}", profile="visitor", space="K", premove=0.0,
                          position=(1.0 + 0.8 * (k % 4), 0.4 + 0.4 * (k // 4))) for k in range(8)]
    m = EvacuationModel(fac, people, EvacParams(trajectories=False, max_time=120.0), np.random.default_rng(0),
                        environment=env)
    m.people.casualties.time[0] = 0.0  # as incapacitate() would: stopped at the first step
    m.run()
    assert m.people.state[0] == State.INCAPACITATED and (m.people.state[1:] == State.OUT).all()
    assert np.linalg.norm(m.people.pos[0] - (10.0, 0.8)) < 0.05


@pytest.mark.parametrize(("alarm", "cue", "starts"), [
    (120.0, -60.0, (90.0, 150.0)),  # ignition at 60 s: the room of origin leaves before the alarm
    (0.0, -100.0, (0.0, 30.0)),  # ignition before the drill's clock: they set off at once
    (0.0, 50.0, (30.0, 30.0)),  # a hazard after the alarm changes nothing
])
def test_people_who_see_the_hazard_start_from_it_not_from_the_alarm(alarm: float, cue: float,
                                                                    starts: tuple[float, float]) -> None:
    """A user's drill: a fire in a clinic's waiting room with the only detector next door; the
    three people in it sat in the smoke until the alarm and were incapacitated without moving.
    The room of origin (``cues``) starts its pre-movement (30 s here) at ignition."""
    fac = _two_ways()
    people = [PersonSpec(id="r", profile="visitor", space="R", premove=30.0),
              PersonSpec(id="a", profile="visitor", space="A", premove=30.0)]
    env = Fixed(fac, lambda t, c: None)
    env.cues = {"R": cue}
    m = EvacuationModel(fac, people, EvacParams(alarm=alarm, trajectories=False, max_time=400.0),
                        np.random.default_rng(0), environment=env)
    assert tuple(m.people.t_start.tolist()) == starts
    while not m.done() and m.t < 400.0:
        m.step()
    assert (m.people.state == State.OUT).all()
    assert m.people.t_move[0] == pytest.approx(starts[0], abs=0.06)
