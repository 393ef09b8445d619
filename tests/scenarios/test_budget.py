"""Work estimates and the budget (scenarios/budget.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios.budget import Budget, _cyclic_integral
from scenarios.errors import ArgumentError


@given(rates=st.lists(st.floats(0, 1e3), min_size=1, max_size=30), slot=st.floats(1, 600),
       cycles=st.integers(0, 50), part=st.floats(0, 1))
def test_the_rate_integral_adds_up_by_cycles(rates: list[float], slot: float, cycles: int,
                                             part: float) -> None:
    cycle = slot * len(rates)
    whole = _cyclic_integral(rates, slot, cycles * cycle)
    assert whole == pytest.approx(cycles * slot * sum(rates), rel=1e-9, abs=1e-6)
    more = _cyclic_integral(rates, slot, cycles * cycle + part * cycle)
    assert whole - 1e-6 <= more <= whole + slot * sum(rates) + 1e-6


def test_the_budget_reads_the_environment() -> None:
    assert Budget.from_env({}) == Budget()
    assert Budget.from_env({"MEDTWIN_MAX_PERSON_STEPS": "1e10"}).max_person_steps == 1e10
    for bad in ("0", "-5", "inf", "nan", "many"):
        with pytest.raises(ArgumentError, match="MEDTWIN_MAX_ROWS: expected a positive number"):
            Budget.from_env({"MEDTWIN_MAX_ROWS": bad})
