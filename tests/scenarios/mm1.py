"""A tiny but real model kind (an M/M/1 queue by Lindley's recursion) for runner tests.

It lets the loader, runner and store be tested without depending on the
operations or evacuation models; those are run by their own tests.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from scenarios.base import Replication, ScenarioBase, StrictModel
from scenarios.stats import mean_ci


class Queue(StrictModel):
    arrival_rate: float = Field(gt=0)
    service_rate: float = Field(gt=0)


class MM1Scenario(ScenarioBase):
    kind: Literal["test-mm1"]
    queue: Queue
    customers: int = Field(default=2000, ge=1)


def run_mm1(scenario: Any, facility: Any, rng: np.random.Generator, index: int) -> Replication:
    n = scenario.customers
    a = rng.exponential(1 / scenario.queue.arrival_rate, n)
    s = rng.exponential(1 / scenario.queue.service_rate, n)
    w = np.zeros(n)
    for i in range(1, n):  # Lindley: W_{i} = max(0, W_{i-1} + S_{i-1} - A_i)
        w[i] = max(0.0, w[i - 1] + s[i - 1] - a[i])
    return Replication(index=index, kpis={"mean_wait": float(w.mean())},
                       tables={"waits": pa.table({"customer": np.arange(n), "wait": w})})


def summarize_mm1(scenario: Any, reps: list[Replication]) -> dict[str, Any]:
    return {"mean_wait": mean_ci([r.kpis["mean_wait"] for r in reps])}




MM1_YAML = """\
kind: test-mm1
name: mm1 check
seed: 7
replications: 4
queue:
  arrival_rate: 0.5
  service_rate: 1.0
customers: 3000
"""
