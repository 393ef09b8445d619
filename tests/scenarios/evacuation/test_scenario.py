"""The evacuation scenario kind: file loading, facility checks, determinism, snapshot input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import scenarios
from agents.snapshot import DeviceState, Occupant, Snapshot
from facility.model import Facility
from scenarios.evacuation import EvacParams, from_snapshot, run_replication, simulate
from scenarios.evacuation.schema import EvacuationScenario
from scenarios.evacuation.testbeds import room

LIBRARY = Path(__file__).resolve().parents[3] / "scenarios" / "library"


def test_library_scenario_loads_and_checks() -> None:
    sc = scenarios.load(LIBRARY / "sample_hospital_night_evacuation.yaml")
    assert isinstance(sc, EvacuationScenario)
    assert sc.strategy.mode == "progressive"
    fac = scenarios.resolve_facility(sc)
    scenarios.KINDS["evacuation"].check(sc, fac)  # type: ignore[misc]


def test_unknown_space_is_named(tmp_path: Path) -> None:
    text = ("kind: evacuation\nname: bad\npopulation:\n  people:\n"
            "    - {id: a, profile: visitor, space: NOWHERE}\n")
    sc = scenarios.loads(text, source="bad.yaml")
    fac = room(8, 5, [("E", 8.0, 2.5, 1.0)])
    with pytest.raises(scenarios.ScenarioFileError) as ei:
        scenarios.KINDS["evacuation"].check(sc, fac)  # type: ignore[misc]
    assert ei.value.field == "population.people[0].space" and "bad.yaml" in str(ei.value)


def test_unknown_key_and_profile_rejected() -> None:
    with pytest.raises(scenarios.ScenarioFileError) as ei:
        scenarios.loads("kind: evacuation\nname: x\nstrategy: {mode: full, colour: red}\n", source="s.yaml")
    assert "strategy" in ei.value.field
    with pytest.raises(scenarios.ScenarioFileError):
        scenarios.loads("kind: evacuation\nname: x\npopulation: {groups: [{profile: dragon, count: 1}]}\n")


def _small(seed: int) -> EvacuationScenario:
    sc = scenarios.from_dict({"kind": "evacuation", "name": "small", "seed": seed,
                              "population": {"groups": [{"profile": "visitor", "space": "R", "count": 20}]}})
    assert isinstance(sc, EvacuationScenario)
    return sc


def test_same_seed_same_result() -> None:
    fac = room(8, 5, [("E", 8.0, 2.5, 1.0)])
    a = run_replication(_small(1), fac, np.random.default_rng(7), 0)
    b = run_replication(_small(1), fac, np.random.default_rng(7), 0)
    assert a.kpis == b.kpis
    assert a.tables["agents"].to_pandas().equals(b.tables["agents"].to_pandas())
    assert a.kpis["evacuated"] + a.kpis["remaining"] + a.kpis["in_refuge"] == a.kpis["total"] == 20


def test_snapshot_start(tiny_facility: Facility) -> None:
    snap = Snapshot(time_s=3600.0, occupants=(
        Occupant(id="n1", role="staff", profile="nurse", space="L1-CW"),
        Occupant(id="n2", role="staff", profile="nurse", space="L1-CW"),
        Occupant(id="p1", role="patient", profile="ambulant", space="L1-R1"),
        Occupant(id="p2", role="patient", profile="bed", space="L1-R3", device="V1"),
        Occupant(id="v1", role="visitor", profile="visitor", space="L0-R1"),
    ), devices=(DeviceState(id="V1", type="ventilator", space="L1-R3", state="in_use", battery_min=1.0,
                            patient="p2"),))
    people = from_snapshot(snap)
    assert [p.profile for p in people] == ["staff", "staff", "ambulant", "ventilated", "visitor"]
    m = simulate(tiny_facility, snap, EvacParams(lifts="all", trajectories=False, max_time=1800.0),
                 np.random.default_rng(0))
    agents = m.recorder.tables()["agents"].to_pandas().set_index("id")
    assert agents.loc["p1", "reached_how"] == "exit"
    assert agents.loc["v1", "reached_how"] == "exit"
    # One minute of battery cannot cover preparation (~331 s): flagged, never silent.
    assert bool(agents.loc["p2", "battery_out"])


def test_behaviour_rules_are_set_from_the_file_and_checked() -> None:
    """``movement.behaviour`` reaches the model's parameters (rules and crowd kernel alike); an
    unknown rule or a value out of range is named."""
    from scenarios.evacuation import params_of

    sc = scenarios.loads("kind: evacuation\nname: x\nmovement:\n  behaviour: {turn_after: 8, mouth: 0.5, "
                         "lift_call_ahead: 3}\n", source="s.yaml")
    assert isinstance(sc, EvacuationScenario)
    p = params_of(sc)
    assert p.behaviour.turn_after == 8.0 and p.behaviour.lift_call_ahead == 3
    assert p.model.mouth == 0.5 and p.model.kernel()[6] == 0.5
    assert p.behaviour.patience == EvacParams().behaviour.patience
    for bad, said in (("{patiance: 3}", "unknown behaviour rule 'patiance'"),
                      ("{stall_after: -1}", "stall_after must be between 1 and 300"),
                      ("{lift_call_ahead: 1.5}", "lift_call_ahead must be a whole number")):
        with pytest.raises(scenarios.ScenarioFileError) as ei:
            scenarios.loads(f"kind: evacuation\nname: x\nmovement:\n  behaviour: {bad}\n", source="s.yaml")
        assert ei.value.field == "movement.behaviour" and said in str(ei.value), str(ei.value)
