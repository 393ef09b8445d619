"""A scenario bound to a facility: pools of units and pathways of compiled steps.

Done once per replication before the clock starts, so the patient process
only follows indices: each step knows the pools it needs (in the global
acquisition order that rules out circular waits), the spaces where it
happens and where its patients wait, its duration sampler and its branches.
Staff cohorting is compiled here too: a staff pool with ``cohort_units`` is
split into the pool other patients use and a ``<name>.cohort`` pool, and the
steps of isolated patients are compiled a second time against the cohort pools.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import simpy

from scenarios.errors import RunError
from scenarios.operations import availability
from scenarios.operations.distributions import Sampler
from scenarios.operations.resources import NearestPool, Pool
from scenarios.operations.schema import EXIT, OperationsScenario, Pathway, Resource, Shift

if TYPE_CHECKING:
    from scenarios.operations.walking import WalkMatrices

__all__ = ["COHORT_SUFFIX", "CompiledIsolation", "CompiledPathway", "CompiledStep", "build_pools",
           "compile_pathway", "pool_resources"]

#: Name suffix of the pool of units a staff pool dedicates to isolated patients.
COHORT_SUFFIX = ".cohort"


class Uniform:
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
    on_full: int  # step index a patient goes to when a needed pool is full, or -1 to leave
    cum: list[float] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    uniform: Callable[[], float] | None = None
    limited: bool = False  # some need has a queue limit

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
class CompiledIsolation:
    """A pathway's isolation policy bound to pools and step indices."""

    after: int
    until: int  # -1: held until the patient leaves
    room: Pool
    cohort: Pool | None


@dataclass(slots=True)
class CompiledPathway:
    """A pathway's steps (and the variant its isolated patients follow)."""

    name: str
    mobility: str
    patience: Callable[[], float] | None
    arrive: int
    steps: list[CompiledStep]
    iso_steps: list[CompiledStep]
    isolation: CompiledIsolation | None


def _split(res: Resource) -> tuple[Resource, Resource]:
    """A cohorted staff resource as (the rest, the cohort)."""
    k = res.cohort_units
    if res.roster:
        rest = [sh.model_copy(update={"count": sh.count - min(k, sh.count)}) for sh in res.roster]
        coh: list[Shift] = [sh.model_copy(update={"count": min(k, sh.count)}) for sh in res.roster]
        return (res.model_copy(update={"roster": rest, "cohort_units": 0}),
                res.model_copy(update={"roster": coh, "cohort_units": 0}))
    n = res.count or 0
    return (res.model_copy(update={"count": n - k, "cohort_units": 0}),
            res.model_copy(update={"count": k, "cohort_units": 0}))


def pool_resources(sc: OperationsScenario) -> dict[str, Resource]:
    """The resource each pool is built from, by pool name (a cohorted staff pool is two)."""
    out: dict[str, Resource] = {}
    for name, res in sc.resources.items():
        if res.cohort_units:
            out[name], out[name + COHORT_SUFFIX] = _split(res)
        else:
            out[name] = res
    return out


def build_pools(sc: OperationsScenario, env: simpy.Environment, walk: WalkMatrices, rng: np.random.Generator,
                *, walking: bool) -> dict[str, Pool]:
    """Every pool of the scenario, with its availability processes started."""
    horizon = sc.run.length_min
    hours = max(1, math.ceil(horizon / 60.0))
    # Global acquisition order (rules out circular waits): places and devices
    # before staff, so staff are not kept idle while a patient waits for a room.
    names = list(sc.resources)
    order = sorted(names, key=lambda n: (sc.resources[n].kind == "staff", names.index(n)))
    pools: dict[str, Pool] = {}
    for pname, r in pool_resources(sc).items():
        base = pname[:-len(COHORT_SUFFIX)] if pname not in sc.resources else pname
        pools[pname] = _pool(pname, order.index(base), r, env, walk, rng, horizon=horizon, hours=hours,
                             walking=walking)
    return pools


