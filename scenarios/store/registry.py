"""The run registry: every run under a results root, rebuilt from the run folders on each read.

Each run folder carries its own manifest, so the registry is those small
files merged on read rather than one shared database file: concurrent runs
and sweeps into one root never contend for a lock, a reader (the app, a
notebook) never blocks a writer, and a lost or damaged registry cannot
exist.  :func:`connect` loads the merged rows into an in-memory DuckDB
database (tables ``runs`` and ``kpis``) for SQL.  A damaged run folder is
reported as a problem naming its file, and every other run stays listed;
a run or sweep that was interrupted (its ``.NAME.partial`` folder, left for
``--resume``) or is being written right now is reported as unfinished.

A root holds run folders, sweep folders (``sweep.json`` and a run folder per
variant), or is itself one of them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from scenarios.errors import CorruptResultsError, ResultsStoreError
from scenarios.store.layout import MANIFEST, SWEEP, is_run_folder, is_sweep_folder, read_json
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
    """A folder under the root that cannot be read as a finished run, and why.

    Attributes:
        path: The folder.
        message: The whole reason, naming the file at fault.
        status: The same in a few words for a listing, e.g.
            ``damaged: kpis.json cannot be read as JSON`` or
            ``interrupted: resume with --resume``.
        info: What could still be read of it (``kind``, ``name``, ``seed``).
    """

    path: Path
    message: str
    status: str = ""
    info: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Scan:
    """What a results root holds.

    Attributes:
        root: The folder scanned.
        runs: The readable finished runs.
        problems: Damaged run folders (each named with its file).
        unfinished: Runs and sweeps interrupted (kept for ``--resume``) or
            being written right now; not errors, but not results yet.
    """

    root: Path
    runs: tuple[StoredRun, ...]
    problems: tuple[Problem, ...]
    unfinished: tuple[Problem, ...] = ()


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


def _damaged(folder: Path, message: str) -> str:
    """``message`` in a few words: the file at fault relative to ``folder``, without details.

    >>> _damaged(Path("r/a"), "r/a/kpis.json: damaged, cannot be read as JSON (Expecting value)")
    'damaged: kpis.json cannot be read as JSON'
    """
    short = message.split(" (", 1)[0]
    prefix = f"{folder}/"
    if short.startswith(prefix):
        short = short[len(prefix):]
    return "damaged: " + short.replace(": damaged, ", " ").replace(": damaged", "").replace(": ", " ", 1)


def _holder(out: Path) -> int | None:
    """The process writing ``out`` right now, if its lock file names one that is alive."""
    try:
        pid = int((out.parent / f".{out.name}.lock").read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid  # alive, owned by someone else
    return pid


def _unfinished(root: Path) -> list[Problem]:
    """Interrupted or running runs and sweeps directly under ``root``: their ``.NAME.partial`` folders."""
    if is_run_folder(root) or is_sweep_folder(root):
        return []
    out: list[Problem] = []
    for p in sorted(root.glob(".*.partial")):
        if not p.is_dir():
            continue
        name = p.name[1:-len(".partial")]
        sweep = (p / SWEEP).is_file()
        info: dict[str, Any] = {}
        try:
            head = read_json(p / (SWEEP if sweep else "pending.json"))
            info = {k: head.get(k) for k in ("kind", "name", "seed")}
            if not sweep:  # replications stored so far, as resume would find them
                parts = p.glob("parts/*/part.json")
                info["done"] = sum(len(read_json(m).get("replications", [])) for m in parts)
        except CorruptResultsError:
            pass
        what = "sweep" if sweep else "run"
        pid = _holder(root / name)
        if pid is not None:
            status = f"running (process {pid})"
            message = f"{p}: a {what} into {name} is being written by process {pid}"
        else:
            status = "interrupted: resume with --resume"
            message = (f"{p}: an interrupted {what} into {name}; continue it with 'medtwin {what} ... "
                       f"--out {root / name} --resume', or discard it with --overwrite")
        out.append(Problem(path=p, message=message, status=status, info=info))
    return out


def scan(root: str | Path) -> Scan:
    """Every run under ``root``; damaged and unfinished folders are named, not errors.

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
            problems.append(Problem(path=p, message=str(exc), status=_damaged(p, str(exc))))
    return Scan(root=root, runs=tuple(runs), problems=tuple(problems), unfinished=tuple(_unfinished(root)))


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
