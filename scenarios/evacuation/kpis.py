"""Evacuation KPIs: RSET overall, per compartment and per level, flows, waits, risks.

RSET (required safe escape time) is counted from the alarm:

* ``rset_s``: until the last person is safe (out, or in a refuge under a horizontal-only
  strategy); ``rset_level.<level>`` likewise for those who start on a level.  Anyone not safe
  at the end (``remaining``) leaves it NaN, including those a horizontal strategy leaves in
  place outside the fire compartments (``in_place``, counted among ``remaining``);
* ``rset_compartment.<compartment>``: until the compartment is clear, i.e. its last
  occupant is out of it, into a refuge compartment or outside.  Staff count when they leave
  it, even if they then stay in the refuge without being marked safe; people from another
  compartment passing through count too, so it is the time the fire side sets against the
  compartment's ASET (the ``compartments`` table's ``rset_s``).  NaN if someone is still in
  it at the end.  Under ``horizontal`` only the fire compartments are evacuated and have one;
  a compartment nobody was ever in is clear from the start (0 s).

Who is where at the end, each person in exactly one category (``total`` is their sum):
``evacuated`` (out through a final exit), ``in_refuge``, ``incapacitated`` (the hazard's
asphyxiant FED or heat dose reached 1, :func:`scenarios.evacuation.exposure.incapacitate`:
neither evacuated nor safe, even if staff carried them out) and ``remaining`` (still inside,
not incapacitated; of whom ``stranded``, with no way out usable with their mobility, and
``deadlocks``, caught in a deadlock, never both).  An incapacitated person is not safe, so
RSET is NaN ("not everyone safe") in a replication with one.

Per-replication KPIs are plain floats; the summary adds means with confidence intervals and
the slowest patients.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np
import pyarrow as pa

from scenarios.base import Replication
from scenarios.evacuation.schema import EvacuationScenario
from scenarios.stats import mean_ci

__all__ = ["STRATEGIES", "compartment_rset", "has_to_move", "peak_flow", "replication_kpis", "report",
           "summarize", "why_not_safe"]

#: Evacuation strategies (``strategy.mode`` of the scenario file): under ``horizontal`` only the
#: fire compartments are evacuated, into their neighbours; the others everyone.
STRATEGIES = ("full", "progressive", "horizontal")


def replication_kpis(agents: pa.Table, flows: pa.Table, alarm: float, sim_time: float,
                     deadlocks: int, *, compartments: pa.Table | None = None, strategy: str = "full",
                     fire_compartments: Collection[str] = ()) -> dict[str, float]:
    """Scalar results of one replication (see the module docstring).

    Args:
        agents: The run's ``agents`` table.
        flows: Its ``door_flows`` table.
        alarm: Model time of the alarm (s).
        sim_time: Model time the run ended (s).
        deadlocks: Number of deadlock flags raised.
        compartments: Its ``compartments`` table; without it, no ``rset_compartment`` KPIs.
        strategy: One of :data:`STRATEGIES`: which compartments are evacuated.
        fire_compartments: The compartments evacuated first (all a horizontal drill evacuates).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    a = agents.to_pandas()
    fallen = _incapacitated(a)
    safe = (a["reached_how"] != "").to_numpy() & ~fallen
    moves = has_to_move(a["start_compartment"], strategy, fire_compartments)
    out: dict[str, float] = {
        "total": float(len(a)),
        "evacuated": float(((a["reached_how"] == "exit").to_numpy() & ~fallen).sum()),
        "in_refuge": float(((a["reached_how"] == "refuge").to_numpy() & ~fallen).sum()),
        "incapacitated": float(fallen.sum()),
        "remaining": float((~safe & ~fallen).sum()),
        "in_place": float((~moves & ~safe & ~fallen).sum()),
        "stranded": float((a["stranded"].to_numpy() & ~fallen).sum()),
        "deadlocks": float(deadlocks),
        "rset_s": _rset(a, alarm),
        "sim_time_s": sim_time - alarm,
        "mean_waiting_s": float(a["waiting"].mean()),
        "max_waiting_s": float(a["waiting"].max()),
        "ventilators_run_out": float(a["battery_out"].sum()),
    }
    if "left_behind" in a:
        out["left_behind"] = float(a["left_behind"].sum())
    pat = a[(a["role"] == "patient").to_numpy() & safe]
    if len(pat):
        pre = (pat["start_move"] - alarm).clip(lower=0)
        tot = (pat["reached"] - alarm).clip(lower=1e-9)
        out["patient_premove_share"] = float((pre / tot).mean())
    if compartments is not None:
        evacuated = set(fire_compartments) if strategy == "horizontal" else None
        out.update({f"rset_compartment.{c}": v for c, v in compartment_rset(compartments, evacuated).items()})
    for name, grp in a.groupby("start_level"):
        if name:
            out[f"rset_level.{name}"] = _rset(grp, alarm)
    f = flows.to_pandas()
    for portal, grp in f[f["kind"] == "exit"].groupby("portal"):
        ts = np.sort(grp["time"].to_numpy())
        out[f"exit_count.{portal}"] = float(ts.size)
        if ts.size > 1:
            out[f"exit_flow.{portal}"] = float((ts.size - 1) / max(ts[-1] - ts[0], 1e-9))
        out[f"exit_peak_flow.{portal}"] = peak_flow(ts)
    return out


