"""Infection page: an index case, a pathogen, where and how long; expected cases and responses compared.

The infection-control question ("a measles case sat 2 h in the ED waiting
room: how many were exposed, and what if we isolate at triage or raise air
changes?"): start from a shipped outbreak scenario, choose the pathogen, how
long the index case waited undiagnosed, the responses to compare and the
replications; read the expected secondary cases per response with their
interval and paired difference from doing nothing, the people exposed, the
split by route and role, and the spaces where the cases arise.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import scenarios
from scenarios.errors import ScenarioError
from scenarios.hazards.infection import PRESETS, InfectionScenario, check
from scenarios.stats import mean_ci
from scenarios.ui.common import (
    current_facility,
    facility_key,
    facility_label,
    library_scenarios,
    readable_error,
)
from scenarios.ui.jobs import Job
from scenarios.ui.run_panel import STALE_NOTE, follow, launch, matches
from scenarios.ui.stored import replication_kpis, summary, table

__all__ = ["page", "responses_table"]

#: The comparison's reference: the run with no response.
BASELINE = "baseline"
TYPICAL_S = 30.0
DEFAULT_REPLICATIONS = 3
TOP_SPACES = 12


def _mean(s: dict[str, Any], key: str) -> float:
    v = s.get(key)
    return float(v["mean"]) if isinstance(v, dict) and v.get("mean") is not None else math.nan


def _count(x: float) -> int:
    """A mean count shown as a whole number of people (0 when there is none).

    >>> _count(3.6), _count(float("nan"))
    (4, 0)
    """
    return round(x) if math.isfinite(x) else 0


def responses_table(s: dict[str, Any], reps: dict[int, dict[str, float]], names: list[str]) -> pd.DataFrame:
    """One row per response: expected secondary cases (mean ± 95 % CI, 5-95 % range), exposed,
    the split by route and role, and the paired difference from no response."""
    rows = []
    for name in names:
        v = s.get(f"{name}.secondary_cases", {})
        hw = float(v.get("half_width") or math.nan) if isinstance(v, dict) else math.nan
        m = _mean(s, f"{name}.secondary_cases")
        row: dict[str, Any] = {
            "response": name.replace("_", " "),
            "secondary cases": f"{m:.2f}" + (f" ± {hw:.2f}" if math.isfinite(hw) else ""),
            "5-95 % range": f"{_mean(s, f'{name}.secondary_cases.p05'):.2f} - "
                            f"{_mean(s, f'{name}.secondary_cases.p95'):.2f}",
            "exposed (risk ≥ 1 in 1,000)": _count(_mean(s, f"{name}.exposed")),
            "airborne": round(_mean(s, f"{name}.secondary.airborne"), 2),
            "contact": round(_mean(s, f"{name}.secondary.contact"), 2),
            "staff": round(_mean(s, f"{name}.secondary.staff"), 2),
            "patients": round(_mean(s, f"{name}.secondary.patients"), 2)}
        if name != BASELINE:
            d = mean_ci([r.get(f"{name}.secondary_cases", math.nan)
                         - r.get(f"{BASELINE}.secondary_cases", math.nan) for r in reps.values()])
            text = f"{d['mean']:+.2f}"
            if math.isfinite(d["half_width"]):
                text += f" ± {d['half_width']:.2f}" + (" *" if abs(d["mean"]) > d["half_width"] else "")
            row["Δ no response"] = text
        else:
            row["Δ no response"] = ""
        rows.append(row)
    return pd.DataFrame(rows)


def _setup() -> InfectionScenario | None:
    lib = library_scenarios("infection")
    if not lib:
        st.info("No infection scenario is installed.")
        return None
    name = st.selectbox("Outbreak", list(lib), key="inf_base")
    base = scenarios.load(lib[name])
    assert isinstance(base, InfectionScenario)
    st.caption(base.description)
    c1, c2, c3 = st.columns(3)
    presets = list(PRESETS)
    now = base.pathogen.preset if base.pathogen.preset in presets else presets[0]
    pathogen = c1.selectbox("Pathogen", presets, index=presets.index(now), key="inf_pathogen",
                            format_func=lambda p: p.replace("_", " "))
    reps = int(c2.number_input("Replications", 2, 50, min(DEFAULT_REPLICATIONS, base.replications), 1,
                               key="inf_reps"))
    case = base.index_cases[0] if base.index_cases else None
    wait: float | None = None
    if case is not None and case.pathway is not None:
        wait = float(c3.number_input("Index case waits undiagnosed (min)", 0, 24 * 60,
                                     int(case.undiagnosed_wait_min), 15, key="inf_wait"))
    elif case is not None:
        wait = float(c3.number_input("Index case stays (h)", 0.25, 72.0, float(case.hours), 0.25,
                                     key="inf_hours"))
    offered = [i.name for i in base.interventions]
    chosen = st.multiselect("Responses to compare with doing nothing", offered, default=offered,
                            key="inf_responses", format_func=lambda n: n.replace("_", " "))
    data = base.model_dump()
    data["pathogen"] = {"preset": pathogen}
    data["replications"] = reps
    data["interventions"] = [i for i in data["interventions"] if i["name"] in chosen]
    if case is not None and wait is not None:
        field = "undiagnosed_wait_min" if case.pathway is not None else "hours"
        data["index_cases"][0][field] = float(wait)
    data["facility"] = facility_label(facility_key())
    try:
        return InfectionScenario.model_validate({**data, "source": base.source})
    except Exception as exc:  # the page boundary
        st.error(readable_error(exc))
        return None


def _spaces_figure(path: str, names: list[str]) -> go.Figure:
    facility = current_facility()
    risk = table(path, "risk_map")
    reps = max(1, risk["replication"].nunique())
    fig = go.Figure()
    base = risk[risk["intervention"] == BASELINE].groupby("space")["cases"].sum() / reps
    top = base.sort_values(ascending=False).head(TOP_SPACES).index.tolist()
    label = {s: (facility.space(s).name or s) if facility.has_space(s) else s for s in top}
    for name in names:
        per = risk[risk["intervention"] == name].groupby("space")["cases"].sum() / reps
        fig.add_trace(go.Bar(x=[label[s] for s in top], y=[float(per.get(s, 0.0)) for s in top],
                             name=name.replace("_", " ")))
    fig.update_layout(title="Where the secondary cases arise (expected cases per space)", barmode="group",
                      height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend={"orientation": "h"})
    fig.update_yaxes(title="expected cases")
    return fig


def _roles_table(path: str) -> pd.DataFrame:
    cases = table(path, "cases")
    first = cases[cases["generation"] == 1]
    reps = max(1, cases["replication"].nunique())
    out = first.pivot_table(index="role", columns="intervention", values="cases", aggfunc="sum") / reps
    return out.round(2).reset_index()


def _results(job: Job, names: list[str]) -> None:
    path = str(job.run_dir)
    s = summary(path)
    reps = replication_kpis(path)
    st.subheader("Expected cases (mean ± 95 % confidence interval over replications)")
    cols = st.columns(len(names))
    base_m = _mean(s, f"{BASELINE}.secondary_cases")
    for col, name in zip(cols, names, strict=True):
        m = _mean(s, f"{name}.secondary_cases")
        col.metric(f"secondary cases: {name.replace('_', ' ')}", f"{m:.2f}",
                   delta=None if name == BASELINE else f"{m - base_m:+.2f}", delta_color="inverse")
    st.dataframe(responses_table(s, reps, names), hide_index=True, key="inf_table")
    st.caption("Δ: paired difference from no response over replications with the same random numbers; "
               "* marks a change larger than its 95 % interval.")
    st.plotly_chart(_spaces_figure(path, names), key="inf_spaces")
    st.markdown("**Secondary cases by role**")
    st.dataframe(_roles_table(path), hide_index=True, key="inf_roles")


def page() -> None:
    """Draw the Infection page."""
    facility = current_facility()
    st.title("Infection")
    sc = _setup()
    if sc is None:
        return
    try:  # said now, not after the run is started
        check(sc.model_copy(update={"source": f"scenario {sc.name}"}), facility)
    except ScenarioError as exc:
        st.error(f"Cannot run this outbreak in this building: {exc}. Open the building the scenario "
                 "was written for, or write one for this building (docs/scenarios.md).")
        return
    names = [BASELINE, *[i.name for i in sc.interventions]]
    if st.button("Run the outbreak", type="primary", key="inf_run"):
        st.session_state["inf_names"] = names
        launch("inf", [("outbreak", sc)])
    jobs = follow("inf", typical_s=TYPICAL_S)
    if jobs is not None:
        if not matches("inf", [("outbreak", sc)]):
            st.info(STALE_NOTE)
        _results(jobs[0], st.session_state.get("inf_names", names))
