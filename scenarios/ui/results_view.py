"""Results page: the history of the results store; open, compare and download any run.

Every run the app starts lands in the results store, beside runs made with
``medtwin run`` and ``medtwin sweep`` into the same folder.  This page lists
them newest first, compares any selection (KPIs with confidence intervals and
paired deltas against the first), opens an operations or evacuation run on
its own page (charts, playback), and downloads a run folder or an HTML report
of the selection to send to a colleague.
"""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from scenarios.store import open_run, registry, scan
from scenarios.ui.common import plural, readable_error, results_root
from scenarios.ui.compare import KPI_GROUPS, Run, compare
from scenarios.ui.jobs import opened
from scenarios.ui.stored import replication_kpis, scenario_text, summary

__all__ = ["history_table", "page", "zip_run"]

#: The page that shows a run of each kind in full.
PAGE_OF_KIND = {"operations": ("pages/operations_page.py", "ops"),
                "evacuation": ("pages/evacuation_page.py", "evac"),
                "infection": ("pages/infection_page.py", "inf")}


def history_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The registry rows as a person reads them: name, kind, when, replications, wall time."""
    table = pd.DataFrame([{
        "name": r["name"], "kind": r["kind"], "finished": (r.get("finished") or "").replace("T", " "),
        "replications": int(r.get("done") or r.get("replications") or 0),
        "failed": int(r.get("failed") or 0),
        "wall time (s)": round(float(r["wall_s"]), 1) if r.get("wall_s") is not None else None,
        "folder": r["path"]} for r in rows],
        columns=["name", "kind", "finished", "replications", "failed", "wall time (s)", "folder"])
    return table


def zip_run(folder: Path) -> bytes:
    """A run folder as a zip archive (every file, under the folder's name)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f"{folder.name}/{f.relative_to(folder)}")
    return buf.getvalue()


def _report(paths: list[str]) -> None:
    try:
        from scenarios.report import build_report
    except ImportError:  # pragma: no cover - the report module ships with the store
        st.session_state["res_report"] = None
        st.session_state["res_report_error"] = "this installation has no HTML report"
        return
    try:
        st.session_state["res_report"] = build_report([open_run(p) for p in paths])
        st.session_state["res_report_error"] = None
    except Exception as exc:  # the page boundary
        st.session_state["res_report"] = None
        st.session_state["res_report_error"] = readable_error(exc)
    st.session_state["res_report_for"] = list(paths)


def _open(kind: str, paths: list[str], labels: list[str]) -> None:
    page, name = PAGE_OF_KIND[kind]
    root = results_root()
    jobs = [opened(root, Path(p), lb) for p, lb in zip(paths, labels, strict=True)]
    st.session_state[f"jobs_{name}"] = jobs
    st.switch_page(page)


def page() -> None:
    """Draw the Results page."""
    st.title("Results")
    root = results_root()
    st.caption(f"The results store: {root.name}/ ({plural(len(registry(root)), 'run')}). Runs made with "
               "`medtwin run --out` into the same folder appear here too.")
    rows = registry(root)
    problems = scan(root).problems if root.is_dir() else ()
    for problem in problems:
        st.warning(f"{problem.path.name}: {problem.message}")
    if not rows:
        st.info("No runs yet: run an operations comparison or an evacuation drill, or point the app at "
                "a results folder with `medtwin app --results FOLDER`.")
        return
    table = history_table(rows)
    st.dataframe(table, hide_index=True, key="res_table")
    by_folder = {r["path"]: r for r in rows}
    shown = {r["path"]: f"{r['name']} ({r['kind']}, {(r.get('finished') or '')[:16].replace('T', ' ')})"
             for r in rows}
    chosen = st.multiselect("Open or compare runs (the first is the baseline)", list(shown),
                            format_func=shown.__getitem__, key="res_runs", max_selections=6)
    if not chosen:
        return
    paths = [str(root / c) for c in chosen]
    labels = [f"{i}: {by_folder[c]['name']}" for i, c in enumerate(chosen, 1)]
    kinds = {by_folder[c]["kind"] for c in chosen}
    c1, c2, c3 = st.columns(3)
    kind = next(iter(kinds)) if len(kinds) == 1 else ""
    if kind in PAGE_OF_KIND and c1.button("Open on its page", key="res_open", type="primary",
                                          help="the charts, and for a drill the playback"):
        _open(kind, paths, labels)
    c2.button("Make the HTML report", key="res_make_report", on_click=_report, args=(paths,))
    if st.session_state.get("res_report_error"):
        st.error(f"No report: {st.session_state['res_report_error']}")
    if st.session_state.get("res_report") and st.session_state.get("res_report_for") == paths:
        c2.download_button("Download the HTML report", st.session_state["res_report"],
                           file_name="medtwin-report.html", mime="text/html", key="res_download_report")
    if len(chosen) == 1:
        # made only when clicked: a drill's trajectories can be tens of megabytes
        c3.download_button("Download the run (zip)", functools.partial(zip_run, root / chosen[0]),
                           file_name=f"{chosen[0]}.zip", mime="application/zip", key="res_download_run")
    runs = [Run(lb, summary(p), replication_kpis(p)) for lb, p in zip(labels, paths, strict=True)]
    groups = [g for g, (pattern, unit) in KPI_GROUPS.items() if len(compare(runs, pattern, unit))]
    if groups:
        group = st.selectbox("KPIs", groups, key="res_group")
        pattern, unit = KPI_GROUPS[group]
        st.dataframe(compare(runs, pattern, unit), hide_index=True, key="res_kpis")
    for lb, p in zip(labels, paths, strict=True):
        with st.expander(f"Scenario of {lb}"):
            st.code(scenario_text(p), language="yaml")
