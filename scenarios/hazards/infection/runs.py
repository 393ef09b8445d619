"""The infection kind's entry points for the shared runner: check a scenario, run one replication.

One replication runs, for the baseline and then every intervention, the
operations model on the intervention's operations scenario
(:mod:`~scenarios.hazards.infection.response`) through its public
``run_replication``, then the exposure of everyone it put in the building.
Every intervention gets the same three seeds drawn from the replication's
generator (operations, emission draws, companions), so differences between
interventions are the interventions' doing, not noise (common random
numbers).  Interventions that change nothing in operations reuse the
baseline's operations run.  A scenario that exposes an evacuation runs the
drill once per replication instead (:mod:`~scenarios.hazards.infection.trajectories`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from facility.ids import no_space, suggest
from scenarios.base import Replication, ScenarioBase
from scenarios.errors import ScenarioFileError
from scenarios.hazards.infection.contact import Hygiene
from scenarios.hazards.infection.exposure import Exposure, expected_cases
from scenarios.hazards.infection.kpis import replication_tables
from scenarios.hazards.infection.pathogens import INHALATION_M3H, Activity, Lognormal, Pathogen
from scenarios.hazards.infection.presence import (
    PLACED,
    Contacts,
    People,
    Presence,
    PresenceKind,
    add_companions,
    from_events,
)
from scenarios.hazards.infection.response import bay_of_index, index_pathway, operations_variant
from scenarios.hazards.infection.schema import InfectionScenario, Intervention, MaskPolicy
from scenarios.hazards.infection.trajectories import from_evacuation
from scenarios.hazards.infection.ventilation import space_air
from scenarios.operations import check as ops_check
from scenarios.operations import run_replication as ops_run_replication
from scenarios.operations.compile import pool_resources

if TYPE_CHECKING:
    from facility.model import Facility

__all__ = ["Outcome", "check", "exposure_of", "run_replication"]


def check(scenario: InfectionScenario, facility: Facility) -> None:
    """Raise ScenarioFileError if the scenario names spaces or uses the facility lacks."""
    src = scenario.source or "<scenario>"
    scenario.cross_check()
    for i, ic in enumerate(scenario.index_cases):
        if ic.space is not None and not facility.has_space(ic.space):
            raise ScenarioFileError(src, f"index_cases[{i}].space", no_space(facility, ic.space))
    airs = [("air", scenario.air)] + [(f"interventions[{k}].air", iv.air)
                                       for k, iv in enumerate(scenario.interventions) if iv.air is not None]
    for where, air in airs:
        assert air is not None
        named = [(f"{where}.air_changes.{sid}", sid) for sid in air.air_changes]
        named += [(f"{where}.isolation_spaces[{j}]", sid) for j, sid in enumerate(air.isolation_spaces)]
        for field, sid in named:
            if not facility.has_space(sid):
                raise ScenarioFileError(src, field, no_space(facility, sid))
        for j, h in enumerate(air.hepa):
            if not facility.has_space(h.space):
                raise ScenarioFileError(src, f"{where}.hepa[{j}].space", no_space(facility, h.space))
        for by_use in air.air_changes_by_use:
            if by_use not in facility.uses:
                # a misspelt use changed no space's air, and the intervention showed no effect
                raise ScenarioFileError(src, f"{where}.air_changes_by_use.{by_use}",
                                        f"no space with use {by_use!r} in facility {facility.name!r}"
                                        f"{suggest(by_use, facility.uses)}")
    for k, iv in enumerate(scenario.interventions):
        iso = iv.isolate
        if iso is None:
            continue
        for what, use in (("room_use", iso.room_use), ("cohort_use", iso.cohort_use)):
            if use is not None and use not in facility.uses:
                raise ScenarioFileError(src, f"interventions[{k}].isolate.{what}",
                                        f"no space with use {use!r} in facility {facility.name!r}"
                                        f"{suggest(use, facility.uses)}")
    evac = scenario.evac
    if evac is not None:
        from scenarios.base import KINDS

        evac_check = KINDS["evacuation"].check
        if evac_check is not None:
            evac_check(evac, facility)
        _check_model_budget(scenario, evac, evac.source, "evacuation", facility)
    else:
        for iv in scenario.all_interventions():
            variant = operations_variant(scenario, iv)
            ops_check(variant, facility)
            _check_model_budget(scenario, variant, scenario.ops.source, "operations", facility)
    p = scenario.pathogen.resolve()
    if p.emission is None and p.contact is None:
        raise ScenarioFileError(src, "pathogen", f"{p.name} has neither an airborne emission nor a contact "
                                "route; give 'emission' or 'contact'")


def _check_model_budget(scenario: InfectionScenario, model: ScenarioBase, own: str | None,
                        name: Literal["operations", "evacuation"], facility: Facility) -> None:
    """Refuse an operations run or a drill over the work budget, as ``medtwin run`` refuses one alone.

    The runner budgets the infection scenario's air model only; the model run under it was not:
    50,000 arrivals an hour over 60 days ran without a word and without end.  The field named is
    the infection scenario's when it set the size (``days``) or holds the model's scenario
    inline (``operations.arrivals[0]...``), else the field of the model's own file ``own``.
    """
    from scenarios.budget import check_budget

    try:
        check_budget(model, facility)
    except ScenarioFileError as exc:
        src = scenario.source or "<scenario>"
        if name == "operations" and scenario.days is not None and exc.field.startswith("run."):
            raise ScenarioFileError(src, "days", exc.problem) from None
        if own is not None and own != scenario.source:  # the model's own file
            raise ScenarioFileError(own, exc.field, exc.problem) from None
        raise ScenarioFileError(src, f"{name}.{exc.field}" if exc.field else name, exc.problem) from None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The operations KPIs and the exposure of one intervention in one replication."""

    intervention: Intervention
    ops_kpis: dict[str, float]
    people: People
    exposure: Exposure


