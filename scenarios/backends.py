"""Where replications run: this process, a local process pool, or a Dask cluster.

* ``local`` with one worker runs replications in this process; with more it
  uses a loky process pool (joblib's executor), which works from inside
  ``streamlit run`` where ``multiprocessing`` pools do not.
* ``dask`` submits to a Dask distributed cluster (``scheduler`` address)
  through one client per address that the runs of this process share
  (:func:`dask_client`), or to a local cluster started for the run when no
  address is given.

Work is cut into *batches* of replications of one scenario.  The first batch
holds one replication; later ones are sized from what the first ones took, so
a batch lasts about :data:`TARGET_BATCH_S` on a local pool and
:data:`DASK_TARGET_BATCH_S` on Dask (per-task overhead stays small next to the
work) and holds at most :data:`MAX_BATCH_BYTES` of tables (memory stays
bounded).  Towards the end of a run, batches shrink so that several workers
finish together, but not below :data:`TAIL_SHARE` of the target (each batch
costs its overhead again); one worker has nothing to balance, and its batches
do not shrink.  Worker processes set aside from Python's garbage collector
what they hold (:func:`scenarios.replicate.settle_worker_heap`).  Batching
never changes results: each replication draws from its own stream.  The
replications of a batch whose worker process died are run again one by one,
alone, and one that kills its worker :data:`MAX_ATTEMPTS` times that way is
recorded as failed; a replication that raises is a failed outcome with its
traceback (:func:`scenarios.replicate.attempt_batch`), and an error of the
scenario itself (:class:`~scenarios.errors.ScenarioError`) stops the run.

With ``on_tick``, each backend also carries how far the running
replications are in simulated time (:mod:`scenarios.progress`): directly in
this process, through a local socket from a local pool, and through the
Dask event log from a cluster.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import itertools
import math
import os
import pickle
import queue
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from scenarios.base import RunReplication, ScenarioBase
from scenarios.errors import ArgumentError, BackendError, RunCancelled, ScenarioError
from scenarios.progress import DASK_TOPIC, Channel, DaskEvents, Direct, OnTick, TickListener, from_event
from scenarios.replicate import Outcome, Status, attempt_batch, settle_worker_heap, young_heap_only
from scenarios.store.drop import Drop, deliver

if TYPE_CHECKING:
    from facility import Facility

__all__ = ["BACKENDS", "CONNECT_TIMEOUT_S", "LOCAL_CLUSTER_CONFIG", "MAX_ATTEMPTS", "Job",
           "close_dask_clients", "dask_client", "execute"]

BACKENDS = ("local", "dask")
#: Seconds to wait for a Dask scheduler before saying it cannot be reached.
CONNECT_TIMEOUT_S = 5.0
#: Times a replication may kill its worker when run alone before it is recorded as failed.
MAX_ATTEMPTS = 3
#: Wall time a batch should take once replication times are known (local pool).  Each batch
#: costs CPU beyond its replications (the pool's threads here pickling and reading, the
#: worker's part): a 200-replication Nelson sweep on a pool of 2 spent 2 to 3 % of its
#: replications' CPU more with half-second batches (three runs each way, alternating, load 2.7).
TARGET_BATCH_S = 1.0
#: The same on Dask, where a task costs more: about 7 ms of CPU between client, scheduler
#: and worker (1.4 % of a half-second batch).  Batches still shrink towards the end of a
#: run, so the workers finish together.
DASK_TARGET_BATCH_S = 2.0
#: Share of the target below which the last batches of a run are not cut: they shrink so
#: that the workers finish together (a worker left with a long batch keeps the others
#: idle), but each batch costs a task's overhead again (about 7 ms of CPU on Dask: 3.5 %
#: of a tenth of a 2 s batch, 1.4 % of a quarter).  The workers then finish within about
#: this share of the target of each other.
TAIL_SHARE = 0.25
#: Table bytes a batch may bring back at once.
MAX_BATCH_BYTES = 32 * 2**20
#: Batches queued per worker, so a worker never idles between two.
IN_FLIGHT_PER_WORKER = 2
#: Seconds between checks for cancellation while waiting on workers.
POLL_S = 0.2
#: Work (seconds in this process) below which a local pool is not worth starting.
POOL_WORTH_S = 10.0
#: Dask settings of a cluster started for a run.  Its workers' statistical profiler (a look
#: at the running task's stack every 10 ms) cost 1-2 % of the replications' CPU.  An idle
#: cluster of one worker spent 0.053 CPU s/s keeping itself going, 5 % of a core: its
#: event-loop health checks every 20 ms in scheduler, nanny and worker, a system monitor
#: every 0.5 s, a memory check every 0.1 s and work stealing every second; with the
#: settings below, 0.010.  A run needs none of them that often: it keeps at most two
#: batches per worker in flight (nothing to steal), a blocked event loop is still
#: reported, and a worker still stops when its memory runs out, half a second later at most.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
    "distributed.scheduler.work-stealing": False,
}

OnOutcome = Callable[[Hashable, Outcome], None]
ShouldStop = Callable[[], bool]


@dataclass(frozen=True)
class Job:
    """Replications of one scenario to run.

    Attributes:
        tag: Whom the outcomes go to (e.g. the sweep variant).
        scenario: The scenario as run.
        facility: Its building.
        seed: The root seed.
        run_replication: The kind's module-level replication function.
        work: ``(index, spawn key)`` of each replication to run.
        drop: Where a worker process that sees the run folder writes each
            batch's part itself (:mod:`scenarios.store.drop`); ``None``: the
            tables come back with the outcomes.
    """

    tag: Hashable
    scenario: ScenarioBase
    facility: Facility
    seed: int
    run_replication: RunReplication
    work: tuple[tuple[int, tuple[int, ...]], ...]
    drop: Drop | None = None


class _Batcher:
    """Cuts jobs into batches sized from the replications seen so far."""

    def __init__(self, jobs: Sequence[Job], workers: int, max_size: int | None = None,
                 target_s: float = TARGET_BATCH_S) -> None:
        self._queue = [(job, list(job.work)) for job in jobs if job.work]
        self._workers = workers
        self._max = max_size
        self._target_s = target_s
        self._seen = 0
        self._seconds = 0.0
        self._bytes = 0

    @property
    def remaining(self) -> int:
        return sum(len(w) for _, w in self._queue)

    def observe(self, outcome: Outcome) -> None:
        self._seen += 1
        self._seconds += outcome.seconds
        self._bytes += outcome.nbytes

    def size(self) -> int:
        if self._seen == 0:
            return 1
        by_time = self._target_s / max(self._seconds / self._seen, 1e-6)
        by_bytes = MAX_BATCH_BYTES / max(self._bytes / self._seen, 1.0)
        left = self.remaining
        # the last round cut finer, so the workers finish together; one worker waits for no other
        fair = max(math.ceil(left / (self._workers * IN_FLIGHT_PER_WORKER)), TAIL_SHARE * by_time) \
            if self._workers > 1 else left
        return max(1, int(min(by_time, by_bytes, fair, self._max or left)))

    def next(self) -> tuple[Job, tuple[tuple[int, tuple[int, ...]], ...]] | None:
        while self._queue and not self._queue[0][1]:
            self._queue.pop(0)
        if not self._queue:
            return None
        job, work = self._queue[0]
        n = self.size()
        batch, work[:] = tuple(work[:n]), work[n:]
        return job, batch


class _WorkerLost(Exception):
    """A batch's worker process died or lost contact; the batch may be run again."""


