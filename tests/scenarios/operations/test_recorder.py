"""The recorder turns named rows into typed Arrow tables once, at the end."""

from __future__ import annotations

import math

from scenarios.operations.recorder import EVENT_SCHEMA, PATIENT_SCHEMA, EventRow, PatientRow, Recorder


def test_row_types_and_schemas_are_one_definition() -> None:
    assert EventRow._fields == tuple(EVENT_SCHEMA.names)
    assert PatientRow._fields == tuple(PATIENT_SCHEMA.names)


def test_empty_run_gives_typed_empty_tables() -> None:
    t = Recorder().tables()
    assert t["events"].schema == EVENT_SCHEMA
    assert t["patients"].num_rows == 0
    assert t["patients"].schema == PATIENT_SCHEMA


def test_rows_become_columns_and_events_can_be_off() -> None:
    r = Recorder(events=False)
    r.event(EventRow(0, "p", 3, "s", 0.0, 1.0, 2.0, "W", "A", "x#0", "", 0.0, 0.0, "done"))
    r.patient(PatientRow(0, "p", 3, 0.0, math.nan, "in_system", math.nan, math.nan, False, True, False, 4.0,
                         ""))
    t = r.tables()
    assert "events" not in t
    assert t["patients"].column("outcome").to_pylist() == ["in_system"]
    assert t["patients"].column("isolation_wait_min").to_pylist() == [4.0]
    assert t["patients"].schema == PATIENT_SCHEMA


def test_event_rows_keep_their_fields_by_name() -> None:
    r = Recorder()
    row = EventRow(patient=7, pathway="ed", acuity=2, step="assess", queue_enter=1.0, start=3.0, end=9.0,
                   wait_space="WAIT", space="CUB1", resources="cubicle#0,nurse#1", staff="nurse#1",
                   walk_min=0.5, staff_walk_m=30.0, outcome="done")
    r.event(row)
    got = r.tables()["events"].to_pylist()[0]
    assert got == row._asdict()
