"""Door-jet mixing: the spill plume a door flow forms as it crosses the receiving space's layer."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.hazards.door_jet import (
    COLD_INFLOW_SHARE,
    PorehInputs,
    poreh_entrainment,
    slab_totals,
    slab_totals_reference,
    spill_entrainment,
)

LOWER, UPPER = 0, 1
OUT = 2  # two spaces, then the outside


def _one_slab(*, y: float, src: int, dst: int, layer: int, mass: float = 1.0) -> PorehInputs:
    a = np.array
    # an opening from the lower-numbered node to the other; the slab flows src -> dst
    lo, hi = min(src, dst), max(src, dst)
    return PorehInputs(y=a([[y]]), a=a([lo]), b=a([hi]), forward=a([[src == lo]]), src_layer=a([[layer]]),
                       mass=a([[mass]]), sill=a([0.0]), soffit=a([2.1]), width=a([1.2]))


def _rooms(z0: float, z1: float, t0: tuple[float, float], t1: tuple[float, float]) -> tuple[np.ndarray, ...]:
    z = np.array([z0, z1, np.inf])
    temp = np.array([[t0[0], t1[0], 293.0], [t0[1], t1[1], 293.0]])
    return z, temp


def test_the_spill_plume_grows_with_the_height_it_rises_and_the_cube_root_of_its_heat() -> None:
    hot, cold, w = np.array([673.0]), np.array([293.0]), np.array([1.2])
    base = poreh_entrainment(hot, cold, np.array([1.0]), w, np.array([0.4]))[0]
    assert base > 0
    assert math.isclose(poreh_entrainment(hot, cold, np.array([1.0]), w, np.array([0.8]))[0], 2 * base)
    assert math.isclose(poreh_entrainment(hot, cold, np.array([8.0]), w, np.array([0.4]))[0], 2 * base)
    assert poreh_entrainment(cold, cold, np.array([1.0]), w, np.array([0.4]))[0] == 0.0


def test_smoke_entering_below_the_receiving_layer_entrains_that_rooms_lower_layer_into_its_upper() -> None:
    # fire room 0: layer at 1.2 m, 650 K; corridor 1: layer at 1.8 m; smoke leaves 0 at 1.5 m
    z, temp = _rooms(1.2, 1.8, (293.0, 650.0), (293.0, 350.0))
    node, frm, to, rate = spill_entrainment(_one_slab(y=1.5, src=0, dst=1, layer=UPPER), z=z, temp=temp,
                                            outside=OUT)
    expected = poreh_entrainment(np.array([650.0]), np.array([293.0]), np.array([1.0]), np.array([1.2]),
                                 np.array([1.8 - 1.2]))[0]
    assert node.tolist() == [1] and frm.tolist() == [LOWER] and to.tolist() == [UPPER]
    assert math.isclose(rate[0], expected)
    # the same smoke entering at 1.9 m, inside the corridor's upper layer: no plume, no mixing
    node, *_ = spill_entrainment(_one_slab(y=1.9, src=0, dst=1, layer=UPPER), z=z, temp=temp, outside=OUT)
    assert node.size == 0


def test_cool_air_falling_through_a_hot_layer_drags_a_quarter_as_much_down() -> None:
    # corridor 1 (no layer) sends its lower-layer air into room 0 at 1.6 m, above 0's interface
    z, temp = _rooms(1.2, 2.7, (293.0, 650.0), (293.0, 293.0))
    node, frm, to, rate = spill_entrainment(_one_slab(y=1.6, src=1, dst=0, layer=LOWER), z=z, temp=temp,
                                            outside=OUT)
    full = poreh_entrainment(np.array([650.0]), np.array([293.0]), np.array([1.0]), np.array([1.2]),
                             np.array([2.1 - 1.2]))[0]
    assert node.tolist() == [0] and frm.tolist() == [UPPER] and to.tolist() == [LOWER]
    assert math.isclose(rate[0], COLD_INFLOW_SHARE * full)


def test_nothing_mixes_in_the_outside() -> None:
    z, temp = _rooms(1.2, 2.7, (293.0, 650.0), (293.0, 293.0))
    node, *_ = spill_entrainment(_one_slab(y=1.5, src=0, dst=OUT, layer=UPPER), z=z, temp=temp, outside=OUT)
    assert node.size == 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 12))
def test_the_compiled_slab_sum_matches_its_numpy_twin(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    s = 10
    args = (rng.random((k, s)) < 0.5, rng.integers(0, 2, (k, s)), rng.uniform(0.0, 2.0, (k, s)),
            rng.random((2, k, s)) < 0.5, rng.random((4, k)) < 0.7)
    np.testing.assert_allclose(slab_totals(*args), slab_totals_reference(*args), rtol=1e-12, atol=0)
