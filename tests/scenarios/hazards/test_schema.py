"""Bad hazard input is an error naming the file and the field."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import pytest

import scenarios
from scenarios.errors import ScenarioFileError
from scenarios.evacuation import check
from scenarios.hazards.cases import ward
from scenarios.hazards.schema import POLYURETHANE, FireSpec, HazardSpec, Yields, water_yield
from scenarios.hazards.species import PRESETS

HEAD = """kind: evacuation
name: t
population:
  groups: [{profile: ambulant, space: R1, count: 1}]
"""


def _load(hazard: str) -> scenarios.ScenarioBase:
    return scenarios.loads(HEAD + "hazard:\n" + hazard, "drill.yaml")


def _check(hazard: str) -> None:
    check(_load(hazard), ward(6))  # type: ignore[arg-type]


def _refused(read: Callable[[str], object], hazard: str) -> pytest.ExceptionInfo[ScenarioFileError]:
    """The error that reading ``hazard`` with ``read`` (:func:`_load` or :func:`_check`) raises."""
    with pytest.raises(ScenarioFileError) as err:
        read(hazard)
    return err


def test_a_fire_origin_that_is_not_a_space_names_the_file_and_field() -> None:
    err = _refused(_check, "  fire: {origin: NOWHERE}\n")
    assert err.value.path == "drill.yaml" and err.value.field == "hazard.fire.origin"
    assert "NOWHERE" in str(err.value)


def test_a_negative_heat_release_is_refused() -> None:
    err = _refused(_load, "  fire: {origin: R1, peak_hrr: -5}\n")
    assert err.value.field == "hazard.fire.peak_hrr"
    err = _refused(_load, "  fire: {origin: R1, growth: table, hrr_table: [[0, 0], [60, -100]]}\n")
    assert err.value.field == "hazard.fire.hrr_table" and "must be >= 0" in str(err.value)


@pytest.mark.parametrize(("table", "words"), [
    ("[[0, 0], [60, 1e12]]", "row 1: heat release rate must be >= 0 and <= 50,000 kW, got 1e+12"),
    ("[[0, 0], [1e300, 1000]]", "row 1: time must be at most 864,000 s after ignition"),
])
def test_a_heat_release_table_beyond_any_fire_is_refused(table: str, words: str) -> None:
    # regression: a 1e12 kW row ran and, oxygen-limited, gave the fire room 20.00003 deg C (every
    # space tenable); a row at 1e300 s made a ramp so slow that nothing ever burnt
    err = _refused(_load, f"  fire: {{origin: R1, growth: table, hrr_table: {table}}}\n")
    assert err.value.field == "hazard.fire.hrr_table" and words in err.value.problem


def test_a_gas_without_any_threshold_is_refused() -> None:
    with pytest.raises(ScenarioFileError) as err:
        _load("  gas:\n    space: R1\n    species: custom\n    custom: {name: x, molecular_weight: 50}\n"
              "    source: {kind: instantaneous, mass: 1}\n")
    assert err.value.field == "hazard.gas.custom" and "threshold" in str(err.value)


def test_an_unknown_door_names_the_list_entry() -> None:
    err = _refused(_check, "  fire: {origin: R1, doors: {wedged_open: [SB, D99]}}\n")
    assert err.value.field == "hazard.fire.doors.wedged_open[1]" and "D99" in str(err.value)


@pytest.mark.parametrize(("hazard", "field"), [
    ("  fire: {origin: R1, peak_hrr: .nan}\n", "hazard.fire.peak_hrr"),
    ("  fire: {origin: R1, colour: red}\n", "hazard.fire.colour"),
    ("  gas: {space: R1, species: argon, source: {kind: instantaneous, mass: 1}}\n", "hazard.gas"),
    ("  gas: {space: R1, species: chlorine, source: {kind: leak, rate: 0.1}}\n", "hazard.gas.source"),
    ("  tenability: {fed: 0.3}\n", "hazard"),
    ("  fire: {origin: R1, alarm: detection}\n", "hazard.fire"),
    ("  fire: {origin: R1, area: -1}\n", "hazard.fire.area"),
    ("  fire: {origin: R1, area: .inf}\n", "hazard.fire.area"),
    ("  fire: {origin: R1, growth: table, hrr_table: [[0, 0], [60, 9], [30, 2]]}\n", "hazard.fire.hrr_table"),
    ("  fire: {origin: R1, yields: {soot: .nan}}\n", "hazard.fire.yields.soot"),
    ("  fire: {origin: R1, detectors: [{kind: sprinkler, rti: -50}]}\n", "hazard.fire.detectors[0].rti"),
    ("  gas: {space: R1, species: helum, source: {kind: instantaneous, mass: 1}}\n", "hazard.gas"),
])
def test_other_bad_values_name_their_field(hazard: str, field: str) -> None:
    err = _refused(_load, hazard)
    assert err.value.field == field


def test_a_heat_release_table_the_growth_would_ignore_is_refused() -> None:
    """A table with ``growth: medium`` ran the t-squared curve instead, without a word."""
    err = _refused(_load, "  fire: {origin: R1, hrr_table: [[0, 0], [60, 500]]}\n")
    assert err.value.field == "hazard.fire" and "growth: table" in str(err.value)
    _load("  fire: {origin: R1, growth: table, hrr_table: [[0, 0], [60, 500]]}\n")


def test_a_door_given_where_a_space_is_expected_says_it_is_a_door() -> None:
    for hazard, field in (("  fire: {origin: SB}\n", "hazard.fire.origin"),
                          ("  gas: {space: D1, species: helium, source: {kind: instantaneous, mass: 1}}\n",
                           "hazard.gas.space")):
        err = _refused(_check, hazard)
        assert err.value.field == field and "that is a door" in str(err.value)


def test_a_misspelt_space_is_named_with_the_one_meant() -> None:
    err = _refused(_check, "  fire: {origin: r1}\n")
    assert err.value.field == "hazard.fire.origin" and err.value.problem.endswith("; did you mean 'R1'?")


def test_ids_checked_against_the_facility() -> None:
    for hazard, field in (("  fire: {origin: R1, detectors: [{kind: smoke, space: X}]}\n",
                           "hazard.fire.detectors[0].space"),
                          ("  fire: {origin: R1, vents: [{space: R1, to: X, width: 1, soffit: 2}]}\n",
                           "hazard.fire.vents[0].to"),
                          ("  fire: {point: [500, 500], level: L0}\n", "hazard.fire.point"),
                          ("  gas: {space: X, species: helium, source: {kind: instantaneous, mass: 1}}\n",
                           "hazard.gas.space"),
                          ("  gas: {space: R1, species: helium, source: {kind: instantaneous, mass: 1},"
                           " doors: {closed: [D1, Q]}}\n", "hazard.gas.doors.closed[1]")):
        err = _refused(_check, hazard)
        assert err.value.field == field


def test_detection_by_detectors_the_fire_cannot_reach_is_refused_before_the_run() -> None:
    # R2 without its door shares no opening with the fire room R1: it never alarms.
    sealed = dataclasses.replace(ward(6), doors=tuple(d for d in ward(6).doors if d.id != "D2"))
    fire = "  fire: {origin: R1, alarm: detection, detectors: [%s]}\n"
    with pytest.raises(ScenarioFileError) as err:
        check(_load(fire % "{kind: smoke, space: R2}"), sealed)  # type: ignore[arg-type]
    assert err.value.path == "drill.yaml" and err.value.field == "hazard.fire.detectors"
    assert "'R1': R2 share(s) no door" in err.value.problem
    # one detector the smoke can reach (through the corridor, or a vent) is enough; so is a fixed alarm
    for ok in (fire % "{kind: smoke, space: R2}, {kind: heat, space: KB}",
               "  fire: {origin: R1, alarm: detection, detectors: [{kind: smoke, space: R2}],"
               " vents: [{space: R2, to: R1, width: 0.2, soffit: 2.0}]}\n",
               "  fire: {origin: R1, detectors: [{kind: sprinkler, space: R2}]}\n"):
        check(_load(ok), sealed)  # type: ignore[arg-type]


def test_a_valid_hazard_round_trips_and_presets_carry_thresholds() -> None:
    sc = _load("  fire: {origin: R1, growth: fast, peak_hrr: 2000, detectors: [{kind: sprinkler}]}\n")
    _check("  fire: {point: [2, 2], level: L0}\n")
    assert isinstance(sc.hazard, HazardSpec) and isinstance(sc.hazard.fire, FireSpec)  # type: ignore[attr-defined]
    assert scenarios.loads(scenarios.dump(sc), "again.yaml").hazard == sc.hazard  # type: ignore[attr-defined]
    for sp in PRESETS.values():
        assert sp.asphyxiant or sp.untenable_ppm(10) is not None


def test_a_fire_without_an_area_spreads_at_250_kw_per_m2_and_one_with_an_area_keeps_it() -> None:
    spreading = FireSpec(origin="R1", peak_hrr=1000.0)
    assert spreading.burning_area(1000.0) == 4.0 and spreading.burning_area(42.0) == 42.0 / 250.0
    assert spreading.burning_area(0.0) == 0.0
    assert FireSpec(origin="R1", area=1.8).burning_area(1000.0) == 1.8


def test_the_water_yield_is_the_fuels_hydrogen_not_bound_in_hcn_as_cfast_derives_it() -> None:
    # propene, C3H6: three waters per molecule, 3 x 18.016 / 42.078 kg/kg
    assert math.isclose(water_yield({"C": 3.0, "H": 6.0}, hcn=0.0), 3 * 18.016 / 42.078, rel_tol=1e-12)
    # hydrogen that leaves in HCN makes no water; HCN is bounded by the fuel's nitrogen
    assert water_yield(POLYURETHANE, hcn=0.05) < water_yield(POLYURETHANE, hcn=0.0)
    assert water_yield({"C": 1.0, "H": 4.0}, hcn=0.3) == water_yield({"C": 1.0, "H": 4.0}, hcn=0.0)
    assert Yields().h2o == round(water_yield(POLYURETHANE, hcn=Yields().hcn), 3) == 0.489


def test_an_unquoted_off_is_explained_not_refused_as_not_off() -> None:
    # regression: "hvac: off" was read by YAML as false and refused as "should be 'off' ..., got False"
    err = _refused(_load, "  fire: {origin: R1, hvac: off}\n")
    assert err.value.field == "hazard.fire.hvac"
    assert "got false (YAML reads unquoted off, on, no and yes as false/true" in err.value.problem


def test_a_fire_point_on_a_shared_wall_is_refused_not_put_in_either_room() -> None:
    # regression: a point on the wall between R1 and R2 set the fire in whichever came first
    err = _refused(_check, "  fire: {point: [4.0, 2.0], level: L0}\n")
    assert err.value.field == "hazard.fire.point"
    assert "lies on the wall between R1 and R2" in err.value.problem
    _check("  fire: {point: [3.0, 2.0], level: L0}\n")  # inside R1


def test_a_peak_in_megawatts_is_refused_as_smaller_than_any_design_fire() -> None:
    # regression: 'peak_hrr: 1.7' (a 1.7 MW mattress in MW) ran a 1.7 kW flame, and the drill
    # reported every compartment tenable to the horizon
    err = _refused(_load, "  fire: {origin: R1, peak_hrr: 1.7}\n")
    assert err.value.path == "drill.yaml" and err.value.field == "hazard.fire.peak_hrr"
    assert "expected at least 10 kW" in err.value.problem and "1700" in err.value.problem
    assert err.value.problem.endswith("got 1.7")
    _load("  fire: {origin: R1, peak_hrr: 10}\n")  # a small bin fire is still a fire


def test_a_peak_beside_a_heat_release_table_is_refused_not_ignored() -> None:
    # regression: with 'growth: table' the table's rows set the heat release; peak_hrr was dropped
    err = _refused(_load, "  fire: {origin: R1, growth: table, peak_hrr: 500,"
                          " hrr_table: [[0, 0], [60, 2000]]}\n")
    assert err.value.field == "hazard.fire" and "peak_hrr would be ignored" in err.value.problem


@pytest.mark.parametrize(("hazard", "field", "words"), [
    ("  fire: {origin: R1, start: 2000}\n  horizon: 1800\n", "hazard.fire.start",
     "lit 2000 s after the alarm"),
    ("  gas: {space: R1, species: chlorine, source: {kind: instantaneous, mass: 1, start: 3600}}\n",
     "hazard.gas.source.start", "not before the hazard's horizon (1800 s)"),
    ("  gas: {space: R1, species: chlorine,\n"
     "        source: {kind: rate, rate_table: [[0, 0], [1800, 0], [1900, 1]]}}\n",
     "hazard.gas.source.rate_table", "no gas is released before 1800 s"),
])
def test_a_hazard_that_starts_after_its_horizon_is_refused(hazard: str, field: str, words: str) -> None:
    # regression: the hazard was computed to the horizon before anything burned or leaked, and the
    # drill reported every space tenable "beyond the horizon"
    err = _refused(_check, hazard)
    assert err.value.path == "drill.yaml" and err.value.field == field and words in err.value.problem
    _check(hazard.replace("1800\n", "2400\n") if "horizon" in hazard
           else hazard.replace("}}\n", "}}\n  horizon: 7200\n"))


@pytest.mark.parametrize(("source", "words"), [
    ("{kind: rate, rate_table: [[0, 0], [60, 0]]}", "releases no gas"),
    ("{kind: leak, rate: 0.1, mass: 5, start: 60, isolate_at: 30}", "shut before it begins"),
])
def test_a_gas_source_that_releases_nothing_is_refused(source: str, words: str) -> None:
    # regression: both ran, released nothing, and reported every space tenable
    err = _refused(_load, f"  gas: {{space: R1, species: chlorine, source: {source}}}\n")
    assert err.value.field == "hazard.gas.source" and words in err.value.problem


def test_a_hazard_of_millions_of_steps_or_map_rows_is_refused_before_the_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # regression: 'dt: 0.01' over a day's horizon asked for 8.6 million hazard steps, and the drill sat
    # at "0 s simulated" for as long as anyone waited (~40 min on the sample hospital)
    err = _refused(_check, "  fire: {origin: R1}\n  dt: 0.01\n  horizon: 86400\n")
    assert err.value.path == "drill.yaml" and err.value.field == "hazard.dt"
    assert err.value.problem == ("0.01 s over the horizon of 86400 s is 8.64e+06 hazard steps, more than "
                                 "200,000; expected a 'dt' of at least 0.432 s (or a shorter "
                                 "'hazard.horizon')")
    _check("  fire: {origin: R1}\n  dt: 0.5\n  horizon: 86400\n")
    # the maps kept for playback: a row per space and record, within the budget's rows
    monkeypatch.setenv("MEDTWIN_MAX_ROWS", "1e4")
    err = _refused(_check, "  fire: {origin: R1}\n  record_every: 0.1\n  horizon: 3600\n")
    assert err.value.field == "hazard.record_every"
    assert "every 1 s over the horizon of 3600 s" in err.value.problem
    _check("  fire: {origin: R1}\n  record_every: 60\n  horizon: 3600\n")


def test_a_vent_into_its_own_space_or_above_the_ceiling_is_refused() -> None:
    # regression: both ran as given: a vent from R1 into R1 carried nothing, and a 20 m tall window
    # in a 2.7 m room was a 20 m^2 opening per metre of width
    err = _refused(_load, "  fire: {origin: R1, vents: [{space: R1, to: R1, width: 1, soffit: 2}]}\n")
    assert err.value.field == "hazard.fire.vents[0]"
    assert "'to' is the vent's own space 'R1'" in err.value.problem
    err = _refused(_check, "  fire: {origin: R1, vents: [{space: R1, width: 1, sill: 1, soffit: 20}]}\n")
    assert err.value.field == "hazard.fire.vents[0].soffit"
    assert err.value.problem.startswith("20 m is above the ceiling of 'R1' (2.7 m)")
    _check("  fire: {origin: R1, vents: [{space: R1, width: 1, sill: 1, soffit: 2.7}]}\n")


def test_a_burning_item_that_does_not_fit_its_room_is_refused() -> None:
    # regression: with its top at or above the 2.7 m ceiling the plume had no height, the fire made
    # no smoke and every space was reported tenable; a burning area of 100 m^2 filled a 20 m^2 room
    err = _refused(_check, "  fire: {origin: R1, base_height: 2.7}\n")
    assert err.value.field == "hazard.fire.base_height"
    assert err.value.problem.startswith("2.7 m is at or above the ceiling of the fire's room 'R1' (2.7 m)")
    err = _refused(_check, "  fire: {point: [2, 2], level: L0, area: 100}\n")
    assert err.value.field == "hazard.fire.area"
    assert "more than the floor of the fire's room 'R1' (20" in err.value.problem
    _check("  fire: {origin: R1, base_height: 1.2, area: 4}\n")


def test_an_oxygen_limit_at_the_ambient_level_is_refused() -> None:
    # regression: 'oxygen_percent: 20.9' made every space untenable at the first trace of any gas
    with pytest.raises(ScenarioFileError) as err:
        _load("  gas: {space: R1, species: helium, source: {kind: instantaneous, mass: 1}}\n"
              "  tenability: {oxygen_percent: 20.9}\n")
    assert err.value.field == "hazard.tenability.oxygen_percent" and "less than 20.9" in err.value.problem


@pytest.mark.parametrize(("limits", "words"), [
    ("{fed: 0.05}", "'fed_patient' (0.1) is above 'fed' (0.05)"),
    ("{visibility_small: 10, visibility_large: 5}",
     "'visibility_small' (10 m) is above 'visibility_large' (5 m)"),
])
def test_swapped_tenability_limits_are_refused(limits: str, words: str) -> None:
    # regression: patients were judged by a looser FED limit than staff, small rooms by a longer view
    err = _refused(_load, f"  fire: {{origin: R1}}\n  tenability: {limits}\n")
    assert err.value.field == "hazard.tenability" and words in err.value.problem
    _load("  fire: {origin: R1}\n  tenability: {fed: 0.05, fed_patient: 0.05}\n")


@pytest.mark.parametrize(("gas", "field", "words"), [
    ("{space: R1, species: helium, source: {kind: instantaneous, mass: 100000}}", "hazard.gas.source.mass",
     "100000 kg at once is 6.01e+05 m^3 of helium (MRI quench), more than the 54 m^3 of 'R1' holds"),
    ("{space: R1, species: chlorine, source: {kind: leak, rate: 1000, mass: 100000}}",
     "hazard.gas.source.rate",
     "1000 kg/s over a hazard step of 1 s is 339 m^3 of chlorine (mixed cleaning agents), more than the "
     "36 m^3 of 'R1' (its lowest 1.8 m, where a dense gas mixes) holds"),
])
def test_a_release_larger_than_its_space_in_one_step_is_refused(gas: str, field: str, words: str) -> None:
    # regression: 100,000 kg of helium at once gave 3.5e9 ppm (350,000 % of the air) and an oxygen
    # share of -73,065 %; a chlorine leak of 1,000 kg/s 312 % of the air
    err = _refused(_check, f"  gas: {gas}\n")
    assert err.value.field == field and err.value.problem.startswith(words)
    _check("  gas: {space: R1, species: helium, source: {kind: instantaneous, mass: 5}}\n")
