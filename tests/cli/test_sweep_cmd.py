"""``medtwin sweep``: variants from --vary or a sweep file, stored, resumable, errors named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import main


def test_sweep_with_vary_writes_a_sweep_folder(short_nelson: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "exam"
    assert main(["sweep", str(short_nelson), "--vary", "resources.exam_room.count=2:3", "--replications", "2",
                 "--jobs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "2 variant(s) x 2 replication(s) with common random numbers" in printed.err
    assert "v001  resources.exam_room.count=3" in printed.out
    plan = json.loads((out / "sweep.json").read_text())
    assert [v["levers"] for v in plan["variants"]] == [{"resources.exam_room.count": 2},
                                                       {"resources.exam_room.count": 3}]
    assert json.loads((out / "v001" / "manifest.json").read_text())["variant"]["levers"] == \
        {"resources.exam_room.count": 3}
    # the same again is refused; --resume finds it complete and changes nothing
    before = (out / "v000" / "kpis.json").read_text()
    assert main(["sweep", str(short_nelson), "--vary", "resources.exam_room.count=2:3", "--replications", "2",
                 "--jobs", "1", "--out", str(out)]) == 2
    assert "already holds results" in capsys.readouterr().err
    assert main(["sweep", str(short_nelson), "--vary", "resources.exam_room.count=2:3", "--replications", "2",
                 "--jobs", "1", "--out", str(out), "--resume"]) == 0
    assert (out / "v000" / "kpis.json").read_text() == before


def test_sweep_file(short_nelson: Path, tmp_path: Path) -> None:
    f = tmp_path / "staffing.yaml"
    f.write_text("scenario: nelson.yaml\nreplications: 2\ngrid:\n  resources.triage_cubicle.count: [1, 2]\n")
    assert main(["sweep", str(f), "--jobs", "1", "--out", str(tmp_path / "s")]) == 0
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == ["scenario.yaml", "sweep.json", "v000", "v001"]


@pytest.mark.parametrize(("vary", "expected"), [
    ("resources.nurse.count=4,5", "resources.nurse.count: unknown lever: resources has no 'nurse'"),
    ("resources.exam_room.count=0,1", "resources.exam_room.count=0 is not a valid scenario"),
    ("seed=1,2", "'seed' is not a lever"),
    ("resources.exam_room.count", "expected LEVER=VALUE"),
])
def test_bad_levers_are_one_line_errors(short_nelson: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str], vary: str, expected: str) -> None:
    assert main(["sweep", str(short_nelson), "--vary", vary, "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and "--vary" in err
    assert not (tmp_path / "s").exists()


def test_more_replications_than_a_scenario_file_may_ask_for_is_refused(
        short_nelson: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # regression: 'sweep --replications 1000000000' was taken as given (run's bound was not checked)
    assert main(["sweep", str(short_nelson), "--vary", "resources.exam_room.count=2:3", "--replications",
                 "1000000000", "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.endswith("error: --replications: must be at most 100,000, got 1,000,000,000\n")
    assert not (tmp_path / "s").exists()
