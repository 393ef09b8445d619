"""A model kind for store and runner tests that can fail, die, block or count its calls on demand.

Each replication draws a few numbers from its generator (so seeds matter) and
returns one small table.  Switches, all off by default:

* ``fail_on``: replication indices that raise ``ZeroDivisionError`` (while
  the file ``fail_until`` does not exist, when it is given);
* ``die_once``: a marker file; the first replication to find it missing
  creates it and kills its worker process (``os._exit``);
* ``die_on``: replication indices that kill their worker every time;
* ``calls``: a folder where every replication run leaves a file, to count runs;
* ``gate`` / ``block_from``: replications from ``block_from`` on wait until
  the ``gate`` file exists (lets a test kill a run half-way);
* ``evacuation``: also an ``agents`` table and an ``rset_s`` KPI, as an
  evacuation run has;
* ``pause_s``: seconds to wait after the first progress report (so a tick
  sent from a worker has time to arrive before the outcome).

When the runner asks for progress over simulated time, a replication reports
an hour of simulated time in four quarters.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from scenarios.base import KINDS, Kind, Replication, ScenarioBase, StrictModel, register_kind
from scenarios.stats import mean_ci

__all__ = ["TOY_YAML", "ToyScenario", "register_toy", "run_toy", "summarize_toy", "toy"]


class Lever(StrictModel):
    level: float = 1.0
    count: int = Field(default=3, ge=1)


class ToyScenario(ScenarioBase):
    kind: Literal["test-toy"]
    lever: Lever = Lever()
    draws: int = Field(default=50, ge=1)
    fail_on: tuple[int, ...] = ()
    fail_until: str | None = None
    die_once: str | None = None
    die_on: tuple[int, ...] = ()
    calls: str | None = None
    gate: str | None = None
    block_from: int | None = None
    evacuation: bool = False
    pause_s: float = Field(default=0.0, ge=0.0)


def run_toy(scenario: Any, facility: Any, rng: np.random.Generator, index: int,
            progress: Callable[[float, float], None] | None = None) -> Replication:
    if scenario.calls:
        Path(scenario.calls, f"{index}-{uuid.uuid4().hex[:6]}").touch()
    if scenario.die_once and not Path(scenario.die_once).exists():
        Path(scenario.die_once).touch()
        os._exit(3)
    if index in scenario.die_on:
        os._exit(4)
    if scenario.block_from is not None and index >= scenario.block_from:
        while not Path(str(scenario.gate)).exists():
            time.sleep(0.02)
    if index in scenario.fail_on and not (scenario.fail_until and Path(scenario.fail_until).exists()):
        raise ZeroDivisionError(f"replication {index} divides by zero")
    x = rng.exponential(scenario.lever.level, scenario.draws) / scenario.lever.count
    if progress is not None:
        for quarter in range(1, 5):
            progress(900.0 * quarter, 3600.0)
            if quarter == 1:
                time.sleep(scenario.pause_s)
    kpis = {"mean": float(x.mean()), "max": float(x.max())}
    tables = {"draws": pa.table({"i": np.arange(x.size), "x": x})}
    if scenario.evacuation:  # the columns evacuation reports read: people safe over time
        kpis["rset_s"] = float(x.max() * 60)
        tables["agents"] = pa.table({"alarm": np.zeros(x.size), "reached": x * 60})
    return Replication(index=index, kpis=kpis, tables=tables)


def summarize_toy(scenario: Any, reps: list[Replication]) -> dict[str, Any]:
    return {k: mean_ci([r.kpis[k] for r in reps]) for k in reps[0].kpis}


def register_toy() -> Kind:
    kind = Kind(name="test-toy", scenario_type=ToyScenario, run_replication=run_toy, summarize=summarize_toy)
    register_kind(kind)
    return kind


def unregister_toy() -> None:
    KINDS.pop("test-toy", None)


TOY_YAML = """\
kind: test-toy
name: toy
seed: 11
replications: 6
"""


def toy(**update: Any) -> ToyScenario:
    """The toy scenario with fields replaced."""
    from scenarios.loader import loads

    sc = loads(TOY_YAML, "toy.yaml")
    assert isinstance(sc, ToyScenario)
    return sc.model_copy(update=update)
