"""ASET against RSET: what a hazard meant for the people of a drill.

After a coupled drill, :func:`outcomes` joins the hazard's tables (ASET per space and per
compartment, gas levels) with the evacuation's (who left when, the doses each person
accumulated along the path actually walked) into:

* ``aset_rset``: per compartment the ASET (general and patient criteria), the RSET (last
  departure) and the margin ``ASET - RSET``.  An ASET beyond the hazard's horizon is
  reported as the horizon with ``aset_beyond_horizon`` (``aset_patient_beyond_horizon`` for
  the patient criteria) set, so it and its margin are lower bounds.  The KPIs carry the same
  mark (``aset_beyond_horizon.X``, ``margin_is_lower_bound.X``: 1 when beyond, so their mean
  is the share of replications in which it was) and :func:`report` prints such values as
  ``≥``, so a stored or printed horizon is never read as the time the space became untenable;
* ``people``: per person the time they reached safety and their own margin, which follows them
  through the building: for every space they were in (the evacuation's ``stays`` table), the
  space's ASET (patient criteria for patients) minus the time they left it; the margin is the
  smallest of these (negative: they were still in a space after it had become untenable), with
  the space it was found in (``margin_space``) and its ASET (``aset_s``; past the horizon: the
  horizon, flagged ``aset_beyond_horizon``).  Its bound: ``margin_is_lower_bound`` when that
  ASET is past the horizon and they left every space they were in; ``margin_is_upper_bound``
  for someone still inside at the end (the end of the drill stands for the time they leave
  their last space, which is later), and NaN when neither bound holds (the smallest value is a
  lower bound, or the only one is that of a space they never left and whose ASET is past the
  horizon: both times are unknown); their FED (asphyxiant + heat)
  against their limit (0.1 patients, 0.3 others), and for a released gas the seconds they
  actually spent in air at or above AEGL-1/2/3 (``seconds_above_aeglk``, ``above_aeglk``,
  ``highest_aegl``) beside the toxic load ``integral C^n dt``, whether that load reaches AEGL-k
  (``load_reaches_aeglk``: load >= AEGL-k(T)^n x T for the scenario's duration T) and the
  equivalent minutes at AEGL-k (load / AEGL-k^n).  The load alone cannot say how long someone
  was exposed: a short peak and a long low exposure give the same load;
* scalar KPIs (``aset_compartment.X``, ``margin_compartment.X``, ``min_margin_s`` with
  ``min_margin_is_lower_bound`` (printed ``≥``), ``margin_unknown``,
  ``fed_exceeded``, ``exposed_aegl2``, for a gas the spaces made unsafe and when the last of them
  was safe again, and per exposed person ``aeglk_minutes.<id>``, ...), printed by :func:`report`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from scenarios.hazards.conditions import DOSES
from scenarios.hazards.environment import AEGL_LEVELS, HazardEnvironment

__all__ = ["outcomes", "report"]


def outcomes(env: HazardEnvironment, evac: dict[str, pa.Table], *, alarm: float,
             end: float) -> tuple[dict[str, float], dict[str, pa.Table]]:
    """KPIs and tables of a coupled drill (see the module docstring).

    Args:
        env: The hazard the drill ran in; carried on here to its horizon.
        evac: The evacuation's tables (``agents``, ``doses``, ``compartments``).
        alarm: Model time of the alarm, s.
        end: Model time the drill ended, s.
    """
    env.finish(max(env.horizon, end - alarm))
    tables = dict(env.tables())
    horizon = max(env.horizon, end - alarm)
    kpis: dict[str, float] = {}
    comp = tables["aset_compartments"].to_pandas().set_index("compartment")
    rset = evac["compartments"].to_pandas().set_index("compartment") if "compartments" in evac else None
    names = list(comp.index)
    aset = comp["aset_s"].to_numpy(float)
    aset_p = comp["aset_patient_s"].to_numpy(float)
    beyond, beyond_p = ~np.isfinite(aset), ~np.isfinite(aset_p)
    aset_b, aset_pb = np.where(beyond, horizon, aset), np.where(beyond_p, horizon, aset_p)
    r = np.array([rset.loc[c, "rset_s"] if rset is not None and c in rset.index else math.nan for c in names],
                 float)
    tables["aset_rset"] = pa.table({
        "compartment": pa.array(names, pa.string()), "aset_s": aset_b, "aset_patient_s": aset_pb,
        "aset_beyond_horizon": beyond, "aset_patient_beyond_horizon": beyond_p, "rset_s": r,
        "margin_s": aset_b - r, "margin_patient_s": aset_pb - r})
    for k, c in enumerate(names):
        kpis[f"aset_compartment.{c}"] = float(aset_b[k])
        kpis[f"margin_compartment.{c}"] = float(aset_pb[k] - r[k])
        # The horizon stands in for an ASET never reached: keep that it is a lower bound.
        kpis[f"aset_beyond_horizon.{c}"] = float(beyond[k])
        kpis[f"margin_is_lower_bound.{c}"] = float(beyond_p[k])
    people = _people(env, evac, alarm=alarm, horizon=horizon, aset=tables["aset"])
    if people is not None:
        tables["people"] = people
        p = people.to_pandas()
        kpis["fed_exceeded"] = float(p["fed_exceeded"].sum())
        kpis["fed_exceeded_patients"] = float((p["fed_exceeded"] & (p["role"] == "patient")).sum())
        kpis["max_fed"] = float(p["fed"].max()) if len(p) else 0.0
        # Someone incapacitated where the smoke is goes on breathing it to the end of the run, so
        # the highest dose of all can be far past 1 (ISO 13571: 1 predicts incapacitation); the
        # highest among those who reached safety says how close the survivors came.
        safe = p["time_safe_s"].notna()
        kpis["max_fed_safe"] = float(p.loc[safe, "fed"].max()) if safe.any() else math.nan
        kpis["min_margin_s"] = float(p["margin_s"].min()) if p["margin_s"].notna().any() else math.nan
        kpis["min_margin_is_lower_bound"] = float(_min_is_lower_bound(p))
        kpis["negative_margin"] = float((p["margin_s"] < 0).sum())
        kpis["margin_unknown"] = float(p["margin_s"].isna().sum())
        for level in AEGL_LEVELS:
            if f"above_aegl{level}" in p:
                kpis[f"exposed_aegl{level}"] = float(p[f"above_aegl{level}"].sum())
                exposed = p[p[f"above_aegl{level}"]]
                for pid, secs in zip(exposed["id"], exposed[f"seconds_above_aegl{level}"], strict=True):
                    kpis[f"aegl{level}_minutes.{pid}"] = float(secs) / 60.0
    untenable = tables["aset"].to_pandas()["aset_s"]
    kpis["spaces_untenable"] = float(untenable.notna().sum())
    kpis["first_untenable_s"] = float(untenable.min()) if untenable.notna().any() else math.nan
    if env.smoke is not None:
        kpis["alarm_after_ignition_s"] = env.smoke.alarm
    if "gas_spaces" in tables:
        g = tables["gas_spaces"].to_pandas()
        unsafe = g[g["ever_unsafe"]]
        kpis["gas_spaces_unsafe"] = float(len(unsafe))
        kpis["gas_unsafe_at_end"] = float(unsafe["unsafe_at_end"].sum())
        done = len(unsafe) and not unsafe["unsafe_at_end"].any()
        kpis["gas_all_safe_again_s"] = float(unsafe["safe_again_s"].max()) if done else math.nan
        kpis["gas_min_o2_percent"] = float(g["min_o2_percent"].min())
    if env.species is not None and env.spec.gas is not None:
        levels = [(k, env.species.aegl(k, env.spec.gas.aegl_duration_min)) for k in AEGL_LEVELS]
        kpis["gas_aegl_levels"] = float(sum(c is not None for _, c in levels))
        kpis["gas_aegl_duration_min"] = float(env.spec.gas.aegl_duration_min)
        for k, c in levels:
            if c is not None:
                kpis[f"aegl{k}_ppm"] = c
    return kpis, tables


def _min_is_lower_bound(p: Any) -> bool:
    """The smallest personal margin is only a lower bound of the true smallest margin.

    True when everyone at the minimum has a lower-bound margin (their ASET is past the horizon)
    and nobody's true margin could lie below it: no margin is an upper bound or unknown.
    """
    m = p["margin_s"]
    if not m.notna().any() or m.isna().any() or p["margin_is_upper_bound"].any():
        return False
    return bool(p.loc[m == m.min(), "margin_is_lower_bound"].all())


def _people(env: HazardEnvironment, evac: dict[str, pa.Table], *, alarm: float, horizon: float,
            aset: pa.Table) -> pa.Table | None:
    """The ``people`` table (module docstring); ``aset`` is the hazard's ASET per space."""
    if "agents" not in evac or "doses" not in evac or "stays" not in evac:
        return None
    a = evac["agents"].to_pandas()
    d = evac["doses"].to_pandas().set_index("id").reindex(a["id"])
    crit = env.spec.tenability
    patient = (a["role"] == "patient").to_numpy()
    comp = a["start_compartment"].to_list()
    safe = (a["reached"] - alarm).to_numpy(float)
    own, beyond, margin, lower, upper, where = _margins(evac["stays"].to_pandas(), aset, a["id"], patient,
                                                        horizon)
    fed = d[DOSES[0]].to_numpy(float) + d[DOSES[1]].to_numpy(float)
    limit = np.where(patient, crit.fed_patient, crit.fed)
    cols: dict[str, Any] = {
        "id": a["id"].to_list(), "role": a["role"].to_list(), "profile": a["profile"].to_list(),
        "start_space": a["start_space"].to_list(), "start_compartment": comp,
        "time_safe_s": safe, "margin_space": where, "aset_s": own, "aset_beyond_horizon": beyond,
        "margin_s": margin, "margin_is_lower_bound": lower, "margin_is_upper_bound": upper,
        "fed_asphyxiant": d[DOSES[0]].to_numpy(float), "fed_heat": d[DOSES[1]].to_numpy(float),
        "fed": fed, "fed_limit": limit, "fed_exceeded": fed >= limit,
    }
    if env.species is not None and env.spec.gas is not None:
        load = d[DOSES[2]].to_numpy(float)
        cols["toxic_load"] = load
        sp, dur, n = env.species, env.spec.gas.aegl_duration_min, env.species.exponent
        highest = np.zeros(len(a), np.int64)
        for level in AEGL_LEVELS:
            c = sp.aegl(level, dur)
            if c is None:
                continue
            secs = d[f"above_aegl{level}"].to_numpy(float)
            cols[f"seconds_above_aegl{level}"] = secs
            cols[f"above_aegl{level}"] = secs > 0
            highest[secs > 0] = level  # thresholds rise with the level (Species): the last is the highest
            cols[f"load_reaches_aegl{level}"] = load >= c ** n * dur * 60.0
            cols[f"minutes_at_aegl{level}"] = load / c ** n / 60.0
        cols["highest_aegl"] = highest
    return pa.table(cols)


