"""Pools of scarce units (staff, rooms, beds, devices) with request and release.

A :class:`Pool` is SimPy-style: ``request`` returns an event that succeeds
with the unit granted, ``release`` gives it back.  It differs from
``simpy.PriorityResource`` in what a hospital needs:

* units are individual (a nurse has a position and walks; a bed is in a
  room; a pump has a battery), kept in flat lists indexed by unit;
* a unit can go *offline* (shift end, break, failure, maintenance, cleaning,
  charging).  Offline requests never interrupt work: they take a free unit
  or wait for the next release, and are served before patients.  That is why
  breaks cannot deadlock: a unit that goes on break holds nothing else;
* ESI 1 requests may pre-empt the least urgent user on a pre-emptive pool;
* a pool may have a finite queue (``queue_limit``): a patient who finds no
  free unit and the queue full is turned away (:meth:`Pool.full`), which is
  counted as ``offered`` and ``blocked`` for the loss KPIs (Erlang B, M/M/c/K);
* units can be closed for a window (a bay closed in an outbreak) and reopen
  after a deep clean (:meth:`Pool.close_unit`, :meth:`Pool.reopen_unit`);
* time integrals of busy units, on-duty units and queue length are kept
  exactly (areas between changes) for utilisation, queue lengths and
  Little's law, both overall and per hour.

The hook a variant overrides is :meth:`Pool._pick`: which free unit to give
(:class:`NearestPool` gives the free unit nearest the patient, e.g. the nurse
closest to the cubicle).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy

__all__ = ["BUSY", "FREE", "OFF", "NearestPool", "Pool", "Preempted"]

FREE, BUSY, OFF = 0, 1, 2


class Preempted:
    """Cause of the interrupt a pre-empted patient process receives."""

    __slots__ = ("pool", "unit")

    def __init__(self, pool: Pool, unit: int) -> None:
        self.pool = pool
        self.unit = unit


class Pool:
    """A pool of units with a priority queue and offline periods.

    Args:
        env: The SimPy environment (the clock).
        name: Resource name from the scenario.
        index: Position in the model's pool list (the order in which a step
            acquires several resources; a global order prevents deadlock).
        kind: ``staff``, ``room``, ``bed`` or ``device``.
        unit_space: Space index of each unit (``-1`` if unknown); its length
            is the number of units.
        hours: Hourly bins to keep (run length in hours, rounded up).
        preemptive: Whether ESI 1 requests pre-empt.
        turnaround: Sampler of cleaning time after each use, or ``None``.
        queue_limit: Most requests that may wait (``None``: unlimited).
    """

    def __init__(self, env: simpy.Environment, name: str, index: int, kind: str, unit_space: list[int],
                 *, hours: int, preemptive: bool = False,
                 turnaround: Callable[[], float] | None = None, queue_limit: int | None = None) -> None:
        if not unit_space:
            raise ValueError(f"resource {name!r}: a pool needs at least one unit")
        if hours < 1:
            raise ValueError(f"'hours' must be >= 1, got {hours}")
        if queue_limit is not None and queue_limit < 0:
            raise ValueError(f"'queue_limit' must be >= 0 or None, got {queue_limit}")
        self.env = env
        self.name = name
        self.index = index
        self.kind = kind
        self.n = len(unit_space)
        self.preemptive = preemptive
        self.turnaround = turnaround
        self.mobile = False
        self.bound = False  # units are places (rooms, beds, fixed devices)
        n = self.n
        self.state = [FREE] * n
        self.loc = list(unit_space)
        self.home = list(unit_space)
        self.holder = [-1] * n
        self.labels = [f"{name}#{u}" for u in range(n)]  # how results name each unit
        self.closures = [0] * n  # closures in force on each unit (they may nest)
        self.prio = [0] * n
        self.proc: list[Any] = [None] * n
        self.since = [0.0] * n
        self.reason = [""] * n
        self.walked_m = [0.0] * n
        self.fail_pending: list[tuple[str, float | None] | None] = [None] * n
        self.on_release: Callable[[int, float], float | None] | None = None
        self.free = list(range(n - 1, -1, -1))
        self._queue: list[list[Any]] = []
        self._seq = 0
        self.queue_len = 0
        self._pending_off: deque[list[Any]] = deque()
        self.n_busy = 0
        self.n_online = n
        # exact time integrals
        self._t = 0.0
        self.area_busy = 0.0
        self.area_online = 0.0
        self.area_queue = 0.0
        self.h_busy = [0.0] * hours
        self.h_online = [0.0] * hours
        self.h_queue = [0.0] * hours
        self.offline_time: dict[str, float] = {}
        self.offline_count: dict[str, int] = {}
        self.granted = 0
        self.queue_limit = queue_limit
        self.offered = 0  # patients who reached a step needing this pool (counted when it has a limit)
        self.blocked = 0  # ... and found it full
        # active periods (see scenarios.operations.bottlenecks)
        self.p_start: list[float] = []
        self.p_end: list[float] = []

    # -- statistics --------------------------------------------------------------
    def _acc(self) -> None:
        now = self.env.now
        t = self._t
        if now <= t:
            return
        b, o, q = self.n_busy, self.n_online, self.queue_len
        dt = now - t
        if q > 0 or (o > 0 and b >= o):  # active (saturated) over [t, now)
            pe = self.p_end
            if pe and pe[-1] == t:
                pe[-1] = now
            else:
                self.p_start.append(t)
                pe.append(now)
        self.area_busy += b * dt
        self.area_online += o * dt
        self.area_queue += q * dt
        h = int(t // 60.0)
        hb, ho, hq = self.h_busy, self.h_online, self.h_queue
        last = len(hb) - 1
        if now <= (h + 1) * 60.0 and h < last:  # the common case: within one hour
            hb[h] += b * dt
            ho[h] += o * dt
            hq[h] += q * dt
            self._t = now
            return
        while t < now:
            end = min(now, (h + 1) * 60.0)
            d = end - t
            k = h if h < last else last
            hb[k] += b * d
            ho[k] += o * d
            hq[k] += q * d
            t = end
            h += 1
        self._t = now

    def active(self) -> bool:
        """Saturated: no free unit on duty, or patients waiting (the active-period state)."""
        return self.queue_len > 0 or (self.n_online > 0 and self.n_busy >= self.n_online)

    def full(self) -> bool:
        """No free unit and the queue at its limit: a new patient is turned away."""
        lim = self.queue_limit
        return lim is not None and not self.free and self.queue_len >= lim

    # -- the hook ----------------------------------------------------------------
    def _pick(self, near: int) -> int:
        """Which free unit to grant; the base takes the most recently freed."""
        return self.free.pop()

    # -- patients ----------------------------------------------------------------
    def try_acquire(self, pid: int, prio: int, near: int, proc: Any) -> int:
        """Grant a unit at once if one is free and nobody waits; else ``-1``."""
        if self.free and not self.queue_len and not self._pending_off:
            self._acc()
            u = self._pick(near)
            self._grant(u, pid, prio, proc)
            return u
        return -1

    def request(self, pid: int, prio: int, near: int, proc: Any) -> simpy.Event:
        """An event that succeeds with a unit; lower ``prio`` is served first."""
        ev = simpy.Event(self.env)
        u = self.try_acquire(pid, prio, near, proc)
        if u >= 0:
            ev.succeed(u)
            return ev
        if self.preemptive and prio == 1 and self._preempt(ev, pid, prio, proc):
            return ev
        self._acc()
        self._seq += 1
        entry = [prio, self._seq, ev, pid, near, proc]
        heapq.heappush(self._queue, entry)
        ev.entry = entry  # type: ignore[attr-defined]
        self.queue_len += 1
        return ev

    def cancel(self, ev: simpy.Event, pid: int) -> None:
        """Withdraw patient ``pid``'s request (reneging, pre-empted elsewhere, an alternative not needed).

        A request already granted gives its unit back, unless an ESI 1 patient
        pre-empted that unit in the same instant.
        """
        if ev.triggered:
            u = ev.value
            if isinstance(u, int) and self.holder[u] == pid:
                self.release(u)
            return
        entry = getattr(ev, "entry", None)
        if entry is not None and entry[2] is not None:
            self._acc()
            entry[2] = None
            self.queue_len -= 1

    def _grant(self, u: int, pid: int, prio: int, proc: Any) -> None:
        self.state[u] = BUSY
        self.holder[u] = pid
        self.prio[u] = prio
        self.proc[u] = proc
        self.since[u] = self.env.now
        self.n_busy += 1
        self.granted += 1

    def _preempt(self, ev: simpy.Event, pid: int, prio: int, proc: Any) -> bool:
        victim, worst = -1, prio
        for u in range(self.n):
            if self.state[u] == BUSY and self.prio[u] > worst and self.proc[u] is not None:
                victim, worst = u, self.prio[u]
        if victim < 0:
            return False
        self._acc()
        vproc = self.proc[victim]
        self.n_busy -= 1
        self._grant(victim, pid, prio, proc)
        ev.succeed(victim)
        if vproc.is_alive:
            vproc.interrupt(Preempted(self, victim))
        return True

    def release(self, u: int) -> None:
        """Give unit ``u`` back (after cleaning, if the pool has a turnaround)."""
        self._acc()
        self.n_busy -= 1
        self.holder[u] = -1
        self.proc[u] = None
        self.state[u] = FREE
        # a mobile device's battery hook returns minutes of charging needed, if any
        charge = self.on_release(u, self.env.now - self.since[u]) if self.on_release is not None else None
        fp = self.fail_pending[u]
        if fp is not None:
            self.fail_pending[u] = None
            self._go_offline(u, fp[0], fp[1])
            return
        if charge:
            self._go_offline(u, "charging", charge)
            return
        if self.turnaround is not None:
            self._go_offline(u, "cleaning", self.turnaround())
            return
        self._unit_free(u)

    def _unit_free(self, u: int) -> None:
        # Offline requests first (a break or shift end waits only for a free unit),
        # then the most urgent, longest-waiting patient.
        while self._pending_off:
            req = self._pending_off.popleft()
            if req[0] is None:  # withdrawn
                continue
            self._go_offline(u, req[0], req[1])
            return
        q = self._queue
        while q:
            entry = heapq.heappop(q)
            ev = entry[2]
            if ev is None:
                continue
            entry[2] = None
            self.queue_len -= 1
            self._grant(u, entry[3], entry[0], entry[5])
            ev.succeed(u)
            return
        self.state[u] = FREE
        self.free.append(u)

    # -- offline periods ---------------------------------------------------------
    def _go_offline(self, u: int, reason: str, duration: float | None) -> None:
        self._acc()
        if u in self.free:
            self.free.remove(u)
        self.state[u] = OFF
        self.reason[u] = reason
        self.since[u] = self.env.now
        self.n_online -= 1
        self.offline_count[reason] = self.offline_count.get(reason, 0) + 1
        if duration is not None:
            t = self.env.timeout(duration)
            t.callbacks.append(_Online(self, u))

    def online(self, u: int) -> None:
        """Bring offline unit ``u`` back on duty."""
        if self.state[u] != OFF:
            return
        self._acc()
        r = self.reason[u]
        self.offline_time[r] = self.offline_time.get(r, 0.0) + self.env.now - self.since[u]
        self.reason[u] = ""
        self.n_online += 1
        self.since[u] = self.env.now
        fp = self.fail_pending[u]
        if fp is not None:
            self.fail_pending[u] = None
            self._go_offline(u, fp[0], fp[1])
            return
        self._unit_free(u)

    def take_offline(self, reason: str, duration: float | None) -> None:
        """Take any one unit offline now if one is free, else at the next release."""
        if self.free:
            self._go_offline(self.free[-1], reason, duration)
        else:
            self._pending_off.append([reason, duration])

    def fail_unit(self, u: int, reason: str, duration: float) -> None:
        """Take unit ``u`` offline (a breakdown, maintenance).

        A unit in use goes when released; one already offline (charging,
        cleaning) goes straight on from there.
        """
        if self.state[u] == FREE:
            self._go_offline(u, reason, duration)
        elif self.fail_pending[u] is None:
            self.fail_pending[u] = (reason, duration)

    def bring_online(self, reason: str, k: int) -> None:
        """Put ``k`` units back on duty: first withdraw pending offline requests."""
        for req in self._pending_off:
            if k == 0:
                break
            if req[0] == reason:
                req[0] = None
                k -= 1
        for u in range(self.n):
            if k == 0:
                break
            if self.state[u] == OFF and self.reason[u] == reason:
                self.online(u)
                k -= 1

    def close_unit(self, u: int, reason: str) -> None:
        """Take unit ``u`` offline until :meth:`reopen_unit`: now if free, else when it is next free.

        Closures nest: a unit closed twice reopens at the second reopening.
        """
        self.closures[u] += 1
        if self.closures[u] > 1:
            return
        if self.state[u] == FREE:
            self._go_offline(u, reason, None)
        else:  # in use, or cleaning: the closure starts when the unit would come free
            self.fail_pending[u] = (reason, None)

    def reopen_unit(self, u: int, reason: str, then: str, duration: float) -> None:
        """End the ``reason`` closure of unit ``u``: offline for ``then`` during ``duration``, then free.

        A closure that never started (the unit stayed in use throughout) is withdrawn.
        """
        if self.closures[u] == 0:
            return
        self.closures[u] -= 1
        if self.closures[u] > 0:
            return
        if self.fail_pending[u] == (reason, None):
            self.fail_pending[u] = None
            return
        if self.state[u] != OFF or self.reason[u] != reason:
            return
        if duration <= 0:
            self.online(u)
            return
        self._acc()
        now = self.env.now
        self.offline_time[reason] = self.offline_time.get(reason, 0.0) + now - self.since[u]
        self.reason[u] = then
        self.since[u] = now
        self.offline_count[then] = self.offline_count.get(then, 0) + 1
        self.env.timeout(duration).callbacks.append(_Online(self, u))

    def close(self) -> None:
        """Bring the integrals and offline times up to the present (end of run)."""
        self._acc()
        for u in range(self.n):
            if self.state[u] == OFF:
                r = self.reason[u]
                self.offline_time[r] = self.offline_time.get(r, 0.0) + self.env.now - self.since[u]
                self.since[u] = self.env.now


class _Online:
    """Timeout callback that ends an offline period (picklable, unlike a lambda)."""

    __slots__ = ("pool", "unit")

    def __init__(self, pool: Pool, unit: int) -> None:
        self.pool = pool
        self.unit = unit

    def __call__(self, _ev: simpy.Event) -> None:
        self.pool.online(self.unit)


class NearestPool(Pool):
    """A pool that grants the free unit nearest the patient (staff, mobile devices)."""

    def __init__(self, *args: Any, dist: list[list[float]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dist = dist

    def _pick(self, near: int) -> int:
        d = self.dist
        if d is None or near < 0 or len(self.free) == 1:
            return self.free.pop()
        row, loc, free = d[near], self.loc, self.free
        best, best_d = len(free) - 1, float("inf")
        for i in range(len(free) - 1, -1, -1):
            s = loc[free[i]]
            di = row[s] if s >= 0 else 0.0
            if di < best_d:
                best, best_d = i, di
        return free.pop(best)
