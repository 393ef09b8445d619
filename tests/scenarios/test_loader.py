"""Scenario files: one loader, errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.base import Kind
from scenarios.errors import ScenarioFileError
from scenarios.loader import _plain_text, dump, load, loads
from tests.scenarios.mm1 import MM1_YAML


def test_loads_valid(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML, "mm1.yaml")
    assert sc.kind == "test-mm1" and sc.seed == 7 and sc.replications == 4
    assert sc.source == "mm1.yaml"


def test_scenario_is_frozen(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML)
    with pytest.raises(Exception, match="frozen"):
        sc.seed = 3  # type: ignore[misc]


def test_dump_round_trips(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML, "a.yaml")
    again = loads(dump(sc), "a.yaml")
    assert again == sc


_ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.just("\n"), max_size=120)
_DOCS = st.recursive(
    st.one_of(_ASCII, st.floats(), st.integers(), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(_ASCII.filter(bool), inner, max_size=4)),
    max_leaves=20)


@pytest.mark.skipif(not hasattr(yaml, "CSafeDumper"), reason="PyYAML built without libyaml")
@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_ASCII.filter(bool), _DOCS, min_size=1, max_size=5))
def test_fast_emitter_writes_what_the_python_one_does(data: dict[str, object]) -> None:
    # A scenario's hash is taken over this text: it must not depend on whether libyaml is there.
    assert _plain_text(data)
    assert yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False) == yaml.safe_dump(data, sort_keys=False)


@pytest.mark.parametrize("data", [{"": 1}, {"name": "Ward \u2013 east"}, {"a": ["tab\there"]}])
def test_text_the_emitters_write_differently_takes_the_python_one(data: dict[str, object]) -> None:
    assert not _plain_text(data)


def test_shipped_scenarios_dump_as_before() -> None:
    library = Path(__file__).resolve().parents[2] / "scenarios" / "library"
    for path in sorted(library.glob("*.yaml")):
        sc = load(path)
        assert dump(sc) == yaml.safe_dump(sc.model_dump(mode="json"), sort_keys=False), path.name


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        (MM1_YAML.replace("customers: 3000", "customers: 3000\ncustomer: 1"), "customer", "unknown key"),
        (MM1_YAML.replace("seed: 7", "seed: seven"), "seed", "integer"),
        (MM1_YAML.replace("seed: 7", "seed: -1"), "seed", "greater than or equal to 0"),
        (MM1_YAML.replace("arrival_rate: 0.5", "arrival_rate: 0"), "queue.arrival_rate", "greater than 0"),
        (MM1_YAML.replace("  service_rate: 1.0\n", ""), "queue.service_rate", "missing"),
        (MM1_YAML.replace("kind: test-mm1", "kind: nonsense"), "kind", "unknown kind"),
        (MM1_YAML.replace("kind: test-mm1\n", ""), "kind", "missing"),
        (MM1_YAML + "seed: 8\n", "", "duplicate key"),
        ("kind: [unclosed", "", "not valid YAML"),
        ("- a list\n", "", "expected a mapping"),
        # regression: "name: no" arrived as False ("should be a valid string, got False"), and the
        # like of "hvac: off" was told it "should be 'off'"
        # regression: an empty facility path was "error: .: facility file: is a folder"
        (MM1_YAML + "facility: ''\n", "facility", "is empty; expected 'sample' or a facility file path"),
        (MM1_YAML.replace("name: mm1 check", "name: no"), "name",
         "got false (YAML reads unquoted off, on, no and yes as false/true: put the word in quotes"),
    ],
)
def test_bad_files_name_file_and_field(mm1_kind: Kind, text: str, field: str, fragment: str) -> None:
    with pytest.raises(ScenarioFileError) as err:
        loads(text, "bad.yaml")
    assert err.value.path == "bad.yaml"
    assert err.value.field == field
    assert fragment in str(err.value)
    assert str(err.value).startswith("bad.yaml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError, match="file not found"):
        load(tmp_path / "nope.yaml")


def test_facility_path_relative_to_scenario(mm1_kind: Kind, tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(MM1_YAML + "facility: plans/h.json\n")
    sc = load(f)
    assert sc.facility_path() == tmp_path / "plans" / "h.json"
    assert loads(MM1_YAML).facility_path() is None


# -- numbers YAML 1.1 reads otherwise than a planner means ---------------------------------------
@pytest.mark.parametrize(("written", "octal", "decimal"), [("010", "the octal number 8", 10),
                                                           ("-007", "the octal number -7", -7),
                                                           ("09", "text (8 and 9 are not octal", 9)])
def test_a_leading_zero_is_refused_not_read_as_octal(mm1_kind: Kind, written: str, octal: str,
                                                     decimal: int) -> None:
    # regression: "seed: 010" ran with seed 8
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML.replace("seed: 7", f"seed: {written}"), "bad.yaml")
    assert err.value.field == "seed"
    assert f"{written} is written with a leading zero, which YAML 1.1 reads as {octal}" in err.value.problem
    assert (f"YAML 1.2 as {decimal}; expected a number without leading zeros (e.g. {decimal})"
            in err.value.problem)


def test_a_leading_zero_in_a_nested_integer_field_names_it(mm1_kind: Kind) -> None:
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML.replace("customers: 3000", "customers: 0300"), "bad.yaml")
    assert err.value.field == "customers" and "octal number 192" in err.value.problem


def test_zero_quoted_and_separated_numbers_are_read_as_written(mm1_kind: Kind) -> None:
    assert loads(MM1_YAML.replace("seed: 7", "seed: 0")).seed == 0
    assert loads(MM1_YAML.replace("customers: 3000", "customers: 3_000")).model_dump()["customers"] == 3000
    assert loads(MM1_YAML.replace("name: mm1 check", 'name: "010"')).name == "010"


def test_a_clock_time_is_text_not_base_60(mm1_kind: Kind) -> None:
    # regression: YAML 1.1 read 14:00 as the number 840 (base 60)
    assert loads(MM1_YAML + "description: 14:00\n").description == "14:00"
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML.replace("customers: 3000", "customers: 1:30"), "bad.yaml")
    assert err.value.field == "customers" and "'1:30'" in err.value.problem


@pytest.mark.parametrize(("text", "field", "fragment"), [
    ("extra: [1,5, 2,0]", "extra", "[1,5, 2,0] mixes commas with and without a space after them, so 1,5 "
                                   "looks like a decimal comma (1.5) (YAML reads 4 numbers"),
    ("extra: {a: 1, b: [0.5, 1,25]}", "extra.b", "so 1,25 looks like a decimal comma (1.25)"),
    ("extra: {mean: 3,5}", "extra.mean", "3,5 looks like a decimal comma (3.5): YAML reads the number 3 and "
                                        "then a key 5 with no value; expected a number without a comma"),
    # a thousands separator reads the same: both readings are named, neither is guessed
    ("extra: {flow: 1,000}", "extra.flow", "1,000 is either 1000 (a thousands separator) or 1.000 (a decimal "
                                          "comma): YAML reads the number 1 and then a key 000"),
])
def test_a_decimal_comma_is_refused(mm1_kind: Kind, text: str, field: str, fragment: str) -> None:
    # regression: "rates: [1,5, 2,0]" (1.5 and 2.0) was read as four rates
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML + text + "\n", "bad.yaml")
    assert err.value.field == field
    assert fragment in err.value.problem


def test_lists_with_one_kind_of_comma_are_read_as_written(mm1_kind: Kind) -> None:
    # a list written [1,2,3] throughout is four numbers, as a planner writes it; the schema judges it
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML + "extra: [1,5,2,0]\n", "bad.yaml")
    assert err.value.field == "extra" and "unknown key" in err.value.problem


def test_a_facility_name_longer_than_a_file_system_holds_is_named(mm1_kind: Kind) -> None:
    # regression: the run's first look at the path raised "File name too long" as an internal error
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML + f"facility: plans/{'x' * 300}.json\n", "bad.yaml")
    assert err.value.field == "facility"
    assert err.value.problem.endswith("of 305 bytes; expected a path whose every name is at most 255 bytes")
    assert loads(MM1_YAML + f"facility: plans/{'x' * 250}.json\n").facility == f"plans/{'x' * 250}.json"


def test_a_scenario_path_too_long_to_look_up_is_named(tmp_path: Path) -> None:
    # regression: an operations scenario named by a drill with such a path was an internal error
    with pytest.raises(ScenarioFileError) as err:
        load(tmp_path / ("x" * 300 + ".yaml"))
    assert "cannot be looked up: File name too long" in str(err.value)


@pytest.mark.parametrize(("written", "reading"), [("1,5", "looks like a decimal comma (1.5)"),
                                                  ("1,000", "is either 1000 (a thousands separator) or "
                                                            "1.000 (a decimal comma)")])
def test_a_comma_in_a_number_field_says_what_it_may_mean(mm1_kind: Kind, written: str, reading: str) -> None:
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML.replace("customers: 3000", f"customers: {written}"), "bad.yaml")
    assert err.value.field == "customers"
    assert err.value.problem.endswith(f"got '{written}', which {reading}; expected a number without a comma")


@pytest.mark.parametrize("text", ['{"format": "medtwin-facility/1", "name": "x"}',
                                  '{"type": "FeatureCollection", "features": []}'])
def test_a_facility_given_as_a_scenario_says_so(text: str) -> None:
    # regression: "kind: missing", with no word of the file being a facility
    with pytest.raises(ScenarioFileError) as err:
        loads(text, "plan.json")
    assert err.value.field == "kind"
    assert err.value.problem.endswith("this is a facility file: a scenario names it in its 'facility' field")


def test_aliases_that_expand_past_any_scenario_are_refused_before_expanding(mm1_kind: Kind) -> None:
    # regression: 600 bytes of nested aliases stood for 10^9 values and read for minutes, unbounded
    lines = ["x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML + "\n".join(lines) + "\n", "bomb.yaml")
    assert err.value.problem.startswith("expands to more than 1,000,000 values (the value at line")
    with pytest.raises(ScenarioFileError, match="an alias refers to a value that contains it"):
        loads(MM1_YAML + "x: &a [1, *a]\n", "loop.yaml")


def test_aliases_that_repeat_a_part_are_read(mm1_kind: Kind) -> None:
    text = MM1_YAML.replace("queue:\n  arrival_rate: 0.5\n  service_rate: 1.0\n",
                            "queue: &q\n  arrival_rate: 0.5\n  service_rate: 1.0\n")
    assert loads(text).model_dump()["queue"] == {"arrival_rate": 0.5, "service_rate": 1.0}


@pytest.mark.parametrize("digits", ["1" * 5000, "0" + "1" * 5000, "1" * 41])
def test_a_whole_number_too_long_for_any_field_is_named(mm1_kind: Kind, digits: str) -> None:
    # regression: 5,000 digits passed Python's limit of 4,300 for converting text and were an internal error
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML.replace("seed: 7", f"seed: {digits}"), "bad.yaml")
    assert err.value.field == "seed"
    assert err.value.problem == f"a whole number of {len(digits)} digits; expected at most 40"


def test_a_name_with_a_character_it_may_not_hold_names_the_character(mm1_kind: Kind) -> None:
    # regression: "String should match pattern '^[A-Za-z0-9_.\- ]+$'" for a German drill's name
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML.replace("name: mm1 check", "name: Übung Station 3/4"), "bad.yaml")
    assert err.value.field == "name"
    assert err.value.problem == ("'Übung Station 3/4' holds '/', 'Ü', which it may not; expected only the "
                                 "characters A-Z, a-z, 0-9, '_', '.', '-', ' '")


def test_control_characters_in_text_are_refused(mm1_kind: Kind) -> None:
    # regression: an ESC in a person's id ran escape sequences in the summary a run prints
    with pytest.raises(ScenarioFileError) as err:
        loads(MM1_YAML.replace("name: mm1 check", 'name: mm1 check\ndescription: "a\\e[2J"'), "bad.yaml")
    assert err.value.field == "description"
    assert err.value.problem == ("text holds the control character \\x1b at position 1; expected printable "
                                 "text")
    tabbed = loads(MM1_YAML + 'description: "two\\tcolumns\\nand lines"\n')
    assert tabbed.description == "two\tcolumns\nand lines"
