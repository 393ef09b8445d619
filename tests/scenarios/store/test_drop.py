"""Workers' parts: only into the folder whose token they read, never counted half-written, nor twice."""

from __future__ import annotations

import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from scenarios.base import Replication
from scenarios.errors import CorruptResultsError
from scenarios.replicate import Outcome, Status
from scenarios.store import drop as drop_module
from scenarios.store.drop import DROP, Drop, close_drop, deliver, reachable
from scenarios.store.drop import open_drop as open_drop_sized
from scenarios.store.parts import PART_MARKER, PARTS
from scenarios.store.writer import GONE_PARTS, RunWriter

REPLICATIONS = 6
HEADER = {"kind": "toy", "name": "toy", "scenario_hash": "0" * 16, "facility_hash": "", "seed": 1,
          "keys": [[i] for i in range(REPLICATIONS)], "version": "test"}


def _outcome(index: int, status: Status = Status.DONE) -> Outcome:
    if status == Status.FAILED:
        return Outcome(index=index, key=(index,), status=status, error="Traceback ...\nZeroDivisionError")
    tables = {"events": pa.table({"t": [float(index), 0.5 * index], "what": ["a", "b"]}),
              "waits": pa.table({"wait": [math.nan, float(index)]})}
    return Outcome(index=index, key=(index,), status=status, kpis={"x": float(index), "y": 0.25},
                   tables=tables, seconds=0.01, cpu_seconds=0.009)


def open_drop(folder: Path) -> Drop:
    """A drop that takes a part of any size (these tables are a few bytes)."""
    return replace(open_drop_sized(folder), min_bytes=0)


def _summary(reps: list[Replication]) -> dict[str, Any]:
    return {"n": len(reps), "x": sum(r.kpis["x"] for r in reps)}


def _finished_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix == ".parquet"
            or p.name == "kpis.json"}


def test_a_worker_that_reads_the_token_writes_the_part_and_sends_no_tables(tmp_path: Path) -> None:
    folder = tmp_path / ".r.partial"
    w = RunWriter(folder, HEADER, "name: toy\n", flush_seconds=math.inf)
    d = open_drop(folder)
    outs = [_outcome(i) for i in (2, 0, 1)] + [_outcome(3, Status.FAILED)]
    sent = deliver(d, d.part_name(0), outs)
    assert [o.index for o in sent] == [0, 1, 2, 3]  # in index order, as the part holds them
    assert all(not o.tables and o.part == d.part_name(0) for o in sent)
    assert [o.nbytes for o in sent[:3]] == [_outcome(i).nbytes for i in range(3)]  # batches still sized by it
    assert sent[3].status == Status.FAILED and "ZeroDivisionError" in sent[3].error
    assert (folder / PARTS / d.part_name(0) / PART_MARKER).is_file()
    for o in sent:
        w.add(o)
    for i in (4, 5):  # the rest come with their tables, as from a worker that cannot see the folder
        w.add(_outcome(i))
    manifest = w.finalise(_summary, {})
    assert manifest["done"] == 5 and manifest["failed"] == 1
    status = {r["index"]: r for r in manifest["replication_status"]}
    assert status[3]["status"] == "failed" and "ZeroDivisionError" in status[3]["error"]
    assert status[1]["cpu_seconds"] == 0.009
    assert not (folder / PARTS).exists() and not (folder / DROP).exists()

    # the same replications stored by the writer alone give the same files, byte for byte
    alone = RunWriter(tmp_path / ".s.partial", HEADER, "name: toy\n", flush_seconds=math.inf)
    for o in [_outcome(i) for i in range(REPLICATIONS) if i != 3] + [_outcome(3, Status.FAILED)]:
        alone.add(o)
    alone.finalise(_summary, {})
    assert _finished_files(folder) == _finished_files(tmp_path / ".s.partial")


def test_a_worker_that_cannot_see_the_folder_sends_the_tables(tmp_path: Path) -> None:
    folder = tmp_path / ".r.partial"
    RunWriter(folder, HEADER, "name: toy\n")
    d = open_drop(folder)
    elsewhere = replace(d, token="another run's token")  # same path, another run (or machine)
    missing = replace(d, folder=str(tmp_path / "nowhere"))
    assert reachable(d)
    for other in (elsewhere, missing):
        assert not reachable(other)
        sent = deliver(other, other.part_name(1), [_outcome(0)])
        assert sent[0].tables and not sent[0].part
    assert list((folder / PARTS).iterdir()) == []


def test_a_worker_whose_write_fails_leaves_no_part_and_sends_the_tables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / ".r.partial"
    RunWriter(folder, HEADER, "name: toy\n")
    d = open_drop(folder)
    real = drop_module.write_part

    def full_disk_at_the_commit(part: Path, outcomes: Any) -> None:
        real(part, outcomes)
        (part / PART_MARKER).unlink()  # its data is there, its commit is not
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(drop_module, "write_part", full_disk_at_the_commit)
    sent = deliver(d, d.part_name(0), [_outcome(0), _outcome(1)])
    assert [bool(o.tables) for o in sent] == [True, True] and not any(o.part for o in sent)
    assert list((folder / PARTS).iterdir()) == []


