"""The process that runs one scenario for the app: ``python -m scenarios.ui.worker``.

Streamlit cannot spawn process pools from inside ``streamlit run``, and a run
held in the page's own thread could neither be cancelled nor keep the page
responsive.  So the app starts this small program per run: it loads the
scenario file, runs it into the results store (``scenarios.run(out=...)``),
and writes its progress as a tiny JSON file the page polls: replications
done and how far the running replication is in simulated time (for a
drill also how many people are safe so far), so the page shows real numbers
from the running model long before a long run ends.  Cancelling is
ending this process (SIGTERM): the store finalises a run folder atomically,
so a cancelled run leaves no half-written results.  If the app itself goes
away, the worker notices that its parent changed and stops too.

Importing the models and compiling the drill's kernels (Numba) take ten
seconds and more on a busy machine, all of it before the first figure can be
shown; so the app keeps one *spare* worker started ahead (``--spare``) that
has done both, by running one simulated second of the shipped night drill
(in a one-ward version of the sample hospital),
and waits for its job on standard input (:func:`scenarios.ui.jobs.start`).

Usage: ``python -m scenarios.ui.worker SCENARIO.yaml RUN_DIR STATUS.json``, or
``python -m scenarios.ui.worker --spare`` then one JSON line
``[SCENARIO.yaml, RUN_DIR, STATUS.json, LOG]`` on standard input.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scenarios.progress import Tick

__all__ = ["READY", "SPARE", "main", "write_status"]

#: Seconds between checks that the app which started this worker is still there.
PARENT_CHECK_S = 1.0
#: Command-line flag of a worker started ahead of its job.
SPARE = "--spare"
#: What a spare writes on standard output once warmed up.
READY = "ready"
#: The shipped drill a spare runs for one simulated second to compile the drill's kernels.
WARM_DRILL = "sample_hospital_night_evacuation.yaml"


def write_status(path: Path, **status: object) -> None:
    """Replace the status file atomically (the page never reads half a file)."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(status))
    os.replace(tmp, path)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            return


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the store's cleanup


def _warm_up() -> str:
    """Import the models and compile the drill's kernels by running a one-second drill in memory.

    Returns:
        "" or, if the warm-up drill failed, a line for the run's log (the run itself goes on:
        only its start is slower).
    """
    from importlib.resources import files

    import scenarios
    import scenarios.operations  # imported ahead, like the evacuation models

    try:
        from facility.sample import SampleOptions, sample

        drill = scenarios.load(str(files("scenarios.library") / WARM_DRILL))
        # the kernels compiled do not depend on the building: the smallest sample builds fastest
        scenarios.run(drill.model_copy(update={"max_time": 1.0, "replications": 1}),
                      facility=sample(SampleOptions(ward_levels=1)))
    except Exception as exc:  # the warm-up's boundary
        return f"worker: the warm-up drill failed ({exc}); this run compiled its kernels itself"
    return ""


def _wait_for_job() -> list[str] | None:
    """As a spare: warm up, say :data:`READY` on standard output, then read the job line.

    Returns ``None`` if the app closed the pipe instead.
    """
    note = _warm_up()
    print(READY, flush=True)
    line = sys.stdin.readline()
    if not line.strip():
        return None
    job = json.loads(line)
    if not (isinstance(job, list) and len(job) == 4 and all(isinstance(a, str) for a in job)):
        raise SystemExit(f"worker: expected [scenario, run folder, status file, log], got {line[:200]!r}")
    log = os.open(job[3], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)  # from now on this run's output goes to its own log, as for a worker started for it
    os.dup2(log, 2)
    os.close(log)
    if note:
        print(note, file=sys.stderr, flush=True)
    return job[:3]


def main(argv: list[str]) -> int:
    """Run ``argv[0]`` (a scenario file) into ``argv[1]``, reporting to ``argv[2]``; returns the exit code.

    With ``argv == ["--spare"]`` the job is read from standard input once the models are imported.
    """
    signal.signal(signal.SIGTERM, _stop)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    if argv == [SPARE]:
        job = _wait_for_job()
        if job is None:
            return 0
        argv = job
    scenario_file, run_dir, status_file = Path(argv[0]), Path(argv[1]), Path(argv[2])
    write_status(status_file, state="starting", done=0, total=0)
    import scenarios
    from scenarios.ui.messages import readable_error

    try:
        sc = scenarios.load(scenario_file)
        counts = {"done": 0, "total": sc.replications}
        write_status(status_file, state="running", **counts)

        def progress(done: int, total: int) -> None:
            counts.update(done=done, total=total)
            write_status(status_file, state="running", **counts)

        def tick(t: Tick) -> None:  # a running replication's simulated time (and people safe)
            write_status(status_file, state="running", **counts, replication=t.index, sim_s=t.sim_time_s,
                         end_s=t.end_time_s, safe=t.finished, people=t.of, out=t.out, in_refuge=t.in_refuge)

        # A cancelled run leaves its finished replications in the store's partial folder;
        # asking for the same scenario again completes it instead of refusing.
        scenarios.run(sc, out=run_dir, progress=progress, sim_progress=tick, resume=True)
    except Exception as exc:  # the worker's boundary: the page shows this line
        write_status(status_file, state="failed", message=readable_error(exc))
        return 2
    write_status(status_file, state="done")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
