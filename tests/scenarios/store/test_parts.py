"""A run's parts on disk: KPI rows as kpis.json writes them, tables and records read back as written."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios.errors import CorruptResultsError
from scenarios.replicate import Outcome, Status
from scenarios.store import parts as parts_module
from scenarios.store.layout import jsonable
from scenarios.store.parts import MAX_OPEN_PARTS, PART_MARKER, PartReader, kpi_row, write_part

KPI_VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2**70, 2**70), st.none())


@given(st.integers(0, 10**6), st.dictionaries(st.text(max_size=8), KPI_VALUES, max_size=12))
def test_a_kpi_row_is_the_text_the_general_encoder_writes(index: int, kpis: dict[str, object]) -> None:
    kpis.pop("index", None)
    assert kpi_row(index, kpis) == json.dumps(jsonable({"index": index, **kpis}), allow_nan=False)


def _outcome(index: int, rows: int, status: Status = Status.DONE) -> Outcome:
    if status == Status.FAILED:
        return Outcome(index=index, key=(index,), status=status, error="Traceback: boom")
    tables = {"events": pa.table({"t": [float(index)] * rows, "what": [f"e{index}"] * rows}),
              "beds": pa.table({"n": [index]})}
    return Outcome(index=index, key=(index,), status=status, kpis={"x": index + 0.5, "gap": math.nan},
                   tables=tables, seconds=0.25, cpu_seconds=0.125)


def test_a_part_reads_back_each_replication_as_it_was_written(tmp_path: Path) -> None:
    outcomes = [_outcome(1, 2), _outcome(2, 0, Status.FAILED), _outcome(3, 3), _outcome(4, 1)]
    write_part(tmp_path / "000000", outcomes)
    reader = PartReader(tmp_path)
    assert [r["index"] for r in reader.records("000000")] == [1, 2, 3, 4]
    assert reader.record("000000", 2)["error"] == "Traceback: boom" and reader.kpi_line("000000", 2) == ""
    assert json.loads(reader.kpi_line("000000", 3)) == {"index": 3, "x": 3.5, "gap": None}
    for o in outcomes:
        if o.status == Status.DONE:
            got = reader.rows("000000", "events", o.index)
            assert got.column("replication").to_pylist() == [o.index] * o.tables["events"].num_rows
            assert got.drop_columns(["replication"]).equals(o.tables["events"])
    both = reader.segment("000000", "events", 3, 4)  # consecutive replications: one slice
    assert both.column("replication").to_pylist() == [3, 3, 3, 4]
    reader.close()


def test_a_damaged_part_record_is_an_error_naming_the_file(tmp_path: Path) -> None:
    write_part(tmp_path / "000000", [_outcome(0, 1)])
    (tmp_path / "000000" / PART_MARKER).write_text('{"replications": 3}')
    with pytest.raises(CorruptResultsError, match=r"000000/part.json: damaged"):
        PartReader(tmp_path).records("000000")


def test_a_tables_schema_is_read_from_its_first_message_without_its_rows(tmp_path: Path) -> None:
    """Finishing a run unifies the schemas of every part first: reading whole tables for it mapped
    most of every part's pages at once (the peak memory of a long run grew with its parts)."""
    write_part(tmp_path / "000000", [_outcome(0, 3), _outcome(1, 2)])
    start, end = json.loads((tmp_path / "000000" / PART_MARKER).read_text())["tables"]["events"]
    expected = PartReader(tmp_path).schema("000000", "events")
    assert expected.names == ["replication", "t", "what"]
    alone = pa.BufferOutputStream()
    pa.ipc.new_stream(alone, expected).close()  # the schema message, then the 8-byte end marker
    tables = tmp_path / "000000" / "tables.arrow"
    assert end == tables.stat().st_size  # events is the last stream of the file
    with open(tables, "r+b") as fh:  # keep the schema, scramble the record batches
        fh.seek(start + len(alone.getvalue()) - 8)
        fh.write(b"\xff" * (end - fh.tell()))
    reader = PartReader(tmp_path)
    assert reader.schema("000000", "events") == expected
    with pytest.raises(CorruptResultsError, match=r"000000/tables.arrow: unreadable"):
        reader.rows("000000", "events", 0)
    with open(tables, "r+b") as fh:  # a file cut short is the same clear error, not an index error
        fh.truncate(start + 10)
    with pytest.raises(CorruptResultsError, match=r"000000/tables.arrow: unreadable"):
        PartReader(tmp_path).schema("000000", "events")


def test_finishing_reads_each_parts_records_once_and_maps_few_parts_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run whose workers wrote a part per batch has many parts; going through them once per table
    read each part's records and mapped it again every time (about 2.5 ms a part)."""
    names = [f"{k:06d}" for k in range(MAX_OPEN_PARTS + 3)]
    for k, name in enumerate(names):
        write_part(tmp_path / name, [_outcome(2 * k, 2), _outcome(2 * k + 1, 1)])
    reads: list[Path] = []
    real = parts_module.read_json

    def counted(path: Path) -> Any:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(parts_module, "read_json", counted)
    reader = PartReader(tmp_path)
    for table, first_rows in (("events", 2), ("beds", 1)):  # as finishing does: a table after another
        for k, name in enumerate(names):
            assert reader.schema(name, table).names[0] == "replication"
            rows = reader.segment(name, table, 2 * k, 2 * k + 1)
            assert rows.column("replication").to_pylist() == [2 * k] * first_rows + [2 * k + 1]
            assert len(reader._mapped) <= MAX_OPEN_PARTS
    assert sorted(p.parent.name for p in reads) == names  # each part's records read once
    assert reader.kpi_line(names[0], 1).startswith('{"index": 1')


def test_the_records_kept_are_bounded_by_replications_whatever_the_parts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts_module, "MAX_KNOWN_RECORDS", 5)
    names = [f"{k:06d}" for k in range(6)]
    for k, name in enumerate(names):
        write_part(tmp_path / name, [_outcome(2 * k, 1), _outcome(2 * k + 1, 1)])
    reader = PartReader(tmp_path)
    for k, name in enumerate(names):
        assert reader.record(name, 2 * k + 1)["index"] == 2 * k + 1
        assert sum(len(p.records) for p in reader._open.values()) <= 5 and name in reader._open
    assert list(reader._open) == names[-2:]
    assert reader.rows(names[0], "events", 0).column("t").to_pylist() == [0.0]  # read again when asked