def has_to_move(start_compartment: Any, strategy: str, fire_compartments: Collection[str]) -> np.ndarray:
    """Per person (by the compartment they start in), whether the strategy moves them: everyone,
    but only those in a fire compartment under ``horizontal``.

    >>> has_to_move(["A", "B", ""], "horizontal", ["A"]).tolist(), has_to_move(["B"], "full", ["A"]).tolist()
    ([True, False, False], [True])
    """
    where = np.asarray(start_compartment, dtype=object)
    if strategy != "horizontal":
        return np.ones(where.size, bool)
    return np.isin(where, list(fire_compartments))


def _incapacitated(agents: Any) -> np.ndarray:
    """Per row of an ``agents`` table, whether the hazard incapacitated them (no column: nobody)."""
    if "incapacitated" not in agents:
        return np.zeros(len(agents), bool)
    return agents["incapacitated"].fillna(False).to_numpy(bool)


def _rset(people: Any, alarm: float) -> float:
    """Seconds from the alarm until the last of ``people`` (agents rows) is safe; NaN if one is not
    (incapacitated people are not safe)."""
    if (people["reached_how"] == "").any() or _incapacitated(people).any():
        return math.nan
    return float(people["reached"].max() - alarm)


def compartment_rset(compartments: pa.Table, evacuated: Collection[str] | None = None) -> dict[str, float]:
    """RSET of each evacuated compartment: seconds from the alarm until it was clear.

    Args:
        compartments: A run's ``compartments`` table, whose ``rset_s`` is the last time someone
            left the compartment (s after the alarm), NaN if someone is still in it at the end,
            0 if nobody ever was (:mod:`scenarios.evacuation.recorder`).
        evacuated: The compartments the strategy evacuates; ``None``: all.

    >>> t = pa.table({"compartment": ["A", "B", "C"], "rset_s": [312.5, 0.0, float("nan")]})
    >>> compartment_rset(t)
    {'A': 312.5, 'B': 0.0, 'C': nan}
    >>> compartment_rset(t, evacuated={"A"})
    {'A': 312.5}
    """
    names = compartments.column("compartment").to_pylist()
    rset = compartments.column("rset_s").to_pylist()
    return {str(c): math.nan if r is None else float(r) for c, r in zip(names, rset, strict=True)
            if evacuated is None or c in evacuated}


#: Window (s) of the peak exit flow.
PEAK_WINDOW = 60.0
#: Shortest use (s) of an exit over which its mean flow means anything (passages a step apart).
MIN_SPAN = 1.0


def peak_flow(times: np.ndarray, window: float = PEAK_WINDOW) -> float:
    """Most passages in any ``window`` seconds, per second (sorted passage times).

    The mean flow over an exit's whole use (``exit_flow``) is tiny for an exit used now and
    then over a long drill; the peak says what it carried when it mattered. An exit used for
    less than ``window`` seconds carried at least its mean flow over that use (``exit_flow``):
    counting its passages over a whole window alone would put the peak below the mean.

    >>> peak_flow(np.array([0.0, 1.0, 2.0, 100.0]), window=10.0)
    0.3
    >>> peak_flow(np.array([0.0, 1.0, 2.0]), window=10.0)
    1.0
    """
    if times.size == 0:
        return 0.0
    ends = np.searchsorted(times, times + window, side="left")
    peak = float((ends - np.arange(times.size)).max() / window)
    span = float(times[-1] - times[0])
    if times.size > 1 and MIN_SPAN <= span < window:
        peak = max(peak, (times.size - 1) / span)
    return peak


#: Patients listed in a summary: the slowest to reach safety, and those who did not.
LISTED_PATIENTS = 10


