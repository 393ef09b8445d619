"""The airborne route against closed forms, Beggs et al. (2010), and its physical invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import facility
from scenarios.hazards.infection.airborne import (
    concentration,
    emission_grid,
    gammaitoni_nucci_risk,
    integral_between,
)
from scenarios.hazards.infection.pathogens import PRESETS
from scenarios.hazards.infection.ventilation import AirSettings, SpaceAir, space_air


def _room(volume: float, removal: float) -> SpaceAir:
    return SpaceAir(space_ids=("room",), volume=np.array([volume]), ach=np.array([removal]),
                    clean_air=np.zeros(1), removal=np.array([removal]), isolation=np.zeros(1, bool),
                    transfer=np.zeros((1, 1)))


def _risk_from_kernel(air: SpaceAir, quanta_h: float, inhalation: np.ndarray, minutes: np.ndarray,
                      dt_min: float = 1.0) -> np.ndarray:
    horizon = float(np.ceil(minutes.max())) + dt_min
    n_bins = int(horizon / dt_min)
    grid = emission_grid(np.array([0]), np.array([0.0]), np.array([horizon]), np.array([quanta_h]),
                         n_spaces=1, dt_min=dt_min, n_bins=n_bins)
    field = concentration(air, grid, dt_min)
    integ = integral_between(field, np.zeros(minutes.size, np.int64), np.zeros(minutes.size), minutes)
    return 1.0 - np.exp(-inhalation * integ)


def test_kernel_matches_gammaitoni_nucci_closed_form() -> None:
    for q, lam, t in [(12.7, 4.0, 30.0), (100.0, 2.0, 90.0), (570.0, 12.0, 120.0)]:
        got = _risk_from_kernel(_room(132.0, lam), q, np.array([0.48]), np.array([t]))[0]
        assert got == pytest.approx(gammaitoni_nucci_risk(q, 0.48, 132.0, lam, t / 60.0), rel=1e-9)


@pytest.mark.parametrize(("quanta_h", "published"), [(12.7, 0.0034), (100.0, 0.0262)],
                         ids=["TB", "influenza"])
def test_beggs_2010_waiting_room_30_minute_risks(quanta_h: float, published: float) -> None:
    # Beggs, Shepherd & Kerr, BMC Infect Dis 10:247 (2010), Table 2: 8 x 6 x 2.75 m (132 m³),
    # 4 outside air changes per hour, pulmonary ventilation 0.48 (sd 0.20) m³/h, waiting time
    # 30 (sd 10) min, one infector; the mean over their Monte Carlo draws.
    rng = np.random.default_rng(2010)
    n = 20_000
    minutes = np.clip(rng.normal(30.0, 10.0, n), 0.0, None)
    inhalation = np.clip(rng.normal(0.48, 0.20, n), 0.0, None)
    risk = _risk_from_kernel(_room(132.0, 4.0), quanta_h, inhalation, minutes).mean()
    assert risk == pytest.approx(published, rel=0.03)


def test_zero_emission_gives_zero_concentration() -> None:
    air = _room(50.0, 4.0)
    field = concentration(air, np.zeros((1, 120)), 1.0)
    assert not field.cum.any()


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(0, 50)), min_size=1, max_size=20),
       st.sampled_from([0.5, 1.0, 7.0]))
@settings(max_examples=60, deadline=None)
def test_emission_grid_conserves_quanta(rows: list[tuple[float, float, float]], dt: float) -> None:
    a = np.array([min(r[0], r[1]) for r in rows])
    b = np.array([max(r[0], r[1]) for r in rows])
    q = np.array([r[2] for r in rows])
    n_bins = int(np.ceil(100.0 / dt))
    grid = emission_grid(np.zeros(len(rows), np.int64), a, b, q, n_spaces=1, dt_min=dt, n_bins=n_bins)
    assert grid.sum() * dt == pytest.approx(float((q * (b - a)).sum()), rel=1e-9, abs=1e-9)


@given(st.floats(0.5, 30.0), st.floats(0.1, 20.0))
@settings(max_examples=40, deadline=None)
def test_risk_falls_with_air_changes(ach: float, more: float) -> None:
    low = _risk_from_kernel(_room(80.0, ach + 0.24), 15.0, np.array([0.54]), np.array([45.0]))[0]
    high = _risk_from_kernel(_room(80.0, ach + more + 0.24), 15.0, np.array([0.54]), np.array([45.0]))[0]
    assert high < low


def test_shut_isolation_room_protects_the_corridor() -> None:
    fac = facility.sample()
    measles = PRESETS["measles"]
    idx = {s.id: i for i, s in enumerate(fac.spaces)}
    corridor = idx["L0-A-CORRIDOR"]

    def corridor_dose(room: str, settings_: AirSettings) -> float:
        air = space_air(fac, settings_, measles)
        grid = emission_grid(np.array([idx[room]]), np.array([0.0]), np.array([120.0]), np.array([15.0]),
                             n_spaces=len(fac.spaces), dt_min=1.0, n_bins=180)
        field = concentration(air, grid, 1.0)
        own = field.cum[-1, idx[room]]
        assert own > 0
        return float(field.cum[-1, corridor])

    shut = AirSettings()
    assert space_air(fac, shut, measles).isolation[idx["L0-ED-ISO"]]
    assert corridor_dose("L0-ED-ISO", shut) == 0.0
    assert corridor_dose("L0-ED-ISO", AirSettings(isolation_door_shut=False)) > 0.0
    assert corridor_dose("L0-ED-MIN1", shut) > 0.0


def test_hepa_and_ashrae_defaults_enter_the_removal_rate() -> None:
    fac = facility.sample()
    flu = PRESETS["influenza"]
    base = space_air(fac, AirSettings(), flu)
    i = base.index()["L0-ED-MIN1"]
    assert base.ach[i] == 4.0  # no ACH in the facility, not in the table: the default
    hepa = space_air(fac, AirSettings(hepa=[{"space": "L0-ED-MIN1", "clean_air_m3h": 300.0}]), flu)
    assert hepa.removal[i] == pytest.approx(base.removal[i] + 300.0 / base.volume[i])


_FAC = facility.sample()
_L0 = [i for i, s in enumerate(_FAC.spaces) if s.level == "L0" and s.kind.value in ("room", "corridor")]


@given(st.sampled_from(_L0), st.sampled_from(_L0), st.floats(0.5, 20.0))
@settings(max_examples=15, deadline=None)
def test_more_air_anywhere_never_raises_any_concentration(source: int, boosted: int, more: float) -> None:
    flu = PRESETS["influenza"]
    base_settings = AirSettings()
    air = space_air(_FAC, base_settings, flu)
    sid = air.space_ids[boosted]
    more_air = space_air(_FAC, AirSettings(air_changes={sid: float(air.ach[boosted]) + more}), flu)
    grid = emission_grid(np.array([source]), np.array([0.0]), np.array([60.0]), np.array([10.0]),
                         n_spaces=len(air.space_ids), dt_min=2.0, n_bins=60)
    low = concentration(more_air, grid, 2.0).cum[-1]
    high = concentration(air, grid, 2.0).cum[-1]
    assert np.all(low <= high * (1 + 1e-9) + 1e-15)
    assert low[boosted] < high[boosted] or high[boosted] == 0.0
