"""Doses, visibility and walking speed against the published relations they implement."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.hazards.tenability import (
    FREE_SPEED,
    fed_asphyxiant_rate,
    fed_heat_rate,
    speed_factor,
    visibility,
)

AIR = (np.array([0.0]), np.array([0.0]), np.array([20.9]), np.array([0.04]))


def test_clean_air_carries_no_dose_and_full_speed() -> None:
    assert fed_asphyxiant_rate(*AIR)[0] == 0.0
    assert fed_heat_rate(np.array([20.0, 39.0]))[0] == 0.0
    assert speed_factor(np.array([0.0]))[0] == 1.0 and visibility(np.array([0.0]))[0] == 30.0


def test_purser_co_term_and_co2_hyperventilation() -> None:
    co = np.array([1500.0])
    base = fed_asphyxiant_rate(co, AIR[1], AIR[2], np.array([0.0]))[0] * 60
    assert base == pytest.approx(2.764e-5 * 1500 ** 1.036 * np.exp(2.0004) / 7.1, rel=1e-9)
    more_co2 = fed_asphyxiant_rate(co, AIR[1], AIR[2], np.array([5.0]))[0] * 60
    assert more_co2 / base == pytest.approx(np.exp(0.1903 * 5.0), rel=1e-9)


def test_hypoxia_counts_only_below_20_percent_oxygen() -> None:
    o2 = np.array([20.5, 15.0])
    r = fed_asphyxiant_rate(np.zeros(2), np.zeros(2), o2, np.zeros(2)) * 60
    assert r[0] == 0.0 and r[1] == pytest.approx(1 / np.exp(8.13 - 0.54 * 5.9))


def test_heat_dose_follows_iso_13571_lightly_clothed() -> None:
    assert fed_heat_rate(np.array([80.0]))[0] * 60 == pytest.approx(1 / (5e7 * 80.0 ** -3.4))


def test_fridolf_walking_speed_in_smoke() -> None:
    # extinction K = 8700 x soot: K = 1 per m gives V = 2 m, w = w0 - 0.34 x 1
    f = speed_factor(np.array([1 / 8700]))[0]
    assert f == pytest.approx((FREE_SPEED - 0.34) / FREE_SPEED)
    dense = speed_factor(np.array([1.0]))[0]
    assert dense == pytest.approx(0.2 / FREE_SPEED)
    soot = np.linspace(0, 1e-3, 50)
    assert np.all(np.diff(speed_factor(soot)) <= 0) and np.all(np.diff(visibility(soot)) <= 0)