class _Pool(Protocol):
    def submit(self, job: Job, work: tuple[tuple[int, tuple[int, ...]], ...]) -> Any: ...
    def wait(self, futures: list[Any]) -> list[Any]: ...
    def result(self, future: Any) -> list[Outcome]: ...
    def cancel(self, futures: list[Any]) -> None: ...
    def close(self) -> None: ...


class _InProcess:
    """Runs each batch at once in this process (one worker, no pickling); ticks go straight to ``on_tick``."""

    def __init__(self, on_tick: OnTick | None = None) -> None:
        self._ticks = Direct(on_tick) if on_tick is not None else None

    def submit(self, job: Job, work: tuple[tuple[int, tuple[int, ...]], ...]) -> Any:
        fut: cf.Future[list[Outcome]] = cf.Future()
        try:
            fut.set_result(attempt_batch(job.run_replication, job.scenario, job.facility, job.seed, work,
                                         ticks=self._ticks, tag=job.tag))
        except Exception as exc:
            fut.set_exception(exc)
        return fut

    def wait(self, futures: list[Any]) -> list[Any]:
        return futures[:1]

    def result(self, future: Any) -> list[Outcome]:
        out: list[Outcome] = future.result()
        return out

    def cancel(self, futures: list[Any]) -> None:
        return None

    def close(self) -> None:
        return None


