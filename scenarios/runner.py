"""One ``run`` for every kind of scenario: replications, seeds, backends and the store.

Replication *i* of a scenario with seed *s* always draws from
``SeedSequence(s, spawn_key=(i,))`` (child *i* of ``SeedSequence(s).spawn(n)``),
whichever backend runs it (:mod:`scenarios.backends`), so results are
identical across backends, worker counts and completion orders.  With ``out``
the output folder is claimed before anything is simulated, each finished
replication is streamed to it (:mod:`scenarios.store`), and the folder appears
complete or not at all; ``resume`` continues a run that was killed.  Without
``out`` replications are kept in memory.

A replication that raises is recorded as failed with its traceback and the
others carry on; an error of the scenario itself stops the run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from scenarios.backends import BACKENDS, Job, execute
from scenarios.base import KINDS, Kind, Replication, ScenarioBase
from scenarios.budget import check_budget
from scenarios.errors import ArgumentError, ResultsStoreError, RunError, ScenarioError, ScenarioFileError
from scenarios.loader import dump
from scenarios.progress import OnTick, Tick
from scenarios.replicate import Outcome, Status, check_seed, spawn_key
from scenarios.store import Claim, RunWriter, StoredRun, claimed, finalise, is_finished, open_run
from scenarios.store.drop import open_drop
from scenarios.store.layout import medtwin_version, scenario_hash

if TYPE_CHECKING:
    import pandas as pd

    from facility import Facility

__all__ = [
    "BACKENDS",
    "JOBS_PER_CPU",
    "Progress",
    "Results",
    "RunSink",
    "ShouldStop",
    "check_backend",
    "check_finished_partial",
    "check_jobs",
    "facility_hash",
    "prepare",
    "resolve_facility",
    "run",
    "run_header",
    "run_sinks",
    "same_plan",
    "stored_results",
]

#: progress(done, total) after each replication.
Progress = Callable[[int, int], None]
#: should_stop() -> True to cancel (e.g. ``threading.Event().is_set``).
ShouldStop = Callable[[], bool]
#: Older name of the local process pool, still accepted by :func:`run`.
LOKY_ALIAS = "loky"


@dataclass(frozen=True)
class Results:
    """Everything a run produced.

    Attributes:
        scenario: The scenario as run (replications and seed as used).
        kpis: Summary across done replications (means with confidence intervals).
        replications: Done replications' KPIs and tables (tables are read
            from the run folder on demand when the run was stored).
        timings: Wall-clock seconds (``total_s``, ``per_replication_s``).
        version: medtwin version that produced the results.
        failed: Traceback of each failed replication, by index.
        path: The run folder, when stored.
    """

    scenario: ScenarioBase
    kpis: dict[str, Any]
    replications: tuple[Replication, ...]
    timings: dict[str, float] = field(default_factory=dict)
    version: str = field(default_factory=medtwin_version)
    failed: dict[int, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def table_names(self) -> list[str]:
        """Names of the tables any replication produced."""
        names: dict[str, None] = {}
        for r in self.replications:
            names.update(dict.fromkeys(r.tables))
        return list(names)

    def arrow(self, name: str) -> pa.Table:
        """One table across replications, with a ``replication`` column first."""
        if self.path is not None:
            return open_run(self.path).arrow(name)
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
    source = scenario.source or "<scenario>"
    try:
        found = p.exists()
        mtime = p.stat().st_mtime if found else 0.0
    except OSError as exc:  # a folder on the way it may not look into, a name too long
        raise ScenarioFileError(source, "facility", f"facility file {str(p)!r} cannot be looked up: "
                                f"{exc.strerror or exc}") from None
    if not found:
        raise ScenarioFileError(source, "facility", f"facility file {str(p)!r} not found (use 'sample' or a "
                                "path relative to the scenario file)")
    return _load_facility_file(str(p), mtime)


def prepare(scenario: ScenarioBase, facility: Facility | None = None) -> tuple[Kind, Facility]:
    """The scenario's kind and facility, checked against each other before anything runs."""
    if scenario.kind not in KINDS:
        raise RunError(f"unknown scenario kind {scenario.kind!r}; expected one of {sorted(KINDS)}")
    kind = KINDS[scenario.kind]
    fac = facility if facility is not None else resolve_facility(scenario)
    if kind.check is not None:
        kind.check(scenario, fac)
    check_budget(scenario, fac)  # refuse work no machine can give, before any is done
    return kind, fac


