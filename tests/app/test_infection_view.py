"""The Infection page in AppTest: an outbreak with one response runs; cases, exposure and roles appear."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture
def app(app_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", [str(app_path), "--results", str(tmp_path / "results")])
    at = AppTest.from_file(str(app_path), default_timeout=180)
    at.switch_page("pages/infection_page.py")
    return at


def test_an_outbreak_compares_a_response_with_doing_nothing(app: AppTest) -> None:
    at = app.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Infection"]
    at.selectbox(key="inf_base").set_value("sample_hospital_measles_ed").run()
    at.number_input(key="inf_reps").set_value(2)
    at.multiselect(key="inf_responses").set_value(["isolate_at_triage"]).run()
    at.button(key="inf_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table["response"]) == ["baseline", "isolate at triage"]
    cases = table["secondary cases"].str.split(" ").str[0].astype(float)
    assert (cases >= 0).all() and cases.iloc[0] > 0  # an undiagnosed measles case infects someone
    assert table["exposed (risk ≥ 1 in 1,000)"].dtype.kind == "i"
    assert table.loc[1, "Δ no response"].startswith(("-", "+"))
    roles = at.dataframe[1].value
    assert "role" in roles.columns and len(roles) > 0
    assert {m.label for m in at.metric} == {"secondary cases: baseline", "secondary cases: isolate at triage"}


def test_a_building_without_the_scenario_s_rooms_is_told_so_before_any_run(tiny_app: AppTest) -> None:
    at = tiny_app
    at.switch_page("pages/infection_page.py").run()
    assert not at.exception
    (why,) = [e.value for e in at.error]
    assert why.startswith("Cannot run this outbreak in this building: scenario ") and "'tiny'" in why
    assert ".yaml" not in why and not at.button
