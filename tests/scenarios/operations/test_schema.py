"""Bad operations scenario files: each a clear error naming the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import scenarios
from scenarios.errors import ScenarioFileError
from scenarios.operations.schema import OperationsScenario
from tests.scenarios.operations.conftest import base_copy

LIBRARY = Path(__file__).resolve().parents[3] / "scenarios" / "library"


def load_bad(tmp_path: Path, data: dict[str, Any]) -> ScenarioFileError:
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioFileError) as info:
        scenarios.load(p)
    err = info.value
    assert err.path == str(p)
    assert str(p) in str(err)
    return err


def test_base_scenario_is_valid_and_frozen() -> None:
    sc = scenarios.from_dict(base_copy())
    assert isinstance(sc, OperationsScenario)
    with pytest.raises(Exception, match="frozen"):
        sc.seed = 5  # type: ignore[misc]


@pytest.mark.parametrize("name", ["nelson_treatment_centre.yaml", "sample_hospital_week.yaml"])
def test_library_scenarios_load(name: str) -> None:
    sc = scenarios.load(LIBRARY / name)
    assert isinstance(sc, OperationsScenario)
    assert sc.source == str(LIBRARY / name)


def test_unknown_key(tmp_path: Path) -> None:
    d = base_copy()
    d["pathways"]["urgent"]["steps"][0]["durration"] = 3
    err = load_bad(tmp_path, d)
    assert err.field == "pathways.urgent.steps[0].durration"
    assert "unknown key" in err.problem


def test_wrong_type(tmp_path: Path) -> None:
    d = base_copy()
    d["resources"]["pump"]["count"] = "many"
    err = load_bad(tmp_path, d)
    assert err.field == "resources.pump.count"
    assert "integer" in err.problem


def test_negative_duration(tmp_path: Path) -> None:
    d = base_copy()
    d["pathways"]["clinic_visit"]["steps"][0]["duration"]["mean"] = -12
    err = load_bad(tmp_path, d)
    assert err.field == "pathways.clinic_visit.steps[0].duration.mean"
    assert "greater than 0" in err.problem


def test_negative_triangular_bound(tmp_path: Path) -> None:
    d = base_copy()
    d["resources"]["bed"]["turnaround"]["min"] = -1
    err = load_bad(tmp_path, d)
    assert err.field == "resources.bed.turnaround.min"


def test_branch_probabilities_must_sum_to_one(tmp_path: Path) -> None:
    d = base_copy()
    d["pathways"]["clinic_visit"]["steps"][0]["next"][0]["p"] = 0.3
    err = load_bad(tmp_path, d)
    assert err.field == "pathways.clinic_visit.steps[0].next"
    assert "sum to 1" in err.problem and "1.1" in err.problem


def test_mix_and_acuity_probabilities_must_sum_to_one(tmp_path: Path) -> None:
    d = base_copy()
    d["arrivals"][0]["mix"]["urgent"] = 0.1
    assert load_bad(tmp_path, d).field == "arrivals[0].mix"
    d = base_copy()
    d["pathways"]["urgent"]["acuity"] = {1: 0.5, 2: 0.6}
    assert load_bad(tmp_path, d).field == "pathways.urgent.acuity"


def test_branch_to_unknown_step(tmp_path: Path) -> None:
    d = base_copy()
    d["pathways"]["clinic_visit"]["steps"][0]["next"][0]["to"] = "infusoin"
    err = load_bad(tmp_path, d)
    assert err.field == "pathways.clinic_visit"
    assert "infusoin" in err.problem


def test_step_needs_unknown_resource(tmp_path: Path) -> None:
    d = base_copy()
    d["pathways"]["urgent"]["steps"][1]["needs"] = ["bed", "porter"]
    err = load_bad(tmp_path, d)
    assert err.field == "pathways.urgent.steps[1].needs[1]"
    assert "'porter'" in err.problem


def test_roster_with_nobody_ever_on_duty(tmp_path: Path) -> None:
    d = base_copy()
    for shift in d["resources"]["nurse"]["roster"]:
        shift["count"] = 0
    err = load_bad(tmp_path, d)
    assert err.field == "resources.nurse.roster"
    assert "never on duty" in err.problem


def test_unknown_pathway_in_mix(tmp_path: Path) -> None:
    d = base_copy()
    d["arrivals"][0]["mix"] = {"clinic_visit": 0.8, "urgnet": 0.2}
    err = load_bad(tmp_path, d)
    assert err.field == "arrivals[0].mix.urgnet"


def test_step_space_use_the_facility_lacks(tiny_facility: Any) -> None:
    d = base_copy()
    d["pathways"]["urgent"]["steps"][1]["space_use"] = "helipad"
    sc = scenarios.from_dict(d, source="tiny.yaml")
    with pytest.raises(ScenarioFileError) as info:
        scenarios.run(sc, facility=tiny_facility)
    assert info.value.path == "tiny.yaml"
    assert info.value.field == "pathways.urgent.steps[1].space_use"
    assert "helipad" in info.value.problem and "ward_bay" in info.value.problem


def test_walking_off_does_not_need_space_uses(tiny_facility: Any) -> None:
    d = base_copy()
    d["walking"] = {"enabled": False}
    d["pathways"]["urgent"]["steps"][1]["space_use"] = "helipad"
    sc = scenarios.from_dict(d, source="tiny.yaml")
    res = scenarios.run(sc, facility=tiny_facility, replications=1)
    assert res.kpis["patients.arrived"]["mean"] > 0


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("warmup", 3000, "shorter than"),
    ("length", 0, "greater than 0"),
])
def test_run_fields(tmp_path: Path, field: str, value: float, fragment: str) -> None:
    d = base_copy()
    d["run"][field] = value
    err = load_bad(tmp_path, d)
    assert err.field.startswith("run")
    assert fragment in err.problem


def test_hold_must_be_a_need(tmp_path: Path) -> None:
    d = base_copy()
    d["pathways"]["urgent"]["steps"][0]["hold"] = ["bed"]
    err = load_bad(tmp_path, d)
    assert err.field == "pathways.urgent.steps[0]"
    assert "hold" in err.problem


def test_distribution_needs_its_parameters(tmp_path: Path) -> None:
    d = base_copy()
    d["pathways"]["urgent"]["steps"][1]["duration"] = {"dist": "lognormal", "mean": 10}
    err = load_bad(tmp_path, d)
    assert err.field == "pathways.urgent.steps[1].duration"
    assert "sd" in err.problem


def _with_isolation(**iso: Any) -> dict[str, Any]:
    d = base_copy()
    d["resources"]["iso_room"] = {"kind": "room", "count": 1, "space_use": "store"}
    d["pathways"]["clinic_visit"]["isolation"] = {"share": 0.1, "room": "iso_room", **iso}
    return d


def test_response_levers_name_the_bad_field(tmp_path: Path) -> None:
    d = _with_isolation(room="nope")
    err = load_bad(tmp_path, d)
    assert err.field == "pathways.clinic_visit.isolation.room" and "'nope'" in err.problem
    err = load_bad(tmp_path, _with_isolation(room="nurse"))
    assert err.field == "pathways.clinic_visit.isolation.room" and "room or bed" in err.problem
    err = load_bad(tmp_path, _with_isolation(room="clinic"))  # also a step need
    assert err.field == "pathways.clinic_visit.isolation.room"
    err = load_bad(tmp_path, _with_isolation(if_full="cohort"))
    assert err.field == "pathways.clinic_visit.isolation" and "cohort" in err.problem
    err = load_bad(tmp_path, _with_isolation(after="triage"))
    assert err.field == "pathways.clinic_visit.isolation.after" and "'triage'" in err.problem
    err = load_bad(tmp_path, _with_isolation(share=1.5))
    assert err.field == "pathways.clinic_visit.isolation.share"
    d = _with_isolation()
    d["resources"]["iso_room"]["preemptive"] = True
    assert load_bad(tmp_path, d).field == "resources.iso_room.preemptive"
    d = base_copy()
    d["resources"]["nurse"]["cohort_units"] = 1  # no pathway isolates anyone
    assert load_bad(tmp_path, d).field == "resources.nurse.cohort_units"
    d = _with_isolation()
    d["resources"]["nurse"]["cohort_units"] = 2  # the roster has at most 2 on duty
    err = load_bad(tmp_path, d)
    assert err.field == "resources.nurse" and "cohort_units" in err.problem


def test_closures_queue_limits_and_units_are_checked(tmp_path: Path) -> None:
    d = base_copy()
    d["resources"]["bed"]["closures"] = [{"start_h": 10, "end_h": 5, "count": 1}]
    assert load_bad(tmp_path, d).field == "resources.bed.closures[0]"
    d["resources"]["bed"]["closures"] = [{"start_h": 1, "end_h": 5}]
    assert "exactly one" in load_bad(tmp_path, d).problem
    d["resources"]["bed"]["closures"] = [{"start_h": 1, "end_h": 5, "count": 1, "deep_clean_h": 2},
                                         {"start_h": 6, "end_h": 9, "space": "L1-R1"}]
    err = load_bad(tmp_path, d)
    assert err.field == "resources.bed" and "overlap" in err.problem
    d["resources"]["bed"]["closures"] = [{"start_h": 1, "end_h": 5, "count": 1, "deep_clean_h": float("nan")}]
    assert load_bad(tmp_path, d).field == "resources.bed.closures[0].deep_clean_h"
    d = base_copy()
    d["resources"]["pump"]["closures"] = [{"start_h": 1, "end_h": 5, "count": 1}]
    assert "rooms and beds" in load_bad(tmp_path, d).problem
    d = base_copy()
    d["resources"]["bed"]["queue_limit"] = -1
    assert load_bad(tmp_path, d).field == "resources.bed.queue_limit"
    d = base_copy()
    d["pathways"]["urgent"]["steps"][1]["on_full"] = "nowhere"
    err = load_bad(tmp_path, d)
    assert err.field == "pathways.urgent.steps[1].on_full" and "'nowhere'" in err.problem
    d = base_copy()
    d["pathways"]["urgent"]["steps"][0]["on_full"] = "admit"
    d["pathways"]["urgent"]["steps"][1]["on_full"] = "assess"
    err = load_bad(tmp_path, d)
    assert err.field == "pathways.urgent" and "circle" in err.problem
    d = base_copy()
    d["arrivals"][0]["rate_unit"] = "per_fortnight"
    assert load_bad(tmp_path, d).field == "arrivals[0].rate_unit"
    d = base_copy()
    d["run"]["batches"] = 1
    assert load_bad(tmp_path, d).field == "run.batches"


def test_a_closed_space_must_exist_in_the_facility(tiny_facility: Any) -> None:
    from scenarios.operations.runs import check

    d = base_copy()
    d["resources"]["bed"]["closures"] = [{"start_h": 1, "end_h": 5, "space": "L1-R9"}]
    sc = scenarios.from_dict(d, source="tiny.yaml")
    with pytest.raises(ScenarioFileError) as info:
        check(sc, tiny_facility)  # type: ignore[arg-type]
    assert info.value.field == "resources.bed.closures[0].space" and "'L1-R9'" in info.value.problem
    d["resources"]["bed"]["closures"] = [{"start_h": 1, "end_h": 5, "space": "L0-R1"}]  # a clinic, not a bay
    with pytest.raises(ScenarioFileError) as info:
        check(scenarios.from_dict(d, source="tiny.yaml"), tiny_facility)  # type: ignore[arg-type]
    assert "ward_bay" in info.value.problem


def test_weekday_factors_with_decimal_commas_say_so(tmp_path: Path) -> None:
    # [1,0, 1,0, ...] in a file is 14 whole numbers to YAML: the count alone was reported
    text = yaml.safe_dump(base_copy())
    data = yaml.safe_load(text)
    data["arrivals"][0]["weekday_factors"] = [1, 0] * 7
    err = load_bad(tmp_path, data)
    assert err.field == "arrivals[0].weekday_factors"
    assert "got 14 (twice 7: decimal commas such as 1,0 for 1.0?" in err.problem


@pytest.mark.parametrize("clock", ["07:30", "7:30"])
def test_a_shift_written_as_a_clock_time_says_how_to_write_it(tmp_path: Path, clock: str) -> None:
    # regression: YAML 1.1 read 7:30 as 450 (base 60), "should be less than 24, got 450"
    p = tmp_path / "bad.yaml"
    data = base_copy()
    first = next(iter(data["resources"]))
    data["resources"][first] = {"kind": "staff", "roster": [{"start": 0, "end": 12, "count": 1}]}
    p.write_text(yaml.safe_dump(data).replace("start: 0", f"start: {clock}"), encoding="utf-8")
    with pytest.raises(ScenarioFileError) as info:
        scenarios.load(p)
    assert info.value.field == f"resources.{first}.roster[0].start"
    assert info.value.problem.startswith(
        f"Input should be a valid number, got {clock!r} (a clock time: write it as a number in the field's "
        "unit, e.g. 7.5 hours for 07:30; see docs/scenarios.md)")