def _breathing(people: People, masks: MaskPolicy, sc: InfectionScenario) -> tuple[np.ndarray, np.ndarray]:
    staff = people.is_staff
    act = sc.activity
    p_in = INHALATION_M3H[act.patients] * (1 - masks.of("patients").inward)
    s_in = INHALATION_M3H[act.staff] * (1 - masks.of("staff").inward)
    breath = np.where(staff, s_in, p_in)
    std = INHALATION_M3H[Activity.STANDING]
    p_out = (1 - masks.of("patients").outward) * INHALATION_M3H[act.patients] / std
    s_out = (1 - masks.of("staff").outward) * INHALATION_M3H[act.staff] / std
    return breath, np.where(staff, s_out, p_out)


#: Bytes per emission draw and person: the risk of every person under every draw is held at once,
#: in float64 arrays of draws x people (the doses, the probabilities and their temporaries).
#: Measured: 10,000 draws for the 2,926 people of a week of the sample hospital raised the run's
#: peak memory from 450 MB (200 draws) to 1,060 MB, 21 bytes each.
BYTES_PER_DRAW_CELL = 24


def _check_draws(sc: InfectionScenario, n_people: int) -> None:
    """Refuse more emission draws than the budget allows for the people this run put in the building.

    The scenario's budget counts space-steps only; ``emission_samples`` (up to 100,000) times the
    people of a week of the sample hospital (2,926) asked for 2.2 GiB per array, and the
    replication failed with an out-of-memory traceback (or took the machine's memory) after the
    operations model had run.  Draws x people is held to the budget's rows (``MEDTWIN_MAX_ROWS``).
    """
    from scenarios.budget import Budget

    limit = Budget.from_env().max_rows
    cells = float(sc.emission_samples) * n_people
    if cells > limit:
        gib = cells * BYTES_PER_DRAW_CELL / 2**30
        raise ScenarioFileError(sc.source or "<scenario>", "emission_samples",
                                f"{sc.emission_samples} draws for each of the {n_people} people of this run "
                                f"would need ~{gib:.3g} GiB in memory, over the budget of {limit:.3g} draws "
                                f"x people (set MEDTWIN_MAX_ROWS to raise it); expected at most "
                                f"{max(int(limit // max(n_people, 1)), 1)} draws")


