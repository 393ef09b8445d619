"""One replication as a unit of work: which stream it draws from, and what came of it.

A replication is named by its run's root seed and a *spawn key*: replication
*i* of a plain run draws from ``SeedSequence(seed, spawn_key=(i,))``, which is
exactly child *i* of ``SeedSequence(seed).spawn(n)``.  The stream depends on
nothing else, so a replication gives the same numbers on any backend, any
worker count and in any completion order.  A sweep with common random numbers
gives replication *i* of every variant that same key, so variants differ only
by their levers; without them variant *v* uses ``(v, i)``.

:func:`attempt_batch` is what a worker runs: a few replications of one
scenario, each caught on its own, so a replication that raises becomes a
``failed`` :class:`Outcome` with its traceback and its neighbours carry on.
"""

from __future__ import annotations

import gc
import itertools
import pickle
import time
import traceback
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from scenarios.base import Replication, RunReplication, ScenarioBase
from scenarios.errors import ScenarioError
from scenarios.progress import Channel, Reporter, accepts_progress

if TYPE_CHECKING:
    import pyarrow as pa

    from facility import Facility

__all__ = [
    "MAX_SEED",
    "Outcome",
    "Status",
    "attempt_batch",
    "check_seed",
    "generator",
    "settle_worker_heap",
    "spawn_key",
    "young_heap_only",
]

#: Seeds are stored as DuckDB HUGEINT and JSON integers; larger ones are refused up front.
MAX_SEED = 2**127 - 1
#: Batches a worker process runs between two full collections of everything it holds
#: (:func:`settle_worker_heap`): cyclic garbage set aside with the live objects waits at most
#: this long, and a full collection of a Dask worker's ~200,000 objects (about 50 ms) is
#: spread over that many batches.
FULL_COLLECTION_BATCHES = 64
#: Batches a worker process starts with a full collection: the first (imports done by
#: receiving the task) and the second (imports a model does in its first replication).
SETTLING_BATCHES = 2

#: Counts the batches this process has run as a worker (:func:`settle_worker_heap`).
_worker_batches = itertools.count()


