"""Evacuation model rules that keep rooms from locking up: clear doorways at the start, whole teams."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.model import State
from scenarios.evacuation.testbeds import ward


def test_random_placement_keeps_doors_clear() -> None:
    fac = ward(rooms=2, beds_per_room=2)
    people = [PersonSpec(id=f"p{k}", profile=("bed" if k % 2 == 0 else "ambulant"), space=f"W{k % 2}")
              for k in range(4)]
    for seed in range(10):
        m = EvacuationModel(fac, people, EvacParams(trajectories=False), np.random.default_rng(seed))
        for k, p in enumerate(people):
            door = fac.door(f"WD{p.space[1]}")
            pe = m.people
            reach = pe.radius[k] + pe.extra[k] + m.run_state.p.behaviour.door_keep_clear
            assert np.hypot(*(pe.pos[k] - np.array(door.at))) >= reach - 0.1 * np.sqrt(2), (seed, p.id)
        # Nobody starts inside a bed's length in the same room either (through a wall they may).
        pe = m.people
        for a in range(4):
            for b in range(a + 1, 4):
                if people[a].space != people[b].space:
                    continue
                need = pe.radius[a] + pe.extra[a] + pe.radius[b] + pe.extra[b]
                assert np.hypot(*(pe.pos[a] - pe.pos[b])) >= need - 1e-9, (seed, a, b)


def test_free_staff_complete_a_started_team_first() -> None:
    """Two beds each need two staff; two free staff, each next to a different bed.

    Nearest-first alone sends them to different beds, where each would wait for ever for a
    second pair of hands. They must both go to the same bed.
    """
    fac = ward(rooms=2, beds_per_room=1)
    people = [PersonSpec(id="b0", profile="bed", space="W0", position=(2.0, 2.5)),
              PersonSpec(id="b1", profile="bed", space="W1", position=(6.0, 2.5)),
              PersonSpec(id="s0", profile="staff", space="KA", position=(2.0, 6.2), premove=0.0),
              PersonSpec(id="s1", profile="staff", space="KA", position=(6.0, 6.2), premove=0.0)]
    m = EvacuationModel(fac, people, EvacParams(strategy="horizontal", fire_compartments=("A",),
                                                trajectories=False, max_time=900.0),
                        np.random.default_rng(0))
    while not (m.people.task[2:] >= 0).all():
        m.step()
    assert m.people.task[2] == m.people.task[3]
    m.run()
    assert (m.people.state == State.REFUGE).all()
    assert not m.deadlocks


def test_people_are_mesa_agents_over_the_live_state() -> None:
    """``model.agents`` reads the arrays as they are now, and a user's DataCollector gets a row per agent."""
    import mesa

    from agents.evacuees import EvacuatingPatient, EvacuatingStaff

    fac = ward(rooms=2, beds_per_room=1)
    people = [PersonSpec(id="b0", profile="bed", space="W0", position=(2.0, 2.5)),
              PersonSpec(id="a1", profile="ambulant", space="W1", premove=0.0),
              PersonSpec(id="s0", profile="staff", space="KA", position=(2.0, 6.2), premove=0.0),
              PersonSpec(id="s1", profile="staff", space="KA", position=(3.0, 6.2), premove=0.0)]
    m = EvacuationModel(fac, people, EvacParams(trajectories=False, max_time=900.0), np.random.default_rng(0))
    assert len(m.agents) == 4
    assert {t.__name__: len(s) for t, s in m.agents_by_type.items()} == {"EvacuatingPatient": 2,
                                                                        "EvacuatingStaff": 2}
    dc = mesa.DataCollector(model_reporters={"out": _out}, agent_reporters={"x": "x", "state": "state"})
    dc.collect(m)
    while not (m.people.state[2:] == State.ATTACHED).any():
        m.step()
    dc.collect(m)
    staff = m.agents_by_type[EvacuatingStaff]
    assert {a.patient for a in staff} == {"b0"}
    assert staff.select(lambda a: a.state == "escorting")
    assert m.agents_by_type[EvacuatingPatient].select(lambda a: a.id == "b0")[0].escorts == ["s0", "s1"]
    m.run()
    dc.collect(m)
    rows = dc.get_agent_vars_dataframe()
    assert len(rows) == 3 * 4
    last = rows.xs(m.steps, level="Step")
    assert (last["state"] == "out").all()
    assert list(last["x"]) == [float(x) for x in m.people.pos[:, 0]]
    assert dc.get_model_vars_dataframe()["out"].iloc[-1] == 4
    assert m.agents.agg("safe_at", max) == float(np.nanmax(m.people.t_reach))


def _out(model: EvacuationModel) -> int:
    """Model reporter: people out (a named function, so the collector can be pickled)."""
    return int((model.people.state == State.OUT).sum())


