"""Picking the fire's room on the plan: a marker per candidate room on the shown level, read back by id."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from shapely import Point
from streamlit.testing.v1 import AppTest

from facility import sample
from scenarios.ui.fire_pick import CHOSEN_COLOUR, origin_figure, picked_room

PICTURE = ("data:image/png;base64,", (0.0, 0.0, 100.0, 20.0))


def test_the_markers_are_the_candidate_rooms_of_the_level_with_the_chosen_one_highlighted() -> None:
    fac = sample()
    rooms = [s.id for s in fac.spaces if s.kind.value == "room"]
    fig = origin_figure(PICTURE, fac, "L2", rooms, chosen="L2-W1-BAY1")
    (markers,) = fig.data
    ids = list(markers.customdata)
    assert set(ids) == {r for r in rooms if fac.space(r).level == "L2"} and len(ids) == len(set(ids))
    colours = dict(zip(ids, markers.marker.color, strict=True))
    assert colours["L2-W1-BAY1"] == CHOSEN_COLOUR
    assert [i for i, c in colours.items() if c == CHOSEN_COLOUR] == ["L2-W1-BAY1"]
    # each marker lies inside its room, so a click lands where the room is drawn
    for room, x, y in zip(ids, markers.x, markers.y, strict=True):
        assert fac.space(room).polygon.contains(Point(x, y))


def test_a_click_reads_back_as_a_room_and_anything_else_as_nothing() -> None:
    rooms = ["L2-W1-BAY1", "L2-W1-BAY2"]
    click = {"points": [{"curve_number": 0, "point_index": 1, "customdata": ["L2-W1-BAY2"]}]}
    assert picked_room(click, rooms) == "L2-W1-BAY2"
    assert picked_room({"points": [{"customdata": "L0-CT1"}]}, rooms) is None  # not a candidate
    assert picked_room({"points": [{"point_index": 0}]}, rooms) is None
    assert picked_room(None, rooms) is None


def test_the_drill_page_offers_the_plan_once_a_fire_is_on(app_path: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(app_path), "--results", str(tmp_path / "results")])
    at = AppTest.from_file(str(app_path), default_timeout=60)
    at.switch_page("pages/evacuation_page.py").run()
    at.toggle(key="evac_fire").set_value(True).run()
    assert not at.exception
    (chart,) = [c for c in at.get("plotly_chart") if "click the room" in c.proto.spec]
    origin = at.selectbox(key="evac_origin").value
    assert origin in chart.proto.spec  # the room chosen in the list is on the plan shown
    assert at.selectbox(key="fire_pick_level").value == sample().space(str(origin)).level
