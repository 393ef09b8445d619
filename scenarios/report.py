"""A self-contained HTML report of stored runs, to send to a colleague.

One file, no scripts and no links to fetch: charts are inline SVG drawn with
matplotlib, so the report opens offline, prints, and shows the same in ten
years.  Sections appear when the runs hold what they need:

* the runs (variant levers, seed, replications, failures, version);
* KPIs by variant with 95 % confidence intervals, as a table and as interval
  plots, and each variant's difference from the first (paired when the runs
  share random streams);
* waits by hour of day (operations ``events``);
* utilisation heat maps, resource x hour (operations ``utilisation``);
* evacuation curves, share of people safe over time (evacuation ``agents``);
* RSET and ASET KPIs where present.

Tables are aggregated by DuckDB straight from the Parquet files, so a large
run is never read into memory whole.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from facility.files import check_output_path, write_atomic
from scenarios.compare import difference, kpi_names, label
from scenarios.errors import CorruptResultsError
from scenarios.store import StoredRun, medtwin_version

__all__ = ["DEFAULT_KPI_PREFIXES", "build_report", "check_report_path", "enclosing_results_folder",
           "write_report"]

#: KPIs shown by default, in this order of preference (most asked-for first).
DEFAULT_KPI_PREFIXES = ("rset_s", "aset", "wait.", "los.", "lwbs.", "util.", "queue.", "loss.", "blocked.",
                        "beds.occupancy.", "rset_compartment.", "evacuated", "remaining", "secondary_cases")
#: Most KPIs in the tables, and in the interval plots.
MAX_KPIS = 40
MAX_PLOTTED_KPIS = 8
#: Most variants drawn as separate heat maps.
MAX_HEATMAPS = 6
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)
_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;
text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}.note{color:#555;font-size:13px}
h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:2em}.sig{font-weight:bold}"""


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    # matplotlib's RDF metadata names web vocabularies; the chart needs none of it.
    return _METADATA.sub("", text[text.index("<svg"):])


def _fmt(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float):
        return f"{x:.4g}"
    return html.escape(str(x))


def _choose_kpis(runs: Sequence[StoredRun], asked: Sequence[str] | None) -> list[str]:
    names = kpi_names(runs)
    if asked:
        return [k for k in asked if k in names]
    chosen: list[str] = []
    for prefix in DEFAULT_KPI_PREFIXES:
        chosen += [k for k in names if k.startswith(prefix) and k not in chosen]
    return chosen[:MAX_KPIS]


def _short(run: StoredRun) -> str:
    """The run's folder name (``v003`` in a sweep): charts and columns stay narrow, the Runs table maps it."""
    return run.path.name


def _runs_section(runs: Sequence[StoredRun]) -> str:
    rows = "".join(
        f"<tr><td class=l>{_fmt(_short(r))}</td><td class=l>{_fmt(label(r))}</td>"
        f"<td class=l>{_fmt(r.manifest.get('kind'))}</td>"
        f"<td>{_fmt(r.manifest.get('seed'))}</td><td>{_fmt(r.manifest.get('done'))}</td>"
        f"<td>{_fmt(r.manifest.get('failed'))}</td><td class=l>{_fmt(r.manifest.get('scenario_hash'))}</td>"
        f"<td class=l>{_fmt(r.manifest.get('version'))}</td></tr>" for r in runs)
    return ("<h2>Runs</h2><table><tr><th class=l>run</th><th class=l>variant</th><th class=l>kind</th>"
            "<th>seed</th><th>replications</th><th>failed</th><th class=l>scenario hash</th>"
            "<th class=l>medtwin</th></tr>"
            f"{rows}</table>")


