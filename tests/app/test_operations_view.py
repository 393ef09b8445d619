"""The Operations what-if page in AppTest: levers drive a baseline and a variant, KPIs and charts appear."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scenarios.store import registry


@pytest.fixture
def app(app_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", [str(app_path), "--results", str(tmp_path / "results")])
    at = AppTest.from_file(str(app_path), default_timeout=120)
    at.switch_page("pages/operations_page.py")
    return at


def test_a_comparison_runs_and_shows_kpis_deltas_and_bottlenecks(app: AppTest, tmp_path: Path) -> None:
    at = app.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Operations what-if"]
    at.number_input(key="ops_days").set_value(1)
    at.number_input(key="ops_reps").set_value(2)
    at.selectbox(key="v1_role").set_value("triage_nurse")
    at.number_input(key="v1_staff").set_value(2)
    at.slider(key="v1_arrivals").set_value(120).run()
    assert "+2 triage_nurse per shift; unscheduled arrivals x1.20" in [c.value.split(": ", 1)[-1]
                                                                       for c in at.caption]
    at.button(key="ops_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    rows = registry(tmp_path / "results")
    assert sorted(r["name"] for r in rows) == ["sample_hospital_week", "sample_hospital_week variant 1"]
    assert all(r["replications"] == 2 for r in rows)
    metrics = {m.label for m in at.metric}
    assert "top bottleneck" in metrics and "patients after the warm-up" in metrics
    kpis = at.dataframe[0].value
    assert list(kpis.columns) == ["kpi", "baseline", "variant 1", "Δ variant 1"]
    # every KPI is a mean ± half-width, or says it was seen in one replication only
    one = r" \(1 replication\)"
    assert len(kpis) > 0 and kpis["baseline"].str.fullmatch(rf"-|[\d.,]+( ± [\d.,]+|{one})").all()
    assert kpis["Δ variant 1"].str.fullmatch(rf"-|[+-][\d.,]+( ± [\d.,]+( \*)?|{one})").all()
    arrived = {m.label: m.value for m in at.metric if m.label == "patients after the warm-up"}
    assert arrived  # counts are whole numbers
    assert all("." not in m.value for m in at.metric if m.label == "patients after the warm-up")
    # more arrivals: the variant's patient count is higher than the baseline's
    counts = [int(m.value.replace(",", "")) for m in at.metric if m.label == "patients after the warm-up"]
    assert counts[1] > counts[0]

    # asking again finds both runs in the store: no new worker, same results
    at.button(key="ops_run").click().run()
    assert not at.exception and len(registry(tmp_path / "results")) == 2
    assert [int(m.value.replace(",", "")) for m in at.metric
            if m.label == "patients after the warm-up"] == counts
    # changing a lever after the run marks the results as not matching the settings
    from scenarios.ui.run_panel import STALE_NOTE

    assert STALE_NOTE not in [i.value for i in at.info]
    at.number_input(key="v1_staff").set_value(3).run()
    assert STALE_NOTE in [i.value for i in at.info]


def test_a_building_without_the_scenario_s_rooms_is_told_so_before_any_run(
        tiny_app: AppTest, tmp_path: Path) -> None:
    """The shipped scenarios staff the sample's triage room: in another building both runs failed once
    started, each naming a file of the server."""
    at = tiny_app
    at.switch_page("pages/operations_page.py").run()
    assert not at.exception
    (why,) = [e.value for e in at.error]
    assert why.startswith("Cannot run this comparison in this building: scenario sample_hospital_week: ")
    assert "no space with use 'ed_triage'" in why and ".yaml" not in why
    assert not at.button  # nothing to start
    assert registry(tmp_path / "results") == []
