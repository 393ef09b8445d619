"""The app's server process: ``python -m scenarios.ui.serve run app.py [streamlit options] [-- app args]``.

Streamlit imports a page's modules only when the first visitor arrives, so
the first page of a fresh server waited for numpy, pandas, shapely, plotly,
the models and the sample hospital to load.  This module loads them first,
draws the landing page's plan, and starts the first run's worker and waits
for it to warm up (:func:`scenarios.ui.jobs.prepare_spare`), then serves the
app with Streamlit in the same process: the server answers its
health check only once the first page can be drawn at once and nothing else
is warming up beside it, and ``medtwin app`` still execs one process that
signals reach.  The same process serves the scan upload route
(:mod:`scenarios.ui.upload_routes`) on the app's own port.
"""

from __future__ import annotations

import gc
import inspect
import sys
from pathlib import Path

__all__ = ["SPARE_WAIT_S", "main", "options", "warm"]

#: Longest the server waits for the first run's worker to warm up before answering its health check.
SPARE_WAIT_S = 20.0


def warm() -> None:
    """Import what every page needs and build the sample hospital once (cached for the process)."""
    import mimetypes

    import PIL.Image  # noqa: F401 - the page icon is made with it, on the first visitor's page otherwise
    import plotly.graph_objects as go

    import facility
    import scenarios.ui.evacuation_view
    import scenarios.ui.infection_view
    import scenarios.ui.operations_view
    import scenarios.ui.results_view  # noqa: F401
    from scenarios.ui.common import SAMPLE
    from scenarios.ui.facility_view import compartments_html, facility_text, level_plan, spaces_html
    from scenarios.ui.plans import labelled_plan

    mimetypes.init()  # the download button's type is looked up in the system's tables, read once
    first = facility.sample().levels[0].id
    go.Figure(labelled_plan(facility.sample(), first))  # fills plotly's validator caches once
    level_plan(SAMPLE, first)  # the landing page's plan and download, cached for every session
    facility_text(SAMPLE)
    spaces_html(SAMPLE, first, ())  # and its tables
    compartments_html(SAMPLE)
    from scenarios.ui.jobs import prepare_spare

    prepare_spare(wait_s=SPARE_WAIT_S)  # the first run's worker, its models imported and compiled
    # Streamlit's first element in a process inspects the call stack once (is this a REPL?), and
    # the standard library then maps every loaded module to its file: 0.3-0.5 s with the models
    # loaded, paid by the first visitor's page.  One stack inspection here fills that map.
    inspect.stack()
    # Streamlit collects garbage after every page view (runner.postScriptGC), holding the interpreter
    # while it walks every object: 0.5-0.7 s with the models loaded, during which the server sent
    # nothing, not even the scripts the browser asked for to draw the page.  What is loaded now
    # lives as long as the process: frozen, it is left out of every collection from here on.
    gc.collect()
    gc.freeze()


def _value(text: str) -> bool | int | str:
    """A Streamlit option's value as its command line spells it, typed.

    >>> _value("8600"), _value("false"), _value("127.0.0.1")
    (8600, False, '127.0.0.1')
    """
    if text in ("true", "false"):
        return text == "true"
    return int(text) if text.isdigit() else text


def options(argv: list[str]) -> tuple[Path, dict[str, bool | int | str], list[str]]:
    """Split ``run APP [--section.option VALUE ...] [-- APP ARGS]``: the app, its options, its arguments.

    >>> options(["run", "app.py", "--server.port", "8600", "--", "--results", "r"])
    (PosixPath('app.py'), {'server.port': 8600}, ['--results', 'r'])
    """
    cut = argv.index("--") if "--" in argv else len(argv)
    head, app_args = argv[:cut], argv[cut + 1:]
    if len(head) < 2 or head[0] != "run" or (len(head) - 2) % 2:
        raise SystemExit("usage: python -m scenarios.ui.serve run APP [--section.option VALUE ...] [-- ARGS]")
    flags = head[2::2]
    if not all(f.startswith("--") and "." in f for f in flags):
        raise SystemExit(f"not Streamlit options: {' '.join(flags)}")
    return Path(head[1]), {f[2:]: _value(v) for f, v in zip(flags, head[3::2], strict=True)}, app_args


def main(argv: list[str]) -> int:
    """Warm up, then serve the app with the scan upload route beside its pages, on the same port.

    ``argv`` is ``["run", APP, "--server.port", "8501", ..., "--", APP ARGS]``.  The app runs as
    Streamlit's ``st.App`` with the routes of :mod:`scenarios.ui.upload_routes` added, so a
    scan reaches the server through the same address (and reverse proxy) as the pages.
    """
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    from scenarios.ui import upload_store
    from scenarios.ui.common import app_arguments
    from scenarios.ui.upload_routes import upload_routes

    app_path, config, app_args = options(argv)
    results = Path(app_arguments([str(app_path), *app_args]).results).resolve()
    store = upload_store.install(folder=results / upload_store.UPLOAD_DIR)  # kept across restarts
    routes = upload_routes(store, str(config.get("server.baseUrlPath", "")))
    warm()
    sys.argv = [str(app_path.resolve()), *app_args]  # the app reads its own arguments from here
    # A pages/ folder beside the app makes Streamlit run the process's first page view through its
    # older folder-of-pages navigation, which knows no page of st.navigation: a first visitor
    # opening /operations saw "Page not found".  The app lists its pages with st.navigation, which
    # sets this flag on its first call; setting it first makes every view, the first too, use it.
    PagesManager.uses_pages_directory = False
    st.App(app_path.resolve(), routes=routes).run(config=config)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
