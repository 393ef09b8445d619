"""``medtwin run``: run one scenario file (any kind) with replications."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from scenarios.progress import Tick, describe
from scenarios.runner import JOBS_PER_CPU, check_jobs

__all__ = ["JOBS_PER_CPU", "PLAIN_EVERY_S", "ProgressView", "add_backend_arguments", "check_jobs",
           "check_out_folder", "most_replications", "register"]


def add_backend_arguments(p: argparse.ArgumentParser) -> None:
    """The flags ``run`` and ``sweep`` share: where replications run and what happens to ``--out``."""
    p.add_argument("--replications", type=int, default=None, help="override the scenario's replications")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's root seed")
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="local: this machine (default); dask: a Dask cluster (see --scheduler)")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes (default: this machine's CPUs, once the replications are "
                        "long enough to gain from them; 1 runs in this process; at most 4 per CPU)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address, e.g. tcp://host:8786 (default: a local Dask cluster)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--overwrite", action="store_true",
                      help="replace a medtwin run or sweep folder already at --out, if it holds nothing "
                           "medtwin did not write (nothing else is ever replaced)")
    mode.add_argument("--resume", action="store_true",
                      help="continue an interrupted run at --out, skipping finished replications; on a "
                           "finished run or sweep, run its failed replications again (only those)")


def check_out_folder(out: Path | None, what: str) -> None:
    """Refuse a new ``--out`` inside another run or sweep folder of the store.

    A run written into ``results/base/sub`` became a folder the run ``base`` did not write (so
    ``--overwrite`` of ``base`` is refused) and was hidden from ``results list``.  An ``--out`` that
    is already a run or sweep folder is the store's to judge (``--overwrite``, ``--resume``).
    """
    from scenarios.errors import ArgumentError
    from scenarios.report import enclosing_results_folder

    if out is None or out.exists():
        return
    around = enclosing_results_folder(out)
    if around is not None:
        kind, holder = around
        raise ArgumentError(f"--out: {out} lies in the {kind} folder {str(holder)!r}; expected a {what} "
                            "folder of its own beside it (e.g. in the same results folder)")


#: Wall seconds between two plain progress lines when stderr is not a terminal (a log file).
PLAIN_EVERY_S = 10.0


class ProgressView:
    """Replications done and how far a running one is in simulated time, on stderr.

    On a terminal, a tqdm bar over replications whose suffix says where the
    latest running replication is (``replication 4 at 6 h of 24 h simulated
    (25 %)``).  Otherwise (a log file, a pipe, CI) plain lines, no carriage
    returns, at most one every ``every_s`` seconds, and always the last.

    Args:
        desc: What runs (kind and name, or the sweep).
        total: Replications in all.
        sweep: Ticks are tagged by variant (name it in the line).
        stream: Where to write (stderr).
        every_s: Seconds between two plain lines.
    """

    def __init__(self, desc: str, total: int, *, sweep: bool = False, stream: TextIO | None = None,
                 every_s: float = PLAIN_EVERY_S) -> None:
        self._desc, self._total, self._sweep, self._every = desc, total, sweep, every_s
        self._stream = stream if stream is not None else sys.stderr
        self._done = 0
        self._next_line = 0.0
        self._bar: Any = None
        if self._stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="rep", file=self._stream)

    def replications(self, done: int, total: int) -> None:
        """``progress(done, total)`` for :func:`scenarios.run` and :func:`scenarios.sweep`."""
        self._done, self._total = done, total
        if self._bar is not None:
            self._bar.total = total
            self._bar.update(done - self._bar.n)
            self._bar.set_postfix_str("")
        elif done == total or self._due():
            self._line(f"{done}/{total} replications done")

    def tick(self, tick: Tick) -> None:
        """``sim_progress(tick)``: a running replication's simulated time."""
        where = (f"variant {tick.tag}, " if self._sweep else "") + describe(tick)
        if self._bar is not None:
            self._bar.set_postfix_str(where, refresh=True)
        elif self._due():
            self._line(f"{self._done}/{self._total} replications done; {where}")

    def _due(self) -> bool:
        now = time.monotonic()
        if now < self._next_line:
            return False
        self._next_line = now + self._every
        return True

    def _line(self, text: str) -> None:
        print(f"{self._desc}: {text}", file=self._stream, flush=True)

    def close(self) -> None:
        """End the bar (a terminal) or nothing (plain lines end themselves)."""
        if self._bar is not None:
            self._bar.close()


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run a scenario file (operations, evacuation, ...)",
        description=("Run one scenario: its replications, a KPI summary, results streamed to --out "
                     "(a run folder with manifest.json, kpis.json and Parquet tables)."),
        epilog=("examples:\n"
                "  medtwin run scenarios/library/nelson_treatment_centre.yaml --out results/nelson\n"
                "  medtwin run my.yaml --out results/my --replications 20 --seed 7 --jobs 2\n"
                "  medtwin run my.yaml --out results/my --resume      # after a kill or Ctrl-C\n"
                "  medtwin run my.yaml --out results/my --backend dask --scheduler tcp://host:8786"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--out", type=Path, default=None, help="run folder to create (results are streamed to it)")
    add_backend_arguments(p)
    p.add_argument("--json", action="store_true", help="print the KPI summary as JSON")
    p.add_argument("--pseudonymise", action="store_true",
                   help="replace person ids by salted hashes and drop the description in every output")
    p.set_defaults(handler=_run)


def most_replications() -> int:
    """The largest ``replications`` a scenario file may ask for (its field's bound)."""
    from scenarios.base import ScenarioBase

    return int(next(m.le for m in ScenarioBase.model_fields["replications"].metadata if hasattr(m, "le")))


def _run(args: argparse.Namespace) -> int:
    import scenarios
    from scenarios.errors import ArgumentError, ScenarioFileError
    from scenarios.privacy import protect, to_stderr
    from scenarios.store import jsonable

    sc = protect(scenarios.load(args.scenario), pseudonymise_ids=args.pseudonymise, warn=to_stderr)
    if args.out is None and (args.resume or args.overwrite):
        raise ArgumentError("--resume/--overwrite: need --out, the run folder they apply to")
    check_out_folder(args.out, "run")
    check_jobs(args.jobs, args.scheduler)
    most = most_replications()
    if args.replications is not None and args.replications > most:
        # the scenario file's own field stops here; the flag ran for days on a typo
        raise ArgumentError(f"--replications: must be at most {most:,}, got {args.replications:,}")
    n = args.replications or sc.replications
    view = ProgressView(f"{sc.kind} {sc.name}", n)
    try:
        res = scenarios.run(sc, replications=args.replications, seed=args.seed, out=args.out,
                            overwrite=args.overwrite, resume=args.resume, backend=args.backend,
                            n_jobs=args.jobs, scheduler=args.scheduler, progress=view.replications,
                            sim_progress=view.tick)
    except ScenarioFileError as exc:
        if exc.path != "<scenario>":
            raise
        # found by the model while running, which does not know the file: name it here
        raise ScenarioFileError(str(args.scenario), exc.field, exc.problem) from None
    finally:
        view.close()
    kind = scenarios.KINDS[res.scenario.kind]
    if args.json:
        print(json.dumps(jsonable(res.kpis), indent=2))
    elif kind.report is not None:
        print(kind.report(res.kpis))
    else:
        print(json.dumps(jsonable(res.kpis), indent=2))
    done = len(res.replications)
    print(f"{done} replication(s) in {res.timings.get('total_s', 0.0):.2f} s"
          + (f"; results in {res.path}" if res.path else ""), file=sys.stderr)
    if res.failed:
        print(f"warning: {len(res.failed)} replication(s) failed ({sorted(res.failed)[:10]}); their "
              "tracebacks are in manifest.json" if res.path else
              f"warning: {len(res.failed)} replication(s) failed: {sorted(res.failed)[:10]}", file=sys.stderr)
        return 1
    return 0
