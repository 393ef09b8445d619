"""Runs started from the app: one worker process per scenario, results kept in the store.

A run's folder in the results store is named by the scenario's content hash
(``<name>-<hash>``), so the store *is* the cache on the scenario: asking for
a scenario already run opens its folder at once, and a run finished in one
session is found by every other session and by the Results page.  A run not
yet stored is handed to :mod:`scenarios.ui.worker` in its own process, which
keeps the page responsive, reports progress, and can be cancelled by ending
the process.  One worker is kept started ahead, its models imported
(:func:`prepare_spare`): a run handed to it shows its first figures seconds
sooner than one that starts a new Python.  The next spare is started once a
run has finished, not while it runs, so that its warm-up never slows a run.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scenarios.loader import dump
from scenarios.store import open_run, scenario_hash

if TYPE_CHECKING:
    from scenarios.base import ScenarioBase
    from scenarios.store import StoredRun

__all__ = ["JOB_DIR", "Job", "Status", "cached_run", "cancel", "opened", "prepare_spare", "run_folder",
           "start", "status", "stop_spare"]

#: Folder under the results store for the workers' scenario files, status files and logs.
JOB_DIR = "_app_jobs"
#: Seconds a cancelled worker is given to clean up before it is killed.
CANCEL_GRACE_S = 5.0

#: The repository root, where the workers run (``python -m scenarios.ui.worker``).
_ROOT = Path(__file__).resolve().parents[2]
#: The worker started ahead for the next run, shared by every session of this app process.
_spare: list[subprocess.Popen[bytes]] = []
_spare_lock = threading.Lock()
#: Set once the app asks for spares (the server does; tests that drive pages do not pay for them).
_keep_spare = threading.Event()

State = Literal["starting", "running", "done", "failed", "cancelled"]


@dataclass(frozen=True)
class Status:
    """Where a run stands.

    Attributes:
        state: ``starting``, ``running``, ``done``, ``failed`` or ``cancelled``.
        done: Replications finished.
        total: Replications in the run (0 while starting).
        elapsed_s: Seconds since the run was started.
        message: Why it failed.
        replication: The running replication's number (0-based), once its model reports.
        sim_s: Simulated seconds that replication has reached.
        end_s: Simulated seconds at which it stops at the latest.
        safe: People safe so far in a running drill (out, or reached a refuge; never goes down).
        people: People in that drill.
        out: People out of the building now, in that drill.
        in_refuge: People in a refuge now, in that drill.
    """

    state: State
    done: int = 0
    total: int = 0
    elapsed_s: float = 0.0
    message: str = ""
    replication: int | None = None
    sim_s: float | None = None
    end_s: float | None = None
    safe: int | None = None
    people: int | None = None
    out: int | None = None
    in_refuge: int | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")


@dataclass
class Job:
    """One run handed to a worker process.

    Attributes:
        label: What the page calls it ("baseline", "variant 1", "night drill").
        run_dir: The run's folder in the results store (exists once done).
        status_file: The worker's status file.
        proc: The worker process (``None`` for a run found already stored).
        started: ``time.monotonic()`` when it was started.
    """

    label: str
    run_dir: Path
    status_file: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started: float = field(default_factory=time.monotonic)
    cancelled: bool = False


def _slug(name: str) -> str:
    """A folder-safe version of a scenario name.

    >>> _slug("sample hospital week (variant 1)")
    'sample_hospital_week_variant_1'
    """
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:60] or "run"


def run_folder(root: Path, scenario: ScenarioBase) -> Path:
    """The store folder of ``scenario``: its name and content hash."""
    return root / f"{_slug(scenario.name)}-{scenario_hash(scenario)}"


def cached_run(root: Path, scenario: ScenarioBase) -> StoredRun | None:
    """The stored run of exactly this scenario, if it was run before."""
    folder = run_folder(root, scenario)
    if not folder.is_dir():
        return None
    try:
        return open_run(folder)
    except Exception:  # an unreadable folder is run again, not shown
        return None


def _worker(*args: str) -> list[str]:
    return [sys.executable, "-m", "scenarios.ui.worker", *args]


def prepare_spare(*, wait_s: float = 0.0) -> bool:
    """Start a worker ahead of the next run, unless one is already waiting; keep one from now on.

    Args:
        wait_s: Wait up to this long for it to be warmed up (the server does, before it answers
            its health check, so that the first page and the first run do not share the
            machine with the warm-up).

    Returns:
        Whether a spare is known to be warmed up.
    """
    from scenarios.ui.worker import READY, SPARE

    _keep_spare.set()
    with _spare_lock:
        if not (_spare and _spare[0].poll() is None):
            _spare[:] = [subprocess.Popen(_worker(SPARE), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL, cwd=_ROOT)]
        proc = _spare[0]
    if wait_s <= 0 or proc.stdout is None:
        return False
    ready, _, _ = select.select([proc.stdout], [], [], wait_s)
    return bool(ready) and proc.stdout.readline().decode().strip() == READY


def stop_spare() -> None:
    """End the waiting worker, if any, and start no more ahead of runs."""
    _keep_spare.clear()
    with _spare_lock:
        for proc in _spare:
            proc.kill()
            proc.wait()
        _spare.clear()


def _hand_to_spare(job: list[str]) -> subprocess.Popen[bytes] | None:
    """Give ``job`` (the worker's arguments and its log) to the waiting worker, if one is alive."""
    with _spare_lock:
        proc = _spare.pop() if _spare else None
    if proc is None or proc.poll() is not None or proc.stdin is None:
        return None
    try:
        proc.stdin.write((json.dumps(job) + "\n").encode())
        proc.stdin.close()
    except OSError:  # it ended meanwhile: start a worker for this run instead
        return None
    return proc


def start(root: Path, scenario: ScenarioBase, label: str) -> Job:
    """Start running ``scenario`` into the store under ``root`` (or find it there)."""
    folder = run_folder(root, scenario)
    work = root / JOB_DIR / folder.name
    work.mkdir(parents=True, exist_ok=True)
    status_file = work / "status.json"
    if cached_run(root, scenario) is not None:
        status_file.write_text(json.dumps({"state": "done"}))
        return Job(label=label, run_dir=folder, status_file=status_file)
    scenario_file = work / "scenario.yaml"
    scenario_file.write_text(dump(scenario))
    status_file.write_text(json.dumps({"state": "starting", "done": 0, "total": 0}))
    args = [str(scenario_file), str(folder), str(status_file)]
    proc = _hand_to_spare([*args, str(work / "worker.log")])
    if proc is None:
        with (work / "worker.log").open("wb") as log:
            proc = subprocess.Popen(_worker(*args), stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=_ROOT)
    return Job(label=label, run_dir=folder, status_file=status_file, proc=proc)


def opened(root: Path, run_dir: Path, label: str) -> Job:
    """A finished job for a run already in the store (to show it on its page)."""
    work = root / JOB_DIR / run_dir.name
    work.mkdir(parents=True, exist_ok=True)
    status_file = work / "status.json"
    status_file.write_text(json.dumps({"state": "done"}))
    return Job(label=label, run_dir=run_dir, status_file=status_file)


def status(job: Job) -> Status:
    """Where ``job`` stands now (reads the worker's status file; never blocks)."""
    elapsed = time.monotonic() - job.started
    if job.cancelled:
        return Status("cancelled", elapsed_s=elapsed)
    try:
        data = json.loads(job.status_file.read_text())
    except (OSError, ValueError):
        data = {"state": "starting"}
    state = data.get("state", "starting")
    if state in ("done", "failed") and _keep_spare.is_set() and not _spare:
        prepare_spare()  # the next run's worker warms up once this one no longer needs the machine
    if job.proc is not None and job.proc.poll() is not None and state not in ("done", "failed"):
        log = job.status_file.with_name("worker.log")
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        return Status("failed", elapsed_s=elapsed,
                      message=f"the run stopped unexpectedly (exit {job.proc.returncode}) "
                              + (tail[0] if tail else ""))
    def number(key: str, kind: type[int] | type[float]) -> Any:
        value = data.get(key)
        return kind(value) if isinstance(value, int | float) else None

    return Status(state, int(data.get("done", 0)), int(data.get("total", 0)), elapsed,
                  str(data.get("message", "")), replication=number("replication", int),
                  sim_s=number("sim_s", float), end_s=number("end_s", float), safe=number("safe", int),
                  people=number("people", int), out=number("out", int), in_refuge=number("in_refuge", int))


def cancel(job: Job) -> None:
    """Stop ``job``'s worker; nothing is written to the store for it."""
    job.cancelled = True
    proc = job.proc
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=CANCEL_GRACE_S)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    if _keep_spare.is_set() and not _spare:
        prepare_spare()  # the machine is free again: ready the next run's worker