def summarize(scenario: EvacuationScenario, reps: list[Replication]) -> dict[str, Any]:
    """Means and confidence intervals across replications, the slowest patients to reach safety
    (``slowest_patients``) and the patients who did not, with why (``patients_not_safe``; not
    those a horizontal strategy leaves in place, counted by ``in_place``)."""
    keys: dict[str, None] = {}
    for r in reps:
        keys.update(dict.fromkeys(r.kpis))
    out: dict[str, Any] = {k: mean_ci([r.kpis.get(k, math.nan) for r in reps]) for k in keys}
    slow: list[dict[str, Any]] = []
    unsafe: list[dict[str, Any]] = []
    fallen: list[dict[str, Any]] = []
    for r in reps:
        t = r.tables.get("agents")
        if t is None:
            continue
        a = t.to_pandas()
        hit = a[_incapacitated(a)]
        for _, row in hit.iterrows():
            fallen.append({"replication": r.index, "id": row["id"], "role": row["role"],
                           "profile": row["profile"], "time_s": float(row["incapacitated_at"] - row["alarm"]),
                           "space": row["incapacitated_space"], "dose": row["incapacitated_by"]})
        a = a[a["role"] == "patient"]
        safe = (a["reached_how"] != "") & ~_incapacitated(a)
        done = a[safe]
        # (On no patient safe, assign would align a full-length column with no rows: NaN rows.)
        done = done.assign(time=done["reached"] - done["alarm"]).sort_values("time", ascending=False)
        for _, row in done.head(LISTED_PATIENTS).iterrows():
            slow.append({"replication": r.index, "id": row["id"], "profile": row["profile"],
                         "space": row["start_space"], "time_s": float(row["time"]),
                         "how": row["reached_how"]})
        left = a[~safe & has_to_move(a["start_compartment"], scenario.strategy.mode,
                                     scenario.strategy.fire_compartments)]
        lifts = scenario.strategy.lifts
        for _, row in left.iterrows():
            why = why_not_safe(row)
            if row.get("stranded_by_lift_policy"):
                why += f" (strategy.lifts is {lifts!r}: {_LIFTS_UNUSED.get(lifts, 'lifts left out')})"
            unsafe.append({"replication": r.index, "id": row["id"], "profile": row["profile"],
                           "space": row["start_space"], "why": why})
    out["slowest_patients"] = sorted(slow, key=lambda d: -d["time_s"])[:LISTED_PATIENTS]
    out["patients_not_safe"] = unsafe
    out["incapacitated_people"] = sorted(fallen, key=lambda d: (d["replication"], d["time_s"], d["id"]))
    return out


#: What a ``strategy.lifts`` other than ``all`` leaves out, said beside a stranded person.
_LIFTS_UNUSED = {"evacuation": "lifts not flagged evacuation_lift are not used", "none": "no lift is used"}


def why_not_safe(row: Any) -> str:
    """Why someone who had to move (a row of the ``agents`` table) was not safe at the end.

    ``row`` needs ``get``: a pandas row or a mapping (``incapacitated`` with ``incapacitated_at``,
    ``alarm``, ``incapacitated_space`` and ``incapacitated_by``; ``left_behind``,
    ``left_behind_reason``, ``stranded``, ``stranded_in_refuge``, ``deadlocked``,
    ``state_at_end``; a missing one reads as no).

    >>> why_not_safe({"incapacitated": True, "incapacitated_at": 130.0, "alarm": 10.0,
    ...               "incapacitated_space": "S1", "incapacitated_by": "fed_heat"})
    'incapacitated (fed_heat >= 1) in S1 at 120 s'
    >>> why_not_safe({"left_behind": True, "left_behind_reason": "untenable"})
    'left behind: untenable'
    >>> why_not_safe({"stranded": True})
    'stranded: no way out usable with their mobility'
    >>> why_not_safe({"stranded": True, "stranded_in_refuge": True})
    'stranded: refuge has no way out usable with their mobility'
    >>> why_not_safe({"state_at_end": "need_staff"})
    'still waiting for staff when the drill ended'
    >>> why_not_safe({})
    'still inside when the drill ended'
    """
    if row.get("incapacitated"):
        return (f"incapacitated ({row.get('incapacitated_by') or 'dose'} >= 1) in "
                f"{row.get('incapacitated_space') or '?'} at "
                f"{float(row.get('incapacitated_at', math.nan)) - float(row.get('alarm') or 0.0):.0f} s")
    if row.get("left_behind"):
        return f"left behind: {row.get('left_behind_reason') or 'untenable'}"
    if row.get("stranded_in_refuge"):
        return "stranded: refuge has no way out usable with their mobility"
    if row.get("stranded"):
        return "stranded: no way out usable with their mobility"
    if row.get("deadlocked"):
        return "caught in a deadlock"
    if row.get("state_at_end") in _WAITING:
        return f"still {_WAITING[row.get('state_at_end')]} when the drill ended"
    return "still inside when the drill ended"


#: What someone not safe at the end was doing, by ``state_at_end``.
_WAITING = {"need_staff": "waiting for staff", "prep": "being prepared by staff", "pre": "in pre-movement",
            "hold": "holding in place"}


