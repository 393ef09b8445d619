"""What is run and how: scenario files, the models, the runner and the results store.

Public face: :func:`load` / :func:`loads` a scenario file into a frozen
scenario, :func:`run` it (any kind, any backend), :class:`Results`;
:func:`sweep` a :class:`Plan` of variants (:func:`load_sweep`,
:func:`plan_from_vary`).
Kinds register themselves in :data:`KINDS` when their module is imported.
"""

from __future__ import annotations

import importlib

from scenarios.base import KINDS, Kind, Replication, ScenarioBase, register_kind
from scenarios.errors import ResultsStoreError, RunError, ScenarioError, ScenarioFileError
from scenarios.loader import dump, from_dict, load, loads
from scenarios.runner import Results, resolve_facility, run
from scenarios.sweeps import Plan, SweepResults, load_sweep, plan_from_vary, sweep

#: Modules of the built-in kinds; importing one registers its kind in KINDS.
BUILTIN_KINDS = ("scenarios.operations", "scenarios.evacuation", "scenarios.hazards.infection")
for _module in BUILTIN_KINDS:
    importlib.import_module(_module)

__all__ = [
    "BUILTIN_KINDS",
    "KINDS",
    "Kind",
    "Plan",
    "Replication",
    "Results",
    "ResultsStoreError",
    "RunError",
    "ScenarioBase",
    "ScenarioError",
    "ScenarioFileError",
    "SweepResults",
    "dump",
    "from_dict",
    "load",
    "load_sweep",
    "loads",
    "plan_from_vary",
    "register_kind",
    "resolve_facility",
    "run",
    "sweep",
]
