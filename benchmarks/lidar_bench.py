"""LiDAR pipeline benchmark: accuracy on every sample level and the real scans, speed and memory.

Run from the repository root::

    .venv/bin/python benchmarks/lidar_bench.py            # everything (about 5 minutes on 2 cores)
    .venv/bin/python benchmarks/lidar_bench.py --quick    # 4 cm scans, 3 M-point speed run
    .venv/bin/python benchmarks/lidar_bench.py --building # 4-storey hospital at 0/30/45 degrees
    .venv/bin/python benchmarks/lidar_bench.py --building --closed 0.3  # a third of its doors shut
    .venv/bin/python benchmarks/lidar_bench.py --speed    # only the 10 M-point storey and its peer
    .venv/bin/python benchmarks/lidar_bench.py --big 100000000  # 100 M-point 4-storey LAS, time and memory

What it prints:

1. Accuracy of :func:`lidar.extract` on a synthetic scan (``--spacing``, 2 cm
   by default, furniture clutter) of every level of the sample hospital:
   room F1 at IoU >= 0.5, mean matched IoU, door F1 (0.3 m), door width MAE,
   graph edge F1 and shortest-path error, against the targets.
2. The two real scans in ``../shared/data``: corridor length, rooms, doors and
   their widths, whether the navigation graph is connected.
3. Speed: one level resampled to exactly ``--points`` points, written to PLY
   and extracted in a fresh process (wall time, peak RSS, points/s per
   stage, CPU time), with a peer measured in the same run on the same cloud
   loaded in memory: Open3D's own ``voxel_down_sample`` +
   ``remove_statistical_outlier``, against our ``voxel_downsample`` +
   ``remove_isolated`` (the ratio is printed).
4. ``--big``: the whole 4-storey hospital resampled to 100 M points in one
   LAS file, extracted in a fresh process: each stage as it ends (per storey
   too), wall and CPU time and peak RSS against 3 minutes and 8 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from facility.model import Facility

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TARGETS = {"room_f1": 0.95, "mean_room_iou": 0.90, "door_f1": 0.95, "door_width_mae": 0.05, "edge_f1": 0.95}


def _accuracy_table(spacing: float, seed: int) -> list[dict[str, float | str]]:
    from facility.sample import sample
    from lidar import SynthOptions, accuracy, extract, synthesize
    from lidar.synth import truth_for_levels

    fac = sample()
    rows: list[dict[str, float | str]] = []
    for i, lv in enumerate(fac.levels):
        t0 = time.perf_counter()
        pts = synthesize(fac, rng=np.random.default_rng(seed + i),
                         options=SynthOptions(spacing=spacing, levels=(lv.id,)))
        t1 = time.perf_counter()
        ex = extract(pts)
        t2 = time.perf_counter()
        acc = accuracy(ex.facility, truth_for_levels(fac, [lv.id])).as_dict()
        rows.append({"level": lv.id, "points": float(len(pts)), "synth_s": t1 - t0, "extract_s": t2 - t1,
                     **acc})
        print(f"  {lv.id}: {len(pts):,} points, synth {t1 - t0:.1f} s, extract {t2 - t1:.1f} s", flush=True)
    return rows


def _print_accuracy(rows: list[dict[str, float | str]]) -> bool:
    cols = ["room_f1", "mean_room_iou", "door_f1", "door_width_mae", "edge_f1", "path_length_rel_error",
            "rooms_true", "rooms_found", "doors_true", "doors_found"]
    print("| level | " + " | ".join(cols) + " |")
    print("|" + "---|" * (len(cols) + 1))
    ok = True
    for r in rows:
        print(f"| {r['level']} | " + " | ".join(f"{float(r[c]):.4g}" for c in cols) + " |")
    marks = [(f"{'<=' if c == 'door_width_mae' else '>='} {TARGETS[c]}" if c in TARGETS else "")
             for c in cols]
    print("| target | " + " | ".join(marks) + " |")
    for c, t in TARGETS.items():
        vals = [float(r[c]) for r in rows]
        worst = max(vals) if c == "door_width_mae" else min(vals)
        met = worst <= t if c == "door_width_mae" else worst >= t
        ok &= met
        print(f"  {c}: worst level {worst:.4f} vs target {t}: {'met' if met else 'MISSED'}")
    return ok


def _real_scans() -> None:
    import networkx as nx

    from facility.graph import OUTSIDE
    from facility.model import SpaceKind
    from facility.validate import validate
    from lidar import extract

    files = [DATA / "fr079" / "geb079_occupied_voxels_8cm.ply", DATA / "office_room" / "room1_gt_fine.pcd"]
    for f in files:
        if not f.exists():
            print(f"  {f.name}: missing ({f}), skipped")
            continue
        t0 = time.perf_counter()
        ex = extract(f)
        dt = time.perf_counter() - t0
        fac = ex.facility
        corr = [s for s in fac.spaces if s.kind is SpaceKind.CORRIDOR]
        spans = [max(s.polygon.bounds[2] - s.polygon.bounds[0], s.polygon.bounds[3] - s.polygon.bounds[1])
                 for s in corr]
        longest = max(spans, default=0.0)
        g = fac.graph.subgraph(n for n in fac.graph.nodes if n != OUTSIDE)
        main = max(corr, key=lambda s: s.area).id if corr else None
        joined = {d.other(main) for d in fac.doors if main in d.spaces} if main else set()
        errors = [i for i in validate(fac) if i.severity == "error"]
        print(f"  {f.name}: {dt:.1f} s; {len(fac.spaces)} spaces ({len(corr)} corridor(s), longest "
              f"{longest:.1f} m), {len(fac.doors)} doors (widths {sorted(d.width for d in fac.doors)}), "
              f"{len(joined)} spaces joined to the main corridor, graph connected: {nx.is_connected(g)}, "
              f"valid: {not errors}, exits {len(fac.exits)} "
              f"(provisional {fac.metadata['provisional_exits']}), "
              f"{len(ex.report.warnings)} warnings")


def _speed(points: int, spacing: float) -> None:
    from facility.sample import sample
    from lidar import SynthOptions, synthesize
    from lidar.writers import write_cloud

    fac = sample()
    pts = synthesize(fac, rng=np.random.default_rng(99),
                     options=SynthOptions(spacing=spacing, levels=("L0",)))
    rng = np.random.default_rng(1)
    # Exactly ``points`` points: resample the level (with 5 mm jitter where points repeat).
    idx = rng.choice(len(pts), size=points, replace=points > len(pts))
    cloud = pts[idx] + (rng.normal(0, 0.005, (points, 3)) if points > len(pts) else 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "level.ply"
        write_cloud(cloud, path)
        del cloud, pts
        out = subprocess.run([sys.executable, __file__, "--speed-child", str(path)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        peer = subprocess.run([sys.executable, __file__, "--peer-child", str(path)],
                              capture_output=True, text=True, check=True, cwd=ROOT)
        peer_res = json.loads(peer.stdout.strip().splitlines()[-1])
    print(f"  {points:,} points ({res['points']:,} kept while reading) from PLY to facility: "
          f"{res['wall_s']:.1f} s wall, {res['cpu_s']:.1f} s CPU "
          f"(target <= 10 s: {'met' if res['wall_s'] <= 10 else 'MISSED'}), "
          f"peak RSS {res['peak_rss_gb']:.2f} GB "
          f"(target <= 2 GB: {'met' if res['peak_rss_gb'] <= 2 else 'MISSED'})")
    print("  | stage | seconds | points | points/s |")
    print("  |---|---|---|---|")
    for st in res["timings"]:
        print(f"  | {st['stage']} | {st['seconds']:.2f} | {st['points']:,} | "
              f"{st['points_per_second']:,.0f} |")
    ours = peer_res["ours"]
    print("  peer (same cloud in memory, same process): Open3D voxel_down_sample(0.05) + "
          "remove_statistical_outlier(20, 2.0) "
          f"{peer_res['seconds']:.2f} s vs our voxel_downsample + remove_isolated {ours:.2f} s: ratio "
          f"ours/peer {ours / peer_res['seconds']:.2f}")


def _peak_rss_gb() -> float:
    """This process's peak resident memory (GB) since it started.

    ``getrusage``'s ``ru_maxrss`` survives ``exec``: a child started from the
    benchmark reported the parent's peak (the synthetic scan it had just made,
    2.3 GB) as its own.  The kernel's high-water mark of the process's memory
    (``VmHWM``) starts afresh with the new program.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2  # kB -> GB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _stage_line(stage: str, done: int, total: int) -> None:
    if done >= total:
        print(f"{time.strftime('%H:%M:%S')} {stage} done", file=sys.stderr, flush=True)


