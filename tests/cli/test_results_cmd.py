"""``medtwin results``: list, show, compare and report over a store, damaged folders named."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from scenarios.cli import main
from tests.cli.conftest import short_library_scenario


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    short_library_scenario(root, "nelson_treatment_centre.yaml", length_min=300, as_name="nelson.yaml")
    assert main(["sweep", str(root / "nelson.yaml"), "--vary", "resources.exam_room.count=1,3",
                 "--replications", "3", "--jobs", "1", "--out", str(root / "results" / "exam")]) == 0
    assert main(["run", str(root / "nelson.yaml"), "--replications", "3", "--jobs", "1",
                 "--out", str(root / "results" / "base")]) == 0
    return root / "results"


def test_list_names_every_run_and_a_damaged_one(store: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["results", "list", str(store)]) == 0
    out = capsys.readouterr().out
    assert "exam/v000" in out and "exam/v001" in out and re.search(r"^base ", out, re.M)
    bad = tmp_path / "copy"
    bad.mkdir()
    (bad / "broken").mkdir()
    (bad / "broken" / "manifest.json").write_text("{not json")
    assert main(["results", "list", str(bad)]) == 1
    assert "broken/manifest.json: damaged" in capsys.readouterr().err


def test_show(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["results", "show", str(store / "exam" / "v001")]) == 0
    out = capsys.readouterr().out
    assert "variant 1 of sweep 'nelson_treatment_centre'" in out and "wait.non_trauma.examination" in out
    assert main(["results", "show", str(store / "exam" / "v001"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["manifest"]["done"] == 3


def test_compare_and_rank(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["results", "compare", str(store / "exam"), "--kpi", "wait.non_trauma.examination",
                 "--rank"]) == 0
    out = capsys.readouterr().out
    assert "resources.exam_room.count=3" in out and "paired" in out
    assert re.search(r"1= resources\.exam_room\.count=3", out)
    # a plain run against a sweep variant: same seed and streams, so paired too
    assert main(["results", "compare", str(store / "base"), str(store / "exam" / "v001"),
                 "--kpi", "util.exam_room"]) == 0
    assert "paired" in capsys.readouterr().out


def test_compare_errors(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["results", "compare", str(store / "exam"), "--kpi", "wait.non_trauma.exam"]) == 2
    assert "did you mean wait.non_trauma.examination" in capsys.readouterr().err
    assert main(["results", "compare", str(store / "nope"), "--kpi", "x"]) == 2
    assert "no such results folder" in capsys.readouterr().err


def test_report_is_self_contained(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert main(["results", "report", str(store / "exam"), "--out", str(out)]) == 0
    page = out.read_text()
    for section in ("KPIs by variant", "Differences from v000", "Waits by hour", "Utilisation by resource"):
        assert section in page
    assert "<script" not in page and "<link" not in page and 'src="http' not in page
    assert page.count("<svg") >= 4
    assert main(["results", "report", str(store / "exam"), "--out", str(tmp_path / "no" / "r.html")]) == 2


def _copy_run(store: Path, to: Path) -> Path:
    import shutil

    return Path(shutil.copytree(store / "base", to))


def test_list_names_a_run_with_unreadable_kpis_and_an_interrupted_run(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # regression: a kpis.json of random bytes was listed as a normal run, and an interrupted
    # run's .NAME.partial folder was not listed at all
    from scenarios.store import RunWriter

    root = tmp_path / "root"
    _copy_run(store, root / "good")
    (_copy_run(store, root / "noise") / "kpis.json").write_bytes(bytes(range(256)) * 4)
    header = {"kind": "operations", "name": "late_one", "scenario_hash": "h", "facility_hash": "", "seed": 5,
              "keys": [[0]], "version": "v", "variant": None}
    RunWriter(root / ".late.partial", header, "kind: operations\n")
    capsys.readouterr()
    assert main(["results", "list", str(root)]) == 1
    got = capsys.readouterr()
    lines = {line.split()[0]: line for line in got.out.splitlines()[1:]}
    assert " ok" in lines["good"]
    assert "damaged: kpis.json cannot be read as JSON" in lines["noise"]
    late = lines[".late.partial"]
    assert "late_one" in late and "interrupted: resume with --resume" in late
    assert "noise/kpis.json: damaged" in got.err
    (root / ".late.lock").write_text(f"{os.getpid()}\n")  # a live writer holds it
    assert main(["results", "list", str(root), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [u["status"] for u in data["unfinished"]] == [f"running (process {os.getpid()})"]
    assert [p["status"] for p in data["problems"]] == ["damaged: kpis.json cannot be read as JSON"]


def test_list_sizes_columns_to_long_names_and_paths(store: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # regression: names were cut at 26 characters and long paths pushed the columns out of line
    deep = "a_rather_long_folder_name_for_one_run_of_the_norovirus_outbreak"
    run = _copy_run(store, tmp_path / deep)
    m = json.loads((run / "manifest.json").read_text())
    m["name"] = "sample_hospital_norovirus_outbreak_with_cohorting"
    (run / "manifest.json").write_text(json.dumps(m))
    _copy_run(store, tmp_path / "b")
    capsys.readouterr()
    assert main(["results", "list", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(m["name"] in line for line in lines)
    header = lines[0]
    for line in lines[1:]:
        assert line.index(line.split()[1]) == header.index("kind")  # every kind under its heading


def test_show_of_a_damaged_run_prints_nothing_to_stdout(store: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # regression: the header line came out on stdout before the error
    run = _copy_run(store, tmp_path / "r")
    (run / "kpis.json").write_bytes(b"\x93\x00garbage")
    capsys.readouterr()
    assert main(["results", "show", str(run)]) == 2
    got = capsys.readouterr()
    assert got.out == "" and "kpis.json: damaged" in got.err and got.err.count("\n") == 1


def test_control_characters_of_an_edited_run_are_shown_not_sent_to_the_terminal(
        store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # regression: a KPI or run name with an ESC in a hand-edited kpis.json or manifest.json was
    # printed raw by 'results show' and 'results list', so the terminal ran the escape sequence
    run = _copy_run(store, tmp_path / "r")
    kpis = json.loads((run / "kpis.json").read_text())
    kpis["summary"]["util\x1b[2J\x1b]0;owned\x07"] = {"mean": 1.0, "half_width": None, "low": None,
                                                       "high": None, "n": 1}
    (run / "kpis.json").write_text(json.dumps(kpis))
    m = json.loads((run / "manifest.json").read_text())
    m["name"] = "nelson\x9b31m\nforged line"
    (run / "manifest.json").write_text(json.dumps(m))
    capsys.readouterr()
    for action in ("show", "list"):
        assert main(["results", action, str(run)]) == 0
        out = capsys.readouterr().out
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out) and "forged line" in out
        assert not any(line.startswith("forged line") for line in out.splitlines())
    assert main(["results", "show", str(run)]) == 0
    assert "util\\u001b[2J\\u001b]0;owned\\u0007" in capsys.readouterr().out


def test_a_report_is_not_written_into_a_run_or_sweep_folder(store: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # regression: '--out RUN/manifest.json' replaced the run's manifest with the report, and the
    # run could no longer be read ("manifest.json cannot be read as JSON")
    run = _copy_run(store, tmp_path / "r")
    manifest = (run / "manifest.json").read_bytes()
    capsys.readouterr()
    assert main(["results", "report", str(run), "--out", str(run / "manifest.json")]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {run / 'manifest.json'}: --out: lies in the run folder {str(run)!r} of a results "
                   "store; expected a file outside it (e.g. next to the results folder)\n")
    assert (run / "manifest.json").read_bytes() == manifest
    assert main(["results", "report", str(store / "exam"), "--out", str(store / "exam" / "r.html")]) == 2
    assert "lies in the sweep folder" in capsys.readouterr().err and not (store / "exam" / "r.html").exists()
    assert main(["results", "report", str(run), "--out", str(tmp_path / "r.html")]) == 0


def test_a_run_or_sweep_is_not_written_inside_another_run_or_sweep_folder(
        store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # regression: 'run --out results/base/sub' wrote a run inside the run 'base', hidden from
    # 'results list', and made 'base' a folder that '--overwrite' refused to replace
    run = _copy_run(store, tmp_path / "base")
    scenario = str(run / "scenario.yaml")
    capsys.readouterr()
    assert main(["run", scenario, "--out", str(run / "sub")]) == 2
    assert capsys.readouterr().err == (f"error: --out: {run / 'sub'} lies in the run folder {str(run)!r}; "
                                       "expected a run folder of its own beside it (e.g. in the same results "
                                       "folder)\n")
    assert main(["sweep", scenario, "--vary", "seed=1,2", "--out", str(store / "exam" / "more")]) == 2
    assert "lies in the sweep folder" in capsys.readouterr().err and not (store / "exam" / "more").exists()
    assert sorted(p.name for p in run.iterdir()) == sorted(p.name for p in (store / "base").iterdir())


def test_a_report_over_a_damaged_table_names_the_file(store: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # regression: a table file replaced by hand was an internal error (ArrowInvalid, exit 3)
    run = _copy_run(store, tmp_path / "r")
    (run / "events.parquet").write_bytes(b"not a table")
    capsys.readouterr()
    assert main(["results", "report", str(run), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {run / 'events.parquet'}: damaged, cannot be read as a Parquet table (")
    assert err.count("\n") == 1 and not (tmp_path / "r.html").exists()


def test_a_confidence_level_is_printed_as_given(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # regression: '--level 0.999' was printed as a "100% interval"
    capsys.readouterr()
    assert main(["results", "compare", str(store / "exam"), "--kpi", "util.exam_room",
                 "--level", "0.999"]) == 0
    assert "(99.9% interval)" in capsys.readouterr().out
