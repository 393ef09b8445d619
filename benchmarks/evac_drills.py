"""The sample hospital's day and night fire drills over many seeds: does everyone get out, with
no stall, and how long does it take to compute?

For each drill (``scenarios/library/sample_hospital_{day,night}_evacuation.yaml``) and each
seed, one replication is run as ``medtwin run --seed S --replications 1`` would run it, and one
line is printed: everyone out or not, deadlock (stall) flags, stranded, left behind, RSET, the
wall time of the replication and its peak memory (each seed runs in a fresh process unless
``--one-process`` is given).  A summary per drill
gives the spread of RSET over the seeds.

Usage (from the repository root)::

    .venv/bin/python benchmarks/evac_drills.py                    # both drills, seeds 0-9
    .venv/bin/python benchmarks/evac_drills.py --drills day --seeds 0 1 2 3 4

Targets (docs/evacuation.md): the day drill (1,508 people) in at most 30 s of wall time on one
core, peak memory at most 1 GB, and for both drills zero flags and everyone out on every seed.
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing as mp
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scenarios  # noqa: E402
from scenarios.evacuation import run_replication  # noqa: E402
from scenarios.evacuation.schema import EvacuationScenario  # noqa: E402


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def one_seed(name: str, seed: int) -> dict[str, float]:
    """One replication of a library drill, as ``medtwin run --seed SEED --replications 1`` runs it."""
    sc = scenarios.load(ROOT / "scenarios" / "library" / f"sample_hospital_{name}_evacuation.yaml")
    assert isinstance(sc, EvacuationScenario)
    fac = scenarios.resolve_facility(sc)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    t0 = time.perf_counter()
    rep = run_replication(sc, fac, rng, 0)
    wall = time.perf_counter() - t0
    gc.collect()
    k = rep.kpis
    return {"seed": seed, "total": k["total"], "out": k["evacuated"], "flags": k["deadlocks"],
            "stranded": k["stranded"], "left_behind": k.get("left_behind", 0.0), "rset": k["rset_s"],
            "wall": wall, "peak_mb": _peak_mb()}


def run_drill(name: str, seeds: list[int], *, own_process: bool = True) -> list[dict[str, float]]:
    """One replication per seed of a library drill; one printed line and one row per seed.

    With ``own_process`` each seed runs in a fresh process, so the peak memory printed is that
    replication's own (a process that runs several keeps the highest of them); otherwise all
    run in this one.
    """
    rows = []
    for seed in seeds:
        if own_process:
            with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
                row = pool.submit(one_seed, name, seed).result()
        else:
            row = one_seed(name, seed)
        rows.append(row)
        everyone = ("everyone out" if row["out"] == row["total"]
                    else f"{row['out']:.0f}/{row['total']:.0f} out")
        rset = "not all safe" if math.isnan(row["rset"]) else f"{row['rset']:.0f} s"
        print(f"{name:5} seed {row['seed']:2.0f}: {everyone:14} flags {row['flags']:3.0f}  "
              f"stranded {row['stranded']:3.0f}  "
              f"left behind {row['left_behind']:3.0f}  RSET {rset:>12}  wall {row['wall']:6.1f} s  "
              f"peak {row['peak_mb']:5.0f} MB", flush=True)
    rsets = np.array([r["rset"] for r in rows])
    ok = sum(r["out"] == r["total"] and r["flags"] == 0 and r["stranded"] == 0 for r in rows)
    done = rsets[np.isfinite(rsets)]
    spread = f"RSET {done.min():.0f}-{done.max():.0f} s (mean {done.mean():.0f})" if done.size else "no RSET"
    print(f"{name:5} summary: {ok} of {len(rows)} seeds clean (all out, no flag, none stranded); {spread}; "
          f"wall {np.mean([r['wall'] for r in rows]):.1f} s mean, {max(r['wall'] for r in rows):.1f} s max",
          flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--drills", nargs="+", default=["day", "night"], choices=["day", "night"])
    ap.add_argument("--seeds", nargs="+", type=int, default=list(range(10)))
    ap.add_argument("--one-process", action="store_true",
                    help="run every seed in this process (the peak printed is then the highest so far)")
    args = ap.parse_args()
    for name in args.drills:
        run_drill(name, args.seeds, own_process=not args.one_process)


if __name__ == "__main__":
    main()
