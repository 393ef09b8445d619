"""``medtwin lidar``: scans to facility files, and synthetic scans with ground truth."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

__all__ = ["StageProgress", "register"]

_EXTRACT_EPILOG = """examples:
  medtwin lidar extract floor3.laz --out floor3.json --report floor3_report.json --preview floor3.png
  medtwin lidar extract scan.e57 --out f.json --units mm --voxel 0.04
  medtwin lidar extract scan.ply --out f.json --truth truth.json   (adds the accuracy table)
  medtwin lidar extract g.laz f1.laz f2.laz --out building.json     (one file per storey, one frame)
"""

_SYNTH_EPILOG = """examples:
  medtwin sample --out hospital.json
  medtwin lidar synth hospital.json --level L2 --out l2.ply --truth l2_truth.json --seed 7
  medtwin lidar extract l2.ply --out l2_extracted.json --truth l2_truth.json
"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "lidar",
        help="extract a facility from a scan, or make a synthetic scan of a facility",
        description="Point clouds to facilities (extract) and facilities to point clouds (synth).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_EXTRACT_EPILOG + "\n" + _SYNTH_EPILOG,
    )
    lsub = p.add_subparsers(dest="lidar_command", metavar="SUBCOMMAND", required=True)

    e = lsub.add_parser(
        "extract",
        help="extract levels, rooms, corridors, doors and exits from a scan",
        description="Read a scan (.ply .pcd .xyz .txt .pts .las .laz .e57) and write a facility file. "
                    "Exits inferred from openings to unscanned space are flagged for you to confirm.",
        epilog=_EXTRACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("scan", type=Path, nargs="+",
                   help="scan file, or one file per storey (bottom to top, registered to one frame)")
    e.add_argument("--elevation", type=float, action="append", default=None,
                   help="with one file per storey whose floors are each at height 0: each storey's floor "
                        "elevation in m (repeat, bottom to top)")
    e.add_argument("--out", type=Path, required=True, help="facility JSON to write")
    e.add_argument("--report", type=Path, default=None, help="extraction report JSON (warnings, timings)")
    e.add_argument("--preview", type=Path, default=None, help="PNG of rooms, doors and graph over the walls")
    e.add_argument("--units", choices=("m", "cm", "mm"), default="m", help="units of the scan (default m)")
    e.add_argument("--voxel", type=float, default=None, help="down-sampling voxel in m (default 0.05)")
    e.add_argument("--name", default=None, help="facility name (default: the scan's file name)")
    e.add_argument("--truth", type=Path, default=None,
                   help="true facility file: print and report the accuracy of the extraction")
    e.add_argument("--json", action="store_true", help="print the summary as JSON")
    e.set_defaults(handler=_extract)

    s = lsub.add_parser(
        "synth",
        help="simulate a terrestrial laser scan of a facility (exact ground truth)",
        description="Ray-cast a facility's walls, floors, ceilings, clutter and (optionally) people "
                    "from scanner stations in every space; write the cloud and the true facility.",
        epilog=_SYNTH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("facility", help="facility file, or 'sample' for the built-in hospital")
    s.add_argument("--out", type=Path, required=True, help="point cloud to write (.ply .pcd .xyz)")
    s.add_argument("--truth", type=Path, default=None, help="facility file of the scanned levels (truth)")
    s.add_argument("--level", action="append", default=None,
                   help="level id to scan (repeat for several; default: all levels)")
    s.add_argument("--spacing", type=float, default=0.02, help="point spacing in m (default 0.02)")
    s.add_argument("--clutter", type=float, default=0.04, help="furniture items per m^2 (default 0.04)")
    s.add_argument("--people", type=float, default=0.0, help="standing people per m^2 (default 0)")
    s.add_argument("--closed-doors", type=float, default=0.0,
                   help="fraction of doors scanned closed, 0-1 (default 0)")
    s.add_argument("--leaf", default="recessed", metavar="KIND",
                   help="what a closed door shows: 'recessed' (a leaf set back from one face, the default), "
                        "'framed' (a leaf flush with the wall in an architrave) or 'flush' (no trace at all)")
    s.add_argument("--seed", type=int, default=0, help="random seed (same seed, same scan)")
    s.set_defaults(handler=_synth)


def _check_outputs(args: argparse.Namespace, flags: tuple[str, ...], inputs: list[Any]) -> None:
    """Check every output path before the work starts: a long extraction must not fail at its last
    write, nor write over the scan it read or over another of its outputs."""
    from facility.files import check_outputs

    check_outputs({f"--{flag}": getattr(args, flag) for flag in flags}, inputs=inputs)


def _extract(args: argparse.Namespace) -> int:
    from dataclasses import replace

    import lidar
    from facility import FacilityValidationError, io
    from facility.files import atomic_path
    from facility.validate import validate
    from lidar.preview import render_preview
    from scenarios.errors import ArgumentError

    _check_outputs(args, ("out", "report", "preview"), [*args.scan, *([args.truth] if args.truth else [])])
    opt = lidar.ExtractOptions(units=args.units)
    if args.voxel is not None:
        try:
            opt = replace(opt, voxel=args.voxel)
        except lidar.ScanOptionError as exc:
            raise ArgumentError(f"--voxel: {exc}") from None
    truth = None
    if args.truth is not None:
        # Truth of one scanned level may lack exits (they are on other levels),
        # so it is read without the whole-building checks; read first, so a bad
        # --truth fails before the extraction's minutes of work.
        truth = io.load(args.truth, validate=False)
    progress = StageProgress(sys.stderr)
    try:
        source = args.scan[0] if len(args.scan) == 1 else args.scan
        ex = lidar.extract(source, opt, name=args.name, progress=progress, elevations=args.elevation)
    finally:
        progress.close()
    fac = ex.facility
    problems = [i for i in validate(fac, source=str(args.out)) if i.severity == "error"]
    if problems:
        raise FacilityValidationError(f"{' + '.join(map(str, args.scan))} (extracted)", problems)
    io.save(fac, args.out)
    exit_lines: list[str] = []
    if truth is not None:
        acc = lidar.accuracy(fac, truth)
        exit_lines = acc.exit_lines()
        ex.report.accuracy = {**acc.as_dict(), "missed_exits": list(acc.missed_exits),
                              "false_exits": list(acc.false_exits)}
    if args.report is not None:
        ex.report.write(args.report)
    if args.preview is not None:
        with atomic_path(args.preview, what="--preview") as tmp:
            render_preview(ex, tmp)
    summary = {"facility": str(args.out), **fac.summary(), "warnings": ex.report.warnings}
    if ex.report.accuracy is not None:
        summary["accuracy"] = ex.report.accuracy
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"wrote {args.out}: {summary['levels']} level(s), {summary['spaces']} spaces, "
              f"{summary['doors']} doors, {summary['exits']} exits")
        for w in ex.report.warnings:
            print(f"  check: {w}")
        for k, v in (ex.report.accuracy or {}).items():
            if isinstance(v, float):
                print(f"  {k:>22}: {v:.4g}")
        for line in exit_lines:
            print(f"  {line}")
    return 0


class StageProgress:
    """Stage progress of an extraction on ``stream``, called as ``progress(stage, done, total)``.

    On a terminal each stage is a tqdm bar. Redirected to a file or a pipe
    (a batch job's log), bars would fill the log with carriage returns and
    half-drawn lines, so each stage is one plain line when it ends, with its
    wall time: ``lidar: L1 rooms done in 2.3 s``.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.terminal = bool(getattr(stream, "isatty", lambda: False)())
        self._bars: dict[str, Any] = {}
        self._started: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.terminal:
            self._bar(stage, done, total)
            return
        self._started.setdefault(stage, time.perf_counter())
        if done >= total:
            seconds = time.perf_counter() - self._started.pop(stage)
            print(f"lidar: {stage} done in {seconds:.1f} s", file=self.stream, flush=True)

    def _bar(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage not in self._bars:
            self._bars[stage] = tqdm(total=total, desc=f"{stage:>14}", unit="stage", file=self.stream,
                                     leave=True)
        bar = self._bars[stage]
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    def close(self) -> None:
        """Close every bar still open (an extraction that failed part way)."""
        for bar in self._bars.values():
            bar.close()


def _synth(args: argparse.Namespace) -> int:
    import numpy as np

    import lidar
    from facility import io
    from facility.files import write_atomic
    from facility.sample import sample
    from lidar.synth import LEAVES, truth_for_levels
    from lidar.writers import write_cloud
    from scenarios.errors import ArgumentError

    _check_outputs(args, ("out", "truth"), [] if args.facility == "sample" else [args.facility])
    if args.leaf not in LEAVES:
        raise ArgumentError(f"--leaf {args.leaf!r}: expected one of {', '.join(LEAVES)}")
    if not 0.0 <= args.closed_doors <= 1.0:  # also refuses nan
        raise ArgumentError(f"--closed-doors {args.closed_doors}: expected a fraction of the doors, 0 to 1")
    if args.seed < 0:  # numpy refuses it deep in the work, as an internal error
        raise ArgumentError(f"--seed {args.seed}: expected a whole number >= 0")
    fac = sample() if args.facility == "sample" else io.load(args.facility)
    opt = lidar.SynthOptions(spacing=args.spacing, clutter_per_m2=args.clutter, people_per_m2=args.people,
                             closed_door_fraction=args.closed_doors, leaf=args.leaf,
                             levels=tuple(args.level) if args.level else None)
    # The truth text is made before anything is written, so a facility that
    # cannot be written as JSON leaves no half of the output behind.
    truth = (io.dumps(truth_for_levels(fac, opt.levels or [lv.id for lv in fac.levels]))
             if args.truth is not None else None)
    pts = lidar.synthesize(fac, rng=np.random.default_rng(args.seed), options=opt)
    write_cloud(pts, args.out)
    if truth is not None:
        write_atomic(args.truth, truth, what="--truth")
    print(f"wrote {args.out}: {len(pts):,} points" + (f"; truth {args.truth}" if args.truth else ""))
    return 0
