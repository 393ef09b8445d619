"""medtwin's airborne route against CERN's CAiMIRA, room by room.

For each case (a consultation room with the next patient coming in after the
infectious one has left, an ED waiting room with a masked source and a HEPA
unit, a ward bay with a fit-tested respirator) both tools compute the
probability of infection of one susceptible person in the same single room,
with the same volume, air changes, pathogen, presence times and masks.

Two comparisons per case:

- ``same physics``: medtwin is given CAiMIRA's removal rates (settling of its
  default 2.5 µm particle, 1.88e-4 m/s from 1.5 m, i.e. 0.451 /h, and the
  pathogen's decay as a half-life), and CAiMIRA is given the emission in
  quanta (``EmittingPopulation``) with an infectious dose that turns its
  deposited dose back into quanta (``ID50 = 0.6 ln 2``: its default
  respiratory deposition fraction 0.6 cancels, and ``ID63 = ID50 / ln 2``).
  The two then solve the same well-mixed equation and must agree; both also
  average over the same lognormal draws of the emission rate.
- ``own defaults``: medtwin with its reference deposition (0.24 /h) against
  CAiMIRA's settling (0.451 /h); the ratio is the effect of that one
  difference and is explained in the output.

What CAiMIRA models and medtwin does not: the short-range (close-contact
jet) exposure, diameter-dependent deposition and emission from viral load
(its ``InfectedPopulation``); none is used here.  What medtwin adds: many
rooms with air moving between them, people moving between rooms from the
operations model, and the contact route.

CAiMIRA is a benchmark-only peer (the ``bench`` extra, pinned in
``constraints.txt``), never a dependency.  It brings web-service packages
(tornado, scikit-learn, ruptures, timezonefinder, ...) that medtwin does not
need, so the benchmark runs it in a subprocess of whichever Python has it:
the project's (``pip install -c constraints.txt -e ".[bench]"``) or a
separate virtual environment kept apart from the project's packages::

    python3.11 -m venv ../caimira-venv && ../caimira-venv/bin/pip install caimira==4.17.8
    .venv/bin/python benchmarks/infection_vs_caimira.py --week --caimira-python ../caimira-venv/bin/python

``--week`` also times medtwin's exposure for one simulated week of the sample
hospital (CAiMIRA has no equivalent): the sample week's arrivals, staff, rooms
and beds scaled by ``--scale`` (6 gives more than 10,000 patient visits in the
same building, more people to a room), one operations run, then the exposure
of everyone to an undiagnosed measles case in the ED waiting room, timed
separately from the operations run.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from scenarios.hazards.infection.airborne import concentration, emission_grid, integral_between
from scenarios.hazards.infection.ventilation import SpaceAir

#: CAiMIRA's long-range settling: 1.88e-4 m/s over 1.5 m, per hour.
CAIMIRA_SETTLING_PER_H = 1.88e-4 * 3600 / 1.5
#: medtwin's reference deposition (../shared/reference/hazards_and_devices.md).
MEDTWIN_DEPOSITION_PER_H = 0.24
DT_MIN = 0.25
DRAWS = 2000


@dataclass(frozen=True)
class Case:
    """One room, one infectious person, one susceptible person (hours from the start)."""

    name: str
    volume_m3: float
    ach: float
    hepa_m3h: float
    quanta_h: float
    gsd: float
    decay_per_h: float
    source_present: tuple[tuple[float, float], ...]
    source_mask_out: float
    exposed_present: tuple[tuple[float, float], ...]
    exposed_mask_in: float
    inhalation_m3h: float


CASES = (
    # 12 m² x 2.7 m consultation room, 4 ACH (ASHRAE patient-room rate), SARS-CoV-2 (2.7 q/h,
    # inactivation 0.63 /h); the infectious patient stays 20 min with the clinician, then the
    # next patient comes in for 20 min (Knibbs et al. 2011's "next patient" case).
    Case("consultation (clinician)", 32.4, 4.0, 0.0, 2.7, 10**0.7, 0.63, ((0.0, 1 / 3),), 0.0,
         ((0.0, 1 / 3),), 0.0, 0.54),
    Case("consultation (next patient)", 32.4, 4.0, 0.0, 2.7, 10**0.7, 0.63, ((0.0, 1 / 3),), 0.0,
         ((1 / 3, 2 / 3),), 0.0, 0.49),
    # the sample hospital's ED waiting room, 75 m² x 3 m, 12 ACH, measles (15 q/h), source in a
    # surgical mask (outward 0.5), a 1,000 m³/h HEPA unit; a patient waits 30-90 min.
    Case("ED waiting room", 225.0, 12.0, 1000.0, 15.0, 10**0.7, 0.0, ((0.0, 2.0),), 0.5,
         ((0.5, 1.5),), 0.0, 0.49),
    # a six-bed ward bay, 81 m² x 3 m, 4 ACH, tuberculosis (3.1 q/h) all shift, a nurse in a
    # fit-tested N95 (inward 0.9) present 8 h doing light work.
    Case("ward bay", 243.0, 4.0, 0.0, 3.1, 10**0.7, 0.0, ((0.0, 12.0),), 0.0, ((2.0, 10.0),), 0.9, 1.38),
)


def _draws(case: Case, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return case.quanta_h * np.exp(math.log(case.gsd) * rng.standard_normal(DRAWS))


def medtwin_risk(case: Case, deposition_per_h: float, emission: np.ndarray) -> np.ndarray:
    """Risk for each emission rate in ``emission`` through medtwin's airborne kernel."""
    removal = case.ach + case.hepa_m3h / case.volume_m3 + deposition_per_h + case.decay_per_h
    air = SpaceAir(space_ids=("room",), volume=np.array([case.volume_m3]), ach=np.array([case.ach]),
                   clean_air=np.array([case.hepa_m3h]), removal=np.array([removal]),
                   isolation=np.zeros(1, bool), transfer=np.zeros((1, 1)))
    end = max(b for _, b in case.source_present + case.exposed_present)
    n_bins = math.ceil(end * 60 / DT_MIN)
    a = np.array([p[0] * 60 for p in case.source_present])
    b = np.array([p[1] * 60 for p in case.source_present])
    grid = emission_grid(np.zeros(a.size, np.int64), a, b, np.full(a.size, 1.0 - case.source_mask_out),
                         n_spaces=1, dt_min=DT_MIN, n_bins=n_bins)
    field = concentration(air, grid, DT_MIN)
    t0 = np.array([p[0] * 60 for p in case.exposed_present])
    t1 = np.array([p[1] * 60 for p in case.exposed_present])
    unit = float(integral_between(field, np.zeros(t0.size, np.int64), t0, t1).sum())
    dose = emission * unit * case.inhalation_m3h * (1.0 - case.exposed_mask_in)
    return 1.0 - np.exp(-dose)


