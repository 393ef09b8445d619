"""Runs from the app: a worker per scenario, the store as the cache, and cancelling."""

from __future__ import annotations

import time
from importlib.resources import files
from pathlib import Path

import scenarios
from scenarios.ui.jobs import Job, cached_run, cancel, run_folder, start, status
from scenarios.ui.whatif import horizon


def _wait(job: Job, until: tuple[str, ...]) -> None:
    deadline = time.monotonic() + 90
    while status(job).state not in until and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_cancelled_run_stops_its_worker_stores_nothing_and_can_be_asked_for_again(tmp_path: Path) -> None:
    week = scenarios.load(str(files("scenarios.library") / "sample_hospital_week.yaml"))
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
