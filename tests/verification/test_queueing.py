"""The operations model against queueing theory: Erlang C, Cobham's priority formulas, Little's law.

Steady-state results are judged with a 95% confidence interval over
independent replications after a warm-up, never a single run.  Little's law
is an identity of time averages, so inside one run it must hold to rounding.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import scenarios
from scenarios.operations.schema import OperationsScenario


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c with offered load ``a`` = lambda / mu (Erlang C)."""
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_erlang_c_known_values() -> None:
    # M/M/1: P(wait) = rho; M/M/2 with a = 1: P(wait) = 1/3 (textbook value).
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)


def mmc_scenario(c: int, lam_per_min: float, mean_service: float, *, pathways: dict[str, Any] | None = None,
                 mix: dict[str, float] | None = None, length: float = 20000.0, warmup: float = 2000.0,
                 reps: int = 30, seed: int = 2024) -> OperationsScenario:
    step = {"name": "service", "needs": ["server"], "duration": {"dist": "exponential", "mean": mean_service}}
    data = {
        "kind": "operations", "name": "mmc", "seed": seed, "replications": reps,
        "run": {"length": length, "warmup": warmup},
        "walking": {"enabled": False},
        "resources": {"server": {"kind": "staff", "count": c}},
        "pathways": pathways or {"all": {"steps": [step]}},
        "arrivals": [{"name": "poisson", "mix": mix or {"all": 1.0}, "rates": [lam_per_min * 60.0]}],
    }
    sc = scenarios.from_dict(data)
    assert isinstance(sc, OperationsScenario)
    return sc


def within(kpi: dict[str, float], value: float) -> bool:
    return kpi["low"] <= value <= kpi["high"]


@pytest.mark.parametrize(("c", "lam", "mean_s", "length"),
                         [(1, 0.07, 10.0, 30000.0), (3, 0.21, 10.0, 20000.0), (5, 0.8, 5.0, 8000.0)])
def test_mmc_waits_and_queue_match_erlang_c(tiny_facility: Any, c: int, lam: float, mean_s: float,
                                             length: float) -> None:
    sc = mmc_scenario(c, lam, mean_s, length=length)
    res = scenarios.run(sc, facility=tiny_facility)
    mu = 1.0 / mean_s
    a = lam / mu
    pw = erlang_c(c, a)
    wq = pw / (c * mu - lam)
    lq = lam * wq
    k = res.kpis
    assert within(k["wait.all.service"], wq), (k["wait.all.service"], wq)
    assert within(k["queue.server"], lq), (k["queue.server"], lq)
    assert within(k["util.server"], a / c), (k["util.server"], a / c)
    # the interval is informative, not vacuous
    assert k["wait.all.service"]["half_width"] < 0.25 * wq


def test_nonpreemptive_priorities_match_cobham(tiny_facility: Any) -> None:
    c, mean_s = 2, 10.0
    lam_hi, lam_lo = 0.05, 0.11
    lam = lam_hi + lam_lo
    step = {"name": "service", "needs": ["server"], "duration": {"dist": "exponential", "mean": mean_s}}
    pathways = {"urgent": {"acuity": {2: 1.0}, "steps": [step]},
                "routine": {"acuity": {4: 1.0}, "steps": [step]}}
    mix = {"urgent": lam_hi / lam, "routine": lam_lo / lam}
    sc = mmc_scenario(c, lam, mean_s, pathways=pathways, mix=mix, reps=30)
    res = scenarios.run(sc, facility=tiny_facility)
    mu = 1.0 / mean_s
    pw = erlang_c(c, lam / mu)
    s1 = lam_hi / (c * mu)
    s2 = lam / (c * mu)
    w_hi = pw / (c * mu * (1 - s1))
    w_lo = pw / (c * mu * (1 - s1) * (1 - s2))
    k = res.kpis
    assert within(k["wait.urgent.service"], w_hi), (k["wait.urgent.service"], w_hi)
    assert within(k["wait.routine.service"], w_lo), (k["wait.routine.service"], w_lo)
    # Conservation: the arrival-weighted mean wait equals the FCFS (Erlang C) wait.
    fcfs = pw / (c * mu - lam)
    assert (lam_hi * w_hi + lam_lo * w_lo) / lam == pytest.approx(fcfs, rel=1e-12)
    mixed = (lam_hi * k["wait.urgent.service"]["mean"] + lam_lo * k["wait.routine.service"]["mean"]) / lam
    assert abs(mixed - fcfs) < 0.1 * fcfs
    # and priority really separates the classes
    assert k["wait.urgent.service"]["high"] < k["wait.routine.service"]["low"]
    # per-class queue lengths obey Little's law class by class: Lq_k = lambda_k Wq_k (Cobham)
    lq_hi, lq_lo = lam_hi * w_hi, lam_lo * w_lo
    assert within(k["queue_class.urgent.service"], lq_hi), (k["queue_class.urgent.service"], lq_hi)
    assert within(k["queue_class.routine.service"], lq_lo), (k["queue_class.routine.service"], lq_lo)
    assert within(k["queue_class.esi2"], lq_hi) and within(k["queue_class.esi4"], lq_lo)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_littles_law_holds_inside_one_run(tiny_facility: Any, seed: int) -> None:
    sc = mmc_scenario(2, 0.18, 10.0, length=3000.0, warmup=0.0, reps=1, seed=seed)
    rep = scenarios.run(sc, facility=tiny_facility).replications[0]
    k = rep.kpis
    assert k["patients.in_system"] > 0 or k["patients.departed"] > 0
    assert k["system.L"] == pytest.approx(k["system.lambda"] * k["system.W"], rel=1e-9)
    # the same identity from the patient table: time in system truncated at the run end
    pat = rep.tables["patients"].to_pandas()
    dep = pat["departure"].fillna(3000.0).to_numpy()
    area = float(np.sum(dep - pat["arrival"].to_numpy()))
    assert k["system.L"] * 3000.0 == pytest.approx(area, rel=1e-9)