@dataclass(frozen=True)
class _Shipped:
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


def _received(shipped: _Shipped) -> Any:
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
class _Work:
    """A batch's ``(index, spawn key)`` pairs in one object.

    Dask walks every tuple and list among a task's arguments looking for
    other tasks: a batch of 100 pairs cost it about 1.5 ms in this process.
    """

    items: tuple[tuple[int, tuple[int, ...]], ...]


def _attempt_in_worker(run_replication: RunReplication, scenario: ScenarioBase, facility: Any, seed: int,
                       work: _Work, *, ticks: Channel | None = None, tag: Hashable = 0,
                       host: int = 0, drop: Drop | None = None, part: str = "") -> list[Outcome]:
    """:func:`~scenarios.replicate.attempt_batch` as a worker runs it.

    ``facility`` may come as :class:`_Shipped`.  ``host`` is the process id
    of the run: in any other process, what the worker holds is set aside
    from the garbage collector first (:func:`~scenarios.replicate.settle_worker_heap`);
    a threaded Dask worker inside the run's own process is left alone.
    With ``drop``, the batch is written as the run folder's part ``part``
    when this process sees the folder, and the outcomes return without
    their tables (:func:`scenarios.store.drop.deliver`).
    """
    if os.getpid() != host:
        settle_worker_heap()
    building = _received(facility) if isinstance(facility, _Shipped) else facility
    out = attempt_batch(run_replication, scenario, building, seed, work.items, ticks=ticks, tag=tag)
    return deliver(drop, part, out) if drop is not None else out


def _drop_args(job: Job, batches: Iterator[int]) -> dict[str, Any]:
    """The keywords that let a worker write a batch of ``job`` as a part of its own, if it has a drop.

    Every batch sent gets a part name of its own, a batch sent again too: a
    first attempt that is still writing never shares its part with the next.
    """
    if job.drop is None:
        return {}
    return {"drop": job.drop, "part": job.drop.part_name(next(batches))}


class _Loky:
    """A reusable loky process pool; a broken pool is replaced on the next submit.

    Ticks come back over a socket the run listens on
    (:class:`~scenarios.progress.TickListener`): no process is started for
    them, and nothing is imported again.
    """

    def __init__(self, workers: int, on_tick: OnTick | None = None) -> None:
        self._workers = workers
        self._on_tick = on_tick
        self._listener = TickListener() if on_tick is not None else None
        self._shipped: dict[int, _Shipped] = {}
        self._batches = itertools.count()

    def _ship(self, facility: Facility) -> _Shipped:
        key = id(facility)
        if key not in self._shipped:
            self._shipped[key] = _Shipped(uuid.uuid4().hex, pickle.dumps(facility, pickle.HIGHEST_PROTOCOL))
        return self._shipped[key]

    def submit(self, job: Job, work: tuple[tuple[int, tuple[int, ...]], ...]) -> Any:
        from joblib.externals.loky import get_reusable_executor

        args = (_attempt_in_worker, job.run_replication, job.scenario, self._ship(job.facility), job.seed,
                _Work(work))
        kw = {"ticks": self._listener.channel if self._listener else None, "tag": job.tag,
              "host": os.getpid(), **_drop_args(job, self._batches)}
        try:
            return get_reusable_executor(max_workers=self._workers).submit(*args, **kw)
        except RuntimeError:  # the pool broke since it was handed out: a fresh one takes the work
            return get_reusable_executor(max_workers=self._workers, kill_workers=True).submit(*args, **kw)

    def wait(self, futures: list[Any]) -> list[Any]:
        done, _ = cf.wait(futures, timeout=POLL_S, return_when=cf.FIRST_COMPLETED)
        self._drain()
        return list(done)

    def _drain(self) -> None:
        if self._listener is not None and self._on_tick is not None:
            for tick in self._listener.drain():
                self._on_tick(tick)

    def result(self, future: Any) -> list[Outcome]:
        try:
            out: list[Outcome] = future.result()
        except ScenarioError:
            raise
        except Exception as exc:
            # attempt_batch catches every error of a replication, so anything else
            # is the pool's: a worker died, the pool broke or a result could not be sent.
            raise _WorkerLost(f"{type(exc).__name__}: {exc}") from None
        return out

    def cancel(self, futures: list[Any]) -> None:
        from joblib.externals.loky import get_reusable_executor

        for f in futures:
            f.cancel()
        get_reusable_executor(max_workers=self._workers).shutdown(wait=False, kill_workers=True)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None