def _speed_child(path: str, stages: bool = False) -> None:
    from lidar import extract

    t0 = time.perf_counter()
    ex = extract(path, progress=_stage_line if stages else None)
    wall = time.perf_counter() - t0
    use = resource.getrusage(resource.RUSAGE_SELF)
    peak = _peak_rss_gb()
    # CPU time as well: on a shared machine the wall time is mostly waiting for a core.
    print(json.dumps({"points": ex.report.points_read, "wall_s": wall, "peak_rss_gb": peak,
                      "cpu_s": use.ru_utime + use.ru_stime,
                      "timings": ex.report.to_dict()["timings"],
                      "spaces": len(ex.facility.spaces)}))


def _peer_child(path: str) -> None:
    """Open3D's thinning and outlier removal against ours, on the same cloud loaded in memory."""
    import open3d as o3d

    from lidar import ExtractOptions, read
    from lidar.preprocess import point_spacing, remove_isolated, voxel_downsample

    opt = ExtractOptions()
    cloud = o3d.io.read_point_cloud(Path(path))
    t0 = time.perf_counter()
    down = cloud.voxel_down_sample(opt.voxel)
    down.remove_statistical_outlier(nb_neighbors=20, std_ratio=2.0)
    peer = time.perf_counter() - t0
    del cloud, down
    pts = read(path)
    t0 = time.perf_counter()
    vox = voxel_downsample(pts, opt.voxel)
    remove_isolated(vox, max(opt.outlier_cube, 3 * point_spacing(vox)), opt.outlier_min_points)
    print(json.dumps({"seconds": peer, "ours": time.perf_counter() - t0}))


