"""``medtwin run``: one scenario file of any kind, results written, errors named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import main

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"


@pytest.fixture
def short_nelson(tmp_path: Path) -> Path:
    text = (LIBRARY / "nelson_treatment_centre.yaml").read_text().replace("length: 1140", "length: 240")
    p = tmp_path / "nelson.yaml"
    p.write_text(text)
    return p


def test_run_writes_results_and_prints_summary(short_nelson: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results" / "n1"
    assert main(["run", str(short_nelson), "--replications", "2", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "triage" in printed.out
    kpis = json.loads((out / "kpis.json").read_text())
    assert len(kpis["replications"]) == 2
    assert (out.parent / "registry.duckdb").exists()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 3 and meta["replications"] == 2


def test_run_refuses_to_replace_results(short_nelson: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert main(["run", str(short_nelson), "--replications", "1", "--out", str(out)]) == 0
    before = (out / "kpis.json").read_text()
    assert main(["run", str(short_nelson), "--replications", "1", "--seed", "9", "--out", str(out)]) == 2
    assert "already holds results" in capsys.readouterr().err
    assert (out / "kpis.json").read_text() == before


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
