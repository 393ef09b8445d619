"""The CO2 and water-vapour bands: Hottel's charts, read and combined as CFAST reads them."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.hazards.gas_bands import (
    CO2_LOG_E,
    H2O_LOG_E,
    LOG_PL,
    LOG_T_CO2,
    band_absorbance,
    chart_emissivity,
)


def test_the_charts_are_read_exactly_at_their_nodes_and_held_at_the_temperature_edges() -> None:
    for j in (0, 5, 11):
        for i in (0, 4, 10):
            t, pl = 10.0 ** LOG_T_CO2[i], 10.0 ** LOG_PL[j]
            assert math.isclose(chart_emissivity("co2", t, pl), 10.0 ** CO2_LOG_E[j, i], rel_tol=1e-9)
    assert chart_emissivity("h2o", 5000.0, 1.0) == chart_emissivity("h2o", 3000.0, 1.0)
    top = 10.0 ** LOG_PL[11]
    assert math.isclose(chart_emissivity("h2o", 1000.0, top), 10.0 ** H2O_LOG_E[11, 8], rel_tol=1e-9)
    assert chart_emissivity("h2o", 1000.0, 40.0) == chart_emissivity("h2o", 1000.0, top)


def test_below_the_charts_a_thin_gas_emits_in_proportion_to_its_amount() -> None:
    edge = chart_emissivity("co2", 600.0, 1e-3)
    assert math.isclose(chart_emissivity("co2", 600.0, 1e-4), edge / 10, rel_tol=1e-9)
    assert band_absorbance(600.0, 0.0, 0.0) == 0.0
    assert band_absorbance(600.0, 1e-9, 1e-9) < 1e-6


def test_the_two_gases_overlap_as_water_plus_half_the_co2() -> None:
    t, pl = 800.0, 0.08
    both = band_absorbance(t, pl, pl)
    assert math.isclose(both, chart_emissivity("h2o", t, pl) + 0.5 * chart_emissivity("co2", t, pl),
                        rel_tol=1e-9)


@settings(max_examples=40, deadline=None)
@given(t=st.floats(250.0, 2500.0), pl=st.floats(1e-4, 3.0), more=st.floats(1.01, 3.0))
def test_more_gas_absorbs_more_and_the_absorbance_stays_a_fraction(t: float, pl: float, more: float) -> None:
    a = band_absorbance(t, pl, pl)
    assert 0.0 < a < 1.0
    assert band_absorbance(t, pl * more, pl * more) >= a * (1 - 1e-12)
    assert np.isfinite(a)
