"""Sweep benchmark: a 200-replication sweep of the Nelson treatment centre on each backend.

The sweep is ``resources.exam_room.count = 3, 4`` x 100 replications of
``scenarios/library/nelson_treatment_centre.yaml`` (200 replications), stored
to a temporary results folder.  Measured:

1. *bare*: the same 200 replications by the model's own function in a loop,
   no runner, no store: the work itself;
2. *local, 1 worker*: ``scenarios.sweep`` in this process, streamed to the
   store; its overhead per replication against *bare*;
3. *local, 2 workers*: the loky pool (started once before timing, as in the
   app where it is reused); speed-up over 1 worker;
4. *dask, 1 and 2 workers*: a local Dask cluster (started before timing);
   overhead and speed-up;
5. peak memory (``ru_maxrss`` of a fresh process) of stored runs of 50, 200
   and 800 replications in this process: it should not grow with the count.

Goals: speed-up >= 1.8x on 2 workers, overhead < 5 % of a replication,
memory flat.  On a shared machine the speed-up depends on the load, so the
load average is printed with the results.

Run: ``.venv/bin/python benchmarks/sweep_bench.py [--replications 100] [--skip-dask] [--skip-memory]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scenarios  # noqa: E402
from scenarios.replicate import generator, spawn_key  # noqa: E402

NELSON = ROOT / "scenarios" / "library" / "nelson_treatment_centre.yaml"
LEVER = "resources.exam_room.count=3,4"
MEMORY_CHILD = """
import resource, sys, tempfile
sys.path.insert(0, {root!r})
import scenarios
sc = scenarios.load({nelson!r})
with tempfile.TemporaryDirectory() as d:
    scenarios.run(sc, replications={n}, out=d + "/run", n_jobs=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _plan(replications: int) -> scenarios.Plan:
    sc = scenarios.load(NELSON).model_copy(update={"replications": replications})
    return scenarios.plan_from_vary(sc, [LEVER])


def bare(plan: scenarios.Plan) -> tuple[float, float]:
    """Wall and CPU seconds for every replication of the plan by the model function alone."""
    from scenarios.levers import apply_levers

    kind = scenarios.KINDS["operations"]
    variants = [apply_levers(plan.scenario, v) for v in plan.variants]
    facs = [scenarios.resolve_facility(sc) for sc in variants]
    t0, c0 = time.perf_counter(), time.process_time()
    for sc, fac in zip(variants, facs, strict=True):
        for i in range(sc.replications):
            kind.run_replication(sc, fac, generator(sc.seed, spawn_key(i)), i)
    return time.perf_counter() - t0, time.process_time() - c0


def timed_sweep(plan: scenarios.Plan, **kw: Any) -> tuple[float, float, scenarios.SweepResults]:
    """Wall seconds, CPU seconds of this process, and the results of a stored sweep."""
    with tempfile.TemporaryDirectory() as d:
        t0, c0 = time.perf_counter(), time.process_time()
        res = scenarios.sweep(plan, out=Path(d) / "sweep", **kw)
        return time.perf_counter() - t0, time.process_time() - c0, res


def _kpis(res: scenarios.SweepResults) -> list[list[dict[str, float]]]:
    return [[dict(r.kpis) for r in run.replications] for run in res.runs]


def peak_rss_mb(n: int) -> float:
    code = MEMORY_CHILD.format(root=str(ROOT), nelson=str(NELSON), n=n)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replications", type=int, default=100, help="per variant (2 variants)")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    plan = _plan(args.replications)
    n = len(plan.variants) * args.replications
    out: dict[str, Any] = {"replications": n, "load_before": os.getloadavg()}
    t_bare, c_bare = bare(plan)
    per_rep = t_bare / n
    out["bare_s"] = t_bare
    out["per_replication_ms"] = 1000 * per_rep
    t1, c1, r1 = timed_sweep(plan, n_jobs=1)
    out["local_1_s"] = t1
    out["local_overhead_pct"] = 100 * (t1 - t_bare) / t_bare
    # CPU time of this process: the store's own cost, whatever else the machine is doing
    out["local_overhead_cpu_pct"] = 100 * (c1 - c_bare) / c_bare
    scenarios.sweep(_plan(2), n_jobs=2)  # start the pool's workers before timing
    t2, _, r2 = timed_sweep(plan, n_jobs=2)
    out["local_2_s"] = t2
    out["local_speedup"] = t1 / t2
    assert _kpis(r1) == _kpis(r2), "local pool results differ from in-process results"
    if not args.skip_dask:
        from distributed import LocalCluster

        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:
                scenarios.sweep(_plan(2), backend="dask", scheduler=cluster.scheduler_address)  # warm up
                td, _, rd = timed_sweep(plan, backend="dask", scheduler=cluster.scheduler_address)
            assert _kpis(rd) == _kpis(r1), "dask results differ from in-process results"
            out[f"dask_{workers}_s"] = td
        out["dask_overhead_pct_1_worker"] = 100 * (out["dask_1_s"] - t_bare) / t_bare
        out["dask_speedup"] = out["dask_1_s"] / out["dask_2_s"]
    if not args.skip_memory:
        out["peak_rss_mb"] = {k: round(peak_rss_mb(k), 1) for k in (50, 200, 800)}
    out["load_after"] = os.getloadavg()
    print(f"{n} replications of {NELSON.name} ({LEVER}); one replication {1000 * per_rep:.1f} ms")
    print(f"  bare model loop            {t_bare:7.2f} s")
    print(f"  local, 1 worker (stored)   {t1:7.2f} s   overhead {out['local_overhead_pct']:+.1f} % wall, "
          f"{out['local_overhead_cpu_pct']:+.1f} % CPU")
    print(f"  local, 2 workers (stored)  {t2:7.2f} s   speed-up {out['local_speedup']:.2f}x")
    if "dask_1_s" in out:
        print(f"  dask, 1 worker (stored)    {out['dask_1_s']:7.2f} s   overhead "
              f"{out['dask_overhead_pct_1_worker']:+.1f} %")
        print(f"  dask, 2 workers (stored)   {out['dask_2_s']:7.2f} s   speed-up {out['dask_speedup']:.2f}x")
    if "peak_rss_mb" in out:
        print(f"  peak memory by replication count (MB): {out['peak_rss_mb']}")
    print(f"  load average before {np.round(out['load_before'], 2).tolist()}, after "
          f"{np.round(out['load_after'], 2).tolist()} on {os.cpu_count()} CPUs")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