def _turned(fac: Facility, angle: float) -> Facility:
    """The facility turned by ``angle`` degrees about the origin (spaces, doors, exits)."""
    from dataclasses import replace

    from shapely import affinity

    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))

    def at(p: tuple[float, float]) -> tuple[float, float]:
        return (c * p[0] - s * p[1], s * p[0] + c * p[1])

    return replace(fac, spaces=tuple(replace(x, polygon=affinity.rotate(x.polygon, angle, origin=(0, 0)))
                                     for x in fac.spaces),
                   doors=tuple(replace(d, at=at(d.at)) for d in fac.doors),
                   exits=tuple(replace(e, at=at(e.at)) for e in fac.exits))


def _door_f1_by_state(found: Facility, truth: Facility, shut: set[str]
                      ) -> list[tuple[str, float, int, int, int]]:
    """Door F1 for the doors scanned open and those scanned shut, apart: (state, F1, found, true, false).

    Found and true doors on the same storey pair up nearest first within 0.3 m
    (as :func:`lidar.accuracy` does); a found door matching none counts as a
    false door of the state of the true door nearest it.
    """
    level = {s.id: s.level for s in truth.spaces}
    flevel = {s.id: s.level for s in found.spaces}
    pairs = sorted((float(np.hypot(f.at[0] - t.at[0], f.at[1] - t.at[1])), i, j)
                   for i, f in enumerate(found.doors) for j, t in enumerate(truth.doors)
                   if flevel[f.spaces[0]] == level[t.spaces[0]])
    used_f: set[int] = set()
    used_t: set[int] = set()
    for dist, i, j in pairs:
        if dist <= 0.3 and i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    nearest = {i: min((d, j) for d, k, j in pairs if k == i)[1] for i in range(len(found.doors))
               if i not in used_f and any(k == i for _, k, _ in pairs)}
    out = []
    for state, is_shut in (("open", False), ("shut", True)):
        of_state = {j for j, t in enumerate(truth.doors) if (t.id in shut) == is_shut}
        hit = len(of_state & used_t)
        false = sum(1 for j in nearest.values() if j in of_state)
        n = len(of_state)
        f1 = 2 * hit / (2 * hit + (n - hit) + false) if n + false else float("nan")
        out.append((state, f1, hit, n, false))
    return out