def _margins(stays: Any, aset: pa.Table, ids: Any, patient: np.ndarray,
             horizon: float) -> tuple[np.ndarray, ...]:
    """Each person's margin over the spaces they were in (``people`` in the module docstring).

    Returns, per person of ``ids``: the ASET the margin was found against, whether it is past the
    horizon, the margin, whether it is a lower or an upper bound, and the space it was found in.
    """
    sp = aset.to_pandas().set_index("space")
    s = stays.reset_index(drop=True)
    who = s["id"].map(dict(zip(ids, patient, strict=True))).fillna(False).to_numpy(bool)
    raw = np.where(who, sp["aset_patient_s"].reindex(s["space"]).to_numpy(float),
                   sp["aset_s"].reindex(s["space"]).to_numpy(float))
    past = ~np.isfinite(raw)
    still = s["until_end"].to_numpy(bool)
    s = s.assign(aset=np.where(past, horizon, raw), past=past, still=still,
                 value=np.where(past, horizon, raw) - s["left_s"].to_numpy(float))
    # a space still occupied at the end whose ASET is past the horizon says nothing (both unknown)
    known = s[~(past & still)]
    first = known.loc[known.groupby("id")["value"].idxmin()].set_index("id").reindex(ids)
    any_still = s.groupby("id")["still"].any().reindex(ids).fillna(False).to_numpy(bool)
    value = first["value"].to_numpy(float)
    at_past = first["past"].fillna(False).to_numpy(bool)
    # still inside: the end stands for a later departure, so the smallest value is an upper bound,
    # unless that value is itself a lower bound (neither bound holds: left out)
    margin = np.where(any_still & at_past, np.nan, value)
    lower = at_past & ~any_still & np.isfinite(margin)
    upper = any_still & np.isfinite(margin)
    own = first["aset"].fillna(horizon).to_numpy(float)
    beyond = np.where(first["aset"].isna(), True, at_past)
    where = first["space"].fillna("").to_numpy(object)
    return own, beyond.astype(bool), margin, lower, upper, where


