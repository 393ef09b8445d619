"""Infection: who shared air and hands with whom, expected cases, and the response.

An infection scenario (:class:`InfectionScenario`, ``kind: infection``) puts
index cases into an operations run and computes, for everyone the operations
model placed in the building, the expected secondary (and tertiary) cases by
space, role, pathway, route and day, through the airborne route (well-mixed
spaces, Gammaitoni-Nucci) and the contact route (staff hands and shared
devices); responses (air changes, HEPA, masks, hand hygiene, isolation at
triage, closing a bay, staff cohorting) are compared side by side, with their
cost in the operations KPIs.  See ``docs/infection.md``.
"""

from __future__ import annotations

from scenarios.base import Kind, register_kind
from scenarios.hazards.infection.airborne import gammaitoni_nucci_risk
from scenarios.hazards.infection.kpis import report, summarize
from scenarios.hazards.infection.pathogens import PRESETS, Pathogen, PathogenSpec
from scenarios.hazards.infection.runs import check, run_replication
from scenarios.hazards.infection.schema import InfectionScenario

__all__ = ["PRESETS", "InfectionScenario", "Pathogen", "PathogenSpec", "check", "gammaitoni_nucci_risk",
           "report", "run_replication", "summarize"]

register_kind(Kind(name="infection", scenario_type=InfectionScenario, run_replication=run_replication,
                   summarize=summarize, check=check, report=report))