class _Dask:
    """A Dask distributed client; facilities are sent to the workers once each.

    Ticks travel on the scheduler's event log under a topic of this run's
    own, which the client follows; the handler runs on the client's event
    loop thread and only appends to a deque that :meth:`wait` empties.
    A finished batch or a tick wakes :meth:`wait` (no polling: looking at
    the futures every few milliseconds cost about 1 % of a core for as long
    as a run lasts).
    """

    def __init__(self, client: Any, on_tick: OnTick | None = None) -> None:
        self._client = client
        self._scattered: dict[int, Any] = {}
        self._batches = itertools.count()
        self._on_tick = on_tick
        self._events: deque[Any] = deque()
        self._wake: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._ticks: DaskEvents | None = None
        if on_tick is not None:
            self._ticks = DaskEvents(f"{DASK_TOPIC}-{uuid.uuid4().hex[:12]}")
            client.subscribe_topic(self._ticks.topic, self._event)

    def _event(self, event: Any) -> None:
        self._events.append(event)
        self._wake.put(None)

    def _done(self, _future: Any) -> None:
        self._wake.put(None)

    def submit(self, job: Job, work: tuple[tuple[int, tuple[int, ...]], ...]) -> Any:
        key = id(job.facility)
        if key not in self._scattered:
            self._scattered[key] = self._client.scatter(job.facility, broadcast=True, hash=False)
        future = self._client.submit(_attempt_in_worker, job.run_replication, job.scenario,
                                     self._scattered[key], job.seed, _Work(work), ticks=self._ticks,
                                     tag=job.tag, host=os.getpid(), pure=False,
                                     **_drop_args(job, self._batches))
        future.add_done_callback(self._done)
        return future

    def wait(self, futures: list[Any]) -> list[Any]:
        # distributed.wait() needs a default client; this one is deliberately not
        # made the default (the app's or a notebook's own client is left alone),
        # so each future's done-callback wakes this loop instead.  A wake-up left
        # over from a batch already handed over only costs one more look.
        deadline = time.monotonic() + POLL_S
        while True:
            while self._events and self._on_tick is not None:
                self._on_tick(from_event(self._events.popleft()[1]))
            done = [f for f in futures if f.done()]
            left = deadline - time.monotonic()
            if done or left <= 0:
                return done
            with suppress(queue.Empty):
                self._wake.get(timeout=left)

    def result(self, future: Any) -> list[Outcome]:
        from distributed import KilledWorker

        try:
            out: list[Outcome] = future.result()
        except KilledWorker as exc:
            # The scheduler already ran it again on other workers: give up on these replications.
            raise _GaveUp(f"the workers running it died repeatedly ({exc})") from None
        except ScenarioError:
            raise
        except Exception as exc:  # lost contact with the worker, or a result that could not be sent
            # A dead worker may take the scattered facility with it ("lost dependencies"):
            # send it again with the next batch.
            self._scattered.clear()
            raise _WorkerLost(f"{type(exc).__name__}: {exc}") from None
        return out

    def cancel(self, futures: list[Any]) -> None:
        self._client.cancel(futures)

    def slots(self) -> int:
        """Tasks the cluster runs at once now (its workers' threads), or 0 if none has joined yet.

        Batches are sized and kept in flight for these, whatever ``--jobs``
        says: with a scheduler given, a 2-worker cluster was fed as one
        worker (two batches in flight in all, and the last ones not cut
        finer), so a worker waited for the next batch and the run's last
        batch ran alone.
        """
        return sum(self._client.nthreads().values())

    def close(self) -> None:
        if self._ticks is not None:
            self._client.unsubscribe_topic(self._ticks.topic)


class _GaveUp(Exception):
    """A batch that will not be run again; its replications are recorded as failed."""


