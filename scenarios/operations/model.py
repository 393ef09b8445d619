"""The operations model: a SimPy clock and queues, with patients, staff and devices as Mesa agents.

:class:`OpsModel` compiles a scenario against a facility once (pools of units,
walking matrices, samplers, the arrival plan: :mod:`scenarios.operations.compile`),
then runs the SimPy environment.  The replication's one generator is passed
down to everything that draws, and is also the Mesa model's ``rng``.

Patients, staff and devices are Mesa agents, light handles over the model's
state: a patient handle reads :class:`~scenarios.operations.state.PatientState`
through its accessors, a staff member or a device reads its pool's unit.
Staff and device handles exist from the start.  Patient handles are made
when someone looks: reading ``model.agents``, ``model.agents_by_type`` or
``model.agent_types`` first gives a handle to every patient in the hospital
who has none yet, and a handle is removed when its patient leaves.  So
``AgentSet.select / groupby / agg`` and a ``mesa.DataCollector`` with agent
reporters see the live population whenever they read it, while a run that
nobody inspects (a replication of a sweep, a year of patients) pays nothing
for Mesa's registration in its hot loop.  (An ``AgentSet`` kept from an
earlier read does not gain patients who arrived since: read it again.)

Rosters, breaks, device failures, maintenance, bay closures and battery
charging are offline periods of pool units (:mod:`scenarios.operations.availability`).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import simpy

from agents.devices import Device
from agents.patients import Patient
from agents.release import release_model
from agents.staff import StaffMember
from scenarios.operations.arrivals import ArrivalPlan, plan_arrivals
from scenarios.operations.availability import Battery, roster_changes
from scenarios.operations.compile import (
    CompiledPathway,
    CompiledStep,
    Uniform,
    build_pools,
    compile_pathway,
)
from scenarios.operations.distributions import Sampler
from scenarios.operations.pathways import patient_process
from scenarios.operations.recorder import EventRow, PatientRow, Recorder
from scenarios.operations.resources import Pool
from scenarios.operations.schema import OperationsScenario
from scenarios.operations.state import PatientState, StepInProgress, WaitTally
from scenarios.operations.walking import WalkMatrices, walk_matrices

if TYPE_CHECKING:
    from facility.model import Facility

__all__ = ["CompiledPathway", "CompiledStep", "Mark", "OpsModel", "roster_changes"]

#: ESI levels, 1 (most urgent) to 5.
ACUITY_LEVELS = 5


@dataclass(frozen=True, slots=True)
class Mark:
    """The model's integrals at one moment (the warm-up end, a batch boundary).

    Attributes:
        time: When (min).
        pools: Per pool: busy, on-duty and queue integrals, offered and blocked counts.
        step_queue: Waiting-patient integral per (pathway, step) key.
        acuity_queue: Waiting-patient integral per ESI level (index = level; 0 unused).
    """

    time: float
    pools: dict[str, tuple[float, float, float, int, int]]
    step_queue: tuple[float, ...]
    acuity_queue: tuple[float, ...]


def mark(m: OpsModel) -> Mark:
    """The integrals of ``m`` brought up to now."""
    now = m.env.now
    for p in m.pools.values():
        p._acc()
    m.waits.close(now)
    return Mark(now, {n: (p.area_busy, p.area_online, p.area_queue, p.offered, p.blocked)
                      for n, p in m.pools.items()},
                tuple(m.waits.step_area), tuple(m.waits.level_area))


class OpsModel(mesa.Model):
    """One replication of an operations scenario on a facility.

    Args:
        scenario: The scenario.
        facility: The building (used for spaces and walking).
        rng: The replication's generator (the only source of randomness; it
            is also ``self.rng``, Mesa's generator).

    The SimPy clock drives the run (:meth:`finish`, :meth:`run_until`);
    :meth:`step` advances it by :attr:`step_min` for Mesa-style stepping
    with a ``DataCollector``.
    """

    #: Simulated minutes one :meth:`step` advances (a user may set it before stepping).
    step_min: float = 60.0

    def __init__(self, scenario: OperationsScenario, facility: Facility, rng: np.random.Generator) -> None:
        super().__init__(rng=rng)
        self.scenario = sc = scenario
        self.facility = facility
        self.env = simpy.Environment()
        self.horizon = sc.run.length_min
        self.warmup = sc.run.warmup_min
        self.recorder = Recorder(events=sc.run.record_events)
        self.walking = sc.walking.enabled
        self.walk: WalkMatrices = walk_matrices(sc, facility)
        self.space_ids = self.walk.space_ids
        self.patient_time = self.walk.patient_time
        self.staff_time = self.walk.staff_time
        self.staff_len = self.walk.staff_len
        self.pools: dict[str, Pool] = build_pools(sc, self.env, self.walk, rng, walking=self.walking)
        uniform = Uniform(rng)
        self.cpathways = [compile_pathway(name, pw, self.pools, sc, self.walk, rng, uniform)
                          for name, pw in sc.pathways.items()]
        #: first (pathway, step) tally key of each pathway
        self.step_key = list(np.cumsum([0] + [len(p.steps) for p in self.cpathways[:-1]]).tolist())
        self.waits = WaitTally(sum(len(p.steps) for p in self.cpathways), ACUITY_LEVELS)
        self.plan: ArrivalPlan = plan_arrivals(sc, rng)
        self.patients = PatientState(self.space_ids, [p.name for p in self.cpathways],
                                     [p.mobility for p in self.cpathways])
        self.p_agent: list[Patient | None] = []
        self.in_system = 0
        self.inside: dict[int, None] = {}  # ids of patients in the hospital, in arrival order
        self.departed = 0
        self.sys_area = 0.0
        self._sys_t = 0.0
        self.marks: list[Mark] = []
        self.staff_agents = [StaffMember(self, p.name, u) for p in self.pools.values() if p.kind == "staff"
                             for u in range(p.n)]
        self.device_agents = [Device(self, p.name, u) for p in self.pools.values() if p.kind == "device"
                              for u in range(p.n)]
        # patients already inside (a "now" state) take their places before anyone arrives
        for k, pw in enumerate(sc.pathways.values()):
            for start in pw.start_in:
                si = [s.name for s in pw.steps].index(start.step)
                left = Sampler(pw.steps[si].duration, rng).residual(start.count).tolist()
                levels = np.array(list(pw.acuity), np.int64)
                probs = np.array(list(pw.acuity.values()), float)
                acu = levels[rng.choice(len(levels), size=start.count, p=probs / probs.sum())].tolist()
                for j in range(start.count):
                    pid = self._admit(k, int(acu[j]), -1, initial=True)
                    self.env.process(patient_process(self, pid, si, float(left[j])))
        self.env.process(self._arrivals())
        self.env.process(self._marks())

    # -- processes -------------------------------------------------------------------
    def _arrivals(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        plan = self.plan
        for t, pw, ac, iso in zip(plan.time.tolist(), plan.pathway.tolist(), plan.acuity.tolist(),
                                  plan.isolate.tolist(), strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            pid = self._admit(pw, ac, self.cpathways[pw].arrive)
            env.process(patient_process(self, pid, isolate=iso))

    def _marks(self) -> Generator[simpy.Event, Any, None]:
        # the warm-up end, then the batch boundaries
        b = self.scenario.run.batches or 1
        span = (self.horizon - self.warmup) / b
        for j in range(b):
            t = self.warmup + j * span
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self.marks.append(mark(self))

    def _admit(self, pw: int, acuity: int, loc: int, *, initial: bool = False) -> int:
        self._sys_acc()
        self.in_system += 1
        pid = self.patients.add(pw, acuity, self.env.now, loc, initial=initial)
        self.p_agent.append(None)
        self.inside[pid] = None
        return pid

    # -- bookkeeping -----------------------------------------------------------------
    def _sys_acc(self) -> None:
        now = self.env.now
        self.sys_area += self.in_system * (now - self._sys_t)
        self._sys_t = now

    def record_step(self, pid: int, step: str, q0: float, start: float, end: float, *,
                    wait_space: int, space: int, units: list[tuple[Pool, int]], walk: float, walked: float,
                    outcome: str) -> None:
        """Write the event row of one step of patient ``pid`` (the one place event rows are built)."""
        rec = self.recorder
        if not rec.keep_events:
            return
        ps, ids = self.patients, self.space_ids
        rec.event(EventRow(pid, ps.pathway_names[ps.pathway[pid]], ps.acuity[pid], step, q0, start, end,
                           ids[wait_space] if wait_space >= 0 else "", ids[space] if space >= 0 else "",
                           ",".join([p.labels[u] for p, u in units]),
                           ",".join([p.labels[u] for p, u in units if p.kind == "staff"]), walk, walked,
                           outcome))

    def record_patient(self, pid: int, departure: float, outcome: str, *, boarding: float = math.nan) -> None:
        """Write the row of patient ``pid`` (at leaving, or at the end of the run)."""
        ps = self.patients
        target = ps.target[pid]
        if math.isnan(target) and not math.isnan(departure):
            target = departure - ps.arrival[pid]
        self.recorder.patient(PatientRow(
            pid, ps.pathway_name(pid), ps.acuity[pid], ps.arrival[pid], departure, outcome, boarding, target,
            ps.initial[pid], ps.isolated[pid], ps.cohorted[pid], ps.iso_wait[pid], ps.diverted_at[pid]))

    def depart(self, pid: int, outcome: str, boarding: float) -> None:
        """Record a patient leaving and remove its agent."""
        self._sys_acc()
        self.in_system -= 1
        self.departed += 1
        self.record_patient(pid, self.env.now, outcome, boarding=boarding)
        ps = self.patients
        ps.loc[pid] = -1
        ps.activity[pid] = outcome
        del self.inside[pid]
        agent = self.p_agent[pid]
        if agent is not None:
            agent.remove()
            self.p_agent[pid] = None

    # -- public face -----------------------------------------------------------------
    def patient_agents(self) -> list[Patient]:
        """Mesa handles of the patients in the hospital now, in arrival order."""
        out = []
        for pid in self.inside:
            a = self.p_agent[pid]
            if a is None:
                a = self.p_agent[pid] = Patient(self, pid)
            out.append(a)
        return out

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Every agent: staff, devices and the patients in the hospital now (Mesa's ``model.agents``)."""
        self.patient_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], mesa.agent.AgentSet]:
        """Agents by class (``Patient``, ``StaffMember``, ``Device``), patients as of now."""
        self.patient_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """The agent classes present, patients included."""
        self.patient_agents()
        return super().agent_types

    @property
    def battery_depleted(self) -> int:
        """Device uses that outlasted their battery, so far."""
        return sum(p.on_release.depleted for p in self.pools.values() if isinstance(p.on_release, Battery))

    def space_name(self, idx: int) -> str:
        """Space id of a space index ('' for -1)."""
        return self.space_ids[idx] if idx >= 0 else ""

    def step(self) -> None:
        """Advance the clock by :attr:`step_min` minutes: Mesa's step.

        Mesa counts calls in ``model.steps`` and a ``DataCollector`` keys its
        rows by it, so ``while model.running: model.step(); collector.collect(model)``
        samples the hospital every ``step_min`` minutes; ``running`` turns
        false at the end of the run (call :meth:`finish` for the results).
        """
        self.run_until(self.env.now + self.step_min)
        if self.env.now >= self.horizon:
            self.running = False

    def run_until(self, t: float) -> None:
        """Advance the clock to ``t`` minutes (not past the run length)."""
        self.env.run(until=min(t, self.horizon))

    def release(self) -> None:
        """Let the model be garbage-collected once its results are taken
        (:func:`agents.release.release_model`); the model must not be used afterwards."""
        release_model(self)

    def finish(self) -> None:
        """Run to the end, close the integrals and record who is still inside."""
        if self.env.now < self.horizon:
            self.env.run(until=self.horizon)
        self._sys_acc()
        for p in self.pools.values():
            p.close()
        self.waits.close(self.env.now)
        ps = self.patients
        for pid in self.inside:
            cur: StepInProgress | None = ps.current[pid]
            if cur is not None:  # started but not finished: its wait is known, its end is not
                self.record_step(pid, cur.step, cur.queue_enter, cur.start, math.nan,
                                 wait_space=cur.wait_space, space=cur.space, units=cur.units, walk=0.0,
                                 walked=0.0, outcome="in_progress")
            iso = ps.isolation[pid]
            if iso is not None:
                self.record_step(pid, iso.step, iso.queue_enter, iso.start, math.nan,
                                 wait_space=iso.wait_space, space=iso.space, units=iso.units, walk=0.0,
                                 walked=0.0, outcome="in_progress")
            self.record_patient(pid, math.nan, "in_system")
