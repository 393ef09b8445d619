"""Writing a run folder: a part is committed only when every one of its tables is on disk."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scenarios.base import Replication
from scenarios.errors import ResultsStoreError
from scenarios.replicate import Outcome, Status
from scenarios.store.writer import RunWriter

REPLICATIONS = 4
HEADER = {"kind": "toy", "name": "toy", "scenario_hash": "0" * 16, "facility_hash": "", "seed": 1,
          "keys": [[i] for i in range(REPLICATIONS)], "version": "test"}


def _outcome(index: int) -> Outcome:
    tables = {name: pa.table({"t": [float(index), math.nan], "what": ["a", name]})
              for name in ("events", "patients", "resources", "waits", "beds", "devices")}
    return Outcome(index=index, key=(index,), status=Status.DONE, kpis={"x": float(index)}, tables=tables)


def _summary(reps: list[Replication]) -> dict[str, Any]:
    return {"n": len(reps)}


def test_a_part_whose_table_cannot_be_written_is_not_committed_and_runs_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / ".r.partial"
    w = RunWriter(folder, HEADER, "name: toy\n", flush_seconds=math.inf)
    for i in range(2):
        w.add(_outcome(i))
    real = pa.ipc.new_stream

    def disk_full_for_waits(sink: Any, schema: pa.Schema, **options: Any) -> Any:
        if schema.names == ["replication", "t", "what"] and sink.tell() > 2000:  # a later table of the part
            raise OSError(28, "No space left on device")
        return real(sink, schema, **options)

    monkeypatch.setattr(pa.ipc, "new_stream", disk_full_for_waits)
    with pytest.raises(OSError, match="No space"):
        w.flush()
    monkeypatch.undo()
    assert not list(folder.glob("parts/*/part.json"))  # nothing committed
    again = RunWriter(folder, HEADER, "name: toy\n", resume=True, flush_seconds=math.inf)
    assert again.finished == set() and not list(folder.glob("parts/*"))  # the torn part is cleared
    for i in range(REPLICATIONS):
        again.add(_outcome(i))
    manifest = again.finalise(_summary, {})
    assert manifest["done"] == REPLICATIONS
    waits = pq.read_table(folder / "waits.parquet")
    assert waits.column("replication").to_pylist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert waits.column("what").to_pylist() == ["a", "waits"] * REPLICATIONS


def test_parts_are_merged_in_replication_order_whatever_the_order_they_finished(tmp_path: Path) -> None:
    folder = tmp_path / ".r.partial"
    w = RunWriter(folder, HEADER, "name: toy\n", flush_seconds=math.inf)
    for i in (3, 1):
        w.add(_outcome(i))
    w.flush()
    for i in (2, 0):
        w.add(_outcome(i))
    with pytest.raises(ResultsStoreError, match="refusing to store it twice"):
        w.add(_outcome(2))
    w.finalise(_summary, {})
    events = pq.read_table(folder / "events.parquet")
    assert events.column("replication").to_pylist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert events.column("t").to_pylist()[::2] == [0.0, 1.0, 2.0, 3.0]
    # text columns are dictionary-encoded in the file, numbers plainly
    group = pq.ParquetFile(folder / "events.parquet").metadata.row_group(0)
    encodings = {group.column(c).path_in_schema: group.column(c).encodings for c in range(group.num_columns)}
    assert any("DICTIONARY" in e for e in encodings["what"])
    assert not any("DICTIONARY" in e for e in encodings["t"])


def _journal(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record every flush to disk and every rename, in order, by the name it touched."""
    import os

    log: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        log.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: Any, dst: Any, **kw: Any) -> None:
        log.append(("rename", str(dst)))
        real_replace(src, dst, **kw)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return log


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads file names from /proc")
def test_a_part_is_committed_only_after_its_tables_and_their_names_are_on_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = RunWriter(tmp_path / ".r.partial", HEADER, "name: toy\n", flush_seconds=math.inf)
    for i in range(REPLICATIONS):
        w.add(_outcome(i))
    log = _journal(monkeypatch)
    w.flush()
    [part] = [p for p in (tmp_path / ".r.partial" / "parts").iterdir()]
    commit = log.index(("rename", str(part / "part.json")))
    data = [i for i, (op, name) in enumerate(log) if op == "rename" and name != str(part / "part.json")]
    assert [log[i][1] for i in data] == [str(part / "tables.arrow"), str(part / "kpis.jsonl")]
    assert max(data) < commit
    for i in data:  # each file's data was flushed before its rename
        suffix = Path(log[i][1]).suffix
        assert any(op == "fsync" and ".tmp" in name and Path(name).suffix == suffix for op, name in log[:i])
    # their names: one flush of the part folder between the last of them and the commit (not one per file)
    folder_flushes = [i for i, e in enumerate(log) if e == ("fsync", str(part))]
    assert [i for i in folder_flushes if max(data) < i < commit] and len(folder_flushes) == 2
    assert log[-1] == ("fsync", str(part.parent))  # the part's own name, last


