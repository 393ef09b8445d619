"""The shipped hazard scenarios run (short variants keep the suite's budget) and report margins."""

from __future__ import annotations

from pathlib import Path

import pytest

import scenarios
from scenarios.base import KINDS

LIBRARY = Path(__file__).resolve().parents[3] / "scenarios" / "library"


@pytest.mark.parametrize(("name", "max_time", "horizon"), [
    ("sample_hospital_ward_fire.yaml", 240.0, 700.0),
    ("sample_hospital_gas_release.yaml", 300.0, 300.0),
])
def test_shipped_hazard_scenario_runs_and_reports_aset_against_rset(name: str, max_time: float,
                                                                     horizon: float) -> None:
    sc = scenarios.load(LIBRARY / name)
    hazard = sc.hazard.model_copy(update={"horizon": horizon})  # type: ignore[attr-defined]
    short = sc.model_copy(update={"max_time": max_time, "hazard": hazard, "trajectories": False})
    res = scenarios.run(short)
    k = res.kpis
    assert any(key.startswith("aset_compartment.") for key in k)
    assert k["first_untenable_s"]["mean"] < max_time
    people = res.table("people")
    assert len(people) == k["total"]["mean"] and (people["fed"] >= 0).all()
    report = KINDS["evacuation"].report
    assert report is not None
    text = report(k)
    assert "ASET against RSET" in text
    if "gas" in name:
        gas = res.table("gas_spaces")
        assert gas.loc[gas["space"] == "L0-MRI1", "min_o2_percent"].to_numpy()[0] < 19.5
    else:
        assert k["aset_compartment.L2-A"]["mean"] < k["aset_compartment.L2-B"]["mean"]


def test_shipped_chlorine_release_reports_time_above_each_aegl_and_when_each_space_is_safe_again() -> None:
    sc = scenarios.load(LIBRARY / "sample_hospital_chlorine_release.yaml")
    res = scenarios.run(sc.model_copy(update={"trajectories": False}))
    k = res.kpis
    people = res.table("people").set_index("id")
    secs = people[[f"seconds_above_aegl{n}" for n in (1, 2, 3)]].to_numpy()
    # the levels nest, and the cleaner who mixed the agents is the one above AEGL-3 (50 ppm)
    assert (secs[:, 0] >= secs[:, 1]).all() and (secs[:, 1] >= secs[:, 2]).all()
    assert people["seconds_above_aegl3"].to_numpy(float)[people.index == "cleaner"].item() > 0
    assert k["exposed_aegl3"]["mean"] == 1 and k["exposed_aegl2"]["mean"] > 1
    # everyone was moved into L2-B, which the gas never reached
    assert k["in_refuge"]["mean"] == k["total"]["mean"]
    gas = res.table("gas_spaces").set_index("space")
    unsafe = gas[gas["ever_unsafe"]]
    assert "L2-W1-DIRTY" in unsafe.index and not unsafe["unsafe_at_end"].any()
    stop = 0.12 / 0.00067 - 30.0  # the source is spent this many s after the alarm
    assert (unsafe["safe_again_s"] > stop).all()
    assert k["gas_all_safe_again_s"]["mean"] == unsafe["safe_again_s"].max()
    assert not gas.loc[gas.index.str.startswith("L2-W2"), "ever_unsafe"].any()
    text = KINDS["evacuation"].report(k)  # type: ignore[misc]
    assert "AEGL-3 (50 ppm): 1 exposed" in text and "cleaner" in text
