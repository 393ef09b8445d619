"""Results of one replication as frozen rows, turned into Arrow tables at the end.

The patient process appends plain tuples (cheap); nothing builds a DataFrame
while the clock runs.  :meth:`Recorder.tables` converts once, column-wise.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

__all__ = ["EVENT_COLUMNS", "PATIENT_COLUMNS", "Recorder"]

#: One row per patient step (or interrupted part of one).
EVENT_COLUMNS = (
    ("patient", pa.int64()),
    ("pathway", pa.string()),
    ("acuity", pa.int8()),
    ("step", pa.string()),
    ("queue_enter", pa.float64()),   # min from run start
    ("start", pa.float64()),         # resources granted
    ("end", pa.float64()),
    ("space", pa.string()),
    ("resources", pa.string()),      # "name#unit,name#unit"
    ("walk_min", pa.float64()),      # time spent bringing everyone together
    ("staff_walk_m", pa.float64()),
    ("outcome", pa.string()),        # done / preempted / reneged
)

#: One row per patient.
PATIENT_COLUMNS = (
    ("patient", pa.int64()),
    ("pathway", pa.string()),
    ("acuity", pa.int8()),
    ("arrival", pa.float64()),
    ("departure", pa.float64()),     # NaN while still in the hospital at the end
    ("outcome", pa.string()),        # discharged / left_without_being_seen / in_system
    ("boarding_min", pa.float64()),  # time held in a 'hold' step waiting for the next
    ("target_min", pa.float64()),    # arrival to the end of the target clock (e.g. leaving the ED)
    ("initial", pa.bool_()),         # already inside when the run started (not in patient KPIs)
)


class Recorder:
    """Collects rows during a run.

    Args:
        events: Keep the per-step event log (patient rows are always kept).
    """

    def __init__(self, events: bool = True) -> None:
        self.keep_events = events
        self.events: list[tuple[Any, ...]] = []
        self.patients: list[tuple[Any, ...]] = []

    def event(self, row: tuple[Any, ...]) -> None:
        if self.keep_events:
            self.events.append(row)

    def patient(self, row: tuple[Any, ...]) -> None:
        self.patients.append(row)

    @staticmethod
    def _table(rows: list[tuple[Any, ...]], columns: tuple[tuple[str, pa.DataType], ...]) -> pa.Table:
        cols: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        return pa.table({name: pa.array(col, type=t) for (name, t), col in zip(columns, cols, strict=True)})

    def tables(self) -> dict[str, pa.Table]:
        """The event log and the patient table."""
        out = {"patients": self._table(self.patients, PATIENT_COLUMNS)}
        if self.keep_events:
            out["events"] = self._table(self.events, EVENT_COLUMNS)
        return out
