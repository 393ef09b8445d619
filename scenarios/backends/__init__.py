"""Where replications run: this process, a local process pool, or a Dask cluster.

* ``local`` with one worker runs replications in this process; with more it
  uses a loky process pool (joblib's executor), which works from inside
  ``streamlit run`` where ``multiprocessing`` pools do not
  (:mod:`~scenarios.backends.local`).
* ``dask`` submits to a Dask distributed cluster (``scheduler`` address)
  through one client per address that the runs of this process share
  (:func:`dask_client`), or to a local cluster started for the run when no
  address is given (:mod:`~scenarios.backends.cluster`).

One concept per module:

* :mod:`~scenarios.backends.batching` — jobs, and batches sized from what
  the first replications took (the same on every backend);
* :mod:`~scenarios.backends.worker` — what a worker process runs, and how
  a batch and its building travel to it;
* :mod:`~scenarios.backends.pool` — what the loop asks of a pool of workers;
* :mod:`~scenarios.backends.local`, :mod:`~scenarios.backends.cluster` — the pools;
* :mod:`~scenarios.backends.loop` — :func:`execute`: keeps the workers busy,
  hands outcomes over, runs a dead worker's batches again.

Batching never changes results: each replication draws from its own
stream.  With ``on_tick``, each backend also carries how far the running
replications are in simulated time (:mod:`scenarios.progress`): directly in
this process, through a local socket from a local pool, and through the
Dask event log from a cluster.
"""

from __future__ import annotations

from scenarios.backends.batching import Job
from scenarios.backends.cluster import (
    CONNECT_TIMEOUT_S,
    LOCAL_CLUSTER_CONFIG,
    close_dask_clients,
    dask_client,
)
from scenarios.backends.loop import BACKENDS, MAX_ATTEMPTS, execute

__all__ = ["BACKENDS", "CONNECT_TIMEOUT_S", "LOCAL_CLUSTER_CONFIG", "MAX_ATTEMPTS", "Job",
           "close_dask_clients", "dask_client", "execute"]
