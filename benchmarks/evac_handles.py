"""What the Mesa handles cost a drill: the day drill with and without them, in one process.

Every person in an evacuation is a Mesa agent (:mod:`agents.evacuees`), a handle over its row
of the run's arrays.  The issue's target is that they cost under 5 % of a drill.  This runs
the same replication (one seed of a library drill, as ``medtwin run --seed S --replications 1``
runs it) alternately with the handles and with their creation replaced by nothing, and prints
the process CPU of each run and the ratio of the medians.  The KPIs of both must be equal (the
handles only read): a difference is printed and makes the script exit 1.

A third figure is what a user pays to read them: a Mesa ``DataCollector`` with two agent
reporters collected once a simulated minute, as ``docs/evacuation.md`` shows.

Usage (from the repository root)::

    .venv/bin/python benchmarks/evac_handles.py                # day drill, seed 2027, 2 runs each
    .venv/bin/python benchmarks/evac_handles.py --drill night --seed 0 --runs 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scenarios  # noqa: E402
from scenarios.evacuation import model, run_replication  # noqa: E402
from scenarios.evacuation.params import State  # noqa: E402
from scenarios.evacuation.schema import EvacuationScenario  # noqa: E402


class _NoHandle:
    """Stands in for a handle class: takes the same arguments and creates nothing."""

    def __init__(self, _model: Any, _row: int) -> None:
        pass


def _out(m: Any) -> int:
    return int((m.people.state == State.OUT).sum())


def _one(sc: EvacuationScenario, fac: Any, seed: int, *, handles: bool) -> tuple[float, dict[str, float]]:
    """Process CPU (s) and KPIs of one replication, with or without the handles."""
    real = model.handle_type
    if not handles:
        setattr(model, "handle_type", lambda _role: _NoHandle)  # noqa: B010 - a stand-in of another type
    try:
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        t0 = time.process_time()
        rep = run_replication(sc, fac, rng, 0)
        return time.process_time() - t0, dict(rep.kpis)
    finally:
        setattr(model, "handle_type", real)  # noqa: B010


def _collected(sc: EvacuationScenario, fac: Any, seed: int) -> tuple[float, int]:
    """Process CPU (s) of the drill stepped by hand with a DataCollector every 60 s, and its rows."""
    from scenarios.evacuation import EvacuationModel, params_of
    from scenarios.evacuation.population import from_scenario

    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    people = from_scenario(sc, fac, rng)
    t0 = time.process_time()
    m = EvacuationModel(fac, people, params_of(sc), rng)
    dc = mesa.DataCollector(model_reporters={"out": _out}, agent_reporters={"x": "x", "state": "state"})
    every = round(60.0 / m.run_state.p.model.dt)
    while not m.done() and m.t < m.run_state.p.max_time:
        m.step()
        if m.steps % every == 0:
            dc.collect(m)
    return time.process_time() - t0, len(dc.get_agent_vars_dataframe())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--drill", default="day", choices=["day", "night"])
    ap.add_argument("--seed", type=int, default=2027)
    ap.add_argument("--runs", type=int, default=2, help="runs with and without handles, alternating")
    ap.add_argument("--no-collector", action="store_true", help="skip the DataCollector run")
    args = ap.parse_args()
    sc = scenarios.load(ROOT / "scenarios" / "library" / f"sample_hospital_{args.drill}_evacuation.yaml")
    assert isinstance(sc, EvacuationScenario)
    fac = scenarios.resolve_facility(sc)
    _one(sc, fac, args.seed, handles=True)  # compile and warm caches; not counted
    cpu: dict[bool, list[float]] = {True: [], False: []}
    kpis: dict[bool, dict[str, float]] = {}
    for r in range(args.runs):
        # Each pair in turn starts with and without them: the second run of a pair was the
        # cheaper one more often than not.
        for handles in ((True, False) if r % 2 == 0 else (False, True)):
            c, kpis[handles] = _one(sc, fac, args.seed, handles=handles)
            cpu[handles].append(c)
            print(f"{'with' if handles else 'without':7} handles: {c:6.2f} s CPU", flush=True)
    with_, without = float(np.median(cpu[True])), float(np.median(cpu[False]))
    paired = float(np.median(np.array(cpu[True]) / np.array(cpu[False]) - 1))
    print(f"{args.drill} drill seed {args.seed}: median CPU with handles {with_:.2f} s, "
          f"without {without:.2f} s, handles cost {100 * (with_ / without - 1):+.1f} % "
          f"(median of the pairs {100 * paired:+.1f} %; target < 5 %)")
    differ = {k: (kpis[True][k], kpis[False].get(k)) for k in kpis[True]
              if not (kpis[True][k] == kpis[False].get(k)
                      or (np.isnan(kpis[True][k]) and np.isnan(kpis[False].get(k, 0.0))))}
    if differ:
        print(f"KPIs differ with and without handles: {differ}")
        sys.exit(1)
    print("KPIs identical with and without handles")
    if not args.no_collector:
        c, rows = _collected(sc, fac, args.seed)
        print(f"with a DataCollector (2 agent reporters, every 60 s): {c:.2f} s CPU, {rows} agent rows, "
              f"{100 * (c / without - 1):+.1f} % on the drill without handles")


if __name__ == "__main__":
    main()
