"""The results store: run folders and manifests, safe overwrite, exclusive creation, the registry.

Each data-loss defect found in the earlier store has a regression test here.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from scenarios.base import Kind
from scenarios.errors import ArgumentError, CorruptResultsError, ResultsStoreError
from scenarios.loader import load, loads
from scenarios.runner import run
from scenarios.store import claimed, connect, open_run, read_kpis, registry, scan, write
from tests.scenarios.kinds import toy
from tests.scenarios.mm1 import MM1_YAML

FAKE_FACILITY = object()  # the test models do not use the building


def _results(seed: int = 7):  # type: ignore[no-untyped-def]
    return run(loads(MM1_YAML), facility=FAKE_FACILITY, seed=seed)  # type: ignore[arg-type]


def test_run_folder_layout_and_manifest(mm1_kind: Kind, tmp_path: Path) -> None:
    res = _results()
    out = write(res, tmp_path / "run1")
    assert sorted(p.name for p in out.iterdir()) == ["kpis.json", "manifest.json", "scenario.yaml",
                                                      "waits.parquet"]
    kpis = read_kpis(out)
    assert kpis["summary"]["mean_wait"]["n"] == 4 and len(kpis["replications"]) == 4
    waits = pq.read_table(out / "waits.parquet")
    assert waits.column_names[0] == "replication" and waits.num_rows == 4 * 3000
    m = json.loads((out / "manifest.json").read_text())
    assert m["format"] == "medtwin-run/1" and m["seed"] == 7 and m["kind"] == "test-mm1"
    assert [r["key"] for r in m["replication_status"]] == [[0], [1], [2], [3]]
    assert {r["status"] for r in m["replication_status"]} == {"done"} and m["version"]
    assert all(r["cpu_seconds"] == 0.0 for r in m["replication_status"])  # held in memory: not timed
    assert len(m["scenario_hash"]) == 16
    # Statistics on the replication column only: they let a read of one replication skip the rest.
    meta = pq.ParquetFile(out / "waits.parquet").metadata.row_group(0)
    assert [meta.column(i).is_stats_set for i in range(meta.num_columns)] == [True, False, False]
    (tmp_path / "again.yaml").write_text((out / "scenario.yaml").read_text())
    assert load(tmp_path / "again.yaml").model_dump() == res.scenario.model_dump()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no lock, no partial left


def test_streamed_run_equals_in_memory_run(toy_kind: Kind, tmp_path: Path) -> None:
    sc = toy(replications=5)
    mem = run(sc, facility=FAKE_FACILITY)  # type: ignore[arg-type]
    stored = run(sc, facility=FAKE_FACILITY, out=tmp_path / "r")  # type: ignore[arg-type]
    assert stored.path == (tmp_path / "r").absolute()
    assert stored.arrow("draws").equals(mem.arrow("draws"))
    assert [dict(r.kpis) for r in stored.replications] == [dict(r.kpis) for r in mem.replications]
    assert stored.kpis == mem.kpis
    status = open_run(tmp_path / "r").manifest["replication_status"]
    assert all(0 < r["cpu_seconds"] <= r["seconds"] + 0.01 for r in status)  # the model's own CPU
    # one replication's table is read back alone (a row group per replication)
    assert stored.replications[3].tables["draws"].equals(mem.replications[3].tables["draws"])


def test_existing_results_are_not_replaced_silently(mm1_kind: Kind, tmp_path: Path) -> None:
    write(_results(1), tmp_path / "a")
    before = (tmp_path / "a" / "kpis.json").read_text()
    with pytest.raises(ResultsStoreError, match="already holds results"):
        write(_results(2), tmp_path / "a")
    assert (tmp_path / "a" / "kpis.json").read_text() == before
    write(_results(2), tmp_path / "a", overwrite=True)
    assert (tmp_path / "a" / "kpis.json").read_text() != before
    assert [r["seed"] for r in registry(tmp_path)] == [2]


def test_overwrite_refuses_a_results_root(toy_kind: Kind, tmp_path: Path) -> None:
    # regression: --overwrite on a folder of runs deleted all of them and exited 0
    root = tmp_path / "results"
    run(toy(), facility=FAKE_FACILITY, out=root / "a")  # type: ignore[arg-type]
    (root / "notes.txt").write_text("keep me")
    for flags in ({"overwrite": True}, {"resume": True}, {}):
        with pytest.raises(ResultsStoreError, match=r"holding other runs or sweeps \(a\), not a run or "
                           r"sweep folder itself; medtwin never writes into or replaces.*notes\.txt"):
            run(toy(), facility=FAKE_FACILITY, out=root, **flags)  # type: ignore[arg-type]
    assert (root / "notes.txt").read_text() == "keep me" and open_run(root / "a")


def test_a_folder_of_other_files_is_not_called_results(toy_kind: Kind, tmp_path: Path) -> None:
    # regression: a folder holding only notes.txt "already holds results; pass --resume or
    # --overwrite", and --overwrite was then refused anyway
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("keep me")
    for flags in ({}, {"overwrite": True}, {"resume": True}):
        with pytest.raises(ResultsStoreError) as exc:
            run(toy(), facility=FAKE_FACILITY, out=tmp_path / "a", **flags)  # type: ignore[arg-type]
        msg = str(exc.value)
        assert "holds files that are not medtwin results (notes.txt)" in msg
        assert "will not write into it or replace it; choose another --out" in msg
        assert "already holds results" not in msg and "--overwrite" not in msg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["notes.txt"]


def test_a_run_and_a_sweep_folder_replace_each_other_only_when_clean(toy_kind: Kind, tmp_path: Path) -> None:
    # regression: run --overwrite on a sweep folder said "not a medtwin run folder", though
    # --overwrite replaces "a medtwin run or sweep folder"
    from scenarios.sweeps import plan_from_vary, sweep

    out = tmp_path / "s"
    plan = plan_from_vary(toy(replications=2), ["lever.count=1,2"])
    sweep(plan, out=out)
    (out / "v001" / "mine.csv").write_text("x")
    with pytest.raises(ResultsStoreError, match=r"sweep folder holds files medtwin did not write "
                                                r"\(v001/mine\.csv\)"):
        run(toy(seed=3), facility=FAKE_FACILITY, out=out, overwrite=True)  # type: ignore[arg-type]
    assert (out / "v001" / "mine.csv").exists() and (out / "sweep.json").exists()
    (out / "v001" / "mine.csv").unlink()
    run(toy(seed=3), facility=FAKE_FACILITY, out=out, overwrite=True)  # type: ignore[arg-type]
    assert open_run(out).manifest["seed"] == 3 and not (out / "sweep.json").exists()
    sweep(plan, out=out, overwrite=True)
    assert (out / "sweep.json").exists() and not (out / "manifest.json").exists()


def test_overwrite_refuses_a_run_folder_holding_other_files(toy_kind: Kind, tmp_path: Path) -> None:
    run(toy(), facility=FAKE_FACILITY, out=tmp_path / "a")  # type: ignore[arg-type]
    (tmp_path / "a" / "my-analysis.xlsx").write_text("x")
    with pytest.raises(ResultsStoreError, match=r"did not write \(my-analysis.xlsx\)"):
        run(toy(seed=2), facility=FAKE_FACILITY, out=tmp_path / "a", overwrite=True)  # type: ignore[arg-type]
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["seed"] == 11


@pytest.mark.parametrize("where", ["home", "cwd", "parent of cwd"])
def test_overwrite_never_touches_home_or_the_current_folder(
    toy_kind: Kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    home, work = tmp_path / "home", tmp_path / "home" / "work"
    work.mkdir(parents=True)
    (work / "thesis.tex").write_text("x")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    target = {"home": Path("~").expanduser(), "cwd": Path("."), "parent of cwd": Path("..")}[where]
    with pytest.raises(ResultsStoreError, match=r"home folder|current folder"):
        run(toy(), facility=FAKE_FACILITY, out=target, overwrite=True)  # type: ignore[arg-type]
    assert (work / "thesis.tex").exists()


def _race(out: str, seed: int, start: multiprocessing.synchronize.Barrier, q: multiprocessing.Queue) -> None:
    from tests.scenarios.kinds import register_toy

    register_toy()
    start.wait()
    try:
        run(toy(seed=seed, replications=3), facility=FAKE_FACILITY, out=out)  # type: ignore[arg-type]
        q.put((seed, "ok"))
    except ResultsStoreError as exc:
        q.put((seed, str(exc)))


def _in_processes(target, args_list):  # type: ignore[no-untyped-def]
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    start = ctx.Barrier(len(args_list))
    procs = [ctx.Process(target=target, args=(*a, start, q)) for a in args_list]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    return [q.get(timeout=5) for _ in procs]


def test_four_processes_into_one_folder_exactly_one_wins(toy_kind: Kind, tmp_path: Path) -> None:
    # regression: four writers replaced one folder several times; the registry named another seed
    out = tmp_path / "one"
    got = _in_processes(_race, [(str(out), seed) for seed in (1, 2, 3, 4)])
    winners = [seed for seed, msg in got if msg == "ok"]
    assert len(winners) == 1, got
    assert all("another medtwin run" in m or "already holds results" in m for _, m in got if m != "ok")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == winners[0]
    assert [r["seed"] for r in registry(tmp_path)] == winners
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one"]


def test_concurrent_runs_into_one_parent_lose_no_row_while_a_reader_is_open(
    toy_kind: Kind, tmp_path: Path
) -> None:
    # regression: writers failed with a DuckDB lock error while anyone had the registry open
    run(toy(), facility=FAKE_FACILITY, out=tmp_path / "first")  # type: ignore[arg-type]
    reader = connect(tmp_path)  # e.g. the app or a notebook holding the registry
    got = _in_processes(_race, [(str(tmp_path / f"r{seed}"), seed) for seed in (1, 2, 3, 4)])
    assert [m for _, m in got] == ["ok"] * 4
    assert reader.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    reader.close()
    rows = registry(tmp_path)
    assert sorted(r["path"] for r in rows) == ["first", "r1", "r2", "r3", "r4"]
    assert all(json.loads((tmp_path / r["path"] / "manifest.json").read_text())["seed"] == r["seed"]
               for r in rows)


def test_huge_seed_is_stored_exactly_and_too_huge_is_refused_before_writing(
    toy_kind: Kind, tmp_path: Path
) -> None:
    # regression: seed 2**70 wrote the run folder, then crashed in the registry insert
    res = run(toy(), facility=FAKE_FACILITY, seed=2**70, out=tmp_path / "big")  # type: ignore[arg-type]
    assert res.scenario.seed == 2**70
    assert json.loads((tmp_path / "big" / "manifest.json").read_text())["seed"] == 2**70
    assert registry(tmp_path)[0]["seed"] == 2**70
    assert connect(tmp_path).execute("SELECT seed FROM runs").fetchone() == (2**70,)
    with pytest.raises(ArgumentError, match=r"--seed.*2\*\*127"):
        run(toy(), facility=FAKE_FACILITY, seed=2**130, out=tmp_path / "bigger")  # type: ignore[arg-type]
    assert not (tmp_path / "bigger").exists()


def test_existing_out_is_refused_before_any_simulation(toy_kind: Kind, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "data.csv").write_text("x")
    with pytest.raises(ResultsStoreError, match="holds files that are not medtwin results"):
        run(toy(calls=str(calls)), facility=FAKE_FACILITY, out=tmp_path / "a")  # type: ignore[arg-type]
    assert list(calls.iterdir()) == []


def test_out_is_a_file(toy_kind: Kind, tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ResultsStoreError, match="not a folder"):
        run(toy(), facility=FAKE_FACILITY, out=f)  # type: ignore[arg-type]


def test_a_kill_between_the_swap_renames_is_repaired(toy_kind: Kind, tmp_path: Path) -> None:
    out = tmp_path / "a"
    run(toy(), facility=FAKE_FACILITY, out=out)  # type: ignore[arg-type]
    os.rename(out, tmp_path / ".a.old-12345678")  # killed after the first rename
    assert registry(tmp_path) == []
    with claimed(out, resume=True) as claim:
        assert claim.existing
    assert open_run(out).manifest["seed"] == 11
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_legacy_partial_folders_are_cleaned_up(toy_kind: Kind, tmp_path: Path) -> None:
    (tmp_path / ".a.partial-1a2b3c4d").mkdir()
    (tmp_path / ".a.partial-1a2b3c4d" / "kpis.json").write_text("{}")
    run(toy(), facility=FAKE_FACILITY, out=tmp_path / "a")  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_damaged_run_folders_are_named_and_the_rest_stays_readable(toy_kind: Kind, tmp_path: Path) -> None:
    for name in ("good", "bad-json", "bad-kpis", "bad-table"):
        run(toy(), facility=FAKE_FACILITY, out=tmp_path / name)  # type: ignore[arg-type]
    (tmp_path / "bad-json" / "manifest.json").write_text('{"format": "medtwin-run/1", "kind":')
    (tmp_path / "bad-kpis" / "kpis.json").write_bytes(os.urandom(64) + b"\xff")
    (tmp_path / "bad-table" / "draws.parquet").write_bytes(b"not parquet")
    s = scan(tmp_path)
    assert [p.path.name for p in s.problems] == ["bad-json", "bad-kpis"]
    assert "manifest.json: damaged" in s.problems[0].message
    # regression: a kpis.json of random bytes was listed as a readable run
    assert s.problems[1].status == "damaged: kpis.json cannot be read as JSON"
    assert sorted(r.path.name for r in s.runs) == ["bad-table", "good"]
    with pytest.raises(CorruptResultsError, match=r"bad-table/draws.parquet: unreadable"):
        open_run(tmp_path / "bad-table").arrow("draws")
    assert open_run(tmp_path / "good").arrow("draws").num_rows == 6 * 50
    with pytest.raises(CorruptResultsError, match=r"manifest\.json: damaged"):
        open_run(tmp_path / "bad-json")


def test_a_table_name_with_a_path_in_it_is_refused(toy_kind: Kind, tmp_path: Path) -> None:
    """A manifest edited to list '../outside' as a table read a Parquet file outside the run."""
    run(toy(), facility=FAKE_FACILITY, out=tmp_path / "runs" / "a")  # type: ignore[arg-type]
    shutil.copy(tmp_path / "runs" / "a" / "draws.parquet", tmp_path / "runs" / "outside.parquet")
    manifest = tmp_path / "runs" / "a" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["tables"] = [*data["tables"], "../outside"]
    manifest.write_text(json.dumps(data))
    with pytest.raises(CorruptResultsError, match=r"table name '\.\./outside' is not a plain name"):
        open_run(tmp_path / "runs" / "a")


def test_a_sweep_folder_opened_as_a_run_is_named_as_a_sweep(toy_kind: Kind, tmp_path: Path) -> None:
    """'medtwin run ... --resume' and 'results show' on a sweep folder said 'not a medtwin run folder
    (no manifest.json)'."""
    from scenarios.sweeps import plan_from_vary, sweep

    sweep(plan_from_vary(toy(), ["lever.count=1,2"]), out=tmp_path / "s")
    with pytest.raises(ResultsStoreError, match=r"s: is a sweep folder, not a run; expected one of its "
                       r"variants \(e\.g\. .*v000\)"):
        open_run(tmp_path / "s")


