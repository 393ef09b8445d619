"""The Evacuation drill page in AppTest: a short drill runs, then playback, curve, RSET and risks appear."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scenarios.store import registry


@pytest.fixture
def app(app_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", [str(app_path), "--results", str(tmp_path / "results")])
    at = AppTest.from_file(str(app_path), default_timeout=180)
    at.switch_page("pages/evacuation_page.py")
    return at


def small_drill(at: AppTest) -> AppTest:
    """The night drill cut down to one ward compartment's horizontal move, with a quarter of the beds."""
    at.selectbox(key="evac_base").set_value("sample_hospital_night_evacuation")
    at.slider(key="evac_occupancy").set_value(25)
    at.selectbox(key="evac_mode").set_value("horizontal")
    at.number_input(key="evac_limit").set_value(10)
    return at


def test_a_drill_runs_and_its_results_replay(app: AppTest, tmp_path: Path) -> None:
    at = app.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Evacuation drill"]
    small_drill(at).run()
    at.button(key="evac_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    (run,) = registry(tmp_path / "results")
    assert run["kind"] == "evacuation"
    metrics = {m.label: m.value for m in at.metric}
    # a horizontal move leaves the other compartments in place: no overall RSET, one per compartment
    assert metrics["RSET (everyone safe)"] == "not all safe"
    evacuated, total = metrics["evacuated"].split(" of ")
    assert int(total.replace(",", "")) > 0 and evacuated.replace(",", "").isdigit()
    # the playback shows people on the plan of the selected level, and switches level
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    names = [t["name"] for t in chart["data"]]
    assert any(n.startswith("beds (") for n in names) and any(n.startswith("staff (") for n in names)
    first_level = at.selectbox(key="pb_level").value
    other = next(lv for lv in at.selectbox(key="pb_level").options if not lv.startswith(first_level))
    at.selectbox(key="pb_level").set_value(other.split()[0]).run()
    assert not at.exception
    title = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    assert title.startswith(other.split()[0])
    # scrubbing moves the clock
    at.select_slider(key="pb_frame").set_value(5).run()
    assert " 0.0 min" not in json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    rset = at.dataframe[0].value
    assert "L2-A" in set(rset["compartment"])
    assert rset["RSET"].str.fullmatch(r"[\d.]+ min|not all safe").all()
    risks = at.dataframe[1].value
    assert list(risks.columns) == ["patient", "mobility", "from", "compartment", "safe after", "why"]
    assert len(risks) > 0 and (risks["why"] != "").all()
