"""Sweep benchmark: a 200-replication sweep of the Nelson treatment centre on each backend.

The sweep is ``resources.exam_room.count = 3, 4`` x 100 replications of
``scenarios/library/nelson_treatment_centre.yaml`` (200 replications), stored
to a temporary results folder.  Measured:

1. *bare*: the same 200 replications by the model's own function in a loop,
   no runner, no store: the work itself;
2. *local, 1 worker*: ``scenarios.sweep`` in this process, streamed to the
   store; its overhead per replication against *bare*;
3. *local, 2 workers*: the loky pool (started once before timing, as in the
   app where it is reused); speed-up over 1 worker.  Here and on Dask the
   workers see the run folder, so they write their batches' parts themselves
   (:mod:`scenarios.store.drop`) and send back no tables;
4. *dask, 1 and 2 workers*: a local Dask cluster (started before timing,
   with the settings of the clusters medtwin starts itself,
   ``scenarios.backends.LOCAL_CLUSTER_CONFIG``); overhead and speed-up.
   A cluster's scheduler, nannies and workers spend CPU for as long as they
   live (heartbeats, memory and system monitors), whatever they run: that
   rate is measured on the idle cluster before and after timing (the
   lesser is kept, as other work on the machine only adds) and shown apart, so
   the overhead medtwin adds per replication can be read next to the
   cluster's own upkeep;
5. peak memory (``VmHWM`` of a fresh process) of stored runs of 50, 400
   and 1600 replications (``--memory-counts``) in this process: it should
   not grow with the count once the store's 32 MB buffer has filled.

Goals: speed-up >= 1.8x on 2 workers, overhead < 5 % of a replication,
memory flat.

Speed-up is printed two ways.  *Wall*: 1-worker wall time over 2-worker
wall time, with the load average measured right after each run; it means
something only while the load stays below the CPU count.  *CPU bound*:
``2 x CPU(1 worker) / CPU(2 workers)``, the CPU seconds of all processes:
on two otherwise idle CPUs a 1-worker run takes at least its CPU time in
wall time (about exactly: it is one thread of work) and a 2-worker run at
least half of its own, so the wall speed-up cannot exceed this bound, and
reaches it when the two workers overlap perfectly.  CPU seconds barely
depend on other work on the machine, so this is the figure that can be read
under load; it says what the runner and the store leave of the ideal 2x.

The machine may be shared, so every configuration is measured in wall time
*and* in CPU seconds of this process and all its worker processes
(``getrusage`` of self and reaped children, plus ``psutil`` for the live
pool and cluster workers).  CPU seconds barely depend on what else runs, so
the CPU overhead (and the CPU the 2-worker runs spend beyond the 1-worker
ones) is the number to trust on a loaded machine; wall speed-ups are only
meaningful at a load average below the CPU count, printed with the results.
*bare* and *local, 1 worker* are measured ``--repeat`` times, alternating,
and the least of each is kept (interference only ever adds time).  So are
the local pool and each Dask cluster, one sweep after another: on a shared
machine a single sweep's overhead moves by more than any one of the costs
left (a pool of 2 running the same code, eight sweeps and eight more
alternated with them in one process, 7.1 to 13.6 % of the replications'
CPU, medians 9.2 and 7.8 %).  Every measurement is printed, and the figures of the
one with the least overhead per replication are the headline.

Each overhead is also read *in the run*: the CPU of all processes less the
model's own CPU, which each replication records (``cpu_seconds`` in the
manifest) on whatever worker ran it.  Both sides of that difference see the
same load, so it holds on a busy machine, where two separate loops differed
by up to 20 %.  Every process counts, a local cluster's scheduler (in this
process) and its idle upkeep included.  *Per replication* is that overhead
less what a sweep costs whatever its size (:func:`fixed_cost`, measured on
sweeps of one replication per variant), shared among the replications.

Run: ``.venv/bin/python benchmarks/sweep_bench.py [--replications 100] [--repeat 3] [--skip-dask]
[--skip-memory] [--memory-counts 50,400,1600]`` (``distributed`` and ``psutil`` come with
medtwin's dependencies).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scenarios  # noqa: E402
from scenarios.replicate import generator, spawn_key  # noqa: E402
from scenarios.store import open_run  # noqa: E402

NELSON = ROOT / "scenarios" / "library" / "nelson_treatment_centre.yaml"
LEVER = "resources.exam_room.count=3,4"
#: Seconds the idle cluster is watched for its upkeep.
IDLE_S = 3.0
# The peak is read from /proc (VmHWM, in kB), which starts afresh with the new program:
# ru_maxrss keeps the parent's peak across fork and exec, so every child of a large
# benchmark process reported the same (the parent's) peak whatever its count.
MEMORY_CHILD = """
import resource, sys, tempfile
sys.path.insert(0, {root!r})
import scenarios
sc = scenarios.load({nelson!r})
with tempfile.TemporaryDirectory() as d:
    scenarios.run(sc, replications={n}, out=d + "/run", n_jobs=1)
