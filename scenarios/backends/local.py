"""The local backend: batches run in this process, or in a loky process pool on this machine.

With one worker, replications run here, one at a time, so each is stored
(and progress shown) as soon as it finishes.  With more, a loky process
pool (joblib's executor) runs the batches: it works from inside
``streamlit run`` where ``multiprocessing`` pools do not, is reused from one
run to the next, and is replaced when it breaks.  Ticks of simulated time
come back over a local socket the run listens on
(:class:`~scenarios.progress.TickListener`).
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import os
import pickle
import uuid
from typing import TYPE_CHECKING, Any

from scenarios.backends.batching import TARGET_BATCH_S, Items, Job
from scenarios.backends.pool import POLL_S, WorkerLost
from scenarios.backends.worker import Shipped, Work, attempt_in_worker, drop_args
from scenarios.errors import ScenarioError
from scenarios.progress import Direct, OnTick, TickListener
from scenarios.replicate import Outcome, attempt_batch

if TYPE_CHECKING:
    from facility import Facility

__all__ = ["InProcess", "Loky"]


class InProcess:
    """Runs each batch at once in this process (one worker, no pickling); ticks go straight to ``on_tick``.

    A batch costs nothing to send here: batches hold one replication, so each
    is stored (and progress shown) as soon as it finishes.
    """

    target_s = TARGET_BATCH_S
    max_batch: int | None = 1
    runs_at_submit = True

    def __init__(self, on_tick: OnTick | None = None) -> None:
        self._ticks = Direct(on_tick) if on_tick is not None else None

    def submit(self, job: Job, work: Items) -> Any:
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


class Loky:
    """A reusable loky process pool; a broken pool is replaced on the next submit.

    Ticks come back over a socket the run listens on
    (:class:`~scenarios.progress.TickListener`): no process is started for
    them, and nothing is imported again.
    """

    target_s = TARGET_BATCH_S
    max_batch: int | None = None
    runs_at_submit = False

    def __init__(self, workers: int, on_tick: OnTick | None = None) -> None:
        self._workers = workers
        self._on_tick = on_tick
        self._listener = TickListener() if on_tick is not None else None
        self._shipped: dict[int, Shipped] = {}
        self._batches = itertools.count()

    def _ship(self, facility: Facility) -> Shipped:
        key = id(facility)
        if key not in self._shipped:
            self._shipped[key] = Shipped(uuid.uuid4().hex, pickle.dumps(facility, pickle.HIGHEST_PROTOCOL))
        return self._shipped[key]

    def submit(self, job: Job, work: Items) -> Any:
        from joblib.externals.loky import get_reusable_executor

        args = (attempt_in_worker, job.run_replication, job.scenario, self._ship(job.facility), job.seed,
                Work(work))
        kw = {"ticks": self._listener.channel if self._listener else None, "tag": job.tag,
              "host": os.getpid(), **drop_args(job, self._batches)}
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
            raise WorkerLost(f"{type(exc).__name__}: {exc}") from None
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
