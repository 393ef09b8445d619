"""The active-period bottleneck method, by hand and on a tandem line with a known constraint."""

from __future__ import annotations

from typing import Any

import pytest

import scenarios
from scenarios.operations.bottlenecks import active_period_shares
from scenarios.operations.kpis import rank_bottlenecks


def test_sole_and_shifting_shares_by_hand() -> None:
    r = active_period_shares({"a": ([0.0], [10.0]), "b": ([8.0], [20.0]), "c": ([], [])}, 0.0, 20.0)
    # a is the longest active period until b starts (b is longer); they overlap on [8, 10]
    assert r["a"]["sole"] == pytest.approx(6 / 20)
    assert r["a"]["shifting"] == pytest.approx(2 / 20)
    assert r["b"]["sole"] == pytest.approx(10 / 20)
    assert r["b"]["shifting"] == pytest.approx(2 / 20)
    assert r["c"] == {"sole": 0.0, "shifting": 0.0, "longest": 0.0, "active": 0.0}
    assert r["b"]["longest"] == 12.0 and r["a"]["active"] == pytest.approx(0.5)


def test_window_clips_periods() -> None:
    r = active_period_shares({"a": ([0.0, 50.0], [40.0, 70.0])}, 30.0, 60.0)
    assert r["a"]["active"] == pytest.approx(20 / 30)
    assert r["a"]["sole"] == pytest.approx(20 / 30)
    with pytest.raises(ValueError, match="t1 > t0"):
        active_period_shares({}, 5.0, 5.0)


def test_tandem_line_ranks_the_slow_station_first(tiny_facility: Any) -> None:
    data = {
        "kind": "operations", "name": "tandem", "seed": 11, "replications": 5,
        "run": {"length": 10000, "warmup": 1000}, "walking": {"enabled": False},
        "resources": {"fast": {"kind": "staff", "count": 1}, "slow": {"kind": "staff", "count": 1},
                      "idle": {"kind": "staff", "count": 3}},
        "pathways": {"line": {"steps": [
            {"name": "a", "needs": ["fast"], "duration": {"dist": "exponential", "mean": 5}},
            {"name": "b", "needs": ["slow"], "duration": {"dist": "exponential", "mean": 9}},
            {"name": "c", "needs": ["idle"], "duration": {"dist": "exponential", "mean": 5}},
        ]}},
        "arrivals": [{"name": "in", "mix": {"line": 1.0}, "rates": [6.0]}],
    }
    res = scenarios.run(scenarios.from_dict(data), facility=tiny_facility)
    ranks = res.kpis["bottlenecks"]
    assert [r["resource"] for r in ranks] == ["slow", "fast", "idle"]
    assert ranks[0]["sole"] > 0.5
    assert "utilisation 0.9" in ranks[0]["why"]
    assert rank_bottlenecks(res.kpis) == ranks
