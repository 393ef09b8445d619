"""The Evacuation drill page in AppTest: a short drill runs, then playback, curve, RSET and risks appear."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scenarios.store import registry
from scenarios.ui.animation import FRAMES_PER_CHUNK


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
    # the playback is one animated chart the browser plays: people on the plan of the selected level,
    # a frame per second of drill in chunks, with Play/Pause and a time slider of its own
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    names = [t["name"] for t in chart["data"]]
    assert "beds" in names and "staff" in names
    assert 1 < len(chart["frames"]) <= FRAMES_PER_CHUNK
    assert [b["label"] for b in chart["layout"]["updatemenus"][0]["buttons"]] == ["Play", "Pause"]
    assert len(chart["layout"]["sliders"][0]["steps"]) == len(chart["frames"])
    people = sum(len(t.get("x", [])) for f in chart["frames"] for t in f["data"])
    assert people > 0
    first_level = str(at.selectbox(key="pb_level").value)
    other = next(lv for lv in at.selectbox(key="pb_level").options if not lv.startswith(first_level))
    at.selectbox(key="pb_level").set_value(other.split()[0]).run()
    assert not at.exception
    title = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    assert title.startswith(other.split()[0])
    # a ten-minute drill is several chunks; the next one starts where the first ends
    assert len(at.selectbox(key="pb_chunk").options) > 1
    at.selectbox(key="pb_chunk").set_value(1).run()
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    title = chart["layout"]["title"]["text"]
    assert ": 0.0-" not in title and title.endswith(" min after the alarm")
    # the speed is the time each frame stays on screen: twice the speed, half the time
    def frame_ms() -> int:
        play = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["updatemenus"][0]["buttons"][0]
        return int(play["args"][1]["frame"]["duration"])

    assert at.select_slider(key="pb_speed").value == 10
    before = frame_ms()
    at.select_slider(key="pb_speed").set_value(20).run()
    assert frame_ms() == round(before / 2)
    rset = at.dataframe[0].value
    assert "L2-A" in set(rset["compartment"])
    assert rset["RSET"].str.fullmatch(r"[\d.]+ min|not all safe|not evacuated").all()
    # a horizontal move evacuates the compartments evacuated first (L2-A here) and leaves the rest
    assert rset.set_index("compartment").loc["L2-A", "RSET"] != "not evacuated"
    assert (rset["RSET"] == "not evacuated").any()
    risks = at.dataframe[1].value
    assert list(risks.columns) == ["patient", "mobility", "from", "compartment", "safe after", "why"]
    assert len(risks) > 0 and (risks["why"] != "").all()
