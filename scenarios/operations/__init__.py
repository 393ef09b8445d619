"""Hospital operations: patient flow, staff rosters, beds and devices on a facility.

A scenario (:class:`OperationsScenario`, ``kind: operations``) holds
pathways, arrivals, resources and the run; :func:`scenarios.run` runs it with
replications through the functions registered here.  :func:`snapshot` gives
who is where at a moment, as the evacuation model's starting state.
See ``docs/scenarios.md`` for the file format.
"""

from __future__ import annotations

from scenarios.base import Kind, register_kind
from scenarios.operations.kpis import summarize
from scenarios.operations.model import OpsModel
from scenarios.operations.report import report
from scenarios.operations.runs import check, run_replication
from scenarios.operations.schema import OperationsScenario
from scenarios.operations.snapshot import snapshot, snapshot_at

__all__ = ["OperationsScenario", "OpsModel", "check", "report", "run_replication", "snapshot", "snapshot_at",
           "summarize"]

register_kind(Kind(name="operations", scenario_type=OperationsScenario, run_replication=run_replication,
                   summarize=summarize, check=check, report=report))
