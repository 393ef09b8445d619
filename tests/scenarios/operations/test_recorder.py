"""The recorder turns rows into typed Arrow tables once, at the end."""

from __future__ import annotations

import math

import pyarrow as pa

from scenarios.operations.recorder import EVENT_COLUMNS, PATIENT_COLUMNS, Recorder


def test_empty_run_gives_typed_empty_tables() -> None:
    t = Recorder().tables()
    assert t["events"].schema == pa.schema(list(EVENT_COLUMNS))
    assert t["patients"].num_rows == 0


def test_rows_become_columns_and_events_can_be_off() -> None:
    r = Recorder(events=False)
    r.event((0, "p", 3, "s", 0.0, 1.0, 2.0, "A", "x#0", 0.0, 0.0, "done"))
    r.patient((0, "p", 3, 0.0, math.nan, "in_system", math.nan, math.nan, False))
    t = r.tables()
    assert "events" not in t
    assert t["patients"].column("outcome").to_pylist() == ["in_system"]
    assert t["patients"].schema == pa.schema(list(PATIENT_COLUMNS))
