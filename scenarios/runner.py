"""One ``run`` for every kind of scenario: replications, seeds and backends.

Replication *i* of a scenario with seed *s* always draws from
``np.random.default_rng(SeedSequence(s).spawn(n)[i])``, whichever backend runs
it (in process, a local process pool through joblib/loky, or a Dask cluster),
so results are identical across backends.  Models return
:class:`~scenarios.base.Replication` objects; the runner summarises them with
the kind's ``summarize`` and, when ``out`` is given, hands them to the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from scenarios.base import KINDS, Replication, ScenarioBase
from scenarios.errors import RunError, ScenarioFileError

if TYPE_CHECKING:
    import pandas as pd

    from facility import Facility

__all__ = ["BACKENDS", "Results", "resolve_facility", "run", "run_replication"]

BACKENDS = ("local", "loky", "dask")
Progress = Callable[[int, int], None]


def medtwin_version() -> str:
    try:
        return version("medtwin")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@dataclass(frozen=True)
class Results:
    """Everything a run produced.

    Attributes:
        scenario: The scenario as run (replications and seed as used).
        kpis: Summary across replications (means with confidence intervals).
        replications: Per-replication KPIs and tables.
        timings: Wall-clock seconds (``total`` and per replication).
        version: medtwin version that produced the results.
    """

    scenario: ScenarioBase
    kpis: dict[str, Any]
    replications: tuple[Replication, ...]
    timings: dict[str, float] = field(default_factory=dict)
    version: str = field(default_factory=medtwin_version)

    @property
    def table_names(self) -> list[str]:
        names: dict[str, None] = {}
        for r in self.replications:
            names.update(dict.fromkeys(r.tables))
        return list(names)

    def arrow(self, name: str) -> pa.Table:
        """One table across replications, with a ``replication`` column first."""
        parts = []
        for r in self.replications:
            t = r.tables.get(name)
            if t is None:
                continue
            parts.append(t.add_column(0, "replication", pa.array(np.full(t.num_rows, r.index, np.int32))))
        if not parts:
            raise KeyError(f"no table {name!r}; have {self.table_names}")
        return pa.concat_tables(parts, promote_options="default")

    def table(self, name: str) -> pd.DataFrame:
        """One table across replications as a pandas DataFrame."""
        return self.arrow(name).to_pandas()


@lru_cache(maxsize=8)
def _load_facility_file(path: str, mtime: float) -> Facility:
    import facility

    return facility.load(path)


def resolve_facility(scenario: ScenarioBase) -> Facility:
    """The facility a scenario names: the sample hospital or a facility file."""
    import facility

    p = scenario.facility_path()
    if p is None:
        return facility.sample()
    if not p.exists():
        raise ScenarioFileError(scenario.source or "<scenario>", "facility",
                                f"facility file {str(p)!r} not found (use 'sample' or a path "
                                "relative to the scenario file)")
    return _load_facility_file(str(p), p.stat().st_mtime)


def run_replication(scenario: ScenarioBase, fac: Facility, seed: np.random.SeedSequence,
                    index: int) -> Replication:
    """Run replication ``index`` of ``scenario``; module-level so workers can pickle it."""
    kind = KINDS[scenario.kind]
    rng = np.random.default_rng(seed)
    return kind.run_replication(scenario, fac, rng, index)


def run(
    scenario: ScenarioBase,
    *,
    facility: Facility | None = None,
    replications: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    backend: str = "local",
    n_jobs: int = 2,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Results:
    """Run a scenario of any kind.

    Args:
        scenario: A loaded scenario (:func:`scenarios.load`).
        facility: Use this facility instead of the one the scenario names
            (e.g. a layout variant edited in the app).
        replications: Override the scenario's replication count.
        seed: Override the scenario's seed.
        out: If given, write results there (see :mod:`scenarios.store`).
        overwrite: Replace results already in ``out``.
        backend: ``"local"`` (in this process), ``"loky"`` (process pool,
            safe inside Streamlit) or ``"dask"`` (a Dask cluster).
        n_jobs: Worker processes for ``loky`` (and a local Dask cluster).
        scheduler: Dask scheduler address (``tcp://host:8786``); a local
            cluster is started when ``None``.
        progress: Called with (done, total) after each replication.
    """
    if scenario.kind not in KINDS:
        raise RunError(f"unknown scenario kind {scenario.kind!r}; expected one of {sorted(KINDS)}")
    if backend not in BACKENDS:
        raise ValueError(f"'backend' must be one of {BACKENDS}, got {backend!r}")
    update: dict[str, Any] = {}
    if replications is not None:
        if replications < 1:
            raise ValueError(f"'replications' must be >= 1, got {replications}")
        update["replications"] = replications
    if seed is not None:
        if seed < 0:
            raise ValueError(f"'seed' must be >= 0, got {seed}")
        update["seed"] = seed
    if update:
        scenario = scenario.model_copy(update=update)
    kind = KINDS[scenario.kind]
    fac = facility if facility is not None else resolve_facility(scenario)
    if kind.check is not None:
        kind.check(scenario, fac)

    n = scenario.replications
    seeds = np.random.SeedSequence(scenario.seed).spawn(n)
    t0 = time.perf_counter()
    reps: list[Replication]
    if backend == "local" or n == 1:
        reps = []
        for i in range(n):
            reps.append(run_replication(scenario, fac, seeds[i], i))
            if progress:
                progress(i + 1, n)
    elif backend == "loky":
        reps = _run_loky(scenario, fac, seeds, n_jobs, progress)
    else:
        reps = _run_dask(scenario, fac, seeds, scheduler=scheduler, n_jobs=n_jobs, progress=progress)
    wall = time.perf_counter() - t0
    kpis = kind.summarize(scenario, reps)
    results = Results(scenario=scenario, kpis=kpis, replications=tuple(reps),
                      timings={"total_s": wall, "per_replication_s": wall / n})
    if out is not None:
        from scenarios.store import write

        write(results, Path(out), overwrite=overwrite)
    return results


def _run_loky(scenario: ScenarioBase, fac: Facility, seeds: list[np.random.SeedSequence],
              n_jobs: int, progress: Progress | None) -> list[Replication]:
    from joblib import Parallel, delayed

    jobs = (delayed(run_replication)(scenario, fac, s, i) for i, s in enumerate(seeds))
    out: list[Replication] = []
    for rep in Parallel(n_jobs=n_jobs, backend="loky", return_as="generator")(jobs):
        out.append(rep)
        if progress:
            progress(len(out), len(seeds))
    return out


def _run_dask(scenario: ScenarioBase, fac: Facility, seeds: list[np.random.SeedSequence], *,
              scheduler: str | None, n_jobs: int, progress: Progress | None) -> list[Replication]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        fac_f = client.scatter(fac, broadcast=True)
        futures = [client.submit(run_replication, scenario, fac_f, s, i, pure=False)
                   for i, s in enumerate(seeds)]
        done: dict[int, Replication] = {}
        for fut in as_completed(futures):
            rep = fut.result()
            done[rep.index] = rep
            if progress:
                progress(len(done), len(seeds))
        return [done[i] for i in range(len(seeds))]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
