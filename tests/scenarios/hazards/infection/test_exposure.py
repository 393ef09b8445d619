"""Expected cases: attribution adds up, generations behave, hazards combine."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.hazards.infection.contact import Hygiene
from scenarios.hazards.infection.exposure import Route, chunk, expected_cases
from scenarios.hazards.infection.pathogens import PRESETS, Lognormal
from scenarios.hazards.infection.presence import Contacts, Presence
from scenarios.hazards.infection.ventilation import SpaceAir


def _air(n: int = 2) -> SpaceAir:
    vol = np.full(n, 60.0)
    return SpaceAir(space_ids=tuple(f"s{i}" for i in range(n)), volume=vol, ach=np.full(n, 2.0),
                    clean_air=np.zeros(n), removal=np.full(n, 2.24), isolation=np.zeros(n, bool),
                    transfer=np.zeros((n, n)))


def _world() -> tuple[Presence, Contacts]:
    # person 0 is the index case in space 0 for 3 h; persons 1-3 come and go; 4 is in space 1
    pres = Presence(person=np.array([0, 1, 2, 3, 4]), space=np.array([0, 0, 0, 0, 1]),
                    t0=np.array([0.0, 30.0, 100.0, 170.0, 0.0]),
                    t1=np.array([180.0, 200.0, 400.0, 2000.0, 300.0]),
                    kind=np.ones(5, np.int8))
    contacts = Contacts(carrier=np.array([0, 0, 0]), kind=np.zeros(3, np.int8), person=np.array([0, 1, 4]),
                        time=np.array([10.0, 40.0, 60.0]), space=np.array([0, 0, 1]),
                        carrier_label=["nurse#0"])
    return pres, contacts


def _run(pathogen_name: str, *, generations: int = 2, horizon: float = 3 * 1440.0) -> tuple:
    pres, contacts = _world()
    p = PRESETS[pathogen_name]
    if p.contact is None:
        p = p.model_copy(update={"contact": PRESETS["norovirus"].contact})
    emission = [p.emission or Lognormal(median=0.0)]
    return expected_cases(pres=pres, contacts=contacts, n_people=5, index=np.array([0]),
                          breath=np.full(5, 0.5), source=np.ones(5), emission=emission, air=_air(),
                          pathogen=p,
                          hygiene=Hygiene(0.2, 0.5, 0.5), horizon_min=horizon, dt_min=1.0, samples=64,
                          generations=generations, rng=np.random.default_rng(0)), p


def test_attribution_adds_up_to_the_person_totals() -> None:
    exp, _ = _run("influenza")
    rec = exp.records
    for gen, total in ((1, exp.secondary), (2, exp.tertiary)):
        per = np.bincount(rec.person[rec.generation == gen], weights=rec.cases[rec.generation == gen],
                          minlength=5)
        assert per == pytest.approx(total, abs=1e-12)
    assert exp.secondary[0] == 0.0  # the index case is not a case
    assert set(rec.route.tolist()) == {Route.AIRBORNE, Route.CONTACT}


def test_both_routes_combine_as_hazards() -> None:
    exp, _ = _run("influenza", generations=1)
    # person 4 is only reached by the nurse (another space, no air exchange): contact route only
    rec = exp.records
    assert set(rec.route[rec.person == 4].tolist()) == {Route.CONTACT}
    assert exp.tertiary.sum() == 0.0


def test_tertiary_cases_need_an_incubation_within_the_run() -> None:
    flu, _ = _run("influenza")
    tb, _ = _run("tuberculosis")
    short, _ = _run("influenza", horizon=600.0)
    assert flu.tertiary.sum() > 0
    assert tb.tertiary.sum() == 0.0      # no onset of infectiousness within a run
    assert short.tertiary.sum() < flu.tertiary.sum()


def test_emission_draws_spread_around_the_mean() -> None:
    exp, _ = _run("measles", generations=1)
    assert exp.secondary_draws.mean() == pytest.approx(exp.secondary.sum())
    assert exp.secondary_draws.min() < exp.secondary.sum() < exp.secondary_draws.max()


@given(st.lists(st.tuples(st.floats(0, 5000), st.floats(0.01, 3000)), min_size=1, max_size=30),
       st.sampled_from([45.0, 60.0]))
@settings(max_examples=60, deadline=None)
def test_chunks_cover_rows_exactly_within_clock_windows(rows: list[tuple[float, float]], m: float) -> None:
    t0 = np.array([r[0] for r in rows])
    t1 = t0 + np.array([r[1] for r in rows])
    pres = Presence(np.arange(len(rows)), np.zeros(len(rows), np.int64), t0, t1, np.ones(len(rows), np.int8))
    c = chunk(pres, m)
    assert np.all(c.t1 > c.t0 - 1e-9)
    assert np.all(np.floor(c.t0 / m + 1e-9) >= np.ceil(c.t1 / m - 1e-9) - 1)  # inside one window
    per = np.bincount(c.person, weights=c.t1 - c.t0, minlength=len(rows))
    assert per == pytest.approx(pres.t1 - pres.t0)
