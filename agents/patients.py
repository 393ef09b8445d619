"""Patients as Mesa agents: light handles over the operations model's patient lists.

A :class:`Patient` holds only its patient id; where it is and what it is doing
live in the model's per-patient lists, which the SimPy process updates.
``OpsModel.patient_agents()`` returns the handles of the patients in the
hospital at that moment; a handle is removed from the model when its patient
leaves.
"""

from __future__ import annotations

from typing import Any

import mesa

__all__ = ["Patient"]


class Patient(mesa.Agent):
    """One patient in the hospital.

    Args:
        model: The operations model (``scenarios.operations.model.OpsModel``).
        pid: Patient id (index into the model's patient lists).
    """

    def __init__(self, model: Any, pid: int) -> None:
        super().__init__(model)
        self.pid = pid

    @property
    def pathway(self) -> str:
        return str(self.model.cpathways[self.model.p_pathway[self.pid]].name)

    @property
    def acuity(self) -> int:
        return int(self.model.p_acuity[self.pid])

    @property
    def space(self) -> str:
        """Id of the space the patient is in ('' if not known)."""
        return str(self.model.space_name(self.model.p_loc[self.pid]))

    @property
    def activity(self) -> str:
        """``waiting:<step>``, the step being done, or ``arriving``."""
        return str(self.model.p_activity[self.pid])

    @property
    def device(self) -> str | None:
        d = self.model.p_device[self.pid]
        return None if d is None else str(d)
