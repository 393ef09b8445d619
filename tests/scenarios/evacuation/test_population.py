"""Who is where at the alarm: ``population.from_operations`` is resolved once, when the drill loads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import scenarios
import scenarios.loader
from facility.model import Facility
from scenarios.errors import ScenarioFileError
from scenarios.evacuation import EvacParams, PersonSpec, run_replication, simulate
from scenarios.evacuation.kpis import why_not_safe
from scenarios.evacuation.population import check_population, from_scenario, from_snapshot
from scenarios.evacuation.schema import EvacuationScenario
from scenarios.evacuation.testbeds import room, ward
from scenarios.loader import dump
from scenarios.operations import OperationsScenario, snapshot

LIBRARY = Path(__file__).resolve().parents[3] / "scenarios" / "library"
OPS = LIBRARY / "sample_hospital_week.yaml"


def _drill(tmp_path: Path, ops: str, time: str = "00:30", max_time: float = 30.0) -> EvacuationScenario:
    text = (f"kind: evacuation\nname: from_ops\nfacility: sample\nmax_time: {max_time}\n"
            f"trajectories: false\npopulation:\n  from_operations: {{scenario: {ops}, time: '{time}'}}\n")
    sc = scenarios.loads(text, source=str(tmp_path / "drills" / "evac.yaml"))
    assert isinstance(sc, EvacuationScenario)
    return sc


def _no_more_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, reading a scenario file fails the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a scenario file was read during the run: {args}")

    monkeypatch.setattr(scenarios, "load", refuse)
    monkeypatch.setattr(scenarios.loader, "load", refuse)
    monkeypatch.setattr(scenarios.loader, "read_input_text", refuse)


def test_operations_scenario_is_read_at_load_and_a_replication_reads_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The drill holds the operations scenario (a path relative to the drill's file works); a
    replication reads no file and starts from the people the operations run gives at that time,
    the same as when each replication read the file."""
    (tmp_path / "drills").mkdir()
    (tmp_path / "ops.yaml").write_text(OPS.read_text())
    sc = _drill(tmp_path, "../ops.yaml", max_time=1.0)
    fo = sc.population.from_operations
    assert fo is not None and isinstance(fo.scenario, OperationsScenario)
    fac = scenarios.resolve_facility(sc)
    scenarios.KINDS["evacuation"].check(sc, fac)  # type: ignore[misc]
    ops = scenarios.load(OPS)
    assert isinstance(ops, OperationsScenario)
    before = from_snapshot(snapshot(ops, 1800.0, facility=fac))  # what each replication did before
    assert len(before) > 50
    _no_more_files(monkeypatch)
    agents = run_replication(sc, fac, np.random.default_rng(3), 0).tables["agents"].to_pandas()
    assert list(agents["id"]) == [p.id for p in before]
    assert list(agents["start_space"]) == [p.space for p in before]
    assert list(agents["profile"]) == [p.profile for p in before]
    # Written out (a run folder's scenario.yaml) and read back elsewhere: no other file needed.
    again = scenarios.loader.loads(dump(sc), source=str(tmp_path / "results" / "scenario.yaml"))
    assert dump(again) == dump(sc)


@pytest.mark.parametrize(("ops", "time", "field", "words"), [
    ("nope.yaml", "14:00", "population.from_operations.scenario", "not found"),
    (str(LIBRARY / "sample_hospital_night_evacuation.yaml"), "14:00", "population.from_operations.scenario",
     "kind 'evacuation'; expected kind 'operations'"),
    (str(OPS), "999:00", "population.from_operations.time", "after the end of the operations run"),
])
def test_a_bad_operations_reference_is_named_at_load(tmp_path: Path, ops: str, time: str, field: str,
                                                     words: str) -> None:
    with pytest.raises(scenarios.ScenarioFileError) as ei:
        _drill(tmp_path, ops, time)
    assert ei.value.field == field and words in ei.value.problem
    assert str(tmp_path / "drills" / "evac.yaml") in str(ei.value)


def test_an_operations_scenario_that_does_not_fit_the_facility_is_named(tmp_path: Path) -> None:
    sc = _drill(tmp_path, str(OPS))
    with pytest.raises(scenarios.ScenarioFileError) as ei:
        scenarios.KINDS["evacuation"].check(sc, room(8, 5, [("E", 8.0, 2.5, 1.0)]))  # type: ignore[misc]
    assert ei.value.field == "population.from_operations.scenario"
    assert "does not fit facility 'room'" in ei.value.problem