try:
    with open("/proc/self/status") as f:
        print(next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")))
except OSError:  # not Linux: ru_maxrss (kB there too on Linux-like systems)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _plan(replications: int) -> scenarios.Plan:
    sc = scenarios.load(NELSON).model_copy(update={"replications": replications})
    return scenarios.plan_from_vary(sc, [LEVER])


def cpu_seconds() -> float:
    """CPU seconds of this process and every process it started, living or reaped."""
    import psutil

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    for child in psutil.Process().children(recursive=True):
        try:
            t = child.cpu_times()
        except psutil.Error:  # ended meanwhile (its time is then in RUSAGE_CHILDREN, or lost)
            continue
        total += t.user + t.system
    return total


def bare(plan: scenarios.Plan) -> tuple[float, float]:
    """Wall and CPU seconds for every replication of the plan by the model function alone."""
    from scenarios.levers import apply_levers

    kind = scenarios.KINDS["operations"]
    variants = [apply_levers(plan.scenario, v) for v in plan.variants]
    facs = [scenarios.resolve_facility(sc) for sc in variants]
    t0, c0 = time.perf_counter(), cpu_seconds()
    for sc, fac in zip(variants, facs, strict=True):
        for i in range(sc.replications):
            kind.run_replication(sc, fac, generator(sc.seed, spawn_key(i)), i)
    return time.perf_counter() - t0, cpu_seconds() - c0


def own_cpu_seconds() -> float:
    """CPU seconds of this process alone (the runner, the store and, for a local cluster, its scheduler)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def timed_sweep(plan: scenarios.Plan, **kw: Any) -> tuple[float, float, scenarios.SweepResults, float, float]:
    """Wall seconds, CPU seconds of all processes, the results of a stored sweep, the model's CPU,
    and the CPU of this process alone.

    The model's CPU is the sum of each replication's own thread CPU as its
    manifest records it (``cpu_seconds``), measured in the same run as the
    total: on a loaded machine the two see the same contention, so their
    difference (the runner's and the store's work) can be read under any load.
    """
    with tempfile.TemporaryDirectory() as d:
        t0, c0, o0 = time.perf_counter(), cpu_seconds(), own_cpu_seconds()
        res = scenarios.sweep(plan, out=Path(d) / "sweep", **kw)
        wall, cpu, own = time.perf_counter() - t0, cpu_seconds() - c0, own_cpu_seconds() - o0
        model = sum(float(r["cpu_seconds"]) for run in res.runs if run.path is not None
                    for r in open_run(run.path).manifest["replication_status"])
        return wall, cpu, res, model, own


def fixed_cost(**kw: Any) -> float:
    """CPU seconds of all processes a stored sweep costs beyond its replications whatever their count.

    Starting the run (the shared Dask client checked, the building sent to
    the workers, the folders claimed) and finishing it (summaries, manifests)
    cost about the same for 1 replication as for 100: measured on sweeps of
    one replication per variant, the least of three (other work only adds).
    What is left of the overhead, shared among the replications, is the cost
    per replication the goal is about.
    """
    costs = []
    for _ in range(3):
        _, cpu, _, model, _ = timed_sweep(_plan(1), **kw)
        costs.append(cpu - model)
    return min(costs)


def _kpis(res: scenarios.SweepResults) -> list[list[dict[str, float]]]:
    return [[dict(r.kpis) for r in run.replications] for run in res.runs]


def idle_cpu_rate(seconds: float) -> float:
    """CPU seconds per second this process and its children spend while nothing is submitted."""
    c0, t0 = cpu_seconds(), time.perf_counter()
    time.sleep(seconds)
    return (cpu_seconds() - c0) / (time.perf_counter() - t0)


def peak_rss_mb(n: int) -> float:
    code = MEMORY_CHILD.format(root=str(ROOT), nelson=str(NELSON), n=n)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replications", type=int, default=100, help="per variant (2 variants)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="measurements of bare, local 1 worker, the pool and each Dask cluster")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--memory-counts", default="50,400,1600",
                    help="replication counts of the stored runs whose peak memory is measured")
    args = ap.parse_args()
    plan = _plan(args.replications)
    n = len(plan.variants) * args.replications
    out: dict[str, Any] = {"replications": n, "load_before": os.getloadavg(), "uptime_before": _uptime()}
    bare(_plan(2))  # imports and caches warm, as in a real session
    timed_sweep(_plan(2), n_jobs=1)  # and the building hashed once, as the app does once while it runs
    bares, ones, inrun, per_rep = [], [], [], []
    fixed_1 = fixed_cost(n_jobs=1)
    for _ in range(args.repeat):
        bares.append(bare(plan))
        t, c, r1, model, _ = timed_sweep(plan, n_jobs=1)
        ones.append((t, c))
        load_1 = os.getloadavg()[0]
        inrun.append(100 * (c - model) / model)
        per_rep.append(100 * (c - model - fixed_1) / model)
    t_bare, c_bare = min(w for w, _ in bares), min(c for _, c in bares)
    t1, c1 = min(w for w, _ in ones), min(c for _, c in ones)
    out.update(bare_s=t_bare, bare_cpu_s=c_bare, per_replication_ms=1000 * c_bare / n,
               local_1_s=t1, local_1_cpu_s=c1,
               local_overhead_pct=100 * (t1 - t_bare) / t_bare,
               local_overhead_cpu_pct=100 * (c1 - c_bare) / c_bare,
               all_bare_cpu_s=[round(c, 3) for _, c in bares],
               all_local_1_cpu_s=[round(c, 3) for _, c in ones],
               local_inrun_overhead_cpu_pct=min(inrun),
               all_local_inrun_overhead_cpu_pct=[round(x, 2) for x in inrun],
               local_1_fixed_cpu_s=fixed_1, local_1_per_rep_overhead_cpu_pct=min(per_rep))
    scenarios.sweep(_plan(2), n_jobs=2)  # start the pool's workers before timing
    fixed_2 = fixed_cost(n_jobs=2)
    pooled = [timed_sweep(plan, n_jobs=2) for _ in range(args.repeat)]
    for _, _, r2, _, _ in pooled:
        assert _kpis(r1) == _kpis(r2), "local pool results differ from in-process results"
    out["all_local_2_per_rep_overhead_cpu_pct"] = [round(100 * (c - m - fixed_2) / m, 2)
                                                   for _, c, _, m, _ in pooled]
    _, c2_least, r2, m2, o2 = _least_overhead(pooled, fixed_2)
    # wall and CPU each the least, as for 1 worker: the speed-ups compare like with like
    t2, c2 = min(t for t, *_ in pooled), min(c for _, c, *_ in pooled)
    out["load_local_1"] = load_1
    out["load_local_2"] = os.getloadavg()[0]
    out.update(local_2_s=t2, local_2_cpu_s=c2, local_speedup=t1 / t2, local_speedup_cpu_bound=2 * c1 / c2,
               local_2_extra_cpu_pct=100 * (c2 - c1) / c1,
               local_2_inrun_overhead_cpu_pct=100 * (c2_least - m2) / m2, local_2_fixed_cpu_s=fixed_2,
               local_2_per_rep_overhead_cpu_pct=100 * (c2_least - m2 - fixed_2) / m2,
               # where it goes: this process (runner, store, the pool's threads), the workers beyond the model
               local_2_client_cpu_pct=100 * o2 / m2,
               local_2_workers_extra_cpu_pct=100 * (c2_least - o2 - m2) / m2)
    # The pool's worker processes are this process's children: stop them, or what they still
    # spend (one was seen at 0.14 CPU s/s for seconds after a run) is counted as Dask's.
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor(max_workers=2).shutdown(wait=True)
    if not args.skip_dask:
        import dask
        from distributed import LocalCluster

        from scenarios.backends import LOCAL_CLUSTER_CONFIG, close_dask_clients

        for workers in (1, 2):
            with dask.config.set(LOCAL_CLUSTER_CONFIG), \
                    LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster:
                scenarios.sweep(_plan(2), backend="dask", scheduler=cluster.scheduler_address)  # warm up
                before = idle_cpu_rate(IDLE_S)
                fixed = fixed_cost(backend="dask", scheduler=cluster.scheduler_address)
                runs = [timed_sweep(plan, backend="dask", scheduler=cluster.scheduler_address)
                        for _ in range(args.repeat)]
                out[f"load_dask_{workers}"] = os.getloadavg()[0]
                upkeep = min(before, idle_cpu_rate(IDLE_S))  # the quieter look: other work only adds
                # The runs shared one client of this cluster; closed with it, it would try to reconnect.
                close_dask_clients()
            for _, _, rd, _, _ in runs:
                assert _kpis(rd) == _kpis(r1), "dask results differ from in-process results"
            out[f"all_dask_{workers}_per_rep_overhead_cpu_pct"] = [round(100 * (c - m - fixed) / m, 2)
                                                                  for _, c, _, m, _ in runs]
            _, cd_least, rd, md, od = _least_overhead(runs, fixed)
            td, cd = min(t for t, *_ in runs), min(c for _, c, *_ in runs)  # for the speed-ups, as above
            out[f"dask_{workers}_s"], out[f"dask_{workers}_cpu_s"] = td, cd
            out[f"dask_{workers}_upkeep_cpu_per_s"] = upkeep
            out[f"dask_{workers}_inrun_overhead_cpu_pct"] = 100 * (cd_least - md) / md
            out[f"dask_{workers}_fixed_cpu_s"] = fixed
            out[f"dask_{workers}_per_rep_overhead_cpu_pct"] = 100 * (cd_least - md - fixed) / md
            out[f"dask_{workers}_inrun_upkeep_cpu_pct"] = 100 * upkeep * td / md
            # where it goes: this process (runner, store, scheduler) and the workers beyond the model
            out[f"dask_{workers}_client_cpu_pct"] = 100 * od / md
            out[f"dask_{workers}_workers_extra_cpu_pct"] = 100 * (cd_least - od - md) / md
        out["dask_overhead_pct_1_worker"] = 100 * (out["dask_1_s"] - t_bare) / t_bare
        out["dask_overhead_cpu_pct_1_worker"] = 100 * (out["dask_1_cpu_s"] - c_bare) / c_bare
        out["dask_upkeep_cpu_pct_1_worker"] = 100 * out["dask_1_upkeep_cpu_per_s"] * out["dask_1_s"] / c_bare
        out["dask_speedup"] = out["dask_1_s"] / out["dask_2_s"]
        out["dask_speedup_cpu_bound"] = 2 * out["dask_1_cpu_s"] / out["dask_2_cpu_s"]
    if not args.skip_memory:
        out["peak_rss_mb"] = {k: round(peak_rss_mb(k), 1) for k in map(int, args.memory_counts.split(","))}
    out["load_after"] = os.getloadavg()
    out["uptime_after"] = _uptime()
    print(f"{n} replications of {NELSON.name} ({LEVER}); "
          f"one replication {out['per_replication_ms']:.1f} ms CPU")
    print(f"  bare model loop            {t_bare:7.2f} s  {c_bare:7.2f} s CPU")
    print(f"  local, 1 worker (stored)   {t1:7.2f} s  {c1:7.2f} s CPU   overhead "
          f"{out['local_overhead_pct']:+.1f} % wall, {out['local_overhead_cpu_pct']:+.1f} % CPU; "
          f"in the run {out['local_inrun_overhead_cpu_pct']:+.1f} % CPU; per replication "
          f"{out['local_1_per_rep_overhead_cpu_pct']:+.1f} % beside {1000 * fixed_1:.0f} ms a sweep "
          f"(each measurement: {[round(x, 2) for x in per_rep]})")
    print(f"  local, 2 workers (stored)  {t2:7.2f} s  {c2:7.2f} s CPU   speed-up "
          f"{out['local_speedup']:.2f}x wall (load {out['load_local_1']:.1f} and {out['load_local_2']:.1f} "
          f"on {os.cpu_count()} CPUs), at most {out['local_speedup_cpu_bound']:.2f}x from CPU; "
          f"CPU {out['local_2_extra_cpu_pct']:+.1f} % vs 1 worker; "
          f"in the run {out['local_2_inrun_overhead_cpu_pct']:+.1f} % CPU (this process "
          f"{out['local_2_client_cpu_pct']:.1f} %, workers beyond the model "
          f"{out['local_2_workers_extra_cpu_pct']:.1f} %); per replication "
          f"{out['local_2_per_rep_overhead_cpu_pct']:+.1f} % beside {1000 * fixed_2:.0f} ms a sweep "
          f"(each measurement: {out['all_local_2_per_rep_overhead_cpu_pct']})")
    if "dask_1_s" in out:
        print(f"  dask, 1 worker (stored)    {out['dask_1_s']:7.2f} s  {out['dask_1_cpu_s']:7.2f} s CPU   "
              f"overhead {out['dask_overhead_pct_1_worker']:+.1f} % wall, "
              f"{out['dask_overhead_cpu_pct_1_worker']:+.1f} % CPU, of which the idle cluster's upkeep "
              f"{out['dask_upkeep_cpu_pct_1_worker']:.1f} % ({out['dask_1_upkeep_cpu_per_s']:.3f} CPU s/s); "
              f"in the run {out['dask_1_inrun_overhead_cpu_pct']:+.1f} % CPU, of which upkeep "
              f"{out['dask_1_inrun_upkeep_cpu_pct']:.1f} %; this process "
              f"{out['dask_1_client_cpu_pct']:.1f} %, workers beyond the model "
              f"{out['dask_1_workers_extra_cpu_pct']:.1f} %; per replication "
              f"{out['dask_1_per_rep_overhead_cpu_pct']:+.1f} % beside "
              f"{1000 * out['dask_1_fixed_cpu_s']:.0f} ms a sweep "
              f"(each measurement: {out['all_dask_1_per_rep_overhead_cpu_pct']})")
        print(f"  dask, 2 workers (stored)   {out['dask_2_s']:7.2f} s  {out['dask_2_cpu_s']:7.2f} s CPU   "
              f"speed-up {out['dask_speedup']:.2f}x wall (load {out['load_dask_1']:.1f} and "
              f"{out['load_dask_2']:.1f}), at most {out['dask_speedup_cpu_bound']:.2f}x from CPU; "
              f"in the run {out['dask_2_inrun_overhead_cpu_pct']:+.1f} % "
              f"CPU, of which upkeep {out['dask_2_inrun_upkeep_cpu_pct']:.1f} %; this process "
              f"{out['dask_2_client_cpu_pct']:.1f} %, workers beyond the model "
              f"{out['dask_2_workers_extra_cpu_pct']:.1f} %; per replication "
              f"{out['dask_2_per_rep_overhead_cpu_pct']:+.1f} % beside "
              f"{1000 * out['dask_2_fixed_cpu_s']:.0f} ms a sweep "
              f"(each measurement: {out['all_dask_2_per_rep_overhead_cpu_pct']})")
    if "peak_rss_mb" in out:
        print(f"  peak memory by replication count (MB): {out['peak_rss_mb']}")
    print(f"  uptime before: {out['uptime_before']}")
    print(f"  uptime after:  {out['uptime_after']}  ({os.cpu_count()} CPUs)")
    print(json.dumps(out))


def _least_overhead(runs: list[tuple[float, float, scenarios.SweepResults, float, float]],
                    fixed: float) -> tuple[float, float, scenarios.SweepResults, float, float]:
    """The measurement (wall, CPU, results, model CPU, this process's CPU) whose overhead per
    replication was least: interference from other work on the machine only adds to it."""
    return min(runs, key=lambda r: (r[1] - r[3] - fixed) / r[3])


def _uptime() -> str:
    """``uptime``'s line (load averages over 1, 5 and 15 minutes)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
