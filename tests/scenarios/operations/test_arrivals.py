"""Arrivals: thinning reproduces the rate profile; appointments honour no-shows."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.operations.arrivals import poisson_times, rate_at, scheduled_times
from scenarios.operations.schema import Arrival

PROFILE = [2.0, 10.0, 30.0, 5.0]  # per hour, cyclic 4-hour pattern


def test_counts_per_slot_match_the_rates(rng: np.random.Generator) -> None:
    a = Arrival(name="x", mix={"p": 1.0}, rates=PROFILE, weekday_factors=[1, 1, 1, 1, 1, 2, 2])
    horizon = 7 * 1440.0
    t = poisson_times(a, horizon, rng)
    assert (np.diff(t) >= 0).all() and t.min() >= 0 and t.max() < horizon
    slot = (t // 60).astype(int) % 4
    weekend = (t // 1440).astype(int) % 7 >= 5
    for k, lam in enumerate(PROFILE):
        for we, factor, days in ((False, 1.0, 5), (True, 2.0, 2)):
            n = int(((slot == k) & (weekend == we)).sum())
            expect = lam * factor * days * 6  # six 1-hour slots of index k a day
            assert abs(n - expect) <= 4 * np.sqrt(expect) + 1, (k, we, n, expect)


def test_counts_are_poisson(rng: np.random.Generator) -> None:
    a = Arrival(name="x", mix={"p": 1.0}, rates=PROFILE)
    counts = np.array([poisson_times(a, 240.0, rng).size for _ in range(2000)])
    assert counts.mean() == pytest.approx(sum(PROFILE), rel=0.03)
    assert counts.var() == pytest.approx(sum(PROFILE), rel=0.1)  # Poisson: variance = mean


def test_previous_arrival_thinning_keeps_the_mean_count(rng: np.random.Generator) -> None:
    a = Arrival(name="x", mix={"p": 1.0}, rates=[6.0], thinning="previous_arrival")
    counts = np.array([poisson_times(a, 600.0, rng).size for _ in range(1000)])
    assert counts.mean() == pytest.approx(60.0, rel=0.03)


def test_rate_lookup_is_cyclic() -> None:
    a = Arrival(name="x", mix={"p": 1.0}, rates=PROFILE)
    assert rate_at(a, np.array([4 * 60 + 1.0]))[0] == pytest.approx(PROFILE[0] / 60)


def test_appointments_and_no_shows(rng: np.random.Generator) -> None:
    a = Arrival(name="clinic", kind="scheduled", mix={"p": 1.0}, first_min=480, interval_min=10,
                per_day=30, days=[0, 1, 2, 3, 4], no_show=0.1)
    t = scheduled_times(a, 14 * 1440.0, rng)
    assert t.size == pytest.approx(10 * 30 * 0.9, abs=4 * np.sqrt(300 * 0.09))
    minute_of_day = t % 1440
    assert minute_of_day.min() >= 480 and minute_of_day.max() <= 480 + 29 * 10
    assert set(((t // 1440) % 7).astype(int)) <= {0, 1, 2, 3, 4}


@pytest.mark.parametrize(("unit", "factor"), [("per_min", 1 / 60), ("per_day", 24.0), ("per_week", 168.0)])
def test_rate_units_are_the_same_stream_in_other_units(unit: str, factor: float) -> None:
    hourly = Arrival(name="ed", mix={"x": 1.0}, rates=[3.0, 9.0, 6.0])
    other = Arrival(name="ed", mix={"x": 1.0}, rates=[r * factor for r in hourly.rates], rate_unit=unit)
    a = poisson_times(hourly, 3 * 1440.0, np.random.default_rng(4))
    b = poisson_times(other, 3 * 1440.0, np.random.default_rng(4))
    np.testing.assert_allclose(a, b, rtol=1e-12)
    assert a.size > 300
