"""Bad infection scenarios are errors that name the file, the field and what was expected."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    # regression: the cohort pool had no use to count its places by: an internal error
    ({"interventions": [{"name": "x", "isolate": {"if_full": "cohort"}}]}, "interventions[0].isolate",
     "'if_full: cohort' needs 'cohort_use'"),
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
    # a misspelt space or use is answered with the one meant, as in drills and hazards
    ({"index_cases": [{"space": "L0-ED-WIAT", "start_h": 1}]}, "index_cases[0].space",
     "no space 'L0-ED-WIAT' in facility 'Sample general hospital'; did you mean 'L0-ED-WAIT'?"),
    ({"air": {"isolation_spaces": ["l0-ed-wait"]}}, "air.isolation_spaces[0]", "did you mean 'L0-ED-WAIT'?"),
    # regression: a misspelt use changed no space's air, and the intervention showed no effect
    ({"interventions": [{"name": "air", "air": {"air_changes_by_use": {"ed_wating": 15}}}]},
     "interventions[0].air.air_changes_by_use.ed_wating", "no space with use 'ed_wating' in facility "
     "'Sample general hospital'; did you mean 'ed_waiting'?"),
    # regression: a case after the run's end (12 h here) was never present, and the run said 0 cases
    ({"index_cases": [{"space": "L0-ED-WAIT", "start_h": 12, "hours": 2}]}, "index_cases[0].start_h",
     "12 h is not before the end of the run (12 h)"),
    ({"index_cases": [{"pathway": "ed_minors", "arrive_h": 30}]}, "index_cases[0].arrive_h",
     "30 h is not before the end of the run"),
    # regression: a bay closed after the run's end closed nothing, and came out as the baseline
    ({"index_cases": [{"pathway": "ed_minors", "arrive_h": 8}],
      "interventions": [{"name": "cb", "close_bay": {"at_h": 30, "hours": 4}}]},
     "interventions[0].close_bay.at_h", "30 h is not before the end of the run (12 h)"),
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


def test_a_scenario_that_names_itself_is_one_short_error(small_ed: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # regression: 'operations: s.yaml' inside s.yaml recursed to Python's limit and was reported as
    # "nested too deeply" after the file's path repeated some 150 times
    path = tmp_path / "s.yaml"
    path.write_text(_variant(small_ed, operations="s.yaml"))
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.load(path)
    assert err.value.path == str(path)
    assert err.value.problem == (f"operations: {str(path)!r} is this file itself; expected an operations "
                                 "scenario file (or the scenario written inline)")
    # two files that name each other: the loop is named, once
    (tmp_path / "a.yaml").write_text(_variant(small_ed, operations=None, evacuation="b.yaml"))
    (tmp_path / "b.yaml").write_text(_variant(small_ed, operations=None, evacuation="a.yaml"))
    assert main(["run", str(tmp_path / "a.yaml"), "--out", str(tmp_path / "r")]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and line.count(str(tmp_path / "a.yaml")) == 3 and "nested" not in line
    assert f"is a file that names this one: {tmp_path / 'a.yaml'} -> {tmp_path / 'b.yaml'}" in line


def test_a_contact_only_pathogen_needs_a_case_with_contacts(small_ed: str) -> None:
    # regression: a norovirus case placed in a space has no staff or device contacts (only patients
    # of an operations pathway have them) and no emission: it ran and reported 0 expected cases
    bad = scenarios.loads(_variant(small_ed, pathogen={"preset": "norovirus"}), "noro.yaml")
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.run(bad)
    assert (err.value.path, err.value.field) == ("noro.yaml", "index_cases[0].space")
    assert err.value.problem.startswith("norovirus spreads only by contact (hands and shared devices), and a "
                                        "case placed in a space has none, so it would infect nobody")
    for ok in ([{"pathway": "ed_minors", "arrive_h": 8}],
               [{"space": "L0-ED-WAIT", "emission": {"median": 1.0}}]):  # an airborne case of its own
        sc = scenarios.loads(_variant(small_ed, pathogen={"preset": "norovirus"}, index_cases=ok), "n.yaml")
        assert isinstance(sc, InfectionScenario)
        sc.cross_check()


def test_a_negative_air_change_rate_in_an_intervention_is_refused_by_name() -> None:
    # Found by a tester: -15 ACH in the sample measles scenario ran and gave 248 secondary
    # cases against a 0.107 baseline (a negative rate adds particles instead of removing them).
    path = Path(scenarios.__file__).parent / "library" / "sample_hospital_measles_ed.yaml"
    text = path.read_text()
    assert "L0-ED-WAIT: 15}" in text
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.loads(text.replace("L0-ED-WAIT: 15}", "L0-ED-WAIT: -15}"), "measles.yaml")
    assert err.value.path == "measles.yaml"
    assert err.value.field == "interventions[1].air.air_changes.L0-ED-WAIT"
    assert "greater than or equal to 0" in err.value.problem


#: Where a number sits in the scenario (a path of keys into the YAML mapping) and the field
#: the error must name.  Mapping values (air changes by space or use, staff cohorted per pool)
#: and numbers in lists of mappings (HEPA units, mask efficiencies) are all covered.
_NUMBER_PLACES: list[tuple[tuple[object, ...], str]] = [
    (("air", "air_changes", "L0-ED-WAIT"), "air.air_changes.L0-ED-WAIT"),
    (("air", "air_changes_by_use", "ed_waiting"), "air.air_changes_by_use.ed_waiting"),
    (("interventions", 0, "air", "air_changes", "L0-ED-WAIT"), "interventions[0].air.air_changes.L0-ED-WAIT"),
    (("interventions", 0, "air", "hepa", 0, "clean_air_m3h"), "interventions[0].air.hepa[0].clean_air_m3h"),
    (("interventions", 0, "masks", "patients", "inward"), "interventions[0].masks.patients.inward"),
    (("interventions", 0, "hand_hygiene", "after"), "interventions[0].hand_hygiene.after"),
    (("interventions", 0, "cohort_staff", "ed_doctor"), "interventions[0].cohort_staff.ed_doctor"),
    (("interventions", 0, "close_bay", "hours"), "interventions[0].close_bay.hours"),
    (("index_cases", 0, "hours"), "index_cases[0].hours"),
    (("index_cases", 0, "mask", "outward"), "index_cases[0].mask.outward"),
]


def _with_number(text: str, where: tuple[object, ...], value: float) -> str:
    data = yaml.safe_load(text)
    data["interventions"] = [{
        "name": "iv", "air": {"air_changes": {"L0-ED-WAIT": 6.0}, "hepa": [{"space": "L0-ED-WAIT",
                                                                          "clean_air_m3h": 500.0}]},
        "masks": {"patients": {"inward": 0.5, "outward": 0.5}}, "hand_hygiene": {"after": 0.5},
        "isolate": {}, "close_bay": {"at_h": 1.0, "hours": 2.0}, "cohort_staff": {"ed_doctor": 1}}]
    data["index_cases"] = [{"pathway": "ed_minors", "hours": 1.0, "mask": {"inward": 0.5, "outward": 0.5}}]
    node: object = data
    for key in where[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]  # type: ignore[index]
    node[where[-1]] = value  # type: ignore[index]
    return yaml.safe_dump(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(place=st.sampled_from(_NUMBER_PLACES),
       value=st.one_of(st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=True),
                       st.sampled_from([math.nan, math.inf, -math.inf])))
def test_any_negative_or_non_finite_number_in_the_mappings_is_refused_by_name(
        small_ed: str, place: tuple[tuple[object, ...], str], value: float) -> None:
    where, field = place
    assert scenarios.loads(_with_number(small_ed, where, 1), "ok.yaml")  # the place itself is valid
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.loads(_with_number(small_ed, where, value), "bad.yaml")
    assert (err.value.path, err.value.field) == ("bad.yaml", field)


@pytest.mark.parametrize(("where", "value", "field"), [
    (("air", "air_changes", "L0-ED-WAIT"), 1000.0, "air.air_changes.L0-ED-WAIT"),
    (("interventions", 0, "air", "hepa", 0, "clean_air_m3h"), 1e7,
     "interventions[0].air.hepa[0].clean_air_m3h"),
    (("interventions", 0, "cohort_staff", "ed_doctor"), 0, "interventions[0].cohort_staff.ed_doctor"),
    (("index_cases", 0, "arrive_h"), 1e6, "index_cases[0].arrive_h"),
    (("pathogen", "infectious_d"), 1e6, "pathogen.infectious_d"),
])
def test_implausibly_large_numbers_are_refused_by_name(small_ed: str, where: tuple[object, ...],
                                                      value: float, field: str) -> None:
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.loads(_with_number(small_ed, where, value), "bad.yaml")
    assert err.value.field == field


def test_more_emission_draws_than_the_budget_allows_for_the_people_is_one_line(
        small_ed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # regression: 100,000 draws for the 2,926 people of a week of the sample hospital failed the
    # replication with an out-of-memory traceback (2.2 GiB for one of its draws x people arrays)
    path = tmp_path / "s.yaml"
    path.write_text(_variant(small_ed, emission_samples=50))
    monkeypatch.setenv("MEDTWIN_MAX_ROWS", "500")  # the budget, scaled down to this small ED
    assert main(["run", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("error:") == 1  # after the progress lines, one line
    err = err.splitlines()[-1]
    assert err.startswith(f"error: {path}: emission_samples: 50 draws for each of the ")
    assert "over the budget of 500 draws x people (set MEDTWIN_MAX_ROWS to raise it)" in err
    assert not (tmp_path / "r").exists()
    monkeypatch.setenv("MEDTWIN_MAX_ROWS", "1e8")
    assert main(["run", str(path), "--out", str(tmp_path / "r")]) == 0


def test_an_operations_run_over_the_budget_is_refused_before_it_starts(small_ed: str, tmp_path: Path) -> None:
    # regression: the operations run under an infection scenario was not budgeted: 50,000 arrivals
    # an hour over 60 days ran without a word and without end
    big = _variant(small_ed, days=60)
    big = big.replace("- 9.0", "- 50000.0")
    assert "50000.0" in big
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.run(scenarios.loads(big, "big.yaml"))
    assert (err.value.path, err.value.field) == ("big.yaml", "operations.arrivals[0].rates")
    assert "over the budget of 1e+08 (set MEDTWIN_MAX_ROWS" in err.value.problem
    # the same operations in a file of their own: its file and field are named
    data = yaml.safe_load(big)
    (tmp_path / "ops.yaml").write_text(yaml.safe_dump({"kind": "operations", "facility": "sample",
                                                       **data.pop("operations")}))
    (tmp_path / "inf.yaml").write_text(yaml.safe_dump({**data, "operations": "ops.yaml"}))
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.run(scenarios.load(tmp_path / "inf.yaml"))
    assert (err.value.path, err.value.field) == (str(tmp_path / "ops.yaml"), "arrivals[0].rates")