def _on_this_machine(address: str) -> bool:
    """Whether a scheduler address is on this machine (its workers are then reachable from here).

    Results are then fetched from the workers directly: through the scheduler
    each batch's tables were sent twice, about 3 % of the replications' CPU.
    A scheduler elsewhere may sit behind a tunnel that the workers do not,
    so there the scheduler stays the go-between.

    >>> _on_this_machine("tcp://127.0.0.1:8786"), _on_this_machine("tcp://10.0.0.5:8786")
    (True, False)
    """
    import ipaddress

    from distributed.comm import get_address_host

    try:
        host = get_address_host(address)
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name
        return False


def _connect(address: str, *, direct: bool, timeout_s: float = CONNECT_TIMEOUT_S) -> Any:
    """A new client of the scheduler at ``address``, or a one-line error within ``timeout_s``.

    Raises:
        BackendError: The scheduler cannot be reached in time.
    """
    from distributed import Client

    try:
        with _quiet_distributed():  # a failure is reported below in one line, not as Dask's log lines
            return Client(address, timeout=timeout_s, set_as_default=False, direct_to_workers=direct)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BackendError(f"--scheduler {address}: cannot reach the Dask scheduler within "
                           f"{CONNECT_TIMEOUT_S:.0f} s ({type(exc).__name__}); start one with "
                           "'dask scheduler' and workers with 'dask worker ADDRESS', or check "
                           "the address and firewall") from None


