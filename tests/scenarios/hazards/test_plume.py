"""Heskestad's plume: virtual origin, flame height, entrainment, and the stratification cap."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.hazards.cases import patient_room
from scenarios.hazards.network import build_network
from scenarios.hazards.plume import (
    CORNER,
    FREE,
    entrainment,
    flame_height,
    stratified_entrainment,
    virtual_origin,
)
from scenarios.hazards.schema import FireSpec, Tenability
from scenarios.hazards.smoke import Smoke
from scenarios.hazards.zone import UPPER, layer_height, layer_temperature


def test_virtual_origin_and_flame_height_follow_heskestads_dimensional_forms_at_20c() -> None:
    # SFPE Handbook: z0 = 0.083 Q^0.4 - 1.02 D, L = 0.235 Q^0.4 - 1.02 D (kW, m); the general form
    # with Q* gives 1.4 / (rho cp T sqrt g)^0.4 = 0.0845 and 3.7 / ... = 0.223 at 20 C
    for q, d in ((40.0, 1.0), (500.0, 0.9), (2000.0, 2.0)):
        assert math.isclose(virtual_origin(q, d), 0.0845 * q ** 0.4 - 1.02 * d, abs_tol=0.01 * q ** 0.4)
        tip = max(1e-4, 0.223 * q ** 0.4 - 1.02 * d)
        assert math.isclose(flame_height(q, d), tip, abs_tol=0.01 * q ** 0.4)
    # a young, wide fire has its origin below the burning surface; a tall, compact one above it
    assert virtual_origin(40.0, 1.0) < -0.5 < 0.0 < virtual_origin(1000.0, 0.5)


def test_entrainment_is_heskestads_far_field_law_above_the_flame_and_continuous_at_its_tip() -> None:
    q, qc, d = 800.0, 520.0, 1.0
    z0, tip = virtual_origin(q, d), flame_height(q, d)
    for z in (tip + 0.5, tip + 2.0):
        # NFPA 92's rounded coefficients; the general form gives 0.0712 and 0.0269 x 0.0712 at 20 C
        far = 0.071 * qc ** (1 / 3) * (z - z0) ** (5 / 3) + 0.0018 * qc
        assert math.isclose(entrainment(q, qc, z, d), far, rel_tol=0.025)
    below, above = entrainment(q, qc, tip * (1 - 1e-9), d), entrainment(q, qc, tip * (1 + 1e-9), d)
    assert math.isclose(below, above, rel_tol=1e-6)
    # within the flame it grows in proportion to the height (Heskestad: 0.0056 Qc z / L at chi_r 0.3)
    assert math.isclose(entrainment(q, qc, tip / 2, d), below / 2, rel_tol=1e-6)
    assert entrainment(q, qc, 0.0, d) == entrainment(q, 0.0, 1.0, d) == 0.0


@settings(max_examples=40, deadline=None)
@given(q=st.floats(5.0, 5000.0), d=st.floats(0.0, 3.0), z=st.floats(0.01, 10.0))
def test_entrainment_grows_with_height_heat_and_diameter(q: float, d: float, z: float) -> None:
    qc = 0.65 * q
    m = entrainment(q, qc, z, d)
    assert m > 0
    assert entrainment(q, qc, z * 1.2, d) > m
    if z > flame_height(q * 1.2, d):  # (within the flame a taller flame spreads the same air higher)
        assert entrainment(q * 1.2, qc * 1.2, z, d) >= m * (1 - 1e-12)
    # a wider fire's virtual origin lies lower: more air reaches a given height above the fuel
    assert entrainment(q, qc, z, d + 0.2) >= m * (1 - 1e-12)


def test_a_plume_cannot_carry_more_air_than_its_heat_lifts_to_the_layer_temperature() -> None:
    assert stratified_entrainment(5.0, 100e3, 393.15, 293.15, 1000.0) == 1.0
    assert stratified_entrainment(0.5, 100e3, 393.15, 293.15, 1000.0) == 0.5
    # no layer yet (or a cooler one): the cap is at most 1 K of lift
    assert stratified_entrainment(5.0, 1e3, 293.15, 293.15, 1000.0) == 1.0


def test_a_wide_young_fire_fills_its_room_with_a_deeper_cooler_layer_than_a_point_source() -> None:
    # The first minute of a mattress fire (t-squared, medium): with the plume's virtual origin
    # 0.7 m below a 1 m^2 burning surface the layer at 60 s is deeper and cooler; without it (a
    # point source) the layer was half again as hot as CFAST's with the same fire.
    net = build_network(patient_room())
    r = net.index("R")
    out = {}
    for area in (1e-4, 1.0):
        fire = FireSpec(origin="R", growth="medium", peak_hrr=1000.0, base_height=0.5, area=area)
        sm = Smoke(net, fire, Tenability(), origin=r)
        sm.advance_to(60.0)
        out[area] = (float(layer_height(sm.state, net)[r]), float(layer_temperature(sm.state)[UPPER, r]))
    (z_point, t_point), (z_wide, t_wide) = out[1e-4], out[1.0]
    assert z_wide < z_point - 0.2
    assert t_wide - 293.15 < 0.8 * (t_point - 293.15)
    assert np.isfinite([z_wide, t_wide]).all()


def test_a_corner_fire_entrains_a_quarter_of_a_fire_four_times_larger() -> None:
    # Zukoski's reflection method as CFAST applies it: two walls mirror the plume; FM/NBS test
    # 19's corner burner at 522 kW under a layer 1.05 m above it entrains CFAST's 0.69 kg/s
    q, qc, z, d = 522.0, 349.7, 1.05, 0.91
    corner = entrainment(q, qc, z, d, 288.15, mirror=CORNER)
    assert math.isclose(corner, entrainment(4 * q, 4 * qc, z, 2 * d, 288.15) / 4, rel_tol=1e-12)
    assert math.isclose(corner, 0.692, abs_tol=0.005)
    free = entrainment(q, qc, z, d, 288.15, mirror=FREE)
    assert corner < 0.7 * free


def test_a_corner_fire_fills_its_room_with_a_thinner_hotter_layer() -> None:
    net = build_network(patient_room())
    r = net.index("R")
    out = {}
    for corner in (False, True):
        fire = FireSpec(origin="R", growth="medium", peak_hrr=1000.0, base_height=0.5, area=1.0,
                        corner=corner)
        sm = Smoke(net, fire, Tenability(), origin=r)
        sm.advance_to(120.0)
        out[corner] = (float(layer_height(sm.state, net)[r]), float(layer_temperature(sm.state)[UPPER, r]))
    assert out[True][0] > out[False][0] + 0.05
    assert out[True][1] > out[False][1] + 2.0
