"""Pools: priority order, pre-emption, offline periods that never interrupt work, exact time integrals."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from scenarios.operations.resources import OFF, NearestPool, Pool, Preempted


def make(env: simpy.Environment, n: int = 1, **kw: Any) -> Pool:
    return Pool(env, "p", 0, "staff", [-1] * n, hours=4, **kw)


def test_constructor_checks() -> None:
    env = simpy.Environment()
    with pytest.raises(ValueError, match="at least one unit"):
        Pool(env, "x", 0, "room", [], hours=1)
    with pytest.raises(ValueError, match="'hours' must be >= 1"):
        Pool(env, "x", 0, "room", [0], hours=0)


def test_priority_then_fifo() -> None:
    env = simpy.Environment()
    pool = make(env)
    order: list[int] = []

    def patient(pid: int, prio: int, arrive: float) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(arrive)
        u = yield pool.request(pid, prio, -1, None)
        order.append(pid)
        yield env.timeout(10)
        pool.release(u)

    for pid, prio, t in [(0, 3, 0), (1, 4, 1), (2, 2, 2), (3, 4, 3), (4, 2, 4)]:
        env.process(patient(pid, prio, t))
    env.run()
    assert order == [0, 2, 4, 1, 3]


def test_esi1_preempts_the_least_urgent_user() -> None:
    env = simpy.Environment()
    pool = make(env, 2, preemptive=True)
    log: list[tuple[str, int, float]] = []

    def patient(pid: int, prio: int, arrive: float, need: float) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(arrive)
        left = need
        while left > 0:
            u = yield pool.request(pid, prio, -1, env.active_process)
            start = env.now
            try:
                yield env.timeout(left)
                left = 0
                pool.release(u)
                log.append(("done", pid, env.now))
            except simpy.Interrupt as i:
                assert isinstance(i.cause, Preempted)
                left -= env.now - start
                log.append(("preempted", pid, env.now))

    env.process(patient(0, 3, 0, 30))
    env.process(patient(1, 5, 0, 30))
    env.process(patient(2, 1, 5, 10))
    env.run()
    assert ("preempted", 1, 5.0) in log  # ESI 5 loses its unit, not ESI 3
    assert ("done", 2, 15.0) in log
    assert ("done", 1, 40.0) in log  # requeues, gets the unit back at 15 with 25 min left


def test_offline_waits_for_a_free_unit_and_never_interrupts() -> None:
    env = simpy.Environment()
    pool = make(env)
    u = pool.try_acquire(0, 3, -1, None)
    pool.take_offline("break", 30)  # the only unit is busy: the break waits
    assert pool.state[u] != OFF
    env.run(until=10)
    pool.release(u)  # the break starts now, before any queued patient
    assert pool.state[u] == OFF and pool.reason[u] == "break"
    ev = pool.request(1, 1, -1, None)
    env.run(until=39)
    assert not ev.triggered
    env.run(until=41)
    assert ev.triggered and pool.offline_time["break"] == pytest.approx(30)


def test_time_integrals_are_exact() -> None:
    env = simpy.Environment()
    pool = make(env, 2)

    def use(at: float, dur: float) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(at)
        u = yield pool.request(0, 3, -1, None)
        yield env.timeout(dur)
        pool.release(u)

    for at, dur in [(0, 50), (10, 100), (20, 30)]:
        env.process(use(at, dur))
    env.run(until=240)
    pool.close()
    # busy: [0,50] + [10,110] + third waits 20..50 then [50,80]
    assert pool.area_busy == pytest.approx(50 + 100 + 30)
    assert pool.area_queue == pytest.approx(30)
    assert pool.area_online == pytest.approx(2 * 240)
    assert sum(pool.h_busy) == pytest.approx(pool.area_busy)
    assert pool.h_busy[0] == pytest.approx(50 + 50 + 10)  # first hour
    assert (pool.p_start[0], pool.p_end[0]) == (10.0, 80.0)  # saturated: both units busy or a queue


def test_nearest_pool_gives_the_closest_free_unit() -> None:
    env = simpy.Environment()
    dist = [[0.0, 5.0, 9.0], [5.0, 0.0, 4.0], [9.0, 4.0, 0.0]]
    pool = NearestPool(env, "nurse", 0, "staff", [0, 1, 2], hours=1, dist=dist)
    assert pool.try_acquire(0, 3, 2, None) == 2
    assert pool.try_acquire(1, 3, 2, None) == 1
    assert pool.try_acquire(2, 3, 2, None) == 0
    assert pool.try_acquire(3, 3, 2, None) == -1


def test_a_failure_while_offline_follows_on() -> None:
    env = simpy.Environment()
    pool = make(env)
    pool.take_offline("charging", 10)
    pool.fail_unit(0, "failed", 20)
    env.run(until=15)
    assert pool.state[0] == OFF and pool.reason[0] == "failed"
    env.run(until=31)
    assert pool.state[0] != OFF
    assert pool.offline_time == {"charging": 10.0, "failed": 20.0}


def test_nested_closures_reopen_a_unit_once_both_have_ended() -> None:
    import simpy

    from scenarios.operations.resources import FREE, OFF, Pool

    env = simpy.Environment()
    pool = Pool(env, "bed", 0, "bed", [0, 0], hours=2)
    pool.close_unit(0, "closed")
    pool.close_unit(0, "closed")  # a second, overlapping closure of the same bed
    assert pool.state[0] == OFF and pool.n_online == 1
    pool.reopen_unit(0, "closed", "deep_clean", 0.0)
    assert pool.state[0] == OFF  # the other closure still holds it
    pool.reopen_unit(0, "closed", "deep_clean", 30.0)
    assert pool.state[0] == OFF and pool.reason[0] == "deep_clean"
    env.run(until=31.0)
    assert pool.state[0] == FREE and pool.n_online == 2
    assert pool.offline_time["deep_clean"] == 30.0
