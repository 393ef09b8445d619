"""Streaming a run into its folder as replications finish, and finishing it.

Finished replications are buffered only until :data:`FLUSH_BYTES` of tables
have gathered or the oldest of them has waited :data:`FLUSH_SECONDS`, then
written as one *part* (:mod:`scenarios.store.parts`)::

    .NAME.partial/
      pending.json            the manifest-to-be (scenario hash, seed, keys)
      scenario.yaml
      parts/000007/           the part's tables (Arrow IPC), KPI rows and part.json, written last

A kill loses at most the unflushed buffer.  On resume a part without
``part.json`` is deleted and its replications run again; a committed
replication is never run or stored twice.  :meth:`RunWriter.finalise` writes
each table once as Parquet, every replication's rows in index order (so the
files do not depend on completion order, worker count or backend, nor on how
the replications fell into parts), then ``kpis.json`` and, last,
``manifest.json``.

Memory: tables stay bounded by the flush budget plus the replications in
flight, whatever the replication count.  What is kept per committed
replication is its status, its part's name and its KPIs packed by
:mod:`scenarios.store.packed` (about 0.8 KB for a Nelson replication): each
kind's ``summarize`` takes every replication's KPIs at once.  Its key, times,
traceback and where its rows are stay on disk, in ``part.json``, and are read
back a part at a time when the run is finished.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from facility.files import atomic_path, write_atomic
from scenarios.base import Replication
from scenarios.errors import CorruptResultsError, ResultsStoreError
from scenarios.replicate import Outcome, Status
from scenarios.store._fsync import fsync_dir
from scenarios.store.drop import close_drop
from scenarios.store.layout import (
    KPIS,
    MANIFEST,
    RUN_FORMAT,
    SCENARIO,
    dumps,
    dumps_rows,
    read_json,
    rows_text,
)
from scenarios.store.packed import KpiPacker
from scenarios.store.parts import PARTS, PartReader, conform, is_committed, unified, write_part
from scenarios.store.reader import StoredRun

__all__ = ["FLUSH_BYTES", "FLUSH_SECONDS", "PENDING", "Record", "RunWriter", "is_finished", "parquet_options"]

#: Table bytes gathered before a part is written (bounds the writer's memory).
FLUSH_BYTES = 32 * 2**20
#: Longest a finished replication waits in memory before it is written: a kill loses at
#: most this much finished work (plus the replications running).
FLUSH_SECONDS = 15.0
PENDING = "pending.json"
#: Where the parts are moved when a run is finished, just before they are deleted.
GONE_PARTS = f".{PARTS}.done"
#: The name under which :meth:`RunWriter.finalise` reads the replications still buffered.
LAST_PART = "buffered"
#: Fields of the header that must match for a partial run to be resumed.
RESUME_FIELDS = ("kind", "scenario_hash", "facility_hash", "seed", "keys", "version")
#: Rows per row group of a finished table (the last one of a table may hold fewer); the
#: ``replication`` column is sorted, so a read of one replication skips the other row groups
#: by their statistics.  Finishing a table holds one row group's rows (and its encoder's
#: buffers) at a time: 256,000 rows of Nelson events were about 30 MB of a run's peak.
MERGED_ROW_GROUP = 64_000


def is_finished(folder: Path) -> bool:
    """Whether the partial run folder ``folder`` was finished but not yet moved into place.

    :meth:`RunWriter.finalise` removes the plan it resumes from (``pending.json``)
    only after the manifest is written and the parts are gone: a run killed
    after that, before its folder was renamed, is complete, and resuming it
    must move it into place rather than run every replication again.
    """
    return (folder / MANIFEST).is_file() and not (folder / PENDING).exists()


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """How a table of ``schema`` is written: dictionary encoding for its text columns only,
    statistics for the ``replication`` column only.

    Text columns (event kinds, classes, places) repeat a few values and shrink
    several-fold in a dictionary; numbers rarely repeat, and hashing every one
    of them for a dictionary that is then given up was half the CPU of a
    Parquet write (Nelson: 66 -> 33 ms per 100 replications, files 10 %
    smaller).  Statistics (each row group's least and greatest value) let a
    read of one replication skip the other row groups, as the rows are in
    replication order; no other column is sorted, so a row group of 64,000
    rows spans nearly its whole range and its statistics would skip nothing,
    while computing them cost a fifth of the write (Nelson events: 21 -> 16 ms).

    >>> parquet_options(pa.schema([("replication", pa.int32()), ("kind", pa.string())]))
    {'use_dictionary': ['kind'], 'write_statistics': ['replication']}
    """
    return {"use_dictionary": [f.name for f in schema if pa.types.is_string(f.type)
                               or pa.types.is_large_string(f.type) or pa.types.is_dictionary(f.type)],
            "write_statistics": [f.name for f in schema if f.name == "replication"]}


@dataclass(frozen=True, slots=True)
class Record:
    """What the writer keeps of one committed replication (the rest is in its part's ``part.json``).

    Attributes:
        status: ``done`` or ``failed``.
        part: The name of the part that holds it.
        kpis: Its KPIs, packed (empty when failed).
    """

    status: str
    part: str
    kpis: Mapping[str, Any]


class _PartTables(Mapping[str, pa.Table]):
    """One replication's tables, read from its part only when asked for (bounded memory)."""

    def __init__(self, reader: PartReader, part: str, index: int) -> None:
        self._reader, self._part, self._index = reader, part, index

    def _spans(self) -> dict[str, Any]:
        spans: dict[str, Any] = self._reader.record(self._part, self._index)["spans"]
        return spans

    def __getitem__(self, name: str) -> pa.Table:
        if name not in self._spans():
            raise KeyError(name)
        return self._reader.rows(self._part, name, self._index).drop_columns(["replication"])

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._spans()))

    def __len__(self) -> int:
        return len(self._spans())


