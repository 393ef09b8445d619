"""Mesa agents of an evacuation: light handles over the rows of the model's arrays.

The evacuation model keeps everyone's state in parallel numpy arrays and moves them all at once
(:mod:`scenarios.evacuation.model`); a handle holds only its row and reads the arrays when
asked, so ``model.agents``, ``model.agents_by_type`` and ``AgentSet.select / groupby / agg``
see the live state, and a user can attach a :class:`mesa.DataCollector` with agent reporters,
at no cost to the step (JuPedSim's agents are handles of the same kind).

There is one handle class per role (:class:`EvacuatingPatient`, :class:`EvacuatingStaff`,
:class:`EvacuatingVisitor`), so ``model.agents_by_type`` groups them.  A patient moved on a bed
or in a wheelchair is one agent; its escorts are staff agents whose :attr:`Evacuee.state` is
``escorting`` and whose :attr:`EvacuatingStaff.patient` names it.

The model these handles read (``model``) must expose ``people`` (by row: ``ids``,
``profiles``, ``pos``, ``lvl``, ``space``, ``state``, ``dose``, ``task``, ``team`` and
``t_reach``), ``plan`` (``levels`` and ``space_ids``) and ``dose_names`` (see
:class:`scenarios.evacuation.state.People` and :class:`scenarios.evacuation.state.Plan`).
"""

from __future__ import annotations

from typing import Any

import mesa

from agents.movement.states import STATE_LABELS

__all__ = ["EvacuatingPatient", "EvacuatingStaff", "EvacuatingVisitor", "Evacuee", "handle_type"]


class Evacuee(mesa.Agent):
    """One person of an evacuation, by row ``row`` of the model's arrays.

    Args:
        model: The evacuation model.
        row: The person's row.
    """

    def __init__(self, model: Any, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def id(self) -> str:
        """The person's id in the scenario."""
        return str(self.model.people.ids[self.row])

    @property
    def profile(self) -> str:
        """Occupant profile (``bed``, ``staff``, ...)."""
        return str(self.model.people.profiles[self.row].name)

    @property
    def state(self) -> str:
        """State name (``pre``, ``move``, ``need_staff``, ..., ``out``)."""
        return str(STATE_LABELS[self.model.people.state[self.row]])

    @property
    def x(self) -> float:
        """Plan x (m) of the last position on a floor."""
        return float(self.model.people.pos[self.row, 0])

    @property
    def y(self) -> float:
        """Plan y (m) of the last position on a floor."""
        return float(self.model.people.pos[self.row, 1])

    @property
    def level(self) -> str:
        """Level id."""
        return str(self.model.plan.levels[self.model.people.lvl[self.row]])

    @property
    def space(self) -> str:
        """Id of the space the person counts in."""
        return str(self.model.plan.space_ids[self.model.people.space[self.row]])

    @property
    def safe_at(self) -> float:
        """Model time (s) when the person reached safety (NaN if not yet)."""
        return float(self.model.people.t_reach[self.row])

    @property
    def doses(self) -> dict[str, float]:
        """Doses accumulated so far in the hazard's conditions, by name."""
        dose = self.model.people.dose
        return {name: float(dose[r, self.row]) for r, name in enumerate(self.model.dose_names)}


class EvacuatingPatient(Evacuee):
    """A patient; on a bed or in a wheelchair also the unit their escorts move."""

    @property
    def escorts(self) -> list[str]:
        """Ids of the staff assigned to this patient now."""
        return [str(self.model.people.ids[s]) for s in self.model.people.team[self.row]]


class EvacuatingStaff(Evacuee):
    """A member of staff."""

    @property
    def patient(self) -> str | None:
        """Id of the patient they are fetching or escorting, if any."""
        k = int(self.model.people.task[self.row])
        return None if k < 0 else str(self.model.people.ids[k])


class EvacuatingVisitor(Evacuee):
    """A visitor."""


def handle_type(role: str) -> type[Evacuee]:
    """The handle class of a profile's role.

    >>> handle_type("staff").__name__
    'EvacuatingStaff'
    """
    return {"patient": EvacuatingPatient, "staff": EvacuatingStaff}.get(role, EvacuatingVisitor)
