"""Pathogen presets and their overrides."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.hazards.infection.pathogens import INHALATION_M3H, PRESETS, Activity, Lognormal, PathogenSpec


def test_presets_carry_the_reference_medians() -> None:
    medians = {n: p.emission.median for n, p in PRESETS.items() if p.emission is not None}
    assert medians == {"sars_cov_2": 2.7, "influenza": 0.17, "measles": 15.0, "tuberculosis": 3.1}
    assert PRESETS["sars_cov_2"].inactivation_per_h == 0.63
    assert PRESETS["norovirus"].contact is not None and PRESETS["norovirus"].emission is None
    assert INHALATION_M3H[Activity.LIGHT] == 1.38


def test_overrides_replace_only_what_they_name() -> None:
    p = PathogenSpec(preset="influenza", deposition_per_h=0.5).resolve()
    assert p.deposition_per_h == 0.5 and p.emission == PRESETS["influenza"].emission


def test_lognormal_draws_match_median_and_mean() -> None:
    ln = Lognormal(median=3.0, gsd=4.0)
    x = ln.sample(np.random.default_rng(0), 200_000)
    assert np.median(x) == pytest.approx(3.0, rel=0.02)
    assert x.mean() == pytest.approx(ln.mean, rel=0.05)
    assert ln.cdf(np.array([3.0]))[0] == pytest.approx(0.5)
