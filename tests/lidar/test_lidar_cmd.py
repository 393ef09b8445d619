"""``medtwin lidar synth`` and ``medtwin lidar extract`` end to end on a small floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facility import io
from scenarios.cli import main

from .conftest import make_office


def test_synth_then_extract(tmp_path: Path) -> None:
    io.save(make_office(2), tmp_path / "office.json")
    assert main(["lidar", "synth", str(tmp_path / "office.json"), "--out", str(tmp_path / "scan.ply"),
                 "--truth", str(tmp_path / "truth.json"), "--spacing", "0.05", "--seed", "3"]) == 0
    code = main(["lidar", "extract", str(tmp_path / "scan.ply"), "--out", str(tmp_path / "out.json"),
                 "--report", str(tmp_path / "report.json"), "--preview", str(tmp_path / "p.png"),
                 "--truth", str(tmp_path / "truth.json")])
    assert code == 0
    fac = io.load(tmp_path / "out.json")
    assert len(fac.spaces) == 5 and len(fac.doors) == 4 and len(fac.exits) == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["accuracy"]["room_f1"] == 1.0
    assert report["exits_to_confirm"] == [fac.exits[0].id]
    assert (tmp_path / "p.png").stat().st_size > 10_000


def test_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lidar", "extract", str(tmp_path / "nope.laz"), "--out", str(tmp_path / "o.json")]) == 2
    assert "nope.laz: no such file" in capsys.readouterr().err
    (tmp_path / "x.obj").write_text("v 0 0 0\n")
    assert main(["lidar", "extract", str(tmp_path / "x.obj"), "--out", str(tmp_path / "o.json")]) == 2
    assert "unsupported extension" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["lidar", "extract", "--help"])
    assert "examples:" in capsys.readouterr().out


def test_storey_files_not_in_one_frame_name_the_file(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    np.savetxt(tmp_path / "g.xyz", rng.uniform((0, 0, 0), (20, 10, 3), (3000, 3)))
    np.savetxt(tmp_path / "f1.xyz", rng.uniform((60, 0, 3.5), (80, 10, 6.5), (3000, 3)))
    code = main(["lidar", "extract", str(tmp_path / "g.xyz"), str(tmp_path / "f1.xyz"),
                 "--out", str(tmp_path / "o.json")])
    assert code == 2
    assert "f1.xyz: covers only" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()


def test_a_log_gets_plain_stage_lines_and_the_wrong_exits_by_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Redirected stderr (not a terminal) gets one line per stage and no carriage return; with a
    truth whose exit is elsewhere, the console and the report name the missed and the false exit."""
    from dataclasses import replace

    fac = make_office(1)
    io.save(fac, tmp_path / "office.json")
    assert main(["lidar", "synth", str(tmp_path / "office.json"), "--out", str(tmp_path / "scan.ply"),
                 "--spacing", "0.05", "--seed", "3"]) == 0
    moved = replace(fac, exits=(replace(fac.exits[0], id="WEST", at=(0.0, 1.2)),))
    io.save(moved, tmp_path / "truth.json")
    capsys.readouterr()
    assert main(["lidar", "extract", str(tmp_path / "scan.ply"), "--out", str(tmp_path / "out.json"),
                 "--report", str(tmp_path / "report.json"), "--truth", str(tmp_path / "truth.json")]) == 0
    out, err = capsys.readouterr()
    assert "\r" not in err
    lines = err.splitlines()
    assert "lidar: read done in" in lines[0] and any(x.startswith("lidar: L0 rooms done in") for x in lines)
    assert len(lines) == len(set(lines)) and all(x.startswith("lidar: ") for x in lines)
    found = io.load(tmp_path / "out.json").exits[0]
    named = f"{found.id} at ({found.at[0]:.2f}, {found.at[1]:.2f}), {found.width:.2f} m"
    assert "  missed exit WEST at (0.00, 1.20), 1.50 m" in out.splitlines()
    assert f"  false exit {named}" in out.splitlines()
    acc = json.loads((tmp_path / "report.json").read_text())["accuracy"]
    assert acc["missed_exits"] == ["WEST at (0.00, 1.20), 1.50 m"]
    assert acc["false_exits"] == [named]
    assert acc["exits_missed"] == 1.0 and acc["exits_false"] == 1.0


def test_a_terminal_gets_progress_bars() -> None:
    import io as text_io

    from scenarios.cli.lidar_cmd import StageProgress

    class Terminal(text_io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    progress = StageProgress(term)
    progress("read", 0, 1)
    progress("read", 1, 1)
    progress.close()
    assert progress.terminal and "read" in term.getvalue() and "100%" in term.getvalue()


def test_synth_shuts_doors_with_the_leaf_asked_for(tmp_path: Path) -> None:
    """Every door shut flush in its frame (``--leaf framed``): the extraction finds each by its frame;
    shut flush with no frame (``--leaf flush``) the same doors leave no trace and none is found."""
    io.save(make_office(1), tmp_path / "office.json")
    found = {}
    for leaf in ("framed", "flush"):
        assert main(["lidar", "synth", str(tmp_path / "office.json"), "--out", str(tmp_path / f"{leaf}.ply"),
                     "--spacing", "0.05", "--seed", "4", "--closed-doors", "1", "--leaf", leaf]) == 0
        assert main(["lidar", "extract", str(tmp_path / f"{leaf}.ply"),
                     "--out", str(tmp_path / f"{leaf}.json")]) == 0
        found[leaf] = len(io.load(tmp_path / f"{leaf}.json").doors)
    assert found == {"framed": 2, "flush": 0}


@pytest.mark.parametrize(("flag", "value", "named"), [
    ("--leaf", "glass", "--leaf 'glass': expected one of"),
    ("--closed-doors", "1.5", "--closed-doors 1.5: expected"),
    ("--closed-doors", "nan", "--closed-doors nan: expected"),
    ("--seed", "-1", "--seed -1: expected a whole number >= 0")])  # was an internal error (numpy)
def test_a_bad_closed_door_option_is_one_line_and_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         flag: str, value: str, named: str) -> None:
    code = main(["lidar", "synth", "sample", "--out", str(tmp_path / "s.ply"), "--level", "L0", flag, value])
    err = capsys.readouterr().err
    assert code == 2 and named in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.ply").exists()


def test_an_extraction_never_writes_over_its_scan_or_its_other_outputs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # regression: `--out scan.ply` replaced the scan by the facility (no error, the scan lost)
    scan = tmp_path / "scan.ply"
    scan.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
                     b"property float z\nend_header\n0 0 0\n")
    before = scan.read_bytes()
    assert main(["lidar", "extract", str(scan), "--out", str(scan)]) == 2
    assert "--out: is also an input of this command" in capsys.readouterr().err
    assert main(["lidar", "extract", str(scan), "--out", str(tmp_path / "f.json"),
                 "--report", str(tmp_path / "f.json")]) == 2
    assert "--report: is also given as --out" in capsys.readouterr().err
    fac = tmp_path / "f.json"
    io.save(io.load(Path(__file__).resolve().parents[2] / "docs" / "examples" / "tiny_clinic.json"), fac)
    assert main(["lidar", "synth", str(fac), "--out", str(tmp_path / "s.ply"), "--truth", str(fac)]) == 2
    assert "--truth: is also an input" in capsys.readouterr().err
    assert scan.read_bytes() == before and not (tmp_path / "s.ply").exists()
