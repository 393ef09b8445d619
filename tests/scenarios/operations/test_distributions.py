"""Duration distributions: parameters as people state them, and the buffered sampler."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.operations.distributions import Distribution, Sampler


@pytest.mark.parametrize("spec", [
    {"dist": "exponential", "mean": 3.0},
    {"dist": "lognormal", "mean": 5.0, "sd": math.sqrt(2.0)},
    {"dist": "gamma", "mean": 20.0, "sd": 6.0},
    {"dist": "triangular", "min": 2.0, "mode": 3.0, "max": 7.0},
    {"dist": "uniform", "min": 1.0, "max": 4.0},
    {"dist": "empirical", "values": [12, 15, 25, 30], "weights": [0.35, 0.35, 0.15, 0.15]},
    {"dist": "fixed", "value": 5.0},
])
def test_sample_mean_matches_stated_mean(spec: dict[str, object], rng: np.random.Generator) -> None:
    d = Distribution.model_validate(spec)
    x = Sampler(d, rng).draw(200_000)
    se = x.std() / math.sqrt(x.size)
    assert abs(x.mean() - d.mean_minutes()) <= 5 * se + 1e-12


def test_lognormal_sd_is_of_the_durations(rng: np.random.Generator) -> None:
    x = Sampler(Distribution(dist="lognormal", mean=13.3, sd=math.sqrt(2.0)), rng).draw(400_000)
    assert x.var() == pytest.approx(2.0, rel=0.02)


def test_units_convert_to_minutes(rng: np.random.Generator) -> None:
    s = Sampler(Distribution(dist="fixed", value=1.5, unit="h"), rng)
    assert s() == 90.0
    assert Distribution(dist="exponential", mean=9.4, unit="d").mean_minutes() == pytest.approx(9.4 * 1440)


@settings(max_examples=40, deadline=None)
@given(mean=st.floats(0.1, 100), sd=st.floats(0.0, 100), lo=st.floats(0, 50), width=st.floats(0.5, 50))
def test_truncated_normal_stays_in_bounds(mean: float, sd: float, lo: float, width: float) -> None:
    d = Distribution(dist="normal", mean=mean, sd=sd, min=lo, max=lo + width) if (
        sd > 0 or lo <= mean <= lo + width) else None
    if d is None:
        return
    x = Sampler(d, np.random.default_rng(0)).draw(500)
    assert (x >= lo).all() and (x <= lo + width).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 3000))
def test_sampler_is_reproducible_and_non_negative(seed: int, n: int) -> None:
    d = Distribution(dist="lognormal", mean=10, sd=30)
    a = Sampler(d, np.random.default_rng(seed), block=64)
    b = Sampler(d, np.random.default_rng(seed), block=64)
    xs = [a() for _ in range(n)]
    assert xs == [b() for _ in range(n)]
    assert min(xs) >= 0


@pytest.mark.parametrize(("spec", "fragment"), [
    ({"dist": "triangular", "min": 5, "mode": 3, "max": 7}, "min <= mode <= max"),
    ({"dist": "exponential", "mean": 3, "sd": 1}, "does not apply"),
    ({"dist": "empirical", "values": [1, 2], "weights": [1]}, "one entry per value"),
    ({"dist": "uniform", "min": 5, "max": 2}, "must be >="),
])
def test_invalid_parameters(spec: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Distribution.model_validate(spec)


@pytest.mark.parametrize(("spec", "expect"), [
    ({"dist": "fixed", "value": 10.0}, 5.0),                   # uniform part-way through
    ({"dist": "exponential", "mean": 7.0}, 7.0),               # memoryless
    ({"dist": "lognormal", "mean": 9.4, "sd": 16.9}, (16.9**2 + 9.4**2) / (2 * 9.4)),  # E[X^2] / 2E[X]
])
def test_residual_time_of_a_step_in_progress(spec: dict[str, object], expect: float,
                                             rng: np.random.Generator) -> None:
    x = Sampler(Distribution.model_validate(spec), rng).residual(100_000)
    assert x.min() >= 0
    assert x.mean() == pytest.approx(expect, rel=0.05)
