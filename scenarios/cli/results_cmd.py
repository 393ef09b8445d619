"""``medtwin results``: list, show, compare and report stored runs and sweeps."""

from __future__ import annotations

import argparse
import json
import math
import re
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

    ls = action("list", "every run under a results folder (damaged and interrupted ones named)",
                "One line per run (sweep variants with their levers), newest first, then the damaged run "
                "folders (status 'damaged: FILE ...', also named on stderr; exit 1) and the runs and "
                "sweeps interrupted or still running (status 'interrupted: resume with --resume').",
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
    rep.add_argument("--out", type=Path, required=True,
                     help="HTML file to write (outside the run and sweep folders)")
    rep.add_argument("--kpi", action="append", default=None, help="KPI to tabulate (default: the usual ones)")
    rep.add_argument("--title", default=None, help="report heading")
    rep.set_defaults(handler=_report)


#: Characters a terminal acts on rather than shows (C0 and C1 controls, line breaks and tabs among
#: them): a run folder is plain files that anyone may edit or send, and a KPI named with an ESC in
#: a hand-edited kpis.json re-coloured (or could retitle and rewrite) the terminal of whoever ran
#: 'results show'.
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _shown(text: str) -> str:
    r"""``text`` with every control character written as its code point, one line that does nothing.

    >>> _shown("util\x1b[31m.ct\nx")
    'util\\u001b[31m.ct\\u000ax'
    """
    from facility.ids import spelled_out

    return _TERMINAL_CONTROLS.sub(lambda m: spelled_out(m[0]), text)


def _num(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    """Lines of a plain-text table, each column as wide as its longest cell.

    >>> _table(["a", "n"], [["long name", "7"]], right={1})
    ['a          n', 'long name  7']
    """
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in
                      enumerate(zip(r, widths, strict=True))).rstrip() for r in [header, *rows]]


def _list(args: argparse.Namespace) -> int:
    from scenarios.store import registry, scan

    s = scan(args.root)
    rows = registry(args.root)
    others = [*s.problems, *s.unfinished]
    if args.json:
        print(json.dumps({"runs": rows, "problems": [{"path": str(p.path), "message": p.message,
                                                      "status": p.status} for p in s.problems],
                          "unfinished": [{"path": str(p.path), "message": p.message, "status": p.status}
                                         for p in s.unfinished]}, indent=1, default=str))
    else:
        cells = [[r["path"], str(r["kind"]), str(r["name"]), _num(r["seed"]), _num(r["done"]),
                  _num(r["failed"]), str(r["finished"]), "ok", r["levers"] or ""] for r in rows]
        for p in others:
            info = p.info or {}
            cells.append([_relative(p.path, s.root), str(info.get("kind") or "-"),
                          str(info.get("name") or "-"), _num(info.get("seed")), _num(info.get("done")),
                          "-", "-", p.status, ""])
        header = ["path", "kind", "name", "seed", "done", "failed", "finished", "status", "levers"]
        print("\n".join(_table(header, [[_shown(c) for c in row] for row in cells], right={3, 4, 5})))
        for p in s.problems:
            print(f"damaged: {_shown(p.message)}", file=sys.stderr)
    return 1 if s.problems else 0


def _relative(path: Path, root: Path) -> str:
    try:
        rel = str(path.relative_to(root))
    except ValueError:
        return str(path)
    return rel if rel != "." else path.name


def _show(args: argparse.Namespace) -> int:
    from scenarios.store import jsonable, open_run

    # Everything is read and formatted before the first line is printed, so a damaged run
    # gives its one error and nothing else on stdout.
    run = open_run(args.run)
    m = run.manifest
    summary = run.summary
    if args.json:
        print(json.dumps(jsonable({"manifest": {k: v for k, v in m.items() if k != "replication_status"},
                                   "summary": summary}), indent=1))
        return 0
    lines = [f"{run.path}: {m['kind']} {m['name']!r}, seed {m['seed']}, {m.get('done')} done, "
             f"{m.get('failed')} failed, medtwin {m.get('version')}, finished {m.get('finished')}"]
    if run.variant:
        v = run.variant
        lines.append(f"variant {v.get('index')} of sweep {v.get('sweep')!r}: {v.get('levers')}")
    lines.append(f"tables: {', '.join(run.tables)}")
    lines.append(f"{'KPI':<48} {'mean':>11} {'95% low':>11} {'95% high':>11} {'n':>4}")
    for k, v in summary.items():
        if isinstance(v, dict) and "mean" in v:
            lines.append(f"{_shown(k):<48} {_num(v['mean']):>11} {_num(v.get('low')):>11} "
                         f"{_num(v.get('high')):>11} {_num(v.get('n')):>4}")
    for r in m["replication_status"]:
        if isinstance(r, dict) and r.get("status") == "failed":
            last = str(r.get("error") or "").strip().splitlines()[-1:] or [""]
            lines.append(f"replication {r.get('index')} failed: {last[0]}")
    print("\n".join(_shown(line) for line in lines))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from scenarios.compare import compare, expand, label, rank
    from scenarios.errors import ArgumentError

    if not 0 < args.level < 1:
        raise ArgumentError(f"--level: must be between 0 and 1, got {args.level}")
    runs = expand(args.runs)
    if len(runs) < 2 and not args.rank:
        raise ArgumentError("--kpi: comparing needs at least two runs (or a sweep folder)")
    pct = f"{args.level * 100:.10g}%"  # '.0%' printed 0.999 as a "100%" interval
    starred = False
    for kpi in args.kpi:
        if len(runs) > 1:
            diffs = compare(runs, kpi, baseline=args.baseline, level=args.level)
            starred = starred or any(d.significant for d in diffs)
            print(_shown(f"{kpi}: difference from {label(runs[args.baseline])} ({pct} interval)"))
            for d in diffs:
                mark = "*" if d.significant else " "
                print(f"  {mark} {_shown(d.variant):<44} {_num(d.variant_mean):>10} vs "
                      f"{_num(d.baseline_mean):>10}  diff {_num(d.mean):>10} [{_num(d.low)}, "
                      f"{_num(d.high)}]  n={d.n} {'paired' if d.paired else 'independent'}")
        if args.rank:
            print(f"{kpi}: ranking ({'higher' if args.higher_is_better else 'lower'} is better; = cannot be "
                  "told from the best)")
            for r in rank(runs, kpi, higher_is_better=args.higher_is_better, level=args.level):
                if r.n == 0:
                    # Not ranked: no replication has a value (e.g. RSET when not everyone got out).
                    print(f"  {'-':>4} {_shown(r.label):<44} {'no value':>10}  n=0")
                    continue
                tie = "=" if r.tied_with_best else " "
                print(f"  {r.rank:>3}{tie} {_shown(r.label):<44} {_num(r.mean):>10} "
                      f"[{_num(r.low)}, {_num(r.high)}]  n={r.n}")
    if starred:
        print("* the interval excludes zero", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    from scenarios.compare import expand
    from scenarios.report import check_report_path, write_report

    check_report_path(args.out, what="--out")
    runs = expand(args.runs)
    path = write_report(runs, args.out, kpis=args.kpi, title=args.title)
    print(f"report of {len(runs)} run(s) written to {path}", file=sys.stderr)
    return 0
