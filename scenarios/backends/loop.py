"""Running jobs on a backend: the loop that keeps the workers busy and retries a dead worker's batches.

:func:`execute` picks the pool (:mod:`~scenarios.backends.local` or
:mod:`~scenarios.backends.cluster`), cuts the jobs into batches
(:mod:`~scenarios.backends.batching`) and hands each outcome over as it
arrives.  The replications of a batch whose worker process died are run
again one by one, alone, and one that kills its worker :data:`MAX_ATTEMPTS`
times that way is recorded as failed; a replication that raises is a failed
outcome with its traceback (:func:`scenarios.replicate.attempt_batch`), and
an error of the scenario itself (:class:`~scenarios.errors.ScenarioError`)
stops the run.  However the run stops, the batches it has in flight are
cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from typing import Any

from scenarios.backends.batching import Batcher, Items, Job
from scenarios.backends.cluster import dask_pool
from scenarios.backends.local import InProcess, Loky
from scenarios.backends.pool import GaveUp, Pool, WorkerLost
from scenarios.errors import ArgumentError, RunCancelled
from scenarios.progress import OnTick
from scenarios.replicate import Outcome, Status, young_heap_only

__all__ = ["BACKENDS", "MAX_ATTEMPTS", "POOL_WORTH_S", "OnOutcome", "ShouldStop", "execute"]

BACKENDS = ("local", "dask")
#: Times a replication may kill its worker when run alone before it is recorded as failed.
MAX_ATTEMPTS = 3
#: Work (seconds in this process) below which a local pool is not worth starting.
POOL_WORTH_S = 10.0

OnOutcome = Callable[[Hashable, Outcome], None]
ShouldStop = Callable[[], bool]


def _failed(job: Job, work: Items, why: str) -> list[Outcome]:
    return [Outcome(index=i, key=tuple(k), status=Status.FAILED, error=f"replication not run: {why}")
            for i, k in work]


def execute(jobs: Sequence[Job], *, on_outcome: OnOutcome, backend: str = "local", workers: int = 1,
            scheduler: str | None = None, should_stop: ShouldStop | None = None,
            probe: bool = False, on_tick: OnTick | None = None) -> None:
    """Run every replication of ``jobs``; hand each outcome to ``on_outcome`` as it arrives.

    Args:
        jobs: What to run.
        on_outcome: Called in this process with ``(job.tag, outcome)``.
        backend: ``local`` or ``dask``.
        workers: Worker processes (local pool or local Dask cluster);
            ``local`` with 1 runs in this process.  On a Dask cluster,
            batches are cut for the worker threads it has when the run
            starts (``workers`` if none has joined yet).
        scheduler: Dask scheduler address; ``None`` starts a local cluster.
        should_stop: Polled between batches; when it returns true the
            remaining work is cancelled and :class:`RunCancelled` raised.
        probe: With ``local`` and several workers, run the first replication
            here and start the pool only if the rest would take longer than
            :data:`POOL_WORTH_S` in this process (starting worker processes
            costs seconds, more than a few short replications take).
        on_tick: Called in this process with each
            :class:`~scenarios.progress.Tick` of a running replication (kinds
            that report simulated time only); late ticks of a replication
            that has already finished may still arrive.

    Raises:
        ArgumentError: Unknown backend or fewer than one worker.
        BackendError: The Dask scheduler cannot be reached.
        ScenarioError: A replication found the scenario itself at fault.
        RunCancelled: ``should_stop`` asked to stop.
    """
    if backend not in BACKENDS:
        raise ArgumentError(f"--backend: must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if workers < 1:
        raise ArgumentError(f"--jobs: must be >= 1, got {workers}")
    if not any(job.work for job in jobs):
        return
    # One block for the whole run, on every backend: the collector then spares what this process
    # held before the run (imports, the building, the app's state, a local Dask cluster's
    # scheduler: about 200,000 objects), and garbage made during the run is collected as usual
    # (young_heap_only).  With the replications elsewhere, this process's own work (storing
    # outcomes, finishing each run, a local scheduler's messages) still triggers full
    # collections: one took 64 ms, 2 % of a 200-replication Nelson sweep's CPU on a pool of 2.
    # Worker processes settle their own heap (scenarios.replicate.settle_worker_heap).
    with young_heap_only():
        if backend == "dask":
            with dask_pool(scheduler, workers, on_tick) as pool:
                _loop(pool, jobs, on_outcome, pool.slots() or workers, should_stop)
            return
        if workers > 1 and probe:
            jobs, workers = _probe(jobs, on_outcome, workers, should_stop, on_tick)
        if workers == 1:
            _loop(InProcess(on_tick), jobs, on_outcome, 1, should_stop)
            return
        local = Loky(workers, on_tick)
        try:
            _loop(local, jobs, on_outcome, workers, should_stop)
        finally:
            local.close()


def _probe(jobs: Sequence[Job], on_outcome: OnOutcome, workers: int, should_stop: ShouldStop | None,
           on_tick: OnTick | None) -> tuple[list[Job], int]:
    """Run one replication here; the jobs left, and 1 worker if the rest is too short for a pool."""
    first = next(j for j in jobs if j.work)
    seen: list[Outcome] = []

    def keep(tag: Hashable, outcome: Outcome) -> None:
        seen.append(outcome)
        on_outcome(tag, outcome)

    _loop(InProcess(on_tick), [replace(first, work=first.work[:1])], keep, 1, should_stop)
    rest = [replace(j, work=j.work[1:]) if j is first else j for j in jobs]
    left = sum(len(j.work) for j in rest)
    return rest, (1 if seen[0].seconds * left < POOL_WORTH_S else workers)


def _loop(pool: Pool, jobs: Sequence[Job], on_outcome: OnOutcome, workers: int,
          should_stop: ShouldStop | None) -> None:
    """Keep the workers busy; hand outcomes over; run the batches of a dead worker again.

    A local pool loses every batch in flight when one worker dies, so a lost
    batch is not blamed at once: its replications become *suspects*, each run
    again alone (nothing else in flight).  Only a suspect that kills its
    worker while alone counts an attempt, so the replication that crashes
    workers is recorded as failed after :data:`MAX_ATTEMPTS` and the innocent
    ones it took down with it are not.
    """
    batcher = Batcher(jobs, workers, max_size=pool.max_batch, target_s=pool.target_s)
    pending: dict[Any, tuple[Job, Items, int, bool]] = {}
    suspects: list[tuple[Job, Items, int]] = []
    stop = should_stop or (lambda: False)
    try:
        while True:
            if stop():  # what is in flight is cancelled below
                raise RunCancelled("run cancelled; finished replications are kept and --resume "
                                   "continues from them")
            if suspects:
                if not pending:
                    job, work, attempts = suspects.pop(0)
                    pending[pool.submit(job, work)] = (job, work, attempts, True)
            else:
                while len(pending) < batcher.in_flight() and (nxt := batcher.next()) is not None:
                    job, work = nxt
                    pending[pool.submit(job, work)] = (job, work, 0, False)
                    if pool.runs_at_submit:
                        break  # ran already: hand it over before cutting the next batch
            if not pending:
                return
            for fut in pool.wait(list(pending)):
                job, work, attempts, alone = pending.pop(fut)
                try:
                    outcomes = pool.result(fut)
                except WorkerLost as exc:
                    tried = attempts + 1 if alone else attempts
                    if tried < MAX_ATTEMPTS:
                        suspects += [(job, (item,), tried) for item in work]
                        continue
                    outcomes = _failed(job, work, f"its worker died {tried} times when run alone "
                                                  f"(last: {exc})")
                except GaveUp as exc:
                    outcomes = _failed(job, work, str(exc))
                for o in outcomes:
                    batcher.observe(o)
                    on_outcome(job.tag, o)
    except BaseException:  # the scenario's fault, the store's, an interrupt: nothing more is wanted
        # A Dask client outlives the run (dask_client): its batches must not run on for nobody.
        if pending:
            pool.cancel(list(pending))
        raise