def test_replications_are_written_as_they_finish_not_held(tmp_path: Path) -> None:
    import numpy as np
    import pyarrow as pa

    from scenarios.replicate import Outcome, Status
    from scenarios.store import RunWriter

    header = {"kind": "k", "name": "n", "scenario_hash": "h", "facility_hash": "", "seed": 1,
              "keys": [[i] for i in range(10)], "version": "v", "variant": None}
    w = RunWriter(tmp_path / "p", header, "kind: k\n", flush_bytes=2 * 800_000, flush_seconds=3600)
    parts = tmp_path / "p" / "parts"
    for i in range(10):
        big = pa.table({"x": np.full(100_000, float(i))})  # 800 kB a replication
        w.add(Outcome(index=i, key=(i,), status=Status.DONE, kpis={"x": float(i)}, tables={"t": big}))
        committed = len(list(parts.glob("*/part.json")))
        assert committed >= i // 2  # at most two replications' tables wait in memory
    w.finalise(lambda reps: {}, {})
    t = pq.read_table(tmp_path / "p" / "t.parquet")
    assert t["replication"].to_pylist() == sorted(t["replication"].to_pylist())
    assert t.num_rows == 10 * 100_000 and not parts.exists()


def test_missing_numbers_round_trip_as_nan(toy_kind: Kind, tmp_path: Path) -> None:
    # one replication has no interval: stored as JSON null, read back as NaN (reports format NaN)
    import math

    res = run(toy(replications=1), facility=FAKE_FACILITY, out=tmp_path / "one")  # type: ignore[arg-type]
    assert json.loads((tmp_path / "one" / "kpis.json").read_text())["summary"]["mean"]["half_width"] is None
    assert math.isnan(res.kpis["mean"]["half_width"]) and res.kpis["mean"]["n"] == 1
