"""Operations benchmark: the Nelson treatment centre against treat-sim, and a year of the sample hospital.

1. The Nelson scenario (``scenarios/library/nelson_treatment_centre.yaml``) is
   run for the same number of replications by medtwin and by the published
   ``treat-sim`` model, in this process, one after the other.  Both are timed
   per replication including their own result summaries; the score is
   simulated patients per wall second and the ratio medtwin / treat-sim.  The
   mean non-trauma waits of both are printed side by side with 95% CIs.
2. One simulated year of the sample hospital (``sample_hospital_week.yaml``
   with the run length set to 365 days) is run once on one core; the wall
   time and the number of ED visits are printed (target: >= 60,000 ED visits
   in <= 60 s).
3. The cost of the Mesa agent handles: the Nelson replications again, once
   as a sweep runs them (nobody reads the agents) and once stepped hourly
   with a ``mesa.DataCollector`` reading every patient and staff handle;
   CPU time per simulated day of both and the difference.

treat-sim is not a medtwin dependency.  Install it where this script can
import it, e.g. ``pip install --target /tmp/treat-sim treat-sim sim-tools --no-deps``
and run with ``PYTHONPATH=/tmp/treat-sim``; without it part 1 reports only
medtwin's own speed.

Run: ``.venv/bin/python benchmarks/ops_bench.py [--reps 50] [--skip-year]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mesa  # noqa: E402

import scenarios  # noqa: E402
from agents.patients import Patient  # noqa: E402
from agents.staff import StaffMember  # noqa: E402
from scenarios.operations.kpis import replication_results  # noqa: E402
from scenarios.operations.model import OpsModel  # noqa: E402
from scenarios.operations.runs import run_replication  # noqa: E402
from scenarios.operations.schema import OperationsScenario  # noqa: E402
from scenarios.stats import mean_ci  # noqa: E402

LIBRARY = ROOT / "scenarios" / "library"
WAITS = {
    "triage": ("wait.non_trauma.triage", "01a_triage_wait"),
    "registration": ("wait.non_trauma.registration", "02a_registration_wait"),
    "examination": ("wait.non_trauma.examination", "03a_examination_wait"),
    "treatment": ("wait.non_trauma.treatment", "04a_treatment_wait(non_trauma)"),
}


def bench_medtwin(reps: int) -> tuple[float, int, list[dict[str, float]]]:
    sc = scenarios.load(LIBRARY / "nelson_treatment_centre.yaml")
    fac = scenarios.resolve_facility(sc)
    seeds = np.random.SeedSequence(sc.seed).spawn(reps)
    kpis = []
    patients = 0
    t0 = time.perf_counter()
    for i in range(reps):
        rep = run_replication(sc, fac, np.random.default_rng(seeds[i]), i)  # type: ignore[arg-type]
        patients += int(rep.kpis["patients.arrived"])
        kpis.append(dict(rep.kpis))
    return time.perf_counter() - t0, patients, kpis


def bench_treat_sim(reps: int) -> tuple[float, int, list[dict[str, Any]]] | None:
    try:
        from treat_sim.model import Scenario, single_run
    except ImportError:
        print("treat-sim is not installed, so there is nothing to compare with. Install it outside the\n"
              "project, e.g.  pip install --no-deps --target /tmp/treat-sim treat-sim sim-tools\n"
              "then run       PYTHONPATH=/tmp/treat-sim .venv/bin/python benchmarks/ops_bench.py")
        return None
    rows = []
    patients = 0
    t0 = time.perf_counter()
    for i in range(reps):
        df = single_run(Scenario(), random_no_set=i)
        row = df.iloc[0].to_dict()
        patients += int(row["00_arrivals"])
        rows.append(row)
    return time.perf_counter() - t0, patients, rows


def bench_year() -> tuple[float, int, int, int]:
    week = scenarios.load(LIBRARY / "sample_hospital_week.yaml")
    assert isinstance(week, OperationsScenario)
    year = week.run.model_copy(update={"length": 365, "warmup": 0, "unit": "d"})
    sc = week.model_copy(update={"run": year})
    fac = scenarios.resolve_facility(sc)
    t0 = time.perf_counter()
    rep = run_replication(sc, fac, np.random.default_rng(np.random.SeedSequence(sc.seed).spawn(1)[0]), 0)
    wall = time.perf_counter() - t0
    pat = rep.tables["patients"].to_pandas()
    ed = int(pat["pathway"].str.startswith("ed_").sum())
    return wall, len(pat), ed, rep.tables["events"].num_rows


def _space(agent: mesa.Agent) -> str:
    return str(getattr(agent, "space", ""))


def _activity(agent: Patient) -> str:
    return agent.activity


def _duty(agent: StaffMember) -> str:
    return agent.state


def bench_handles(reps: int) -> tuple[float, float, int]:
    """CPU ms per Nelson day without and with an hourly DataCollector over every handle; rows collected."""
    sc = scenarios.load(LIBRARY / "nelson_treatment_centre.yaml")
    fac = scenarios.resolve_facility(sc)
    seeds = np.random.SeedSequence(sc.seed).spawn(reps)
    t0 = time.process_time()
    for i in range(reps):
        m = OpsModel(sc, fac, np.random.default_rng(seeds[i]))  # type: ignore[arg-type]
        m.finish()
        replication_results(m)
    plain = (time.process_time() - t0) / reps * 1000
    rows = 0
    t0 = time.process_time()
    for i in range(reps):
        m = OpsModel(sc, fac, np.random.default_rng(seeds[i]))  # type: ignore[arg-type]
        dc = mesa.DataCollector(agenttype_reporters={Patient: {"space": _space, "activity": _activity},
                                                     StaffMember: {"space": _space, "duty": _duty}})
        while m.running:
            m.step()
            dc.collect(m)
        m.finish()
        replication_results(m)
        rows += len(dc.get_agenttype_vars_dataframe(Patient))
    collected = (time.process_time() - t0) / reps * 1000
    return plain, collected, rows


def _ci(values: list[float]) -> str:
    c = mean_ci(values)
    return f"{c['mean']:7.2f} ± {c['half_width']:5.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=50, help="Nelson replications for each model (default 50)")
    ap.add_argument("--skip-year", action="store_true", help="skip the year-long sample hospital run")
    args = ap.parse_args(argv)

    print(f"Nelson treatment centre, {args.reps} replications of one day each")
    m_wall, m_pat, m_kpis = bench_medtwin(args.reps)
    m_rate = m_pat / m_wall
    print(f"  medtwin  : {m_wall:6.2f} s, {m_pat} patients, {m_rate:9.0f} patients/s, "
          f"{1000 * m_wall / args.reps:6.1f} ms per day")
    ts = bench_treat_sim(args.reps)
    if ts is not None:
        t_wall, t_pat, t_rows = ts
        t_rate = t_pat / t_wall
        print(f"  treat-sim: {t_wall:6.2f} s, {t_pat} patients, {t_rate:9.0f} patients/s, "
              f"{1000 * t_wall / args.reps:6.1f} ms per day")
        print(f"  speed ratio medtwin / treat-sim (patients per wall second): {m_rate / t_rate:.2f}")
        print("  mean non-trauma waits (min, 95% CI):   medtwin            treat-sim")
        for label, (mk, tk) in WAITS.items():
            print(f"    {label:<14} {_ci([k[mk] for k in m_kpis]):>24} {_ci([r[tk] for r in t_rows]):>20}")
    plain, collected, rows = bench_handles(args.reps)
    print(f"Mesa handles, Nelson: {plain:.1f} ms CPU per day as a sweep runs it; {collected:.1f} ms stepped "
          f"hourly with a DataCollector over every patient and staff handle ({rows} patient rows, "
          f"+{100 * (collected / plain - 1):.0f}%)")
    if not args.skip_year:
        wall, n, ed, events = bench_year()
        verdict = "meets" if wall <= 60 and ed >= 60_000 else "misses"
        print(f"One year of the sample hospital: {wall:.1f} s wall, {n} patients ({ed} ED visits), "
              f"{events} step events; {verdict} the target of >= 60,000 ED visits in <= 60 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