_CAIMIRA = r'''
import json, sys, time
from dataclasses import dataclass
import numpy as np
import caimira
from caimira.calculator.models import models
from caimira.calculator.store.data_registry import DataRegistry

@dataclass(frozen=True)
class FixedDecay(models.Virus):
    decay_per_h: float = 0.0
    def halflife(self, humidity, inside_temp):
        return np.log(2) / self.decay_per_h if self.decay_per_h > 0 else np.inf

out = []
for c in json.load(sys.stdin):
    t = time.perf_counter()
    reg = DataRegistry()
    always = models.SpecificInterval(((0.0, 48.0),))
    vent = models.MultipleVentilation((models.AirChange(active=always, air_exch=c["ach"]),
                                       models.HEPAFilter(active=always, q_air_mech=c["hepa_m3h"])))
    virus = FixedDecay(viral_load_in_sputum=1.0, infectious_dose=0.6 * np.log(2), viable_to_RNA_ratio=1.0,
                       transmissibility_factor=1.0, infectiousness_days=14, decay_per_h=c["decay_per_h"])
    act = models.Activity(c["inhalation_m3h"], c["inhalation_m3h"])
    infected = models.EmittingPopulation(
        number=1, presence=models.SpecificInterval(tuple(map(tuple, c["source_present"]))), activity=act,
        mask=models.Mask.types["No mask"], host_immunity=0.0, data_registry=reg, virus=virus,
        known_individual_emission_rate=np.asarray(c["emission"]) * (1 - c["source_mask_out"]))
    conc = models.ConcentrationModel(data_registry=reg, room=models.Room(volume=c["volume_m3"]),
                                     ventilation=vent, infected=infected, evaporation_factor=0.3)
    present = models.SpecificInterval(tuple(map(tuple, c["exposed_present"])))
    exposed = models.Population(number=1, presence=present, activity=act,
                                mask=models.Mask(c["exposed_mask_in"], 0.0), host_immunity=0.0)
    model = models.ExposureModel(data_registry=reg, concentration_model=conc, short_range=(), exposed=exposed,
                                 geographical_data=models.Cases())
    p = np.atleast_1d(model.infection_probability() / 100.0)
    out.append({"median": float(p[0]), "mean": float(p[1:].mean()), "seconds": time.perf_counter() - t})
json.dump({"version": getattr(caimira, "__version__", "?"), "cases": out}, sys.stdout)
'''


