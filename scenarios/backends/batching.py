"""Batches: the replications a backend hands to a worker at once, sized from what earlier ones took.

Work is cut into *batches* of replications of one scenario.  The first batches
hold one replication, one per worker until a replication has finished (each
batch costs a task's overhead, about 7 ms of CPU on Dask, whatever it holds);
later ones are sized from what the first ones took, so
a batch holds about its pool's target of work (:data:`TARGET_BATCH_S` on a local
pool; per-task overhead stays small next to the work), counted in the
replications' CPU time rather than wall time (:data:`WAIT_SHARE`), and holds at most
:data:`MAX_BATCH_BYTES` of tables (memory stays bounded).  Towards the end of
a run, batches shrink so that several workers finish together, but not below
:data:`TAIL_SHARE` of the target (each batch costs its overhead again); one
worker has nothing to balance, and its batches do not shrink.  Nor is a job
(a sweep's variant) left with fewer than that share for a batch of its own
while other jobs follow: they go with the batch before them.  Batching never
changes results: each replication draws from its own stream.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scenarios.base import RunReplication, ScenarioBase
from scenarios.replicate import Outcome
from scenarios.store.drop import Drop

if TYPE_CHECKING:
    from facility import Facility

__all__ = ["IN_FLIGHT_PER_WORKER", "MAX_BATCH_BYTES", "TAIL_SHARE", "TARGET_BATCH_S", "WAIT_SHARE", "Batcher",
           "Items", "Job"]

#: Seconds of work a batch should hold once replication times are known (local pool).  Each batch
#: costs CPU beyond its replications (the pool's threads here pickling and reading, the
#: worker's part): a 200-replication Nelson sweep on a pool of 2 spent 2 to 3 % of its
#: replications' CPU more with half-second batches (three runs each way, alternating, load 2.7).
TARGET_BATCH_S = 1.0
#: Share of the target below which the last batches of a run are not cut: they shrink so
#: that the workers finish together (a worker left with a long batch keeps the others
#: idle), but each batch costs a task's overhead again (about 7 ms of CPU on Dask: 3.5 %
#: of a tenth of a 2 s batch, 1.4 % of a quarter).  The workers then finish within about
#: this share of the target of each other.
TAIL_SHARE = 0.25
#: Share of a replication's wall time that it counts for at least when batches are sized.
#: Batches are sized by what the replications took of their worker's CPU, not wall time:
#: on a loaded machine a replication's wall time stretches with the load while what a batch
#: costs beyond it does not, so wall-sized batches held fewer replications and a run had
#: more of them (a 200-replication Nelson sweep at load 4 on 2 CPUs: 17 to 19 batches on a
#: pool of 2, ending 6, 5, 5, 5, 3; a 1-worker Dask cluster 5 to 6 tasks, not 3).  A
#: replication that waits on something other than the CPU still counts this share of its
#: wall time, so its batches last at most 1 / WAIT_SHARE times the target.
WAIT_SHARE = 0.25
#: Table bytes a batch may bring back at once.
MAX_BATCH_BYTES = 32 * 2**20
#: Batches queued per worker, so a worker never idles between two.
IN_FLIGHT_PER_WORKER = 2

#: ``(index, spawn key)`` of each replication of a batch.
Items = tuple[tuple[int, tuple[int, ...]], ...]


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
    work: Items
    drop: Drop | None = None


class Batcher:
    """Cuts jobs into batches sized from the replications seen so far.

    Args:
        jobs: What to run, in order.
        workers: Batches run at once (worker processes or threads).
        max_size: Most replications in a batch (``None``: no limit).
        target_s: Seconds of work a batch should hold (:data:`WAIT_SHARE`).
    """

    def __init__(self, jobs: Sequence[Job], workers: int, max_size: int | None = None,
                 target_s: float = TARGET_BATCH_S) -> None:
        self._queue = [(job, list(job.work)) for job in jobs if job.work]
        self._workers = workers
        self._max = max_size
        self._target_s = target_s
        self._seen = 0
        self._seconds = 0.0
        self._bytes = 0

    def in_flight(self) -> int:
        """Batches to keep handed out at once: one per worker until a replication has finished,
        then :data:`IN_FLIGHT_PER_WORKER` each.

        Until then every batch holds one replication, and a second one per
        worker was a task more each (on a 1-worker Dask cluster, a 200-replication
        sweep ran ``1, 1, 98, 100``; now ``1, 99, 100``).
        """
        return self._workers * (IN_FLIGHT_PER_WORKER if self._seen else 1)

    @property
    def remaining(self) -> int:
        """Replications not yet handed out."""
        return sum(len(w) for _, w in self._queue)

    def observe(self, outcome: Outcome) -> None:
        """Take note of what a finished replication took."""
        self._seen += 1
        self._seconds += max(outcome.cpu_seconds, WAIT_SHARE * outcome.seconds)
        self._bytes += outcome.nbytes

    def _limits(self) -> tuple[float, float]:
        """Replications a batch may hold: about the target's work, and within
        :data:`MAX_BATCH_BYTES`, judging by those seen so far (at least one)."""
        return (self._target_s / max(self._seconds / self._seen, 1e-6),
                MAX_BATCH_BYTES / max(self._bytes / self._seen, 1.0))

    def size(self) -> int:
        """Replications in the next batch."""
        if self._seen == 0:
            return 1
        by_time, by_bytes = self._limits()
        left = self.remaining
        # the last round cut finer, so the workers finish together; one worker waits for no other
        fair = max(math.ceil(left / (self._workers * IN_FLIGHT_PER_WORKER)), TAIL_SHARE * by_time) \
            if self._workers > 1 else left
        return max(1, int(min(by_time, by_bytes, fair, self._max or left)))

    def next(self) -> tuple[Job, Items] | None:
        """The next batch and its job, or ``None`` when everything has been handed out."""
        while self._queue and not self._queue[0][1]:
            self._queue.pop(0)
        if not self._queue:
            return None
        job, work = self._queue[0]
        n = self.size()
        rest = len(work) - n
        if rest > 0 and self._seen and len(self._queue) > 1:
            # A job's last few replications go with the batch before them while other jobs
            # follow: alone they were a batch of their own at every job's end (a sweep's
            # variant), a task and a part more each, though the next job's batches keep the
            # workers as busy.  Within the limits of a batch; the run's last job is still cut
            # finer, so the workers finish together.
            by_time, by_bytes = self._limits()  # the target is a measure, the bytes and the size a limit
            if rest < TAIL_SHARE * by_time and n + rest <= min(by_bytes, self._max or n + rest):
                n += rest
        batch, work[:] = tuple(work[:n]), work[n:]
        return job, batch