def _pool(name: str, index: int, res: Resource, env: simpy.Environment, walk: WalkMatrices,  # noqa: PLR0917
          rng: np.random.Generator, *, horizon: float, hours: int, walking: bool) -> Pool:
    homes = walk.use_spaces.get(res.space_use, []) if res.space_use else []
    if res.kind == "room" or (res.kind == "device" and not res.mobile and homes):
        n = res.count if res.count is not None else len(homes)
        units = [homes[i % len(homes)] for i in range(n)] if homes else [-1] * n
    elif res.kind == "bed":
        per_space = [i for i in homes for _ in range(max(1, walk.beds[i]))]
        n = res.count if res.count is not None else len(per_space)
        units = [per_space[i % len(per_space)] for i in range(n)] if per_space else [-1] * n
    else:
        changes = availability.roster_changes(res, horizon) if res.roster else []
        n = max(res.count or 0, max((c for _, c in changes), default=0))
        home = homes[0] if homes else -1
        units = [home] * n
    if not units:
        raise RunError(f"resource {name!r} has no units: give 'count' or a 'space_use' the facility has")
    turnaround = Sampler(res.turnaround, rng) if res.turnaround is not None else None
    pool: Pool
    if res.kind == "staff" or res.mobile:
        pool = NearestPool(env, name, index, res.kind, units, hours=hours, preemptive=res.preemptive,
                           turnaround=turnaround, dist=walk.staff_len if walking else None,
                           queue_limit=res.queue_limit)
    else:
        pool = Pool(env, name, index, res.kind, units, hours=hours, preemptive=res.preemptive,
                    turnaround=turnaround, queue_limit=res.queue_limit)
    pool.mobile = res.mobile
    pool.bound = res.kind in ("room", "bed") or (res.kind == "device" and not res.mobile and bool(homes))
    if res.roster:
        env.process(availability.roster(env, pool, res, horizon))
    if res.failures is not None:
        for u in range(pool.n):
            env.process(availability.failures(env, pool, u, Sampler(res.failures.mtbf, rng),
                                              Sampler(res.failures.mttr, rng)))
    if res.maintenance is not None:
        for u in range(pool.n):
            env.process(availability.maintenance(env, pool, u, res.maintenance, horizon))
    if res.battery is not None:
        b = res.battery
        pool.on_release = availability.Battery(pool.n, b.capacity_min, b.recharge_min, b.threshold,
                                               on_mains=b.on_mains)
    for c in res.closures:
        if c.space is not None:
            idx = walk.space_ids.index(c.space) if c.space in walk.space_ids else -2
            closed = [u for u in range(pool.n) if pool.home[u] == idx]
            if not closed:
                raise RunError(f"resource {name!r}: closure of space {c.space!r}, which has none of its "
                               "units")
        else:
            closed = list(range(min(c.count or 0, pool.n)))
        env.process(availability.closure(env, pool, closed, c))
    return pool


def compile_pathway(name: str, pw: Pathway, pools: dict[str, Pool], sc: OperationsScenario,  # noqa: PLR0917
                    walk: WalkMatrices, rng: np.random.Generator, uniform: Uniform) -> CompiledPathway:
    """Bind a pathway's steps to pools, spaces and samplers."""
    steps = _steps(pw, pools, sc, walk, rng, uniform, cohort=False)
    iso = pw.isolation
    if iso is None:
        return CompiledPathway(name, pw.mobility, _patience(pw, rng), _arrive(pw, walk), steps, steps, None)
    cohorted = any(n + COHORT_SUFFIX in pools for st in pw.steps for item in st.needs
                   for n in (item if isinstance(item, list) else [item]))
    iso_steps = _steps(pw, pools, sc, walk, rng, uniform, cohort=True, shared=steps) if cohorted else steps
    names = [s.name for s in pw.steps]
    ci = CompiledIsolation(after=names.index(iso.after) if iso.after else 0,
                           until=names.index(iso.until) if iso.until else -1, room=pools[iso.room],
                           cohort=pools[iso.cohort] if iso.if_full == "cohort" and iso.cohort else None)
    return CompiledPathway(name, pw.mobility, _patience(pw, rng), _arrive(pw, walk), steps, iso_steps, ci)


def _patience(pw: Pathway, rng: np.random.Generator) -> Callable[[], float] | None:
    return Sampler(pw.patience, rng) if pw.patience is not None else None


def _arrive(pw: Pathway, walk: WalkMatrices) -> int:
    use = pw.arrive_use or pw.steps[0].wait_use or pw.steps[0].space_use
    spaces = walk.use_spaces.get(use, []) if use else []
    return spaces[0] if spaces else -1


def _steps(pw: Pathway, pools: dict[str, Pool], sc: OperationsScenario, walk: WalkMatrices,  # noqa: PLR0917
           rng: np.random.Generator, uniform: Uniform, *, cohort: bool,
           shared: list[CompiledStep] | None = None) -> list[CompiledStep]:
    names = [s.name for s in pw.steps]

    def pool(n: str) -> Pool:
        return pools[n + COHORT_SUFFIX] if cohort and n + COHORT_SUFFIX in pools else pools[n]

    def spaces(use: str | None) -> list[int]:
        return walk.use_spaces.get(use, []) if use else []

    out = []
    for i, s in enumerate(pw.steps):
        needs: list[list[Pool]] = []
        for item in s.needs:
            alts = item if isinstance(item, list) else [item]
            needs.append([pool(a) for a in alts])
        needs.sort(key=lambda alts: min(p.index for p in alts))
        place = -1
        for j, group in enumerate(needs):
            p = group[0]
            if len(group) == 1 and p.bound and (s.space_use is None or
                                               sc.resources[p.name].space_use == s.space_use):
                place = j
                break
        sp, wt = spaces(s.space_use), spaces(s.wait_use)
        cum = list(np.cumsum([b.p for b in s.next])) if s.next else []
        targets = [-1 if b.to == EXIT else names.index(b.to) for b in s.next]
        # The isolated variant shares the duration sampler of the plain step: a
        # patient's draws do not depend on which variant they follow.
        duration = shared[i].duration if shared is not None else Sampler(s.duration, rng)
        out.append(CompiledStep(
            name=s.name, needs=needs, duration=duration, space=sp[0] if sp else -1,
            wait=wt[0] if wt else -1, hold=frozenset(s.hold), ends_target=s.name in pw.target_ends_at,
            place=place, renege=s.renege, label=s.name, wait_label=f"waiting:{s.name}",
            default_next=i + 1 if i + 1 < len(pw.steps) else -1,
            on_full=-1 if s.on_full == EXIT else names.index(s.on_full),
            cum=[float(c) for c in cum], targets=targets, uniform=uniform,
            limited=any(p.queue_limit is not None for alts in needs for p in alts)))
    return out

