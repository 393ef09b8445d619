"""``medtwin app``: serve the Streamlit what-if app."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "app",
        help="serve the Streamlit app on http://localhost:PORT",
        description="Serve the medtwin Streamlit app (the sample hospital unless --facility is given).",
        epilog="example:\n  medtwin app --port 8501\n  medtwin app --facility extracted.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    p.add_argument("--facility", type=Path, default=None, help="facility file to open (default: sample)")
    p.set_defaults(handler=_run)


def _app_path() -> Path:
    import app

    return Path(app.__file__).resolve()


def _run(args: argparse.Namespace) -> int:
    cmd = [sys.executable, "-m", "streamlit", "run", str(_app_path()),
           "--server.port", str(args.port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    if args.facility is not None:
        cmd += ["--", "--facility", str(args.facility.resolve())]
    print(f"medtwin app: serving on http://localhost:{args.port}", flush=True)
    return subprocess.call(cmd)