def _building(spacing: float, seed: int, angles: list[float], closed: float = 0.0) -> bool:
    """The whole sample hospital scanned at once (stairs and lifts scanned), at each orientation:
    per-storey accuracy, exits, stairs and lifts found, and an evacuation from every storey.  A
    ``closed`` fraction of the doors, drawn from the seed, is scanned shut flush in its frame
    (:attr:`lidar.SynthOptions.leaf` ``"framed"``); door F1 is given for open and shut doors apart."""
    from facility.model import SpaceKind
    from facility.sample import sample
    from facility.validate import validate
    from lidar import SynthOptions, accuracy, extract, synthesize
    from lidar.synth import truth_for_levels
    from scenarios.evacuation import EvacParams, PersonSpec, simulate

    fac = sample()
    t0 = time.perf_counter()
    # Lift landing doors are the scanner's own (shut but where the car stands); the others may be shut.
    lifts = {sid for lf in fac.lifts for sid in lf.spaces}
    doors = [d for d in fac.doors if not set(d.spaces) & lifts]
    pick = np.random.default_rng(seed + 1).random(len(doors)) < closed
    shut = tuple(d.id for d, p in zip(doors, pick, strict=True) if p)
    opt = SynthOptions(spacing=spacing, closed_doors=shut, leaf="framed")
    base = synthesize(fac, rng=np.random.default_rng(seed), options=opt)
    print(f"  scan: {len(base):,} points, 4 storeys, {len(shut)} of {len(fac.doors)} doors shut flush in "
          f"their frames, {time.perf_counter() - t0:.0f} s", flush=True)
    ok = True
    for ang in angles:
        c, s = np.cos(np.radians(ang)), np.sin(np.radians(ang))
        pts = base @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])
        truth = _turned(fac, ang)
        t0 = time.perf_counter()
        ex = extract(pts)
        dt = time.perf_counter() - t0
        found = ex.facility
        print(f"  -- {ang:g} degrees: extract {dt:.0f} s; {len(found.stairs)} stairs, "
              f"{len(found.lifts)} lifts, {len(found.exits)} exits", flush=True)
        print("  | storey | room F1 | mean IoU | door F1 | width MAE mm | exits found/true (false) |")
        print("  |---|---|---|---|---|---|")
        for lv in fac.levels:
            a = accuracy(truth_for_levels(found, [lv.id]), truth_for_levels(truth, [lv.id]))
            tx = [e for e in truth.exits if truth.space(e.space).level == lv.id]
            fx = [e for e in found.exits if found.space(e.space).level == lv.id]
            near = [[float(np.hypot(e.at[0] - f.at[0], e.at[1] - f.at[1])) <= 0.3 for f in fx] for e in tx]
            hit = sum(any(row) for row in near)
            false = sum(not any(row[j] for row in near) for j in range(len(fx)))
            ok &= a.room_f1 >= 0.97 and a.door_f1 >= 0.95 and hit == len(tx) and false == 0
            print(f"  | {lv.id} | {a.room_f1:.3f} | {a.mean_room_iou:.3f} | {a.door_f1:.3f} | "
                  f"{a.door_width_mae * 1000:.1f} | {hit}/{len(tx)} ({false}) |")
        for state, f1, hit, n_true, false in _door_f1_by_state(found, truth, set(shut)):
            print(f"  doors {state}: F1 {f1:.3f} ({hit}/{n_true} found, {false} false)")
        acc = accuracy(found, truth)
        joined = {len(x.spaces) for x in found.stairs} | {len(x.spaces) for x in found.lifts}
        print(f"  stairs {[(x.id, len(x.spaces), x.width, x.riser_mm, x.tread_mm) for x in found.stairs]}, "
              f"lifts {[(x.id, len(x.spaces), x.car_width, x.car_depth) for x in found.lifts]} "
              f"(true: 2 stairs and 2 lifts over 4 storeys); storeys joined {sorted(joined)}; "
              f"route error between storeys {acc.storey_route_rel_error:.3f}")
        ok &= len(found.stairs) == 2 and len(found.lifts) == 2 and joined == {4}
        errors = [str(i) for i in validate(found) if i.severity == "error"]
        people = [PersonSpec(id=f"{x.id}-p", profile="ambulant", space=x.id) for x in found.spaces
                  if x.kind in (SpaceKind.ROOM, SpaceKind.CORRIDOR)]
        if errors:
            print(f"  facility invalid: {errors[:3]}")
            ok = False
            continue
        t0 = time.perf_counter()
        m = simulate(found, people, EvacParams(strategy="full", trajectories=False, max_time=1800.0),
                     np.random.default_rng(seed))
        out = int((m.people.state == 7).sum())
        storeys = sorted({found.space(p.space).level for p in people})
        print(f"  evacuation (1 ambulant person per room and corridor on storeys {storeys}): "
              f"{out}/{len(people)} out in {time.perf_counter() - t0:.0f} s wall, no hand edit", flush=True)
        ok &= out == len(people)
    return ok


