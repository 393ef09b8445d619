"""The behaviour rules' constants: every field has a stated plausible range, enforced."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import scenarios
from agents.movement.behaviour import RANGES, Behaviour
from scenarios.errors import ScenarioFileError

FIELDS = [f.name for f in dataclasses.fields(Behaviour)]


def test_every_field_has_a_range_holding_its_default() -> None:
    assert set(RANGES) == set(FIELDS)
    for name, value in dataclasses.asdict(Behaviour()).items():
        low, high, why = RANGES[name]
        assert low <= value <= high and low < high and why, name


@given(name=st.sampled_from(FIELDS), factor=st.floats(1.01, 1e6))
def test_a_value_above_its_range_is_refused_naming_the_field_and_the_range(name: str, factor: float) -> None:
    low, high, _ = RANGES[name]
    value = high * factor if high > 0 else 1.0
    if name == "lift_call_ahead":
        value = float(int(value) + 1)
    with pytest.raises(ValueError, match=re.escape(f"behaviour.{name} must be between {low:g} and {high:g}")):
        Behaviour(**{name: value})


def test_a_scenario_with_an_implausible_rule_is_refused_naming_the_file() -> None:
    # Found by a user: "patience: 800" (seconds for a tenth of a minute) was taken as it stood.
    for rule in ("patience: 800", "yield_speed: 7"):
        with pytest.raises(ScenarioFileError) as ei:
            scenarios.loads(f"kind: evacuation\nname: x\nmovement:\n  behaviour: {{{rule}}}\n",
                            source="d.yaml")
        assert ei.value.path == "d.yaml" and ei.value.field == "movement.behaviour"
        assert "must be between" in str(ei.value)
