"""When pool units are on duty: rosters and breaks, failures, maintenance, closures, batteries.

Each is a SimPy process (or a release hook) over one pool that takes units
offline and brings them back through the pool's own methods; none of them
touches a patient.  Offline periods never interrupt work in progress (see
:mod:`scenarios.operations.resources`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy

from scenarios.operations.resources import Pool
from scenarios.operations.schema import Closure, Maintenance, Resource

__all__ = ["Battery", "closure", "failures", "maintenance", "roster", "roster_changes"]

#: Offline reasons of a closed unit and of its terminal clean.
CLOSED, DEEP_CLEAN = "closed", "deep_clean"


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


def roster(env: simpy.Environment, pool: Pool, res: Resource,
           horizon: float) -> Generator[simpy.Event, Any, None]:
    """Shift changes and breaks of a rostered staff pool."""
    for u in range(pool.n):
        pool._go_offline(u, "off_shift", None)
    events: list[tuple[float, int, float]] = [(t, c, -1.0) for t, c in roster_changes(res, horizon)]
    for sh in res.roster:
        if sh.break_min <= 0 or sh.count == 0:
            continue
        for d in range(-1, int(horizon // 1440) + 1):
            if d % 7 not in sh.days:
                continue
            a = d * 1440.0 + sh.start * 60.0
            for k in range(sh.count):  # spread breaks over the shift
                tb = a + sh.minutes() * (k + 1) / (sh.count + 1) - sh.break_min / 2
                if 0 <= tb < horizon:
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


def failures(env: simpy.Environment, pool: Pool, u: int, ttf: Callable[[], float],
             ttr: Callable[[], float]) -> Generator[simpy.Event, Any, None]:
    """Breakdowns of unit ``u``: calendar time to failure, then a repair."""
    while True:
        yield env.timeout(ttf())
        pool.fail_unit(u, "failed", ttr())


def maintenance(env: simpy.Environment, pool: Pool, u: int, m: Maintenance,
                horizon: float) -> Generator[simpy.Event, Any, None]:
    """Planned maintenance windows of unit ``u``."""
    # units are staggered by a day so a pool is never all in maintenance at once
    t = (m.first_day + u) * 1440.0 + m.start * 60.0
    while t < horizon:
        if t > env.now:
            yield env.timeout(t - env.now)
        pool.fail_unit(u, "maintenance", m.duration_h * 60.0)
        t += m.every_days * 1440.0


def closure(env: simpy.Environment, pool: Pool, units: list[int],
            c: Closure) -> Generator[simpy.Event, Any, None]:
    """Close ``units`` from ``c.start_h`` to ``c.end_h``, then deep-clean them for ``c.deep_clean_h``."""
    t0, t1 = c.start_h * 60.0, c.end_h * 60.0
    if t0 > env.now:
        yield env.timeout(t0 - env.now)
    for u in units:
        pool.close_unit(u, CLOSED)
    yield env.timeout(t1 - env.now)
    for u in units:
        pool.reopen_unit(u, CLOSED, DEEP_CLEAN, c.deep_clean_h * 60.0)


class Battery:
    """Release hook of a mobile device pool: drain by use, recharge when low.

    Attributes:
        charge: Minutes of use left in each unit's battery.
        depleted: Uses that outlasted the battery.
    """

    def __init__(self, n: int, capacity: float, recharge: float, threshold: float, *,
                 on_mains: bool = False) -> None:
        self.on_mains = on_mains
        self.capacity = capacity
        self.recharge = recharge
        self.threshold = threshold
        self.charge = [capacity] * n
        self.depleted = 0

    def __call__(self, u: int, used: float) -> float | None:
        """Drain unit ``u`` by ``used`` minutes; minutes of charging needed now, or ``None``."""
        if self.on_mains:
            return None
        c = self.charge[u] - used
        if c < 0:
            self.depleted += 1
            c = 0.0
        if c < self.threshold * self.capacity:
            self.charge[u] = self.capacity
            return self.recharge * (1.0 - c / self.capacity)
        self.charge[u] = c
        return None
