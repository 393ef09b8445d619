"""Patients as Mesa agents: light handles over the operations model's patient state.

A :class:`Patient` holds only its patient id; where it is and what it is
doing live in the model's :class:`~scenarios.operations.state.PatientState`,
which the SimPy process updates, and the handle reads it through that
object's public accessors.  The model makes the handles of the patients
inside when ``model.agents``, ``model.agents_by_type`` or
``model.agent_types`` is read, and removes a handle when its patient leaves,
so those are the patients in the hospital now::

    inside = model.agents_by_type[Patient]
    waiting = inside.select(lambda p: p.waiting)
    by_space = inside.groupby("space").count()
"""

from __future__ import annotations

from typing import Any

import mesa

__all__ = ["Patient"]


class Patient(mesa.Agent):
    """One patient in the hospital.

    Args:
        model: The operations model (``scenarios.operations.model.OpsModel``).
        pid: Patient id (index into the model's patient state).
    """

    def __init__(self, model: Any, pid: int) -> None:
        super().__init__(model)
        self.pid = pid

    @property
    def id(self) -> str:
        """Stable name of the patient within the replication (``patient-<pid>``)."""
        return f"patient-{self.pid}"

    @property
    def pathway(self) -> str:
        """Name of the patient's pathway (its patient type)."""
        return str(self.model.patients.pathway_name(self.pid))

    @property
    def mobility(self) -> str:
        """How the patient moves: ``ambulant``, ``reduced``, ``wheelchair``, ``bed`` or ``ventilated``."""
        return str(self.model.patients.mobility(self.pid))

    @property
    def acuity(self) -> int:
        """ESI triage level, 1 (most urgent) to 5."""
        return int(self.model.patients.acuity[self.pid])

    @property
    def arrival(self) -> float:
        """Arrival time, minutes from the run start."""
        return float(self.model.patients.arrival[self.pid])

    @property
    def space(self) -> str:
        """Id of the space the patient is in ('' if not known)."""
        return str(self.model.patients.space(self.pid))

    @property
    def activity(self) -> str:
        """``waiting:<step>``, the step being done, ``isolation``, or ``arriving``."""
        return str(self.model.patients.activity_of(self.pid))

    @property
    def waiting(self) -> bool:
        """Whether the patient is queueing for a step now."""
        return bool(self.model.patients.waiting(self.pid))

    @property
    def isolated(self) -> bool:
        """Whether the patient has been flagged for isolation."""
        return bool(self.model.patients.isolated[self.pid])

    @property
    def device(self) -> str | None:
        """The mobile device unit attached now (``name#unit``), or ``None``."""
        d = self.model.patients.device_of(self.pid)
        return None if d is None else str(d)
