"""A drill in a hazard: nothing changes without one; with one, doses, ASET and margins come out."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from scenarios.evacuation import EvacParams, PersonSpec, simulate
from scenarios.hazards.cases import single_room, ward
from scenarios.hazards.environment import HazardEnvironment
from scenarios.hazards.gas import ppm, pure_density
from scenarios.hazards.outcomes import outcomes, report
from scenarios.hazards.schema import HazardSpec


def _people() -> list[PersonSpec]:
    """One walking patient per room; the one in the fire room (R1) is slow to react."""
    return [PersonSpec(id=f"p{k}", profile="ambulant", space=f"R{k}", position=(4.0 * k - 2.0, 2.5),
                       premove=60.0 if k == 1 else 5.0) for k in range(1, 7)]


def _spec(**fire: Any) -> HazardSpec:
    base: dict[str, Any] = {"origin": "R1", "growth": "fast", "peak_hrr": 2000.0, "start": -20.0}
    return HazardSpec.model_validate({"fire": {**base, **fire}, "horizon": 300.0})


def _run(env: HazardEnvironment | None) -> dict[str, pa.Table]:
    m = simulate(ward(6), _people(), EvacParams(trajectories=False, max_time=600.0), np.random.default_rng(3),
                 environment=env)
    tables = m.recorder.tables()
    tables["_end"] = pa.table({"t": [m.t]})
    return tables


def test_a_hazard_that_never_reaches_the_drill_changes_nothing_bit_for_bit() -> None:
    plain = _run(None)
    fac = ward(6)
    idle = _run(HazardEnvironment(fac, _spec(start=3000.0)))
    for name in ("agents", "evacuated_over_time", "door_flows"):
        assert plain[name].to_pandas().equals(idle[name].to_pandas()), name
    assert (idle["doses"].to_pandas().drop(columns="id").to_numpy() == 0).all()


def test_a_fire_gives_doses_along_the_path_aset_per_compartment_and_margins() -> None:
    fac = ward(6)
    env = HazardEnvironment(fac, _spec())
    tables = _run(env)
    kpis, out = outcomes(env, tables, alarm=0.0, end=float(tables["_end"]["t"][0].as_py()))
    people = out["people"].to_pandas().set_index("id")
    assert people.loc["p1", "fed"] > people.loc["p6", "fed"] >= 0
    assert people.loc["p1", "fed"] > 0.01
    assert (people["time_safe_s"] > 0).all()
    comp = out["aset_rset"].to_pandas().set_index("compartment")
    assert set(comp.index) == {"A", "B"}
    assert comp.loc["A", "aset_s"] < comp.loc["B", "aset_s"]
    assert math.isclose(comp.loc["A", "margin_s"], comp.loc["A", "aset_s"] - comp.loc["A", "rset_s"])
    assert kpis["first_untenable_s"] <= comp.loc["A", "aset_s"]
    assert kpis["min_margin_s"] == people["margin_s"].min()
    assert kpis["max_fed_safe"] == people["fed"].max()  # everyone here reached safety
    assert {"hazard_maps", "aset", "fire_devices", "hrr"} <= set(out)
    text = report({k: {"mean": v} for k, v in kpis.items()})
    assert "ASET against RSET" in text and "A " in text


def test_the_highest_fed_of_those_safe_leaves_out_whoever_never_reached_safety() -> None:
    """A patient left in the fire room goes on breathing smoke to the end of the run: their dose
    is the highest of anyone's, but not a survivor's, so ``max_fed_safe`` leaves it out."""
    env = HazardEnvironment(ward(6), _spec())
    tables = _run(env)
    agents = tables["agents"].to_pandas()
    agents.loc[agents["id"] == "p1", "reached"] = np.nan  # as if p1 never got out of R1
    tables["agents"] = pa.Table.from_pandas(agents, preserve_index=False)
    kpis, out = outcomes(env, tables, alarm=0.0, end=float(tables["_end"]["t"][0].as_py()))
    people = out["people"].to_pandas().set_index("id")
    assert kpis["max_fed"] == people.loc["p1", "fed"] > kpis["max_fed_safe"]
    assert kpis["max_fed_safe"] == people.drop(index="p1")["fed"].max()


def test_a_gas_release_lists_everyone_exposed_by_aegl_level() -> None:
    spec = HazardSpec.model_validate({"gas": {"space": "R1", "species": "chlorine", "source": {
        "kind": "instantaneous", "mass": 0.05, "start": -30.0}}, "horizon": 300.0})
    env = HazardEnvironment(ward(6), spec)
    tables = _run(env)
    kpis, out = outcomes(env, tables, alarm=0.0, end=float(tables["_end"]["t"][0].as_py()))
    people = out["people"].to_pandas().set_index("id")
    assert people.loc["p1", "toxic_load"] > people.loc["p6", "toxic_load"]
    assert people.loc["p1", "above_aegl1"] and people.loc["p1", "minutes_at_aegl1"] > 10
    assert kpis["exposed_aegl1"] >= kpis["exposed_aegl2"] >= kpis["exposed_aegl3"]
    assert kpis["exposed_aegl1"] >= 1
    gas = out["gas_spaces"].to_pandas().set_index("space")
    assert gas.loc["R1", "peak_ppm"] > gas.loc["R6", "peak_ppm"]
    assert kpis["gas_spaces_unsafe"] >= 1 and kpis["gas_min_o2_percent"] < 20.9
    assert "spaces unsafe from the gas" in report({k: {"mean": v} for k, v in kpis.items()})


#: A made-up gas whose three levels are close together, so one room crosses all of them within minutes.
_TEST_GAS = {"name": "test gas", "molecular_weight": 30.0,
             "aegl1": [20.0] * 5, "aegl2": [50.0] * 5, "aegl3": [100.0] * 5}


def _standing(space: str, pid: str, at: tuple[float, float]) -> PersonSpec:
    """Someone who does not move during the drill (pre-movement longer than the drill)."""
    return PersonSpec(id=pid, profile="ambulant", space=space, position=at, premove=1e5)


def test_someone_standing_in_a_leaking_room_gets_its_time_above_each_aegl_to_the_hazard_step() -> None:
    w, d, h, ach, g, stop, end = 5.0, 4.0, 2.5, 30.0, 1e-4, 200.0, 600.0
    spec = HazardSpec.model_validate({"gas": {
        "space": "R", "species": "custom", "custom": _TEST_GAS, "hvac": "running",
        "source": {"kind": "leak", "rate": g, "mass": 1.0, "start": 0.0, "isolate_at": stop},
        "doors": {"exits_open": False}}, "horizon": end})
    fac = single_room(w, d, h, exit_width=1.0, ach=ach)
    env = HazardEnvironment(fac, spec)
    m = simulate(fac, [_standing("R", "still", (2.0, 2.0))], EvacParams(trajectories=False, max_time=end),
                 np.random.default_rng(1), environment=env)
    _, out = outcomes(env, m.recorder.tables(), alarm=0.0, end=m.t)
    person = out["people"].to_pandas().set_index("id").loc["still"]
    # the closed room: C(t) = C_ss (1 - exp(-lam t)) while leaking (the released volume joins the
    # extract), then C(stop) exp(-ACH (t - stop)); the time above L is from the rise through L to
    # the decay through it
    sp = spec.gas.resolved()  # type: ignore[union-attr]
    v = w * d * h
    lam = ach / 3600.0 + g / pure_density(sp) / v
    per_ppm = 1.0 / float(ppm(np.array([1.0]), sp)[0])  # kg/m^3 per ppm
    c_ss = g / (lam * v)
    c_stop = c_ss * (1 - math.exp(-lam * stop))
    for level, limit in ((1, 20.0), (2, 50.0), (3, 100.0)):
        rise = -math.log(1 - limit * per_ppm / c_ss) / lam
        fall = stop + math.log(c_stop / (limit * per_ppm)) / (ach / 3600.0)
        assert 0 < rise < stop < fall < end
        assert abs(person[f"seconds_above_aegl{level}"] - (fall - rise)) <= spec.dt, level
        assert person[f"above_aegl{level}"]
    assert person["highest_aegl"] == 3
    assert 0 < person["seconds_above_aegl3"] < person["seconds_above_aegl2"] < person["seconds_above_aegl1"]
    space = out["gas_spaces"].to_pandas().set_index("space").loc["R"]
    assert math.isclose(space["time_above_aegl2_s"], person["seconds_above_aegl2"], abs_tol=1e-6)


def test_only_people_in_spaces_above_a_level_get_time_above_it_and_the_levels_nest() -> None:
    spec = HazardSpec.model_validate({"gas": {
        "space": "R1", "species": "custom", "custom": _TEST_GAS, "hvac": "running",
        "source": {"kind": "instantaneous", "mass": 0.02, "start": 0.0}}, "horizon": 400.0})
    fac = ward(6)
    env = HazardEnvironment(fac, spec)
    people = [_standing(f"R{k}", f"p{k}", (4.0 * k - 2.0, 2.5)) for k in range(1, 7)]
    people += [_standing("KA", "corridor", (10.0, 6.2)), _standing("KB", "far", (40.0, 6.2))]
    m = simulate(fac, people, EvacParams(trajectories=False, max_time=400.0), np.random.default_rng(2),
                 environment=env)
    kpis, out = outcomes(env, m.recorder.tables(), alarm=0.0, end=m.t)
    p = out["people"].to_pandas().set_index("id")
    gas = out["gas_spaces"].to_pandas().set_index("space")
    start = {q.id: q.space for q in people}
    for level in (1, 2, 3):
        room = gas.loc[[start[i] for i in p.index], f"time_above_aegl{level}_s"].to_numpy()
        # nobody moved: each person's time above a level is their room's, zero where it never got there
        np.testing.assert_allclose(p[f"seconds_above_aegl{level}"].to_numpy(), room, atol=1e-6)
        assert (p[f"above_aegl{level}"] == (room > 0)).all()
        assert kpis[f"exposed_aegl{level}"] == (room > 0).sum()
    assert (p["seconds_above_aegl3"] <= p["seconds_above_aegl2"]).all()
    assert (p["seconds_above_aegl2"] <= p["seconds_above_aegl1"]).all()
    # AEGL-3 in the release's room, AEGL-1 only in the corridor outside it, nothing beyond the
    # smoke door (closed at the alarm); the other rooms take some gas, below every level
    assert p.loc["p1", "highest_aegl"] == 3 and p.loc["p1", "seconds_above_aegl3"] > 0
    assert p.loc["corridor", "highest_aegl"] == 1 and p.loc["corridor", "seconds_above_aegl1"] > 0
    assert (p.loc[["p2", "p6"], "toxic_load"] > 0).all() and (p.loc[["p2", "p6"], "highest_aegl"] == 0).all()
    assert p.loc["far", "highest_aegl"] == 0 and p.loc["far", "seconds_above_aegl1"] == 0
    text = report({k: {"mean": v} for k, v in kpis.items()})
    for level, pid in ((1, "corridor"), (3, "p1")):
        minutes = p.loc[pid, f"seconds_above_aegl{level}"] / 60.0
        assert f"    {pid:<28} {minutes:8.2f} min" in text
    assert "AEGL-3 (100 ppm): 1 exposed" in text and "AEGL-1 (20 ppm): 2 exposed" in text
    assert "far " not in text and "p2 " not in text


def test_an_aset_beyond_the_horizon_is_printed_and_stored_as_a_lower_bound() -> None:
    # Found by a tester: an ASET past the hazard's horizon printed as a plain number.
    fac = ward(6)
    env = HazardEnvironment(fac, _spec(start=3000.0))  # the fire starts long after the horizon
    tables = _run(env)
    end = float(tables["_end"]["t"][0].as_py())
    kpis, out = outcomes(env, tables, alarm=0.0, end=end)
    comp = out["aset_rset"].to_pandas().set_index("compartment")
    assert comp["aset_beyond_horizon"].all() and comp["aset_patient_beyond_horizon"].all()
    for c in comp.index:
        assert kpis[f"aset_beyond_horizon.{c}"] == 1.0 and kpis[f"margin_is_lower_bound.{c}"] == 1.0
    text = report({k: {"mean": v} for k, v in kpis.items()})
    row = next(x for x in text.splitlines() if x.strip().startswith("A "))
    aset, margin = kpis["aset_compartment.A"], kpis["margin_compartment.A"]
    assert f"≥ {aset:.0f}" in row and f"≥ {margin:.0f}" in row, row


def test_an_aset_within_the_horizon_is_printed_plain() -> None:
    kpis = {"aset_compartment.A": 120.0, "margin_compartment.A": -30.0, "aset_beyond_horizon.A": 0.0,
            "margin_is_lower_bound.A": 0.0}
    text = report({k: {"mean": v} for k, v in kpis.items()})
    assert "≥" not in text.split("\n", 2)[2] and "120" in text and "-30" in text


def test_personal_margins_carry_their_bound_when_the_aset_is_past_the_horizon() -> None:
    # Found by a tester: the per-person margin of a compartment whose ASET lies past the horizon
    # was stored and printed as a plain number, unlike the compartment's
    env = HazardEnvironment(ward(6), _spec(start=3000.0))
    tables = _run(env)
    kpis, out = outcomes(env, tables, alarm=0.0, end=float(tables["_end"]["t"][0].as_py()))
    p = out["people"].to_pandas()
    assert p["aset_beyond_horizon"].all() and p["margin_is_lower_bound"].all()
    assert not p["margin_is_upper_bound"].any() and (p["margin_s"] >= 0).all()
    assert kpis["min_margin_is_lower_bound"] == 1.0 and kpis["margin_unknown"] == 0.0
    text = report({k: {"mean": v} for k, v in kpis.items()})
    row = next(x for x in text.splitlines() if "smallest personal margin" in x)
    assert f"≥ {kpis['min_margin_s']:.0f}" in row, row
    # a fire within the horizon: exact margins, printed plain
    env = HazardEnvironment(ward(6), _spec())
    tables = _run(env)
    kpis, out = outcomes(env, tables, alarm=0.0, end=float(tables["_end"]["t"][0].as_py()))
    p = out["people"].to_pandas()
    assert not p["margin_is_lower_bound"].any() and kpis["min_margin_is_lower_bound"] == 0.0
    text = report({k: {"mean": v} for k, v in kpis.items()})
    row = next(x for x in text.splitlines() if "smallest personal margin" in x)
    assert "≥" not in row and f"{kpis['min_margin_s']:.0f}" in row


def test_someone_still_inside_has_an_upper_bound_margin_or_none_when_the_aset_is_past_the_horizon() -> None:
    for start, bound in ((-20.0, "upper"), (3000.0, "none")):
        env = HazardEnvironment(ward(6), _spec(start=start))
        m = simulate(ward(6), _people(), EvacParams(trajectories=False, max_time=20.0),
                     np.random.default_rng(3), environment=env)
        kpis, out = outcomes(env, m.recorder.tables(), alarm=0.0, end=m.t)
        p = out["people"].to_pandas().set_index("id")
        inside = ~np.isfinite(p["time_safe_s"].to_numpy(float))
        assert inside.all()  # nobody is out after 20 s
        if bound == "upper":
            assert p["margin_is_upper_bound"].all() and p["margin_s"].notna().all()
            assert kpis["margin_unknown"] == 0.0 and kpis["min_margin_is_lower_bound"] == 0.0
        else:
            assert p["margin_s"].isna().all() and not p["margin_is_upper_bound"].any()
            assert not p["margin_is_lower_bound"].any() and kpis["margin_unknown"] == 6.0
            assert math.isnan(kpis["min_margin_s"])
            assert "inside at the end, ASET ≥ horizon" in report({k: {"mean": v} for k, v in kpis.items()})


def test_a_personal_margin_follows_the_person_through_the_spaces_they_were_in() -> None:
    # Found by a user: the margin used the ASET of the compartment someone started in, even long
    # after they had left it. It is the smallest (ASET of a space - time they left it) over their stays.
    env = HazardEnvironment(ward(6), _spec())
    tables = _run(env)
    kpis, out = outcomes(env, tables, alarm=0.0, end=float(tables["_end"]["t"][0].as_py()))
    p = out["people"].to_pandas().set_index("id")
    stays = tables["stays"].to_pandas()
    aset = out["aset"].to_pandas().set_index("space")["aset_patient_s"]  # every one is a patient
    horizon = 300.0
    assert (p["role"] == "patient").all()
    for pid, rows in stays.groupby("id"):
        assert rows["space"].iloc[0] == p.loc[pid, "start_space"]
        assert (rows["entered_s"].to_numpy()[1:] == rows["left_s"].to_numpy()[:-1]).all()  # no gaps
        values = aset.reindex(rows["space"]).fillna(horizon).to_numpy() - rows["left_s"].to_numpy()
        assert p.loc[pid, "margin_s"] == pytest.approx(values.min())
        assert p.loc[pid, "margin_space"] == rows["space"].iloc[int(values.argmin())]
    # The one who stayed a minute in the fire room was still in compartment A after it turned untenable.
    assert p.loc["p1", "margin_s"] < 0 and p.loc["p1", "margin_space"] in ("R1", "KA")
    # Those who left compartment A early are judged by when they left its spaces, not by when they
    # reached the exit against A's ASET.
    a_aset = kpis["aset_compartment.A"]
    comp_p = out["aset_compartments"].to_pandas().set_index("compartment")["aset_patient_s"]
    old = comp_p["A"] - p["time_safe_s"]
    assert (p["margin_s"] != old).any() and math.isfinite(a_aset)
