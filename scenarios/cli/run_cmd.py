"""``medtwin run``: run one scenario file (any kind) with replications."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run a scenario file (operations, evacuation, ...)",
        description="Run one scenario: its replications, a KPI summary, results written to --out.",
        epilog=("examples:\n"
                "  medtwin run scenarios/library/nelson_treatment_centre.yaml --out results/nelson\n"
                "  medtwin run my.yaml --out results/my --replications 20 --seed 7 --backend loky"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--out", type=Path, default=None, help="results folder (kpis.json, Parquet tables)")
    p.add_argument("--replications", type=int, default=None, help="override the scenario's replications")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("--backend", choices=("local", "loky", "dask"), default="local",
                   help="where replications run (default: in this process)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes for loky/dask (default 2)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--overwrite", action="store_true", help="replace results already in --out")
    p.add_argument("--json", action="store_true", help="print the KPI summary as JSON")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    import scenarios
    from facility import FacilityError

    try:
        sc = scenarios.load(args.scenario)
    except scenarios.ScenarioFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n = args.replications or sc.replications
    bar = tqdm(total=n, desc=f"{sc.kind} {sc.name}", unit="rep", file=sys.stderr,
               disable=not sys.stderr.isatty() and n == 1)

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    try:
        res = scenarios.run(sc, replications=args.replications, seed=args.seed, out=args.out,
                            overwrite=args.overwrite, backend=args.backend, n_jobs=args.jobs,
                            scheduler=args.scheduler, progress=progress)
    except (scenarios.ScenarioError, FacilityError, ValueError) as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    kind = scenarios.KINDS[res.scenario.kind]
    if args.json:
        from scenarios.store import jsonable

        print(json.dumps(jsonable(res.kpis), indent=2))
    elif kind.report is not None:
        print(kind.report(res.kpis))
    else:
        print(json.dumps(res.kpis, indent=2, default=str))
    print(f"{res.scenario.replications} replication(s) in {res.timings['total_s']:.2f} s"
          + (f"; results in {args.out}" if args.out else ""), file=sys.stderr)
    return 0