def caimira_risks(python: str, cases: list[dict[str, object]]) -> tuple[list[dict[str, float]], str, float]:
    """Run CAiMIRA in its own interpreter; first emission value is the median, the rest the draws.

    Returns the per-case results, CAiMIRA's version and the subprocess's wall time (with imports).
    """
    t = time.perf_counter()
    done = subprocess.run([python, "-c", _CAIMIRA], input=json.dumps(cases), capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        if "No module named 'caimira'" in done.stderr:
            sys.exit(f"{python} has no caimira: install the bench extra (pip install -c constraints.txt "
                     "-e '.[bench]') or pass --caimira-python of an environment that has it")
        sys.exit(f"CAiMIRA failed:\n{done.stderr[-3000:]}")
    got = json.loads(done.stdout)
    return list(got["cases"]), str(got["version"]), time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--caimira-python", default=sys.executable,
                    help="a Python with caimira installed (default: this one)")
    ap.add_argument("--week", action="store_true", help="also time a week of the sample hospital")
    ap.add_argument("--scale", type=int, default=6, help="scale of the sample week for --week (default 6)")
    args = ap.parse_args(argv)
    caimira_table(args.caimira_python)
    if args.week:
        week(args.scale)
    return 0


def week(scale: int) -> None:
    """Time the exposure of one busy simulated week, beyond its operations run."""
    import scenarios
    from scenarios.hazards.infection.presence import add_companions, from_events
    from scenarios.hazards.infection.response import operations_variant
    from scenarios.hazards.infection.runs import exposure_of
    from scenarios.hazards.infection.schema import InfectionScenario
    from scenarios.operations import run_replication as ops_run
    from scenarios.runner import resolve_facility

    sc = scenarios.load("scenarios/library/sample_hospital_measles_ed.yaml")
    assert isinstance(sc, InfectionScenario)
    fac = resolve_facility(sc)
    ops = sc.ops
    arrivals = [a.model_copy(update={"weekday_factors": [f * scale for f in a.weekday_factors]})
                if a.kind == "poisson" else
                a.model_copy(update={"per_day": a.per_day * scale, "interval_min": a.interval_min / scale})
                for a in ops.arrivals]
    resources = {}
    for n, r in ops.resources.items():
        if r.roster:
            shifts = [s.model_copy(update={"count": s.count * scale}) for s in r.roster]
            resources[n] = r.model_copy(update={"roster": shifts})
        elif r.count is not None:
            resources[n] = r.model_copy(update={"count": r.count * scale})
        else:
            spaces = fac.spaces_with_use(r.space_use or "")
            units = sum(max(1, s.beds) for s in spaces) if r.kind == "bed" else len(spaces)
            resources[n] = r.model_copy(update={"count": units * scale})
    busy = ops.model_copy(update={"arrivals": arrivals, "resources": resources})
    sc = sc.model_copy(update={"days": 7.0, "operations": busy, "interventions": []})
    iv = sc.all_interventions()[0]
    ops_sc = operations_variant(sc, iv)
    t = time.perf_counter()
    rep = ops_run(ops_sc, fac, np.random.default_rng(1), 0)
    t_ops = time.perf_counter() - t
    t = time.perf_counter()
    kinds = {n: r.kind for n, r in ops_sc.resources.items()}
    space_index = {s.id: i for i, s in enumerate(fac.spaces)}
    people, pres, contacts = from_events(rep.tables["events"], kinds, space_index, ops_sc.run.length_min)
    companions = {n: pw.companions for n, pw in ops_sc.pathways.items()}
    people, pres = add_companions(people, pres, companions, np.random.default_rng(3))
    people, exp = exposure_of(sc, iv, fac, people=people, pres=pres, contacts=contacts,
                              horizon_min=ops_sc.run.length_min, rng=np.random.default_rng(2))
    t_exp = time.perf_counter() - t
    print(f"\nweek of the sample hospital x{scale}: {rep.tables['patients'].num_rows} patient visits, "
          f"{rep.tables['events'].num_rows} steps, {people.n} people; operations {t_ops:.1f} s, "
          f"exposure {t_exp:.2f} s (budget 10 s); {exp.secondary.sum():.3g} expected secondary cases")


