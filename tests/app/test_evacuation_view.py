"""The Evacuation drill page in AppTest: a short drill runs, then playback, curve, RSET and risks appear."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from facility import Facility
from scenarios.store import registry
from scenarios.ui.evacuation_view import BED_STAFF
from scenarios.ui.player_parts import FRAMES_PER_PART, decode_part


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
    # the playback is the browser's player, sent the first part of the drill on the level of the
    # compartment evacuated first (L2-A), with its plan picture and the drill's outline
    (player,) = [e for e in at.get("bidi_component") if e.proto.component_name == "medtwin_drill_player"]
    part = decode_part(player.proto.bytes)
    head, meta = part.header, part.header["meta"]
    assert (head["level"], head["part"], meta["level"]) == ("L2", 0, "L2")
    assert head["picture"].startswith("data:image/png;base64,")
    assert [lv for lv, _ in meta["levels"]] == ["L0", "L1", "L2", "L3"]
    # the first part starts at the alarm and holds at most FRAMES_PER_PART sample times
    assert meta["part_starts"][0] == head["times"][0] < 1.0
    assert 1 < len(head["times"]) <= FRAMES_PER_PART and meta["duration_s"] <= 600.0
    assert np.isfinite(part.xy[0]).all(axis=1).sum() > 0  # people on the plan at the alarm
    assert meta["total"] == int(total.replace(",", ""))
    assert [m[0] for m in meta["movers"]] == ["staff", "people walking", "wheelchairs", "beds"]
    rset = at.dataframe[0].value
    assert "L2-A" in set(rset["compartment"])
    assert rset["RSET"].str.fullmatch(r"[\d.]+ min|not all safe|not evacuated").all()
    # a horizontal move evacuates the compartments evacuated first (L2-A here) and leaves the rest
    assert rset.set_index("compartment").loc["L2-A", "RSET"] != "not evacuated"
    assert (rset["RSET"] == "not evacuated").any()
    risks = at.dataframe[1].value
    assert list(risks.columns) == ["patient", "mobility", "from", "compartment", "safe after", "why"]
    assert len(risks) > 0 and (risks["why"] != "").all()


def test_a_building_the_drill_was_not_written_for_gets_people_room_by_room(
        tiny_app: AppTest, tmp_path: Path, tiny_facility: Facility) -> None:
    """An uploaded or scanned building has none of the sample's nurse stations: the shipped drill
    cannot place its staff there (it failed only once run, naming a file of the server)."""
    at = tiny_app
    at.switch_page("pages/evacuation_page.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.radio(key="evac_who").value == "People in every room (any building)"
    assert at.selectbox(key="evac_mode").value == "full"  # the drill's fire compartments are not here
    # The drill's description names the sample's places: it is shown as the other building's.
    assert any(c.value.startswith("As written for its own building: ") for c in at.caption)
    at.radio(key="evac_who").set_value("The drill's occupancy").run()
    (why,) = [e.value for e in at.error]
    assert why.startswith("Cannot run this drill: drill sample_hospital_night_evacuation in tiny: "
                          "population.groups[0]")
    assert ".yaml" not in why and str(tmp_path) not in why  # the drill by its name, no file of the server
    assert at.warning and "written for another building" in at.warning[0].value
    at.radio(key="evac_who").set_value("People in every room (any building)").run()
    at.number_input(key="evac_per_room").set_value(3)
    at.number_input(key="evac_limit").set_value(5).run()
    at.button(key="evac_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (run,) = registry(tmp_path / "results")
    assert run["name"] == "sample_hospital_night_evacuation in tiny - people in every room"
    evacuated, total = {m.label: m.value for m in at.metric}["evacuated"].split(" of ")
    rooms = [s for s in tiny_facility.spaces if s.kind.value == "room"]
    wards = sum(s.beds > 0 for s in rooms)
    patients = sum(s.beds for s in rooms) * 0.9  # the night drill's 90 % of the beds, filled by draw
    expected = 3 * sum(s.beds == 0 for s in rooms) + BED_STAFF * wards + patients
    assert abs(int(total) - expected) <= wards and int(evacuated) > 0
