"""Benchmark: medtwin's evacuation model against JuPedSim 1.4.2 on the same rooms and people.

Cases (from the evacuation issue):
  A. a 20 x 10 m room, one 1 m exit, 500 agents;
  B. a 40 x 20 m room, two 1 m exits, 2,000 agents;
and the whole sample hospital (``scenarios/library/sample_hospital_day_evacuation.yaml``:
1,508 people, bed patients and staff, progressive horizontal then vertical
evacuation), medtwin only.

Both simulators get identical polygons (the room plus a 0.6 m strip outside
each exit, which JuPedSim uses as its exit stage) and identical start
positions and free speeds.  JuPedSim runs its collision-free speed model with
default parameters at its default dt = 0.01 s; medtwin runs its calibrated
defaults (dt = 0.05 s).  Printed per case: wall time to full evacuation,
simulated evacuation time, mean exit flow, and the wall-time ratio.

JuPedSim is not a medtwin dependency; it is in the ``bench`` extra, pinned in
``constraints.txt``: ``.venv/bin/pip install -c constraints.txt -e ".[bench]"``.

Usage:  .venv/bin/python benchmarks/evac_vs_jupedsim.py [--skip-hospital] [--only A|B] [--sim-cap S]

``--sim-cap S`` stops both simulators after S simulated seconds (default 1,500: to the end):
both then step the same people over the same simulated time, so the CPU ratio still compares
like with like on a machine too busy for the full runs (JuPedSim takes some 7 CPU minutes on
case B).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon, box

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.occupants import PROFILES
from scenarios.evacuation import EvacParams, PersonSpec, State, simulate
from scenarios.evacuation.testbeds import room

#: Simulated seconds after which a run is stopped and reported as unfinished (``--sim-cap``).
SIM_CAP = 1500.0

CASES = {
    "A": dict(w=20.0, d=10.0, exits=[("E1", 20.0, 5.0, 1.0)], n=500),
    "B": dict(w=40.0, d=20.0, exits=[("E1", 40.0, 5.0, 1.0), ("E2", 40.0, 15.0, 1.0)], n=2000),
}


def population(w: float, d: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping start positions (0.45 m apart, 0.35 m off walls) and Weidmann speeds."""
    pts: list[tuple[float, float]] = []
    grid: dict[tuple[int, int], list[tuple[float, float]]] = {}
    while len(pts) < n:
        p = (float(rng.uniform(0.35, w - 0.35)), float(rng.uniform(0.35, d - 0.35)))
        c = (int(p[0] / 0.5), int(p[1] / 0.5))
        near = [q for dx in (-1, 0, 1) for dy in (-1, 0, 1) for q in grid.get((c[0] + dx, c[1] + dy), [])]
        if all((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 >= 0.45 ** 2 for q in near):
            pts.append(p)
            grid.setdefault(c, []).append(p)
    speeds = PROFILES["visitor"].sample_speed(n, rng)
    return np.array(pts), speeds


def apron(x: float, y: float, width: float, w: float) -> Polygon:
    """The 0.6 m strip outside an exit on the east (x == w) wall."""
    return box(w, y - width / 2, w + 0.6, y + width / 2)


def run_medtwin(case: dict, pos: np.ndarray, speeds: np.ndarray, cap: float = SIM_CAP) -> dict[str, float]:
    fac = room(case["w"], case["d"], case["exits"])
    people = [PersonSpec(id=f"p{k}", profile="visitor", space="R", position=(float(x), float(y)),
                         premove=0.0, speed=float(v))
              for k, ((x, y), v) in enumerate(zip(pos, speeds, strict=True))]
    t0, c0 = time.perf_counter(), time.process_time()
    m = simulate(fac, people, EvacParams(trajectories=False, max_time=cap), np.random.default_rng(0))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ts = np.sort(m.recorder.tables()["door_flows"].to_pandas()["time"].to_numpy())
    return {"wall_s": wall, "cpu_s": cpu, "evac_s": float(np.nanmax(m.people.t_reach, initial=0.0)),
            "out": float((m.people.state == State.OUT).sum()), "flow": (ts.size - 1) / (ts[-1] - ts[0]),
            "deadlocks": float(len(m.deadlocks))}


def run_jupedsim(case: dict, pos: np.ndarray, speeds: np.ndarray,
                 cap: float = SIM_CAP) -> dict[str, float] | None:
    try:
        import jupedsim as jps
    except ImportError:
        print("  JuPedSim is not installed: .venv/bin/pip install jupedsim==1.4.2 (benchmark only)")
        return None
    w, d = case["w"], case["d"]
    aprons = [apron(x, y, ew, w) for _, x, y, ew in case["exits"]]
    geo = shapely.union_all([box(0, 0, w, d), *aprons])
    sim = jps.Simulation(model=jps.CollisionFreeSpeedModel(), geometry=geo)
    stages = [sim.add_exit_stage(a) for a in aprons]
    journeys = [sim.add_journey(jps.JourneyDescription([s])) for s in stages]
    exit_xy = np.array([(x, y) for _, x, y, _ in case["exits"]])
    for (x, y), v in zip(pos, speeds, strict=True):
        k = int(np.argmin(np.hypot(exit_xy[:, 0] - x, exit_xy[:, 1] - y)))  # nearest exit
        sim.add_agent(jps.CollisionFreeSpeedModelAgentParameters(
            journey_id=journeys[k], stage_id=stages[k], position=(float(x), float(y)), radius=0.2,
            desired_speed=float(v)))
    n = sim.agent_count()
    times: list[float] = []
    t0, c0 = time.perf_counter(), time.process_time()
    while sim.agent_count() > 0 and sim.elapsed_time() < cap:
        sim.iterate()
        left = n - sim.agent_count()
        times.extend([sim.elapsed_time()] * (left - len(times)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ts = np.array(times)
    return {"wall_s": wall, "cpu_s": cpu, "evac_s": float(sim.elapsed_time()), "out": float(ts.size),
            "flow": (ts.size - 1) / (ts[-1] - ts[0]) if ts.size > 1 else float("nan"), "deadlocks": 0.0}


def hospital() -> None:
    """The built-in daytime drill (>= 1,500 people), run to the end; wall time includes set-up."""
    import scenarios

    path = (Path(__file__).resolve().parents[1] / "scenarios" / "library"
            / "sample_hospital_day_evacuation.yaml")
    sc = scenarios.load(path)
    t0 = time.perf_counter()
    res = scenarios.run(sc, replications=1)
    wall = time.perf_counter() - t0
    k = res.kpis
    print(f"hospital: {int(k['total']['mean'])} people, wall {wall:.1f} s (goal 60 s), simulated "
          f"{k['sim_time_s']['mean']:.0f} s, evacuated {int(k['evacuated']['mean'])}, "
          f"remaining {int(k['remaining']['mean'])}, stranded {int(k['stranded']['mean'])}, "
          f"deadlocks {int(k['deadlocks']['mean'])}, RSET {k['rset_s']['mean']:.0f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-hospital", action="store_true")
    ap.add_argument("--only", choices=sorted(CASES), default=None)
    ap.add_argument("--sim-cap", type=float, default=SIM_CAP, help="simulated seconds, at most (both)")
    args = ap.parse_args()
    for name, case in CASES.items():
        if args.only and name != args.only:
            continue
        pos, speeds = population(case["w"], case["d"], case["n"], np.random.default_rng(42))
        print(f"case {name}: {case['w']:.0f} x {case['d']:.0f} m, {len(case['exits'])} x 1 m exit(s), "
              f"{case['n']} agents")
        mt = run_medtwin(case, pos, speeds, args.sim_cap)
        print(f"  medtwin : wall {mt['wall_s']:7.1f} s (CPU {mt['cpu_s']:.1f} s), "
              f"evacuation {mt['evac_s']:6.1f} s, "
              f"exit flow {mt['flow']:.2f} P/s, out {int(mt['out'])}, deadlocks {int(mt['deadlocks'])}")
        jp = run_jupedsim(case, pos, speeds, args.sim_cap)
        if jp is not None:
            print(f"  JuPedSim: wall {jp['wall_s']:7.1f} s (CPU {jp['cpu_s']:.1f} s), "
                  f"evacuation {jp['evac_s']:6.1f} s, "
                  f"exit flow {jp['flow']:.2f} P/s, out {int(jp['out'])} of {case['n']}")
            print(f"  wall-time ratio medtwin/JuPedSim = {mt['wall_s'] / jp['wall_s']:.2f} (goal <= 0.1), "
                  f"CPU-time ratio {mt['cpu_s'] / jp['cpu_s']:.2f} (the one to read on a shared machine)")
    if not args.skip_hospital:
        hospital()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
