"""Gas presets: thresholds by duration, what makes a space untenable, the toxic-load exponent."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from scenarios.hazards.gas import ppm, pure_density, source_rate
from scenarios.hazards.schema import GasSource
from scenarios.hazards.species import AEGL_DURATIONS, PRESETS, Species


def test_thresholds_fall_with_duration_and_rise_with_level() -> None:
    for sp in PRESETS.values():
        for level in (1, 2, 3):
            vals = [sp.aegl(level, d) for d in AEGL_DURATIONS]
            known = [v for v in vals if v is not None]
            assert known == sorted(known, reverse=True)
        for d in AEGL_DURATIONS:
            levels = [sp.aegl(k, d) for k in (1, 2, 3)]
            known = [v for v in levels if v is not None]
            assert known == sorted(known)


def test_untenable_is_aegl2_else_idlh_else_oxygen_only() -> None:
    assert PRESETS["chlorine"].untenable_ppm(10) == 2.8
    assert PRESETS["nitrous_oxide"].untenable_ppm(10) is None
    assert PRESETS["helium"].asphyxiant and PRESETS["helium"].exponent == 1.0
    assert PRESETS["chlorine"].exponent == 3.5


def test_a_custom_gas_needs_consistent_thresholds() -> None:
    with pytest.raises(ValidationError, match="5 values"):
        Species(name="x", molecular_weight=50, aegl2=(1.0, 2.0))
    with pytest.raises(ValidationError, match="at least one threshold"):
        Species(name="x", molecular_weight=50)
    assert Species(name="x", molecular_weight=50, idlh=30).untenable_ppm(60) == 30
    with pytest.raises(ValidationError, match=r"'aegl3' \(4.0 ppm\) is below 'aegl2' \(5.0 ppm\) at 10 min"):
        Species(name="x", molecular_weight=50, aegl2=(5.0,) * 5, aegl3=(4.0, 6.0, 6.0, 6.0, 6.0))
    # a level not published at a duration is skipped: AEGL-3 is compared with AEGL-1 there
    with pytest.raises(ValidationError, match=r"'aegl3' \(1.0 ppm\) is below 'aegl1'"):
        Species(name="x", molecular_weight=50, aegl1=(2.0,) * 5, aegl2=(None,) * 5, aegl3=(1.0,) * 5)


def test_a_threshold_above_the_whole_volume_is_refused() -> None:
    # regression: an IDLH or AEGL above 1,000,000 ppm (typed in ppb) can never be reached, so the
    # gas ran and no space was ever untenable by it
    with pytest.raises(ValidationError, match="less than or equal to 1000000"):
        Species(name="x", molecular_weight=50, idlh=2.5e6)
    with pytest.raises(ValidationError, match=r"'aegl2' values must be .* at most 1,000,000 ppm"):
        Species(name="x", molecular_weight=50, aegl2=(2.8e6,) * 5)
    assert Species(name="x", molecular_weight=50, exposure_limit=1e6).exposure_limit == 1e6


def test_sources_release_what_they_say() -> None:
    leak = GasSource(kind="leak", rate=0.5, mass=2.0, start=1.0)
    released = 0.0
    for t in range(10):
        released += source_rate(leak, float(t), t + 1.0, released)
    assert released == pytest.approx(2.0)
    puff = GasSource(kind="instantaneous", mass=3.0, start=2.0)
    assert [source_rate(puff, float(t), t + 1.0, 0.0) for t in range(4)] == [0.0, 0.0, 3.0, 0.0]
    ramp = GasSource(kind="rate", rate_table=[(0.0, 0.0), (10.0, 1.0)])
    assert sum(source_rate(ramp, float(t), t + 1.0, 0.0) for t in range(10)) == pytest.approx(5.0)
    assert float(ppm(np.array([pure_density(PRESETS["helium"])]), PRESETS["helium"])[0]) == pytest.approx(1e6)
