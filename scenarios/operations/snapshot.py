"""Who is where doing what at one moment: the evacuation model's starting state.

:func:`snapshot_at` runs one replication (given its generator) up to the
moment and reads the Mesa agents; :func:`snapshot` does it for replication 0
of a scenario's seed.  The agents give patients (mobility profile, space, activity, acuity,
attached mobile device), staff on duty or on a break (off-shift staff are not
in the building), and every device with its state and battery.  A person
whose space is not known (a scenario with walking off and no space uses) is
placed in the first occupied room of the facility, so every occupant is in a
real space.  Visitors accompany patients (pathway ``companions``): how many a
patient has is drawn from a generator seeded by the run seed and the patient
id, so it does not depend on the moment of the snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.snapshot import DeviceState, Occupant, Snapshot
from scenarios.errors import RunError
from scenarios.operations.model import OpsModel
from scenarios.operations.schema import OperationsScenario

if TYPE_CHECKING:
    from facility.model import Facility

__all__ = ["model_snapshot", "snapshot", "snapshot_at"]


def model_snapshot(m: OpsModel, seed: int = 0) -> Snapshot:
    """The population of a running model at its current time."""
    from facility.model import SpaceKind

    fallback = next((s.id for s in m.facility.spaces if s.kind == SpaceKind.ROOM and s.occupied), None)
    if fallback is None:
        raise RunError(f"facility {m.facility.name!r} has no occupied room to place people in")
    occ: list[Occupant] = []
    for agent in m.patient_agents():
        space = agent.space or fallback
        occ.append(Occupant(id=agent.id, role="patient", profile=agent.mobility,
                            space=space, activity=agent.activity, device=agent.device, acuity=agent.acuity))
        lam = m.scenario.pathways[agent.pathway].companions
        if lam > 0:
            k = int(np.random.default_rng([seed, agent.pid]).poisson(lam))
            occ.extend(Occupant(id=f"visitor-{agent.pid}-{j}", role="visitor", profile="visitor", space=space,
                                activity=f"accompanying:patient-{agent.pid}") for j in range(k))
    for s in m.staff_agents:
        if s.state == "off" and s.off_reason == "off_shift":
            continue
        act = "break" if s.state == "off" else ("with_patient" if s.state == "busy" else "available")
        occ.append(Occupant(id=s.id, role="staff", profile=s.role, space=s.space or fallback, activity=act))
    devs = [DeviceState(id=d.id, type=d.type, space=d.space or fallback, state=d.state,
                        battery_min=d.battery_min,
                        patient=None if d.patient is None else f"patient-{d.patient}")
            for d in m.device_agents]
    return Snapshot(time_s=m.env.now * 60.0, occupants=tuple(occ), devices=tuple(devs))


def snapshot_at(scenario: OperationsScenario, facility: Facility, rng: np.random.Generator, t_seconds: float,
                *, visitor_seed: int = 0) -> Snapshot:
    """Run one replication of ``scenario`` with generator ``rng`` to ``t_seconds`` and take the population.

    This is the entry point for a model that starts from the operations
    state (the evacuation model's ``population.from_operations``): pass the
    replication's own generator, so each replication of a drill starts
    from its own hospital.

    Args:
        scenario: An operations scenario.
        facility: The building.
        rng: The replication's generator.
        t_seconds: Time since the run start (s); must be within the run.
        visitor_seed: Seeds how many visitors each patient has (with the patient id).

    Raises:
        ValueError: ``t_seconds`` is outside the run.
    """
    if not 0 <= t_seconds <= scenario.run.length_min * 60.0:
        raise ValueError(f"'t_seconds' must be within the run [0, {scenario.run.length_min * 60.0}], "
                         f"got {t_seconds}")
    m = OpsModel(scenario, facility, rng)
    m.run_until(t_seconds / 60.0)
    snap = model_snapshot(m, visitor_seed)
    m.release()
    return snap


def snapshot(scenario: OperationsScenario, t_seconds: float, *, facility: Facility | None = None,
             seed: int | None = None) -> Snapshot:
    """Run replication 0 of ``scenario`` to ``t_seconds`` and take the population.

    Args:
        scenario: An operations scenario.
        t_seconds: Time since the run start (s); must be within the run.
        facility: Use this facility instead of the one the scenario names.
        seed: Override the scenario's seed.
    """
    if facility is None:
        from scenarios.runner import resolve_facility

        facility = resolve_facility(scenario)
    s = scenario.seed if seed is None else seed
    rng = np.random.default_rng(np.random.SeedSequence(s).spawn(1)[0])
    return snapshot_at(scenario, facility, rng, t_seconds, visitor_seed=s)
