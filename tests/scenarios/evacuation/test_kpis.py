"""Evacuation KPIs: the peak exit flow."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from scenarios.evacuation.kpis import peak_flow


def test_peak_flow_finds_the_busiest_minute() -> None:
    # 30 people in the first minute, then one every 10 minutes for an hour.
    t = np.sort(np.concatenate([np.linspace(0.0, 58.0, 30), np.arange(600.0, 4200.0, 600.0)]))
    assert peak_flow(t) == 30 / 60
    mean = (t.size - 1) / (t[-1] - t[0])
    assert mean < 0.01 < peak_flow(t)  # the whole-span mean hides the rush


@given(st.lists(st.floats(0.0, 1e4), min_size=1, max_size=200))
def test_peak_flow_bounds(times: list[float]) -> None:
    t = np.sort(np.array(times))
    p = peak_flow(t)
    assert 1 / 60 <= p <= t.size / 60
    # no window of 60 s holds more than the peak
    for start in t:
        assert ((t >= start) & (t < start + 60.0)).sum() <= round(p * 60)