@contextmanager
def _quiet_distributed() -> Iterator[None]:
    """Dask's own log lines held back while connecting or closing: what matters is said in one line."""
    import logging

    # Dask's configuration gives its client logger a level of its own.
    loggers = [logging.getLogger(name) for name in ("distributed", "distributed.client")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


#: Clients of the schedulers named by address, kept for the next run in this process: the app
#: and a notebook run many sweeps against one scheduler, and each run used to connect anew
#: (a client, its registration with the scheduler and the workers' connections to it).
_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()
#: Whether close_dask_clients is registered to run at exit (once).
_CLIENTS_KEPT: list[bool] = []


def _answers(client: Any, timeout_s: float) -> bool:
    """Whether a kept client still reaches its scheduler: one round trip, at most ``timeout_s``.

    A client whose scheduler went away says so at once (it is reconnecting
    or closed); one whose scheduler hangs, or whose connection was dropped
    unnoticed, fails the round trip.
    """
    if client.status != "running":
        return False
    try:
        client.sync(client.scheduler.identity, callback_timeout=timeout_s)
    except Exception:  # any failure means this client cannot be used: a new one is made
        return False
    return True


def dask_client(address: str) -> Any:
    """The client of the Dask scheduler at ``address`` this process shares between runs.

    The client kept from an earlier run is used while its scheduler still
    answers; a dead one (the scheduler stopped or restarted, the connection
    lost) is closed and replaced.  Within :data:`CONNECT_TIMEOUT_S` in all,
    a scheduler that cannot be reached is a :class:`BackendError`.
    Runs never close it (:func:`close_dask_clients` does, and the
    interpreter at exit).

    Raises:
        BackendError: The scheduler cannot be reached.
    """
    started = time.monotonic()
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(address)
        if client is not None and _answers(client, CONNECT_TIMEOUT_S):
            return client
        if client is not None:
            del _CLIENTS[address]
            _close_quietly(client)
        left = max(CONNECT_TIMEOUT_S - (time.monotonic() - started), 1.0)
        client = _connect(address, direct=_on_this_machine(address), timeout_s=left)
        if not _CLIENTS_KEPT:
            # Registered once distributed is imported: handlers run last-registered first, so the
            # clients close while distributed's event loop still runs.
            atexit.register(close_dask_clients)
            _CLIENTS_KEPT.append(True)
        _CLIENTS[address] = client
        return client


def _close_quietly(client: Any) -> None:
    """Close a client; one that lost its scheduler logs the end of its reconnecting as an error."""
    with _quiet_distributed(), suppress(Exception):  # a client cut off may fail to say goodbye
        client.close(timeout=CONNECT_TIMEOUT_S)


def close_dask_clients() -> None:
    """Close the Dask clients kept between runs (the schedulers and their workers go on)."""
    with _CLIENTS_LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        _close_quietly(client)



@contextmanager
def _dask_pool(scheduler: str | None, workers: int, on_tick: OnTick | None) -> Iterator[_Dask]:
    """A pool on the scheduler at ``scheduler`` (its shared client), or on a cluster started for the run.

    A cluster started for the run is closed with its client when the run
    ends: it holds worker processes that nothing else would stop.
    """
    import dask
    from distributed import LocalCluster

    if scheduler is not None:
        pool = _Dask(dask_client(scheduler), on_tick)
        try:
            yield pool
        finally:
            pool.close()
        return
    with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the nannies hand it to their workers
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    try:
        client = _connect(cluster.scheduler_address, direct=True)
        pool = _Dask(client, on_tick)
        try:
            yield pool
        finally:
            pool.close()
            client.close()
    finally:
        cluster.close()


def _failed(job: Job, work: Sequence[tuple[int, tuple[int, ...]]], why: str) -> list[Outcome]:
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
    if backend == "dask":
        with _dask_pool(scheduler, workers, on_tick) as pool:
            _loop(pool, jobs, on_outcome, pool.slots() or workers, should_stop)
        return
    if workers > 1 and probe:
        jobs, workers = _probe(jobs, on_outcome, workers, should_stop, on_tick)
    if workers == 1:
        # One block for the whole run: the collector then spares what existed before it, and
        # garbage made during the run is collected as usual (young_heap_only).  Not in worker
        # processes: frozen there for good after a first batch, a local pool of 2 spent more
        # CPU in all (4.7-4.9 -> 5.2 s for 200 Nelson replications), though less in the model.
        with young_heap_only():
            _loop(_InProcess(on_tick), jobs, on_outcome, 1, should_stop)
        return
    local = _Loky(workers, on_tick)
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

    _loop(_InProcess(on_tick), [replace(first, work=first.work[:1])], keep, 1, should_stop)
    rest = [replace(j, work=j.work[1:]) if j is first else j for j in jobs]
    left = sum(len(j.work) for j in rest)
    return rest, (1 if seen[0].seconds * left < POOL_WORTH_S else workers)


def _loop(pool: _Pool, jobs: Sequence[Job], on_outcome: OnOutcome, workers: int,
          should_stop: ShouldStop | None) -> None:
    """Keep the workers busy; hand outcomes over; run the batches of a dead worker again.

    A local pool loses every batch in flight when one worker dies, so a lost
    batch is not blamed at once: its replications become *suspects*, each run
    again alone (nothing else in flight).  Only a suspect that kills its
    worker while alone counts an attempt, so the replication that crashes
    workers is recorded as failed after :data:`MAX_ATTEMPTS` and the innocent
    ones it took down with it are not.
    """
    # In this process a batch costs nothing to send: run one replication at a
    # time, so each is stored (and progress shown) as soon as it finishes.
    batcher = _Batcher(jobs, workers, max_size=1 if isinstance(pool, _InProcess) else None,
                       target_s=DASK_TARGET_BATCH_S if isinstance(pool, _Dask) else TARGET_BATCH_S)
    Work = tuple[tuple[int, tuple[int, ...]], ...]
    pending: dict[Any, tuple[Job, Work, int, bool]] = {}
    suspects: list[tuple[Job, Work, int]] = []
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
                while len(pending) < workers * IN_FLIGHT_PER_WORKER and (nxt := batcher.next()) is not None:
                    job, work = nxt
                    pending[pool.submit(job, work)] = (job, work, 0, False)
                    if isinstance(pool, _InProcess):
                        break  # ran already: hand it over before cutting the next batch
            if not pending:
                return
            for fut in pool.wait(list(pending)):
                job, work, attempts, alone = pending.pop(fut)
                try:
                    outcomes = pool.result(fut)
                except _WorkerLost as exc:
                    tried = attempts + 1 if alone else attempts
                    if tried < MAX_ATTEMPTS:
                        suspects += [(job, (item,), tried) for item in work]
                        continue
                    outcomes = _failed(job, work, f"its worker died {tried} times when run alone "
                                                  f"(last: {exc})")
                except _GaveUp as exc:
                    outcomes = _failed(job, work, str(exc))
                for o in outcomes:
                    batcher.observe(o)
                    on_outcome(job.tag, o)
    except BaseException:  # the scenario's fault, the store's, an interrupt: nothing more is wanted
        # A Dask client outlives the run (dask_client): its batches must not run on for nobody.
        if pending:
            pool.cancel(list(pending))
        raise
