"""A committed *part* of a run being written: a few replications' tables, KPIs and records on disk.

While a run is written, finished replications go to its partial folder in
parts (:mod:`scenarios.store.writer` decides when)::

    parts/000007/
      tables.arrow   every table of the part: one Arrow IPC stream per table, one after another
      kpis.jsonl     each replication's row of ``kpis.json``, one line each, in the order of part.json
      part.json      the part's replications and where their rows are; written last, it commits the part

A part is a scratch file read back once, when the run is finished and each
table is written as Parquet in replication order: Arrow IPC costs a memory
copy to write and nothing to read (the file is memory-mapped), where encoding
Parquet for every part and again for the finished table spent the CPU of
one Parquet encoding per part for nothing.  KPI rows are encoded as JSON
once, here, and copied into ``kpis.json`` as text.

``part.json``::

    {"tables": {"events": [0, 2052096], "patients": [2052096, 2584640]},
     "replications": [{"index": 4, "key": [4], "status": "done", "seconds": 0.0252,
                       "cpu_seconds": 0.0239, "error": "", "spans": {"events": [0, 694], ...}}, ...]}

``tables`` gives each table's byte range in ``tables.arrow``; ``spans`` each
replication's first row and row count in that table.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from facility.files import atomic_path, write_atomic
from scenarios.errors import CorruptResultsError
from scenarios.replicate import Outcome, Status
from scenarios.store._fsync import fsync_dir
from scenarios.store.layout import jsonable, read_json

__all__ = ["KPI_ROWS", "PARTS", "PART_MARKER", "TABLES", "Assembled", "PartReader", "assemble", "conform",
           "is_committed", "kpi_row", "unified", "write_part"]

PARTS = "parts"
PART_MARKER = "part.json"
TABLES = "tables.arrow"
KPI_ROWS = "kpis.jsonl"
#: Bytes gathered before each write to a part's tables file.
WRITE_BUFFER = 2**20
#: Parts whose tables stay memory-mapped while a run is finished (parts arrive roughly in
#: replication order).
MAX_OPEN_PARTS = 3
#: Replications whose records (``part.json``) stay read meanwhile, in as many parts as hold them
#: (at least the part in use): finishing a run goes through every part once per table, and
#: reading each part's records and mapping it again every time cost about 2.5 ms a part, as
#: much as encoding its rows when workers write a part per batch.  A record is about 1.3 KB,
#: so this bounds them to about 5 MB, whatever the replication count; the tables they point
#: to are not kept.
MAX_KNOWN_RECORDS = 4096
_FLOAT = {float}
#: ``json.dumps(..., allow_nan=False)`` without building an encoder for every row.
_ENCODE = json.JSONEncoder(allow_nan=False).encode


def kpi_row(index: int, kpis: Mapping[str, Any]) -> str:
    """One replication's row of ``kpis.json`` as JSON text (``NaN`` as null).

    KPIs that are all finite floats (the usual case) go straight to the C
    encoder; anything else (a NaN, an integer, a numpy scalar) through
    :func:`~scenarios.store.layout.jsonable` first.  The text is the same
    either way.

    >>> kpi_row(3, {"wait": 1.5}), kpi_row(4, {"wait": float("nan"), "n": 2})
    ('{"index": 3, "wait": 1.5}', '{"index": 4, "wait": null, "n": 2}')
    """
    row = {"index": index, **kpis}
    values = kpis.values()
    if set(map(type, values)) <= _FLOAT and math.isfinite(sum(values)):  # the type test in C
        return _ENCODE(row)
    return json.dumps(jsonable(row), allow_nan=False)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s columns in order (missing ones null) and types."""
    if table.schema.equals(schema):
        return table
    cols = [table[f.name] if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
            for f in schema]
    return pa.Table.from_arrays(cols, schema=pa.schema([f.with_type(c.type) for f, c in
                                                        zip(schema, cols, strict=True)])).cast(schema)


def unified(schemas: Sequence[pa.Schema]) -> pa.Schema:
    """The schema every one of ``schemas`` conforms to (types widened where they differ)."""
    return pa.unify_schemas(list(schemas), promote_options="permissive")


def _part_table(pieces: Sequence[tuple[int, pa.Table]]) -> pa.Table:
    """One table of a part: each replication's rows after one another, ``replication`` first.

    Replications of one scenario almost always share a schema: they are then
    joined as they are and the ``replication`` column is built once;
    otherwise each is conformed to the schema that unifies them.
    """
    tables = [t for _, t in pieces]
    schema = tables[0].schema
    if not all(t.schema.equals(schema) for t in tables[1:]):
        schema = unified([t.schema for t in tables])
        tables = [conform(t, schema) for t in tables]
    rows = np.repeat(np.array([i for i, _ in pieces], np.int32), [t.num_rows for t in tables])
    return pa.concat_tables(tables).add_column(0, "replication", pa.array(rows))


