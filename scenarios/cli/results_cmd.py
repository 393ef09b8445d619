"""``medtwin results``: list, show, compare and report stored runs and sweeps."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "results",
        help="list, show, compare and report stored runs",
        description="Read the results store: runs and sweeps written by 'medtwin run' and 'medtwin sweep'.",
        epilog=("examples:\n"
                "  medtwin results list results/\n"
                "  medtwin results show results/nelson\n"
                "  medtwin results compare results/exam --kpi wait.non_trauma.examination\n"
                "  medtwin results compare results/exam --kpi util.exam_room --rank --higher-is-better\n"
                "  medtwin results compare results/base results/extra_nurse --kpi los.ed.mean\n"
                "  medtwin results report results/exam --out exam_report.html"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = p.add_subparsers(dest="results_command", metavar="ACTION", required=True)

    def action(name: str, help: str, description: str, examples: str) -> argparse.ArgumentParser:
        return cmds.add_parser(name, help=help, description=description, epilog=f"examples:\n{examples}",
                               formatter_class=argparse.RawDescriptionHelpFormatter)

    ls = action("list", "every run under a results folder (damaged ones named)",
                "One line per run (sweep variants with their levers), newest first; a damaged run folder "
                "is named on stderr and the others are still listed (exit 1 if any is damaged).",
                "  medtwin results list results/\n  medtwin results list results/exam --json")
    ls.add_argument("root", type=Path, help="results folder, sweep folder or run folder")
    ls.add_argument("--json", action="store_true", help="print rows as JSON")
    ls.set_defaults(handler=_list)
    show = action("show", "one run: manifest and KPI summary",
                  "A run's scenario, seed, replications and failures, and every KPI with its 95 % interval.",
                  "  medtwin results show results/nelson\n  medtwin results show results/exam/v001 --json")
    show.add_argument("run", type=Path, help="run folder")
    show.add_argument("--json", action="store_true", help="print the summary as JSON")
    show.set_defaults(handler=_show)
    cmp_ = action("compare", "KPI differences between runs or a sweep's variants, with CIs",
                  "Each run minus the baseline on each --kpi, with its confidence interval: paired when the "
                  "runs share random streams (a sweep's common random numbers), Welch's otherwise; --rank "
                  "orders the runs and marks those that cannot be told from the best.",
                  "  medtwin results compare results/exam --kpi wait.non_trauma.examination --rank\n"
                  "  medtwin results compare results/base results/extra_nurse --kpi los.ed.mean")
    cmp_.add_argument("runs", type=Path, nargs="+", help="run folders, or a sweep folder (all its variants)")
    cmp_.add_argument("--kpi", required=True, action="append", help="KPI name (repeat for several)")
    cmp_.add_argument("--baseline", type=int, default=0,
                      help="index of the baseline run (default: the first)")
    cmp_.add_argument("--rank", action="store_true", help="also rank the runs on each KPI")
    cmp_.add_argument("--higher-is-better", action="store_true", help="rank larger values first")
    cmp_.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    cmp_.set_defaults(handler=_compare)
    rep = action("report", "a self-contained HTML report to send to colleagues",
                 "One HTML file with no scripts and nothing fetched: KPIs by variant with intervals, "
                 "differences, waits by hour, utilisation heat maps, evacuation curves, RSET/ASET.",
                 "  medtwin results report results/exam --out exam_report.html\n"
                 "  medtwin results report results/a results/b --out ab.html --kpi util.exam_room")
    rep.add_argument("runs", type=Path, nargs="+", help="run folders, or a sweep folder")
    rep.add_argument("--out", type=Path, required=True, help="HTML file to write")
    rep.add_argument("--kpi", action="append", default=None, help="KPI to tabulate (default: the usual ones)")
    rep.add_argument("--title", default=None, help="report heading")
    rep.set_defaults(handler=_report)


def _num(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _list(args: argparse.Namespace) -> int:
    from scenarios.store import registry, scan

    s = scan(args.root)
    rows = registry(args.root)
    if args.json:
        print(json.dumps({"runs": rows, "problems": [{"path": str(p.path), "message": p.message}
                                                     for p in s.problems]}, indent=1, default=str))
    else:
        print(f"{'path':<28} {'kind':<11} {'name':<26} {'seed':>6} {'done':>5} {'failed':>6}  "
              "finished  levers")
        for r in rows:
            print(f"{r['path']:<28} {r['kind']:<11} {str(r['name'])[:26]:<26} {_num(r['seed']):>6} "
                  f"{_num(r['done']):>5} {_num(r['failed']):>6}  {r['finished']}  {r['levers'] or ''}")
        for p in s.problems:
            print(f"damaged: {p.message}", file=sys.stderr)
    return 1 if s.problems else 0


def _show(args: argparse.Namespace) -> int:
    from scenarios.store import jsonable, open_run

    run = open_run(args.run)
    if args.json:
        print(json.dumps(jsonable({"manifest": {k: v for k, v in run.manifest.items()
                                                if k != "replication_status"},
                                   "summary": run.summary}), indent=1))
        return 0
    m = run.manifest
    print(f"{run.path}: {m['kind']} {m['name']!r}, seed {m['seed']}, {m['done']} done, {m['failed']} failed, "
          f"medtwin {m.get('version')}, finished {m.get('finished')}")
    if run.variant:
        v = run.variant
        print(f"variant {v.get('index')} of sweep {v.get('sweep')!r}: {v['levers']}")
    print(f"tables: {', '.join(run.tables)}")
    print(f"{'KPI':<48} {'mean':>11} {'95% low':>11} {'95% high':>11} {'n':>4}")
    for k, v in run.summary.items():
        if isinstance(v, dict) and "mean" in v:
            print(f"{k:<48} {_num(v['mean']):>11} {_num(v.get('low')):>11} {_num(v.get('high')):>11} "
                  f"{_num(v.get('n')):>4}")
    for r in m["replication_status"]:
        if r["status"] == "failed":
            last = r.get("error", "").strip().splitlines()[-1:] or [""]
            print(f"replication {r['index']} failed: {last[0]}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from scenarios.compare import compare, expand, label, rank
    from scenarios.errors import ArgumentError

    if not 0 < args.level < 1:
        raise ArgumentError(f"--level: must be between 0 and 1, got {args.level}")
    runs = expand(args.runs)
    if len(runs) < 2 and not args.rank:
        raise ArgumentError("--kpi: comparing needs at least two runs (or a sweep folder)")
    pct = f"{args.level:.0%}"
    for kpi in args.kpi:
        if len(runs) > 1:
            diffs = compare(runs, kpi, baseline=args.baseline, level=args.level)
            print(f"{kpi}: difference from {label(runs[args.baseline])} ({pct} interval)")
            for d in diffs:
                mark = "*" if d.significant else " "
                print(f"  {mark} {d.variant:<44} {_num(d.variant_mean):>10} vs {_num(d.baseline_mean):>10}  "
                      f"diff {_num(d.mean):>10} [{_num(d.low)}, {_num(d.high)}]  n={d.n} "
                      f"{'paired' if d.paired else 'independent'}")
        if args.rank:
            print(f"{kpi}: ranking ({'higher' if args.higher_is_better else 'lower'} is better; = cannot be "
                  "told from the best)")
            for r in rank(runs, kpi, higher_is_better=args.higher_is_better, level=args.level):
                print(f"  {r.rank:>3}{'=' if r.tied_with_best else ' '} {r.label:<44} {_num(r.mean):>10} "
                      f"[{_num(r.low)}, {_num(r.high)}]  n={r.n}")
    print("* the interval excludes zero", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    from facility.files import check_output_path
    from scenarios.compare import expand
    from scenarios.report import write_report

    check_output_path(args.out, what="--out")
    runs = expand(args.runs)
    path = write_report(runs, args.out, kpis=args.kpi, title=args.title)
    print(f"report of {len(runs)} run(s) written to {path}", file=sys.stderr)
    return 0
