"""Confidence intervals across replications."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.stats import mean_ci


def test_coverage_of_normal_mean() -> None:
    # 95% intervals from n=10 normal samples cover the true mean ~95% of the time.
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(2000):
        r = mean_ci(rng.normal(5.0, 2.0, 10))
        hits += r["low"] <= 5.0 <= r["high"]
    assert 0.93 <= hits / 2000 <= 0.97


def test_nan_dropped_and_degenerate_cases() -> None:
    assert mean_ci([])["n"] == 0
    one = mean_ci([3.0, math.nan])
    assert one["mean"] == 3.0 and one["n"] == 1 and math.isnan(one["half_width"])


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=50))
def test_interval_contains_mean(xs: list[float]) -> None:
    r = mean_ci(xs)
    assert r["low"] <= r["mean"] <= r["high"]


@settings(max_examples=30)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=50), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_half_width_is_the_student_t_one(xs: list[float], level: float) -> None:
    # The quantile is computed once per degrees of freedom; the interval must not change by a bit.
    from scipy import stats

    x = np.asarray(xs)
    expected = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    assert mean_ci(xs, level)["half_width"] == expected
