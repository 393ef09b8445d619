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
