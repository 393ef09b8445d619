"""Runs side by side: KPI means with confidence intervals, and deltas against a baseline.

Variants made in the app keep the baseline's seed, so replication *i* of
every variant draws the same random numbers as replication *i* of the
baseline (common random numbers).  The delta of a KPI is therefore the mean
of the paired differences, with its own Student-t interval
(:func:`scenarios.stats.mean_ci`): much tighter than comparing two separate
intervals, and honest about whether a change is more than noise.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scenarios.stats import mean_ci

__all__ = ["KPI_GROUPS", "Run", "compare", "kpi_label", "kpi_value"]


@dataclass(frozen=True)
class Run:
    """What a comparison needs of one stored run.

    Attributes:
        label: Column heading ("baseline", "variant 1").
        summary: KPI summary (name -> mean/half_width/...).
        replications: Replication index -> KPI name -> value.
    """

    label: str
    summary: Mapping[str, Any]
    replications: Mapping[int, Mapping[str, float]]


#: Groups of KPIs a planner compares: title -> (name patterns joined by ``|``, unit).  Units say how
#: to show them: ``%`` shares, ``min`` minutes, ``s`` seconds shown as minutes, ``n`` counts.
KPI_GROUPS: dict[str, tuple[str, str]] = {
    "Length of stay (mean, min)": ("los.*.mean", "min"),
    "Length of stay (90th percentile, min)": ("los.*.p90", "min"),
    "Within the target time": ("los.*.within_target", "%"),
    "Left without being seen": ("lwbs.*", "%"),
    "Waits (mean, min)": ("wait.*", "min"),
    "Utilisation": ("util.*", "%"),
    "Queue length (mean patients)": ("queue.*", "n"),
    "Bed occupancy": ("beds.occupancy.*", "%"),
    "Boarding (mean, min)": ("boarding.mean_min", "min"),
    "Patients": ("patients.*", "n"),
    "RSET (min)": ("rset_s|rset_compartment.*|rset_level.*", "s"),
    "ASET and margin (min)": ("aset_compartment.*|margin_compartment.*|min_margin_s", "s"),
    "People (evacuation)": ("total|evacuated|in_refuge|remaining|stranded|left_behind|"
                            "ventilators_run_out", "n"),
    "Infection": ("secondary_cases*|exposed*|infected*", "n"),
}


#: Factor from a KPI's stored unit to the unit shown.
UNIT_SCALE = {"%": 100.0, "s": 1.0 / 60.0, "min": 1.0, "n": 1.0}


def kpi_value(v: Any) -> float:
    """The mean of a KPI summary entry (NaN when missing)."""
    if isinstance(v, Mapping):
        m = v.get("mean")
        return math.nan if m is None else float(m)
    return math.nan


def kpi_label(name: str, pattern: str) -> str:
    """The part of a KPI name the pattern's ``*`` stands for.

    >>> kpi_label("los.ed_majors.mean", "los.*.mean"), kpi_label("boarding.mean_min", "boarding.mean_min")
    ('ed_majors', 'boarding.mean_min')
    >>> kpi_label("rset_compartment.L2-A", "rset_s|rset_compartment.*")
    'L2-A'

    """
    for part in pattern.split("|"):
        if fnmatch.fnmatchcase(name, part):
            pattern = part
            break
    head, star, tail = pattern.partition("*")
    if not star:
        return name
    return name[len(head):len(name) - len(tail) if tail else None]


def _fmt(mean: float, hw: float, unit: str) -> str:
    """A mean with its half-width; a mean seen in one replication only says so.

    >>> _fmt(0.5, 0.1, "%"), _fmt(12.0, math.nan, "min"), _fmt(math.nan, math.nan, "n")
    ('50.0 % ± 10.0', '12.0 (1 replication)', '-')
    """
    if math.isnan(mean):
        return "-"
    scale, fmt = UNIT_SCALE.get(unit, 1.0), "{:.1f} %" if unit == "%" else "{:.1f}"
    text = fmt.format(mean * scale)
    return text + (f" ± {hw * scale:.1f}" if not math.isnan(hw) else " (1 replication)")


def _paired_delta(base: Run, other: Run, name: str) -> dict[str, float]:
    common = sorted(set(base.replications) & set(other.replications))
    diffs = [other.replications[i].get(name, math.nan) - base.replications[i].get(name, math.nan)
             for i in common]
    return mean_ci(np.asarray(diffs, dtype=float))


def compare(runs: list[Run], pattern: str, unit: str) -> pd.DataFrame:
    """One row per KPI matching ``pattern``; per run the mean ± 95 % CI, and deltas to ``runs[0]``.

    A delta reads "+12.0 ± 3.1 *" when its paired interval excludes zero
    (the change is more than the noise of the replications).
    """
    parts = pattern.split("|")
    names = sorted({k for r in runs for k in r.summary if any(fnmatch.fnmatchcase(k, p) for p in parts)
                    and isinstance(r.summary[k], Mapping)})
    rows = []
    scale = UNIT_SCALE.get(unit, 1.0)
    for name in names:
        row: dict[str, Any] = {"kpi": kpi_label(name, pattern)}
        for r in runs:
            v = r.summary.get(name, {})
            row[r.label] = _fmt(kpi_value(v), float(v.get("half_width") or math.nan)
                                if isinstance(v, Mapping) else math.nan, unit)
        for r in runs[1:]:
            d = _paired_delta(runs[0], r, name)
            if math.isnan(d["mean"]):
                row[f"Δ {r.label}"] = "-"
                continue
            text = f"{d['mean'] * scale:+.1f}"
            if math.isnan(d["half_width"]):
                text += " (1 replication)"
            else:
                text += f" ± {d['half_width'] * scale:.1f}"
                if abs(d["mean"]) > d["half_width"]:
                    text += " *"
            row[f"Δ {r.label}"] = text
        rows.append(row)
    return pd.DataFrame(rows, columns=["kpi", *[r.label for r in runs], *[f"Δ {r.label}" for r in runs[1:]]])
