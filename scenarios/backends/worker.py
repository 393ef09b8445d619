"""What a worker process (a local pool's, a Dask worker's) runs, and how a batch travels to it.

A batch travels as a call of :func:`attempt_in_worker` with the building
pickled once in this process (:class:`Shipped`) and its replications in one
object (:class:`Work`).  In the worker, what it holds is first set aside
from Python's garbage collector (:func:`scenarios.replicate.settle_worker_heap`);
the replications then run (:func:`scenarios.replicate.attempt_batch`: one
that raises is a failed outcome with its traceback), and a worker that sees
the run folder writes the batch's part itself (:mod:`scenarios.store.drop`).
"""

from __future__ import annotations

import os
import pickle
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from scenarios.backends.batching import Items, Job
from scenarios.base import RunReplication, ScenarioBase
from scenarios.progress import Channel
from scenarios.replicate import Outcome, attempt_batch, settle_worker_heap
from scenarios.store.drop import Drop, deliver

__all__ = ["KEEP_FACILITIES", "Shipped", "Work", "attempt_in_worker", "drop_args", "received"]


@dataclass(frozen=True)
class Shipped:
    """A building pickled once in this process, for workers that unpickle it once each.

    Sending the facility object with every batch cost a (cloud)pickle here
    and an unpickle there per batch, about 7 ms for the Nelson centre: over
    1 % of a half-second batch.  The bytes still travel with each batch (a
    copy, no work); a worker keeps what it unpickled by ``token``.
    """

    token: str
    blob: bytes


#: Buildings a worker process keeps unpickled (a sweep over layouts has several).
KEEP_FACILITIES = 4
#: In a worker process: buildings received, by token, most recently used last.
_RECEIVED: OrderedDict[str, Any] = OrderedDict()


def received(shipped: Shipped) -> Any:
    """The building ``shipped`` carries, unpickled once per worker process."""
    fac = _RECEIVED.get(shipped.token)
    if fac is None:
        fac = pickle.loads(shipped.blob)
        _RECEIVED[shipped.token] = fac
        while len(_RECEIVED) > KEEP_FACILITIES:
            _RECEIVED.popitem(last=False)
    else:
        _RECEIVED.move_to_end(shipped.token)
    return fac


@dataclass(frozen=True)
class Work:
    """A batch's ``(index, spawn key)`` pairs in one object.

    Dask walks every tuple and list among a task's arguments looking for
    other tasks: a batch of 100 pairs cost it about 1.5 ms in this process.
    """

    items: Items


def attempt_in_worker(run_replication: RunReplication, scenario: ScenarioBase, facility: Any, seed: int,
                      work: Work, *, ticks: Channel | None = None, tag: Hashable = 0,
                      host: int = 0, drop: Drop | None = None, part: str = "") -> list[Outcome]:
    """:func:`~scenarios.replicate.attempt_batch` as a worker runs it.

    ``facility`` may come as :class:`Shipped`.  ``host`` is the process id
    of the run: in any other process, what the worker holds is set aside
    from the garbage collector first (:func:`~scenarios.replicate.settle_worker_heap`);
    a threaded Dask worker inside the run's own process is left alone.
    With ``drop``, the batch is written as the run folder's part ``part``
    when this process sees the folder, and the outcomes return without
    their tables (:func:`scenarios.store.drop.deliver`).
    """
    if os.getpid() != host:
        settle_worker_heap()
    building = received(facility) if isinstance(facility, Shipped) else facility
    out = attempt_batch(run_replication, scenario, building, seed, work.items, ticks=ticks, tag=tag)
    return deliver(drop, part, out) if drop is not None else out


def drop_args(job: Job, batches: Iterator[int]) -> dict[str, Any]:
    """The keywords that let a worker write a batch of ``job`` as a part of its own, if it has a drop.

    Every batch sent gets a part name of its own, a batch sent again too: a
    first attempt that is still writing never shares its part with the next.
    """
    if job.drop is None:
        return {}
    return {"drop": job.drop, "part": job.drop.part_name(next(batches))}
