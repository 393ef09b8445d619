"""The run registry: every run under a results root, rebuilt from the run folders on each read.

Each run folder carries its own manifest, so the registry is those small
files merged on read rather than one shared database file: concurrent runs
and sweeps into one root never contend for a lock, a reader (the app, a
notebook) never blocks a writer, and a lost or damaged registry cannot
exist.  :func:`connect` loads the merged rows into an in-memory DuckDB
database (tables ``runs`` and ``kpis``) for SQL.  A damaged run folder is
reported as a problem naming its file, and every other run stays listed.

A root holds run folders, sweep folders (``sweep.json`` and a run folder per
variant), or is itself one of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from scenarios.errors import ResultsStoreError
from scenarios.store.layout import MANIFEST, SWEEP, is_run_folder, is_sweep_folder
from scenarios.store.reader import StoredRun, open_run

if TYPE_CHECKING:
    import duckdb

__all__ = ["Problem", "Scan", "connect", "registry", "scan"]

#: Columns of the ``runs`` table and of each :func:`registry` row.
RUN_COLUMNS = (("path", "VARCHAR"), ("name", "VARCHAR"), ("kind", "VARCHAR"), ("sweep", "VARCHAR"),
               ("variant", "INTEGER"), ("levers", "VARCHAR"), ("scenario_hash", "VARCHAR"),
               ("seed", "HUGEINT"), ("replications", "INTEGER"), ("done", "INTEGER"),
               ("failed", "INTEGER"), ("version", "VARCHAR"), ("finished", "VARCHAR"), ("wall_s", "DOUBLE"))


@dataclass(frozen=True, slots=True)
class Problem:
    """A folder under the root that could not be read, and why."""

    path: Path
    message: str


@dataclass(frozen=True, slots=True)
class Scan:
    """What a results root holds: readable runs, and folders that could not be read."""

    root: Path
    runs: tuple[StoredRun, ...]
    problems: tuple[Problem, ...]


def _candidates(root: Path) -> list[Path]:
    if is_run_folder(root):
        return [root]
    if is_sweep_folder(root):
        return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    out: list[Path] = []
    for p in sorted(root.iterdir()):
        if not p.is_dir() or p.name.startswith("."):
            continue
        if is_sweep_folder(p):
            out += sorted(q for q in p.iterdir() if q.is_dir() and not q.name.startswith("."))
        elif (p / MANIFEST).exists() or (p / SWEEP).exists():
            out.append(p)
    return out


def scan(root: str | Path) -> Scan:
    """Every run under ``root``; damaged folders become problems, not errors.

    Raises:
        ResultsStoreError: ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise ResultsStoreError(f"{root}: no such results folder")
    runs: list[StoredRun] = []
    problems: list[Problem] = []
    for p in _candidates(root):
        try:
            runs.append(open_run(p))
        except ResultsStoreError as exc:
            problems.append(Problem(path=p, message=str(exc)))
    return Scan(root=root, runs=tuple(runs), problems=tuple(problems))


def _row(root: Path, run: StoredRun) -> dict[str, Any]:
    m = run.manifest
    variant = run.variant or {}
    try:
        rel = str(run.path.relative_to(root))
    except ValueError:
        rel = str(run.path)
    return {"path": rel if rel != "." else run.path.name, "name": m.get("name"), "kind": m.get("kind"),
            "sweep": variant.get("sweep"), "variant": variant.get("index"),
            "levers": json.dumps(variant.get("levers")) if variant else None,
            "scenario_hash": m.get("scenario_hash"), "seed": m.get("seed"),
            "replications": m.get("replications"), "done": m.get("done"), "failed": m.get("failed"),
            "version": m.get("version"), "finished": m.get("finished"),
            "wall_s": (m.get("timings") or {}).get("total_s")}


def registry(root: str | Path) -> list[dict[str, Any]]:
    """One row per readable run under ``root``, newest first (``[]`` if ``root`` does not exist)."""
    root = Path(root)
    if not root.is_dir():
        return []
    s = scan(root)
    rows = [_row(s.root, r) for r in s.runs]
    rows.sort(key=lambda r: (r["finished"] or "", r["path"]), reverse=True)
    return rows


def connect(root: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database over the runs under ``root``.

    Tables: ``runs`` (one row per run, columns of :func:`registry`) and
    ``kpis`` (``path, replication, kpi, value``: every replication's KPIs).
    """
    import duckdb

    root = Path(root)
    s = scan(root)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE runs ({', '.join(f'{c} {t}' for c, t in RUN_COLUMNS)})")
    con.execute("CREATE TABLE kpis (path VARCHAR, replication INTEGER, kpi VARCHAR, value DOUBLE)")
    rows = [_row(s.root, r) for r in s.runs]
    if rows:
        con.executemany(f"INSERT INTO runs VALUES ({', '.join('?' * len(RUN_COLUMNS))})",
                        [[r[c] for c, _ in RUN_COLUMNS] for r in rows])
    cols: dict[str, list[Any]] = {"path": [], "replication": [], "kpi": [], "value": []}
    for run, row in zip(s.runs, rows, strict=True):
        for i, kp in run.replication_kpis().items():
            for k, v in kp.items():
                if isinstance(v, int | float):
                    cols["path"].append(row["path"])
                    cols["replication"].append(i)
                    cols["kpi"].append(k)
                    cols["value"].append(float(v))
    kpi_rows = pa.table({"path": pa.array(cols["path"], pa.string()),
                         "replication": pa.array(cols["replication"], pa.int32()),
                         "kpi": pa.array(cols["kpi"], pa.string()),
                         "value": pa.array(cols["value"], pa.float64())})
    con.register("kpi_rows", kpi_rows)
    con.execute("INSERT INTO kpis SELECT * FROM kpi_rows")
    con.unregister("kpi_rows")
    return con
