"""The compiled slab-flow kernel against its numpy twin, and Emmons' spill as its special case."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.hazards.vent_kernel import (
    apply_transfers,
    apply_transfers_reference,
    keep_layers,
    keep_layers_reference,
    layer_props,
    layer_props_reference,
    slab_flows,
    slab_flows_reference,
)

SLABS = 10


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 6))
def test_kernel_matches_the_numpy_reference(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    dp0 = rng.normal(0, 3, (k, SLABS))
    rho = rng.uniform(0.5, 1.3, (2, k, SLABS))
    coef = rng.uniform(0.001, 0.02, (k, SLABS))
    coef[:, 1:][rng.uniform(size=(k, SLABS - 1)) < 0.2] = 0.0  # empty slabs: a cut at a slab's edge
    target = rng.normal(0, 0.5, k)
    got = slab_flows(dp0, rho, coef, target)
    np.testing.assert_allclose(got, slab_flows_reference(dp0, rho, coef, target), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.sum(axis=1), target, atol=1e-6)


def test_a_hot_layer_leaves_at_the_top_and_cold_air_enters_below_at_zero_net_flow() -> None:
    g, t_c, t_h, top, z = 9.81, 293.15, 573.15, 2.1, 1.2
    rho_c, rho_h = 353.0 / t_c, 353.0 / t_h
    y = (np.arange(SLABS) + 0.5) / SLABS * top
    p_hot = -g * (rho_c * np.minimum(y, z) + rho_h * np.maximum(y - z, 0.0))
    dp0 = (p_hot + g * rho_c * y)[None]
    rho = np.stack([np.where(y > z, rho_h, rho_c), np.full(SLABS, rho_c)])[:, None]
    out = slab_flows(dp0, rho, np.full((1, SLABS), 0.7 * 0.9 * top / SLABS), np.array([0.0]))[0]
    assert math.isclose(out.sum(), 0.0, abs_tol=1e-9)
    assert (out[y > z + 0.2] > 0).all() and (out[y < z - 0.2] < 0).all()
    assert np.all(np.diff(out) >= -1e-12)  # outflow grows with height


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 8), k=st.integers(1, 40))
def test_transfer_kernel_matches_the_numpy_reference_and_conserves(seed: int, n: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    m = rng.uniform(0.1, 10.0, (2, n))
    e = m * rng.uniform(2.9e5, 6e5, (2, n))
    y = m[None] * rng.uniform(0.0, 0.2, (5, 2, n))
    route = (rng.integers(0, n + 1, k), rng.integers(0, 2, k), rng.integers(0, n + 1, k),
             rng.integers(0, 2, k))
    mass = rng.uniform(-1.0, 8.0, k)
    props = (np.concatenate([e / m, np.full((2, 1), 2.9e5)], axis=1),
             np.concatenate([y / m[None], np.full((5, 2, 1), 0.1)], axis=2))
    got = (m.copy(), e.copy(), y.copy())
    ref = (m.copy(), e.copy(), y.copy())
    ledger = apply_transfers(got, route, mass, props, 0.5)
    ledger_ref = apply_transfers_reference(ref, route, mass, props, 0.5)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ledger, ledger_ref, rtol=1e-12, atol=1e-12)
    assert (got[0] >= 0.5 * m - 1e-12).all()  # no layer gave more than half its mass
    assert math.isclose(got[0].sum() - m.sum(), ledger[0] - ledger[1], abs_tol=1e-9)


def test_a_strong_inflow_from_the_denser_side_is_balanced() -> None:
    """A net flow b -> a from a side three times denser than a: the offset must still be found."""
    dp0 = np.zeros((1, SLABS))
    rho = np.stack([np.full((1, SLABS), 0.4), np.full((1, SLABS), 1.2)])
    target = np.array([-1.5])
    for flows in (slab_flows, slab_flows_reference):
        got = flows(dp0, rho, np.full((1, SLABS), 0.005), target)
        np.testing.assert_allclose(got.sum(axis=1), target, atol=1e-6)


def _layers(rng: np.random.Generator, n: int, species: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random two-layer states of ``n`` spaces: masses (kg), energies (J) and species masses (kg)."""
    m = rng.uniform(1e-4, 50.0, (2, n))
    e = m * 1012.0 * rng.uniform(280.0, 700.0, (2, n))
    y = m[None] * rng.uniform(0.0, 0.25, (species, 2, n))
    return m, e, y


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12))
def test_layer_keeping_kernel_matches_the_numpy_reference(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    m, e, y = _layers(rng, n, 5)
    floor = rng.uniform(1e-3, 0.5, n)
    got, ref = (m.copy(), e.copy(), y.copy()), (m.copy(), e.copy(), y.copy())
    keep_layers(got, floor, 1012.0, 353.0)
    keep_layers_reference(ref, floor, 1012.0, 353.0)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[0].sum(axis=0), m.sum(axis=0), rtol=1e-12)  # internal moves only


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12))
def test_layer_properties_kernel_matches_the_numpy_reference(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    m, e, y = _layers(rng, n, 6)
    shape = (rng.uniform(2.0, 4.0, n), rng.uniform(0.5, 40.0, n))
    ambient = rng.uniform(0.0, 0.3, 6)
    consts = np.array([293.15, 1012.0, 353.0])
    got = layer_props((m, e, y), shape, ambient, consts)
    ref = layer_props_reference((m, e, y), shape, ambient, consts)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    temp, frac, _, z = got
    assert np.all(temp[:, n] == 293.15) and np.all(frac[:, :, n] == ambient[:, None]) and z[n] == np.inf
    assert np.all((z[:n] >= 0) & (z[:n] <= shape[0]))  # the interface stays inside the space
