"""The results store: one folder per run, each with its own manifest; a registry rebuilt from them.

* :mod:`~scenarios.store.layout` — what a run folder holds, the manifest.
* :mod:`~scenarios.store.claim` — one writer per output folder, safe
  overwrite, atomic finalisation, recovery after a kill.
* :mod:`~scenarios.store.writer` — replications streamed to Parquet as they
  finish; resume without losing or duplicating one.
* :mod:`~scenarios.store.drop` — parts written by the workers themselves when
  they see the run folder (no tables sent back).
* :mod:`~scenarios.store.reader` — a stored run read back.
* :mod:`~scenarios.store.registry` — every run under a root (no shared file
  to lock: the manifests are merged on read), and DuckDB over them.

Results already stored are never lost or replaced silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.store.claim import Claim, claimed, finalise, partial_of
from scenarios.store.layout import (
    KPIS,
    MANIFEST,
    SCENARIO,
    SWEEP,
    jsonable,
    medtwin_version,
    read_json,
    scenario_hash,
)
from scenarios.store.reader import StoredRun, open_run
from scenarios.store.registry import Problem, Scan, connect, registry, scan
from scenarios.store.writer import RunWriter, is_finished

if TYPE_CHECKING:
    from scenarios.runner import Results

__all__ = [
    "KPIS",
    "MANIFEST",
    "SCENARIO",
    "SWEEP",
    "Claim",
    "Problem",
    "RunWriter",
    "Scan",
    "StoredRun",
    "claimed",
    "connect",
    "finalise",
    "is_finished",
    "jsonable",
    "medtwin_version",
    "open_run",
    "partial_of",
    "read_json",
    "read_kpis",
    "registry",
    "scan",
    "scenario_hash",
    "write",
]


def read_kpis(run_dir: str | Path) -> dict[str, Any]:
    """The ``kpis.json`` of a stored run (``summary`` and ``replications``)."""
    return open_run(run_dir).kpi_file


def write(results: Results, out: str | Path, *, overwrite: bool = False) -> Path:
    """Store results already held in memory as a run folder (``scenarios.run(out=...)`` streams instead).

    Raises:
        ResultsStoreError: ``out`` holds results and ``overwrite`` is false,
            is not a run folder, or is being written by another process.
    """
    from scenarios.loader import dump
    from scenarios.replicate import Outcome, Status, spawn_key

    sc = results.scenario
    header = {"kind": sc.kind, "name": sc.name, "scenario_hash": scenario_hash(sc), "seed": sc.seed,
              "keys": [list(spawn_key(r.index)) for r in results.replications],
              "version": results.version, "variant": None}
    with claimed(out, overwrite=overwrite) as claim:
        w = RunWriter(claim.partial, header, dump(sc))
        for r in results.replications:
            w.add(Outcome(index=r.index, key=spawn_key(r.index), status=Status.DONE, kpis=dict(r.kpis),
                          tables=dict(r.tables)))
        w.finalise(lambda reps: dict(results.kpis), results.timings)
        return finalise(claim)
