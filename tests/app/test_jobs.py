"""Runs from the app: a worker per scenario, the store as the cache, and cancelling."""

from __future__ import annotations

import time
from importlib.resources import files
from pathlib import Path

import scenarios
from scenarios.evacuation import EvacuationScenario
from scenarios.operations import OperationsScenario
from scenarios.ui.jobs import (
    Job,
    Status,
    cached_run,
    cancel,
    prepare_spare,
    run_folder,
    start,
    status,
    stop_spare,
)
from scenarios.ui.run_panel import live_figures
from scenarios.ui.whatif import horizon
from scenarios.ui.worker import SPARE


def _wait(job: Job, until: tuple[str, ...]) -> None:
    deadline = time.monotonic() + 90
    while status(job).state not in until and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_cancelled_run_stops_its_worker_stores_nothing_and_can_be_asked_for_again(tmp_path: Path) -> None:
    week = scenarios.load(str(files("scenarios.library") / "sample_hospital_week.yaml"))
    assert isinstance(week, OperationsScenario)
    sc = horizon(week, days=2, replications=3)
    job = start(tmp_path, sc, "week")
    _wait(job, ("running", "done", "failed"))
    assert status(job).state == "running"
    cancel(job)
    assert job.proc is not None and job.proc.poll() is not None
    assert status(job).state == "cancelled"
    assert not run_folder(tmp_path, sc).exists() and cached_run(tmp_path, sc) is None
    again = start(tmp_path, sc, "week, again")
    _wait(again, ("done", "failed"))
    assert status(again).state == "done", status(again).message
    stored = cached_run(tmp_path, sc)
    assert stored is not None and sorted(stored.replication_kpis()) == [0, 1, 2]


def test_a_failing_run_reports_one_readable_line(tmp_path: Path) -> None:
    sc = scenarios.load(str(files("scenarios.library") / "sample_hospital_night_evacuation.yaml"))
    broken = sc.model_copy(update={"facility": str(tmp_path / "missing.json")})
    job = start(tmp_path, broken, "drill on a missing building")
    _wait(job, ("done", "failed"))
    s = status(job)
    assert s.state == "failed"
    assert "missing.json" in s.message and "not found" in s.message and "Traceback" not in s.message


def test_a_running_drill_reports_simulated_time_and_people_safe_before_it_ends(tmp_path: Path) -> None:
    night = scenarios.load(str(files("scenarios.library") / "sample_hospital_night_evacuation.yaml"))
    assert isinstance(night, EvacuationScenario)
    prepare_spare()
    job = start(tmp_path, night, "night drill")
    stop_spare()  # the next one, started for a next run, is not needed here
    assert job.proc is not None and SPARE in list(job.proc.args)  # type: ignore[arg-type]  # the spare runs it
    seen: list[Status] = []
    deadline = time.monotonic() + 120
    while len(seen) < 2 and time.monotonic() < deadline:
        s = status(job)
        assert s.state in ("starting", "running"), s.message  # two hours of drill: far from done
        if s.sim_s is not None and (not seen or s.sim_s > seen[-1].sim_s):  # type: ignore[operator]
            seen.append(s)
        time.sleep(0.05)
    cancel(job)
    assert len(seen) == 2, "no live report from the running drill"
    first, later = seen
    assert first.end_s == night.alarm + night.max_time and first.replication == 0
    assert first.people is not None and first.people > 100  # the night drill's patients, staff and visitors
    assert first.safe is not None and later.safe is not None and 0 <= first.safe <= later.safe <= first.people
    figures = dict(live_figures(later))
    assert figures["people safe"] == f"{later.safe:,} of {later.people:,}"
    # Where the safe are now: out of the building, or in a refuge (safe counts both, and keeps
    # those who move on from a refuge in the vertical phase).
    assert later.out is not None and later.in_refuge is not None
    assert later.out + later.in_refuge <= later.safe
    assert figures["out of the building"] == f"{later.out:,}"
    assert figures["in a refuge"] == f"{later.in_refuge:,}"
    assert figures["simulated time"].endswith("of 120 min")
    assert status(job).state == "cancelled" and not run_folder(tmp_path, night).exists()
    assert (job.status_file.parent / "worker.log").exists()  # the spare wrote to this run's log
