"""What a safety officer reads from a drill: the curve, RSET (and ASET) per compartment, who is at risk.

Inputs are the stored tables of an evacuation run (``agents``,
``evacuated_over_time`` and, with a fire or gas, ``aset_rset`` and
``people``); outputs are a figure and tables with times in minutes and names
a person reads (compartment names, the space a patient started in).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["NOT_EVACUATED", "at_risk", "curve_figure", "minutes", "rset_table"]

SECONDS_PER_MINUTE = 60.0


def minutes(seconds: float) -> str:
    """Seconds as minutes for people ("12.5 min"), or "not all safe" for NaN/inf.

    >>> minutes(750.0), minutes(float("nan"))
    ('12.5 min', 'not all safe')
    """
    if seconds is None or not math.isfinite(seconds):
        return "not all safe"
    return f"{seconds / SECONDS_PER_MINUTE:.1f} min"


def curve_figure(curve: pd.DataFrame, alarm: float = 0.0, title: str = "Evacuated over time") -> go.Figure:
    """People out, in a refuge and still inside over the minutes after the alarm."""
    t = (curve["time"] - alarm) / SECONDS_PER_MINUTE
    fig = go.Figure()
    for col, colour in (("out", "#2ca02c"), ("refuge", "#1f77b4"), ("remaining", "#d62728")):
        if col in curve:
            fig.add_trace(go.Scatter(x=t, y=curve[col], mode="lines", name=col, line={"color": colour}))
    fig.update_layout(title=title, height=340, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"orientation": "h", "y": -0.25})
    fig.update_xaxes(title="minutes after the alarm")
    fig.update_yaxes(title="people", rangemode="tozero")
    return fig


def _mean(v: Any) -> float:
    if isinstance(v, Mapping):
        m = v.get("mean")
        return math.nan if m is None else float(m)
    return math.nan


#: RSET shown for a compartment the strategy leaves in place (a horizontal move evacuates only
#: the fire compartments; :mod:`scenarios.evacuation.kpis`).
NOT_EVACUATED = "not evacuated"


def rset_table(summary: Mapping[str, Any], aset_rset: pd.DataFrame | None = None,
               agents: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per compartment: RSET, and with a hazard its ASET and the margin, in minutes.

    With the ``agents`` table, also how many of the compartment's patients reached safety and
    when the last of them did: under a horizontal move the staff stay with the patients, so the
    compartment's RSET (everyone) stays open while its patients are all safe in the refuge.

    >>> rset_table({"rset_compartment.L2-A": {"mean": 600.0},
    ...             "rset_compartment.L2-B": {"mean": float("nan")}})
      compartment          RSET
    0        L2-A      10.0 min
    1        L2-B  not all safe
    """
    names = sorted(k.split(".", 1)[1] for k in summary if k.startswith("rset_compartment."))
    rows = [{"compartment": c, "RSET": minutes(_mean(summary[f"rset_compartment.{c}"]))} for c in names]
    table = pd.DataFrame(rows, columns=["compartment", "RSET"])
    if agents is not None and len(agents):
        pat = agents[(agents["role"] == "patient") & (agents["start_compartment"] != "")]
        safe = pat["reached_how"] != ""
        per = pd.DataFrame({
            "compartment": pat["start_compartment"], "safe": safe,
            "t": (pat["reached"] - pat["alarm"]).where(safe)}).groupby("compartment")
        counts = per["safe"].agg(["sum", "size"])
        last = per["t"].max()
        extra = pd.DataFrame({
            "compartment": counts.index,
            "patients safe": [f"{int(a)} of {int(b)}"
                              for a, b in zip(counts["sum"], counts["size"], strict=True)],
            "last patient safe": [minutes(float(last[c])) if counts.loc[c, "sum"] == counts.loc[c, "size"]
                                  else "not all safe" for c in counts.index]})
        table = table.merge(extra, on="compartment", how="outer")
    if aset_rset is not None and len(aset_rset):
        cols = ["aset_s", "aset_patient_s", "margin_patient_s"]
        a = aset_rset.groupby("compartment", as_index=False)[cols].mean()
        a["ASET"] = [minutes(v) if math.isfinite(v) else "tenable throughout" for v in a["aset_s"]]
        a["ASET (patients)"] = [minutes(v) if math.isfinite(v) else "tenable throughout"
                                for v in a["aset_patient_s"]]
        a["margin (patients)"] = [f"{v / SECONDS_PER_MINUTE:+.1f} min" if math.isfinite(v) else "-"
                                  for v in a["margin_patient_s"]]
        table = table.merge(a[["compartment", "ASET", "ASET (patients)", "margin (patients)"]],
                            on="compartment", how="outer")
    # a compartment the strategy does not evacuate (horizontal: all but the fire's) has no RSET
    table["RSET"] = table["RSET"].fillna(NOT_EVACUATED)
    return table


