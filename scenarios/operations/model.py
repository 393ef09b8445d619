"""The operations model: a SimPy clock and queues, with Mesa agents as handles.

:class:`OpsModel` compiles a scenario against a facility once (pools of
units, walking matrices, samplers, the arrival plan), then runs the SimPy
environment.  Patients, staff and devices are Mesa agents so the population
can be listed, inspected and handed to the evacuation model, but they are
light handles: a patient agent reads its state from the model's per-patient
lists, a staff member or device from its pool's per-unit lists.  Patient
handles are made on demand (:meth:`OpsModel.patient_agents`) for the patients
in the hospital at that moment and dropped when they leave, so a year of
patients never pays Mesa's per-agent registration in the hot loop.

Rosters, breaks, device failures, maintenance and battery charging are
offline periods of pool units (:mod:`scenarios.operations.resources`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import simpy

from agents.devices import Device
from agents.patients import Patient
from agents.staff import StaffMember
from scenarios.errors import RunError
from scenarios.operations.arrivals import ArrivalPlan, plan_arrivals
from scenarios.operations.distributions import Sampler
from scenarios.operations.pathways import patient_process
from scenarios.operations.recorder import Recorder
from scenarios.operations.resources import NearestPool, Pool
from scenarios.operations.schema import EXIT, OperationsScenario, Resource
from scenarios.operations.walking import WalkMatrices, walk_matrices

if TYPE_CHECKING:
    from facility.model import Facility

__all__ = ["CompiledPathway", "CompiledStep", "OpsModel", "roster_changes"]


class _Uniform:
    """Buffered U(0,1) draws for branch choices."""

    __slots__ = ("_buf", "_i", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._rng.random(1024).tolist()
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v


@dataclass(slots=True)
class CompiledStep:
    """A pathway step bound to pools, spaces and samplers."""

    name: str
    needs: list[list[Pool]]
    duration: Callable[[], float]
    space: int
    wait: int
    hold: frozenset[str]
    ends_target: bool
    place: int  # index into needs of the pool whose unit says where the step happens, or -1
    renege: bool
    label: str
    wait_label: str
    default_next: int
    cum: list[float] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    uniform: Callable[[], float] | None = None

    def choose_next(self) -> int:
        """Index of the next step, or -1 to leave."""
        if not self.targets:
            return self.default_next
        assert self.uniform is not None
        u = self.uniform()
        for c, t in zip(self.cum, self.targets, strict=True):
            if u < c:
                return t
        return self.targets[-1]


@dataclass(slots=True)
class CompiledPathway:
    name: str
    mobility: str
    patience: Callable[[], float] | None
    arrive: int
    steps: list[CompiledStep]


def roster_changes(res: Resource, horizon_min: float) -> list[tuple[float, int]]:
    """On-duty count of a rostered pool as (time, count) steps from time 0.

    >>> from scenarios.operations.schema import Shift
    >>> r = Resource(kind="staff", roster=[Shift(start=8, end=20, count=2), Shift(start=20, end=8, count=1)])
    >>> roster_changes(r, 1440.0)
    [(0.0, 1), (480.0, 2), (1200.0, 1)]
    """
    deltas: dict[float, int] = {}
    days = math.ceil(horizon_min / 1440.0) + 1
    for sh in res.roster:
        for d in range(-1, days):
            if d % 7 not in sh.days:
                continue
            a = d * 1440.0 + sh.start * 60.0
            b = a + sh.minutes()
            if b <= 0 or a >= horizon_min:
                continue
            a = max(a, 0.0)
            deltas[a] = deltas.get(a, 0) + sh.count
            if b < horizon_min:
                deltas[b] = deltas.get(b, 0) - sh.count
    out: list[tuple[float, int]] = []
    level = 0
    for t in sorted(deltas):
        level += deltas[t]
        if not out or out[-1][1] != level:
            out.append((t, level))
    if not out or out[0][0] > 0:
        out.insert(0, (0.0, 0))
    return out


class OpsModel(mesa.Model):
    """One replication of an operations scenario on a facility.

    Args:
        scenario: The scenario.
        facility: The building (used for spaces and walking).
        rng: The replication's generator (the only source of randomness).
    """

    def __init__(self, scenario: OperationsScenario, facility: Facility, rng: np.random.Generator) -> None:
        # Mesa gets its own seed drawn from our generator, so nothing is unseeded.
        super().__init__(rng=int(rng.integers(2**62)))
        self.scenario = sc = scenario
        self.facility = facility
        self.gen = rng
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
        hours = max(1, math.ceil(self.horizon / 60.0))
        self.pools: dict[str, Pool] = {}
        # Global acquisition order (rules out circular waits): places and devices
        # before staff, so staff are not kept idle while a patient waits for a room.
        names = list(sc.resources)
        order = sorted(names, key=lambda n: (sc.resources[n].kind == "staff", names.index(n)))
        for name, res in sc.resources.items():
            self.pools[name] = self._pool(name, order.index(name), res, hours)
        uniform = _Uniform(rng)
        self.cpathways = [self._compile(name, pw, uniform) for name, pw in sc.pathways.items()]
        self.plan: ArrivalPlan = plan_arrivals(sc, rng)
        # per-patient state (index = patient id)
        self.p_pathway: list[int] = []
        self.p_acuity: list[int] = []
        self.p_arrival: list[float] = []
        self.p_loc: list[int] = []
        self.p_activity: list[str] = []
        self.p_device: list[str | None] = []
        # the step in progress: (step, queue entry, start, space, units)
        self.p_current: list[tuple[str, float, float, int, Any] | None] = []
        self.p_target: list[float] = []  # minutes from arrival to the end of the target clock
        self.p_agent: list[Patient | None] = []
        self.in_system = 0
        self.inside: dict[int, None] = {}  # ids of patients in the hospital, in arrival order
        self.departed = 0
        self.sys_area = 0.0
        self._sys_t = 0.0
        self.battery_depleted = 0
        self.staff_agents = [StaffMember(self, p.name, u) for p in self.pools.values() if p.kind == "staff"
                             for u in range(p.n)]
        self.device_agents = [Device(self, p.name, u) for p in self.pools.values() if p.kind == "device"
                              for u in range(p.n)]
        self.p_initial: list[bool] = []
        # patients already inside (a "now" state) take their places before anyone arrives
        for k, pw in enumerate(sc.pathways.values()):
            for start in pw.start_in:
                si = [s.name for s in pw.steps].index(start.step)
                step_dist = pw.steps[si].duration
                left = Sampler(step_dist, rng).residual(start.count).tolist()
                levels = np.array(list(pw.acuity), np.int64)
                probs = np.array(list(pw.acuity.values()), float)
                acu = levels[rng.choice(len(levels), size=start.count, p=probs / probs.sum())].tolist()
                for j in range(start.count):
                    pid = self._admit(k, int(acu[j]), -1, initial=True)
                    self.env.process(patient_process(self, pid, si, float(left[j])))
        self.env.process(self._arrivals())
        self.warm_areas: dict[str, tuple[float, float, float]] = {}
        self.env.process(self._mark_warmup())

    # -- building ------------------------------------------------------------------
    def _spaces_of(self, use: str | None) -> list[int]:
        if use is None:
            return []
        return self.walk.use_spaces.get(use, [])

    def _pool(self, name: str, index: int, res: Resource, hours: int) -> Pool:
        env, rng = self.env, self.gen
        homes = self._spaces_of(res.space_use)
        if res.kind == "room" or (res.kind == "device" and not res.mobile and homes):
            n = res.count if res.count is not None else len(homes)
            units = [homes[i % len(homes)] for i in range(n)] if homes else [-1] * n
        elif res.kind == "bed":
            per_space = [i for i in homes for _ in range(max(1, self.walk.beds[i]))]
            n = res.count if res.count is not None else len(per_space)
            units = [per_space[i % len(per_space)] for i in range(n)] if per_space else [-1] * n
        else:
            changes = roster_changes(res, self.horizon) if res.roster else []
            n = max(res.count or 0, max((c for _, c in changes), default=0))
            home = homes[0] if homes else -1
            units = [home] * n
        if not units:
            raise RunError(f"resource {name!r} has no units: give 'count' or a 'space_use' the facility has")
        turnaround = Sampler(res.turnaround, rng) if res.turnaround is not None else None
        pool: Pool
        if res.kind == "staff" or res.mobile:
            pool = NearestPool(env, name, index, res.kind, units, hours=hours, preemptive=res.preemptive,
                               turnaround=turnaround, dist=self.staff_len if self.walking else None)
        else:
            pool = Pool(env, name, index, res.kind, units, hours=hours, preemptive=res.preemptive,
                        turnaround=turnaround)
        pool.mobile = res.mobile
        pool.bound = res.kind in ("room", "bed") or (res.kind == "device" and not res.mobile and bool(homes))
        if res.roster:
            env.process(self._roster(pool, res))
        if res.failures is not None:
            for u in range(pool.n):
                env.process(self._failures(pool, u, Sampler(res.failures.mtbf, rng),
                                           Sampler(res.failures.mttr, rng)))
        if res.maintenance is not None:
            for u in range(pool.n):
                env.process(self._maintenance(pool, u, res))
        if res.battery is not None:
            pool.on_release = _Battery(self, pool, res.battery.capacity_min, res.battery.recharge_min,
                                       res.battery.threshold, on_mains=res.battery.on_mains)
        return pool

    def _compile(self, name: str, pw: Any, uniform: _Uniform) -> CompiledPathway:
        rng = self.gen
        names = [s.name for s in pw.steps]
        steps = []
        for i, s in enumerate(pw.steps):
            needs = []
            for item in s.needs:
                alts = item if isinstance(item, list) else [item]
                needs.append([self.pools[a] for a in alts])
            needs.sort(key=lambda alts: min(p.index for p in alts))
            place = -1
            for j, alts in enumerate(needs):
                p = alts[0]
                if len(alts) == 1 and p.bound and (s.space_use is None or
                                                   self.scenario.resources[p.name].space_use == s.space_use):
                    place = j
                    break
            sp = self._spaces_of(s.space_use)
            wt = self._spaces_of(s.wait_use)
            cum = list(np.cumsum([b.p for b in s.next])) if s.next else []
            targets = [-1 if b.to == EXIT else names.index(b.to) for b in s.next]
            steps.append(CompiledStep(
                name=s.name, needs=needs, duration=Sampler(s.duration, rng), space=sp[0] if sp else -1,
                wait=wt[0] if wt else -1, hold=frozenset(s.hold), ends_target=s.name in pw.target_ends_at,
                place=place, renege=s.renege, label=s.name,
                wait_label=f"waiting:{s.name}", default_next=i + 1 if i + 1 < len(pw.steps) else -1,
                cum=[float(c) for c in cum], targets=targets, uniform=uniform))
        arrive = self._spaces_of(pw.arrive_use or pw.steps[0].wait_use or pw.steps[0].space_use)
        patience = Sampler(pw.patience, rng) if pw.patience is not None else None
        return CompiledPathway(name, pw.mobility, patience, arrive[0] if arrive else -1, steps)

    # -- processes -------------------------------------------------------------------
    def _arrivals(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        plan = self.plan
        for t, pw, ac in zip(plan.time.tolist(), plan.pathway.tolist(), plan.acuity.tolist(), strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            pid = self._admit(pw, ac, self.cpathways[pw].arrive)
            env.process(patient_process(self, pid))

    def _admit(self, pw: int, acuity: int, loc: int, *, initial: bool = False) -> int:
        pid = len(self.p_pathway)
        self._sys_acc()
        self.in_system += 1
        self.p_pathway.append(pw)
        self.p_acuity.append(acuity)
        self.p_arrival.append(self.env.now)
        self.p_loc.append(loc)
        self.p_activity.append("arriving")
        self.p_device.append(None)
        self.p_current.append(None)
        self.p_target.append(math.nan)
        self.p_agent.append(None)
        self.p_initial.append(initial)
        self.inside[pid] = None
        return pid

    def _mark_warmup(self) -> Generator[simpy.Event, Any, None]:
        if self.warmup > 0:
            yield self.env.timeout(self.warmup)
        for name, p in self.pools.items():
            p._acc()
            self.warm_areas[name] = (p.area_busy, p.area_online, p.area_queue)

    def _roster(self, pool: Pool, res: Resource) -> Generator[simpy.Event, Any, None]:
        env = self.env
        for u in range(pool.n):
            pool._go_offline(u, "off_shift", None)
        events: list[tuple[float, int, float]] = [(t, c, -1.0) for t, c in roster_changes(res, self.horizon)]
        for sh in res.roster:
            if sh.break_min <= 0 or sh.count == 0:
                continue
            for d in range(-1, int(self.horizon // 1440) + 1):
                if d % 7 not in sh.days:
                    continue
                a = d * 1440.0 + sh.start * 60.0
                for k in range(sh.count):  # spread breaks over the shift
                    tb = a + sh.minutes() * (k + 1) / (sh.count + 1) - sh.break_min / 2
                    if 0 <= tb < self.horizon:
                        events.append((tb, -1, sh.break_min))
        events.sort()
        level = 0
        for t, count, brk in events:
            if t > env.now:
                yield env.timeout(t - env.now)
            if brk >= 0:
                pool.take_offline("break", brk)
                continue
            if count > level:
                pool.bring_online("off_shift", count - level)
            else:
                for _ in range(level - count):
                    pool.take_offline("off_shift", None)
            level = count

    def _failures(self, pool: Pool, u: int, ttf: Sampler, ttr: Sampler) -> Generator[simpy.Event, Any, None]:
        env = self.env
        while True:
            yield env.timeout(ttf())
            pool.fail_unit(u, "failed", ttr())

    def _maintenance(self, pool: Pool, u: int, res: Resource) -> Generator[simpy.Event, Any, None]:
        m = res.maintenance
        assert m is not None
        env = self.env
        # units are staggered by a day so a pool is never all in maintenance at once
        t = (m.first_day + u) * 1440.0 + m.start * 60.0
        while t < self.horizon:
            if t > env.now:
                yield env.timeout(t - env.now)
            pool.fail_unit(u, "maintenance", m.duration_h * 60.0)
            t += m.every_days * 1440.0

    # -- bookkeeping -----------------------------------------------------------------
    def _sys_acc(self) -> None:
        now = self.env.now
        self.sys_area += self.in_system * (now - self._sys_t)
        self._sys_t = now

    def depart(self, pid: int, outcome: str, boarding: float) -> None:
        """Record a patient leaving and drop its agent."""
        self._sys_acc()
        self.in_system -= 1
        self.departed += 1
        pw = self.cpathways[self.p_pathway[pid]].name
        target = self.p_target[pid]
        if math.isnan(target):
            target = self.env.now - self.p_arrival[pid]
        self.recorder.patient((pid, pw, self.p_acuity[pid], self.p_arrival[pid], self.env.now, outcome,
                               boarding, target, self.p_initial[pid]))
        self.p_loc[pid] = -1
        del self.inside[pid]
        self.p_activity[pid] = outcome
        agent = self.p_agent[pid]
        if agent is not None:
            agent.remove()
            self.p_agent[pid] = None

    def patient_agents(self) -> list[Patient]:
        """Mesa handles of the patients in the hospital now (made on first request)."""
        out = []
        for pid in self.inside:
            a = self.p_agent[pid]
            if a is None:
                a = self.p_agent[pid] = Patient(self, pid)
            out.append(a)
        return out

    def space_name(self, idx: int) -> str:
        return self.space_ids[idx] if idx >= 0 else ""

    def run_until(self, t: float) -> None:
        """Advance the clock to ``t`` minutes (not past the run length)."""
        self.env.run(until=min(t, self.horizon))

    def finish(self) -> None:
        """Run to the end, close the integrals and record who is still inside."""
        if self.env.now < self.horizon:
            self.env.run(until=self.horizon)
        self._sys_acc()
        for p in self.pools.values():
            p.close()
        for pid in self.inside:
            pw = self.cpathways[self.p_pathway[pid]].name
            cur = self.p_current[pid]
            if cur is not None:  # started but not finished: its wait is known
                step, q0, start, dest, units = cur
                names = ",".join(f"{p.name}#{u}" for p, u in units)
                self.recorder.event((pid, pw, self.p_acuity[pid], step, q0, start, math.nan,
                                     self.space_name(dest), names, 0.0, 0.0, "in_progress"))
            self.recorder.patient((pid, pw, self.p_acuity[pid], self.p_arrival[pid], math.nan,
                                   "in_system", math.nan, self.p_target[pid], self.p_initial[pid]))


class _Battery:
    """Release hook of a mobile device pool: drain by use, recharge when low."""

    def __init__(self, model: OpsModel, pool: Pool, capacity: float, recharge: float,
                 threshold: float, *, on_mains: bool = False) -> None:
        self.model = model
        self.on_mains = on_mains
        self.capacity = capacity
        self.recharge = recharge
        self.threshold = threshold
        self.charge = [capacity] * pool.n

    def __call__(self, u: int, used: float) -> float | None:
        if self.on_mains:
            return None
        c = self.charge[u] - used
        if c < 0:
            self.model.battery_depleted += 1
            c = 0.0
        if c < self.threshold * self.capacity:
            self.charge[u] = self.capacity
            return self.recharge * (1.0 - c / self.capacity)
        self.charge[u] = c
        return None