class RunWriter:
    """Writes one run's replications into its partial folder, then finishes the folder.

    Args:
        folder: The partial folder (created if missing).
        header: The manifest-to-be: ``kind``, ``name``, ``scenario_hash``,
            ``seed``, ``keys`` (spawn key per replication) and anything else
            to keep (``variant``, ``version``...).
        scenario_yaml: The scenario exactly as run.
        resume: Continue what an interrupted run left in ``folder``.

    Raises:
        ResultsStoreError: ``resume`` into a folder left by a different
            scenario, seed or replication plan.
    """

    def __init__(self, folder: Path, header: dict[str, Any], scenario_yaml: str, *,
                 resume: bool = False, flush_bytes: int | None = None,
                 flush_seconds: float | None = None) -> None:
        self.folder = Path(folder)
        self.header = dict(header)
        self.flush_bytes = FLUSH_BYTES if flush_bytes is None else flush_bytes
        self.flush_seconds = FLUSH_SECONDS if flush_seconds is None else flush_seconds
        self._buffer: list[Outcome] = []
        self._buffered_bytes = 0
        # Indices kept as sets, so taking a replication costs the same at the 100,000th as at the first.
        self._buffered: set[int] = set()
        self._done: set[int] = set()
        self._oldest = time.monotonic()  # when the oldest buffered replication came
        #: Committed replications by index.
        self.records: dict[int, Record] = {}
        self._kpis = KpiPacker()
        self._checked_part = ""  # the last part written by a worker found committed
        self._reader = PartReader(self.folder / PARTS)
        pending = self.folder / PENDING
        if resume and pending.is_file():
            self._check_same_plan(read_json(pending))
            if not (self.folder / PARTS).exists() and (self.folder / GONE_PARTS).is_dir():
                # killed while finishing, between moving the parts aside and deleting them: they hold
                # every committed replication still
                (self.folder / GONE_PARTS).rename(self.folder / PARTS)
            self._load_parts()
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(self.folder / PARTS, ignore_errors=True)
            write_atomic(self.folder / SCENARIO, scenario_yaml, sync_folder=False)
            write_atomic(pending, dumps({**self.header, "started": _now()}))  # flushes the folder for both
        (self.folder / PARTS).mkdir(exist_ok=True)
        self._next_part = max((int(p.name) for p in (self.folder / PARTS).iterdir() if p.name.isdigit()),
                              default=-1) + 1

    # -- resume -------------------------------------------------------------------------
    def _check_same_plan(self, old: dict[str, Any]) -> None:
        differ = [f for f in RESUME_FIELDS if old.get(f) != _plain(self.header.get(f))]
        if differ:
            raise ResultsStoreError(
                f"{self.folder}: the interrupted run there had a different {', '.join(differ)}; "
                "resume only continues the same scenario, seed and replications (use --overwrite to "
                "discard it)")

    def _load_parts(self) -> None:
        parts = self.folder / PARTS
        for part in sorted(parts.iterdir()) if parts.is_dir() else []:
            if not is_committed(part):  # killed while writing: its replications run again
                shutil.rmtree(part)
                continue
            for rec in self._reader.records(part.name):
                index = int(rec["index"])
                old = self.records.get(index)
                if old is not None and old.status == Status.DONE:
                    continue
                kpis: Mapping[str, Any] = {}
                if rec["status"] == Status.DONE:
                    line = self._reader.kpi_line(part.name, index)
                    try:
                        row = json.loads(line)
                        row.pop("index")
                    except (ValueError, KeyError, AttributeError) as exc:
                        raise CorruptResultsError(f"{part}: damaged KPI row of replication {index} "
                                                  f"({exc!r})") from None
                    kpis = self._kpis.pack(row)
                self.records[index] = Record(str(rec["status"]), part.name, kpis)
        self._reader.close()
        self._done = {i for i, r in self.records.items() if r.status == Status.DONE}

    @property
    def held(self) -> set[int]:
        """Replications with an outcome, committed or still buffered."""
        return set(self.records) | self._buffered

    @property
    def finished(self) -> set[int]:
        """Replications that need no more work (done ones; failed ones are retried on resume)."""
        return set(self._done)

    def carry_over(self, stored: StoredRun) -> None:
        """Take the done replications of a finished folder of this same run.

        Resuming a finished run whose manifest records failed replications
        runs those again, and only those: the done ones are copied into this
        partial folder (one replication's tables in memory at a time, written
        in parts as usual), so the finished folder stays intact until the
        new one replaces it whole.  Replications this folder already holds (a
        retry that was itself interrupted) are not copied twice.

        Raises:
            CorruptResultsError: The finished folder's manifest does not name
                every replication of the plan.
        """
        status = {int(r["index"]): r for r in stored.manifest["replication_status"]}
        n = len(self.header["keys"])
        if sorted(status) != list(range(n)):
            raise CorruptResultsError(f"{stored.path / MANIFEST}: damaged, its replication_status does not "
                                      f"list replications 0 to {n - 1}")
        kpis = stored.replication_kpis()
        held = self.held
        for rep in stored.replications():
            if rep.index in held or status[rep.index]["status"] != Status.DONE:
                continue
            self.add(Outcome(index=rep.index, key=tuple(status[rep.index]["key"]), status=Status.DONE,
                             kpis=kpis[rep.index], tables=dict(rep.tables),
                             seconds=float(status[rep.index].get("seconds", 0.0)),
                             cpu_seconds=float(status[rep.index].get("cpu_seconds", 0.0))))
        self.flush()

    # -- streaming ----------------------------------------------------------------------
    def add(self, outcome: Outcome) -> None:
        """Take one finished replication; written with the next part, unless its worker wrote it."""
        if outcome.index in self._done or outcome.index in self._buffered:
            raise ResultsStoreError(f"{self.folder}: replication {outcome.index} was stored already; "
                                    "refusing to store it twice")
        if outcome.part:
            self._take_written(outcome)
            return
        if not self._buffer:
            # The clock runs from the oldest replication waiting, not from the last part: a
            # sweep's writers all start with it, and a variant whose replications came later
            # wrote its first one alone as a part, then its others in a second, and paid a merge.
            self._oldest = time.monotonic()
        self._buffer.append(outcome)
        self._buffered.add(outcome.index)
        self._buffered_bytes += outcome.nbytes
        if (self._buffered_bytes >= self.flush_bytes
                or time.monotonic() - self._oldest >= self.flush_seconds):
            self.flush()

    def _take_written(self, outcome: Outcome) -> None:
        """Take a replication its worker wrote to a part of this folder (:mod:`scenarios.store.drop`).

        Raises:
            CorruptResultsError: That part is not committed in this folder.
        """
        if outcome.part != self._checked_part:  # a batch's outcomes come together: one look per part
            if Path(outcome.part).name != outcome.part or outcome.part.startswith("."):
                raise CorruptResultsError(f"{self.folder / PARTS}: replication {outcome.index} was "
                                          f"reported written to {outcome.part!r}, which is not a part name")
            if not is_committed(self.folder / PARTS / outcome.part):
                raise CorruptResultsError(f"{self.folder / PARTS / outcome.part}: replication "
                                          f"{outcome.index} was reported written there by its worker, "
                                          "but the part is not committed")
            self._checked_part = outcome.part
        done = outcome.status == Status.DONE
        self.records[outcome.index] = Record(str(outcome.status), outcome.part,
                                             self._kpis.pack(outcome.kpis) if done else {})
        if done:
            self._done.add(outcome.index)

    def flush(self) -> None:
        """Write the buffered replications as one committed part."""
        if not self._buffer:
            return
        self._buffer.sort(key=lambda o: o.index)  # parts in index order: finishing reads them in order
        name = f"{self._next_part:06d}"
        self._next_part += 1  # a part that failed half-way keeps its name (deleted on resume)
        write_part(self.folder / PARTS / name, self._buffer)
        fsync_dir(self.folder / PARTS)  # the part's own name
        for o in self._buffer:
            done = o.status == Status.DONE
            self.records[o.index] = Record(str(o.status), name, self._kpis.pack(o.kpis) if done else {})
            if done:
                self._done.add(o.index)
        self._buffer.clear()
        self._buffered.clear()
        self._buffered_bytes = 0

    # -- finishing ----------------------------------------------------------------------
    def replications(self) -> list[Replication]:
        """Every done replication, in index order, with tables read lazily from the parts."""
        return [Replication(index=i, kpis=r.kpis, tables=_PartTables(self._reader, r.part, i))
                for i, r in sorted(self.records.items()) if r.status == Status.DONE]

    def finalise(self, summarize: Callable[[list[Replication]], dict[str, Any]],
                 timings: Mapping[str, float]) -> dict[str, Any]:
        """Write the tables, ``kpis.json`` and the manifest; return the manifest.

        Raises:
            ResultsStoreError: A planned replication has no record.
            CorruptResultsError: A part cannot be read back.
        """
        close_drop(self.folder)  # no worker starts a part from now on
        n = len(self.header["keys"])
        missing = sorted(set(range(n)) - set(self.records) - self._buffered)
        if missing:
            raise ResultsStoreError(f"{self.folder}: replications {missing[:10]} have no result; "
                                    "the run cannot be finished")
        # The last replications are read from memory, not written as a part first (a run that
        # fits in one part writes no part at all).  They stay buffered until the run is finished:
        # should it fail, a flush still keeps them for --resume.
        self._buffer.sort(key=lambda o: o.index)
        self._reader.hold(LAST_PART, self._buffer)
        for o in self._buffer:
            ok = o.status == Status.DONE
            self.records[o.index] = Record(str(o.status), LAST_PART, self._kpis.pack(o.kpis) if ok else {})
        reps = self.replications()
        summary = summarize(reps) if reps else {}
        del reps
        tables = self._write_tables()
        done = [(i, r.part) for i, r in sorted(self.records.items()) if r.status == Status.DONE]
        lines = (self._reader.kpi_line(part, i) for i, part in done)
        with atomic_path(self.folder / KPIS, what="run folder KPIs", sync_folder=False) as tmp, \
                open(tmp, "w", encoding="utf-8") as fh:  # a row at a time, copied as written in the parts
            fh.writelines(rows_text({"summary": summary}, "replications", lines, encoded=True))
        manifest = {
            "format": RUN_FORMAT, **self.header, "started": read_json(self.folder / PENDING).get("started"),
            "finished": _now(), "replications": n, "done": len(done), "failed": n - len(done),
            "tables": tables, "timings": dict(timings)}
        manifest.pop("keys", None)
        status = [_status_row(self._reader.record(self.records[i].part, i)) for i in range(n)]
        write_atomic(self.folder / MANIFEST, dumps_rows(manifest, "replication_status", status),
                     sync_folder=False)
        manifest["replication_status"] = status
        self._reader.close()
        # Moved aside first: a worker whose batch was given up on (it lost contact, and the batch
        # ran again elsewhere) may still be writing a part; by path it can add nothing to a
        # folder of another name, so the deletion cannot meet a file created meanwhile.
        gone = self.folder / GONE_PARTS
        shutil.rmtree(gone, ignore_errors=True)  # left by a finish that failed here
        (self.folder / PARTS).rename(gone)
        shutil.rmtree(gone)
        (self.folder / PENDING).unlink()
        self._done |= {o.index for o in self._buffer if o.status == Status.DONE}
        self._buffer.clear()
        self._buffered.clear()
        self._buffered_bytes = 0
        fsync_dir(self.folder)  # every name written above, once, before the folder is renamed into place
        return manifest

    def _write_tables(self) -> list[str]:
        """One Parquet file per table: replications in index order, row groups of MERGED_ROW_GROUP rows.

        The row groups do not depend on how replications fell into parts, so
        neither do the files (each row group is one contiguous block of memory
        before it is encoded: Parquet pages would otherwise follow the pieces).
        """
        done = [(i, r.part) for i, r in sorted(self.records.items()) if r.status == Status.DONE]
        holders: dict[str, list[tuple[int, str]]] = {}
        for i, part in done:
            for name in self._reader.record(part, i)["spans"]:
                holders.setdefault(name, []).append((i, part))
        for name in sorted(holders):
            parts = dict.fromkeys(p for _, p in holders[name])
            schema = unified([self._reader.schema(p, name) for p in parts])
            target = self.folder / f"{name}.parquet"
            with atomic_path(target, what="run folder table", sync_folder=False) as tmp, \
                    pq.ParquetWriter(tmp, schema, **parquet_options(schema)) as w:
                pending: list[pa.Table] = []
                rows, written = 0, False
                segments = list(_segments(holders[name]))
                # A part is let go after its last segment: with parts in order, one is mapped at a time.
                final = {part: k for k, (part, _, _) in enumerate(segments)}
                for k, (part, first, last) in enumerate(segments):
                    pending.append(conform(self._reader.segment(part, name, first, last), schema))
                    if final[part] == k:
                        self._reader.release(part)
                    rows += pending[-1].num_rows
                    if rows >= MERGED_ROW_GROUP:
                        whole = pa.concat_tables(pending)
                        full = rows - rows % MERGED_ROW_GROUP
                        w.write_table(whole.slice(0, full), row_group_size=MERGED_ROW_GROUP)
                        pending, rows, written = [whole.slice(full)], rows - full, True
                        del whole  # else it keeps the part before this one mapped until the next write
                if rows or not written:
                    w.write_table(pa.concat_tables(pending), row_group_size=max(1, rows))
        return sorted(holders)


def _segments(holders: list[tuple[int, str]]) -> Iterator[tuple[str, int, int]]:
    """``(part, first, last)``: runs of consecutive replications (in index order) held by one part.

    A part holds its replications in index order, one after another, so
    each run is one slice of the part's table.

    >>> list(_segments([(0, "a"), (1, "a"), (2, "b"), (4, "b"), (5, "a")]))
    [('a', 0, 1), ('b', 2, 4), ('a', 5, 5)]
    """
    run: list[Any] | None = None
    for index, part in holders:
        if run is not None and run[0] == part:
            run[2] = index
            continue
        if run is not None:
            yield run[0], run[1], run[2]
        run = [part, index, index]
    if run is not None:
        yield run[0], run[1], run[2]


def _status_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A replication's row of the manifest's ``replication_status``, from its part record."""
    row = {"index": rec["index"], "key": rec["key"], "status": rec["status"], "seconds": rec["seconds"],
           "cpu_seconds": rec.get("cpu_seconds", 0.0)}
    if rec.get("error"):
        row["error"] = rec["error"]
    return row


def _plain(x: Any) -> Any:
    """``x`` as it reads back from JSON (tuples become lists)."""
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
