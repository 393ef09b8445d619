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
