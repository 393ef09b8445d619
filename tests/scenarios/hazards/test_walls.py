"""Ceilings, walls and floors: conduction through the linings and the heat they exchange with the gas."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.hazards.cases import single_room
from scenarios.hazards.gas_bands import chart_emissivity
from scenarios.hazards.network import build_network
from scenarios.hazards.schema import FireSpec, Tenability
from scenarios.hazards.smoke import Smoke
from scenarios.hazards.wall_kernel import wall_inputs, wall_inputs_reference
from scenarios.hazards.walls import (
    CEILING,
    CONCRETE,
    FLOOR,
    JET,
    LOWER_WALL,
    UPPER_WALL,
    Walls,
    conduct,
    exchange,
    exchange_reference,
    new_walls,
    surface_temperature,
)
from scenarios.hazards.zone import LOWER, UPPER, layer_temperature

T0 = 293.15


def _stored(w_temp: np.ndarray, dx: np.ndarray, rho_c: float) -> float:
    return float(((w_temp - T0) * dx * rho_c).sum())


def _exchange(walls: Walls, t_gas: float, *, soot: float = 0.0, fire: tuple[int, float, float] | None = None,
              cap: float = 1e12, bands: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    one = np.ones(1)
    x = np.zeros((2, 2, 1))
    x[:, UPPER, 0] = bands
    return exchange(walls, area=one * 20.0, perimeter=one * 18.0, height=one * 2.7, z=one * 1.0,
                    t_gas=np.array([[T0], [t_gas]]), soot=np.array([[0.0], [soot]]), cap=np.full((2, 1), cap),
                    dt=1.0, fire=fire, bands=x)


def test_a_slab_stores_what_its_face_receives_and_a_thick_one_heats_like_a_semi_infinite_solid() -> None:
    walls = new_walls(1, T0)
    k, rho, c, *_ = CONCRETE
    q = 5000.0  # W/m^2 into the floor, as from a fire's radiation
    for t in range(1, 301):
        walls.flux = np.array([[0.0], [q], [0.0], [0.0]])  # only the floor receives heat
        conduct(walls, walls.flux, 1.0)
        if t in (100, 300):
            stored = _stored(walls.temp[FLOOR, 0], walls.dx[FLOOR], rho * c)
            assert math.isclose(stored, q * t, rel_tol=1e-5)  # next to nothing reached the back face
            # constant flux into a semi-infinite solid: dTs = 2 q sqrt(t / (pi k rho c))
            exact = 2 * q * math.sqrt(t / (math.pi * k * rho * c))
            face = surface_temperature(walls)[FLOOR, 0]
            assert math.isclose(face - T0, exact, rel_tol=0.05), (t, face - T0, exact)


def test_the_ceiling_over_a_fire_takes_at_least_the_ceiling_jets_mean_flux() -> None:
    walls = new_walls(1, T0)
    qc = 650e3
    to_walls, _ = _exchange(walls, T0 + 30.0, fire=(0, qc, 350e3))
    jet = JET[0] * qc / (20.0 ** JET[1] * 2.7 ** JET[2])
    assert to_walls[UPPER, 0] >= jet * 20.0 > 0.3 * qc  # a third of the plume's heat and more


def test_a_sooty_layer_radiates_to_its_surfaces_and_a_clear_one_barely() -> None:
    clear, _ = _exchange(new_walls(1, T0), T0 + 300.0, soot=0.0)
    sooty, _ = _exchange(new_walls(1, T0), T0 + 300.0, soot=1e-3)  # a = 0.39 /m, 1.7 m beam: 0.5
    assert sooty[UPPER, 0] > 2.0 * clear[UPPER, 0] > 0
    # and the fire's radiation: a sooty upper layer absorbs its share aimed upwards
    _, absorbed_clear = _exchange(new_walls(1, T0), T0 + 300.0, soot=0.0, fire=(0, 0.0, 350e3))
    _, absorbed_sooty = _exchange(new_walls(1, T0), T0 + 300.0, soot=1e-3, fire=(0, 0.0, 350e3))
    assert 0.0 < absorbed_clear[UPPER, 0] < 0.05 * absorbed_sooty[UPPER, 0] < 350e3  # clear: 0.01 /m


def test_the_exchange_is_capped_on_both_sides_for_a_stable_step() -> None:
    walls = new_walls(1, T0)
    before = walls.temp.copy()
    to_walls, _ = _exchange(walls, T0 + 500.0, soot=1e-3, cap=10.0)
    assert abs(to_walls[UPPER, 0]) <= 10.0 + 1e-12
    # what the surfaces stored is what the layers gave (ceiling 20 m^2, upper walls 18 x 1.7 m,
    # and the floor and lower walls 18 x 1.0 m that the upper layer radiates down to)
    areas = {CEILING: 20.0, FLOOR: 20.0, UPPER_WALL: 18.0 * 1.7, LOWER_WALL: 18.0 * 1.0}
    received = sum(_stored(walls.temp[j, 0], walls.dx[j], walls.rho_c[j]) * a for j, a in areas.items())
    assert math.isclose(received, to_walls.sum(), rel_tol=1e-9)
    assert (walls.temp >= before).all()


def test_the_upper_layer_radiates_down_to_the_floor_through_the_clear_lower_layer() -> None:
    walls = new_walls(1, T0)
    _exchange(walls, T0 + 400.0, soot=1e-3)
    assert walls.flux[FLOOR, 0] > 0.3 * walls.flux[CEILING, 0] > 0  # view factor 20 / (20 + 18)
    assert walls.flux[LOWER_WALL, 0] > 0


def test_hot_walls_give_heat_back_once_the_fire_is_out() -> None:
    # A steady fire for 5 minutes, then none: the linings it heated warm the gas afterwards, so
    # the net heat to the boundaries turns negative and the room stays warm while they cool.
    net = build_network(single_room(5.0, 4.0, 2.4, exit_width=0.9))
    spec = FireSpec(origin="R", growth="table", hrr_table=[(0.0, 400.0), (300.0, 400.0), (301.0, 0.0)],
                    base_height=0.3, area=0.5)
    sm = Smoke(net, spec, Tenability(), origin=0)
    sm.advance_to(300.0)
    hot = float(layer_temperature(sm.state)[UPPER, 0])
    wall_at_300 = sm.state.ledger["wall"]
    sm.advance_to(420.0)
    gave_back = sm.state.ledger["wall"] - wall_at_300
    assert gave_back < 0  # the walls heated the gas over the two minutes after the fire
    surface = surface_temperature(sm.state.walls)[CEILING, 0]
    t = layer_temperature(sm.state)
    assert surface > t[UPPER, 0] > T0 + 20.0 and hot > t[UPPER, 0]
    assert t[LOWER, 0] > T0  # the floor and lower walls warmed the lower layer


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), dt=st.sampled_from([0.5, 1.0, 5.0]), with_fire=st.booleans())
def test_the_compiled_wall_step_matches_its_numpy_twin(seed: int, dt: float, with_fire: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 7
    area, perimeter = rng.uniform(4, 200, n), rng.uniform(8, 60, n)
    height = rng.uniform(2.2, 4.0, n)
    z = height * rng.uniform(0, 1, n)
    t_gas = T0 + np.stack([rng.uniform(0, 80, n), rng.uniform(0, 600, n)])
    t_gas[:, 0] = T0  # a quiet space
    soot = rng.uniform(0, 2e-3, (2, n))
    bands = rng.uniform(0, 0.1, (2, 2, n))
    cap = rng.choice([1e3, 1e12], (2, n))
    fire = (int(rng.integers(1, n)), 5e5, 3e5) if with_fire else None
    a, b = new_walls(n, T0), new_walls(n, T0)
    for _ in range(4):
        kw = {"area": area, "perimeter": perimeter, "height": height, "z": z, "t_gas": t_gas, "soot": soot,
              "cap": cap, "dt": dt, "fire": fire, "bands": bands}
        got, want = exchange(a, **kw), exchange_reference(b, **kw)  # type: ignore[arg-type]
        for x, y in zip(got, want, strict=True):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(a.temp, b.temp, rtol=1e-12)
        np.testing.assert_allclose(a.flux, b.flux, rtol=1e-10, atol=1e-9)


def test_a_sooty_lower_layer_takes_radiation_from_the_hot_layer_above_it() -> None:
    clear, _ = _exchange(new_walls(1, T0), T0 + 400.0, soot=0.0)
    walls = new_walls(1, T0)
    one = np.ones(1)
    sooty = exchange(walls, area=one * 20.0, perimeter=one * 18.0, height=one * 2.7, z=one * 1.0,
                     t_gas=np.array([[T0], [T0 + 400.0]]), soot=np.array([[1e-3], [1e-3]]),
                     cap=np.full((2, 1), 1e12), dt=1.0)[0]
    # the lower layer gains (negative loss) what the upper one sends through the interface
    assert sooty[LOWER, 0] < 10 * clear[LOWER, 0] < 0  # a clear one barely (0.01 /m)
    assert sooty[UPPER, 0] > clear[UPPER, 0]


def test_a_clean_layer_radiates_through_its_co2_and_water_bands() -> None:
    # FM/NBS 19's propene layer: 5 % CO2 and 5 % water by volume, almost no soot; without the
    # gas bands it radiated at CFAST's floor of 0.01 /m and ran ~30 % hotter than CFAST's
    dry, _ = _exchange(new_walls(1, T0), T0 + 300.0)
    wet, _ = _exchange(new_walls(1, T0), T0 + 300.0, bands=(0.05, 0.05))
    wetter, _ = _exchange(new_walls(1, T0), T0 + 300.0, bands=(0.10, 0.10))
    assert wetter[UPPER, 0] > wet[UPPER, 0] > 1.5 * dry[UPPER, 0] > 0
    # its emissivity over the 0.9 m beam of this layer: water's chart plus half CO2's
    beam = 3.6 * 20.0 * 1.7 / (2 * 20.0 + 18.0 * 1.7)
    t = T0 + 300.0
    a_g = chart_emissivity("h2o", t, 0.05 * beam) + 0.5 * chart_emissivity("co2", t, 0.05 * beam)
    assert 0.1 < a_g < 0.3
    # and it absorbs the fire's radiation in proportion
    _, taken = _exchange(new_walls(1, T0), T0 + 300.0, bands=(0.05, 0.05), fire=(0, 0.0, 350e3))
    _, passed = _exchange(new_walls(1, T0), T0 + 300.0, fire=(0, 0.0, 350e3))
    assert taken[UPPER, 0] > 5 * passed[UPPER, 0]


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 9))
def test_the_compiled_wall_inputs_match_their_numpy_twin(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    m = rng.uniform(1e-3, 60.0, (2, n))
    temp = np.append(rng.uniform(250.0, 900.0, (2, n)), np.full((2, 1), 293.15), axis=1)
    frac = rng.uniform(0.0, 0.3, (6, 2, n + 1))
    rho = 353.0 / temp
    walls = new_walls(n, 293.15)
    walls.temp += rng.uniform(-20.0, 500.0, walls.temp.shape)
    walls.flux[:] = rng.normal(0.0, 5e3, walls.flux.shape)
    consts = np.array([293.15, 0.5, 1012.0, rng.uniform(0.1, 2.0), 28.96 / 44.01, 28.96 / 18.015, 0, 2, 5])
    layers = (m, temp, frac, rho)
    surfaces = (walls.temp, walls.flux, walls.half_cell)
    got, want = wall_inputs(layers, surfaces, consts), wall_inputs_reference(layers, surfaces, consts)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)
    # the cap reads the hottest face: a face far above the gas raises it
    assert np.all(got[1] >= 0.5 * m * 1012.0 * np.abs(temp[:, :n] - 293.15) / consts[3] * (1 - 1e-12))
