"""``medtwin run``: run one scenario file (any kind) with replications."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_backend_arguments", "progress_bar", "register"]


def add_backend_arguments(p: argparse.ArgumentParser) -> None:
    """The flags ``run`` and ``sweep`` share: where replications run and what happens to ``--out``."""
    p.add_argument("--replications", type=int, default=None, help="override the scenario's replications")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's root seed")
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="local: this machine (default); dask: a Dask cluster (see --scheduler)")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes (default: this machine's CPUs, once the replications are "
                        "long enough to gain from them; 1 runs in this process)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address, e.g. tcp://host:8786 (default: a local Dask cluster)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--overwrite", action="store_true",
                      help="replace a medtwin run or sweep folder already at --out, if it holds nothing "
                           "medtwin did not write (nothing else is ever replaced)")
    mode.add_argument("--resume", action="store_true",
                      help="continue an interrupted run at --out, skipping finished replications")


def progress_bar(desc: str, total: int) -> Any:
    """A tqdm bar on stderr, and a ``progress(done, total)`` callback that moves it."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="rep", file=sys.stderr, disable=not sys.stderr.isatty())

    def progress(done: int, total_now: int) -> None:
        bar.total = total_now
        bar.update(done - bar.n)

    return bar, progress


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


def _run(args: argparse.Namespace) -> int:
    import scenarios
    from scenarios.errors import ArgumentError
    from scenarios.privacy import protect, to_stderr
    from scenarios.store import jsonable

    sc = protect(scenarios.load(args.scenario), pseudonymise_ids=args.pseudonymise, warn=to_stderr)
    if args.out is None and (args.resume or args.overwrite):
        raise ArgumentError("--resume/--overwrite: need --out, the run folder they apply to")
    n = args.replications or sc.replications
    bar, progress = progress_bar(f"{sc.kind} {sc.name}", n)
    try:
        res = scenarios.run(sc, replications=args.replications, seed=args.seed, out=args.out,
                            overwrite=args.overwrite, resume=args.resume, backend=args.backend,
                            n_jobs=args.jobs, scheduler=args.scheduler, progress=progress)
    finally:
        bar.close()
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