@dataclass(frozen=True)
class Assembled:
    """Some replications as a part holds them: a table each, records and KPI rows.

    Attributes:
        tables: Each table, the replications' rows one after another, ``replication`` first.
        records: Each replication's record, in index order (its ``spans`` in ``tables``).
        lines: Each replication's row of ``kpis.json`` (empty if it failed), in the same order.
    """

    tables: dict[str, pa.Table]
    records: list[dict[str, Any]]
    lines: list[str]


def assemble(outcomes: Sequence[Outcome]) -> Assembled:
    """``outcomes`` (in index order) as one part holds them (their tables are joined, not copied)."""
    spans: dict[int, dict[str, list[int]]] = {o.index: {} for o in outcomes}
    tables = {}
    for name in sorted({n for o in outcomes for n in o.tables}):
        holders = [o for o in outcomes if name in o.tables]
        tables[name] = _part_table([(o.index, o.tables[name]) for o in holders])
        offset = 0
        for o in holders:
            spans[o.index][name] = [offset, o.tables[name].num_rows]
            offset += o.tables[name].num_rows
    records = [{"index": o.index, "key": list(o.key), "status": str(o.status), "seconds": o.seconds,
                "cpu_seconds": o.cpu_seconds, "error": o.error, "spans": spans[o.index]} for o in outcomes]
    lines = [kpi_row(o.index, o.kpis) if o.status == Status.DONE else "" for o in outcomes]
    return Assembled(tables, records, lines)


def write_part(part: Path, outcomes: Sequence[Outcome]) -> None:
    """Write ``outcomes`` (in index order) as the committed part ``part``.

    Each file is flushed to disk before its rename, the folder once for the
    tables and the KPI rows, and ``part.json`` (the commit) is written last,
    then flushed with the folder.  The caller flushes the parts folder (the
    part's own name).
    """
    part.mkdir()
    got = assemble(outcomes)
    ranges: dict[str, list[int]] = {}
    # Buffered: an IPC stream writes each column's buffers apart, thousands of small writes a part.
    with atomic_path(part / TABLES, what="run folder part", sync_folder=False) as tmp, \
            pa.OSFile(str(tmp), "wb") as file, pa.BufferedOutputStream(file, WRITE_BUFFER) as sink:
        for name, table in got.tables.items():
            start = sink.tell()
            with pa.ipc.new_stream(sink, table.schema) as stream:
                stream.write_table(table)
            ranges[name] = [start, sink.tell()]
    write_atomic(part / KPI_ROWS, "".join(line + "\n" for line in got.lines), what="run folder part",
                 sync_folder=False)
    fsync_dir(part)  # the names of both, once
    # Records hold only plain ints, strings and (finite) times: the C encoder, no walk.
    write_atomic(part / PART_MARKER, json.dumps({"tables": ranges, "replications": got.records},
                                                separators=(",", ":")) + "\n", what="run folder part")


def is_committed(part: Path) -> bool:
    """Whether ``part`` was committed (its ``part.json`` and data are there).

    A part without them was killed while being written, or was left by a
    medtwin that wrote parts otherwise: its replications are run again.
    """
    return (part / PART_MARKER).is_file() and (part / TABLES).is_file() and (part / KPI_ROWS).is_file()


class _Open:
    """One part as read back (its records, KPI lines and memory-mapped tables), or held in memory."""

    def __init__(self, part: Path, held: Assembled | None = None) -> None:
        self.path = part
        self.held = held is not None
        self.tables: dict[str, pa.Table] = {}
        self._lines: list[str] | None = None
        self._buffer: pa.Buffer | None = None
        self.records: list[dict[str, Any]] = []
        self.ranges: dict[str, list[int]] = {}
        if held is not None:
            self.records, self.tables, self._lines = held.records, dict(held.tables), held.lines
            self.position = {int(r["index"]): k for k, r in enumerate(self.records)}
            return
        marker = read_json(part / PART_MARKER)
        try:
            self.records = list(marker["replications"])
            self.ranges = dict(marker["tables"])
            self.position = {int(r["index"]): k for k, r in enumerate(self.records)}
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptResultsError(f"{part / PART_MARKER}: damaged ({exc!r})") from None

    def unmap(self) -> None:
        """Let go of the part's tables read from its file (its records stay; held tables too)."""
        if not self.held:
            self.tables.clear()
            self._buffer = None

    def lines(self) -> list[str]:
        if self._lines is None:
            path = self.path / KPI_ROWS
            try:
                self._lines = path.read_text(encoding="utf-8").split("\n")[:len(self.records)]
            except (OSError, UnicodeDecodeError) as exc:
                raise CorruptResultsError(f"{path}: unreadable ({exc})") from None
            if len(self._lines) != len(self.records):
                raise CorruptResultsError(f"{path}: damaged, {len(self._lines)} rows for "
                                          f"{len(self.records)} replications")
        return self._lines

    def _stream(self, name: str) -> pa.ipc.RecordBatchStreamReader:
        path = self.path / TABLES
        try:
            if self._buffer is None:  # the map lives as long as a buffer or table read from it
                self._buffer = pa.memory_map(str(path)).read_buffer()
            start, end = self.ranges[name]
            return pa.ipc.open_stream(self._buffer.slice(start, end - start))
        except (OSError, KeyError, ValueError, pa.ArrowException) as exc:  # a range past the end too
            raise CorruptResultsError(f"{path}: unreadable ({exc!r})") from None

    def table(self, name: str) -> pa.Table:
        if name not in self.tables:
            stream = self._stream(name)
            try:
                self.tables[name] = stream.read_all()
            except (OSError, ValueError, pa.ArrowException) as exc:
                raise CorruptResultsError(f"{self.path / TABLES}: unreadable ({exc!r})") from None
        return self.tables[name]

    def schema(self, name: str) -> pa.Schema:
        """Table ``name``'s schema, read from the stream's first message only.

        Reading the whole table, as ``table`` does, reads every record batch's
        header, spread over the whole file: the kernel then maps most of the
        part's pages around them, and a run finished from five parts held
        about four of them (some 100 MB of Nelson events) while only one was
        being encoded.
        """
        if name in self.tables:
            return self.tables[name].schema
        return self._stream(name).schema