def exposure_of(sc: InfectionScenario, iv: Intervention, facility: Facility, *, people: People,
                pres: Presence, contacts: Contacts, horizon_min: float, rng: np.random.Generator
                ) -> tuple[People, Exposure]:
    """Exposure of everyone present under intervention ``iv``; index cases found or placed first.

    Returns the people (with placed index cases added) and their exposure.
    """
    src = sc.source or "<scenario>"
    pathogen: Pathogen = sc.pathogen.resolve()
    air = space_air(facility, sc.air.merged(iv.air), pathogen)
    sidx = air.index()
    masks = iv.masks or sc.masks
    breath, source = _breathing(people, masks, sc)
    label, role, pathway, patient = list(people.label), list(people.role), list(people.pathway), \
        people.patient.tolist()
    index: list[int] = []
    emission = []
    extra: list[Presence] = []
    std = INHALATION_M3H[Activity.STANDING]
    for i, ic in enumerate(sc.index_cases):
        pe = ic.emission or pathogen.emission or Lognormal(median=0.0)
        if ic.pathway is not None:
            name = index_pathway(i)
            cand = [k for k, (pw, pid) in enumerate(zip(pathway, patient, strict=True))
                    if pw == name and pid >= 0]
            if not cand:
                continue  # arrives after the end of the run
            j = min(cand, key=lambda k: patient[k])
        elif ic.person is not None:
            if ic.person not in label:
                raise ScenarioFileError(src, f"index_cases[{i}].person",
                                        f"nobody called {ic.person!r} in the evacuation; its people are "
                                        f"{label[:3]}... (see its 'agents' table)")
            j = label.index(ic.person)
        else:
            j = len(label)
            label.append(f"index {i}")
            role.append("index")
            pathway.append("")
            patient.append(PLACED)
            assert ic.space is not None
            t0 = ic.start_h * 60.0
            extra.append(Presence(np.array([j]), np.array([sidx[ic.space]]), np.array([t0]),
                                  np.array([t0 + ic.hours * 60.0]), np.array([PresenceKind.STAY], np.int8)))
            breath = np.append(breath, 0.0)
            source = np.append(source, 0.0)
        m = ic.the_mask()
        source[j] = (1 - m.outward) * INHALATION_M3H[ic.activity] / std
        breath[j] = 0.0
        index.append(j)
        emission.append(pe)
    if extra:
        pres = Presence.concat([pres, *extra])
    people = People(label=label, role=np.asarray(role, dtype=object),
                    pathway=np.asarray(pathway, dtype=object), patient=np.asarray(patient, np.int64))
    _check_draws(sc, people.n)
    hh = iv.hand_hygiene or sc.hand_hygiene
    exp = expected_cases(pres=pres, contacts=contacts, n_people=people.n, index=np.asarray(index, np.int64),
                         breath=breath, source=source, emission=emission, air=air, pathogen=pathogen,
                         hygiene=Hygiene(hh.before, hh.after, hh.device_cleaning), horizon_min=horizon_min,
                         dt_min=sc.time_step_min, samples=sc.emission_samples, generations=sc.generations,
                         rng=rng)
    return people, exp


def _evacuation_replication(scenario: InfectionScenario, facility: Facility, ops_seed: int,
                            emission_seed: int, index: int, *,
                            progress: Callable[..., None] | None = None) -> Replication:
    """Exposure during an evacuation drill and in its refuges (air, masks and hygiene interventions)."""
    from scenarios.evacuation import run_replication as evac_run_replication

    evac = scenario.evac
    assert evac is not None
    rep = evac_run_replication(evac.model_copy(update={"trajectories": True}), facility,
                               np.random.default_rng(ops_seed), index, progress=progress)
    people, pres, contacts = from_evacuation(rep.tables["trajectories"], rep.tables["agents"], facility,
                                             sample_s=evac.record_every,
                                             refuge_stay_min=scenario.refuge_stay_min)
    ends = [float(pres.t1.max()) if pres.n else 0.0]
    ends += [(ic.start_h + ic.hours) * 60.0 for ic in scenario.index_cases if ic.space is not None]
    horizon = float(np.ceil(max(ends) + 1.0))
    outcomes = []
    for iv in scenario.all_interventions():
        p, exp = exposure_of(scenario, iv, facility, people=people, pres=pres, contacts=contacts,
                             horizon_min=horizon,
                             rng=np.random.default_rng(emission_seed))
        outcomes.append(Outcome(iv, {}, p, exp))
    kpis, tables = replication_tables(scenario, facility, outcomes, closed_space=None)
    kpis.update({f"evacuation.{k}": float(v) for k, v in rep.kpis.items()
                 if k in ("total", "evacuated", "in_refuge", "remaining")})
    return Replication(index=index, kpis=kpis, tables=tables)


