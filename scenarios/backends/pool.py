"""What the scheduling loop (:mod:`scenarios.backends.loop`) asks of a pool of workers.

A pool takes batches (:meth:`Pool.submit`), says which have finished
(:meth:`Pool.wait`) and hands their outcomes over (:meth:`Pool.result`).  A
batch whose worker died raises :class:`WorkerLost` there (the loop runs its
replications again, alone); one that will not be run again raises
:class:`GaveUp` (its replications are recorded as failed).  The three pools
are :class:`~scenarios.backends.local.InProcess`,
:class:`~scenarios.backends.local.Loky` and
:class:`~scenarios.backends.cluster.DaskPool`.
"""

from __future__ import annotations

from typing import Any, Protocol

from scenarios.backends.batching import Items, Job
from scenarios.replicate import Outcome

__all__ = ["POLL_S", "GaveUp", "Pool", "WorkerLost"]

#: Seconds between checks for cancellation while waiting on workers.
POLL_S = 0.2


class WorkerLost(Exception):
    """A batch's worker process died or lost contact; the batch may be run again."""


class GaveUp(Exception):
    """A batch that will not be run again; its replications are recorded as failed."""


class Pool(Protocol):
    """Workers that run batches.

    Attributes:
        target_s: Seconds of work a batch should hold on these workers
            (:data:`~scenarios.backends.batching.WAIT_SHARE`).
        max_batch: Most replications in a batch (``None``: no limit).
        runs_at_submit: :meth:`submit` runs the batch before it returns (in
            this process): nothing is kept in flight.
    """

    target_s: float
    max_batch: int | None
    runs_at_submit: bool

    def submit(self, job: Job, work: Items) -> Any:
        """Start a batch of ``job``; a future of its outcomes."""
        ...

    def wait(self, futures: list[Any]) -> list[Any]:
        """The futures among ``futures`` that have finished, after at most about :data:`POLL_S`."""
        ...

    def result(self, future: Any) -> list[Outcome]:
        """A finished batch's outcomes.

        Raises:
            WorkerLost: Its worker died; it may be run again.
            GaveUp: It will not be run again.
            ScenarioError: A replication found the scenario itself at fault.
        """
        ...

    def cancel(self, futures: list[Any]) -> None:
        """Stop the batches of ``futures``; their outcomes are not wanted."""
        ...

    def close(self) -> None:
        """Let go of what the pool holds for this run."""
        ...