class Status(StrEnum):
    """What came of one replication."""

    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one replication as it crosses from a worker to the store.

    Attributes:
        index: Replication number within its run (0-based).
        key: Spawn key of its random stream under the run's root seed.
        status: ``done`` or ``failed``.
        kpis: Scalar results (empty when failed).
        tables: Arrow tables by name (empty when failed).
        seconds: Wall time of the replication on its worker.
        error: The traceback when failed, else ``""``.
        cpu_seconds: CPU time of the replication's thread on its worker: the
            model's own work, which other work on the machine barely changes
            (so a run's overhead can be read against it under any load).
        part: The name of the part of the run folder its worker wrote its
            tables, KPI row and record to (:mod:`scenarios.store.drop`); its
            ``tables`` are then empty.  ``""``: they travel with it.
    """

    index: int
    key: tuple[int, ...]
    status: Status
    kpis: Mapping[str, float] = field(default_factory=dict)
    tables: Mapping[str, pa.Table] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""
    cpu_seconds: float = 0.0
    part: str = ""
    #: Bytes held by the tables (what the store has to buffer, and what a batch brings back):
    #: the buffers' whole size, an upper bound for a sliced table.  Exact ``Table.nbytes`` walks
    #: every column and cost about 0.3 ms a replication, more than 1 % of a short one; this is
    #: taken once, when the outcome is made, since the batcher and the store both ask (about
    #: 65 us a Nelson replication each time).  Given (not negative) for an outcome whose tables
    #: its worker wrote to a part: the size they had, which batches are still sized by.
    nbytes: int = field(default=-1, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.nbytes < 0:
            object.__setattr__(self, "nbytes", sum(t.get_total_buffer_size() for t in self.tables.values()))

    def replication(self) -> Replication:
        """The model-level view, as a kind's ``summarize`` expects."""
        return Replication(index=self.index, kpis=self.kpis, tables=self.tables)

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # An outcome crosses from a worker process as a pickle.  Arrow pickles a table
        # column by column through Python objects: 1.4 ms to send and 1 ms to receive a
        # Nelson replication's six tables, over 10 % of the replication.  Arrow IPC streams
        # cost a tenth of that; all of an outcome's tables go in one buffer, which travels
        # out of band: Dask sends each such buffer as a frame of its own, and six frames per
        # replication cost more than the copying.
        fields = {"index": self.index, "key": self.key, "status": self.status, "kpis": dict(self.kpis),
                  "seconds": self.seconds, "error": self.error, "cpu_seconds": self.cpu_seconds,
                  "part": self.part, "nbytes": self.nbytes}
        names, ends, buffer = _to_ipc(self.tables)
        sent = pickle.PickleBuffer(buffer) if protocol >= 5 else buffer.to_pybytes()
        return (_unpickle_outcome, (fields, names, ends, sent))


def _to_ipc(tables: Mapping[str, pa.Table]) -> tuple[list[str], list[int], pa.Buffer]:
    """``tables`` as Arrow IPC streams one after the other in one buffer, and where each ends.

    Each stream holds its table's schema, metadata and values exactly.
    """
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    ends = []
    for table in tables.values():
        with pa.ipc.new_stream(sink, table.schema) as stream:
            stream.write_table(table)
        ends.append(sink.tell())
    return list(tables), ends, sink.getvalue()


def _unpickle_outcome(fields: dict[str, Any], names: list[str], ends: list[int],
                      buffer: pickle.PickleBuffer | bytes) -> Outcome:
    """The :class:`Outcome` that :meth:`Outcome.__reduce__` sent (its tables read without a copy)."""
    import pyarrow as pa

    whole = pa.py_buffer(buffer)
    tables, start = {}, 0
    for name, end in zip(names, ends, strict=True):
        tables[name] = pa.ipc.open_stream(whole.slice(start, end - start)).read_all()
        start = end
    return Outcome(**fields, tables=tables)


def check_seed(seed: int, where: str = "seed") -> int:
    """``seed`` if it is a storable root seed, else a ``ValueError`` naming ``where``.

    >>> check_seed(2**70) == 2**70
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"'{where}' must be an integer, got {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"'{where}' must be between 0 and 2**127 - 1 (results store seeds as 128-bit "
                         f"integers), got {seed}")
    return int(seed)


def spawn_key(index: int, variant: int | None = None) -> tuple[int, ...]:
    """The spawn key of replication ``index``; ``variant`` only when streams are not shared.

    >>> spawn_key(3), spawn_key(3, variant=1)
    ((3,), (1, 3))
    """
    return (index,) if variant is None else (variant, index)


def generator(seed: int, key: Sequence[int]) -> np.random.Generator:
    """The one generator a replication draws from."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(key)))


def attempt_batch(run_replication: RunReplication, scenario: ScenarioBase, facility: Facility, seed: int,
                  work: Sequence[tuple[int, tuple[int, ...]]], *, ticks: Channel | None = None,
                  tag: Hashable = 0) -> list[Outcome]:
    """Run replications ``(index, key)`` of ``scenario``; module-level so workers can pickle it.

    ``run_replication`` is the kind's function, passed by reference so a
    worker needs no registry of kinds.  Every replication is caught on its
    own: an exception becomes a failed outcome with the traceback, and the
    remaining replications still run.  A :class:`ScenarioError` (the
    scenario asks for something the model cannot do) is raised instead.
    With ``ticks``, a kind that reports progress over simulated time is given
    a :class:`~scenarios.progress.Reporter` that sends them there, marked ``tag``.
    """
    out: list[Outcome] = []
    call = cast(Callable[..., Replication], run_replication)
    reports = ticks is not None and accepts_progress(run_replication)
    for index, key in work:
        t0, c0 = time.perf_counter(), time.thread_time()
        extra: dict[str, Any] = {"progress": Reporter(ticks, tag, index)} if reports and ticks else {}
        try:
            rep = call(scenario, facility, generator(seed, key), index, **extra)
        except ScenarioError:
            raise  # the scenario itself is at fault: every replication would fail the same way
        except Exception as exc:
            stop = _interruption(exc)
            if stop is not None:
                raise stop from None
            out.append(Outcome(index=index, key=tuple(key), status=Status.FAILED,
                               seconds=time.perf_counter() - t0, error=traceback.format_exc(),
                               cpu_seconds=time.thread_time() - c0))
            continue
        out.append(Outcome(index=index, key=tuple(key), status=Status.DONE, kpis=dict(rep.kpis),
                           tables=dict(rep.tables), seconds=time.perf_counter() - t0,
                           cpu_seconds=time.thread_time() - c0))
    return out


def _interruption(exc: BaseException) -> BaseException | None:
    """The ``SystemExit`` or ``KeyboardInterrupt`` behind ``exc``, if any.

    A signal handler that raises (the app's worker ends a cancelled run with ``SystemExit``,
    :mod:`scenarios.ui.worker`) may fire inside a compiled kernel; Numba's dispatcher then
    reports a ``SystemError`` caused by it.  Caught as a failed replication, a cancelled drill
    was stored as a finished run with one failure instead of leaving nothing.
    """
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if not isinstance(cause, Exception):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


@contextmanager
def young_heap_only() -> Iterator[None]:
    """Let Python's garbage collector look only at objects made inside the block.

    A replication makes and drops objects by the hundred thousand, so the
    collector runs often, and each of its full collections also walked every
    object the process held before: its imports, the building, the app's
    state (about 190,000 objects in a runner with the store loaded).  In a
    sweep of the Nelson centre in one process those full collections took
    about a sixth of all the CPU.  ``gc.freeze`` sets the objects that exist
    now aside, and ``gc.unfreeze`` gives them back at the end, so cycles among
    them are still collected afterwards.  Nothing a replication computes
    depends on when memory is reclaimed.

    One block per run, not per batch: garbage still uncollected when a
    block starts is set aside with the live objects and, given back as old,
    waits for a full collection that then rarely comes (a block per
    replication grew a run's memory by about 0.7 MB a replication).  Used
    around every run by the process that runs or submits it
    (:func:`scenarios.backends.execute`), whichever backend: with the
    replications in worker processes, storing their outcomes and finishing
    the runs here still made garbage enough for full collections.

    In a process that froze its objects for good already (the app's server,
    :mod:`scenarios.ui.serve`), the block does nothing: ``gc.unfreeze`` cannot
    give back only what the block set aside, and would undo that freeze.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def settle_worker_heap() -> None:
    """In a worker process, before a batch: let the collector skip what the process holds.

    The same saving as :func:`young_heap_only`, for processes that only run
    batches (a Dask worker, a local pool's worker): Python's full
    collections otherwise walk every object the worker holds (its imports,
    the building, a Dask worker's own state: about 200,000 objects), again
    and again during every replication.  Nelson replications on a local pool
    of 2 took 8 to 21 % less CPU with it (docs/sweeps.md).

    The first :data:`SETTLING_BATCHES` batches (the first one's imports, then
    those a model makes in its first replication) and then one in every
    :data:`FULL_COLLECTION_BATCHES` start with a full collection, after which
    everything left is set aside (``gc.freeze``).  Garbage is collected
    before it could be set aside, and what was set aside and died since
    (a finished task's bookkeeping) is freed at the next full collection.
    Setting aside at every batch without collecting first kept each batch's
    leftover garbage (about 3 MB per batch of 10 Nelson replications) until
    then; collecting at every batch cost about 4 ms per batch.  Called only
    in a process that runs batches for another one: never in the process
    that submits them (a threaded Dask worker there, the app's server),
    whose objects are not this function's to set aside.
    """
    batch = next(_worker_batches)
    if batch < SETTLING_BATCHES or batch % FULL_COLLECTION_BATCHES == 0:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
