"""Operations what-if page: a baseline and variants run side by side, KPIs compared with their noise.

The administrator's question ("what does one more night nurse buy?", "what
if ED arrivals grow 20 %?"): pick a ready operations scenario as the
baseline, pull a few levers per variant (staff per shift, beds, rooms or
devices, arrival volume, diversion, another layout), run them all with the
same seeds, and read KPIs with 95 % confidence intervals, paired deltas,
waits by hour, a utilisation heat map, queues, bed occupancy and the ranked
bottlenecks with the reason for each.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

import scenarios
from scenarios.errors import ScenarioError
from scenarios.operations import OperationsScenario, check
from scenarios.ui.common import (
    current_facility,
    facility_key,
    facility_label,
    known_facilities,
    library_scenarios,
    readable_error,
)
from scenarios.ui.compare import KPI_GROUPS, Run, compare, kpi_value
from scenarios.ui.jobs import Job
from scenarios.ui.ops_charts import (
    bed_occupancy_figure,
    queue_figure,
    utilisation_heatmap,
    waits_by_hour_figure,
)
from scenarios.ui.run_panel import STALE_NOTE, follow, launch, matches
from scenarios.ui.stored import replication_kpis, summary, table, tables_of
from scenarios.ui.whatif import Levers, apply, horizon, units_of

__all__ = ["page"]

MAX_VARIANTS = 3
DEFAULT_DAYS = 3
DEFAULT_REPLICATIONS = 3
#: Smallest change (percentage points) worth an arrow beside a headline KPI.
MIN_SHOWN_CHANGE = 0.05
#: Typical wall time (s) of one operations worker, for the progress bar of a one-replication run.
TYPICAL_S = 15.0


def _base() -> OperationsScenario:
    lib = library_scenarios("operations")
    names = list(lib)
    default = names.index("sample_hospital_week") if "sample_hospital_week" in names else 0
    name = st.selectbox("Baseline scenario", names, index=default, key="ops_base",
                        help="a ready operations scenario from the library (docs/scenarios.md)")
    sc = scenarios.load(lib[name])
    assert isinstance(sc, OperationsScenario)
    return sc


def _levers(i: int, base: OperationsScenario, col: Any) -> Levers:
    facility = current_facility()
    # in the scenario's own order: its authors list the roles that matter most first
    staff = [n for n, r in base.resources.items() if r.kind == "staff"]
    pools = [n for n, r in base.resources.items() if r.kind != "staff"]
    col.markdown(f"**Variant {i}**")
    levers: dict[str, Any] = {}
    if staff:
        role = col.selectbox("Staff role", staff, key=f"v{i}_role")
        delta = col.number_input("Staff added to every shift", -10, 20, 1 if i == 1 else 0, 1,
                                 key=f"v{i}_staff")
        levers["staff"] = {role: int(delta)} if delta else {}
    if pools:
        pool = col.selectbox("Beds, rooms or devices", ["(unchanged)", *pools], key=f"v{i}_pool")
        if pool != "(unchanged)":
            now = units_of(base, facility, pool)
            n = col.number_input(f"Units of {pool} (now {now})", 0, 10_000, now, 1, key=f"v{i}_units_{pool}")
            levers["counts"] = {pool: int(n)} if n != now else {}
        levers["divert"] = tuple(col.multiselect("Divert patients when full", pools, key=f"v{i}_divert"))
    pct = col.slider("Unscheduled arrivals (% of baseline)", 50, 200, 100, 5, key=f"v{i}_arrivals")
    levers["arrivals"] = pct / 100.0
    buildings = known_facilities()
    if len(buildings) > 1:
        keys = list(buildings)
        here = keys.index(facility_key()) if facility_key() in keys else 0
        chosen = col.selectbox("Building", keys, format_func=buildings.__getitem__, index=here,
                               key=f"v{i}_building")
        if chosen != facility_key():
            levers["facility"] = facility_label(chosen)
    return Levers(**levers)


def _runs_to_compare(base: OperationsScenario, days: float | None, reps: int,
                     variants: list[Levers]) -> list[tuple[str, OperationsScenario]]:
    start = base.model_copy(update={"facility": facility_label(facility_key())})
    baseline = horizon(start, days=days, replications=reps)
    runs: list[tuple[str, OperationsScenario]] = [("baseline", baseline)]
    for i, lv in enumerate(variants, 1):
        runs.append((f"variant {i}", apply(baseline, lv, f"{base.name} variant {i}")))
    return runs


def _headline(runs: list[Run], bottlenecks: list[list[dict[str, Any]]], target_h: float) -> None:
    base = runs[0].summary
    targets = sorted(k for k in base if k.startswith("los.") and k.endswith(".within_target")
                     and not k.startswith("los.esi") and not math.isnan(kpi_value(base[k])))
    keys = [k for k in targets if kpi_value(base[k]) < 1.0][:2] or targets[:2]
    cols = st.columns(len(runs))
    for col, run, ranks in zip(cols, runs, bottlenecks, strict=True):
        col.markdown(f"**{run.label}**")
        for k in keys:
            v = kpi_value(run.summary.get(k))
            change = (v - kpi_value(base[k])) * 100
            d = None if run is runs[0] or abs(change) < MIN_SHOWN_CHANGE else f"{change:+.1f} points"
            col.metric(f"{k.split('.')[1]} within {target_h:g} h", f"{v:.1%}", delta=d)
        arrived = kpi_value(run.summary.get("patients.arrived_after_warmup"))
        col.metric("patients after the warm-up", f"{arrived:,.0f}")
        if ranks:
            col.metric("top bottleneck", ranks[0]["resource"])


def _results(jobs: list[Job], target_h: float) -> None:
    paths = [str(j.run_dir) for j in jobs]
    runs = [Run(j.label, summary(p), replication_kpis(p)) for j, p in zip(jobs, paths, strict=True)]
    ranks = [list(r.summary.get("bottlenecks") or []) for r in runs]
    st.subheader("Key results (mean ± 95 % confidence interval over replications)")
    _headline(runs, ranks, target_h)
    group = st.selectbox("KPIs", list(KPI_GROUPS), key="ops_group")
    pattern, unit = KPI_GROUPS[group]
    st.dataframe(compare(runs, pattern, unit), hide_index=True, key="ops_kpis")
    st.caption("Δ: paired difference to the baseline over replications with the same random numbers; "
               "* marks a change larger than its 95 % interval.")
    have = set.intersection(*(set(tables_of(p)) for p in paths))
    tabs = st.tabs(["Bottlenecks", "Waits by hour", "Utilisation", "Queues", "Bed occupancy"])
    with tabs[0]:
        for run, rk in zip(runs, ranks, strict=True):
            st.markdown(f"**{run.label}**")
            st.dataframe([{"rank": r["rank"], "resource": r["resource"], "why": r["why"]} for r in rk[:8]],
                         hide_index=True)
    if "events" in have:
        tabs[1].plotly_chart(waits_by_hour_figure({r.label: table(p, "events") for r, p in
                                                   zip(runs, paths, strict=True)}), key="ops_waits")
    if "utilisation" in have:
        util = {r.label: table(p, "utilisation") for r, p in zip(runs, paths, strict=True)}
        which = tabs[2].selectbox("Run", list(util), key="ops_heat_run")
        tabs[2].plotly_chart(utilisation_heatmap(util[which], f"Utilisation by hour of the day: {which}"),
                             key="ops_heat")
        top = [r["resource"] for r in ranks[0][:3]]
        tabs[3].plotly_chart(queue_figure(util, top), key="ops_queues")
    if "beds" in have:
        tabs[4].plotly_chart(bed_occupancy_figure({r.label: table(p, "beds") for r, p in
                                                   zip(runs, paths, strict=True)}), key="ops_beds")


def page() -> None:
    """Draw the Operations what-if page."""
    st.title("Operations what-if")
    st.caption("A baseline and variants on the same random numbers; results are kept in the results "
               "store, so a comparison asked for again opens at once.")
    base = _base()
    c1, c2, c3 = st.columns(3)
    days = c1.number_input("Days simulated after the warm-up", 1, 60, DEFAULT_DAYS, 1, key="ops_days",
                           disabled=base.run.unit != "d")
    reps = int(c2.number_input("Replications", 2, 50, DEFAULT_REPLICATIONS, 1, key="ops_reps",
                               help="independent repetitions; more give tighter confidence intervals"))
    n = int(c3.number_input("Variants", 1, MAX_VARIANTS, 1, 1, key="ops_nvariants"))
    cols = st.columns(n)
    try:
        variants = [_levers(i, base, col) for i, col in enumerate(cols, 1)]
        runs = _runs_to_compare(base, float(days) if base.run.unit == "d" else None, reps, variants)
    except Exception as exc:  # the page boundary: a lever that breaks a rule
        st.error(readable_error(exc))
        return
    for label, sc in runs[1:]:
        st.caption(f"{label}: {sc.description}")
    try:  # said now, not after the runs are started
        check(base.model_copy(update={"source": f"scenario {base.name}"}), current_facility())
    except ScenarioError as exc:
        st.error(f"Cannot run this comparison in this building: {exc}. Give its spaces these uses "
                 "(Facility page, planner's edits) or open the building the scenario was written for.")
        return
    if st.button("Run the comparison", type="primary", key="ops_run"):
        launch("ops", runs)
    jobs = follow("ops", typical_s=TYPICAL_S)
    if jobs is not None:
        if not matches("ops", runs):
            st.info(STALE_NOTE)
        _results(jobs, base.run.target_h)

