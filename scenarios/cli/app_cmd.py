"""``medtwin app``: serve the Streamlit what-if app.

The command *becomes* the Streamlit server (``os.execv``) rather than starting
it as a child: the process id a user or a service manager holds is the
server's, so stopping it by that id stops the server, and Ctrl-C reaches it
directly.  The server listens on 127.0.0.1 unless ``--host`` says otherwise,
and Streamlit's file watcher is off: it would otherwise watch the whole
checkout (``.venv`` included) and fill the log with inotify overflows.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "MAX_UPLOAD_MB", "register", "streamlit_argv"]

#: Only this machine can reach the app unless the user asks for a network address.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501
#: Largest file Streamlit's own uploader takes (MB; it holds a file in memory): facility files, and
#: scans when the app runs without its streaming upload endpoint (``streamlit run app.py``).
MAX_UPLOAD_MB = 1024


def register(sub: Any) -> None:
    p = sub.add_parser(
        "app",
        help="serve the Streamlit app on http://127.0.0.1:PORT",
        description=("Serve the medtwin Streamlit app (the sample hospital unless --facility is given). "
                     "It listens on 127.0.0.1 only; pass --host 0.0.0.0 to serve it on the network."),
        epilog=("examples:\n  medtwin app --port 8501\n  medtwin app --facility extracted.json\n"
                "  medtwin app --results results --host 0.0.0.0\n"
                "  medtwin app --scans /data/scans   # scans too large to upload"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port to serve on (default {DEFAULT_PORT})")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}: this machine only; "
                        "0.0.0.0 serves every network interface)")
    p.add_argument("--facility", type=Path, default=None, help="facility file to open (default: sample)")
    p.add_argument("--results", type=Path, default=Path("results"),
                   help="results store the app writes runs to and lists (default: ./results)")
    p.add_argument("--scans", type=Path, default=Path("scans"),
                   help="folder of scans on this machine the Facility page can open, of any size, "
                        "read in chunks where they lie (default: ./scans)")
    p.add_argument("--upload-port", type=int, default=0,
                   help="port of the scan upload endpoint served beside the app on the same address "
                        "(default: a free port; set one to open it in a firewall): a scan uploaded in "
                        "the browser is streamed there to a temporary file, never held in memory")
    p.set_defaults(handler=_run)


def _app_path() -> Path:
    import app

    return Path(app.__file__).resolve()


def streamlit_argv(*, port: int, host: str, facility: Path | None, results: Path,
                   scans: Path = Path("scans"), upload_port: int = 0) -> list[str]:
    """The command line that serves the app (Streamlit's ``run``, after warming up the app's modules).

    >>> argv = streamlit_argv(port=8600, host="127.0.0.1", facility=None, results=Path("/r"))
    >>> argv[argv.index("--server.address") + 1], argv[argv.index("--server.fileWatcherType") + 1]
    ('127.0.0.1', 'none')
    """
    # scenarios.ui.serve loads the app's modules, then runs Streamlit's command line in-process
    cmd = [sys.executable, "-m", "scenarios.ui.serve", "run", str(_app_path()),
           "--server.port", str(port), "--server.address", host, "--server.headless", "true",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false",
           "--server.maxUploadSize", str(MAX_UPLOAD_MB),
           "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",
           "--", "--results", str(results.resolve()), "--scans", str(scans.resolve()),
           "--upload-port", str(upload_port)]
    if facility is not None:
        cmd += ["--facility", str(facility.resolve())]
    return cmd


def _run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        print(f"error: --port must be between 1 and 65535, got {args.port}", file=sys.stderr)
        return 2
    if not 0 <= args.upload_port < 65536 or args.upload_port == args.port:
        print("error: --upload-port must be 0 (a free port) or a port other than --port, "
              f"got {args.upload_port}", file=sys.stderr)
        return 2
    if args.facility is not None and not args.facility.is_file():
        print(f"error: {args.facility}: facility file not found", file=sys.stderr)
        return 2
    cmd = streamlit_argv(port=args.port, host=args.host, facility=args.facility, results=args.results,
                         scans=args.scans, upload_port=args.upload_port)
    shown = "localhost" if args.host == DEFAULT_HOST else args.host
    print(f"medtwin app: serving on http://{shown}:{args.port} (stop with Ctrl-C)", flush=True)
    os.execv(cmd[0], cmd)  # replaces this process: signals sent to its pid reach the server
    return 0  # pragma: no cover - execv does not return
