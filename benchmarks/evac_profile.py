"""Where a drill's CPU goes: thread CPU time per part of the evacuation step, with call counts.

One replication of a library drill (as ``medtwin run --seed S --replications 1`` runs it) with
each part of :meth:`scenarios.evacuation.model.EvacuationModel.step` timed by the thread CPU
clock (``time.thread_time``, so other processes on a shared machine count little): assistance,
links, phases, route choice (with the local fields it lays and its option lists), doorway turns,
standoffs, movement (with the compiled step), door and exit passages and deadlock flags.  It
also counts route choices and the people walking and standing on a plane per step, the two
numbers that set the cost of a step.

Usage (from the repository root)::

    .venv/bin/python benchmarks/evac_profile.py                      # day drill, seed 2027
    .venv/bin/python benchmarks/evac_profile.py --drill night --seed 0 --max-time 900

The timers wrap module functions for this process only; results are those of an untimed run
(the same tables, bit for bit), the total CPU some 5 % more.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scenarios  # noqa: E402
from agents.movement import routes, states  # noqa: E402
from scenarios.evacuation import assistance, linking, model, motion, phases, portals, run_replication  # noqa: E402
from scenarios.evacuation.schema import EvacuationScenario  # noqa: E402

#: CPU seconds and calls per timed part.
SECONDS: defaultdict[str, float] = defaultdict(float)
CALLS: Counter[str] = Counter()


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its thread CPU time and calls added to :data:`SECONDS` and :data:`CALLS`."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            SECONDS[name] += time.thread_time() - t0
            CALLS[name] += 1
    return wrapper


def instrument() -> None:
    """Wrap the step's parts (module attributes the model calls through) with timers."""
    for mod, names in ((portals, ("doorways", "standoffs", "arrivals", "flag_deadlocks")),
                       (assistance, ("assist",)), (linking, ("links",)), (phases, ("switch", "activate")),
                       (motion, ("plane_step", "option_costs", "_choose_group"))):
        for name in names:
            setattr(mod, name, timed(name, getattr(mod, name)))
    routes.compute_field = timed("fields laid (compute_field)", routes.compute_field)
    routes.Navigator.options = timed("option lists (Navigator.options)", routes.Navigator.options)  # type: ignore[method-assign]

    on_plane = np.isin(np.arange(len(states.State)), states.ON_PLANE)

    def choose(st: Any) -> None:
        # Counted outside the timer of route choice (a few whole-crowd passes a step).
        pe = st.people
        t0 = time.thread_time()
        CALLS["route choices"] += int(np.count_nonzero(pe.reroute & (pe.state == states.MOVE) & ~pe.called))
        CALLS["walking, summed over steps"] += int(np.count_nonzero(pe.state == states.MOVE))
        CALLS["on a plane, summed over steps"] += int(np.count_nonzero(on_plane[pe.state]))
        SECONDS["route choice"] -= time.thread_time() - t0
        motion.choose(st)

    model.EvacuationModel.route_choice = staticmethod(timed("route choice", choose))
    model.EvacuationModel.movement = staticmethod(timed("movement", motion.move))
    model.EvacuationModel.step = timed("whole step", model.EvacuationModel.step)  # type: ignore[method-assign]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--drill", default="day", choices=["day", "night"])
    ap.add_argument("--seed", type=int, default=2027)
    ap.add_argument("--max-time", type=float, default=None, help="stop at this model time (s)")
    args = ap.parse_args()
    sc = scenarios.load(ROOT / "scenarios" / "library" / f"sample_hospital_{args.drill}_evacuation.yaml")
    assert isinstance(sc, EvacuationScenario)
    if args.max_time is not None:
        sc = sc.model_copy(update={"max_time": args.max_time})
    fac = scenarios.resolve_facility(sc)
    instrument()
    rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(1)[0])
    c0 = time.process_time()
    rep = run_replication(sc, fac, rng, 0)
    cpu = time.process_time() - c0
    k = rep.kpis
    print(f"{args.drill} seed {args.seed}: {k['evacuated']:.0f}/{k['total']:.0f} out, "
          f"{k['deadlocks']:.0f} flags, RSET {k['rset_s']:.0f} s; replication CPU {cpu:.1f} s")
    steps = max(CALLS["whole step"], 1)
    for name, sec in sorted(SECONDS.items(), key=lambda kv: -kv[1]):
        print(f"  {name:34} {sec:7.2f} s  {CALLS[name]:8d} calls  {1e6 * sec / steps:7.1f} us/step")
    for name in ("route choices", "walking, summed over steps", "on a plane, summed over steps"):
        print(f"  {name:34} {CALLS[name]:10d}  ({CALLS[name] / steps:.1f} per step)")


if __name__ == "__main__":
    main()