@pytest.mark.parametrize("population", [
    "{}",
    "{groups: [{profile: visitor, count: 0, space: R}]}",
    "{beds: [{occupancy: 1.0}]}",  # the room has no beds
])
def test_a_population_that_places_nobody_is_named_with_its_file(population: str) -> None:
    # Found by a user: "an evacuation needs at least one occupant" named no file and no field.
    sc = scenarios.loads(f"kind: evacuation\nname: empty\npopulation: {population}\n",
                         source="drills/empty.yaml")
    assert isinstance(sc, EvacuationScenario)
    fac = room(8, 5, [("E", 8.0, 2.5, 1.0)])
    with pytest.raises(ScenarioFileError) as ei:
        check_population(sc, fac)
    assert ei.value.path == "drills/empty.yaml" and ei.value.field == "population"
    assert "places nobody" in str(ei.value) and "expected at least one occupant" in str(ei.value)
    with pytest.raises(ScenarioFileError, match=r"drills/empty\.yaml: population: places nobody"):
        from_scenario(sc, fac, np.random.default_rng(0))


def test_two_people_with_one_id_are_refused() -> None:
    sc = scenarios.loads("kind: evacuation\nname: twins\npopulation:\n  people:\n"
                         "    - {id: a, profile: visitor, space: R}\n"
                         "    - {id: a, profile: staff, space: R}\n", source="twins.yaml")
    assert isinstance(sc, EvacuationScenario)
    with pytest.raises(ScenarioFileError) as ei:
        check_population(sc, room(8, 5, [("E", 8.0, 2.5, 1.0)]))
    assert ei.value.field == "population.people[1].id" and "population.people[0]" in str(ei.value)


def test_a_refuge_with_no_way_out_is_refused_at_load_and_named_when_it_strands_people() -> None:
    # Found by a user: people moved into a dead-end refuge were stranded there, validation was
    # silent and the reason given was only "no way out usable with their mobility".
    fac = ward(rooms=2)  # compartment A (rooms and corridor KA) leads out only through B
    sc = scenarios.loads("kind: evacuation\nname: dead end\npopulation: {groups: [{profile: ambulant, "
                         "count: 3, space: KB}]}\nstrategy: {mode: progressive, fire_compartments: [B]}\n",
                         source="dead_end.yaml")
    assert isinstance(sc, EvacuationScenario)
    with pytest.raises(ScenarioFileError) as ei:
        check_population(sc, fac)
    assert ei.value.field == "strategy.fire_compartments" and "refuge has no way out" in str(ei.value)
    assert "compartment(s) A would receive the occupants of B" in str(ei.value)
    horizontal = sc.model_copy(update={"strategy": sc.strategy.model_copy(update={"mode": "horizontal"})})
    check_population(horizontal, fac)  # people stay in the refuge: no way on is needed
    # Run anyway (a model built in code is not checked): the reason names the refuge.
    people = [PersonSpec(id=f"p{k}", profile="ambulant", space="KB", premove=0.0) for k in range(3)]
    m = simulate(fac, people, EvacParams(strategy="progressive", fire_compartments=("B",), trajectories=False,
                                         max_time=300.0), np.random.default_rng(0))
    agents = m.recorder.tables()["agents"].to_pandas()
    assert agents["stranded_in_refuge"].all() and not agents["deadlocked"].any()
    assert {why_not_safe(row) for _, row in agents.iterrows()} == {
        "stranded: refuge has no way out usable with their mobility"}


def test_a_position_in_another_space_is_named_at_load() -> None:
    # Found by a user: a person given space WAIT and a point in TREAT ran, from TREAT.
    fac = ward(rooms=2)
    r0, r1 = (s for s in fac.spaces if s.kind.value == "room")
    x, y = r1.polygon.representative_point().coords[0]
    sc = scenarios.loads("kind: evacuation\nname: misplaced\npopulation:\n  people:\n"
                         f"    - {{id: a, profile: visitor, space: {r0.id}, position: [{x}, {y}]}}\n",
                         source="misplaced.yaml")
    assert isinstance(sc, EvacuationScenario)
    with pytest.raises(ScenarioFileError) as ei:
        check_population(sc, fac)
    assert ei.value.path == "misplaced.yaml" and ei.value.field == "population.people[0].position"
    assert f"not inside space {r0.id!r} (it lies in {r1.id!r})" in str(ei.value)


@pytest.mark.parametrize(("population", "field"), [
    ("{people: [{id: a, profile: visitor, space: R, position: [0.05, 2.5]}]}",
     "population.people[0].position"),
    ("{groups: [{profile: visitor, count: 2}, {profile: bed, count: 60, space: R}]}", "population.groups[1]"),
])
def test_people_who_cannot_be_placed_are_named_with_their_field(population: str, field: str) -> None:
    # Found by a user: "occupant g0-CONS-1-101: no room left in space 'CONS-1'" named no file or field.
    sc = scenarios.loads(f"kind: evacuation\nname: full\npopulation: {population}\n", source="full.yaml")
    assert isinstance(sc, EvacuationScenario)
    fac = room(8, 5, [("E", 8.0, 2.5, 1.0)])
    check_population(sc, fac)
    with pytest.raises(ScenarioFileError) as ei:
        run_replication(sc, fac, np.random.default_rng(0), 0)
    assert ei.value.path == "full.yaml" and ei.value.field == field


