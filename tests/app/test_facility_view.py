"""The Facility page in Streamlit's AppTest: renders, switches level, explores routes, uploads, edits."""

from __future__ import annotations

import html
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from facility import BED, load, route
from facility.io import dumps, save
from facility.model import Facility
from facility.sample import SampleOptions, sample
from scenarios.ui.html_block import COMPONENT_NAME


@pytest.fixture
def app(app_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", [str(app_path), "--results", str(tmp_path / "results")])
    return AppTest.from_file(str(app_path), default_timeout=60)


def _blocks(at: AppTest) -> list[str]:
    """The HTML blocks the page drew (:func:`scenarios.ui.html_block.html_block`), in order."""
    return [json.loads(e.proto.json) for e in at.get("bidi_component")
            if e.proto.component_name == COMPONENT_NAME]


def _plans(at: AppTest) -> list[str]:
    return [b for b in _blocks(at) if 'class="medtwin-plan"' in b]


def _tables(at: AppTest) -> list[list[dict[str, str]]]:
    """The page's HTML tables (:mod:`scenarios.ui.html_table`), each as rows of column -> cell text."""
    out = []
    for block in _blocks(at):
        if 'class="medtwin-table"' not in block:
            continue
        rows = [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
                for r in re.findall(r"<tr>(.*?)</tr>", block)]
        out.append([dict(zip(rows[0], r, strict=True)) for r in rows[1:]])
    return out


def _counts(at: AppTest) -> dict[str, str]:
    """The counts above the plan (:func:`scenarios.ui.html_table.html_figures`): label -> figure."""
    block = next(b for b in _blocks(at) if 'class="medtwin-figures"' in b)
    return {html.unescape(k): html.unescape(v) for k, v in
            re.findall(r'<span class="k">(.*?)</span><span class="v">(.*?)</span>', block)}


def _plot_titles(at: AppTest) -> list[str]:
    return [html.unescape(re.search(r'<b class="plan-title">(.*?)</b>', p).group(1))  # type: ignore[union-attr]
            for p in _plans(at)]


def _route_drawn(at: AppTest, index: int = 0) -> str | None:
    """The mobility of the route drawn on the ``index``-th plan, if one is."""
    found = re.search(r'<path class="route"[^>]*><title>route \((\w+)\)</title>', _plans(at)[index])
    return found.group(1) if found else None


def test_page_renders_the_sample_with_names_on_the_plan(app: AppTest) -> None:
    at = app.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Facility"]
    shown = _counts(at)
    counts = sample().summary()
    assert shown["levels"] == "4" and shown["beds"] == f"{counts['beds']:,}"
    assert shown["smoke doors"] == str(counts["smoke_doors"]) and len(shown) == 9
    assert not at.metric  # drawn as HTML: the landing page loads no metric script
    assert _plot_titles(at) == ["Sample general hospital: L0 Ground"]
    plan = _plans(at)[0]
    assert ">Resus 1</text>" in plan and ">L0-A</text>" in plan  # room and compartment names
    assert plan.count('class="space"') == len(sample().spaces_on("L0"))
    assert "4 levels" in at.caption[0].value
    assert not at.radio and not at.number_input  # the source and edit panels draw only when opened
    spaces, compartments = _tables(at)  # plain HTML: the landing page loads no data grid
    assert len(spaces) == len(sample().spaces_on("L0")) and not at.dataframe
    assert {r["name"] for r in spaces} >= {"Resus 1"}
    assert len(compartments) == len(sample().compartments)
    assert {r["within_2100_m2"] for r in compartments} == {"yes"}


def test_switching_level_and_filtering_spaces(app: AppTest) -> None:
    at = app.run()
    at.selectbox(key="level").set_value("L2").run()
    assert not at.exception
    assert _plot_titles(at) == ["Sample general hospital: L2 Level 2 wards"]
    at.multiselect(key="uses").set_value(["ward_bay"]).run()
    rows = _tables(at)[0]
    assert {r["use"] for r in rows} == {"ward_bay"} and {r["level"] for r in rows} == {"L2"}
    assert sum(int(r["beds"]) for r in rows) == 2 * 24
    at.toggle(key="all_levels").set_value(True).run()
    assert {r["level"] for r in _tables(at)[0]} == {"L2", "L3"}
    # on request, the same rows in the interactive grid (sort, search, CSV)
    at.toggle(key="spaces_grid").set_value(True).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["level"]) == {"L2", "L3"} and table["beds"].sum() == 4 * 24
    assert len(at.dataframe) == 2 and not _tables(at)


def test_a_route_across_levels_is_drawn_on_each_and_cleared_when_the_mobility_changes(app: AppTest) -> None:
    at = app.run()
    at.selectbox(key="route_from").set_value("L3-W3-BAY1")
    at.selectbox(key="route_to").set_value("L1-ICU-BAY1")
    at.selectbox(key="route_mobility").set_value("bed")
    at.button(key="find_route").click().run()
    assert not at.exception
    expected = route(sample(), "L3-W3-BAY1", "L1-ICU-BAY1", mobility=BED)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["length"] == f"{expected.length:.0f} m"
    assert metrics["lifts"] == ", ".join(expected.lifts) and metrics["stairs"] == "none"
    assert at.selectbox(key="level").value == "L3"  # the plan jumps to where the route starts
    titles = _plot_titles(at)
    # the main plan plus one plan per level the route uses, each with its part of the route
    assert titles[1:] == ["Sample general hospital: L3 Level 3 wards",
                          "Sample general hospital: L1 Level 1 critical care"]
    assert [_route_drawn(at, i) for i in range(3)] == ["bed"] * 3
    at.selectbox(key="route_mobility").set_value("staff").run()
    assert "length" not in {m.label for m in at.metric}  # the bed route is not shown as a staff one
    assert _route_drawn(at) is None


