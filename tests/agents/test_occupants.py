"""Evacuation profiles draw from their distributions and are mobilities of the routing table."""

from __future__ import annotations

import typing

import numpy as np
import pytest

from agents.occupants import ALIASES, PROFILES, lognormal_from_range, profile
from agents.snapshot import PATIENT_PROFILES
from facility.mobility import BED, MOBILITIES, STAFF
from scenarios.operations.schema import Pathway


def test_premovement_range_is_the_5_95_percent_band() -> None:
    rng = np.random.default_rng(0)
    x = PROFILES["staff"].sample_premove(20000, rng)
    lo, hi = np.percentile(x, [5, 95])
    assert lo == pytest.approx(8.0, rel=0.08) and hi == pytest.approx(141.0, rel=0.08)


def test_ventilated_preparation_median_is_331s() -> None:
    mu, _ = lognormal_from_range(*PROFILES["ventilated"].prepare)
    assert np.exp(mu) == pytest.approx(331.0, rel=0.01)


def test_speeds_are_distributions_within_bounds() -> None:
    rng = np.random.default_rng(1)
    for p in PROFILES.values():
        v = p.sample_speed(5000, rng)
        assert v.std() > 0
        assert v.min() >= p.speed[2] and v.max() <= p.speed[3]
        assert abs(v.mean() - p.speed[0]) < 0.1


def test_beds_never_use_stairs_and_need_two_staff() -> None:
    assert profile("bed").stairs is None and profile("bed").staff_needed == 2
    with pytest.raises(KeyError):
        profile("dragon")


def test_profiles_are_mobilities_of_the_routing_table() -> None:
    """Every name a scenario or an operations snapshot gives a person resolves to a profile whose
    mobility is a row of the one table routing uses; where the operations model and routing
    share a name (``reduced``, ``wheelchair``, ``bed``), it is the same row."""
    ops_names = typing.get_args(Pathway.model_fields["mobility"].annotation)
    for name in (*ops_names, *PATIENT_PROFILES, *ALIASES, *PROFILES):
        q = profile(name)
        assert MOBILITIES[q.mobility.name] is q.mobility
        if name in MOBILITIES:
            assert q.mobility is MOBILITIES[name]
    assert profile("ventilated").mobility is BED and profile("visitor").mobility is STAFF
    assert {profile(n).role for n in PATIENT_PROFILES} == {"patient"}
