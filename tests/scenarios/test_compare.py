"""Comparisons of stored runs: paired intervals under common random numbers, Welch otherwise, ranking."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.base import Kind
from scenarios.compare import compare, expand, rank
from scenarios.errors import ArgumentError
from scenarios.runner import run
from scenarios.stats import paired_difference_ci, welch_difference_ci
from scenarios.sweeps import plan_from_vary, sweep
from tests.scenarios.kinds import toy

FAKE_FACILITY = object()  # the test kind does not use the building


@pytest.fixture
def stored_sweep(toy_kind: Kind, tmp_path: Path) -> Path:
    sweep(plan_from_vary(toy(replications=8), ["lever.level=1.0,1.1,3.0"]), out=tmp_path / "s")
    sweep(plan_from_vary(toy(replications=8), ["lever.level=1.0,1.1"], common_random_numbers=False),
          out=tmp_path / "indep")
    return tmp_path


def test_common_random_numbers_give_paired_and_tighter_intervals(stored_sweep: Path) -> None:
    crn = compare(expand([stored_sweep / "s"]), "mean")
    indep = compare(expand([stored_sweep / "indep"]), "mean")
    assert [d.paired for d in crn] == [True, True] and [d.paired for d in indep] == [False]
    # x scales with the level: with shared streams the 10 % step is exact in every replication
    assert crn[0].mean == pytest.approx(0.1 * crn[0].baseline_mean)
    assert (crn[0].high - crn[0].low) < 0.2 * (indep[0].high - indep[0].low)
    assert crn[0].significant and crn[1].significant


def test_ranking_marks_variants_that_cannot_be_told_from_the_best(stored_sweep: Path) -> None:
    ranked = rank(expand([stored_sweep / "s"]), "mean")
    assert [r.label for r in ranked] == ["lever.level=1.0", "lever.level=1.1", "lever.level=3.0"]
    assert [r.tied_with_best for r in ranked] == [True, False, False]
    top = rank(expand([stored_sweep / "s"]), "mean", higher_is_better=True)
    assert top[0].label == "lever.level=3.0"


def test_unknown_kpi_suggests_close_names(stored_sweep: Path) -> None:
    with pytest.raises(ArgumentError, match=r"--kpi: 'maen' is not a KPI.*did you mean mean"):
        compare(expand([stored_sweep / "s"]), "maen")


def test_a_kpi_some_runs_lack_names_them_and_runs_sharing_none_are_told_so(toy_kind: Kind,
                                                                             tmp_path: Path) -> None:
    # regression: comparing an evacuation with an operations run said "the runs have 0 KPIs, e.g."
    run(toy(evacuation=True), facility=FAKE_FACILITY, out=tmp_path / "drill")  # type: ignore[arg-type]
    run(toy(), facility=FAKE_FACILITY, out=tmp_path / "week")  # type: ignore[arg-type]
    manifest = tmp_path / "week" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "kind": "operations"}))
    runs = expand([tmp_path / "drill", tmp_path / "week"])
    with pytest.raises(ArgumentError) as err:
        compare(runs, "rset_s")
    assert str(err.value) == ("--kpi: 'rset_s' is not a KPI of every run: 'week' lack(s) it; expected a KPI "
                              "that every run compared has (the runs are of kinds operations, test-toy: "
                              "compare runs of one kind)")
    kpis = tmp_path / "week" / "kpis.json"
    data = json.loads(kpis.read_text())
    data["summary"] = {f"ops.{k}": v for k, v in data["summary"].items()}
    kpis.write_text(json.dumps(data))
    with pytest.raises(ArgumentError) as err:
        compare(expand([tmp_path / "drill", tmp_path / "week"]), "wait")
    assert str(err.value).startswith("--kpi: 'wait' is not a KPI of any run, and the runs share no KPI "
                                     "(the runs are of kinds operations, test-toy")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=3, max_size=30), st.floats(-5, 5))
def test_a_constant_shift_is_recovered_exactly_when_paired(x: list[float], shift: float) -> None:
    a = np.array(x)
    ci = paired_difference_ci(a, a + shift)
    assert ci["mean"] == pytest.approx(shift, abs=1e-9) and ci["half_width"] == pytest.approx(0, abs=1e-9)
    w = welch_difference_ci(a, a + shift)
    assert w["mean"] == pytest.approx(shift, abs=1e-9)
    assert np.isnan(w["half_width"]) or w["low"] - 1e-9 <= shift <= w["high"] + 1e-9
