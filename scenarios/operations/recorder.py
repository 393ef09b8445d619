"""Results of one replication as named rows, turned into Arrow tables at the end.

Each table has one row type (a ``NamedTuple``, cheap to build in the hot
loop) and one Arrow schema whose fields are the row's fields, in order; the
two are checked against each other at import.  Rows are built in one place
each (:meth:`scenarios.operations.model.OpsModel.record_step` and
:meth:`~scenarios.operations.model.OpsModel.record_patient`); nothing builds
a DataFrame while the clock runs, and :meth:`Recorder.tables` converts once,
column-wise.

The event rows say where everyone was, so who shared air with whom is
derivable: a patient was in ``wait_space`` from ``queue_enter`` to ``start``,
walked for ``walk_min``, and was in ``space`` with the ``staff`` units (and
the other units in ``resources``) from ``start + walk_min`` to ``end``.
"""

from __future__ import annotations

from typing import NamedTuple

import pyarrow as pa

__all__ = ["EVENT_SCHEMA", "PATIENT_SCHEMA", "EventRow", "PatientRow", "Recorder"]


class EventRow(NamedTuple):
    """One patient step (or an interrupted part of one).

    Attributes:
        patient: Patient id (unique within the replication).
        pathway: Pathway name.
        acuity: ESI level 1-5.
        step: Step name (``isolation`` for the time an isolation or cohort
            place is held).
        queue_enter: When the patient joined the step's queues (min from run start).
        start: When every resource was granted (NaN if never).
        end: When the step ended, was interrupted, or the patient gave up.
        wait_space: Space the patient waited in (the queue's space).
        space: Space where the step happened.
        resources: Units used, ``name#unit,name#unit``.
        staff: The staff units among them, ``name#unit,...``.
        walk_min: Time spent bringing everyone together after ``start``.
        staff_walk_m: Metres walked by staff and mobile devices to the step.
        outcome: ``done``, ``preempted``, ``reneged``, ``diverted`` (a needed
            pool's queue was full) or ``in_progress`` (at the end of the run).
    """

    patient: int
    pathway: str
    acuity: int
    step: str
    queue_enter: float
    start: float
    end: float
    wait_space: str
    space: str
    resources: str
    staff: str
    walk_min: float
    staff_walk_m: float
    outcome: str


class PatientRow(NamedTuple):
    """One patient.

    Attributes:
        patient: Patient id.
        pathway: Pathway name.
        acuity: ESI level 1-5.
        arrival: Arrival time (min from run start).
        departure: Departure time; NaN while still in the hospital at the end.
        outcome: ``discharged``, ``left_without_being_seen``, ``diverted`` or ``in_system``.
        boarding_min: Time held in a ``hold`` step waiting for the next.
        target_min: Arrival to the end of the target clock (e.g. leaving the ED).
        initial: Already inside when the run started (not in patient KPIs).
        isolated: Flagged as needing isolation.
        cohorted: Isolated in a shared cohort place because no isolation room was free.
        isolation_wait_min: Time from being flagged to having an isolation or cohort place.
        diverted_at: Step at which a full queue turned the patient away ('' if never).
    """

    patient: int
    pathway: str
    acuity: int
    arrival: float
    departure: float
    outcome: str
    boarding_min: float
    target_min: float
    initial: bool
    isolated: bool
    cohorted: bool
    isolation_wait_min: float
    diverted_at: str


#: Arrow schema of the ``events`` table (fields of :class:`EventRow`, in order).
EVENT_SCHEMA = pa.schema([
    ("patient", pa.int64()), ("pathway", pa.string()), ("acuity", pa.int8()), ("step", pa.string()),
    ("queue_enter", pa.float64()), ("start", pa.float64()), ("end", pa.float64()),
    ("wait_space", pa.string()), ("space", pa.string()), ("resources", pa.string()), ("staff", pa.string()),
    ("walk_min", pa.float64()), ("staff_walk_m", pa.float64()), ("outcome", pa.string()),
])

#: Arrow schema of the ``patients`` table (fields of :class:`PatientRow`, in order).
PATIENT_SCHEMA = pa.schema([
    ("patient", pa.int64()), ("pathway", pa.string()), ("acuity", pa.int8()), ("arrival", pa.float64()),
    ("departure", pa.float64()), ("outcome", pa.string()), ("boarding_min", pa.float64()),
    ("target_min", pa.float64()), ("initial", pa.bool_()), ("isolated", pa.bool_()), ("cohorted", pa.bool_()),
    ("isolation_wait_min", pa.float64()), ("diverted_at", pa.string()),
])

# A row type and its schema are one definition seen twice: fail at import if they drift apart.
assert EventRow._fields == tuple(EVENT_SCHEMA.names), "EventRow and EVENT_SCHEMA differ"
assert PatientRow._fields == tuple(PATIENT_SCHEMA.names), "PatientRow and PATIENT_SCHEMA differ"


def _table(rows: list[EventRow] | list[PatientRow], schema: pa.Schema) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.table([pa.array(col, type=f.type) for f, col in zip(schema, cols, strict=True)], schema=schema)


class Recorder:
    """Collects rows during a run.

    Args:
        events: Keep the per-step event log (patient rows are always kept).
    """

    def __init__(self, events: bool = True) -> None:
        self.keep_events = events
        self.events: list[EventRow] = []
        self.patients: list[PatientRow] = []

    def event(self, row: EventRow) -> None:
        """Keep one step row (dropped when the event log is off)."""
        if self.keep_events:
            self.events.append(row)

    def patient(self, row: PatientRow) -> None:
        """Keep one patient row."""
        self.patients.append(row)

    def tables(self) -> dict[str, pa.Table]:
        """The event log (if kept) and the patient table."""
        out = {"patients": _table(self.patients, PATIENT_SCHEMA)}
        if self.keep_events:
            out["events"] = _table(self.events, EVENT_SCHEMA)
        return out
