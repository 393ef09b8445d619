"""The ``evacuation`` kind of scenario: drills with assisted evacuation over levels.

Public face: :class:`EvacuationScenario` (the file format), :func:`simulate`
(one run from a facility and a list of people, e.g. an operations
:class:`~agents.snapshot.Snapshot` through :func:`from_snapshot`), and the
functions the runner calls: :func:`run_replication`, :func:`summarize`,
:func:`check`, :func:`report`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from agents.movement.behaviour import Behaviour
from agents.movement.pedestrians import SpeedModel
from agents.release import release_model
from agents.snapshot import Snapshot
from facility.model import Facility
from scenarios.base import Kind, Replication, register_kind
from scenarios.errors import PlacementError, ScenarioFileError
from scenarios.evacuation.kpis import replication_kpis, report, summarize
from scenarios.evacuation.model import EvacParams, EvacuationModel, PersonSpec, Progress, State
from scenarios.evacuation.population import check_population, from_scenario, from_snapshot, placing_field
from scenarios.evacuation.schema import BEHAVIOUR_FIELDS, CROWD_RULES, EvacuationScenario
from scenarios.hazards.conditions import Environment
from scenarios.hazards.environment import HazardEnvironment, origin_of
from scenarios.hazards.outcomes import outcomes as hazard_outcomes
from scenarios.hazards.outcomes import report as hazard_report
from scenarios.hazards.schema import check_hazard

__all__ = [
    "EvacParams",
    "EvacuationModel",
    "EvacuationScenario",
    "PersonSpec",
    "State",
    "check",
    "from_snapshot",
    "params_of",
    "report",
    "run_replication",
    "simulate",
    "summarize",
]


def params_of(sc: EvacuationScenario) -> EvacParams:
    """The model parameters a scenario sets."""
    mv = sc.movement
    return EvacParams(
        alarm=sc.alarm, strategy=sc.strategy.mode, fire_compartments=tuple(sc.strategy.fire_compartments),
        vertical_after=sc.strategy.vertical_after, policy=sc.strategy.policy, lifts=sc.strategy.lifts,
        cell=mv.cell, model=SpeedModel(dt=mv.dt, time_gap=mv.time_gap, strength=mv.strength, range=mv.range,
                                       wall_strength=mv.wall_strength, wall_range=mv.wall_range,
                                       **{k: v for k, v in mv.behaviour.items() if k in CROWD_RULES}),
        behaviour=Behaviour(**{k: v for k, v in mv.behaviour.items() if k in BEHAVIOUR_FIELDS}),
        max_time=sc.alarm + sc.max_time, record_every=sc.record_every,
        door_closures=tuple((c.door, c.time) for c in sc.door_closures),
        deadlock_window=sc.deadlock_window, trajectories=sc.trajectories, door_flow=mv.door_flow,
        hazard_every=sc.hazard_every, enter_untenable=sc.strategy.enter_untenable,
    )


def simulate(facility: Facility, people: list[PersonSpec] | Snapshot, params: EvacParams,
             rng: np.random.Generator, *, environment: Environment | None = None,
             progress: Progress | None = None) -> EvacuationModel:
    """Run one evacuation to the end and return the finished model.

    Args:
        facility: The building.
        people: Who is where, or an operations snapshot.
        params: Strategy and model settings.
        rng: The replication's generator.
        environment: A fire, smoke or gas model the people move through
            (:mod:`scenarios.evacuation.exposure`); ``None``: no hazard.
        progress: Called with (simulated time, end time, people safe, people, out, in a refuge)
            as the run goes (:meth:`EvacuationModel.run`).
    """
    if isinstance(people, Snapshot):
        people = from_snapshot(people)
    model = EvacuationModel(facility, people, params, rng, environment=environment)
    model.run(progress)
    return model


def run_replication(scenario: EvacuationScenario, facility: Facility, rng: np.random.Generator,
                    index: int, progress: Progress | None = None) -> Replication:
    """One replication of an evacuation scenario; ``progress`` as for :func:`simulate`."""
    people = from_scenario(scenario, facility, rng)
    environment: Environment | None = None
    if scenario.hazard is not None:
        environment = HazardEnvironment(facility, scenario.hazard)
    try:
        model = simulate(facility, people, params_of(scenario), rng, environment=environment,
                         progress=progress)
    except PlacementError as exc:
        raise ScenarioFileError(scenario.source or "<scenario>", placing_field(scenario, exc.who),
                                f"occupant {exc.who}: {exc.problem}") from None
    tables = model.recorder.tables()
    kpis = replication_kpis(tables["agents"], tables["door_flows"], scenario.alarm, model.t,
                            tables["deadlocks"].num_rows, compartments=tables["compartments"],
                            strategy=scenario.strategy.mode,
                            fire_compartments=scenario.strategy.fire_compartments)
    if isinstance(environment, HazardEnvironment):
        more, hazard_tables = hazard_outcomes(environment, tables, alarm=scenario.alarm, end=model.t)
        kpis, tables = {**kpis, **more}, {**tables, **hazard_tables}
    # Replications run one after another in a process: let the finished model go at once.
    release_model(model)
    return Replication(index=index, kpis=kpis, tables=tables)


def check(scenario: EvacuationScenario, facility: Facility) -> None:
    """Raise :class:`~scenarios.errors.ScenarioFileError` for anything the facility lacks."""
    check_population(scenario, facility)
    if scenario.hazard is not None:
        check_hazard(scenario.hazard, facility, scenario.source or "<scenario>")
        _check_hazard_compartments(scenario, facility)


def _check_hazard_compartments(scenario: EvacuationScenario, facility: Facility) -> None:
    """A drill that moves compartments out first must move the one the fire or gas starts in.

    With ``fire_compartments: [L3-A]`` and the fire in a room of L3-B, the ward fire reported
    nobody evacuated while 27 people took over the FED limit in the compartment left in place.
    """
    hz, strategy = scenario.hazard, scenario.strategy
    if hz is None or strategy.mode == "full":
        return
    starts = []
    if hz.fire is not None:
        starts.append(("fire", facility.spaces[origin_of(hz, facility)].id))
    if hz.gas is not None:
        starts.append(("gas release", hz.gas.space))
    for what, space in starts:
        comp = facility.space(space).compartment
        if comp not in strategy.fire_compartments:
            raise ScenarioFileError(
                scenario.source or "<scenario>", "strategy.fire_compartments",
                f"the {what} starts in {space}, in compartment {comp}, which is not among the compartments "
                f"moved out first ({', '.join(strategy.fire_compartments)}); expected {comp} listed "
                f"(mode {strategy.mode!r} moves the compartments named there before the rest)")


def _report(kpis: dict[str, Any]) -> str:
    """The drill's report, followed by the hazard's (ASET, margins, doses) when there was one.

    Stored KPIs come back from JSON with ``null`` for NaN (a mean, a half-width) and for the
    infinite time of a patient never safe; the reports read NaN and infinity.
    """
    kpis = {k: {f: math.nan if x is None else x for f, x in v.items()} if isinstance(v, dict)
            else [{f: math.inf if x is None else x for f, x in r.items()} for r in v] if isinstance(v, list)
            else v for k, v in kpis.items()}
    return "\n".join(part for part in (report(kpis), hazard_report(kpis)) if part)


register_kind(Kind(name="evacuation", scenario_type=EvacuationScenario, run_replication=run_replication,
                   summarize=summarize, check=check, report=_report))
