"""The Results page in AppTest: the store's history, a comparison, opening a run, downloads."""

from __future__ import annotations

import io
import sys
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import scenarios
from scenarios.ui.results_view import zip_run


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A results store with two short M/M/3 runs (three and four servers) on the same seed."""
    root = tmp_path / "results"
    base = scenarios.load(str(files("scenarios.library") / "mmc_validation.yaml"))
    short = base.model_copy(update={"replications": 3, "run": base.run.model_copy(update={"length": 3000.0,
                                                                                          "warmup": 500.0})})
    scenarios.run(short, out=root / "three_servers")
    four = short.resources["server"].model_copy(update={"count": 4})
    scenarios.run(short.model_copy(update={"name": "four_servers", "resources": {"server": four}}),
                  out=root / "four_servers")
    return root


@pytest.fixture
def app(app_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", [str(app_path), "--results", str(store)])
    at = AppTest.from_file(str(app_path), default_timeout=120)
    at.switch_page("pages/results_page.py")
    return at


def test_history_compare_and_open(app: AppTest, store: Path) -> None:
    at = app.run()
    assert not at.exception
    history = at.dataframe[0].value
    assert sorted(history["name"]) == ["four_servers", "mmc_validation"]
    assert (history["replications"] == 3).all() and (history["kind"] == "operations").all()
    at.multiselect(key="res_runs").set_value(["three_servers", "four_servers"]).run()
    at.selectbox(key="res_group").set_value("Waits (mean, min)").run()
    assert not at.exception
    kpis = at.dataframe[1].value
    (row,) = kpis.to_dict("records")
    assert row["kpi"] == "customer.service"
    # a fourth server cuts the wait: the paired difference is negative and beyond its interval
    delta = row["Δ 2: four_servers"]
    assert delta.startswith("-") and delta.endswith("*")
    at.button(key="res_open").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Operations what-if"]
    assert {m.label for m in at.metric} >= {"patients after the warm-up"}


def test_a_run_downloads_as_a_zip_and_the_selection_as_a_report(app: AppTest, store: Path) -> None:
    at = app.run()
    at.multiselect(key="res_runs").set_value(["three_servers"]).run()
    assert [d.proto.label for d in at.get("download_button")] == ["Download the run (zip)"]
    names = zipfile.ZipFile(io.BytesIO(zip_run(store / "three_servers"))).namelist()
    assert "three_servers/kpis.json" in names and "three_servers/manifest.json" in names
    pytest.importorskip("scenarios.report", reason="the HTML report ships with the results store")
    at.button(key="res_make_report").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    report = at.session_state["res_report"]
    assert report.startswith("<!DOCTYPE html>") and "mmc_validation" in report
    assert "Download the HTML report" in [d.proto.label for d in at.get("download_button")]
