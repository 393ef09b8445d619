"""The text summary ``medtwin run`` prints for an operations scenario."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["report"]


def _fmt(v: Any, pct: bool = False) -> str:
    if not isinstance(v, dict):
        return "-"
    m, hw = v.get("mean", math.nan), v.get("half_width", math.nan)
    if m is None or (isinstance(m, float) and math.isnan(m)):
        return "-"
    if pct:
        return f"{m:.1%}" + ("" if hw is None or math.isnan(hw) else f" ± {hw:.1%}")
    return f"{m:.2f}" + ("" if hw is None or math.isnan(hw) else f" ± {hw:.2f}")


def _count(v: Any) -> str:
    """A count of people: whole when it is one replication's count, one decimal when a mean.

    Every replication counts whole patients, so with one replication (``n`` 1, or no
    half-width in an older store) a count printed as ``226.00`` only looks measured to a
    hundredth; a mean over several replications is a fraction and keeps one decimal.
    """
    if not isinstance(v, dict):
        return "-"
    m, hw, n = v.get("mean"), v.get("half_width"), v.get("n")
    if not isinstance(m, int | float) or math.isnan(m):
        return "-"
    no_hw = hw is None or math.isnan(hw)
    if (n == 1 or (n is None and no_hw)) and float(m).is_integer():
        return f"{int(m)}"
    return f"{m:.1f}" + ("" if no_hw else f" ± {hw:.1f}")


def report(kpis: dict[str, Any]) -> str:
    """KPI summary: waits, length of stay, diversions, isolation, utilisation and bottlenecks (95% CIs)."""
    lines = ["Waits (min, mean ± 95% CI half-width)"]
    for key in sorted(k for k in kpis if k.startswith("wait.")):
        lines.append(f"  {key[5:]:<40} {_fmt(kpis[key])}")
    lines.append("Length of stay (min)")
    for key in sorted(k for k in kpis if k.startswith("los.") and k.endswith(".mean")):
        base = key[:-5]
        lines.append(f"  {base[4:]:<28} mean {_fmt(kpis[key]):<18} p90 {_fmt(kpis.get(base + '.p90')):<18}"
                     f" within target {_fmt(kpis.get(base + '.within_target'), pct=True)}")
    lwbs = sorted(k for k in kpis if k.startswith("lwbs."))
    if lwbs:
        lines.append("Left without being seen")
        for key in lwbs:
            lines.append(f"  {key[5:]:<40} {_fmt(kpis[key], pct=True)}")
    turned = sorted(k for k in kpis if k.startswith(("blocked.", "diverted.")))
    if turned:
        lines.append("Turned away by a full queue (blocked: share of requests; diverted: share of patients)")
        for key in turned:
            lines.append(f"  {key:<40} {_fmt(kpis[key], pct=True)}")
    iso = sorted(k for k in kpis if k.startswith(("isolation.", "closed.")))
    if iso:
        lines.append("Isolation and closures (flagged, cohorted: shares; wait: min; closed: unit-hours)")
        for key in iso:
            pct = key.startswith(("isolation.flagged.", "isolation.cohorted."))
            lines.append(f"  {key:<40} {_fmt(kpis[key], pct=pct)}")
    lines.append("Utilisation (busy / on duty) and mean queue")
    for key in sorted(k for k in kpis if k.startswith("util.")):
        n = key[5:]
        lines.append(f"  {n:<28} {_fmt(kpis[key], pct=True):<18} queue {_fmt(kpis.get('queue.' + n))}")
    ranks = kpis.get("bottlenecks") or []
    if ranks:
        lines.append("Bottlenecks (active-period method)")
        for r in ranks[:5]:
            lines.append(f"  {r['rank']}. {r['resource']}: {r['why']}")
    if "patients.arrived" in kpis:
        lines.append(f"Patients: {_count(kpis['patients.arrived'])} arrived, "
                     f"{_count(kpis.get('patients.in_system'))} still inside at the end")
    return "\n".join(lines)
