"""The compiled tenability assessment against its numpy twin, and the scalar dose formulas."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.hazards.cases import ward
from scenarios.hazards.network import build_network
from scenarios.hazards.schema import FireSpec, Tenability
from scenarios.hazards.smoke import Smoke, assess_reference
from scenarios.hazards.tenability import (
    fed_asphyxiant_rate,
    fed_asphyxiant_scalar,
    fed_heat_rate,
    fed_heat_scalar,
    visibility,
    visibility_scalar,
)


@settings(max_examples=60, deadline=None)
@given(gases=st.tuples(st.floats(0, 2e4), st.floats(0, 500), st.floats(5, 21), st.floats(0, 12)),
       t=st.floats(0, 900), soot=st.floats(0, 0.05))
def test_the_scalar_dose_formulas_are_the_vectorised_ones(gases: tuple[float, float, float, float], t: float,
                                                          soot: float) -> None:
    co, hcn, o2, co2 = gases
    a = np.array
    np.testing.assert_allclose(fed_asphyxiant_scalar(co, hcn, o2, co2),
                               fed_asphyxiant_rate(a([co]), a([hcn]), a([o2]), a([co2]))[0], rtol=1e-12)
    np.testing.assert_allclose(fed_heat_scalar(t), fed_heat_rate(a([t]))[0], rtol=1e-12)
    np.testing.assert_allclose(visibility_scalar(soot), visibility(a([soot]))[0], rtol=1e-12)


def test_the_compiled_assessment_matches_its_numpy_twin_over_a_ward_fire() -> None:
    fac = ward(6)
    net = build_network(fac)
    fire = FireSpec(origin="R1", growth="fast", peak_hrr=1500.0, base_height=0.5, area=1.0, start=-60.0)
    sm = Smoke(net, fire, Tenability(fed_patient=0.05), origin=net.index("R1"))
    breached = 0
    for t in range(30, 601, 30):
        sm.advance_to(float(t))
        doses = tuple(x.copy() for x in (sm.fed, sm.aset, sm.aset_patient, sm.first, sm.first_patient))
        tau = sm.state.time + 1.0
        sm._assess(tau)
        head, rates, breach = assess_reference(sm.state, net, sm.criteria, vis_limit=sm.vis_limit,
                                               doses=doses, dt=sm.dt, t=tau - sm.alarm)  # type: ignore[arg-type]
        fed, aset, _, first, first_patient = doses
        for got, want in zip((sm.head.temp_c, sm.head.soot, sm.head.co_ppm, sm.head.o2_percent,
                              sm.head.layer_height, sm.head.upper_temp_c),
                             (head.temp_c, head.soot, head.co_ppm, head.o2_percent, head.layer_height,
                              head.upper_temp_c), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(sm.rates, rates, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(sm.fed, fed, rtol=1e-10)
        np.testing.assert_array_equal(sm.breach, breach)
        np.testing.assert_allclose(sm.aset, aset, equal_nan=True)
        np.testing.assert_array_equal(sm.first, first)
        np.testing.assert_array_equal(sm.first_patient, first_patient)
        breached = max(breached, int(breach.sum()))
    assert breached >= 3  # the fire really made spaces untenable