def test_the_writer_refuses_a_part_that_is_not_committed(tmp_path: Path) -> None:
    folder = tmp_path / ".r.partial"
    w = RunWriter(folder, HEADER, "name: toy\n")
    d = open_drop(folder)
    sent = deliver(d, d.part_name(0), [_outcome(0)])
    for name in ("../../elsewhere", "..", "a/b"):  # never a path out of the parts folder
        with pytest.raises(CorruptResultsError, match=r"which is not a part name"):
            w.add(replace(sent[0], part=name))
    (folder / PARTS / d.part_name(0) / PART_MARKER).unlink()
    with pytest.raises(CorruptResultsError, match=r"part is not committed"):
        w.add(sent[0])


def test_after_a_kill_a_half_written_worker_part_is_dropped_and_a_repeated_one_counted_once(
        tmp_path: Path) -> None:
    folder = tmp_path / ".r.partial"
    w = RunWriter(folder, HEADER, "name: toy\n", flush_seconds=math.inf)
    d = open_drop(folder)
    for o in deliver(d, d.part_name(0), [_outcome(0), _outcome(1)]):
        w.add(o)
    # a batch sent again after its worker lost contact: both attempts committed replication 2 and 3;
    # the writer took only the second one's results before the kill
    deliver(d, d.part_name(1), [_outcome(2), _outcome(3)])
    for o in deliver(d, d.part_name(2), [_outcome(2), _outcome(3)]):
        w.add(o)
    # a worker killed while writing replication 4's part: data there, no commit
    deliver(d, d.part_name(3), [_outcome(4)])
    (folder / PARTS / d.part_name(3) / PART_MARKER).unlink()
    del w  # killed: nothing finished

    again = RunWriter(folder, HEADER, "name: toy\n", resume=True, flush_seconds=math.inf)
    assert again.finished == {0, 1, 2, 3}
    assert not (folder / PARTS / d.part_name(3)).exists()
    d2 = open_drop(folder)  # a new session: new token, new names
    assert d2.token != d.token and d2.prefix != d.prefix and not reachable(d)
    for o in deliver(d2, d2.part_name(0), [_outcome(4), _outcome(5)]):
        again.add(o)
    manifest = again.finalise(_summary, {})
    assert [r["index"] for r in manifest["replication_status"]] == list(range(REPLICATIONS))
    assert manifest["done"] == REPLICATIONS
    events = pa.parquet.read_table(folder / "events.parquet")
    assert events.column("replication").to_pylist() == [i for i in range(REPLICATIONS) for _ in range(2)]


def test_no_part_is_started_once_the_run_is_finishing(tmp_path: Path) -> None:
    folder = tmp_path / ".r.partial"
    RunWriter(folder, HEADER, "name: toy\n")
    d = open_drop(folder)
    close_drop(folder)
    sent = deliver(d, d.part_name(0), [_outcome(0)])
    assert sent[0].tables and list((folder / PARTS).iterdir()) == []


def test_a_batch_of_little_data_is_sent_back_rather_than_written(tmp_path: Path) -> None:
    folder = tmp_path / ".r.partial"
    RunWriter(folder, HEADER, "name: toy\n")
    d = open_drop_sized(folder)
    small = [_outcome(0), _outcome(1)]
    assert 0 < sum(o.nbytes for o in small) < d.min_bytes
    sent = deliver(d, d.part_name(0), small)
    assert all(o.tables and not o.part for o in sent) and list((folder / PARTS).iterdir()) == []
    assert deliver(replace(d, min_bytes=sum(o.nbytes for o in small)), d.part_name(1), small)[0].part


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no user ids on this platform")
def test_a_worker_running_as_another_user_sends_the_tables(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Its part's files could not be deleted by the run's own user when the run is finished."""
    folder = tmp_path / ".r.partial"
    RunWriter(folder, HEADER, "name: toy\n")
    d = open_drop(folder)
    uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: uid + 1)
    assert not reachable(d)
    assert deliver(d, d.part_name(0), [_outcome(0)])[0].tables and list((folder / PARTS).iterdir()) == []


def test_a_run_killed_while_deleting_its_parts_resumes_from_them(tmp_path: Path) -> None:
    """The parts are moved aside before they are deleted (a late worker cannot add to them); a kill
    in between leaves every committed replication there."""
    folder = tmp_path / ".r.partial"
    w = RunWriter(folder, HEADER, "name: toy\n", flush_seconds=math.inf)
    d = open_drop(folder)
    for o in deliver(d, d.part_name(0), [_outcome(i) for i in range(REPLICATIONS)]):
        w.add(o)
    (folder / PARTS).rename(folder / GONE_PARTS)  # killed right after this step of finalise
    again = RunWriter(folder, HEADER, "name: toy\n", resume=True, flush_seconds=math.inf)
    assert again.finished == set(range(REPLICATIONS))
    assert again.finalise(_summary, {})["done"] == REPLICATIONS
    assert not (folder / GONE_PARTS).exists() and not (folder / PARTS).exists()