class _Stages:
    """Progress of the operations runs of one replication, reported as one span of simulated time.

    A replication runs operations once for the baseline and once more for
    each intervention that changes them, one after the other; run ``k`` of
    ``n`` reports ``k * length + t`` of ``n * length``, so the bar moves on
    rather than starting again at every intervention.
    """

    def __init__(self, progress: Callable[[float, float], None], runs: int) -> None:
        self._progress, self._runs = progress, runs

    def stage(self, k: int) -> Callable[[float, float], None]:
        def report(sim_time_s: float, end_time_s: float) -> None:
            self._progress(k * end_time_s + sim_time_s, self._runs * end_time_s)

        return report


def run_replication(scenario: InfectionScenario, facility: Facility, rng: np.random.Generator,
                    index: int, progress: Callable[..., None] | None = None) -> Replication:
    """Baseline and every intervention: operations, exposure, KPIs and tables.

    ``progress`` (simulated seconds, end seconds[, people safe, people]) is
    passed to the evacuation drill, or to the operations runs through
    :class:`_Stages`.
    """
    ops_seed, emission_seed, companion_seed = (int(x) for x in rng.integers(2**63, size=3))
    if scenario.evac is not None:
        return _evacuation_replication(scenario, facility, ops_seed, emission_seed, index, progress=progress)
    ivs = list(scenario.all_interventions())
    stages = None if progress is None else _Stages(progress, 1 + sum(iv.changes_operations for iv in ivs[1:]))
    runs = 0
    outcomes: list[Outcome] = []
    space_index = {s.id: i for i, s in enumerate(facility.spaces)}
    base_ops = None
    close: tuple[str, str] | None = None
    for iv in ivs:
        variant_close = None
        if iv.close_bay is not None:
            assert base_ops is not None
            space = bay_of_index(base_ops.tables["events"], iv.close_bay.at_h * 60.0, facility)
            if space is not None:
                close = (space, facility.space(space).use or "")
                variant_close = close
        if base_ops is None or iv.changes_operations:
            ops_sc = operations_variant(scenario, iv, close=variant_close)
            ops = ops_run_replication(ops_sc, facility, np.random.default_rng(ops_seed), index,
                                      progress=None if stages is None else stages.stage(runs))
            runs += 1
            horizon = ops_sc.run.length_min
        else:
            ops = base_ops
        if base_ops is None:
            base_ops = ops
        variant = operations_variant(scenario, iv)
        # Pools as the operations model builds them: a cohorted staff pool is two pools.
        kinds = {n: r.kind for n, r in pool_resources(variant).items()}
        people, pres, contacts = from_events(ops.tables["events"], kinds, space_index, horizon)
        companions = {n: pw.companions for n, pw in variant.pathways.items()}
        people, pres = add_companions(people, pres, companions, np.random.default_rng(companion_seed))
        people, exp = exposure_of(scenario, iv, facility, people=people, pres=pres, contacts=contacts,
                                  horizon_min=horizon,
                                  rng=np.random.default_rng(emission_seed))
        outcomes.append(Outcome(iv, dict(ops.kpis), people, exp))
    kpis, tables = replication_tables(scenario, facility, outcomes, closed_space=close[0] if close else None)
    return Replication(index=index, kpis=kpis, tables=tables)
