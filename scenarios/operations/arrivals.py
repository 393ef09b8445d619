"""Who arrives when: non-stationary Poisson streams and booked appointments.

Arrivals are drawn for the whole run before it starts, as arrays: candidate
times from a homogeneous Poisson process at the peak rate, each kept with
probability rate(t) / peak (Lewis & Shedler thinning, exact for a piecewise
constant rate), then each patient's pathway and acuity.  Drawing up front in
vectorised calls is fast and keeps the random stream independent of what
happens inside the hospital, so two layouts are compared on the same patients
(common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.operations.schema import RATE_UNIT_MINUTES, Arrival, OperationsScenario

__all__ = ["ArrivalPlan", "plan_arrivals", "poisson_times", "rate_at", "scheduled_times"]


def rate_at(arr: Arrival, t_min: np.ndarray) -> np.ndarray:
    """Arrival rate (patients per minute) of a stream at times ``t_min``.

    >>> a = Arrival(name="ed", mix={"x": 1.0}, rates=[6.0, 12.0])
    >>> rate_at(a, np.array([0.0, 61.0, 121.0])).tolist()
    [0.1, 0.2, 0.1]
    >>> icu = Arrival(name="icu", mix={"x": 1.0}, rates=[1440.0], rate_unit="per_day")
    >>> rate_at(icu, np.array([5.0])).tolist()
    [1.0]
    """
    rates = np.asarray(arr.rates, float) / RATE_UNIT_MINUTES[arr.rate_unit]
    slot = (t_min // arr.slot_min).astype(np.int64) % len(rates)
    day = (t_min // 1440.0).astype(np.int64) % 7
    return rates[slot] * np.asarray(arr.weekday_factors, float)[day]


def poisson_times(arr: Arrival, horizon_min: float, rng: np.random.Generator) -> np.ndarray:
    """Arrival times (min) of a non-stationary Poisson stream on [0, horizon), by thinning."""
    peak = max(arr.rates) * max(arr.weekday_factors) / RATE_UNIT_MINUTES[arr.rate_unit]
    if peak <= 0:
        return np.empty(0)
    if arr.thinning == "previous_arrival":
        return _previous_arrival_times(arr, horizon_min, rng)
    chunk = int(peak * horizon_min * 1.1) + 16
    parts: list[np.ndarray] = []
    t = 0.0
    while t < horizon_min:
        gaps = rng.exponential(1.0 / peak, chunk)
        times = t + np.cumsum(gaps)
        parts.append(times)
        t = float(times[-1])
    cand = np.concatenate(parts)
    cand = cand[cand < horizon_min]
    keep = rng.random(cand.size) * peak < rate_at(arr, cand)
    return cand[keep]


def _previous_arrival_times(arr: Arrival, horizon_min: float, rng: np.random.Generator) -> np.ndarray:
    # Thinning with the rate looked up once at the previous arrival: the gap to
    # the next arrival is then exponential at that rate (a geometric sum of
    # exponential candidates), so draw it directly.  Slots with rate 0 are skipped.
    out: list[float] = []
    t = 0.0
    gaps = rng.exponential(1.0, int(max(arr.rates) / RATE_UNIT_MINUTES[arr.rate_unit] * horizon_min * 1.5)
                           + 64).tolist()
    i = 0
    while True:
        lam = float(rate_at(arr, np.array([t]))[0])
        if lam <= 0:
            t = (t // arr.slot_min + 1) * arr.slot_min
            if t >= horizon_min:
                break
            continue
        if i >= len(gaps):
            gaps = rng.exponential(1.0, len(gaps)).tolist()
            i = 0
        t += gaps[i] / lam
        i += 1
        if t >= horizon_min:
            break
        out.append(t)
    return np.asarray(out)


def scheduled_times(arr: Arrival, horizon_min: float, rng: np.random.Generator) -> np.ndarray:
    """Booked appointment times (min) that are attended (no-shows removed)."""
    days = int(np.ceil(horizon_min / 1440.0))
    slots = arr.first_min + arr.interval_min * np.arange(arr.per_day)
    times = np.concatenate([d * 1440.0 + slots for d in range(days) if d % 7 in arr.days] or [np.empty(0)])
    times = times[times < horizon_min]
    shows = rng.random(times.size) >= arr.no_show
    return times[shows]


@dataclass(frozen=True, slots=True)
class ArrivalPlan:
    """Every arrival of one replication, sorted by time.

    Attributes:
        time: Arrival time (min).
        pathway: Index into the scenario's pathways (in file order).
        acuity: ESI level 1-5.
        stream: Index of the arrival stream.
        isolate: Whether the patient will be flagged for isolation (pathways
            with ``isolation``; all false otherwise).
    """

    time: np.ndarray
    pathway: np.ndarray
    acuity: np.ndarray
    stream: np.ndarray
    isolate: np.ndarray


def plan_arrivals(sc: OperationsScenario, rng: np.random.Generator) -> ArrivalPlan:
    """Draw all arrivals of a run: times, pathway and acuity of each patient."""
    horizon = sc.run.length_min
    names = list(sc.pathways)
    ts, pws, streams = [], [], []
    for k, arr in enumerate(sc.arrivals):
        t = poisson_times(arr, horizon, rng) if arr.kind == "poisson" else scheduled_times(arr, horizon, rng)
        idx = np.array([names.index(p) for p in arr.mix], np.int64)
        p = np.array(list(arr.mix.values()), float)
        ts.append(t)
        pws.append(idx[rng.choice(len(idx), size=t.size, p=p / p.sum())])
        streams.append(np.full(t.size, k, np.int64))
    time = np.concatenate(ts)
    pathway = np.concatenate(pws)
    stream = np.concatenate(streams)
    acuity = np.empty(time.size, np.int64)
    for i, name in enumerate(names):
        sel = pathway == i
        levels = np.array(list(sc.pathways[name].acuity), np.int64)
        probs = np.array(list(sc.pathways[name].acuity.values()), float)
        acuity[sel] = levels[rng.choice(len(levels), size=int(sel.sum()), p=probs / probs.sum())]
    order = np.argsort(time, kind="stable")
    time, pathway, acuity, stream = time[order], pathway[order], acuity[order], stream[order]
    # Isolation flags are drawn last and only when a pathway asks for them, so
    # the patients themselves (times, pathways, acuity) are the same with and
    # without an isolation policy, and scenarios without one draw nothing more.
    isolate = np.zeros(time.size, bool)
    share = np.array([p.isolation.share if p.isolation is not None else -1.0 for p in sc.pathways.values()])
    if (share >= 0).any():
        u = rng.random(time.size)
        isolate = u < share[pathway]
    return ArrivalPlan(time, pathway, acuity, stream, isolate)