def _kpi_section(runs: Sequence[StoredRun], kpis: list[str]) -> str:
    import matplotlib.pyplot as plt

    head = "".join(f"<th>{_fmt(_short(r))}</th>" for r in runs)
    body = ""
    for k in kpis:
        cells = ""
        for r in runs:
            v = r.summary.get(k, {})
            hw = v.get("half_width")
            cells += f"<td>{_fmt(v.get('mean'))}" + (f" ± {_fmt(hw)}" if hw is not None else "") + "</td>"
        body += f"<tr><td class=l>{html.escape(k)}</td>{cells}</tr>"
    out = ("<h2>KPIs by variant</h2><p class=note>Mean over replications ± half-width of the 95 % "
           f"confidence interval.</p><table><tr><th class=l>KPI</th>{head}</tr>{body}</table>")
    plotted = kpis[:MAX_PLOTTED_KPIS]
    if plotted:
        fig, axes = plt.subplots(len(plotted), 1, figsize=(8, 0.5 + 0.35 * len(runs) * len(plotted)),
                                 squeeze=False)
        for ax, k in zip(axes[:, 0], plotted, strict=True):
            for y, r in enumerate(runs):
                v = r.summary.get(k, {})
                m, lo, hi = (v.get(s) for s in ("mean", "low", "high"))
                if m is None:
                    continue
                ax.plot([lo if lo is not None else m, hi if hi is not None else m], [y, y], color="#4477aa")
                ax.plot([m], [y], "o", color="#224477")
            ax.set_yticks(range(len(runs)), [_short(r) for r in runs], fontsize=7)
            ax.invert_yaxis()  # the first run on top, as in the table
            ax.set_title(k, fontsize=9, loc="left")
            ax.tick_params(axis="x", labelsize=7)
        fig.tight_layout()
        out += _svg(fig)
    if len(runs) > 1:
        rows = ""
        methods: set[str] = set()
        for k in kpis:
            cells = ""
            for r in runs[1:]:
                d = difference(runs[0], r, k)
                methods.add("paired" if d.paired else "independent")
                cls = " class=sig" if d.significant else ""
                cells += f"<td{cls}>{_fmt(d.mean)} [{_fmt(d.low)}, {_fmt(d.high)}]</td>"
            rows += f"<tr><td class=l>{html.escape(k)}</td>{cells}</tr>"
        head = "".join(f"<th>{_fmt(_short(r))}</th>" for r in runs[1:])
        out += (f"<h2>Differences from {_fmt(_short(runs[0]))}</h2><p class=note>Variant minus baseline with "
                f"its 95 % interval ({' and '.join(sorted(methods))}: paired where the runs share random "
                "streams, i.e. common random numbers). Bold: the interval excludes zero.</p>"
                f"<table><tr><th class=l>KPI</th>{head}</tr>{rows}</table>")
    return out


def _damaged(path: str | Path, exc: Exception) -> CorruptResultsError:
    """The store's error for a table file that cannot be read (a run folder edited or cut short)."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return CorruptResultsError(f"{path}: damaged, cannot be read as a Parquet table ({first})")


def _query(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` over the Parquet file ``params[0]``; a file DuckDB cannot read is named."""
    import duckdb

    con = duckdb.connect()
    try:
        return con.execute(sql, params).fetchall()
    except duckdb.Error as exc:  # a table replaced by hand, or cut short: not a bug of the report
        raise _damaged(params[0], exc) from None
    finally:
        con.close()


def _has(run: StoredRun, table: str, columns: Sequence[str]) -> bool:
    if table not in run.tables:
        return False
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = run.path / f"{table}.parquet"
    try:
        names = set(pq.read_schema(path).names)
    except (pa.ArrowException, OSError) as exc:  # "Parquet magic bytes not found" was an internal error
        raise _damaged(path, exc) from None
    return set(columns) <= names


def _waits_section(runs: Sequence[StoredRun]) -> str:
    import matplotlib.pyplot as plt

    cols = ("queue_enter", "start", "outcome")
    have = [r for r in runs if _has(r, "events", cols)]
    if not have:
        return ""
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for r in have:
        rows = _query("SELECT CAST(floor(queue_enter / 60) AS INTEGER) % 24 AS h, avg(start - queue_enter) "
                      "FROM read_parquet(?) WHERE outcome = 'done' AND start IS NOT NULL "
                      "GROUP BY h ORDER BY h", [str(r.path / "events.parquet")])
        ax.plot([h for h, _ in rows], [w for _, w in rows], marker=".", label=_short(r))
    ax.set_xlabel("hour of day (from the run's start)")
    ax.set_ylabel("mean wait (min)")
    ax.set_xticks(range(0, 24, 2))
    ax.legend(fontsize=7)
    return ("<h2>Waits by hour</h2><p class=note>Mean wait of every step begun, by the hour the patient "
            "joined the queue, over all replications.</p>" + _svg(fig))


def _utilisation_section(runs: Sequence[StoredRun]) -> str:
    import matplotlib.pyplot as plt
    import numpy as np

    have = [r for r in runs if _has(r, "utilisation", ("resource", "hour", "utilisation"))][:MAX_HEATMAPS]
    if not have:
        return ""
    out = ("<h2>Utilisation by resource and hour</h2><p class=note>Busy units / units on duty, mean over "
           "replications.</p>")
    for r in have:
        rows = _query("SELECT resource, hour, avg(utilisation) FROM read_parquet(?) GROUP BY resource, hour",
                      [str(r.path / "utilisation.parquet")])
        if not rows:
            continue
        resources = sorted({row[0] for row in rows})
        hours = max(row[1] for row in rows) + 1
        grid = np.full((len(resources), hours), np.nan)
        for res, h, u in rows:
            grid[resources.index(res), h] = np.nan if u is None else u
        fig, ax = plt.subplots(figsize=(8, 0.6 + 0.3 * len(resources)))
        im = ax.imshow(grid, aspect="auto", vmin=0, vmax=1, cmap="viridis", interpolation="nearest")
        ax.set_yticks(range(len(resources)), resources, fontsize=7)
        ax.set_xlabel("hour from the run's start")
        ax.set_title(f"{_short(r)}: {label(r)}"[:100], fontsize=9, loc="left")
        fig.colorbar(im, ax=ax, fraction=0.03)
        out += _svg(fig)
    return out


