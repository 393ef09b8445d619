"""The app's server process: ``python -m scenarios.ui.serve run app.py [streamlit options]``.

Streamlit imports a page's modules only when the first visitor arrives, so
the first page of a fresh server waited for numpy, pandas, shapely, plotly,
the models and the sample hospital to load.  This module loads them first,
draws the landing page's plan, and starts the first run's worker and waits
for it to warm up (:func:`scenarios.ui.jobs.prepare_spare`), then runs
Streamlit's own command line in the same process: the server answers its
health check only once the first page can be drawn at once and nothing else
is warming up beside it, and ``medtwin app`` still execs one process that
signals reach.
"""

from __future__ import annotations

import inspect
import sys

__all__ = ["SPARE_WAIT_S", "main", "warm"]

#: Longest the server waits for the first run's worker to warm up before answering its health check.
SPARE_WAIT_S = 20.0


def warm() -> None:
    """Import what every page needs and build the sample hospital once (cached for the process)."""
    import plotly.graph_objects as go

    import facility
    import scenarios.ui.evacuation_view
    import scenarios.ui.infection_view
    import scenarios.ui.operations_view
    import scenarios.ui.results_view  # noqa: F401
    from scenarios.ui.common import SAMPLE
    from scenarios.ui.facility_view import facility_text, level_plan
    from scenarios.ui.plans import labelled_plan

    first = facility.sample().levels[0].id
    go.Figure(labelled_plan(facility.sample(), first))  # fills plotly's validator caches once
    level_plan(SAMPLE, first)  # the landing page's plan and download, cached for every session
    facility_text(SAMPLE)
    from scenarios.ui.jobs import prepare_spare

    prepare_spare(wait_s=SPARE_WAIT_S)  # the first run's worker, its models imported and compiled
    # Streamlit's first element in a process inspects the call stack once (is this a REPL?), and
    # the standard library then maps every loaded module to its file: 0.3-0.5 s with the models
    # loaded, paid by the first visitor's page.  One stack inspection here fills that map.
    inspect.stack()


def _option(argv: list[str], name: str, default: str) -> str:
    """The value of Streamlit option ``name`` on its command line ``argv``.

    >>> _option(["run", "app.py", "--server.port", "8600"], "--server.port", "8501")
    '8600'
    """
    return argv[argv.index(name) + 1] if name in argv[:-1] else default


def main(argv: list[str]) -> int:
    """Warm up, then run ``streamlit`` with ``argv`` (e.g. ``["run", "app.py", "--server.port", "8501"]``).

    The scan upload endpoint (:mod:`scenarios.ui.upload_server`) is started first, on the
    app's own address.
    """
    from scenarios.ui import upload_server
    from scenarios.ui.uploads import SCAN_SUFFIXES

    app_args = argv[argv.index("--") + 1:] if "--" in argv else []
    upload_server.start(_option(argv, "--server.address", "127.0.0.1"),
                        int(_option(argv, "--server.port", "8501")), tuple(f".{s}" for s in SCAN_SUFFIXES),
                        port=int(_option(app_args, "--upload-port", "0")))
    warm()
    from streamlit.web import cli

    sys.argv = ["streamlit", *argv]
    try:
        cli.main(prog_name="streamlit")
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
