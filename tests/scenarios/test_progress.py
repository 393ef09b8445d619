"""Progress over simulated time: throttled reporters, channels that fail, lines people read."""

from __future__ import annotations

import math

import pytest

from scenarios.evacuation import run_replication as evacuation_replication
from scenarios.operations import run_replication as operations_replication
from scenarios.progress import Direct, Reporter, Tick, accepts_progress, describe, from_event
from tests.scenarios.kinds import run_toy


def test_a_reporter_sends_the_first_call_then_at_most_one_tick_per_interval() -> None:
    got: list[Tick] = []
    every_call = Reporter(Direct(got.append), tag=2, index=5, every_s=0.0)
    for t in (60.0, 120.0, 180.0):
        every_call(t, 600.0)
    throttled = Reporter(Direct(got.append), tag=2, index=6, every_s=3600.0)
    for t in (60.0, 120.0, 180.0):
        throttled(t, 600.0, 3, 10)
    assert [(k.index, k.sim_time_s) for k in got] == [(5, 60.0), (5, 120.0), (5, 180.0), (6, 60.0)]
    assert got[-1] == Tick(tag=2, index=6, sim_time_s=60.0, end_time_s=600.0, finished=3, of=10)


def test_a_lost_channel_never_fails_the_replication() -> None:
    calls = []

    class Gone:
        def put(self, tick: Tick) -> None:
            calls.append(tick)
            raise BrokenPipeError("manager gone")

    report = Reporter(Gone(), tag=0, index=0, every_s=0.0)
    report(1.0, 2.0)
    report(2.0, 2.0)  # silently dropped: the channel is known to be gone
    assert len(calls) == 1


def test_fraction_stays_in_unit_interval() -> None:
    assert Tick(tag=0, index=0, sim_time_s=30.0, end_time_s=20.0).fraction == 1.0
    assert Tick(tag=0, index=0, sim_time_s=30.0, end_time_s=0.0).fraction == 0.0
    assert Tick(tag=0, index=0, sim_time_s=30.0, end_time_s=math.inf).fraction == 0.0
    assert "of ? simulated" in describe(Tick(tag=0, index=0, sim_time_s=30.0, end_time_s=math.inf))


def test_dask_event_messages_round_trip() -> None:
    tick = Tick(tag=3, index=7, sim_time_s=90.0, end_time_s=120.0, finished=4, of=9)
    msg = [tick.tag, tick.index, tick.sim_time_s, tick.end_time_s, tick.finished, tick.of]
    assert from_event(msg) == tick


@pytest.mark.parametrize(("fn", "accepts"), [(operations_replication, True), (evacuation_replication, True),
                                            (run_toy, True), (len, False), (lambda sc, f, r, i: None, False)])
def test_kinds_that_take_a_progress_keyword_are_recognised(fn: object, accepts: bool) -> None:
    assert accepts_progress(fn) is accepts  # type: ignore[arg-type]
