"""Evacuation KPIs: RSET overall, per compartment and per level, flows, waits, risks.

RSET (required safe escape time) is counted from the alarm to the moment the
last person of a group is safe (out, or in a refuge under a horizontal-only
strategy); a group with anyone left inside has an infinite RSET (reported as
NaN with the number remaining).  Per-replication KPIs are plain floats; the
summary adds means with confidence intervals and the slowest patients.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa

from scenarios.base import Replication
from scenarios.stats import mean_ci

__all__ = ["peak_flow", "replication_kpis", "report", "summarize"]


def replication_kpis(agents: pa.Table, flows: pa.Table, alarm: float, sim_time: float,
                     deadlocks: int) -> dict[str, float]:
    """Scalar results of one replication from its ``agents`` and ``door_flows`` tables."""
    a = agents.to_pandas()
    safe = a["reached_how"] != ""
    out: dict[str, float] = {
        "total": float(len(a)),
        "evacuated": float((a["reached_how"] == "exit").sum()),
        "in_refuge": float((a["reached_how"] == "refuge").sum()),
        "remaining": float((~safe).sum()),
        "stranded": float(a["stranded"].sum()),
        "deadlocks": float(deadlocks),
        "rset_s": float(a["reached"].max() - alarm) if safe.all() else math.nan,
        "sim_time_s": sim_time - alarm,
        "mean_waiting_s": float(a["waiting"].mean()),
        "max_waiting_s": float(a["waiting"].max()),
        "ventilators_run_out": float(a["battery_out"].sum()),
    }
    if "left_behind" in a:
        out["left_behind"] = float(a["left_behind"].sum())
    pat = a[(a["role"] == "patient") & safe]
    if len(pat):
        pre = (pat["start_move"] - alarm).clip(lower=0)
        tot = (pat["reached"] - alarm).clip(lower=1e-9)
        out["patient_premove_share"] = float((pre / tot).mean())
    for key, col in (("rset_compartment", "start_compartment"), ("rset_level", "start_level")):
        for name, grp in a.groupby(col):
            if not name:
                continue
            done = (grp["reached_how"] != "").all()
            out[f"{key}.{name}"] = float(grp["reached"].max() - alarm) if done else math.nan
    f = flows.to_pandas()
    for portal, grp in f[f["kind"] == "exit"].groupby("portal"):
        ts = np.sort(grp["time"].to_numpy())
        out[f"exit_count.{portal}"] = float(ts.size)
        if ts.size > 1:
            out[f"exit_flow.{portal}"] = float((ts.size - 1) / max(ts[-1] - ts[0], 1e-9))
        out[f"exit_peak_flow.{portal}"] = peak_flow(ts)
    return out


#: Window (s) of the peak exit flow.
PEAK_WINDOW = 60.0


def peak_flow(times: np.ndarray, window: float = PEAK_WINDOW) -> float:
    """Most passages in any ``window`` seconds, per second (sorted passage times).

    The mean flow over an exit's whole use (``exit_flow``) is tiny for an exit used now and
    then over a long drill; the peak says what it carried when it mattered.

    >>> peak_flow(np.array([0.0, 1.0, 2.0, 100.0]), window=10.0)
    0.3
    """
    if times.size == 0:
        return 0.0
    ends = np.searchsorted(times, times + window, side="left")
    return float((ends - np.arange(times.size)).max() / window)


def summarize(scenario: Any, reps: list[Replication]) -> dict[str, Any]:
    """Means and confidence intervals across replications, plus the slowest patients."""
    keys: dict[str, None] = {}
    for r in reps:
        keys.update(dict.fromkeys(r.kpis))
    out: dict[str, Any] = {k: mean_ci([r.kpis.get(k, math.nan) for r in reps]) for k in keys}
    slow: list[dict[str, Any]] = []
    for r in reps:
        t = r.tables.get("agents")
        if t is None:
            continue
        a = t.to_pandas()
        a = a[a["role"] == "patient"].copy()
        a["time"] = (a["reached"] - a["alarm"]).fillna(math.inf)
        for _, row in a.sort_values("time", ascending=False).head(5).iterrows():
            slow.append({"replication": r.index, "id": row["id"], "profile": row["profile"],
                         "space": row["start_space"], "time_s": float(row["time"]),
                         "how": row["reached_how"] or "not safe"})
    out["slowest_patients"] = sorted(slow, key=lambda d: -d["time_s"])[:10]
    return out


def report(kpis: dict[str, Any]) -> str:
    """Text for ``medtwin run``: RSET overall, per compartment and level, slowest patients."""

    def fmt(k: str) -> str:
        v = kpis.get(k, {})
        m = v.get("mean", math.nan) if isinstance(v, dict) else math.nan
        hw = v.get("half_width", math.nan) if isinstance(v, dict) else math.nan
        if math.isnan(m):
            return "not everyone safe"
        return f"{m:8.1f} s" + (f" +- {hw:.1f}" if not math.isnan(hw) else "")

    lines = ["Evacuation results (mean over replications, 95 % CI)",
             f"  RSET (all)            {fmt('rset_s')}"]
    for k in ("total", "evacuated", "in_refuge", "remaining", "stranded", "left_behind", "deadlocks",
              "ventilators_run_out"):
        v = kpis.get(k)
        if isinstance(v, dict):
            lines.append(f"  {k:<21} {v['mean']:8.1f}")
    comp = sorted(k for k in kpis if k.startswith("rset_compartment."))
    if comp:
        lines.append("RSET per compartment:")
        lines += [f"  {k.split('.', 1)[1]:<21} {fmt(k)}" for k in comp]
    lev = sorted(k for k in kpis if k.startswith("rset_level."))
    if lev:
        lines.append("RSET per level:")
        lines += [f"  {k.split('.', 1)[1]:<21} {fmt(k)}" for k in lev]
    slow = kpis.get("slowest_patients") or []
    if slow:
        lines.append("Slowest patients:")
        for s in slow:
            t = "never" if math.isinf(s["time_s"]) else f"{s['time_s']:.0f} s"
            lines.append(f"  rep {s['replication']:<3} {s['id']:<24} {s['profile']:<12} "
                         f"from {s['space']:<14} "
                         f"{t:>8} ({s['how']})")
    return "\n".join(lines)
