"""A drill in a hazard: nothing changes without one; with one, doses, ASET and margins come out."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa

from scenarios.evacuation import EvacParams, PersonSpec, simulate
from scenarios.hazards.cases import ward
from scenarios.hazards.environment import HazardEnvironment
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
    assert {"hazard_maps", "aset", "fire_devices", "hrr"} <= set(out)
    text = report({k: {"mean": v} for k, v in kpis.items()})
    assert "ASET against RSET" in text and "A " in text


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