def _big(points: int, fmt: str, seed: int) -> bool:
    """A whole 4-storey building of ``points`` points in one LAS/LAZ file, extracted in a fresh process.

    The sample hospital is scanned at 5 cm with stairs and lifts (about 12 M
    points), resampled to ``points`` with 5 mm jitter and written in chunks
    in random order (so chunks do not thin by themselves, the worst case for
    memory); the child prints each stage as it ends (per storey too) and its
    wall time and peak RSS against the targets (3 min, 8 GB).
    """
    import laspy

    from facility.sample import sample
    from lidar import SynthOptions, synthesize

    t0 = time.perf_counter()
    base = synthesize(sample(), rng=np.random.default_rng(seed), options=SynthOptions(spacing=0.05))
    print(f"  scan: {len(base):,} points in {time.perf_counter() - t0:.0f} s; writing {points:,} points as "
          f"{fmt.upper()}", flush=True)
    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=0, version="1.2")
    header.scales = np.array([0.001, 0.001, 0.001])
    header.offsets = base.min(axis=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"building.{fmt}"
        t0 = time.perf_counter()
        with laspy.open(str(path), mode="w", header=header) as writer:
            for start in range(0, points, 5_000_000):
                n = min(5_000_000, points - start)
                chunk = base[rng.integers(0, len(base), n)] + rng.normal(0, 0.005, (n, 3))
                rec = laspy.ScaleAwarePointRecord.zeros(n, header=header)
                rec.x, rec.y, rec.z = chunk[:, 0], chunk[:, 1], chunk[:, 2]
                writer.write_points(rec)
        del base
        size = path.stat().st_size / 1e9
        print(f"  written in {time.perf_counter() - t0:.0f} s ({size:.1f} GB)", flush=True)
        out = subprocess.run([sys.executable, __file__, "--speed-child", str(path), "--stages"],
                             capture_output=True, text=True, check=True, cwd=ROOT)
    for line in out.stderr.splitlines():
        print(f"    {line}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    ok = res["wall_s"] <= 180 and res["peak_rss_gb"] <= 8
    print(f"  {points:,} points ({res['points']:,} kept while reading) from {fmt.upper()} to facility "
          f"({res['spaces']} spaces): {res['wall_s']:.0f} s wall, {res['cpu_s']:.0f} s CPU (target <= 180 s: "
          f"{'met' if res['wall_s'] <= 180 else 'MISSED'}), peak RSS {res['peak_rss_gb']:.2f} GB "
          f"(target <= 8 GB: {'met' if res['peak_rss_gb'] <= 8 else 'MISSED'})")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="4 cm scans and a 3 M-point speed run")
    ap.add_argument("--spacing", type=float, default=None, help="synthetic point spacing (m), default 0.02")
    ap.add_argument("--points", type=int, default=None, help="points in the speed run, default 10 M")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--building", action="store_true",
                    help="only the whole 4-storey hospital (stairs, lifts, exits, evacuation), "
                         "per orientation")
    ap.add_argument("--angles", default="0,30,45", help="orientations (degrees) of the building run")
    ap.add_argument("--closed", type=float, default=0.0,
                    help="fraction of the building's doors scanned shut flush in their frames, default 0")
    ap.add_argument("--speed", action="store_true", help="only the one-storey speed run (and its peer)")
    ap.add_argument("--big", type=int, default=None, metavar="POINTS",
                    help="only the whole building as one LAS/LAZ file of POINTS points (e.g. 100000000)")
    ap.add_argument("--big-format", choices=("las", "laz"), default="las")
    ap.add_argument("--speed-child", help=argparse.SUPPRESS)
    ap.add_argument("--stages", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--peer-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.speed_child:
        _speed_child(args.speed_child, args.stages)
        return 0
    if args.big:
        print(f"== scale: the 4-storey hospital as one {args.big_format.upper()} file of {args.big:,} points")
        return 0 if _big(args.big, args.big_format, args.seed) else 1
    if args.peer_child:
        _peer_child(args.peer_child)
        return 0
    if args.building:
        print(f"== whole building: the sample hospital scanned at {(args.spacing or 0.05) * 100:.0f} cm")
        angles = [float(a) for a in args.angles.split(",")]
        return 0 if _building(args.spacing or 0.05, args.seed, angles, args.closed) else 1
    spacing = args.spacing or (0.04 if args.quick else 0.02)
    points = args.points or (3_000_000 if args.quick else 10_000_000)
    if args.speed:
        print(f"== speed: one level, {points:,} points")
        _speed(points, spacing)
        return 0
    print(f"== accuracy: synthetic scans of every sample level at {spacing * 100:.0f} cm spacing, "
          "with clutter")
    ok = _print_accuracy(_accuracy_table(spacing, args.seed))
    print("== real scans (../shared/data)")
    _real_scans()
    print(f"== speed: one level, {points:,} points")
    _speed(points, spacing)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