def caimira_table(python: str) -> None:
    """Print medtwin against CAiMIRA for every case."""
    payload = []
    ours: list[tuple[float, float, float, float]] = []
    for i, case in enumerate(CASES):
        draws = _draws(case, seed=i)
        emission = np.concatenate([[case.quanta_h], draws])
        t = time.perf_counter()
        same = medtwin_risk(case, CAIMIRA_SETTLING_PER_H, emission)
        own = medtwin_risk(case, MEDTWIN_DEPOSITION_PER_H, emission[:1])
        ours.append((float(same[0]), float(same[1:].mean()), float(own[0]), time.perf_counter() - t))
        payload.append({**asdict(case), "emission": emission.tolist()})
    theirs, version, wall = caimira_risks(python, payload)
    print(f"CAiMIRA {version} (subprocess {wall:.1f} s with its imports); {DRAWS} emission draws per case")
    print(f"{'case':<30}{'medtwin':>11}{'CAiMIRA':>11}{'ratio':>8}{'lognormal mean ratio':>22}"
          f"{'own defaults':>14}{'ratio':>8}{'medtwin s':>11}{'CAiMIRA s':>11}")
    for case, (m_med, m_mean, m_own, m_s), c in zip(CASES, ours, theirs, strict=True):
        print(f"{case.name:<30}{m_med:>11.4g}{c['median']:>11.4g}{m_med / c['median']:>8.4f}"
              f"{m_mean / c['mean']:>22.4f}{m_own:>14.4g}{m_own / c['median']:>8.3f}{m_s:>11.3f}"
              f"{c['seconds']:>11.3f}")
    print("\nratio: medtwin / CAiMIRA at the median emission with the same removal rates;"
          f"\nlognormal mean ratio: the same over {DRAWS} shared lognormal emission draws;"
          f"\nown defaults: medtwin's deposition {MEDTWIN_DEPOSITION_PER_H} /h instead of CAiMIRA's settling "
          f"{CAIMIRA_SETTLING_PER_H:.3f} /h (slower removal, higher risk, most where air changes are few).")


if __name__ == "__main__":
    sys.exit(main())
