"""Summary and report: interventions side by side, costs that changed, JSON round trip."""

from __future__ import annotations

import json

import yaml

import scenarios
from scenarios.hazards.infection import report
from scenarios.store import jsonable


def test_report_reads_the_stored_summary_and_compares_with_the_baseline(small_ed: str) -> None:
    data = yaml.safe_load(small_ed)
    data["interventions"] = [{"name": "masks", "masks": {"patients": "surgical"}}]
    data["replications"] = 2
    res = scenarios.run(scenarios.loads(yaml.safe_dump(data), "small.yaml"))
    side = res.kpis["interventions"]
    assert [r["intervention"] for r in side] == ["baseline", "masks"]
    change = side[1]["change_vs_baseline"]
    assert change["mean"] < 0 and change["n"] == 2
    stored = json.loads(json.dumps(jsonable(res.kpis)))  # NaN become null on disk
    text = report(stored)
    assert "influenza A" in text and "baseline" in text and "masks" in text
    assert "tertiary cases" in text


def _summary(n: int) -> dict[str, object]:
    """A stored summary of two interventions over ``n`` replications (no half-width for one)."""
    hw = None if n == 1 else 0.5

    def kpi(mean: float) -> dict[str, object]:
        return {"mean": mean, "half_width": hw, "n": n}

    row = {"secondary_cases.p05": 0.0, "secondary_cases.p95": 1.0, "secondary.airborne": 0.1,
           "secondary.contact": 0.0, "secondary.staff": 0.0, "secondary.visitors": 0.0, "exposed": 3.0}
    return {"pathogen": "measles", "tertiary_note": "",
            "interventions": [{"intervention": "baseline", **row}, {"intervention": "iso", **row}],
            "baseline.secondary_cases": kpi(0.1), "iso.secondary_cases": kpi(0.05),
            "baseline.ops.wait.triage": kpi(10.0), "iso.ops.wait.triage": kpi(30.0)}


def test_one_replication_report_says_no_change_can_be_judged() -> None:
    # Found by a tester: a 1-replication run said "KPIs changed beyond their confidence
    # intervals (mean ± 95% CI)" where no interval exists.
    text = report(_summary(1))
    assert "confidence intervals (mean" not in text and "± 95% CI" not in text
    assert "one replication" in text and "no change can be judged" in text
    assert "30" not in text.split("Operations cost", 1)[1]  # no unjudged change listed


def test_several_replications_report_changes_beyond_their_intervals() -> None:
    text = report(_summary(5))
    assert "changed beyond their confidence intervals (mean ± 95% CI)" in text
    assert "wait.triage" in text and "30 ± 0.5" in text
