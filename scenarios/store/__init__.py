"""The results store: one folder per run, plus a DuckDB registry of runs.

A run folder holds ``kpis.json`` (the summary and per-replication KPIs),
``scenario.yaml`` (the scenario exactly as run), ``meta.json`` (version, seed,
timings) and one Parquet file per table.  Folders are written to a temporary
sibling and renamed into place, so a failed or interrupted write never leaves
a half-written run or damages one already stored; an existing run is replaced
only when asked to.  ``registry.duckdb`` beside the run folders lists every run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from scenarios.errors import ResultsStoreError
from scenarios.loader import dump

if TYPE_CHECKING:
    from scenarios.runner import Results

__all__ = ["REGISTRY", "jsonable", "read_kpis", "registry", "scenario_hash", "write"]

REGISTRY = "registry.duckdb"


def scenario_hash(results: Results) -> str:
    """Stable content hash of the scenario (hashlib, never Python's ``hash``)."""
    return hashlib.sha256(dump(results.scenario).encode()).hexdigest()[:16]


def jsonable(x: Any) -> Any:
    """``x`` with numpy scalars unwrapped and non-finite floats as ``None`` (strict JSON)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if hasattr(x, "item"):  # numpy scalar
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def write(results: Results, out: Path, *, overwrite: bool = False) -> Path:
    """Write a run folder atomically and register it.

    Raises:
        ResultsStoreError: ``out`` already holds results and ``overwrite`` is
            false, or ``out`` is a file.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ResultsStoreError(f"{out}: exists and is not a folder; choose another --out")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ResultsStoreError(
            f"{out}: already holds results; choose another --out or pass --overwrite "
            "(existing results are never replaced silently)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        kpis = {"summary": results.kpis,
                "replications": [{"index": r.index, **r.kpis} for r in results.replications]}
        (tmp / "kpis.json").write_text(json.dumps(jsonable(kpis), indent=2, allow_nan=False))
        (tmp / "scenario.yaml").write_text(dump(results.scenario))
        meta = {"version": results.version, "kind": results.scenario.kind,
                "name": results.scenario.name, "seed": results.scenario.seed,
                "replications": results.scenario.replications,
                "scenario_hash": scenario_hash(results), "timings": results.timings,
                "written": datetime.now(UTC).isoformat(timespec="seconds"),
                "tables": results.table_names}
        (tmp / "meta.json").write_text(json.dumps(jsonable(meta), indent=2))
        for name in results.table_names:
            pq.write_table(results.arrow(name), tmp / f"{name}.parquet")
        if out.exists():
            backup = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(out, backup)
            os.replace(tmp, out)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _register(out, meta)
    return out


def _register(out: Path, meta: dict[str, Any]) -> None:
    import duckdb

    db = out.parent / REGISTRY
    try:
        con = duckdb.connect(str(db))
    except duckdb.Error as exc:
        raise ResultsStoreError(f"{db}: cannot open the run registry ({exc}); the run itself "
                                f"was written to {out}") from None
    try:
        con.execute("""CREATE TABLE IF NOT EXISTS runs (
            path VARCHAR, name VARCHAR, kind VARCHAR, scenario_hash VARCHAR, seed BIGINT,
            replications INTEGER, version VARCHAR, written VARCHAR, wall_s DOUBLE)""")
        con.execute("DELETE FROM runs WHERE path = ?", [out.name])
        con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [out.name, meta["name"], meta["kind"], meta["scenario_hash"], meta["seed"],
                     meta["replications"], meta["version"], meta["written"],
                     meta["timings"].get("total_s")])
    finally:
        con.close()


def registry(root: Path) -> list[dict[str, Any]]:
    """Every run registered under ``root``, newest first."""
    import duckdb

    db = Path(root) / REGISTRY
    if not db.exists():
        return []
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute("SELECT * FROM runs ORDER BY written DESC")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def read_kpis(run_dir: Path) -> dict[str, Any]:
    """The ``kpis.json`` of a stored run."""
    data: dict[str, Any] = json.loads((Path(run_dir) / "kpis.json").read_text())
    return data
