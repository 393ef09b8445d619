"""The ``medtwin`` command line: one root parser, one module per command group.

Each ``*_cmd`` module exposes ``register(subparsers)`` and keeps its own
imports inside its handlers, so ``medtwin --help`` stays fast and a broken
optional dependency only breaks the command that needs it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from scenarios.cli import app_cmd, facility_cmd, lidar_cmd, run_cmd

__all__ = ["main"]

_EPILOG = """examples:
  medtwin sample --out hospital.json
  medtwin facility validate hospital.json
  medtwin facility show hospital.json --out plan.png
  medtwin lidar extract scan.ply --out extracted.json --report report.json
  medtwin run scenarios/library/nelson_treatment_centre.yaml --out results/nelson
  medtwin app
"""


def build_parser() -> argparse.ArgumentParser:
    """The root parser with every command group registered."""
    parser = argparse.ArgumentParser(
        prog="medtwin",
        description="medtwin: a digital twin of a hospital building and its operations.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (facility_cmd, lidar_cmd, run_cmd, app_cmd):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``medtwin`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
