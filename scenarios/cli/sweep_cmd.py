"""``medtwin sweep``: one scenario over many variants (levers), replications shared by all."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scenarios.cli.run_cmd import (
    ProgressView,
    add_backend_arguments,
    check_jobs,
    check_out_folder,
    most_replications,
)

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a scenario over a grid of variants (staffing, beds, layouts...)",
        description=("Run every variant of a scenario with the same replications; replication i of every "
                     "variant shares its random stream (common random numbers) unless --independent. "
                     "FILE is a scenario with --vary options, or a sweep file (grid, ranges, Latin "
                     "hypercube sample; see 'medtwin sweep --help' and the README). Results go to a sweep "
                     "folder with one run folder per variant; compare them with 'medtwin results'."),
        epilog=("examples:\n"
                "  medtwin sweep nelson.yaml --vary resources.exam_room.count=2,3,4 \\\n"
                "      --vary resources.triage_cubicle.count=1:2 --replications 30 --out results/exam\n"
                "  medtwin sweep nelson.yaml --vary facility=a.json,b.json --out results/layouts\n"
                "  medtwin sweep staffing_sweep.yaml --out results/staffing --jobs 2\n"
                "  medtwin sweep staffing_sweep.yaml --out results/staffing --resume\n"
                "  medtwin results compare results/exam --kpi wait.non_trauma.examination --rank"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", type=Path, help="scenario YAML (with --vary) or sweep YAML")
    p.add_argument("--vary", action="append", default=[], metavar="LEVER=VALUES",
                   help="a lever and its values: a.b=1,2,3 or a.b=FROM:TO[:STEP]; repeat for a grid")
    p.add_argument("--out", type=Path, default=None, help="sweep folder to create")
    p.add_argument("--independent", action="store_true",
                   help="independent random streams per variant (default: common random numbers)")
    add_backend_arguments(p)
    p.set_defaults(handler=_sweep)


def _is_sweep_file(path: Path) -> bool:
    """Whether ``path`` is a sweep file (a base ``scenario`` and no ``kind``); a file that cannot
    be read as one is left to the scenario loader, which names what is wrong with it."""
    from facility.files import read_input_text
    from scenarios.errors import ScenarioFileError
    from scenarios.loader import MAX_FILE_BYTES, parse

    try:
        text = read_input_text(path, what="sweep or scenario file", max_bytes=MAX_FILE_BYTES)
        data = parse(text, str(path))
    except ScenarioFileError:
        return False
    return isinstance(data, dict) and "scenario" in data and "kind" not in data


def _sweep(args: argparse.Namespace) -> int:
    import scenarios
    from scenarios.errors import ArgumentError

    if args.out is None and (args.resume or args.overwrite):
        raise ArgumentError("--resume/--overwrite: need --out, the sweep folder they apply to")
    check_out_folder(args.out, "sweep")
    check_jobs(args.jobs, args.scheduler)
    if _is_sweep_file(args.file):
        if args.vary:
            raise ArgumentError(f"--vary: {args.file} is a sweep file; put the levers in it, not on the "
                                "command line")
        plan = scenarios.load_sweep(args.file)
        if args.independent:
            plan = scenarios.Plan(scenario=plan.scenario, variants=plan.variants, common_random_numbers=False,
                                  source=plan.source)
    else:
        plan = scenarios.plan_from_vary(scenarios.load(args.file), args.vary, base_dir=Path.cwd(),
                                        common_random_numbers=not args.independent)
    update = {k: v for k, v in (("seed", args.seed), ("replications", args.replications)) if v is not None}
    if update:
        from scenarios.replicate import check_seed

        if args.seed is not None:
            try:
                check_seed(args.seed)
            except ValueError as exc:
                raise ArgumentError(f"--seed: {exc}") from None
        if args.replications is not None and args.replications < 1:
            raise ArgumentError(f"--replications: must be >= 1, got {args.replications}")
        most = most_replications()
        if args.replications is not None and args.replications > most:
            # As for ``run``: model_copy does not validate, and a billion replications ran for days.
            raise ArgumentError(f"--replications: must be at most {most:,}, got {args.replications:,}")
        plan = scenarios.Plan(scenario=plan.scenario.model_copy(update=update), variants=plan.variants,
                              common_random_numbers=plan.common_random_numbers, source=plan.source)
    total = len(plan.variants) * plan.scenario.replications
    print(f"{len(plan.variants)} variant(s) x {plan.scenario.replications} replication(s)"
          + (" with common random numbers" if plan.common_random_numbers else ""), file=sys.stderr)
    view = ProgressView(f"sweep {plan.scenario.name}", total, sweep=True)
    try:
        res = scenarios.sweep(plan, out=args.out, overwrite=args.overwrite, resume=args.resume,
                              backend=args.backend, n_jobs=args.jobs, scheduler=args.scheduler,
                              progress=view.replications, sim_progress=view.tick)
    finally:
        view.close()
    _print_summary(res)
    failed = sum(len(r.failed) for r in res.runs)
    if res.path:
        print(f"results in {res.path}; compare with: medtwin results compare {res.path} --kpi KPI",
              file=sys.stderr)
    if failed:
        print(f"warning: {failed} replication(s) failed; their tracebacks are in the variants' "
              "manifest.json", file=sys.stderr)
        return 1
    return 0


def _print_summary(res: Any) -> None:
    """One line per variant: its levers and a few headline KPIs."""
    import math

    for k, (variant, run) in enumerate(zip(res.plan.variants, res.runs, strict=True)):
        levers = ", ".join(f"{a}={b}" for a, b in variant.items())
        heads = [name for name, v in run.kpis.items() if isinstance(v, dict) and "mean" in v][:3]
        shown = "; ".join(f"{h} {run.kpis[h]['mean']:.3g}" for h in heads
                          if run.kpis[h]["mean"] is not None and not math.isnan(run.kpis[h]["mean"]))
        print(f"v{k:03d}  {levers}  ({len(run.replications)} reps)  {shown}")
