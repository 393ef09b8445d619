"""KPIs over a window of the run: the post-warm-up window, and batches for batch means.

The model keeps a :class:`~scenarios.operations.model.Mark` of its time
integrals at the end of the warm-up and at each batch boundary, so any KPI
that is a time average (utilisation, queue length per resource and per
patient class) or a count ratio (blocking) over ``[a, b)`` is the difference
of two marks.  Customer averages (waits, length of stay) of a batch come from
the rows of patients who joined the queue (waits) or arrived (length of stay)
in it.

Batch means (Law, *Simulation Modeling and Analysis*, 5th ed., sec. 9.5.3):
one long run after a warm-up is cut into ``b`` equal batches; with batches
long compared with the correlation time of the output, their means are
nearly independent, so a Student-t interval over them is valid, which saves
paying for a warm-up in every replication.  A replication's batch values are
KPIs named ``batch.<j>.<kpi>``; the summary then gives ``<kpi>`` the interval
of all batch means of all replications.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from scenarios.operations.model import Mark, OpsModel
    from scenarios.operations.schema import OperationsScenario

__all__ = ["BATCH_PREFIX", "batch_kpis", "can_divert", "pool_window_kpis", "queue_class_kpis"]

#: Prefix of a replication's per-batch KPIs: ``batch.<j>.<kpi>``.
BATCH_PREFIX = "batch."


def can_divert(sc: OperationsScenario, pathway: str) -> bool:
    """Whether patients of ``pathway`` can be turned away (a step needs a pool with a queue limit)."""
    res = sc.resources
    return any(res[n].queue_limit is not None for st in sc.pathways[pathway].steps for item in st.needs
               for n in (item if isinstance(item, list) else [item]))


def pool_window_kpis(m: OpsModel, a: Mark, b: Mark) -> dict[str, float]:
    """Utilisation, mean queue and blocking share of every pool over ``[a.time, b.time)``."""
    k: dict[str, float] = {}
    span = b.time - a.time
    for name, p in m.pools.items():
        b0, o0, q0, off0, blk0 = a.pools[name]
        b1, o1, q1, off1, blk1 = b.pools[name]
        online = o1 - o0
        k[f"util.{name}"] = (b1 - b0) / online if online > 0 else math.nan
        k[f"queue.{name}"] = (q1 - q0) / span if span > 0 else math.nan
        if p.queue_limit is not None:
            k[f"blocked.{name}"] = (blk1 - blk0) / (off1 - off0) if off1 > off0 else math.nan
    return k


def queue_class_kpis(m: OpsModel, a: Mark, b: Mark) -> dict[str, float]:
    """Time-average number of patients waiting, per pathway step, per pathway and per ESI level."""
    k: dict[str, float] = {}
    span = b.time - a.time
    if span <= 0:
        return k
    levels: set[int] = set()
    for i, pw in enumerate(m.cpathways):
        total = 0.0
        for j, st in enumerate(pw.steps):
            key = m.step_key[i] + j
            v = (b.step_queue[key] - a.step_queue[key]) / span
            k[f"queue_class.{pw.name}.{st.name}"] = v
            total += v
        k[f"queue_class.{pw.name}"] = total
        levels.update(m.scenario.pathways[pw.name].acuity)
    for lvl in sorted(levels):
        k[f"queue_class.esi{lvl}"] = (b.acuity_queue[lvl] - a.acuity_queue[lvl]) / span
    return k


def _customer_means(k: dict[str, float], m: OpsModel, events: pa.Table | None, pat: pa.Table, *,
                    t0: float, t1: float) -> None:
    arr = pat["arrival"].to_numpy()
    initial = pat["initial"].to_numpy(zero_copy_only=False).astype(bool)
    outcome = np.asarray(pat["outcome"].to_pylist(), dtype=object)
    pw = np.asarray(pat["pathway"].to_pylist(), dtype=object)
    los = pat["departure"].to_numpy(zero_copy_only=False) - arr
    came = (arr >= t0) & (arr < t1) & ~initial
    arrived = came & (outcome == "discharged")
    diverted = np.asarray(pat["diverted_at"].to_pylist(), dtype=object) != ""
    for name in m.scenario.pathways:
        sel = arrived & (pw == name)
        k[f"los.{name}.mean"] = float(los[sel].mean()) if sel.any() else math.nan
        if can_divert(m.scenario, name):
            of = came & (pw == name)
            k[f"diverted.{name}"] = float((of & diverted).sum() / of.sum()) if of.any() else math.nan
    if events is None or events.num_rows == 0:
        return
    q0 = events["queue_enter"].to_numpy()
    wait = events["start"].to_numpy(zero_copy_only=False) - q0
    e_init = initial[events["patient"].to_numpy()]
    e_out = np.asarray(events["outcome"].to_pylist(), dtype=object)
    e_pw = np.asarray(events["pathway"].to_pylist(), dtype=object)
    e_st = np.asarray(events["step"].to_pylist(), dtype=object)
    ok = (q0 >= t0) & (q0 < t1) & ~e_init & ~np.isin(e_out, ["preempted", "reneged", "diverted"])
    for name, path in m.scenario.pathways.items():
        for st in path.steps:
            sel = ok & (e_pw == name) & (e_st == st.name)
            k[f"wait.{name}.{st.name}"] = float(wait[sel].mean()) if sel.any() else math.nan


def batch_kpis(m: OpsModel, events: pa.Table | None, pat: pa.Table, last: Mark) -> dict[str, float]:
    """Per-batch steady-state KPIs of a finished run, named ``batch.<j>.<kpi>``.

    Waits are by the time a patient joined the queue, length of stay by
    arrival; both need the event log or the patient table of the run.
    """
    marks = [*m.marks, last]
    out: dict[str, float] = {}
    for j in range(len(marks) - 1):
        a, b = marks[j], marks[j + 1]
        k = pool_window_kpis(m, a, b)
        k.update(queue_class_kpis(m, a, b))
        _customer_means(k, m, events, pat, t0=a.time, t1=b.time)
        out.update({f"{BATCH_PREFIX}{j}.{key}": v for key, v in k.items()})
    return out
