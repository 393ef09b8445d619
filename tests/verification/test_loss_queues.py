"""Finite queues and batch means against queueing theory: Erlang B, M/M/c/K, M/M/c by batch means.

The closed forms are computed here from their definitions (Gross et al.,
*Fundamentals of Queueing Theory*, 4th ed., sec. 2.5-2.6), never pasted.
Blocking is judged by the PASTA property: the share of arrivals that find
the system full equals the time-stationary probability of a full system.
Every comparison is a 95% confidence interval over replications (or batches)
after a warm-up.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import scenarios
from scenarios.operations.schema import OperationsScenario


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c with offered load ``a`` (Erlang's loss formula)."""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def mmck(c: int, k: int, lam: float, mu: float) -> tuple[float, float, float]:
    """M/M/c/K: probability the system is full, mean queue Lq and mean wait Wq of those admitted."""
    a = lam / mu
    weights = [a**n / math.factorial(n) if n <= c else a**c / math.factorial(c) * (a / c) ** (n - c)
               for n in range(k + 1)]
    total = sum(weights)
    p = [w / total for w in weights]
    lq = sum((n - c) * p[n] for n in range(c + 1, k + 1))
    lam_eff = lam * (1 - p[k])
    return p[k], lq, lq / lam_eff


def test_closed_forms_reduce_to_known_cases() -> None:
    # Erlang B with one server is a / (1 + a); M/M/c/c is Erlang B; K -> infinity gives Erlang C's Lq.
    assert erlang_b(1, 0.5) == pytest.approx(0.5 / 1.5)
    assert mmck(3, 3, 0.25, 0.1)[0] == pytest.approx(erlang_b(3, 2.5))
    rho = 0.7
    assert mmck(1, 400, rho, 1.0)[1] == pytest.approx(rho**2 / (1 - rho))


def _scenario(c: int, lam: float, mean_s: float, *, queue_limit: int | None, length: float, warmup: float,
              reps: int, batches: int | None = None, seed: int = 11) -> OperationsScenario:
    server: dict[str, Any] = {"kind": "staff", "count": c}
    if queue_limit is not None:
        server["queue_limit"] = queue_limit
    run: dict[str, Any] = {"length": length, "warmup": warmup}
    if batches is not None:
        run["batches"] = batches
    data = {
        "kind": "operations", "name": "loss", "seed": seed, "replications": reps, "run": run,
        "walking": {"enabled": False},
        "resources": {"server": server},
        "pathways": {"all": {"steps": [{"name": "service", "needs": ["server"],
                                        "duration": {"dist": "exponential", "mean": mean_s}}]}},
        "arrivals": [{"name": "poisson", "mix": {"all": 1.0}, "rates": [lam * 60.0]}],
    }
    sc = scenarios.from_dict(data)
    assert isinstance(sc, OperationsScenario)
    return sc


def within(kpi: dict[str, float], value: float) -> bool:
    return kpi["low"] <= value <= kpi["high"]


def test_erlang_b_blocking_of_a_pool_without_a_queue(tiny_facility: Any) -> None:
    c, lam, mean_s = 3, 0.25, 10.0
    res = scenarios.run(_scenario(c, lam, mean_s, queue_limit=0, length=12000.0, warmup=500.0, reps=20),
                        facility=tiny_facility)
    k = res.kpis
    b = erlang_b(c, lam * mean_s)
    assert within(k["blocked.server"], b), (k["blocked.server"], b)
    assert k["blocked.server"]["half_width"] < 0.1 * b
    # carried load: utilisation = a (1 - B) / c; nobody ever waits
    assert within(k["util.server"], lam * mean_s * (1 - b) / c), (k["util.server"], b)
    assert k["queue.server"]["mean"] == 0.0
    # each blocked arrival is a diverted patient
    assert within(k["diverted.all"], b)


def test_mmck_blocking_queue_and_wait(tiny_facility: Any) -> None:
    c, q, lam, mean_s = 2, 3, 0.25, 10.0
    res = scenarios.run(_scenario(c, lam, mean_s, queue_limit=q, length=12000.0, warmup=500.0, reps=20),
                        facility=tiny_facility)
    k = res.kpis
    pk, lq, wq = mmck(c, c + q, lam, 1.0 / mean_s)
    assert within(k["blocked.server"], pk), (k["blocked.server"], pk)
    assert within(k["queue.server"], lq), (k["queue.server"], lq)
    assert within(k["wait.all.service"], wq), (k["wait.all.service"], wq)
    # the queue seen by the class equals the queue seen by the resource (one resource, one class)
    for rep in res.replications:
        assert rep.kpis["queue_class.all.service"] == pytest.approx(rep.kpis["queue.server"], rel=1e-9)
        assert rep.kpis["queue_class.all"] == pytest.approx(rep.kpis["queue.server"], rel=1e-9)
        assert rep.kpis["queue_class.esi3"] == pytest.approx(rep.kpis["queue.server"], rel=1e-9)


def test_batch_means_of_one_long_run_cover_erlang_c(tiny_facility: Any) -> None:
    c, lam, mean_s = 3, 0.21, 10.0
    sc = _scenario(c, lam, mean_s, queue_limit=None, length=150000.0, warmup=2000.0, reps=1, batches=20)
    res = scenarios.run(sc, facility=tiny_facility)
    k = res.kpis
    a = lam * mean_s
    top = a**c / math.factorial(c) / (1 - a / c)
    pw = top / (sum(a**n / math.factorial(n) for n in range(c)) + top)
    wq = pw / (c / mean_s - lam)
    assert k["wait.all.service"]["n"] == 20  # one replication, twenty batches
    assert within(k["wait.all.service"], wq), (k["wait.all.service"], wq)
    assert within(k["queue.server"], lam * wq), (k["queue.server"], lam * wq)
    assert within(k["util.server"], a / c)
    assert k["wait.all.service"]["half_width"] < 0.2 * wq
    # the batch values are kept per replication, and summarised away
    assert "batch.19.wait.all.service" in res.replications[0].kpis
    assert not any(key.startswith("batch.") for key in k)


def test_shipped_icu_diversion_matches_erlang_b_whatever_the_stay_distribution() -> None:
    from pathlib import Path

    sc = scenarios.load(Path(__file__).resolve().parents[2] / "scenarios" / "library" / "icu_diversion.yaml")
    assert isinstance(sc, OperationsScenario)
    res = scenarios.run(sc)
    k = res.kpis
    b = erlang_b(8, 2.0 * 3.0)  # lognormal stays: Erlang B depends on their mean only
    assert k["blocked.icu_bed"]["n"] == 20
    assert within(k["blocked.icu_bed"], b), (k["blocked.icu_bed"], b)
    assert within(k["diverted.icu_admission"], b), (k["diverted.icu_admission"], b)
    # the turned-away patients are transferred out, not lost from the books
    pat = res.table("patients")
    assert (pat.loc[pat["diverted_at"] == "icu_stay", "outcome"] != "diverted").all()