def report(kpis: dict[str, Any]) -> str:
    """Text for ``medtwin run``: ASET, margins per compartment, doses and exposures."""

    def mean(k: str) -> float:
        v = kpis.get(k)
        m = v.get("mean") if isinstance(v, dict) else None
        return math.nan if m is None else float(m)

    comps = sorted(k.split(".", 1)[1] for k in kpis if k.startswith("aset_compartment."))
    if not comps:
        return ""
    lines = ["Hazard: ASET against RSET (mean over replications; margin uses patient criteria;",
             "  ≥: not untenable within the hazard's horizon, so a lower bound)",
             f"  {'compartment':<14} {'ASET s':>10} {'margin s':>11}"]
    for c in comps:
        a, m = mean(f"aset_compartment.{c}"), mean(f"margin_compartment.{c}")
        # In any replication beyond the horizon, the mean is a lower bound too.
        a_ge = mean(f"aset_beyond_horizon.{c}") > 0
        m_ge = mean(f"margin_is_lower_bound.{c}") > 0
        shown = f"{_bound(m, m_ge):>11}" if not math.isnan(m) else f"{'n/a':>11}"
        lines.append(f"  {c:<14} {_bound(a, a_ge):>10} {shown}")
    for k, label in (("first_untenable_s", "first space untenable (s)"),
                     ("spaces_untenable", "spaces untenable"),
                     ("min_margin_s", "smallest personal margin (s)"),
                     ("negative_margin", "people with margin < 0"),
                     ("margin_unknown", "inside at the end, ASET ≥ horizon"),
                     ("fed_exceeded", "people over their FED limit"),
                     ("fed_exceeded_patients", "  of whom patients"), ("max_fed", "highest FED (anyone)"),
                     ("max_fed_safe", "highest FED of those safe"),
                     ("exposed_aegl1", "people above AEGL-1"), ("exposed_aegl2", "people above AEGL-2"),
                     ("exposed_aegl3", "people above AEGL-3"),
                     ("gas_spaces_unsafe", "spaces unsafe from the gas"),
                     ("gas_unsafe_at_end", "  still unsafe at the end"),
                     ("gas_all_safe_again_s", "all safe again at (s)"),
                     ("gas_min_o2_percent", "lowest O2 (%)")):
        v = mean(k)
        if k == "min_margin_s" and not math.isnan(v):
            # a lower bound in any replication makes the mean one too
            lines.append(f"  {label:<30} {_bound(v, mean('min_margin_is_lower_bound') > 0):>10}")
        elif not math.isnan(v) and not (k == "margin_unknown" and v == 0):
            digits = 2 if k in ("max_fed", "max_fed_safe", "gas_min_o2_percent") else 0
            lines.append(f"  {label:<30} {v:10.{digits}f}")
    lines += _exposures(kpis, mean)
    return "\n".join(lines)


