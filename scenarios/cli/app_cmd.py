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
#: scans when the app runs without its streaming upload route (``streamlit run app.py``).
MAX_UPLOAD_MB = 1024


def register(sub: Any) -> None:
    p = sub.add_parser(
        "app",
        help="serve the Streamlit app on http://127.0.0.1:PORT",
        description=("Serve the medtwin Streamlit app (the sample hospital unless --facility is given). "
                     "It listens on 127.0.0.1 only; pass --host 0.0.0.0 to serve it on the network."),
        epilog=("examples:\n  medtwin app --port 8501\n  medtwin app --facility extracted.json\n"
                "  medtwin app --results results --host 0.0.0.0\n"
                "  medtwin app --scans /data/scans   # scans on this machine, opened where they lie\n"
                "  medtwin app --base-url-path medtwin   # behind a proxy serving https://host/medtwin/"),
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
    p.add_argument("--upload-url", default="",
                   help="where browsers send scans, when a reverse proxy forwards the app's upload route "
                        "(/medtwin-upload under --base-url-path) from another path: a path such as "
                        "/scans-in or a URL of the same origin as the app (default: the app's own route, "
                        "found from the page's address)")
    p.add_argument("--base-url-path", default="",
                   help="path the app is served under, as a reverse proxy forwards it (e.g. medtwin for "
                        "https://host/medtwin/; Streamlit's server.baseUrlPath; default: none)")
    p.set_defaults(handler=_run)


def _app_path() -> Path:
    import app

    return Path(app.__file__).resolve()


def streamlit_argv(*, port: int, host: str, facility: Path | None, results: Path,
                   scans: Path = Path("scans"), upload_url: str = "", base_url_path: str = "") -> list[str]:
    """The command line that serves the app (Streamlit's ``run``, after warming up the app's modules).

    >>> argv = streamlit_argv(port=8600, host="127.0.0.1", facility=None, results=Path("/r"))
    >>> argv[argv.index("--server.address") + 1], argv[argv.index("--server.fileWatcherType") + 1]
    ('127.0.0.1', 'none')
    """
    # scenarios.ui.serve loads the app's modules, then serves the app and its upload route in-process
    cmd = [sys.executable, "-m", "scenarios.ui.serve", "run", str(_app_path()),
           "--server.port", str(port), "--server.address", host, "--server.headless", "true",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false",
           "--server.maxUploadSize", str(MAX_UPLOAD_MB),
           "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    if base_url_path.strip("/"):
        cmd += ["--server.baseUrlPath", base_url_path.strip("/")]
    cmd += ["--", "--results", str(results.resolve()), "--scans", str(scans.resolve())]
    if upload_url:
        cmd += ["--upload-url", upload_url]
    if facility is not None:
        cmd += ["--facility", str(facility.resolve())]
    return cmd


def _run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        print(f"error: --port must be between 1 and 65535, got {args.port}", file=sys.stderr)
        return 2
    if args.upload_url and not args.upload_url.startswith(("/", "http://", "https://")):
        print("error: --upload-url must be a path starting with / or an http(s) URL, "
              f"got {args.upload_url!r}", file=sys.stderr)
        return 2
    if any(c in args.base_url_path for c in "?#\\ ") or ".." in args.base_url_path.split("/"):
        print(f"error: --base-url-path must be a plain path such as medtwin, got {args.base_url_path!r}",
              file=sys.stderr)
        return 2
    if args.facility is not None and not args.facility.is_file():
        print(f"error: {args.facility}: facility file not found", file=sys.stderr)
        return 2
    for flag, folder, want in (("--results", args.results, "a results folder (created if missing)"),
                               ("--scans", args.scans, "a folder of scans")):
        if folder.exists() and not folder.is_dir():
            # the server would start and fail on its first page with a traceback
            print(f"error: {folder}: {flag}: is a file; expected {want}", file=sys.stderr)
            return 2
    if args.facility is not None:
        from facility.io import load

        # A broken file is named here, in one line, rather than on every page of a running server.
        load(args.facility)
    cmd = streamlit_argv(port=args.port, host=args.host, facility=args.facility, results=args.results,
                         scans=args.scans, upload_url=args.upload_url, base_url_path=args.base_url_path)
    shown = "localhost" if args.host == DEFAULT_HOST else args.host
    base = f"/{args.base_url_path.strip('/')}/" if args.base_url_path.strip("/") else ""
    print(f"medtwin app: serving on http://{shown}:{args.port}{base} (stop with Ctrl-C)", flush=True)
    os.execv(cmd[0], cmd)  # replaces this process: signals sent to its pid reach the server
    return 0  # pragma: no cover - execv does not return
