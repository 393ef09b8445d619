"""The Dask backend: batches on a Dask distributed cluster, through one client per scheduler.

``--scheduler ADDRESS`` names a running cluster: the runs of this process
share one client of it (:func:`dask_client`), kept while the scheduler
answers and replaced when it does not, so an unreachable scheduler is a
clear error within :data:`CONNECT_TIMEOUT_S`.  Without an address, a local
cluster is started for the run (with :data:`LOCAL_CLUSTER_CONFIG`) and
closed with it.  Buildings are sent to the workers once per run; batches
last about :data:`DASK_TARGET_BATCH_S`; ticks of simulated time travel on
the scheduler's event log under a topic of the run's own.
"""

from __future__ import annotations

import atexit
import itertools
import os
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from scenarios.backends.batching import Items, Job
from scenarios.backends.pool import POLL_S, GaveUp, WorkerLost
from scenarios.backends.worker import Work, attempt_in_worker, drop_args
from scenarios.errors import BackendError, ScenarioError
from scenarios.progress import DASK_TOPIC, DaskEvents, OnTick, from_event
from scenarios.replicate import Outcome

__all__ = ["CONNECT_TIMEOUT_S", "DASK_TARGET_BATCH_S", "LOCAL_CLUSTER_CONFIG", "DaskPool",
           "close_dask_clients", "dask_client", "dask_pool"]

#: Seconds to wait for a Dask scheduler before saying it cannot be reached.
CONNECT_TIMEOUT_S = 5.0
#: Seconds a kept client's scheduler has to answer before the client is replaced (a scheduler
#: that answers does so in milliseconds), and seconds given to closing the client replaced: with
#: connecting anew, a run learns within about CONNECT_TIMEOUT_S + 1 s that a scheduler is gone.
PROBE_TIMEOUT_S = CONNECT_TIMEOUT_S / 2
CLOSE_TIMEOUT_S = 1.0
#: Seconds of work a batch should hold on Dask, where a task costs more than on a local pool: about
#: 7 ms of CPU between client, scheduler and worker (1.4 % of a half-second batch).  Batches
#: still shrink towards the end of a run, so the workers finish together.
DASK_TARGET_BATCH_S = 2.0
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


class DaskPool:
    """Batches on a Dask distributed client; facilities are sent to the workers once each.

    Ticks travel on the scheduler's event log under a topic of this run's
    own, which the client follows; the handler runs on the client's event
    loop thread and only appends to a deque that :meth:`wait` empties.
    A finished batch or a tick wakes :meth:`wait` (no polling: looking at
    the futures every few milliseconds cost about 1 % of a core for as long
    as a run lasts).
    """

    target_s = DASK_TARGET_BATCH_S
    max_batch: int | None = None
    runs_at_submit = False

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

    def submit(self, job: Job, work: Items) -> Any:
        key = id(job.facility)
        if key not in self._scattered:
            self._scattered[key] = self._client.scatter(job.facility, broadcast=True, hash=False)
        future = self._client.submit(attempt_in_worker, job.run_replication, job.scenario,
                                     self._scattered[key], job.seed, Work(work), ticks=self._ticks,
                                     tag=job.tag, host=os.getpid(), pure=False,
                                     **drop_args(job, self._batches))
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
            raise GaveUp(f"the workers running it died repeatedly ({exc})") from None
        except ScenarioError:
            raise
        except Exception as exc:  # lost contact with the worker, or a result that could not be sent
            # A dead worker may take the scattered facility with it ("lost dependencies"):
            # send it again with the next batch.
            self._scattered.clear()
            raise WorkerLost(f"{type(exc).__name__}: {exc}") from None
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
            _ask_identity(address, timeout_s)
            return Client(address, timeout=timeout_s, set_as_default=False, direct_to_workers=direct)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BackendError(f"--scheduler {address}: cannot reach the Dask scheduler within "
                           f"{CONNECT_TIMEOUT_S:.0f} s ({type(exc).__name__}); start one with "
                           "'dask scheduler' and workers with 'dask worker ADDRESS', or check "
                           "the address and firewall") from None


def _ask_identity(address: str, timeout_s: float) -> None:
    """Ask the scheduler at ``address`` who it is; raise unless it answers within ``timeout_s``.

    A Dask client's own connection waits for ever on a scheduler that
    accepts the connection and never answers (its process stopped, a
    half-open tunnel): its ``timeout`` does not cover the start-up.  The
    question runs on an event loop of its own, in a thread of its own, so it
    works from inside a notebook's running loop too.

    Raises:
        TimeoutError: No answer in time (the scheduler refused, hangs or is not there).
        OSError: The connection failed.
    """
    import asyncio

    from distributed.comm import connect

    async def ask() -> None:
        comm = await connect(address, timeout=timeout_s)
        try:
            await comm.write({"op": "identity", "reply": True})
            await comm.read()
        finally:
            comm.abort()

    failed: list[BaseException] = []

    def in_thread() -> None:
        try:
            asyncio.run(asyncio.wait_for(ask(), timeout_s))
        except BaseException as exc:  # handed to the caller's thread below
            failed.append(exc)

    asker = threading.Thread(target=in_thread, name="medtwin-dask-probe", daemon=True)
    asker.start()
    asker.join(timeout_s + CLOSE_TIMEOUT_S)
    if asker.is_alive():
        raise TimeoutError(f"no answer within {timeout_s:.0f} s")
    if failed:
        raise failed[0]


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
    lost) is closed and replaced.  Within about :data:`CONNECT_TIMEOUT_S`
    (and :data:`CLOSE_TIMEOUT_S` more when a kept client is replaced), a
    scheduler that cannot be reached is a :class:`BackendError`.
    Runs never close it (:func:`close_dask_clients` does, and the
    interpreter at exit).

    Raises:
        BackendError: The scheduler cannot be reached.
    """
    started = time.monotonic()
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(address)
        if client is not None and _answers(client, PROBE_TIMEOUT_S):
            return client
        if client is not None:
            del _CLIENTS[address]
            _close_quietly(client, CLOSE_TIMEOUT_S)
        left = max(CONNECT_TIMEOUT_S - (time.monotonic() - started), CLOSE_TIMEOUT_S)
        client = _connect(address, direct=_on_this_machine(address), timeout_s=left)
        if not _CLIENTS_KEPT:
            # Registered once distributed is imported: handlers run last-registered first, so the
            # clients close while distributed's event loop still runs.
            atexit.register(close_dask_clients)
            _CLIENTS_KEPT.append(True)
        _CLIENTS[address] = client
        return client


def _close_quietly(client: Any, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Close a client; one that lost its scheduler logs the end of its reconnecting as an error."""
    with _quiet_distributed(), suppress(Exception):  # a client cut off may fail to say goodbye
        client.close(timeout=timeout_s)


def close_dask_clients() -> None:
    """Close the Dask clients kept between runs (the schedulers and their workers go on)."""
    with _CLIENTS_LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        _close_quietly(client)


@contextmanager
def dask_pool(scheduler: str | None, workers: int, on_tick: OnTick | None) -> Iterator[DaskPool]:
    """A pool on the scheduler at ``scheduler`` (its shared client), or on a cluster started for the run.

    A cluster started for the run is closed with its client when the run
    ends: it holds worker processes that nothing else would stop.
    """
    import dask
    from distributed import LocalCluster

    if scheduler is not None:
        pool = DaskPool(dask_client(scheduler), on_tick)
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
        pool = DaskPool(client, on_tick)
        try:
            yield pool
        finally:
            pool.close()
            client.close()
    finally:
        cluster.close()
