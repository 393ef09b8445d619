"""Bad infection scenarios are errors that name the file, the field and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import scenarios
from scenarios.cli import main
from scenarios.hazards.infection import InfectionScenario


def _variant(text: str, **changes: object) -> str:
    data = yaml.safe_load(text)
    data.update(changes)
    return yaml.safe_dump(data)


def test_the_small_scenario_loads(small_ed: str) -> None:
    sc = scenarios.loads(small_ed, "small.yaml")
    assert isinstance(sc, InfectionScenario)
    assert sc.pathogen.resolve().emission is not None


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"pathogen": {"preset": "ebola"}}, "pathogen.preset", "unknown pathogen 'ebola'"),
    ({"pathogen": {"preset": "measles", "emission": {"median": -1.0}}}, "pathogen.emission.median",
     "greater than or equal to 0"),
    ({"index_cases": [{"space": "L0-ED-WAIT", "pathway": "ed_minors"}]}, "index_cases[0]", "exactly one of"),
    ({"index_cases": [{"space": "L0-ED-WAIT", "mask": "scarf"}]}, "index_cases[0].mask", "unknown mask"),
    ({"air": {"door_exchange_ach": -1.0}}, "air.door_exchange_ach", "greater than or equal to 0"),
    ({"interventions": [{"name": "baseline"}]}, "interventions", "not 'baseline'"),
    ({"interventions": [{"name": "x", "cohort_staff": {"ed_doctor": 1}}]}, "interventions[0]",
     "needs 'isolate'"),
])
def test_bad_values_name_file_and_field(small_ed: str, change: dict[str, object], field: str,
                                        words: str) -> None:
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.loads(_variant(small_ed, **change), "bad.yaml")
    assert err.value.path == "bad.yaml"
    assert err.value.field == field
    assert words in err.value.problem


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"index_cases": [{"space": "NOWHERE", "start_h": 1}]}, "index_cases[0].space", "no space 'NOWHERE'"),
    ({"index_cases": [{"pathway": "ed_majors"}]}, "index_cases[0].pathway", "unknown pathway 'ed_majors'"),
    ({"air": {"hepa": [{"space": "NOWHERE", "clean_air_m3h": 100}]}}, "air.hepa[0].space", "no space"),
])
def test_references_the_facility_or_operations_lack_are_errors_before_running(
        small_ed: str, change: dict[str, object], field: str, words: str) -> None:
    sc = scenarios.loads(_variant(small_ed, **change), "bad.yaml")
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.run(sc)
    assert (err.value.path, err.value.field) == ("bad.yaml", field)
    assert words in err.value.problem


def test_cli_turns_a_bad_index_space_into_one_line_and_exit_2(small_ed: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(_variant(small_ed, index_cases=[{"space": "NOWHERE"}]))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "index_cases[0].space" in err[0] and str(path) in err[0]


def test_missing_operations_file_is_named(small_ed: str, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(_variant(small_ed, operations="nope.yaml"))
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.load(path)
    assert "nope.yaml" in str(err.value) and "not found" in str(err.value)
