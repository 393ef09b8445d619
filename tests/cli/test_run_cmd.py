"""``medtwin run``: one scenario file of any kind, results written, errors named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import main


def test_run_writes_results_and_prints_summary(short_nelson: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results" / "n1"
    assert main(["run", str(short_nelson), "--replications", "2", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "triage" in printed.out
    kpis = json.loads((out / "kpis.json").read_text())
    assert len(kpis["replications"]) == 2
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["seed"] == 3 and meta["replications"] == 2 and meta["done"] == 2
    assert (out / "events.parquet").exists()


def test_run_refuses_to_replace_results(short_nelson: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert main(["run", str(short_nelson), "--replications", "1", "--out", str(out)]) == 0
    before = (out / "kpis.json").read_text()
    assert main(["run", str(short_nelson), "--replications", "1", "--seed", "9", "--out", str(out)]) == 2
    assert "already holds results" in capsys.readouterr().err
    assert (out / "kpis.json").read_text() == before


def test_overwrite_refuses_a_folder_that_is_not_a_run(short_nelson: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "results"
    assert main(["run", str(short_nelson), "--replications", "1", "--out", str(root / "a")]) == 0
    (root / "notes.md").write_text("minutes")
    capsys.readouterr()
    assert main(["run", str(short_nelson), "--replications", "1", "--out", str(root), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a run or sweep folder itself" in err and "notes.md" in err
    assert (root / "notes.md").exists() and (root / "a" / "manifest.json").exists()


def test_overwrite_replaces_a_sweep_folder(short_nelson: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    # regression: run --overwrite on a sweep folder said "not a medtwin run folder (no manifest.json)"
    out = tmp_path / "exam"
    assert main(["sweep", str(short_nelson), "--vary", "resources.exam_room.count=2,3", "--replications", "1",
                 "--jobs", "1", "--out", str(out)]) == 0
    assert main(["run", str(short_nelson), "--replications", "1", "--seed", "5", "--jobs", "1",
                 "--out", str(out), "--overwrite"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exam", "nelson.yaml"]


def test_a_folder_of_notes_is_refused_with_the_reason(short_nelson: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # regression: "already holds results; ... pass --resume ... or --overwrite", then --overwrite refused
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    for flags in ([], ["--overwrite"], ["--resume"]):
        assert main(["run", str(short_nelson), "--replications", "1", "--out", str(out), *flags]) == 2
        err = capsys.readouterr().err
        assert "holds files that are not medtwin results (notes.txt)" in err and "--overwrite" not in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_bad_flags_are_one_line_errors(short_nelson: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(short_nelson), "--seed", str(2**200), "--out", str(tmp_path / "x")]) == 2
    assert "--seed" in capsys.readouterr().err and not (tmp_path / "x").exists()
    assert main(["run", str(short_nelson), "--resume"]) == 2
    assert "need --out" in capsys.readouterr().err
    assert main(["run", str(short_nelson), "--replications", "1", "--backend", "dask",
                 "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


def test_run_json_output(short_nelson: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(short_nelson), "--replications", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict) and data


def test_bad_scenario_names_file_and_field(tmp_path: Path, short_nelson: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(short_nelson.read_text().replace("seed: 42", "seed: 42\nsede: 1"))
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "sede" in err and "unknown key" in err


def test_missing_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "none.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_run_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--help"])
    assert exc.value.code == 0
    assert "medtwin run" in capsys.readouterr().out
