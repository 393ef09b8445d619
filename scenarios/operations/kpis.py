"""KPIs of one replication and their summary across replications.

Per replication (after the warm-up): waits per pathway step; length of stay
per pathway and per acuity (mean, median, p90, p95), the share within the
target (the 4-hour standard) and the share that left without being seen;
time-weighted utilisation and mean queue length per resource; bed occupancy
and ED boarding; device availability and downtime; staff walking per shift;
the time averages of Little's law; and active-period bottleneck shares.
Across replications every scalar gets a Student-t confidence interval
(:func:`scenarios.stats.mean_ci`) and the resources are ranked as bottlenecks
with the reason for each rank.

KPI names are dotted: ``wait.<pathway>.<step>``, ``los.<pathway>.p90``,
``util.<resource>``, ``bottleneck.sole.<resource>``, ...
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from scenarios.base import Replication
from scenarios.operations.batches import (
    BATCH_PREFIX,
    batch_kpis,
    can_divert,
    pool_window_kpis,
    queue_class_kpis,
)
from scenarios.operations.bottlenecks import active_period_shares
from scenarios.operations.compile import pool_resources
from scenarios.operations.model import mark
from scenarios.stats import mean_ci

if TYPE_CHECKING:
    from scenarios.operations.model import OpsModel
    from scenarios.operations.schema import OperationsScenario, Resource

__all__ = ["rank_bottlenecks", "replication_results", "summarize"]


def _los_stats(k: dict[str, float], prefix: str, los: np.ndarray, clock: np.ndarray, target: float) -> None:
    if los.size == 0:
        for s in ("mean", "median", "p90", "p95", "target_mean", "within_target"):
            k[f"{prefix}.{s}"] = math.nan
        return
    k[f"{prefix}.mean"] = float(los.mean())
    k[f"{prefix}.median"] = float(np.median(los))
    k[f"{prefix}.p90"] = float(np.percentile(los, 90))
    k[f"{prefix}.p95"] = float(np.percentile(los, 95))
    k[f"{prefix}.target_mean"] = float(clock.mean())
    k[f"{prefix}.within_target"] = float((clock <= target).mean())


def replication_results(m: OpsModel) -> tuple[dict[str, float], dict[str, pa.Table]]:
    """KPIs and tables of a finished model run."""
    sc = m.scenario
    tables = m.recorder.tables()
    T, W = m.horizon, m.warmup
    k: dict[str, float] = {}
    pat = tables["patients"]
    arr = pat["arrival"].to_numpy()
    dep = pat["departure"].to_numpy(zero_copy_only=False)
    outcome = np.asarray(pat["outcome"].to_pylist(), dtype=object)
    pw = np.asarray(pat["pathway"].to_pylist(), dtype=object)
    acu = pat["acuity"].to_numpy()
    # Little's law over the whole run, from time integrals (exact identity).
    n = len(m.patients)
    k["patients.arrived"] = float(n)
    k["patients.departed"] = float(m.departed)
    k["patients.in_system"] = float(m.in_system)
    k["system.L"] = m.sys_area / T
    k["system.lambda"] = n / T
    k["system.W"] = float(np.sum(np.where(np.isnan(dep), T, dep) - arr) / n) if n else math.nan
    initial = pat["initial"].to_numpy(zero_copy_only=False).astype(bool)
    post = (arr >= W) & ~initial
    target = sc.run.target_h * 60.0
    done = post & (outcome == "discharged")
    los = dep - arr
    clock = pat["target_min"].to_numpy(zero_copy_only=False)
    k["patients.arrived_after_warmup"] = float(post.sum())
    for name in sc.pathways:
        sel = pw == name
        _los_stats(k, f"los.{name}", los[done & sel], clock[done & sel], target)
        npost = int((post & sel).sum())
        k[f"lwbs.{name}"] = float(((outcome == "left_without_being_seen") & post & sel).sum() / npost) \
            if npost else math.nan
    diverted_at = np.asarray(pat["diverted_at"].to_pylist(), dtype=object)
    isolated = pat["isolated"].to_numpy(zero_copy_only=False).astype(bool)
    cohorted = pat["cohorted"].to_numpy(zero_copy_only=False).astype(bool)
    iso_wait = pat["isolation_wait_min"].to_numpy(zero_copy_only=False)
    k["patients.diverted"] = float(((outcome == "diverted") & post).sum())
    for name, path in sc.pathways.items():
        sel = post & (pw == name)
        npost = int(sel.sum())
        if can_divert(sc, name):
            k[f"diverted.{name}"] = float((sel & (diverted_at != "")).sum() / npost) if npost else math.nan
        if path.isolation is not None:
            flagged = sel & isolated
            nf = int(flagged.sum())
            k[f"isolation.flagged.{name}"] = nf / npost if npost else math.nan
            placed = flagged & ~np.isnan(iso_wait)
            k[f"isolation.wait_min.{name}"] = float(iso_wait[placed].mean()) if placed.any() else math.nan
            k[f"isolation.cohorted.{name}"] = float(cohorted[flagged].mean()) if nf else math.nan
    for a in sorted({int(x) for x in acu[post]}):
        _los_stats(k, f"los.esi{a}", los[done & (acu == a)], clock[done & (acu == a)], target)
    board = pat["boarding_min"].to_numpy(zero_copy_only=False)[done]
    k["boarding.mean_min"] = float(board.mean()) if board.size else math.nan
    k["boarding.share"] = float((board > 0).mean()) if board.size else math.nan
    if "events" in tables:
        ev = tables["events"]
        e_arr = arr[np.asarray(ev["patient"].to_numpy())] if ev.num_rows else np.empty(0)
        e_pw = np.asarray(ev["pathway"].to_pylist(), dtype=object)
        e_st = np.asarray(ev["step"].to_pylist(), dtype=object)
        e_out = np.asarray(ev["outcome"].to_pylist(), dtype=object)
        wait = ev["start"].to_numpy(zero_copy_only=False) - ev["queue_enter"].to_numpy()
        e_init = initial[np.asarray(ev["patient"].to_numpy())] if ev.num_rows else np.empty(0, bool)
        ok = (e_out != "preempted") & (e_out != "reneged") & (e_out != "diverted") & (e_arr >= W) & ~e_init
        for name, path in sc.pathways.items():
            for st in path.steps:
                sel = ok & (e_pw == name) & (e_st == st.name)
                k[f"wait.{name}.{st.name}"] = float(wait[sel].mean()) if sel.any() else math.nan
    span = T - W
    first, last = m.marks[0], mark(m)
    k.update(queue_class_kpis(m, first, last))
    k.update(pool_window_kpis(m, first, last))
    if sc.run.batches:
        k.update(batch_kpis(m, tables.get("events"), pat, last))
    periods: dict[str, tuple[list[float], list[float]]] = {}
    resources = pool_resources(sc)
    hourly: dict[str, list[Any]] = {c: [] for c in ("resource", "kind", "hour", "busy", "on_duty",
                                                  "utilisation", "queue")}
    units: dict[str, list[Any]] = {c: [] for c in ("resource", "kind", "unit", "walked_m", "failures",
                                                 "failed_min", "maintenance_min", "charging_min")}
    for name, p in m.pools.items():
        wb, wo, _wq, _o, _b = first.pools[name]
        busy, online = p.area_busy - wb, p.area_online - wo
        periods[name] = (p.p_start, p.p_end)
        closed = p.offline_time.get("closed", 0.0) + p.offline_time.get("deep_clean", 0.0)
        if closed > 0:
            k[f"closed.unit_h.{name}"] = closed / 60.0
        if p.kind == "bed":
            k[f"beds.occupancy.{name}"] = busy / online if online > 0 else math.nan
            k[f"beds.mean_occupied.{name}"] = busy / span
        if p.kind == "device":
            down = sum(p.offline_time.get(r, 0.0) for r in ("failed", "maintenance", "charging"))
            k[f"device.availability.{name}"] = 1.0 - down / (p.n * T)
            k[f"device.failures.{name}"] = float(p.offline_count.get("failed", 0))
            k[f"device.downtime_h.{name}"] = down / 60.0
        if p.kind == "staff":
            shifts = _shifts_worked(resources[name], T)
            k[f"staff.walk_km_per_shift.{name}"] = sum(p.walked_m) / 1000.0 / shifts if shifts else math.nan
        nh = len(p.h_busy)
        hourly["resource"] += [name] * nh
        hourly["kind"] += [p.kind] * nh
        hourly["hour"] += list(range(nh))
        hourly["busy"] += [b / 60.0 for b in p.h_busy]
        hourly["on_duty"] += [o / 60.0 for o in p.h_online]
        hourly["utilisation"] += [b / o if o > 0 else math.nan
                                  for b, o in zip(p.h_busy, p.h_online, strict=True)]
        hourly["queue"] += [q / 60.0 for q in p.h_queue]
        for u in range(p.n):
            units["resource"].append(name)
            units["kind"].append(p.kind)
            units["unit"].append(u)
            units["walked_m"].append(p.walked_m[u])
        # per-unit downtime is kept per pool; spread evenly for the table
        for key, r in (("failed_min", "failed"), ("maintenance_min", "maintenance"),
                       ("charging_min", "charging")):
            units[key] += [p.offline_time.get(r, 0.0) / p.n] * p.n
        units["failures"] += [p.offline_count.get("failed", 0) / p.n] * p.n
    k["device.battery_depleted"] = float(m.battery_depleted)
    shares = active_period_shares(periods, W, T)
    for name, s in shares.items():
        k[f"bottleneck.sole.{name}"] = s["sole"]
        k[f"bottleneck.shifting.{name}"] = s["shifting"]
        k[f"bottleneck.active.{name}"] = s["active"]
        k[f"bottleneck.longest_min.{name}"] = s["longest"]
    util = pa.table(hourly)
    tables["utilisation"] = util
    tables["resources"] = pa.table(units)
    # views planners ask for by name: bed occupancy by hour, and devices by unit
    kind = util["kind"].to_numpy(zero_copy_only=False)
    beds = util.filter(pa.array(kind == "bed"))
    tables["beds"] = pa.table({"ward": beds["resource"], "hour": beds["hour"], "occupied": beds["busy"],
                               "available": beds["on_duty"], "occupancy": beds["utilisation"]})
    unit_kind = tables["resources"]["kind"].to_numpy(zero_copy_only=False)
    tables["devices"] = tables["resources"].filter(pa.array(unit_kind == "device")).drop_columns(
        ["kind", "walked_m"])
    return k, tables


def _shifts_worked(r: Resource, horizon: float) -> float:
    if not r.roster:
        return (r.count or 0) * horizon / 1440.0 * 2  # two 12-hour shifts a day
    total = 0.0
    for sh in r.roster:
        days = sum(1 for d in range(math.ceil(horizon / 1440.0)) if d % 7 in sh.days)
        total += days * sh.count
    return total


def _num(v: Any) -> float:
    return 0.0 if v is None or math.isnan(float(v)) else float(v)


def rank_bottlenecks(kpis: dict[str, Any]) -> list[dict[str, Any]]:
    """Resources ranked by sole + shifting bottleneck share, with the reason."""
    names = [key.split(".", 2)[2] for key in kpis if key.startswith("bottleneck.sole.")]

    def mean(key: str) -> float:
        v = kpis.get(key)
        return float(v["mean"]) if isinstance(v, dict) and v.get("mean") is not None else math.nan

    rows = []
    for n in names:
        sole, shift = mean(f"bottleneck.sole.{n}"), mean(f"bottleneck.shifting.{n}")
        rows.append({"resource": n, "sole": sole, "shifting": shift, "score": sole + shift,
                     "active": mean(f"bottleneck.active.{n}"),
                     "longest_min": mean(f"bottleneck.longest_min.{n}"),
                     "utilisation": mean(f"util.{n}"), "queue": mean(f"queue.{n}")})
    rows.sort(key=lambda r: (-_num(r["score"]), -_num(r["longest_min"])))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
        r["why"] = (f"sole bottleneck {r['sole']:.0%} and shifting {r['shifting']:.0%} of the time; "
                    f"saturated {r['active']:.0%} of the time, longest saturated spell "
                    f"{r['longest_min']:.0f} min; utilisation {r['utilisation']:.2f}, "
                    f"mean queue {r['queue']:.2f}")
    return rows


def summarize(scenario: OperationsScenario, reps: list[Replication]) -> dict[str, Any]:
    """Means with 95% confidence intervals across replications, and the bottleneck ranking."""
    keys: dict[str, None] = {}
    for r in reps:
        keys.update(dict.fromkeys(r.kpis))
    out: dict[str, Any] = {}
    batches: dict[str, list[float]] = {}
    for key in keys:
        if key.startswith(BATCH_PREFIX):
            base = key.split(".", 2)[2]  # batch.<j>.<kpi>
            batches.setdefault(base, []).extend(r.kpis.get(key, math.nan) for r in reps)
            continue
        out[key] = mean_ci([r.kpis.get(key, math.nan) for r in reps])
    # Batch means: a steady-state KPI's interval comes from its batch means
    # (of every replication), not from the replications alone.
    for base, values in batches.items():
        out[base] = mean_ci(values)
    out["bottlenecks"] = rank_bottlenecks(out)
    return out