@pytest.mark.parametrize(("person", "field"), [
    ("{id: a, profile: ambulant, space: L1-LF, position: [21.5, 1.5]}", "population.people[0].position"),
    ("{id: a, profile: ambulant, space: L1-LF}", "population.people[0].space"),
])
def test_a_person_in_a_lift_car_is_refused(tiny_facility: Facility, person: str, field: str) -> None:
    # regression: people placed in a lift's space ran, walked out of a car nobody had called
    sc = scenarios.loads(f"kind: evacuation\nname: lift\npopulation:\n  people:\n    - {person}\n",
                         source="lift.yaml")
    assert isinstance(sc, EvacuationScenario)
    with pytest.raises(ScenarioFileError) as ei:
        check_population(sc, tiny_facility)
    assert ei.value.path == "lift.yaml" and ei.value.field == field
    assert ei.value.problem == ("'L1-LF' is the car of lift 'LIFT1' at level 'L1', and nobody can be placed "
                                "inside a lift at the alarm; expected a room, corridor, stair or refuge "
                                "(e.g. its landing 'L1-CE')")


def test_a_group_in_a_lift_car_is_refused(tiny_facility: Facility) -> None:
    sc = scenarios.loads("kind: evacuation\nname: lift\npopulation: {groups: [{profile: staff, count: 2, "
                         "space: L0-LF}]}\n", source="lift.yaml")
    assert isinstance(sc, EvacuationScenario)
    with pytest.raises(ScenarioFileError) as ei:
        check_population(sc, tiny_facility)
    assert ei.value.field == "population.groups[0].space" and "'L0-LF' is the car of lift" in ei.value.problem


def test_a_group_over_a_compartment_leaves_its_lift_car_empty(tiny_facility: Facility) -> None:
    # compartment B on L1 holds the corridor L1-CE, the room L1-R3 and the lift car L1-LF
    sc = scenarios.loads("kind: evacuation\nname: comp\npopulation: {groups: [{profile: staff, count: 2, "
                         "compartment: B}]}\n", source="comp.yaml")
    assert isinstance(sc, EvacuationScenario)
    check_population(sc, tiny_facility)
    people = from_scenario(sc, tiny_facility, np.random.default_rng(0))
    assert sorted({p.space for p in people}) == ["L1-CE", "L1-R3"] and len(people) == 4


def test_a_group_selecting_only_lift_cars_says_so(tiny_facility: Facility) -> None:
    sc = scenarios.loads("kind: evacuation\nname: lift\npopulation: {groups: [{profile: staff, count: 2, "
                         "compartment: B, use: lift}]}\n", source="lift.yaml")
    assert isinstance(sc, EvacuationScenario)
    lifted = replace(tiny_facility, spaces=tuple(replace(s, use="lift") if s.id == "L1-LF" else s
                                                 for s in tiny_facility.spaces))
    with pytest.raises(ScenarioFileError) as ei:
        check_population(sc, lifted)
    assert ei.value.field == "population.groups[0]"
    assert ei.value.problem.startswith("selects only lift cars (L1-LF), where nobody can be placed")


@pytest.mark.parametrize(("population", "field", "hint"), [
    ("{people: [{id: a, profile: visitor, space: L0R1}]}", "population.people[0].space",
     "no space 'L0R1' in facility 'tiny'; did you mean 'L0-R1'?"),
    ("{groups: [{profile: staff, count: 1, space: l0-r2}]}", "population.groups[0].space",
     "no space 'l0-r2' in facility 'tiny'; did you mean 'L0-R2'?"),
    ("{groups: [{profile: staff, count: 1, space: L0-R\uff13}]}", "population.groups[0].space",
     "'L0-R3' exists, but the reference is written 'L0-R\\uff13'"),
])
def test_a_misspelt_space_is_named_with_the_one_meant(tiny_facility: Facility, population: str, field: str,
                                                       hint: str) -> None:
    sc = scenarios.loads(f"kind: evacuation\nname: typo\npopulation: {population}\n", source="typo.yaml")
    assert isinstance(sc, EvacuationScenario)
    with pytest.raises(ScenarioFileError) as ei:
        check_population(sc, tiny_facility)
    assert ei.value.field == field and hint in ei.value.problem


def test_an_unquoted_clock_time_starts_the_drill_at_that_hour(tmp_path: Path) -> None:
    # regression: YAML 1.1 read "time: 14:00" as the base-60 number 840, so the drill started from the
    # hospital 840 seconds after the operations run began instead of at 14:00
    (tmp_path / "ops.yaml").write_text(OPS.read_text())
    text = ("kind: evacuation\nname: afternoon\nfacility: sample\nmax_time: 30\npopulation:\n"
            "  from_operations: {scenario: ops.yaml, time: 14:00}\n")
    sc = scenarios.loads(text, source=str(tmp_path / "drill.yaml"))
    assert isinstance(sc, EvacuationScenario) and sc.population.from_operations is not None
    assert sc.population.from_operations.seconds() == 14 * 3600
