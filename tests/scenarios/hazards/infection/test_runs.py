"""The infection kind's replication: progress over the operations runs of its interventions."""

from __future__ import annotations

import yaml

import scenarios
from scenarios.progress import Tick


def test_progress_spans_the_operations_run_of_every_intervention_that_changes_them(small_ed: str) -> None:
    data = yaml.safe_load(small_ed)
    data["index_cases"] = [{"pathway": "ed_minors", "arrive_h": 3}]
    data["interventions"] = [{"name": "masks", "masks": {"patients": "surgical"}},
                             {"name": "iso", "isolate": {"after": "triage"}}]
    sc = scenarios.loads(yaml.safe_dump(data), "small.yaml")
    ticks: list[Tick] = []
    followed = scenarios.run(sc, replications=1, sim_progress=ticks.append)
    assert followed.kpis == scenarios.run(sc, replications=1).kpis
    # the baseline and "iso" run operations (masks reuse the baseline's): two 12 h runs, one span
    assert ticks and ticks[0].end_time_s == 2 * 12 * 3600.0
    assert all(0 < t.sim_time_s <= t.end_time_s for t in ticks)
