"""A drill that cannot give a meaningful answer is refused by ``medtwin run`` in one line.

Each case was met by a user writing drills for their own facility: the line names the file, the
field and what was expected, and the exit status is 2, before any replication runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import EXIT_INPUT, main

TINY = Path(__file__).resolve().parents[3] / "docs" / "examples" / "tiny_clinic.json"


@pytest.fixture(autouse=True)
def _quiet_log(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDTWIN_LOG_DIR", str(tmp_path_factory.getbasetemp() / "log"))


def _dead_end_clinic(tmp_path: Path) -> Path:
    """The tiny clinic without its east exit: compartment east leads out only through west."""
    data = json.loads(TINY.read_text())
    data["exits"] = [e for e in data["exits"] if e["id"] != "X-EAST"]
    path = tmp_path / "clinic.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(("body", "field", "said"), [
    ("population: {groups: [{profile: ambulant, use: ed_minors, count: 0}]}\n", "population",
     "places nobody"),
    ("population: {groups: [{profile: ambulant, use: ed_minors, count: 2}]}\n"
     "strategy: {mode: progressive, fire_compartments: [west]}\n", "strategy.fire_compartments",
     "refuge has no way out"),
    ("population: {groups: [{profile: ambulant, use: ed_minors, count: 2}]}\n"
     "movement: {behaviour: {patience: 800}}\n", "movement.behaviour", "must be between 1 and 120"),
    # The ward fire with [L3-A] for a fire in L2-A moved nobody and reported 27 people over the FED
    # limit in the compartment left in place.
    ("population: {groups: [{profile: ambulant, use: ed_minors, count: 2}]}\n"
     "strategy: {mode: horizontal, fire_compartments: [west]}\n"
     "hazard: {fire: {origin: TREAT, growth: fast, peak_hrr: 1000}}\n", "strategy.fire_compartments",
     "the fire starts in TREAT, in compartment east"),
])
def test_a_drill_that_cannot_answer_is_one_line_naming_file_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, field: str, said: str) -> None:
    fac = _dead_end_clinic(tmp_path)
    drill = tmp_path / "drill.yaml"
    drill.write_text(f"kind: evacuation\nname: d\nfacility: {fac}\nmax_time: 60\n{body}")
    code = main(["run", str(drill), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == EXIT_INPUT and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"error: {drill}: {field}: ") and said in lines[0], lines[0]
    assert not (tmp_path / "out").exists()
