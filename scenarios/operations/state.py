"""The per-patient state of a running operations model, and time-averaged queue tallies.

:class:`PatientState` keeps one entry per patient in parallel lists indexed
by patient id (the SimPy processes write them; cheap appends and index
assignments in the hot loop).  Everything outside the model reads a patient
through its public accessors (:meth:`PatientState.space`,
:meth:`PatientState.activity`, ...), which is what the Mesa handle
:class:`agents.patients.Patient` does.

:class:`WaitTally` keeps exact time integrals of how many patients of each class
are waiting (queue length per pathway step, per acuity), the per-class
counterpart of a pool's queue integral.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PatientState", "StepInProgress", "WaitTally"]


@dataclass(slots=True)
class StepInProgress:
    """The step a patient is doing now (for rows at the end of the run and for exposure)."""

    step: str
    queue_enter: float
    start: float
    wait_space: int
    space: int
    units: list[tuple[Any, int]]


@dataclass(slots=True)
class PatientState:
    """Parallel per-patient lists (index = patient id).

    Attributes:
        pathway: Index of the patient's compiled pathway.
        acuity: ESI level 1-5.
        arrival: Arrival time (min).
        loc: Space index where the patient is (-1 unknown or gone).
        activity: ``arriving``, ``waiting:<step>``, the step's name, or the outcome once gone.
        device: The mobile device unit attached now (``name#unit``) or ``None``.
        current: The step in progress, or ``None`` while waiting or between steps.
        target: Minutes from arrival to the end of the target clock (NaN until stopped).
        initial: Already inside when the run started.
        isolated: Flagged for isolation.
        isolation: The isolation or cohort place held now (as a step in
            progress: when the patient was flagged, when the place was
            granted, where), or ``None``.
        cohorted: Isolated in a shared cohort place.
        iso_wait: Minutes from being flagged to having a place (NaN if never flagged).
        diverted_at: Step at which a full queue first turned the patient away ('').
    """

    space_ids: list[str]
    pathway_names: list[str]
    mobilities: list[str]
    pathway: list[int] = field(default_factory=list)
    acuity: list[int] = field(default_factory=list)
    arrival: list[float] = field(default_factory=list)
    loc: list[int] = field(default_factory=list)
    activity: list[str] = field(default_factory=list)
    device: list[str | None] = field(default_factory=list)
    current: list[StepInProgress | None] = field(default_factory=list)
    target: list[float] = field(default_factory=list)
    initial: list[bool] = field(default_factory=list)
    isolated: list[bool] = field(default_factory=list)
    isolation: list[StepInProgress | None] = field(default_factory=list)
    cohorted: list[bool] = field(default_factory=list)
    iso_wait: list[float] = field(default_factory=list)
    diverted_at: list[str] = field(default_factory=list)

    def add(self, pathway: int, acuity: int, arrival: float, loc: int, *, initial: bool) -> int:
        """Append a patient; its id."""
        pid = len(self.pathway)
        self.pathway.append(pathway)
        self.acuity.append(acuity)
        self.arrival.append(arrival)
        self.loc.append(loc)
        self.activity.append("arriving")
        self.device.append(None)
        self.current.append(None)
        self.target.append(math.nan)
        self.initial.append(initial)
        self.isolated.append(False)
        self.isolation.append(None)
        self.cohorted.append(False)
        self.iso_wait.append(math.nan)
        self.diverted_at.append("")
        return pid

    def __len__(self) -> int:
        return len(self.pathway)

    # -- public accessors (what handles and snapshots read) -------------------------
    def pathway_name(self, pid: int) -> str:
        """Name of the patient's pathway."""
        return self.pathway_names[self.pathway[pid]]

    def mobility(self, pid: int) -> str:
        """Mobility of the patient's pathway (``ambulant``, ``bed``, ...)."""
        return self.mobilities[self.pathway[pid]]

    def space(self, pid: int) -> str:
        """Id of the space the patient is in ('' if not known or gone)."""
        i = self.loc[pid]
        return self.space_ids[i] if i >= 0 else ""

    def activity_of(self, pid: int) -> str:
        """What the patient is doing: ``waiting:<step>``, a step, ``arriving``, or the outcome once gone."""
        return self.activity[pid]

    def device_of(self, pid: int) -> str | None:
        """The mobile device unit attached now, or ``None``."""
        return self.device[pid]

    def isolation_space(self, pid: int) -> str:
        """Id of the isolation or cohort place the patient holds ('' if none)."""
        iso = self.isolation[pid]
        return self.space_ids[iso.space] if iso is not None and iso.space >= 0 else ""

    def waiting(self, pid: int) -> bool:
        """Whether the patient is queueing for a step now."""
        return self.activity[pid].startswith("waiting:")


class WaitTally:
    """Exact time integrals of how many patients wait, by (pathway, step) key and by ESI level.

    >>> t = WaitTally(2)
    >>> t.change(0, 3, 1, 0.0); t.change(0, 3, 1, 2.0); t.change(0, 3, -2, 3.0)
    >>> t.close(4.0); t.step_area, t.level_area[3]
    ([4.0, 0.0], 4.0)
    """

    __slots__ = ("level_area", "level_count", "level_last", "step_area", "step_count", "step_last")

    def __init__(self, n_keys: int, levels: int = 5) -> None:
        self.step_area = [0.0] * n_keys
        self.step_count = [0] * n_keys
        self.step_last = [0.0] * n_keys
        # index = ESI level (1-based; index 0 unused)
        self.level_area = [0.0] * (levels + 1)
        self.level_count = [0] * (levels + 1)
        self.level_last = [0.0] * (levels + 1)

    def change(self, key: int, level: int, d: int, now: float) -> None:
        """``d`` patients of step ``key`` and ESI ``level`` start (+) or stop (-) waiting at ``now``."""
        self.step_area[key] += self.step_count[key] * (now - self.step_last[key])
        self.step_last[key] = now
        self.step_count[key] += d
        self.level_area[level] += self.level_count[level] * (now - self.level_last[level])
        self.level_last[level] = now
        self.level_count[level] += d

    def close(self, now: float) -> None:
        """Bring every integral up to ``now``."""
        for area, count, last in ((self.step_area, self.step_count, self.step_last),
                                  (self.level_area, self.level_count, self.level_last)):
            for k, c in enumerate(count):
                area[k] += c * (now - last[k])
                last[k] = now
