"""KPIs and tables of one infection replication, their summary across replications, and the report.

KPI names are ``<intervention>.<name>``:

- ``index_cases``: index cases present in the run (one that arrives after
  its end is not);
- ``secondary_cases`` (expected, over the emission spread), with
  ``secondary_cases.p05`` / ``.p95`` over emission draws; ``tertiary_cases``;
- ``secondary.<route>`` (``airborne``, ``contact``), ``secondary.staff``,
  ``secondary.patients``, ``secondary.visitors``, ``secondary.day<d>`` (by day of exposure, 0 first);
  ``exposed`` (people with a risk of at least 1 in 1,000) and ``reached``
  (people with any exposure at all, however diluted);
- ``ops.<kpi>``: the operations KPIs that show the response's cost (waits,
  length of stay, boarding, bed occupancy, left without being seen,
  diversions, isolation waits, closed place-hours).

Tables (one row set per intervention): ``cases`` (expected cases by
generation, route, space, role, pathway and day), ``people`` (everyone with a
risk above 1e-6), ``risk_map`` (per space and hour: mean concentration, the
risk of a person breathing 0.54 m³/h there for the hour, and the cases
attributed there).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from scenarios.base import Replication
from scenarios.hazards.infection.pathogens import INHALATION_M3H, Activity
from scenarios.hazards.infection.presence import VISITOR_ROLE
from scenarios.stats import mean_ci

if TYPE_CHECKING:
    from facility.model import Facility
    from scenarios.hazards.infection.runs import Outcome
    from scenarios.hazards.infection.schema import InfectionScenario

__all__ = ["replication_tables", "report", "summarize"]

_ROUTES = ("airborne", "contact")
_OPS_PREFIXES = ("wait.", "lwbs.", "boarding.", "beds.occupancy.", "patients.", "isolation.", "closed.",
                 "diverted.")
_OPS_SUFFIXES = (".mean",)
_INDEX_KPI = re.compile(r"(^|\.)index_\d+(\.|$)")
#: Breathing rate of the risk map's reference person: standing, unmasked (m³/h).
_MAP_BREATH = INHALATION_M3H[Activity.STANDING]
_PEOPLE_FLOOR = 1e-6
_MIN_PER_DAY = 1440.0
#: "Exposed": a secondary risk of at least 1 in 1,000 (``reached``: any exposure at all).
_EXPOSED_RISK = 1e-3


def _ops_cost(k: dict[str, float]) -> dict[str, float]:
    out = {}
    for name, v in k.items():
        if _INDEX_KPI.search(name):
            continue  # the index cases' own pathway: one patient, not a cost to others
        if name.startswith(_OPS_PREFIXES) or (name.startswith("los.") and name.endswith(_OPS_SUFFIXES)):
            out[f"ops.{name}"] = float(v)
    return out


def replication_tables(sc: InfectionScenario, facility: Facility, outcomes: list[Outcome],
                       closed_space: str | None) -> tuple[dict[str, float], dict[str, pa.Table]]:
    """KPIs and tables of one replication (every intervention)."""
    kpis: dict[str, float] = {}
    cases_parts: list[pa.Table] = []
    people_parts: list[pa.Table] = []
    map_parts: list[pa.Table] = []
    space_ids = np.asarray([s.id for s in facility.spaces], dtype=object)
    for o in outcomes:
        name = o.intervention.name
        e, pp = o.exposure, o.people
        rec = e.records
        g1 = rec.generation == 1
        kpis[f"{name}.index_cases"] = float(e.index.size)
        kpis[f"{name}.secondary_cases"] = float(e.secondary.sum())
        kpis[f"{name}.secondary_cases.p05"] = float(np.percentile(e.secondary_draws, 5))
        kpis[f"{name}.secondary_cases.p95"] = float(np.percentile(e.secondary_draws, 95))
        kpis[f"{name}.tertiary_cases"] = float(e.tertiary.sum())
        for code, route in enumerate(_ROUTES):
            kpis[f"{name}.secondary.{route}"] = float(rec.cases[g1 & (rec.route == code)].sum())
        kpis[f"{name}.secondary.staff"] = float(e.secondary[pp.is_staff].sum())
        kpis[f"{name}.secondary.patients"] = float(e.secondary[pp.is_patient].sum())
        kpis[f"{name}.secondary.visitors"] = float(e.secondary[pp.role == VISITOR_ROLE].sum())
        days = np.floor(rec.time[g1] / _MIN_PER_DAY).astype(np.int64)
        for d, v in enumerate(np.bincount(days, weights=rec.cases[g1]).tolist() if days.size else []):
            kpis[f"{name}.secondary.day{d}"] = float(v)
        kpis[f"{name}.exposed"] = float((e.secondary >= _EXPOSED_RISK).sum())
        kpis[f"{name}.reached"] = float(np.unique(rec.person[g1]).size)
        kpis.update({f"{name}.{k}": v for k, v in _ops_cost(o.ops_kpis).items()})
        # expected cases by generation, route, space, role, pathway, day
        day = np.floor(rec.time / _MIN_PER_DAY).astype(np.int64)
        keys = np.stack([rec.generation.astype(np.int64), rec.route.astype(np.int64), rec.space, rec.person,
                         day])
        uniq, inv = np.unique(keys, axis=1, return_inverse=True)
        sums = np.bincount(inv.ravel(), weights=rec.cases, minlength=uniq.shape[1])
        doses = np.bincount(inv.ravel(), weights=rec.dose, minlength=uniq.shape[1])
        n = uniq.shape[1]
        cases_parts.append(pa.table({
            "intervention": pa.array([name] * n, pa.string()),
            "generation": pa.array(uniq[0], pa.int8()),
            "route": pa.array([_ROUTES[r] for r in uniq[1].tolist()], pa.string()),
            "space": pa.array(space_ids[uniq[2]].tolist() if n else [], pa.string()),
            "role": pa.array(pp.role[uniq[3]].tolist() if n else [], pa.string()),
            "pathway": pa.array(pp.pathway[uniq[3]].tolist() if n else [], pa.string()),
            "person": pa.array([pp.label[i] for i in uniq[3].tolist()], pa.string()),
            "day": pa.array(uniq[4], pa.int32()),
            "dose": pa.array(doses, pa.float64()),
            "cases": pa.array(sums, pa.float64()),
        }))
        risky = np.flatnonzero((e.secondary + e.tertiary) > _PEOPLE_FLOOR)
        people_parts.append(pa.table({
            "intervention": pa.array([name] * risky.size, pa.string()),
            "person": pa.array([pp.label[i] for i in risky.tolist()], pa.string()),
            "role": pa.array(pp.role[risky].tolist(), pa.string()),
            "pathway": pa.array(pp.pathway[risky].tolist(), pa.string()),
            "secondary": pa.array(e.secondary[risky], pa.float64()),
            "tertiary": pa.array(e.tertiary[risky], pa.float64()),
        }))
        map_parts.append(_risk_map(name, o, space_ids))
    if closed_space is not None:
        kpis["closed_space_found"] = 1.0
    tables = {"cases": pa.concat_tables(cases_parts), "people": pa.concat_tables(people_parts),
              "risk_map": pa.concat_tables(map_parts)}
    return kpis, tables


def _risk_map(name: str, o: Outcome, space_ids: np.ndarray) -> pa.Table:
    e = o.exposure
    rec = e.records
    hours_cases: dict[tuple[int, int], float] = {}
    hr = np.floor(rec.time / 60.0).astype(np.int64)
    if rec.cases.size:
        key = rec.space * 1_000_000 + hr
        u, inv = np.unique(key, return_inverse=True)
        s = np.bincount(inv, weights=rec.cases)
        hours_cases = {(int(k // 1_000_000), int(k % 1_000_000)): float(v) for k, v in zip(u, s, strict=True)}
    conc: dict[tuple[int, int], float] = {}
    f = e.field
    if f is not None:
        # grid points nearest to each whole hour (exact when the step divides an hour)
        marks = np.unique(np.round(np.arange(0.0, f.n_bins * f.dt_min + 1e-9, 60.0) / f.dt_min).astype(int))
        hours = np.diff(marks)[:, None] * f.dt_min / 60.0
        hourly = np.diff(f.cum[marks], axis=0) / np.where(hours > 0, hours, 1.0)  # mean quanta/m³
        hh, ss = np.nonzero(hourly > 0)
        conc = {(int(s_), int(h_)): float(hourly[h_, s_]) for h_, s_ in zip(hh, ss, strict=True)}
    keys = sorted(set(conc) | set(hours_cases))
    c = np.array([conc.get(k, 0.0) for k in keys])
    return pa.table({
        "intervention": pa.array([name] * len(keys), pa.string()),
        "space": pa.array([str(space_ids[k[0]]) for k in keys], pa.string()),
        "hour": pa.array([k[1] for k in keys], pa.int32()),
        "conc_quanta_m3": pa.array(c, pa.float64()),
        "risk_one_hour": pa.array(1.0 - np.exp(-_MAP_BREATH * c), pa.float64()),
        "cases": pa.array([hours_cases.get(k, 0.0) for k in keys], pa.float64()),
    })


def summarize(scenario: InfectionScenario, reps: list[Replication]) -> dict[str, Any]:
    """Means with 95 % confidence intervals across replications, and the interventions side by side."""
    names = sorted({k for r in reps for k in r.kpis})
    out: dict[str, Any] = {k: mean_ci([r.kpis.get(k, math.nan) for r in reps]) for k in names}
    base = "baseline"
    side: list[dict[str, Any]] = []
    for iv in scenario.all_interventions():
        row: dict[str, Any] = {"intervention": iv.name}
        for k in ("secondary_cases", "secondary_cases.p05", "secondary_cases.p95", "tertiary_cases",
                  "secondary.airborne", "secondary.contact", "secondary.staff", "secondary.patients",
                  "secondary.visitors", "exposed"):
            row[k] = out.get(f"{iv.name}.{k}", {}).get("mean", math.nan)
        if iv.name != base:
            diffs = [r.kpis.get(f"{iv.name}.secondary_cases", math.nan) -
                     r.kpis.get(f"{base}.secondary_cases", math.nan) for r in reps]
            row["change_vs_baseline"] = mean_ci(diffs)
        side.append(row)
    out["interventions"] = side
    out["pathogen"] = scenario.pathogen.resolve().name
    out["tertiary_note"] = _tertiary_note(scenario)
    return out


def _tertiary_note(sc: InfectionScenario) -> str:
    p = sc.pathogen.resolve()
    if sc.evac is not None:
        days = (sc.evac.max_time + sc.refuge_stay_min * 60.0) / 86_400.0
    else:
        days = sc.days if sc.days is not None else sc.ops.run.length_min / 1440.0
    if sc.generations < 2:
        return "tertiary cases not computed (generations: 1)"
    if p.incubation_d is None:
        return f"{p.name}: no onset of infectiousness within a run, so no tertiary cases"
    share = float(p.incubation_d.cdf(np.array([days]))[0])
    return (f"{p.name}: incubation median {p.incubation_d.median:g} d; {share:.0%} of cases infected at the "
            f"start of this {days:g}-day run would be infectious by its end"
            + (" - tertiary cases matter" if share > 0.1 else " - tertiary cases are negligible"))


def _num(v: Any) -> float:
    """A number from a summary value (``None`` when stored as JSON means not a number)."""
    if isinstance(v, dict):
        v = v.get("mean")
    return float(v) if isinstance(v, int | float) else math.nan


def _fmt(v: Any) -> str:
    if not isinstance(v, dict) or v.get("mean") is None or math.isnan(v["mean"]):
        return "-"
    hw = v.get("half_width", math.nan)
    return f"{v['mean']:.3g}" + ("" if hw is None or math.isnan(hw) else f" ± {hw:.2g}")


def report(kpis: dict[str, Any]) -> str:
    """Interventions side by side: expected cases (95 % CI over replications) and operations cost."""
    names = [row["intervention"] for row in kpis.get("interventions", [])]
    # One replication has no confidence interval: say so rather than print "± CI" headers
    # over bare means and call a difference between two single runs a change.
    one_run = _replications(kpis, names) == 1
    spread_of = ("one replication: means only, no confidence interval" if one_run
                 else "mean ± 95% CI over replications")
    lines = [f"Pathogen: {kpis.get('pathogen', '?')}. {kpis.get('tertiary_note', '')}",
             f"Expected cases ({spread_of}; p05-p95 over emission draws)",
             f"{'intervention':<28} {'secondary':>20} {'p05-p95':>20} {'tertiary':>20}"
             f" {'airborne':>9} {'contact':>9} {'staff':>9} {'visitors':>9} {'exposed':>8}"]
    for row in kpis.get("interventions", []):
        n = row["intervention"]
        spread = f"{_num(row['secondary_cases.p05']):.3g}-{_num(row['secondary_cases.p95']):.3g}"
        lines.append(f"{n:<28} {_fmt(kpis.get(n + '.secondary_cases')):>20} {spread:>20}"
                     f" {_fmt(kpis.get(n + '.tertiary_cases')):>20} {_num(row['secondary.airborne']):>9.3g}"
                     f" {_num(row['secondary.contact']):>9.3g} {_num(row['secondary.staff']):>9.3g}"
                     f" {_num(row['secondary.visitors']):>9.3g}"
                     f" {_num(row['exposed']):>8.0f}")
    if one_run and len(names) > 1:
        lines.append("Operations cost: with one replication there is no confidence interval, so no "
                     "change can be judged (run more replications)")
        return "\n".join(lines)
    changed = _changed_ops(kpis, names)
    if changed:
        lines.append("Operations cost: KPIs changed beyond their confidence intervals (mean ± 95% CI)")
        for key in changed:
            vals = "; ".join(f"{n}: {_fmt(kpis.get(f'{n}.ops.{key}'))}" for n in names)
            lines.append(f"  {key:<40} {vals}")
    elif len(names) > 1:
        lines.append("Operations cost: no operations KPI moved beyond its confidence interval "
                     "(more replications narrow them)")
    return "\n".join(lines)


def _replications(kpis: dict[str, Any], names: list[str]) -> int:
    """Replications behind the summaries (``n`` of each intervention's secondary cases)."""
    ns = [v.get("n") for n in names if isinstance(v := kpis.get(f"{n}.secondary_cases"), dict)]
    return max((int(x) for x in ns if isinstance(x, int | float)), default=0)


def _changed_ops(kpis: dict[str, Any], names: list[str], most: int = 10) -> list[str]:
    """Operations KPIs an intervention moves beyond the noise, clearest first.

    A change counts when it exceeds the two confidence half-widths combined
    (with no half-width, when it exceeds 1 %): after an intervention changes
    the order of events the two runs' random numbers part ways, and small
    differences in unrelated waits are noise.
    """
    if len(names) < 2:
        return []
    keys = {k.split(".ops.", 1)[1] for k in kpis if ".ops." in k}
    scored = []
    for key in keys:
        vals = [kpis.get(f"{n}.ops.{key}") for n in names]
        base, base_hw = _num(vals[0]), _half_width(vals[0])
        best = 0.0
        for v in vals[1:]:
            m, hw = _num(v), _half_width(v)
            if math.isnan(m) and math.isnan(base):
                continue
            if math.isnan(m) or math.isnan(base):
                best = max(best, 2.0)  # present in one run only (a closure, an isolation wait)
                continue
            noise = math.hypot(base_hw, hw)
            score = abs(m - base) / noise if noise > 0 else abs(m - base) / max(abs(base), 1e-9) / 0.01
            best = max(best, score)
        if best > 1.0:
            scored.append((-best, key))
    return [k for _, k in sorted(scored)[:most]]


def _half_width(v: Any) -> float:
    hw = v.get("half_width") if isinstance(v, dict) else None
    return float(hw) if isinstance(hw, int | float) and not math.isnan(hw) else 0.0
