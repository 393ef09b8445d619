"""``medtwin sample`` and ``medtwin facility validate|show``: facility files from the shell.

A planner's loop is: write the sample (or extract a scan, or draw a plan),
validate it, look at it, edit, repeat.  These commands are that loop; the
work is done by :mod:`facility` (sample, load/save, validate, plot), so the
Python API and the shell give the same answers.

Handlers raise; the one boundary in :mod:`scenarios.cli` turns an error into
one line naming the file and exit status 2. ``facility validate`` first
prints every problem of an invalid facility (one per line, on stdout: that
list is the report the planner asked for).
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facility.model import Facility

__all__ = ["register"]

#: ``medtwin sample`` flags -> SampleOptions fields (the rest keep their defaults).
_SAMPLE_FLAGS: dict[str, tuple[type, str]] = {
    "ward_levels": (int, "ward levels above the critical-care level (default 2)"),
    "wards_per_level": (int, "wards per ward level, one smoke compartment each (default 2)"),
    "beds_per_ward": (int, "beds per ward (default 28)"),
    "icu_beds": (int, "ICU beds (default 12)"),
    "theatres": (int, "operating theatres (default 4)"),
    "ct": (int, "CT scanners (default 2)"),
    "xray": (int, "X-ray rooms (default 2)"),
    "mri": (int, "MRI scanners (default 1)"),
    "corridor_width": (float, "corridor clear width in m (default 2.4)"),
    "bed_door_width": (float, "clear width of doors on patient routes in m (default 1.4)"),
    "storey_height": (float, "floor-to-floor height in m (default 4.2)"),
}
_FORMATS = (".png", ".html")


def register(sub: Any) -> None:
    """Add ``sample`` and ``facility`` (with ``validate`` and ``show``) to the root parser."""
    p = sub.add_parser(
        "sample",
        help="write the built-in sample hospital as a facility file",
        description=("Write the parametric sample hospital (ED, imaging, outpatients, critical care, "
                     "wards, 2 stairs, 2 bed lifts, smoke compartments, exits) as a facility JSON file."),
        epilog=("examples:\n"
                "  medtwin sample --out hospital.json\n"
                "  medtwin sample --out small.json --ward-levels 1 --beds-per-ward 20"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", type=Path, required=True, help="facility JSON file to write")
    for name, (kind, text) in _SAMPLE_FLAGS.items():
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, default=None, help=text)
    p.set_defaults(handler=_sample)

    fp = sub.add_parser(
        "facility",
        help="check or draw a facility file",
        description="Check a facility file (validate) or draw its plan (show).",
        epilog=("examples:\n"
                "  medtwin facility validate hospital.json\n"
                "  medtwin facility show hospital.json --out plan.png"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fsub = fp.add_subparsers(dest="facility_command", metavar="COMMAND", required=True)
    v = fsub.add_parser(
        "validate",
        help="check a facility file; print its counts, warnings and errors",
        description=("Load and validate a facility file (JSON or GeoJSON): print the summary counts and "
                     "every warning; on errors print every one, naming the file and the element, "
                     "and exit with status 1."),
        epilog="example:\n  medtwin facility validate hospital.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("file", type=Path, help="facility file (JSON or GeoJSON)")
    v.set_defaults(handler=_validate)
    s = fsub.add_parser(
        "show",
        help="draw the plan of a facility file as PNG or HTML",
        description=("Draw the plan (spaces by use, doors, smoke doors, exits, stairs, lifts, smoke "
                     "compartments and the navigation graph). The format follows the extension of --out: "
                     ".png (a sheet with one panel per level) or .html (interactive, one plot per level)."),
        epilog=("examples:\n"
                "  medtwin facility show hospital.json --out plan.png\n"
                "  medtwin facility show hospital.json --out ground.html --level L0"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("file", type=Path, help="facility file (JSON or GeoJSON)")
    s.add_argument("--out", type=Path, required=True, help="output file: plan.png or plan.html")
    s.add_argument("--level", default=None, help="draw only this level id (default: every level)")
    s.set_defaults(handler=_show)


def _print_summary(facility: Facility) -> None:
    counts = facility.summary()
    width = max(len(k) for k in counts)
    print(f"{facility.name}")
    for key, value in counts.items():
        print(f"  {key:<{width}}  {value}")


def _sample(args: argparse.Namespace) -> int:
    from facility.files import check_output_path
    from facility.io import save
    from facility.sample import SampleOptions, sample
    from scenarios.errors import ArgumentError

    check_output_path(args.out, what="--out")
    chosen = {f.name: getattr(args, f.name) for f in fields(SampleOptions)
              if getattr(args, f.name, None) is not None}
    try:
        facility = sample(SampleOptions(**chosen))
    except ValueError as exc:
        # the options' own words name the Python field ('ward_levels'); the user typed a flag
        text = str(exc).removeprefix("SampleOptions: ")
        for name in chosen:
            text = text.replace(repr(name), "--" + name.replace("_", "-"))
        raise ArgumentError(f"sample options: {text}") from None
    save(facility, args.out)
    _print_summary(facility)
    print(f"wrote {args.out}")
    return 0


def _load(path: Path) -> Facility:
    """Load a facility file; on validation errors print each one (naming the file) before raising."""
    from facility.errors import FacilityValidationError
    from facility.io import load

    try:
        return load(path)
    except FacilityValidationError as exc:
        for issue in exc.issues:
            print(f"{path}: {issue}")
        raise


def _validate(args: argparse.Namespace) -> int:
    from facility.validate import validate

    facility = _load(args.file)
    issues = validate(facility, source=str(args.file))
    _print_summary(facility)
    warnings = [i for i in issues if i.severity != "error"]
    for issue in warnings:
        print(f"{args.file}: {issue}")
    print(f"{args.file}: valid ({len(warnings)} warning(s))")
    return 0


def _show(args: argparse.Namespace) -> int:
    from facility.files import atomic_path, check_outputs
    from scenarios.errors import ArgumentError

    suffix = args.out.suffix.lower()
    if suffix not in _FORMATS:
        raise ArgumentError(f"--out {args.out}: unknown format {suffix or '(no extension)'!r}; "
                            f"expected one of {', '.join(_FORMATS)}")
    check_outputs({"--out": args.out}, inputs=[args.file])
    facility = _load(args.file)
    ids = [lv.id for lv in facility.levels]
    if args.level is not None and args.level not in ids:
        raise ArgumentError(f"--level {args.level!r}: no such level in {args.file}; "
                            f"levels are {', '.join(ids)}")
    with atomic_path(args.out, what="--out") as tmp:
        if suffix == ".png":
            _write_png(facility, args.level, tmp)
        else:
            _write_html(facility, [args.level] if args.level else ids, tmp)
    print(f"wrote {args.out}")
    return 0


def _write_png(facility: Facility, level: str | None, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from facility.plot import plan_figure_matplotlib

    plan_figure_matplotlib(facility, level).savefig(out, dpi=150, format="png")


def _write_html(facility: Facility, levels: list[str], out: Path) -> None:
    import html

    from facility.plot import plan_figure_plotly

    # plotly.js is embedded once (the file must work without a network).
    parts = [plan_figure_plotly(facility, lv).to_html(full_html=False, include_plotlyjs=i == 0)
             for i, lv in enumerate(levels)]
    title = html.escape(facility.name)
    out.write_text(f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title></head>\n"
                   f"<body><h1>{title}</h1>\n" + "\n".join(parts) + "\n</body></html>\n", encoding="utf-8")