#: Most worker processes per CPU ``--jobs`` (``n_jobs``) may start on this machine (a local pool
#: or a local Dask cluster).  Each is a Python process with the models imported, and more than a
#: few per CPU only queue for the same cores: '--jobs 100000' (a typo) for a two-replication run
#: started worker after worker and held a two-CPU machine at a load of 50 until it was killed ten
#: minutes later.
JOBS_PER_CPU = 4


def check_jobs(jobs: int | None, scheduler: str | None) -> None:
    """Refuse more ``--jobs`` than :data:`JOBS_PER_CPU` per CPU of this machine (none is checked
    for a remote Dask scheduler, whose workers are started elsewhere)."""
    if jobs is None or scheduler is not None:
        return
    cpus = cpu_count()
    if jobs > JOBS_PER_CPU * cpus:
        raise ArgumentError(f"--jobs: {jobs:,} worker processes on this machine's {cpus} CPU(s); expected at "
                            f"most {JOBS_PER_CPU * cpus} ({JOBS_PER_CPU} per CPU: more only queue for the "
                            "same cores)")


def check_backend(backend: str, n_jobs: int | None, scheduler: str | None = None) -> tuple[str, int, bool]:
    """``(backend, workers, probe)`` validated; the old ``loky`` name is the local pool."""
    if scheduler is not None and backend != "dask":
        raise ArgumentError(f"--scheduler: a Dask scheduler address is used only with --backend dask "
                            f"(the backend is {backend!r})")
    probe = n_jobs is None
    if n_jobs is None:
        n_jobs = cpu_count()
    if backend == LOKY_ALIAS:
        return "local", max(2, n_jobs), False
    if backend not in BACKENDS:
        raise ArgumentError(f"--backend: must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if n_jobs < 1:
        raise ArgumentError(f"--jobs: must be >= 1, got {n_jobs}")
    check_jobs(n_jobs, scheduler)
    return backend, n_jobs, probe


def cpu_count() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


#: Buildings hashed already, by object: writing a building's file text to hash it costs
#: more than a short replication, and the app runs one building again and again.
_HASHED: dict[int, tuple[weakref.ref[Any], str]] = {}


def facility_hash(fac: Facility) -> str:
    """Content hash of the building a run used (its facility file text), or ``""`` if it has none.

    The scenario names a facility by path; this records what was in it, so
    a resumed run cannot silently continue on an edited building.  A
    facility is immutable (an edit makes a new one), so each object is
    hashed once, and the hash goes when the object does.
    """
    import facility
    from facility.model import Facility as FacilityType

    if not isinstance(fac, FacilityType):
        return ""
    key = id(fac)
    held = _HASHED.get(key)
    if held is not None and held[0]() is fac:
        return held[1]
    digest = hashlib.sha256(facility.dumps(fac).encode()).hexdigest()[:16]
    _HASHED[key] = (weakref.ref(fac, lambda _gone: _HASHED.pop(key, None)), digest)
    return digest


def run_header(scenario: ScenarioBase, keys: list[tuple[int, ...]], variant: dict[str, Any] | None = None,
               *, building: str = "", text: str | None = None) -> dict[str, Any]:
    """The manifest fields fixed before a run starts (``building``: :func:`facility_hash`; ``text``:
    the scenario's YAML, if the caller has it)."""
    return {"kind": scenario.kind, "name": scenario.name, "scenario_hash": scenario_hash(scenario, text),
            "facility_hash": building, "seed": scenario.seed, "keys": [list(k) for k in keys],
            "version": medtwin_version(), "variant": variant}


class RunSink:
    """Where one run's outcomes go: a run folder being written, or memory.

    Args:
        scenario: The scenario as run.
        kind: Its kind (for ``summarize``).
        keys: Spawn key of each replication, by index.
        writer: The run folder's writer, or None to keep results in memory.
    """

    def __init__(self, scenario: ScenarioBase, kind: Kind, keys: list[tuple[int, ...]],
                 writer: RunWriter | None) -> None:
        self.scenario, self.kind, self.keys, self.writer = scenario, kind, keys, writer
        self._memory: dict[int, Outcome] = {}
        self.started = time.perf_counter()
        #: Replications whose outcome this session still waits for.
        self.pending = {i for i, _ in self.todo()}

    def todo(self) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """Replications to run: all, or on resume those not done (failed ones are run again)."""
        skip = self.writer.finished if self.writer is not None else set()
        return tuple((i, k) for i, k in enumerate(self.keys) if i not in skip)

    def add(self, outcome: Outcome) -> None:
        """Take one finished replication."""
        if self.writer is not None:
            self.writer.add(outcome)
        else:
            self._memory[outcome.index] = outcome
        self.pending.discard(outcome.index)

    @property
    def complete(self) -> bool:
        """Every replication has its outcome."""
        return not self.pending

    def timings(self) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        return {"total_s": wall, "per_replication_s": wall / max(1, len(self.keys))}

    def summarize(self, reps: list[Replication]) -> dict[str, Any]:
        return self.kind.summarize(self.scenario, reps)

    def finish_in_memory(self) -> Results:
        """Results of a run kept in memory.

        Raises:
            RunError: Every replication failed (the first traceback is shown).
        """
        outs = [self._memory[i] for i in sorted(self._memory)]
        done = [o.replication() for o in outs if o.status == Status.DONE]
        failed = {o.index: o.error for o in outs if o.status == Status.FAILED}
        if not done:
            first = failed[min(failed)]
            raise RunError(f"all {len(failed)} replications of {self.scenario.name!r} failed; the "
                           f"first:\n{first}")
        return Results(scenario=self.scenario, kpis=self.summarize(done), replications=tuple(done),
                       timings=self.timings(), failed=failed)


def stored_results(stored: StoredRun, scenario: ScenarioBase) -> Results:
    """Results of a finished run folder."""
    failed = {int(r["index"]): str(r.get("error", "")) for r in stored.manifest["replication_status"]
              if r["status"] == Status.FAILED}
    return Results(scenario=scenario, kpis=stored.summary, replications=tuple(stored.replications()),
                   timings=dict(stored.manifest.get("timings") or {}),
                   version=str(stored.manifest.get("version")), failed=failed, path=stored.path)


def run(
    scenario: ScenarioBase,
    *,
    facility: Facility | None = None,
    replications: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    resume: bool = False,
    backend: str = "local",
    n_jobs: int | None = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    sim_progress: OnTick | None = None,
) -> Results:
    """Run a scenario of any kind.

    Args:
        scenario: A loaded scenario (:func:`scenarios.load`).
        facility: Use this facility instead of the one the scenario names
            (e.g. a layout variant edited in the app).
        replications: Override the scenario's replication count.
        seed: Override the scenario's seed.
        out: If given, stream results to this run folder (see :mod:`scenarios.store`).
        overwrite: Replace a finished run folder in ``out`` (never anything else).
        resume: Continue an interrupted run in ``out``, skipping finished replications.
        backend: ``"local"`` (this process, or a loky process pool when
            ``n_jobs`` > 1; works inside Streamlit) or ``"dask"``.
        n_jobs: Worker processes (local pool or local Dask cluster);
            ``None``: as many as this machine has CPUs, the local pool
            started only when the replications are long enough to gain.
        scheduler: Dask scheduler address (``tcp://host:8786``); a local
            cluster is started when ``None``.
        progress: Called with (done, total) after each replication.
        should_stop: Polled between batches; true cancels the run
            (:class:`~scenarios.errors.RunCancelled`; finished replications
            stay in the partial folder for ``resume``).
        sim_progress: Called with a :class:`~scenarios.progress.Tick` as a
            running replication advances in simulated time, for kinds that
            report it (operations, evacuation), on any backend; results are
            the same with or without it.

    Raises:
        ArgumentError: A bad override, backend or job count.
        ResultsStoreError: ``out`` cannot be written without risking results
            already there (checked before anything is simulated).
        BackendError: The Dask scheduler cannot be reached.
    """
    update: dict[str, Any] = {}
    if replications is not None:
        if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
            raise ArgumentError(f"--replications: must be an integer >= 1, got {replications!r}")
        update["replications"] = replications
    if seed is not None:
        try:
            update["seed"] = check_seed(seed)
        except ValueError as exc:
            raise ArgumentError(f"--seed: {exc}") from None
    backend, n_jobs, probe = check_backend(backend, n_jobs, scheduler)
    if update:
        scenario = scenario.model_copy(update=update)
    try:
        check_seed(scenario.seed)
    except ValueError as exc:
        raise ScenarioFileError(scenario.source or "<scenario>", "seed", str(exc)) from None
    kind, fac = prepare(scenario, facility)
    keys = [spawn_key(i) for i in range(scenario.replications)]
    if out is None:
        sink = RunSink(scenario, kind, keys, None)
        run_sinks([(sink, fac)], backend=backend, n_jobs=n_jobs, scheduler=scheduler, progress=progress,
                 should_stop=should_stop, probe=probe, sim_progress=sim_progress)
        return sink.finish_in_memory()
    with claimed(out, overwrite=overwrite, resume=resume) as claim:
        text = dump(scenario)
        header = run_header(scenario, keys, building=facility_hash(fac), text=text)
        if claim.resumed and is_finished(claim.partial):  # killed after finishing, before the rename
            check_finished_partial(claim.partial, header)
            finalise(claim)
            return stored_results(open_run(claim.out), scenario)
        earlier = _earlier_run(claim, header) if resume and claim.existing else None
        if earlier is not None and not claim.resumed and not earlier.manifest.get("failed"):
            return stored_results(earlier, scenario)
        writer = RunWriter(claim.partial, header, text, resume=claim.resumed)
        if earlier is not None:  # retry its failed replications, keep its done ones
            writer.carry_over(earlier)
        sink = RunSink(scenario, kind, keys, writer)
        try:
            run_sinks([(sink, fac)], backend=backend, n_jobs=n_jobs, scheduler=scheduler,
                     progress=progress, should_stop=should_stop, probe=probe, sim_progress=sim_progress)
        except ScenarioError:
            writer.flush()
            if not writer.records:  # nothing worth keeping: the scenario itself is at fault
                shutil.rmtree(claim.partial, ignore_errors=True)
            raise
        except BaseException:
            writer.flush()  # keep what finished, for --resume
            raise
        writer.finalise(sink.summarize, sink.timings())
        finalise(claim)
    return stored_results(open_run(claim.out), scenario)


def same_plan(stored: StoredRun, header: dict[str, Any]) -> bool:
    """Whether a finished run has the scenario, building, seed and streams of a :func:`run_header`."""
    return all(stored.manifest.get(f) == header[f] for f in ("scenario_hash", "facility_hash", "seed")) \
        and stored.manifest.get("replications") == len(header["keys"]) \
        and [list(r["key"]) for r in stored.manifest["replication_status"]] == header["keys"]


def check_finished_partial(partial: Path, header: dict[str, Any]) -> None:
    """Raise unless the finished partial folder ``partial`` is a run of ``header``'s plan.

    Raises:
        ResultsStoreError: It holds a run of another scenario, building, seed
            or replication plan.
    """
    if not same_plan(open_run(partial), header):
        raise ResultsStoreError(f"{partial}: the interrupted run there, already finished, had a different "
                                "scenario, building, seed or replications; resume only continues the same "
                                "run (use --overwrite to discard it)")


def _earlier_run(claim: Claim, header: dict[str, Any]) -> StoredRun | None:
    """The finished run at ``claim.out`` when ``--resume`` may complete it, else None.

    A finished run of this same scenario, building, seed and replications is
    complete already, or has failed replications to run again (only with the
    medtwin version that ran the others, so one run never mixes versions).
    A partial folder beside it that belongs to another run (an interrupted
    ``--overwrite``) is continued instead, and the finished run is ignored.

    Raises:
        ResultsStoreError: Without such a partial folder, the finished run is
            of a different scenario, or has failed replications and was run by
            another version.
    """
    stored = open_run(claim.out)
    same = same_plan(stored, header)
    if claim.resumed:
        return stored if same and stored.manifest.get("version") == header["version"] else None
    if not same:
        raise ResultsStoreError(f"{claim.out}: holds a finished run of a different scenario, building, seed "
                                "or replication count; --resume only completes the same run")
    if stored.manifest.get("failed") and stored.manifest.get("version") != header["version"]:
        raise ResultsStoreError(f"{claim.out}: its failed replications cannot be run again by medtwin "
                                f"{header['version']}: the others were run by "
                                f"{stored.manifest.get('version')} and one run never mixes versions; use "
                                "--overwrite to run it all again")
    return stored


def run_sinks(sinks: list[tuple[RunSink, Facility]], *, backend: str, n_jobs: int, scheduler: str | None,
             progress: Progress | None, should_stop: ShouldStop | None, probe: bool = False,
             on_complete: Callable[[int], None] | None = None, sim_progress: OnTick | None = None) -> None:
    """Run what each sink still needs; outcomes go to their sink, progress counts replications.

    ``sim_progress`` gets the ticks of replications still running: one that
    arrives after its replication's outcome (ticks and outcomes travel
    separately from workers) is dropped.  Worker processes (a local pool,
    Dask) that see a sink's run folder write their batches there themselves
    (:mod:`scenarios.store.drop`).
    """
    # Worker processes that see a run folder write their batches' parts there themselves.
    elsewhere = backend == "dask" or n_jobs > 1
    jobs = [Job(tag=t, scenario=s.scenario, facility=fac, seed=s.scenario.seed,
                run_replication=s.kind.run_replication, work=s.todo(),
                drop=open_drop(s.writer.folder) if elsewhere and s.writer is not None and s.pending else None)
            for t, (s, fac) in enumerate(sinks)]
    total = sum(len(s.keys) for s, _ in sinks)
    count = sum(len(s.keys) - len(j.work) for (s, _), j in zip(sinks, jobs, strict=True))
    if progress and count:
        progress(count, total)

    def on_outcome(tag: Any, outcome: Outcome) -> None:
        nonlocal count
        sink = sinks[tag][0]
        sink.add(outcome)
        count += 1
        if progress:
            progress(count, total)
        if on_complete is not None and sink.complete:
            on_complete(tag)

    def on_tick(tick: Tick) -> None:
        tag: Any = tick.tag  # the job's number, as in on_outcome
        if sim_progress is not None and tick.index in sinks[tag][0].pending:
            sim_progress(tick)

    try:
        execute(jobs, on_outcome=on_outcome, backend=backend, workers=n_jobs, scheduler=scheduler,
                should_stop=should_stop, probe=probe, on_tick=on_tick if sim_progress is not None else None)
    except ScenarioFileError as exc:
        # A model finds some faults of its scenario only while running, and does not know where the
        # scenario came from: the error names the file the scenario was loaded from, if any.
        source = sinks[0][0].scenario.source if sinks else None
        if exc.path != "<scenario>" or not source:
            raise
        raise ScenarioFileError(source, exc.field, exc.problem) from None