def _finite(x: Any) -> bool:
    """Whether ``x`` is a finite number (stored summaries read JSON nulls back as NaN or None)."""
    return isinstance(x, int | float) and math.isfinite(x)


def report(kpis: dict[str, Any]) -> str:
    """Text for ``medtwin run``: RSET overall, per compartment and level, and the patients.

    No number prints as NaN: an RSET no replication has (someone was not safe in each) says so,
    and one some replications lack says in how many; a single replication has no interval.
    """
    reps = kpis.get("total", {}).get("n", 0) if isinstance(kpis.get("total"), dict) else 0

    def fmt(k: str, unsafe: str = "not everyone safe") -> str:
        v = kpis.get(k)
        v = v if isinstance(v, dict) else {}
        m, hw, n = v.get("mean"), v.get("half_width"), v.get("n", 0) if _finite(v.get("n")) else 0
        if not _finite(m):
            return unsafe + (f" in any of {reps} replications" if reps > 1 else "")
        text = f"{m:8.1f} s" + (f" +- {hw:.1f}" if _finite(hw) else "")
        if reps > n:
            text += f"  ({unsafe} in {reps - n} of {reps} replications; mean of the other {n})"
        return text

    lines = ["Evacuation results (mean over replications, 95 % CI)",
             f"  RSET (all)            {fmt('rset_s')}"]
    for k in ("total", "evacuated", "in_refuge", "incapacitated", "remaining", "in_place", "stranded",
              "left_behind", "deadlocks", "ventilators_run_out"):
        v = kpis.get(k)
        if isinstance(v, dict) and _finite(v.get("mean")) and (k != "in_place" or v["mean"] > 0):
            label = "  of whom in place" if k == "in_place" else k
            lines.append(f"  {label:<21} {v['mean']:8.1f}")
    comp = sorted(k for k in kpis if k.startswith("rset_compartment."))
    if comp:
        lines.append("RSET per compartment (until it is clear):")
        lines += [f"  {k.split('.', 1)[1]:<21} {fmt(k, 'not clear at the end')}" for k in comp]
    lev = sorted(k for k in kpis if k.startswith("rset_level."))
    if lev:
        lines.append("RSET per level:")
        lines += [f"  {k.split('.', 1)[1]:<21} {fmt(k)}" for k in lev]
    rows = [s for s in kpis.get("slowest_patients") or [] if isinstance(s, dict)]
    if rows:
        lines.append("Slowest patients to reach safety:")
        lines += [_patient_line(s, _reached(s)) for s in rows]
    fallen = [s for s in kpis.get("incapacitated_people") or [] if isinstance(s, dict)]
    if fallen:
        lines.append(f"Incapacitated by the hazard ({len(fallen)} over all replications; "
                     "FED or heat dose >= 1):")
        lines += [f"  rep {s.get('replication', '?')!s:<3} {s.get('id', '')!s:<24} {s.get('role', '')!s:<8} "
                  f"in {s.get('space', '')!s:<14} at {_seconds(s.get('time_s'))} ({s.get('dose', '')})"
                  for s in fallen[:LISTED_PATIENTS]]
        if len(fallen) > LISTED_PATIENTS:
            lines.append(f"  ... and {len(fallen) - LISTED_PATIENTS} more (all are in the agents table)")
    unsafe = [s for s in kpis.get("patients_not_safe") or [] if isinstance(s, dict)]
    if unsafe:
        lines.append(f"Patients not safe at the end ({len(unsafe)} over all replications):")
        lines += [_patient_line(s, str(s.get("why") or "not safe")) for s in unsafe[:LISTED_PATIENTS]]
        if len(unsafe) > LISTED_PATIENTS:
            lines.append(f"  ... and {len(unsafe) - LISTED_PATIENTS} more (all are in the agents table)")
    return "\n".join(lines)


def _reached(s: dict[str, Any]) -> str:
    """"412 s (refuge)"; a row of an older summary that listed patients never safe gives its reason."""
    if _finite(s.get("time_s")):
        return f"{s['time_s']:.0f} s ({s.get('how') or 'safe'})"
    how = s.get("how")
    return str(s.get("why") or (how if how and how not in ("exit", "refuge") else "not safe"))


def _seconds(x: Any) -> str:
    """"312 s", or "?" for a value a stored summary lost."""
    return f"{x:.0f} s" if _finite(x) else "?"


def _patient_line(s: dict[str, Any], what: str) -> str:
    return (f"  rep {s.get('replication', '?')!s:<3} {s.get('id', '')!s:<24} {s.get('profile', '')!s:<12} "
            f"from {s.get('space', '')!s:<14} {what}")
