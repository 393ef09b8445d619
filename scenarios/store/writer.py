"""Streaming a run into its folder as replications finish, and finishing it.

Finished replications are buffered only until :data:`FLUSH_BYTES` of tables
have gathered or the oldest of them has waited :data:`FLUSH_SECONDS`, then
written as one *part*::

    .NAME.partial/
      pending.json            the manifest-to-be (scenario hash, seed, keys)
      scenario.yaml
      parts/000007/TABLE.parquet   the part's replications, one after the other
      parts/000007/part.json       the part's replications; written last, it commits the part

A kill loses at most the unflushed buffer.  On resume a part without
``part.json`` is deleted and its replications run again; a committed
replication is never run or stored twice.  :meth:`RunWriter.finalise` merges
the parts into one ``TABLE.parquet`` per table in replication order (so the
files do not depend on completion order, worker count or backend), writes
``kpis.json`` and, last, ``manifest.json``.  A part holds its replications
in index order, so a run that fits in one part (most short runs) has its
part files renamed into place rather than read and written again.  Tables in memory stay bounded
by the flush budget plus the replications in flight, whatever the replication count; what grows
with it is each committed replication's record (status, times, where its rows are, and its KPIs
packed by :mod:`scenarios.store.packed`, kept for the summary): about 2.5 KB for a Nelson
replication.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from facility.files import atomic_path, write_atomic
from scenarios.base import Replication
from scenarios.errors import CorruptResultsError, ResultsStoreError
from scenarios.replicate import Outcome, Status
from scenarios.store._fsync import fsync_dir
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
from scenarios.store.reader import StoredRun

__all__ = ["FLUSH_BYTES", "FLUSH_SECONDS", "PENDING", "RunWriter", "conform", "parquet_options"]

#: Table bytes gathered before a part is written (bounds the writer's memory).
FLUSH_BYTES = 32 * 2**20
#: Longest a finished replication waits in memory before it is written (a kill loses at
#: most this much work; each part costs an fsync per table, so not much less).
FLUSH_SECONDS = 15.0
PENDING = "pending.json"
PARTS = "parts"
PART_MARKER = "part.json"
#: Fields of the header that must match for a partial run to be resumed.
RESUME_FIELDS = ("kind", "scenario_hash", "facility_hash", "seed", "keys", "version")
#: Decoded part tables kept while reading parts back (parts arrive roughly in replication
#: order); with FLUSH_BYTES this bounds the memory of finishing a run.
MAX_OPEN_PARTS = 3
#: Threads writing a part's tables at once.  Encoding Parquet and waiting for the disk
#: both let go of the GIL, and each safe write waits for two flushes to disk (file and
#: folder): one after the other, a part's six tables waited about 45 ms on a local disk.
#: Two, not more: on 2 loaded CPUs four writers spent more CPU per table (contention)
#: for little more overlap.  Only where the safe write reads the umask without setting it
#: (Linux's /proc): elsewhere it sets and restores it, which threads writing at once could
#: leave changed.
PART_WRITERS = 2 if Path("/proc/self/status").is_file() else 1
#: Rows per row group of a finished table; the ``replication`` column is sorted, so a
#: read of one replication skips the other row groups by their statistics.  Merging holds
#: one row group's rows (and its encoder's buffers) at a time: 256,000 rows of Nelson
#: events were about 30 MB of a run's peak, 64,000 a quarter of that.
MERGED_ROW_GROUP = 64_000


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """How a table of ``schema`` is written: dictionary encoding for its text columns only,
    statistics for the ``replication`` column only.

    Text columns (event kinds, classes, places) repeat a few values and shrink
    several-fold in a dictionary; numbers rarely repeat, and hashing every one
    of them for a dictionary that is then given up was half the CPU of a
    part's write (Nelson: 66 -> 33 ms per 100 replications, files 10 %
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


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s columns in order (missing ones null) and types."""
    if table.schema.equals(schema):
        return table
    cols = [table[f.name] if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
            for f in schema]
    return pa.Table.from_arrays(cols, schema=pa.schema([f.with_type(c.type) for f, c in
                                                        zip(schema, cols, strict=True)])).cast(schema)


def _with_replication(table: pa.Table, index: int) -> pa.Table:
    return table.add_column(0, "replication", pa.array(np.full(table.num_rows, index, np.int32)))


def _part_table(pieces: Sequence[tuple[int, pa.Table]]) -> pa.Table:
    """One table of a part: each replication's rows after one another, ``replication`` first.

    Replications of one scenario almost always share a schema: they are then
    joined as they are and the ``replication`` column is built once (one
    column per replication, each conformed apart, was a sixth of a part's
    CPU); otherwise each is conformed to the schema that unifies them.
    """
    tables = [t for _, t in pieces]
    schema = tables[0].schema
    if not all(t.schema.equals(schema) for t in tables[1:]):
        schema = _unified([t.schema for t in tables])
        tables = [conform(t, schema) for t in tables]
    rows = np.repeat(np.array([i for i, _ in pieces], np.int32), [t.num_rows for t in tables])
    return pa.concat_tables(tables).add_column(0, "replication", pa.array(rows))


def _unified(schemas: list[pa.Schema]) -> pa.Schema:
    return pa.unify_schemas(schemas, promote_options="permissive")


class _PartCache:
    """Decoded part tables, the few most recently used (parts arrive roughly in replication order)."""

    def __init__(self, parts: Path) -> None:
        self._parts = parts
        self._open: OrderedDict[tuple[str, str], pa.Table] = OrderedDict()

    def rows(self, part: str, name: str, span: Sequence[int]) -> pa.Table:
        """Rows ``span`` = (offset, length) of table ``name`` in ``part``."""
        key = (part, name)
        if key in self._open:
            self._open.move_to_end(key)
        else:
            if len(self._open) >= MAX_OPEN_PARTS:
                self._open.popitem(last=False)
            path = self._parts / part / f"{name}.parquet"
            try:
                self._open[key] = pq.read_table(path)
            except (OSError, pa.ArrowInvalid) as exc:
                raise CorruptResultsError(f"{path}: unreadable ({exc})") from None
        return self._open[key].slice(span[0], span[1])

    def drop(self, part: str, name: str) -> None:
        """Forget table ``name`` of ``part`` (no replication still to be read needs it)."""
        self._open.pop((part, name), None)


class _PartTables(Mapping[str, pa.Table]):
    """One replication's tables, read from its part only when asked for (bounded memory)."""

    def __init__(self, cache: _PartCache, part: str, spans: Mapping[str, Sequence[int]]) -> None:
        self._cache, self._part, self._spans = cache, part, dict(spans)

    def __getitem__(self, name: str) -> pa.Table:
        return self._cache.rows(self._part, name, self._spans[name]).drop_columns(["replication"])

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


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
        #: Committed replications: index -> record (status, kpis, seconds, error, part, spans).
        self.records: dict[int, dict[str, Any]] = {}
        self._kpis = KpiPacker()
        self._cache = _PartCache(self.folder / PARTS)
        pending = self.folder / PENDING
        if resume and pending.is_file():
            self._check_same_plan(read_json(pending))
            self._load_parts()
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(self.folder / PARTS, ignore_errors=True)
            write_atomic(self.folder / SCENARIO, scenario_yaml, sync_folder=False)
            write_atomic(pending, dumps({**self.header, "started": _now()}))  # flushes the folder for both
        (self.folder / PARTS).mkdir(exist_ok=True)

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
            marker = part / PART_MARKER
            if not marker.is_file():  # killed while writing: its replications run again
                shutil.rmtree(part)
                continue
            for rec in read_json(marker)["replications"]:
                old = self.records.get(rec["index"])
                if old is None or old["status"] != Status.DONE:
                    self.records[rec["index"]] = {**rec, "kpis": self._kpis.pack(rec["kpis"]),
                                                  "part": part.name}
        self._done = {i for i, r in self.records.items() if r["status"] == Status.DONE}

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
        """Take one finished replication; written with the next part."""
        if outcome.index in self._done or outcome.index in self._buffered:
            raise ResultsStoreError(f"{self.folder}: replication {outcome.index} was stored already; "
                                    "refusing to store it twice")
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

    def flush(self) -> None:
        """Write the buffered replications as one committed part."""
        if not self._buffer:
            return
        self._buffer.sort(key=lambda o: o.index)  # a run of one part needs no merge (finalise)
        parts = self.folder / PARTS
        number = max((int(p.name) for p in parts.iterdir() if p.name.isdigit()), default=-1) + 1
        part = parts / f"{number:06d}"
        part.mkdir()
        spans: dict[int, dict[str, list[int]]] = {o.index: {} for o in self._buffer}
        names = sorted({n for o in self._buffer for n in o.tables})
        with ThreadPoolExecutor(max_workers=max(1, min(PART_WRITERS, len(names))),
                                thread_name_prefix="medtwin-part") as pool:
            writes = []
            for name in names:
                holders = [o for o in self._buffer if name in o.tables]
                table = _part_table([(o.index, o.tables[name]) for o in holders])
                offset = 0
                for o in holders:
                    spans[o.index][name] = [offset, o.tables[name].num_rows]
                    offset += o.tables[name].num_rows
                # One write per table and part: per-replication writes cost more than small replications.
                writes.append(pool.submit(_write_table, part / f"{name}.parquet", table, table.schema))
            recs = [{"index": o.index, "key": list(o.key), "status": str(o.status), "kpis": dict(o.kpis),
                     "seconds": o.seconds, "cpu_seconds": o.cpu_seconds, "error": o.error,
                     "spans": spans[o.index]} for o in self._buffer]
            marker = dumps({"replications": recs}, compact=True)  # while the tables are written
        for w in writes:
            w.result()  # every table is on disk (or the first error is raised) before the part is committed
        fsync_dir(part)  # the tables' names too, once for all of them
        write_atomic(part / PART_MARKER, marker)  # the commit, flushed with its folder
        fsync_dir(parts)
        for o, rec in zip(self._buffer, recs, strict=True):
            self.records[o.index] = {**rec, "kpis": self._kpis.pack(o.kpis), "part": part.name}
            if o.status == Status.DONE:
                self._done.add(o.index)
        self._buffer.clear()
        self._buffered.clear()
        self._buffered_bytes = 0

    # -- finishing ----------------------------------------------------------------------
    def replications(self) -> list[Replication]:
        """Every done replication, in index order, with tables read lazily from the parts."""
        return [Replication(index=i, kpis=r["kpis"], tables=_PartTables(self._cache, r["part"], r["spans"]))
                for i, r in sorted(self.records.items()) if r["status"] == Status.DONE]

    def finalise(self, summarize: Callable[[list[Replication]], dict[str, Any]],
                 timings: Mapping[str, float]) -> dict[str, Any]:
        """Merge the parts, write ``kpis.json`` and the manifest; return the manifest.

        Raises:
            ResultsStoreError: A planned replication has no record.
        """
        self.flush()
        n = len(self.header["keys"])
        missing = sorted(set(range(n)) - set(self.records))
        if missing:
            raise ResultsStoreError(f"{self.folder}: replications {missing[:10]} have no result; "
                                    "the run cannot be finished")
        reps = self.replications()
        summary = summarize(reps) if reps else {}
        tables = self._merge_tables()
        ordered = [self.records[i] for i in range(n)]
        rows = ({"index": r["index"], **r["kpis"]} for r in ordered if r["status"] == Status.DONE)
        with atomic_path(self.folder / KPIS, what="run folder KPIs", sync_folder=False) as tmp, \
                open(tmp, "w", encoding="utf-8") as fh:  # a row at a time: the text of every row
            fh.writelines(rows_text({"summary": summary}, "replications", rows))  # is not held at once
        manifest = {
            "format": RUN_FORMAT, **self.header, "started": read_json(self.folder / PENDING).get("started"),
            "finished": _now(), "replications": n,
            "done": sum(r["status"] == Status.DONE for r in ordered),
            "failed": sum(r["status"] == Status.FAILED for r in ordered),
            "tables": tables, "timings": dict(timings),
            "replication_status": [{"index": r["index"], "key": r["key"], "status": r["status"],
                                    "seconds": r["seconds"], "cpu_seconds": r.get("cpu_seconds", 0.0),
                                    **({"error": r["error"]} if r["error"] else {})}
                                   for r in ordered]}
        manifest.pop("keys", None)
        status = manifest.pop("replication_status")
        write_atomic(self.folder / MANIFEST, dumps_rows(manifest, "replication_status", status),
                     sync_folder=False)
        manifest["replication_status"] = status
        shutil.rmtree(self.folder / PARTS)
        (self.folder / PENDING).unlink()
        fsync_dir(self.folder)  # every name written above, once, before the folder is renamed into place
        return manifest

    def _merge_tables(self) -> list[str]:
        """One file per table, replications in index order, row groups of about MERGED_ROW_GROUP rows."""
        parts = self.folder / PARTS
        done = [(i, r) for i, r in sorted(self.records.items()) if r["status"] == Status.DONE]
        names = sorted({name for _, r in done for name in r["spans"]})
        for name in names:
            used = sorted({r["part"] for _, r in done if name in r["spans"]})
            if len(used) == 1 and _in_order([r["spans"][name] for _, r in done if name in r["spans"]],
                                            parts / used[0] / f"{name}.parquet"):
                os.replace(parts / used[0] / f"{name}.parquet", self.folder / f"{name}.parquet")
                continue
            schema = _unified([_read_schema(parts / p / f"{name}.parquet") for p in used])
            target = self.folder / f"{name}.parquet"
            with atomic_path(target, what="run folder table", sync_folder=False) as tmp, \
                    pq.ParquetWriter(tmp, schema, **parquet_options(schema)) as w:
                batch: list[pa.Table] = []
                rows = 0
                # The last replication read from each part: the part is let go after it, so a run of
                # parts in order holds one decoded part at a time, however many replications it has.
                last = {r["part"]: i for i, r in done if name in r["spans"]}
                for i, r in done:
                    if name not in r["spans"]:
                        continue
                    batch.append(conform(self._cache.rows(r["part"], name, r["spans"][name]), schema))
                    if last[r["part"]] == i:
                        self._cache.drop(r["part"], name)
                    rows += batch[-1].num_rows
                    if rows >= MERGED_ROW_GROUP:
                        w.write_table(pa.concat_tables(batch), row_group_size=rows)
                        batch, rows = [], 0
                if batch:
                    w.write_table(pa.concat_tables(batch), row_group_size=max(1, rows))
        return names


def _write_table(path: Path, table: pa.Table, schema: pa.Schema) -> None:
    """One table of a part, through the store's safe write (run in a writer thread).

    The file is flushed to disk before it is renamed; its folder is flushed
    once for all the part's tables (:meth:`RunWriter.flush`).
    """
    with atomic_path(path, what="run folder part", sync_folder=False) as tmp:
        pq.write_table(table, tmp, row_group_size=MERGED_ROW_GROUP, **parquet_options(schema))


def _in_order(spans: list[Sequence[int]], path: Path) -> bool:
    """Whether ``spans`` (offset, rows) tile the part file at ``path`` in order (it is the merged table)."""
    offset = 0
    for start, rows in spans:
        if start != offset:
            return False
        offset += rows
    try:
        return bool(pq.ParquetFile(path).metadata.num_rows == offset)
    except (OSError, pa.ArrowInvalid) as exc:
        raise CorruptResultsError(f"{path}: unreadable ({exc})") from None


def _read_schema(path: Path) -> pa.Schema:
    try:
        return pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise CorruptResultsError(f"{path}: unreadable ({exc})") from None


def _plain(x: Any) -> Any:
    """``x`` as it reads back from JSON (tuples become lists)."""
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