def test_kpis_are_kept_packed_and_written_back_as_they_came(tmp_path: Path) -> None:
    import json

    folder = tmp_path / ".r.partial"
    w = RunWriter(folder, HEADER, "name: toy\n", flush_seconds=math.inf)
    given = [{"wait": 1.5, "none": math.nan, "late": 0.1 + 0.2} for _ in range(REPLICATIONS - 1)]
    given.append({"wait": 2.5, "count": 3})  # an integer stays an integer
    for i, kpis in enumerate(given):
        w.add(Outcome(index=i, key=(i,), status=Status.DONE, kpis=kpis, tables=_outcome(i).tables))
    w.flush()
    again = RunWriter(folder, HEADER, "name: toy\n", resume=True, flush_seconds=math.inf)  # from part.json
    for writer in (w, again):
        kept = [dict(writer.records[i].kpis) for i in range(REPLICATIONS)]
        assert [k["late"] for k in kept[:-1]] == [0.1 + 0.2] * (REPLICATIONS - 1)
        assert all(math.isnan(k["none"]) for k in kept[:-1]) and kept[-1] == {"wait": 2.5, "count": 3}
    again.finalise(_summary, {})
    rows = json.loads((folder / "kpis.json").read_text())["replications"]
    assert rows[0] == {"index": 0, "wait": 1.5, "none": None, "late": 0.1 + 0.2}
    assert rows[-1] == {"index": 3, "wait": 2.5, "count": 3} and type(rows[-1]["count"]) is int


def test_a_part_joins_replications_of_differing_schemas_in_order(tmp_path: Path) -> None:
    header = {**HEADER, "keys": [[i] for i in range(3)]}
    w = RunWriter(tmp_path / ".r.partial", header, "name: toy\n", flush_seconds=math.inf)
    w.add(Outcome(index=2, key=(2,), status=Status.DONE, kpis={"x": 2.0},
                  tables={"events": pa.table({"t": [2.0], "what": ["c"]})}))
    w.add(Outcome(index=0, key=(0,), status=Status.DONE, kpis={"x": 0.0},
                  tables={"events": pa.table({"t": [0.0, 0.5]})}))  # no "what" column
    w.add(Outcome(index=1, key=(1,), status=Status.DONE, kpis={"x": 1.0},
                  tables={"events": pa.table({"t": pa.array([], pa.float64()),
                                              "what": pa.array([], pa.string())})}))
    w.flush()
    tables = {r.index: r.tables for r in w.replications()}
    assert tables[1]["events"].num_rows == 0
    assert tables[2]["events"].to_pylist() == [{"t": 2.0, "what": "c"}]
    w.finalise(_summary, {})
    got = pq.read_table(tmp_path / ".r.partial" / "events.parquet")
    assert got.column_names == ["replication", "t", "what"]
    assert got.column("replication").to_pylist() == [0, 0, 2]
    assert got.column("t").to_pylist() == [0.0, 0.5, 2.0]
    assert got.column("what").to_pylist() == [None, None, "c"]


def test_the_time_to_write_a_part_runs_from_the_oldest_replication_waiting(tmp_path: Path) -> None:
    import time

    folder = tmp_path / ".r.partial"
    w = RunWriter(folder, HEADER, "name: toy\n", flush_seconds=0.2)
    time.sleep(0.25)  # a sweep's later variant: its writer waited before its first replication came
    w.add(_outcome(0))
    assert not list((folder / "parts").iterdir())  # not written alone as a part of its own
    time.sleep(0.25)
    w.add(_outcome(1))
    parts = list((folder / "parts").iterdir())
    assert len(parts) == 1 and sorted(r.index for r in w.replications()) == [0, 1]


def test_replications_still_buffered_when_finishing_fails_are_kept_for_resume(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / ".r.partial"
    w = RunWriter(folder, HEADER, "name: toy\n", flush_seconds=math.inf)
    for i in range(REPLICATIONS):
        w.add(_outcome(i))
    assert not list((folder / "parts").iterdir())  # a run that fits in one part writes none

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "ParquetWriter", disk_full)
    with pytest.raises(OSError, match="No space"):
        w.finalise(_summary, {})
    monkeypatch.undo()
    w.flush()  # what a run does when it stops on an error
    again = RunWriter(folder, HEADER, "name: toy\n", resume=True, flush_seconds=math.inf)
    assert again.finished == set(range(REPLICATIONS))  # nothing to run again
    assert again.finalise(_summary, {})["done"] == REPLICATIONS
    events = pq.read_table(folder / "events.parquet")
    assert events.column("replication").to_pylist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_finished_files_do_not_depend_on_how_replications_fell_into_parts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scenarios.store import writer

    monkeypatch.setattr(writer, "MERGED_ROW_GROUP", 3)  # row groups cut across replications and parts
    whole = RunWriter(tmp_path / "whole", HEADER, "name: toy\n", flush_seconds=math.inf)
    split = RunWriter(tmp_path / "split", HEADER, "name: toy\n", flush_seconds=math.inf)
    for i in range(REPLICATIONS):
        whole.add(_outcome(i))
    for i in (2, 0, 3):  # one replication a part, out of order; the last one from memory
        split.add(_outcome(i))
        split.flush()
    split.add(_outcome(1))
    for w in (whole, split):
        w.finalise(_summary, {})
    for name in ("events", "waits", "kpis.json"):
        file = name if name.endswith(".json") else f"{name}.parquet"
        assert (tmp_path / "whole" / file).read_bytes() == (tmp_path / "split" / file).read_bytes()
    meta = pq.ParquetFile(tmp_path / "split" / "events.parquet").metadata
    assert [meta.row_group(g).num_rows for g in range(meta.num_row_groups)] == [3, 3, 2]