def _bound(v: float, lower: bool) -> str:
    """Seconds, marked ``≥`` when the value is only a lower bound (ASET beyond the horizon)."""
    return f"≥ {v:.0f}" if lower else f"{v:.0f}"


def _exposures(kpis: dict[str, Any], mean: Callable[[str], float]) -> list[str]:
    """Everyone exposed above each AEGL with the minutes they spent in air at or above it."""
    if math.isnan(mean("gas_aegl_levels")):
        return []
    if mean("gas_aegl_levels") == 0:
        return ["  no AEGL is published for this gas: exposure is judged by O2 and the hypoxia FED"]
    dur = mean("gas_aegl_duration_min")
    lines = [f"Time in air at or above each AEGL ({dur:.0f}-min values), minutes",
             "  (mean over the replications in which the person was exposed)"]
    for level in AEGL_LEVELS:
        ppm = mean(f"aegl{level}_ppm")
        if math.isnan(ppm):
            lines.append(f"  AEGL-{level}: not published for this gas")
            continue
        prefix = f"aegl{level}_minutes."
        who = sorted(((mean(k), k[len(prefix):]) for k in kpis if k.startswith(prefix)),
                     key=lambda x: (-x[0], x[1]))
        lines.append(f"  AEGL-{level} ({ppm:g} ppm): {len(who)} exposed")
        lines += [f"    {pid:<28} {minutes:8.2f} min" for minutes, pid in who]
    return lines
