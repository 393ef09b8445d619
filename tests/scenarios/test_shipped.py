"""Every scenario shipped in scenarios/library/ loads and runs (so none goes stale).

The operations scenarios are run to the end by their own tests
(``tests/scenarios/operations/test_library.py``); evacuation scenarios are run
here for their first simulated minutes, enough to exercise the population,
alarm, staff assignment and movement on the real building with its checks.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import scenarios

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"
SHIPPED = sorted(LIBRARY.glob("*.yaml"))


def test_library_is_not_empty() -> None:
    kinds = {scenarios.load(p).kind for p in SHIPPED}
    assert {"operations", "evacuation"} <= kinds


@pytest.mark.parametrize("path", [p for p in SHIPPED if "evacuation" in p.name], ids=lambda p: p.stem)
def test_evacuation_scenario_starts_and_keeps_everyone_accounted_for(path: Path) -> None:
    sc = scenarios.load(path)
    res = scenarios.run(sc.model_copy(update={"max_time": 120.0, "replications": 1}))
    k = res.replications[0].kpis
    assert k["total"] > 0
    assert k["evacuated"] + k["in_refuge"] + k["remaining"] == k["total"]
    assert k["stranded"] == 0 and k["deadlocks"] == 0
    # two simulated minutes after the alarm, someone has moved into a refuge or out
    assert k["evacuated"] + k["in_refuge"] > 0
    assert math.isclose(k["sim_time_s"], 120.0, abs_tol=0.1)