def test_a_full_refuge_sends_the_overflow_on_to_the_exits() -> None:
    """The receiving compartment (a 3 x 3 m room) holds 9 m2 / 2.8 m2 = 3 patients (NFPA 101); the
    other three of six go on through it to the final exit."""
    from shapely.geometry import box

    from facility.model import Door, Exit, Facility, Level, Space, SpaceKind

    fac = Facility(name="refuge", levels=(Level(id="L0"),),
                   spaces=(Space(id="A", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 0, 8, 6),
                                 compartment="A"),
                           Space(id="B", level="L0", kind=SpaceKind.ROOM, polygon=box(8, 1.5, 11, 4.5),
                                 compartment="B")),
                   doors=(Door(id="D", spaces=("A", "B"), at=(8.0, 3.0), width=1.2),),
                   exits=(Exit(id="X", space="B", at=(11.0, 3.0), width=1.2),))
    people = [PersonSpec(id=f"p{k}", profile="ambulant", space="A", premove=float(k)) for k in range(6)]
    params = EvacParams(strategy="horizontal", fire_compartments=("A",), trajectories=False, max_time=600.0)
    m = EvacuationModel(fac, people, params, np.random.default_rng(0))
    m.run()
    per_patient = m.run_state.p.behaviour.refuge_area_patient
    assert int((m.people.state == State.REFUGE).sum()) == int(9.0 // per_patient) == 3
    assert int((m.people.state == State.OUT).sum()) == 3
    assert not m.deadlocks


def test_the_plan_tells_fire_spaces_and_compartments_by_lookup() -> None:
    """``in_fire`` per space and ``fire_comp`` per compartment index, a space of no compartment
    (index -1) never in the fire."""
    from shapely.geometry import box

    from facility.model import Door, Exit, Facility, Level, Space, SpaceKind

    room, corridor = SpaceKind.ROOM, SpaceKind.CORRIDOR
    fac = Facility(name="fire", levels=(Level(id="L0"),),
                   spaces=(Space(id="A", level="L0", kind=room, polygon=box(0, 0, 4, 4), compartment="A"),
                           Space(id="B", level="L0", kind=room, polygon=box(4, 0, 8, 4), compartment="B"),
                           Space(id="C", level="L0", kind=corridor, polygon=box(8, 0, 12, 4))),
                   doors=(Door(id="D1", spaces=("A", "B"), at=(4.0, 2.0), width=1.2),
                          Door(id="D2", spaces=("B", "C"), at=(8.0, 2.0), width=1.2)),
                   exits=(Exit(id="X", space="C", at=(12.0, 2.0), width=1.2),))
    people = [PersonSpec(id=f"p{s}", profile="ambulant", space=s) for s in "ABC"]
    params = EvacParams(strategy="horizontal", fire_compartments=("A",), trajectories=False, max_time=60.0)
    plan = EvacuationModel(fac, people, params, np.random.default_rng(0)).run_state.plan
    assert plan.in_fire.tolist() == [True, False, False]
    assert plan.fire_comp[plan.comp_ix["A"]] and not plan.fire_comp[plan.comp_ix["B"]]
    assert plan.space_comp[2] == -1 and not plan.fire_comp[plan.space_comp[2]]


def test_an_allocated_exit_cut_off_by_a_closed_door_falls_back_to_an_open_one() -> None:
    """People in B allocated to A's exit; the door between closes at 1 s, with one of them in its
    doorway. They take B's own exit (they stood for good, stranded, before), and the one in the
    doorway steps back into B (left in the closed door, a wall now, they could never move)."""
    from shapely.geometry import box

    from facility.model import Door, Exit, Facility, Level, Space, SpaceKind

    sp = [Space(id="A", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 0, 8, 6), compartment="C"),
          Space(id="B", level="L0", kind=SpaceKind.ROOM, polygon=box(8, 0, 16, 6), compartment="C")]
    fac = Facility(name="two_rooms", levels=(Level(id="L0"),), spaces=tuple(sp),
                   doors=(Door(id="D", spaces=("A", "B"), at=(8.0, 3.0), width=1.2),),
                   exits=(Exit(id="XB", space="B", at=(16.0, 3.0), width=1.2),
                          Exit(id="XA", space="A", at=(0.0, 3.0), width=1.2)))
    people = [PersonSpec(id=f"p{k}", profile="visitor", space="B", position=(9.0 + k, 2.0 + 0.5 * k),
                         exit="XA", premove=0.0) for k in range(4)]
    params = EvacParams(max_time=300.0, trajectories=False, door_closures=(("D", 1.0),))
    m = EvacuationModel(fac, people, params, np.random.default_rng(0))
    m.run()
    assert (m.people.state == State.OUT).all()
    assert set(m.people.exit_used) == {"XB"}
    assert not m.people.stranded.any()


@pytest.mark.parametrize(("unit", "size", "exit_at", "start"), [
    ("bed", (8.0, 6.0), (8.0, 3.0), (3.0, 3.0)),
    ("wheelchair", (8.0, 6.0), (8.0, 3.0), (3.0, 3.0)),
    ("bed", (5.5, 4.0), (2.75, 4.0), (1.15, 1.15)),
])
def test_a_unit_passes_an_exit_of_its_mobility_width(unit: str, size: tuple[float, float],
                                                    exit_at: tuple[float, float],
                                                    start: tuple[float, float]) -> None:
    """A bed through a 1.1 m exit, a wheelchair through a 0.8 m one: the narrowest the mobility
    table (and routing) allow. The room raster is exact near walls, so the unit's centre has the
    few centimetres of play the door leaves it, and the exit's gate admits its width exactly;
    the front of its footprint beyond the exit is in the open air, not in a wall.  The last case
    is an exit in a north wall at which the jambs' push once turned the bed back for the rest
    of the run (:mod:`agents.movement.wall_normals`)."""
    from facility.mobility import MOBILITIES
    from scenarios.evacuation.testbeds import room

    w, d = size
    fac = room(w, d, [("E", *exit_at, MOBILITIES[unit].min_door_width)])
    people = [PersonSpec(id="u", profile=unit, space="R", position=start),
              PersonSpec(id="s1", profile="staff", space="R", position=(0.5, 0.5), premove=0.0),
              PersonSpec(id="s2", profile="staff", space="R", position=(0.5, d - 0.5), premove=0.0)]
    m = EvacuationModel(fac, people, EvacParams(max_time=300.0, trajectories=False), np.random.default_rng(1))
    m.run()
    assert (m.people.state == State.OUT).all()
    assert not m.deadlocks