def _evacuation_section(runs: Sequence[StoredRun]) -> str:
    import matplotlib.pyplot as plt
    import numpy as np

    have = [r for r in runs if _has(r, "agents", ("alarm", "reached"))]
    out = ""
    if have:
        fig, ax = plt.subplots(figsize=(8, 3.5))
        for r in have:
            rows = _query("SELECT reached - alarm FROM read_parquet(?)", [str(r.path / "agents.parquet")])
            t = np.array([np.nan if v is None else v for (v,) in rows], dtype=float)
            total = t.size
            done = np.sort(t[~np.isnan(t)])
            if total:
                ax.step(np.concatenate([[0.0], done]), np.arange(done.size + 1) / total, where="post",
                        label=_short(r))
        ax.set_xlabel("time since alarm (s)")
        ax.set_ylabel("share of people safe")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7)
        out += ("<h2>Evacuation curves</h2><p class=note>Share of everyone (all replications pooled) who "
                "reached an exit or refuge, against time since the alarm.</p>" + _svg(fig))
    names = [k for k in kpi_names(runs) if k.startswith(("rset", "aset"))]
    if names:
        head = "".join(f"<th>{_fmt(_short(r))}</th>" for r in runs)
        body = "".join(
            f"<tr><td class=l>{html.escape(k)}</td>" + "".join(
                f"<td>{_fmt(r.summary[k].get('mean'))} ± {_fmt(r.summary[k].get('half_width'))}</td>"
                for r in runs) + "</tr>" for k in names)
        out += ("<h2>RSET and ASET</h2><p class=note>Required and available safe escape times (s), mean ± "
                "95 % half-width; an empty cell means someone was not safe in some replication.</p>"
                f"<table><tr><th class=l>KPI</th>{head}</tr>{body}</table>")
    return out


def build_report(runs: Sequence[StoredRun], *, kpis: Sequence[str] | None = None,
                 title: str | None = None) -> str:
    """The report as one HTML document (no external resources).

    Args:
        runs: Stored runs, the first being the baseline of differences.
        kpis: KPIs to tabulate; default: the most asked-for ones all runs have.
        title: Heading; default names the scenario.
    """
    import matplotlib

    matplotlib.use("Agg")
    chosen = _choose_kpis(runs, kpis)
    title = title or (f"medtwin report: {runs[0].name}" if runs else "medtwin report")
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
             f"<p class=note>Made {made} by medtwin {html.escape(medtwin_version())} from {len(runs)} "
             "stored run(s).</p>", _runs_section(runs), _kpi_section(runs, chosen), _waits_section(runs),
             _utilisation_section(runs), _evacuation_section(runs), "</body></html>"]
    return "".join(parts)


def check_report_path(out: str | Path, *, what: str = "report") -> Path:
    """Check, before the work starts, that a report can be written at ``out``; return it.

    Besides :func:`~facility.files.check_output_path`, the report may not go into a results
    store's run or sweep folder (or one being written): ``--out RUN/manifest.json`` replaced the
    run's manifest with the report, and the run could no longer be read; any other file there
    makes the folder one that ``--overwrite`` refuses to replace.

    Raises:
        FileAccessError: Naming ``what``, the path and the run or sweep folder it lies in.
    """
    from facility.errors import FileAccessError

    target = check_output_path(out, what=what)
    around = enclosing_results_folder(target)
    if around is not None:
        kind, holder = around
        raise FileAccessError(str(out), f"lies in the {kind} folder {str(holder)!r} of a results store; "
                              "expected a file outside it (e.g. next to the results folder)", what=what)
    return target


def enclosing_results_folder(path: str | Path) -> tuple[str, Path] | None:
    """The run or sweep folder (or one being written) that ``path`` lies in, with its kind, or None.

    Only folders above ``path`` count, links resolved: ``path`` itself may be a run folder.
    """
    from scenarios.store.layout import is_run_folder, is_sweep_folder

    folder = Path(path).resolve().parent
    for holder in (folder, *folder.parents):
        if is_sweep_folder(holder):
            return "sweep", holder
        if is_run_folder(holder) or (holder.name.startswith(".") and holder.name.endswith(".partial")):
            return "run", holder
    return None


def write_report(runs: Sequence[StoredRun], out: str | Path, *, kpis: Sequence[str] | None = None,
                 title: str | None = None) -> Path:
    """Write :func:`build_report` to ``out`` atomically (its folder is checked before the work)."""
    target = check_report_path(out)
    write_atomic(target, build_report(runs, kpis=kpis, title=title), what="report")
    return target
