"""The Facility page in Streamlit's AppTest: renders, switches level, explores routes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from facility import BED, route
from facility.io import save
from facility.sample import SampleOptions, sample


@pytest.fixture
def app(app_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", [str(app_path)])
    return AppTest.from_file(str(app_path), default_timeout=60)


def _plot_titles(at: AppTest) -> list[str]:
    import json

    return [json.loads(el.proto.spec)["layout"]["title"]["text"] for el in at.get("plotly_chart")]


def test_page_renders_the_sample(app: AppTest) -> None:
    at = app.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Facility"]
    metrics = {m.label: m.value for m in at.metric}
    counts = sample().summary()
    assert metrics["levels"] == "4" and metrics["beds"] == str(counts["beds"])
    assert metrics["smoke doors"] == str(counts["smoke_doors"])
    assert _plot_titles(at) == ["Sample general hospital: L0 Ground"]
    assert len(at.dataframe[0].value) == len(sample().spaces_on("L0"))
    compartments = at.dataframe[1].value
    assert len(compartments) == len(sample().compartments) and compartments["within_2100_m2"].all()


def test_switching_level_and_filtering_spaces(app: AppTest) -> None:
    at = app.run()
    at.selectbox(key="level").set_value("L2").run()
    assert not at.exception
    assert _plot_titles(at) == ["Sample general hospital: L2 Level 2 wards"]
    at.multiselect(key="uses").set_value(["ward_bay"]).run()
    table = at.dataframe[0].value
    assert set(table["use"]) == {"ward_bay"} and set(table["level"]) == {"L2"}
    assert table["beds"].sum() == 2 * 24
    at.toggle(key="all_levels").set_value(True).run()
    assert set(at.dataframe[0].value["level"]) == {"L2", "L3"}


def test_route_explorer_finds_a_bed_route_and_draws_it(app: AppTest) -> None:
    at = app.run()
    assert at.selectbox(key="level").value == "L0"
    at.selectbox(key="route_from").set_value("L3-W3-BAY1")
    at.selectbox(key="route_to").set_value("L1-ICU-BAY1")
    at.selectbox(key="route_mobility").set_value("bed")
    at.button[0].click().run()
    assert not at.exception
    expected = route(sample(), "L3-W3-BAY1", "L1-ICU-BAY1", mobility=BED)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["length"] == f"{expected.length:.1f} m"
    assert metrics["lifts"] == ", ".join(expected.lifts) and metrics["stairs"] == "none"
    assert at.selectbox(key="level").value == "L3"  # the plan jumps to where the route starts
    import json

    (chart,) = at.get("plotly_chart")
    names = [t.get("name") for t in json.loads(chart.proto.spec)["data"]]
    assert "route (bed)" in names


def test_route_explorer_reports_impossible_routes(app: AppTest) -> None:
    at = app.run()
    at.selectbox(key="route_from").set_value("L3-W3-OFFICE")  # a 0.9 m door: no bed gets in
    at.selectbox(key="route_to").set_value("L0-CT1")
    at.selectbox(key="route_mobility").set_value("bed")
    at.button[0].click().run()
    assert not at.exception
    assert len(at.warning) == 1 and "no route" in at.warning[0].value


def test_facility_file_from_the_command_line(app_path: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "small.json"
    save(sample(SampleOptions(ward_levels=1)), path)
    monkeypatch.setattr(sys, "argv", [str(app_path), "--facility", str(path)])
    at = AppTest.from_file(str(app_path), default_timeout=60).run()
    assert not at.exception
    assert at.selectbox(key="level").options == ["L0 Ground", "L1 Level 1 critical care", "L2 Level 2 wards"]

    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    monkeypatch.setattr(sys, "argv", [str(app_path), "--facility", str(broken)])
    at = AppTest.from_file(str(app_path), default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1 and "broken.json" in at.error[0].value
