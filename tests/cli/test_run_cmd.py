"""``medtwin run``: one scenario file of any kind, results written, errors named."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from scenarios.cli import main
from scenarios.cli.run_cmd import ProgressView
from scenarios.progress import Tick


def test_run_writes_results_and_prints_summary(short_nelson: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results" / "n1"
    assert main(["run", str(short_nelson), "--replications", "2", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "triage" in printed.out
    # stderr is not a terminal here: plain lines a log keeps, no carriage returns
    assert "operations nelson_treatment_centre: 2/2 replications done\n" in printed.err
    assert "\r" not in printed.err
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


def test_progress_lines_without_a_terminal_name_the_variant_and_simulated_time() -> None:
    log = io.StringIO()
    view = ProgressView("sweep staffing", 4, sweep=True, stream=log, every_s=0.0)
    view.replications(1, 4)
    view.tick(Tick(tag=2, index=1, sim_time_s=3 * 3600.0, end_time_s=12 * 3600.0))
    view.replications(4, 4)
    view.close()
    assert log.getvalue().splitlines() == [
        "sweep staffing: 1/4 replications done",
        "sweep staffing: 1/4 replications done; variant 2, replication 2 at 3 h of 12 h simulated (25 %)",
        "sweep staffing: 4/4 replications done",
    ]


def test_progress_lines_are_spaced_but_the_last_always_shows() -> None:
    log = io.StringIO()
    view = ProgressView("operations week", 3, stream=log, every_s=3600.0)
    for done in (1, 2):
        view.replications(done, 3)
    view.tick(Tick(tag=0, index=2, sim_time_s=60.0, end_time_s=600.0))
    view.replications(3, 3)
    assert log.getvalue().splitlines() == ["operations week: 1/3 replications done",
                                           "operations week: 3/3 replications done"]


def test_on_a_terminal_the_bar_shows_the_running_replication() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    view = ProgressView("evacuation night", 2, stream=screen)
    view.tick(Tick(tag=0, index=0, sim_time_s=90.0, end_time_s=3600.0, finished=5, of=40))
    view.close()
    assert "replication 1 at 1 min 30 s of 1 h simulated (2 %), 5/40 safe" in screen.getvalue()


def test_an_alarm_that_never_sounds_names_the_scenario_file_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # regression: found only while running, it was "error: no detector activated ..." with no file
    clinic = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tiny_clinic.json"
    drill = tmp_path / "drill.yaml"
    drill.write_text(f"kind: evacuation\nname: t\nfacility: {clinic}\n"
                     "population:\n  groups: [{profile: ambulant, space: WAIT, count: 1}]\n"
                     "hazard:\n  fire: {origin: WAIT, growth: table, hrr_table: [[0, 0], [10, 0]],\n"
                     "         alarm: detection, detectors: [{kind: heat}]}\n  dt: 5\n")
    assert main(["run", str(drill), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {drill}: hazard.fire.detectors: no detector activated")
    assert "\n" not in err and not (tmp_path / "r").exists()


def test_more_replications_than_a_scenario_file_may_ask_for_is_refused(
        short_nelson: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # regression: --replications 1000000000 (a typo) started a run of days; the file's field stops at 100,000
    assert main(["run", str(short_nelson), "--replications", "100001", "--out", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err == "error: --replications: must be at most 100,000, got 100,001\n"
    assert not (tmp_path / "r").exists()


def test_more_jobs_than_a_few_per_cpu_are_refused_before_any_worker_starts(
        short_nelson: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # regression: '--jobs 100000' (a typo) started worker after worker and held a two-CPU machine at
    # a load of 50 until it was killed ten minutes later
    import scenarios.runner

    monkeypatch.setattr(scenarios.runner, "cpu_count", lambda: 2)
    for command in (["run", str(short_nelson)], ["sweep", str(short_nelson), "--vary", "seed=1,2"]):
        assert main([*command, "--jobs", "9", "--out", str(tmp_path / "r")]) == 2
        assert capsys.readouterr().err == ("error: --jobs: 9 worker processes on this machine's 2 CPU(s); "
                                           "expected at most 8 (4 per CPU: more only queue for the same "
                                           "cores)\n")
        assert not (tmp_path / "r").exists()
    # a remote scheduler's workers are started elsewhere: its --jobs is not this machine's
    assert main(["run", str(short_nelson), "--jobs", "9", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9",
                 "--out", str(tmp_path / "r")]) == 2
    assert "--jobs" not in capsys.readouterr().err