def test_an_impossible_route_says_why(app: AppTest) -> None:
    at = app.run()
    at.selectbox(key="route_from").set_value("L3-W3-OFFICE")  # a 0.9 m door: no bed gets in
    at.selectbox(key="route_to").set_value("L0-CT1")
    at.selectbox(key="route_mobility").set_value("bed")
    at.button(key="find_route").click().run()
    assert not at.exception
    assert len(at.warning) == 1
    assert "bed needs doors of at least 1.1 m" in at.warning[0].value and "0.9 m" in at.warning[0].value


def test_the_validation_warnings_of_an_opened_building_are_shown(app_path: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 tiny_facility: Facility) -> None:
    # regression: the page showed none of them; here the upper floor's only way out is an ordinary lift
    path = tmp_path / "lift_only.json"
    save(replace(tiny_facility, stairs=()), path)
    monkeypatch.setattr(sys, "argv", [str(app_path), "--results", str(tmp_path / "r"),
                                      "--facility", str(path)])
    at = AppTest.from_file(str(app_path), default_timeout=60).switch_page("pages/facility_page.py").run()
    assert not at.exception and not at.error
    (label,) = [x.label for x in at.expander if x.label.startswith("Validation:")]
    listed = html.unescape(next(b for b in _blocks(at) if b.startswith("<ul>")))
    assert label.startswith(f"Validation: {listed.count('<li>')} warnings")
    assert "space L1-R1: reaches a final exit only by lift" in listed


def test_a_bad_facility_upload_gives_one_readable_line(app: AppTest) -> None:
    at = app.run()
    at.toggle(key="open_source").set_value(True).run()
    at.radio(key="source").set_value("Facility file").run()
    bad = json.dumps({"format": "medtwin-facility/1", "name": "x", "levels": [], "spaces": 5}).encode()
    at.file_uploader(key="facility_upload").set_value(("bad.json", bad, "application/json")).run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("Cannot open bad.json") and "Traceback" not in message
    assert "/" not in message.split("bad.json", 1)[1]  # no local paths
    assert _counts(at)["levels"] == "4"  # still on the sample


def test_uploading_a_facility_and_editing_it_makes_a_downloadable_variant(app: AppTest,
                                                                         tmp_path: Path) -> None:
    small = sample(SampleOptions(ward_levels=1))
    at = app.run()
    at.toggle(key="open_source").set_value(True).run()
    at.radio(key="source").set_value("Facility file").run()
    at.file_uploader(key="facility_upload").set_value(("small.json", dumps(small).encode(),
                                                        "application/json")).run()
    assert not at.exception
    assert _counts(at)["levels"] == "3"
    at.toggle(key="open_edits").set_value(True).run()
    at.selectbox(key="edit_space").set_value("L2-W2-BAY1").run()
    at.number_input(key="edit_beds_L2-W2-BAY1").set_value(2).run()
    at.button(key="apply_beds").click().run()
    assert not at.exception
    variant = load(at.session_state["facility_path"])
    assert variant.space("L2-W2-BAY1").beds == 2
    assert variant.total_beds == small.total_beds - small.space("L2-W2-BAY1").beds + 2
    assert Path(at.session_state["facility_path"]).parent == tmp_path / "results" / "_facilities"
    assert "beds" in at.caption[0].value and "This variant" in " ".join(c.value for c in at.caption)
    assert [d.proto.label for d in at.get("download_button")] == ["Download the facility file"]
    assert _counts(at)["beds"] == f"{variant.total_beds:,}"


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


def test_a_scan_too_large_to_upload_is_opened_from_the_scan_folder(app_path: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "ward.ply").write_bytes(b"ply\nformat ascii 1.0\nelement vertex 2\nend_header\nnot numbers\n")
    (scans / "notes.md").write_text("not a scan")
    monkeypatch.setattr(sys, "argv", [str(app_path), "--results", str(tmp_path / "results"),
                                      "--scans", str(scans)])
    at = AppTest.from_file(str(app_path), default_timeout=60).run()
    at.toggle(key="open_source").set_value(True).run()
    at.radio(key="source").set_value("LiDAR scan").run()
    upload_note = " ".join(c.value for c in at.caption)
    assert "Uploads are limited to" in upload_note and "MB" in upload_note and str(scans) in upload_note
    at.radio(key="scan_from").set_value("A scan in the app's scan folder").run()
    assert at.selectbox(key="scan_file").options == ["ward.ply (0.0 MB)"]  # scans only, with their size
    at.button(key="extract_file").click().run()
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("Cannot extract a facility from ward.ply")
    assert "Traceback" not in error.value
    assert (scans / "ward.ply").exists()  # a scan in the folder is read where it lies, never deleted
