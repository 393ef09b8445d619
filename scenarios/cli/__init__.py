"""The ``medtwin`` command line: one root parser, one module per command group, one exception boundary.

Each ``*_cmd`` module exposes ``register(subparsers)`` and keeps its own
imports inside its handlers, so ``medtwin --help`` stays fast and a broken
optional dependency only breaks the command that needs it.

Handlers raise; they do not print errors. :func:`main` is the one place
failures become what a user sees:

* an expected failure (a bad file, field, flag or path: any
  :class:`~facility.errors.FacilityError`, :class:`~scenarios.errors.ScenarioError`
  or :class:`~lidar.errors.LidarError`) is one line ``error: FILE: FIELD: problem``
  on stderr and exit status 2;
* anything else is a bug in medtwin: one line saying so, where the full report
  was logged and how to report it, and exit status 3. The traceback goes to the
  log file only, and the line shown names no local path, so it can be pasted
  into a public report as it is.

Python warnings (shapely's RuntimeWarnings on degenerate geometry, numpy's on
overflow) go to the same log, never to the terminal: every warning meant for a
user is printed by the command itself, naming the file and element.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

from scenarios.cli import app_cmd, facility_cmd, lidar_cmd, results_cmd, run_cmd, sweep_cmd

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_BUG", "EXIT_INPUT", "LOG_NAME", "build_parser", "log_path", "main"]

#: Exit status of an expected failure (bad file, field, flag or path), as argparse uses for bad flags.
EXIT_INPUT = 2
#: Exit status of an unexpected failure (a bug in medtwin).
EXIT_BUG = 3
#: Exit status when the reader of stdout closed the pipe (128 + SIGPIPE), as shell tools use.
EXIT_BROKEN_PIPE = 141
LOG_NAME = "medtwin.log"
#: Problems of a multi-problem error shown on its one line (the rest are counted).
_SHOWN_PROBLEMS = 3
_LOG = logging.getLogger("medtwin")

_EPILOG = """examples:
  medtwin sample --out hospital.json
  medtwin facility validate hospital.json
  medtwin facility show hospital.json --out plan.png
  medtwin lidar extract scan.ply --out extracted.json --report report.json
  medtwin run scenarios/library/nelson_treatment_centre.yaml --out results/nelson
  medtwin sweep nelson.yaml --vary resources.exam_room.count=2,3,4 --out results/exam
  medtwin results compare results/exam --kpi wait.non_trauma.examination --rank
  medtwin app

exit status: 0 success, 2 a bad file, field, flag or path (one line names it),
3 an internal error (a bug: the details are in the log named on screen).
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
    for module in (facility_cmd, lidar_cmd, run_cmd, sweep_cmd, results_cmd, app_cmd):
        module.register(sub)
    return parser


def log_path() -> Path:
    """Where the CLI logs internal errors and warnings.

    ``$MEDTWIN_LOG_DIR/medtwin.log`` if that is set, else the user's cache
    folder (``$XDG_CACHE_HOME`` or ``~/.cache``) under ``medtwin/``.
    """
    folder = os.environ.get("MEDTWIN_LOG_DIR")
    if folder:
        return Path(folder) / LOG_NAME
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "medtwin" / LOG_NAME


def _shown(path: Path) -> str:
    """The log path as shown to a user: relative to home, or by its variable, never a full local path."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return f"$MEDTWIN_LOG_DIR/{LOG_NAME}" if os.environ.get("MEDTWIN_LOG_DIR") else LOG_NAME


def _expected_errors() -> tuple[type[BaseException], ...]:
    from facility.errors import FacilityError
    from lidar.errors import LidarError
    from scenarios.errors import ScenarioError

    return FacilityError, ScenarioError, LidarError


def _one_line(exc: BaseException) -> str:
    r"""The message of an expected error on one line: a list of problems is joined, the first few shown.

    >>> _one_line(ValueError("f.json: 3 problems:\n  a\n  b\n  c\n  d\n  e"))
    'f.json: 3 problems: a; b; c (and 2 more)'
    """
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    if not lines:
        return type(exc).__name__
    head, rest = lines[0], lines[1:]
    shown = "; ".join(rest[:_SHOWN_PROBLEMS])
    more = f" (and {len(rest) - _SHOWN_PROBLEMS} more)" if len(rest) > _SHOWN_PROBLEMS else ""
    return head + (" " + shown + more if rest else "")


def _attach_log() -> logging.Handler:
    """Send the ``medtwin`` logger and Python warnings to the log file (never the terminal)."""
    path = log_path()
    handler: logging.Handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    except OSError:
        handler = logging.NullHandler()  # an unwritable cache folder must not stop a command
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("medtwin", "py.warnings"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return handler


def _detach_log(handler: logging.Handler) -> None:
    for name in ("medtwin", "py.warnings"):
        logging.getLogger(name).removeHandler(handler)
    handler.close()


def _report_bug(exc: BaseException, argv: Sequence[str] | None) -> None:
    command = " ".join((argv if argv is not None else sys.argv[1:])[:2])
    _LOG.error("internal error in 'medtwin %s'\n%s", command,
               "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    print(f"error: internal error ({type(exc).__name__}): this is a bug in medtwin, not a problem with your "
          f"files. The details were logged to {_shown(log_path())}; please report it on the medtwin issue "
          "tracker with the command you ran and that log (check it holds nothing confidential first).",
          file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``medtwin`` console script; returns the exit code.

    See the module docstring for what each kind of failure prints.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = _attach_log()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            logging.captureWarnings(True)
            try:
                code: int = args.handler(args)
            finally:
                logging.captureWarnings(False)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``medtwin ... | head``): not an error of ours.
        # Point stdout at nothing so the interpreter's final flush cannot fail again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except _expected_errors() as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:
        _report_bug(exc, argv)
        return EXIT_BUG
    finally:
        _detach_log(handler)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
