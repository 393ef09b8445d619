"""Batch means: the batches of a run partition its post-warm-up window exactly."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import scenarios
from scenarios.operations.runs import run_replication
from scenarios.operations.schema import OperationsScenario
from tests.conftest import make_tiny_facility
from tests.scenarios.operations.conftest import BASE


def test_time_averages_of_equal_batches_average_to_the_whole_window() -> None:
    d = copy.deepcopy(BASE)
    d["run"] = {"length": 4000.0, "warmup": 400.0, "batches": 6}
    d["resources"]["nurse"] = {"kind": "staff", "count": 2, "space_use": "office"}  # always on duty
    sc = scenarios.from_dict(d)
    assert isinstance(sc, OperationsScenario)
    k = run_replication(sc, make_tiny_facility(), np.random.default_rng(8), 0).kpis

    def batches(key: str) -> list[float]:
        return [k[f"batch.{j}.{key}"] for j in range(6)]

    assert "batch.6.queue.nurse" not in k
    for key in ("queue.nurse", "queue.clinic", "queue_class.clinic_visit.consult", "queue_class.esi3",
                "util.nurse", "util.clinic"):
        assert np.mean(batches(key)) == pytest.approx(k[key], rel=1e-9), key
    # a batch is a window of the run, not a copy of it
    assert len(set(batches("queue.nurse"))) > 1
    waits = [w for w in batches("wait.clinic_visit.consult") if not np.isnan(w)]
    assert len(waits) >= 4 and min(waits) < k["wait.clinic_visit.consult"] < max(waits)
