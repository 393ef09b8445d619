"""Whole infection runs: the shipped scenarios, invariants over interventions, determinism."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

import scenarios
from scenarios.cli import main

LIBRARY = Path(__file__).resolve().parents[4] / "scenarios" / "library"


def _run(text: str, **changes: object) -> scenarios.Results:
    data = yaml.safe_load(text)
    data.update(changes)
    return scenarios.run(scenarios.loads(yaml.safe_dump(data), "small.yaml"))


def _cases(res: scenarios.Results, name: str = "baseline") -> float:
    return float(res.replications[0].kpis[f"{name}.secondary_cases"])


def test_no_index_case_no_infections(small_ed: str) -> None:
    res = _run(small_ed, index_cases=[])
    k = res.replications[0].kpis
    assert k["baseline.secondary_cases"] == 0.0 and k["baseline.tertiary_cases"] == 0.0
    assert k["baseline.index_cases"] == 0.0
    assert res.arrow("cases").num_rows == 0


def test_an_index_case_emitting_nothing_infects_nobody(small_ed: str) -> None:
    res = _run(small_ed, index_cases=[{"space": "L0-ED-WAIT", "start_h": 8, "hours": 2,
                                       "emission": {"median": 0.0}}])
    assert _cases(res) == 0.0


def test_interventions_on_air_and_masks_only_lower_risk(small_ed: str) -> None:
    res = _run(small_ed, interventions=[
        {"name": "ach_15", "air": {"air_changes": {"L0-ED-WAIT": 15}}},
        {"name": "ach_30", "air": {"air_changes": {"L0-ED-WAIT": 30}}},
        {"name": "hepa", "air": {"air_changes": {"L0-ED-WAIT": 30},
                                 "hepa": [{"space": "L0-ED-WAIT", "clean_air_m3h": 800}]}},
        {"name": "surgical", "masks": {"patients": "surgical", "staff": "surgical"}},
        {"name": "n95", "masks": {"patients": "n95", "staff": "n95"}},
    ])
    c = {n: _cases(res, n) for n in ("baseline", "ach_15", "ach_30", "hepa", "surgical", "n95")}
    assert c["baseline"] > 1e-3
    assert c["baseline"] > c["ach_15"] > c["ach_30"] > c["hepa"] > 0
    assert c["baseline"] > c["surgical"] > c["n95"] > 0
    cases = res.table("cases")
    base = cases[cases.intervention == "baseline"]
    tertiary = res.replications[0].kpis["baseline.tertiary_cases"]
    assert base.cases.sum() == pytest.approx(c["baseline"] + tertiary)
    assert set(base.space) >= {"L0-ED-WAIT"} and set(base.role) >= {"patient"}


def test_same_seed_same_exposures_on_another_backend(small_ed: str) -> None:
    sc = scenarios.loads(small_ed, "small.yaml")
    local = scenarios.run(sc, replications=2)
    loky = scenarios.run(sc, replications=2, backend="loky", n_jobs=1)
    for a, b in zip(local.replications, loky.replications, strict=True):
        np.testing.assert_equal(dict(a.kpis), dict(b.kpis))  # NaN equals NaN here
        for name in ("cases", "people", "risk_map"):
            assert a.tables[name].equals(b.tables[name]), name


def test_measles_in_the_ed_runs_from_the_cli(tmp_path: Path) -> None:
    data = yaml.safe_load((LIBRARY / "sample_hospital_measles_ed.yaml").read_text())
    data.update(replications=1, emission_samples=50, days=0.6,
                operations=str(LIBRARY / "sample_hospital_week.yaml"))
    path = tmp_path / "measles.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 0
    (k,) = json.loads((out / "kpis.json").read_text())["replications"]
    assert k["baseline.secondary_cases"] > 0 and k["baseline.index_cases"] == 1
    # more air in the waiting room: same patients (same random numbers), lower risk
    assert k["more_air.secondary_cases"] < k["baseline.secondary_cases"]
    # isolating at triage costs an isolation room and spares the waiting room its two hours
    cases = pq.read_table(out / "cases.parquet").to_pandas()
    wait = cases[(cases.space == "L0-ED-WAIT") & (cases.generation == 1)].groupby("intervention").cases.sum()
    assert wait.get("isolate_at_triage", 0.0) < wait["baseline"]
    rmap = pq.read_table(out / "risk_map.parquet").to_pandas()
    iso_air = rmap[rmap.space == "L0-ED-ISO"].groupby("intervention").conc_quanta_m3.sum()
    # the isolated case fills the cubicle's air; otherwise only a little corridor air comes in
    assert iso_air["isolate_at_triage"] > 10 * iso_air.get("baseline", 0.0)
    assert rmap.conc_quanta_m3.max() > 0


def test_norovirus_ward_closing_the_bay_and_hand_hygiene() -> None:
    sc = scenarios.load(LIBRARY / "sample_hospital_norovirus_ward.yaml")
    res = scenarios.run(sc.model_copy(update={"replications": 1, "days": 2.0}))
    k = res.replications[0].kpis
    assert k["baseline.secondary.contact"] > 0 and k["baseline.secondary.airborne"] == 0
    assert k["hand_hygiene_70.secondary_cases"] < k["baseline.secondary_cases"]
    assert k["closed_space_found"] == 1.0
    # the bay's six beds leave the pool from when they empty until the end of this short run
    assert 0 < k["close_bay.ops.closed.unit_h.ward_bed"] <= 6 * (48 - 26)
    assert "baseline.ops.closed.unit_h.ward_bed" not in k
    assert not math.isnan(k["baseline.tertiary_cases"])
    people = res.table("people")
    assert np.all((people.secondary >= 0) & (people.secondary <= 1))


def test_isolation_and_staff_cohorting_show_their_cost_in_operations(small_ed: str) -> None:
    res = _run(small_ed, index_cases=[{"pathway": "ed_minors", "arrive_h": 3}], interventions=[
        {"name": "iso", "isolate": {"after": "triage"}},
        {"name": "iso_cohort", "isolate": {"after": "triage"}, "cohort_staff": {"ed_doctor": 1}},
    ])
    k = res.replications[0].kpis
    assert k["baseline.index_cases"] == 1.0 and k["iso.index_cases"] == 1.0
    assert k["iso.secondary_cases"] < k["baseline.secondary_cases"]
    # one of the two doctors kept for the isolated case: everyone else waits longer
    assert k["iso_cohort.ops.wait.ed_minors.treatment"] > k["iso.ops.wait.ed_minors.treatment"]
    # the cohorted doctor who treats the isolated case shares its air and is counted
    people = res.table("people")
    cohort = people[(people.intervention == "iso_cohort") & (people.role == "ed_doctor.cohort")]
    assert len(cohort) == 1 and float(cohort.secondary.iloc[0]) > 0
    days = sum(v for n, v in k.items() if n.startswith("baseline.secondary.day"))
    assert days == pytest.approx(k["baseline.secondary_cases"])
