"""Which resource limits the hospital, by the active-period method.

Method (Roser, Nakano & Tanaka, "Shifting bottleneck detection", Proc.
Winter Simulation Conference 2002): a resource is *active* while it is
saturated, i.e. every unit on duty is busy or patients are queueing for it,
and inactive while it has spare capacity.  At each instant the bottleneck is
the resource whose current uninterrupted active period is the longest, since
it is the one holding patients back for longest.  Where the active periods
of the bottleneck and of the next bottleneck overlap, the bottleneck is
*shifting* (both constrain the flow); elsewhere it is the *sole* bottleneck.
Resources are ranked by their sole plus shifting share of the observed time;
a resource that is never the bottleneck is ranked by its longest active
period.  Unlike ranking by utilisation this finds the constraint of a
system whose busiest pool is not the one patients queue for.
"""

from __future__ import annotations

import heapq
from itertools import pairwise

import numpy as np

__all__ = ["active_period_shares"]


def active_period_shares(periods: dict[str, tuple[list[float], list[float]]], t0: float,
                         t1: float) -> dict[str, dict[str, float]]:
    """Sole and shifting bottleneck shares of each resource over ``[t0, t1]``.

    Args:
        periods: For each resource, the start and end times of its active periods
            (sorted, non-overlapping).
        t0, t1: Observation window.

    Returns:
        For each resource: ``sole`` and ``shifting`` (shares of the window),
        ``longest`` (longest active period, min) and ``active`` (share of time active).

    >>> p = {"a": ([0.0], [10.0]), "b": ([5.0], [8.0])}
    >>> r = active_period_shares(p, 0.0, 10.0)
    >>> r["a"]["sole"], r["b"]["sole"]
    (1.0, 0.0)
    """
    if t1 <= t0:
        raise ValueError(f"window must have t1 > t0, got [{t0}, {t1}]")
    names = list(periods)
    per: list[tuple[float, float, int]] = []  # (start, end, resource) clipped to the window
    out = {n: {"sole": 0.0, "shifting": 0.0, "longest": 0.0, "active": 0.0} for n in names}
    for k, n in enumerate(names):
        s, e = periods[n]
        if not s:
            continue
        sa, ea = np.clip(np.asarray(s), t0, t1), np.clip(np.asarray(e), t0, t1)
        keep = ea > sa
        for a, b in zip(sa[keep].tolist(), ea[keep].tolist(), strict=True):
            per.append((a, b, k))
        if keep.any():
            d = ea[keep] - sa[keep]
            out[n]["longest"] = float(d.max())
            out[n]["active"] = float(d.sum() / (t1 - t0))
    if not per:
        return out
    per.sort()
    # Sweep: at every instant the covering period of greatest length is the
    # bottleneck.  Build the sequence of (period, from, to) bottleneck segments.
    bounds = sorted({p[0] for p in per} | {p[1] for p in per})
    heap: list[tuple[float, int]] = []  # (-length, period index)
    segs: list[tuple[int, float, float]] = []
    j = 0
    for a, b in pairwise(bounds):
        while j < len(per) and per[j][0] <= a:
            heapq.heappush(heap, (-(per[j][1] - per[j][0]), j))
            j += 1
        while heap and per[heap[0][1]][1] <= a:
            heapq.heappop(heap)
        if not heap:
            continue
        pi = heap[0][1]
        if segs and segs[-1][0] == pi and segs[-1][2] == a:
            segs[-1] = (pi, segs[-1][1], b)
        else:
            segs.append((pi, a, b))
    # Merge segments of the same period (a period can be interrupted by a longer one).
    span = t1 - t0
    shifting = [0.0] * len(segs)
    for i in range(len(segs) - 1):
        p, q = per[segs[i][0]], per[segs[i + 1][0]]
        if p[2] == q[2]:
            continue
        ov = min(p[1], q[1]) - max(p[0], q[0])
        if ov > 0:
            # the overlap counts as shifting for both, within their bottleneck segments
            shifting[i] += min(ov, segs[i][2] - segs[i][1])
            shifting[i + 1] += min(ov, segs[i + 1][2] - segs[i + 1][1])
    for i, (pi, a, b) in enumerate(segs):
        n = names[per[pi][2]]
        sh = min(shifting[i], b - a)
        out[n]["shifting"] += sh / span
        out[n]["sole"] += (b - a - sh) / span
    return out