def _num(row: Mapping[str, Any], key: str) -> float:
    v = row.get(key)
    try:
        return math.nan if v is None else float(v)
    except (TypeError, ValueError):
        return math.nan


def _reasons(row: Mapping[str, Any], end_min: float) -> list[str]:
    why = []
    if row.get("stranded"):
        why.append("stranded: no way out usable for their mobility (a bed needs wide doors and a lift)")
    if row.get("left_behind"):
        why.append(f"left behind: {row.get('left_behind_reason') or 'room untenable'}")
    if row.get("deadlocked"):
        why.append("caught in a deadlock (no progress for a long time)")
    if row.get("battery_out"):
        why.append(f"ventilator battery ran out after {_num(row, 'battery_s') / SECONDS_PER_MINUTE:.0f} min")
    if not row.get("reached_how") and not why:
        why.append(f"still inside when the drill ended ({end_min:.0f} min)")
    fed, limit = _num(row, "fed"), _num(row, "fed_limit")
    if math.isfinite(fed) and math.isfinite(limit) and fed >= limit:
        why.append(f"smoke dose FED {fed:.2f} over the limit {limit:.2f}")
    margin = _num(row, "margin_s")
    if math.isfinite(margin) and margin < 0:
        why.append(f"safe {-margin / SECONDS_PER_MINUTE:.1f} min after their compartment became untenable")
    return why


def at_risk(agents: pd.DataFrame, people: pd.DataFrame | None = None, *, slowest: int = 5) -> pd.DataFrame:
    """Patients at risk and why, then the slowest patients to reach safety.

    Args:
        agents: The drill's ``agents`` table (one replication or several).
        people: The hazard's ``people`` table (FED, margins), if the drill had one.
        slowest: Also list this many of the slowest patients who did reach safety.
    """
    a = agents[agents["role"] == "patient"].copy()
    if people is not None and len(people):
        cols = [c for c in ("fed", "fed_limit", "margin_s") if c in people]
        keys = ["id"] + (["replication"] if "replication" in a and "replication" in people else [])
        a = a.merge(people[keys + cols], on=keys, how="left")
    end = float(np.nanmax(a["reached"].to_numpy(float))) if a["reached"].notna().any() else 0.0
    rows: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in a.to_dict("records")]
    for row in records:
        alarm = _num(row, "alarm")
        why = _reasons(row, (end - alarm) / SECONDS_PER_MINUTE)
        if why:
            rows.append({"patient": row["id"], "mobility": row["profile"], "from": row["start_space"],
                         "compartment": row["start_compartment"],
                         "safe after": minutes(_num(row, "reached") - alarm), "why": "; ".join(why)})
    listed = {r["patient"] for r in rows}
    safe = [r for r in records if r.get("reached_how") and r["id"] not in listed]
    safe.sort(key=lambda r: _num(r, "reached") - _num(r, "alarm"), reverse=True)
    for row in safe[:slowest]:
        rows.append({"patient": row["id"], "mobility": row["profile"], "from": row["start_space"],
                     "compartment": row["start_compartment"],
                     "safe after": minutes(_num(row, "reached") - _num(row, "alarm")),
                     "why": f"among the slowest to safety ({row['reached_how']})"})
    return pd.DataFrame(rows, columns=["patient", "mobility", "from", "compartment", "safe after", "why"])