class PartReader:
    """Committed parts read back: the records of many, the tables of the few most recently used.

    Tables are memory-mapped: reading a replication's rows copies nothing,
    and the pages count in the process's memory only while they are mapped
    (at most :data:`MAX_OPEN_PARTS` parts at once; records of up to
    :data:`MAX_KNOWN_RECORDS` replications).
    """

    def __init__(self, parts: Path) -> None:
        self._parts = parts
        self._open: OrderedDict[str, _Open] = OrderedDict()
        self._known = 0  # records held by the parts in _open
        self._mapped: OrderedDict[str, None] = OrderedDict()
        self._held: dict[str, _Open] = {}

    def hold(self, part: str, outcomes: Sequence[Outcome]) -> None:
        """Read ``outcomes`` (in index order) as part ``part`` without writing them (until :meth:`close`)."""
        self._held[part] = _Open(self._parts / part, assemble(outcomes))

    def _part(self, part: str) -> _Open:
        held = self._held.get(part)
        if held is not None:
            return held
        got = self._open.get(part)
        if got is None:
            got = self._open[part] = _Open(self._parts / part)
            self._known += len(got.records)
            while self._known > MAX_KNOWN_RECORDS and len(self._open) > 1:
                oldest = next(iter(self._open))
                self.release(oldest)
                self._known -= len(self._open.pop(oldest).records)
        else:
            self._open.move_to_end(part)
        return got

    def _tables_of(self, part: str) -> _Open:
        """``part``, about to have its tables read: the least recently read of the others are unmapped."""
        got = self._part(part)
        if not got.held:
            self._mapped[part] = None
            self._mapped.move_to_end(part)
            while len(self._mapped) > MAX_OPEN_PARTS:
                self.release(next(iter(self._mapped)))
        return got

    def records(self, part: str) -> list[dict[str, Any]]:
        """The records of ``part``'s replications, in index order."""
        return self._part(part).records

    def record(self, part: str, index: int) -> dict[str, Any]:
        """Replication ``index``'s record in ``part``."""
        p = self._part(part)
        return p.records[p.position[index]]

    def kpi_line(self, part: str, index: int) -> str:
        """Replication ``index``'s row of ``kpis.json`` as JSON text (empty if it failed)."""
        p = self._part(part)
        return p.lines()[p.position[index]]

    def rows(self, part: str, name: str, index: int) -> pa.Table:
        """Replication ``index``'s rows of table ``name`` (``replication`` column first)."""
        p = self._tables_of(part)
        offset, length = p.records[p.position[index]]["spans"][name]
        return p.table(name).slice(offset, length)

    def segment(self, part: str, name: str, first: int, last: int) -> pa.Table:
        """Rows of table ``name`` from replication ``first``'s to replication ``last``'s, both in ``part``
        (``last``'s rows must follow ``first``'s: replications in between, all in this part)."""
        p = self._tables_of(part)
        start = p.records[p.position[first]]["spans"][name][0]
        end_start, end_rows = p.records[p.position[last]]["spans"][name]
        return p.table(name).slice(start, end_start + end_rows - start)

    def schema(self, part: str, name: str) -> pa.Schema:
        """The schema of table ``name`` in ``part`` (its rows are not read)."""
        return self._tables_of(part).schema(name)

    def release(self, part: str) -> None:
        """Let go of ``part``'s tables if they are mapped (the map goes with the last table read from
        it); its records stay."""
        self._mapped.pop(part, None)
        got = self._open.get(part)
        if got is not None:
            got.unmap()

    def close(self) -> None:
        """Let go of every open and held part (before the parts are deleted)."""
        self._open.clear()
        self._known = 0
        self._mapped.clear()
        self._held.clear()

