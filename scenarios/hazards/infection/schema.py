"""The infection scenario (``kind: infection``): pathogen, index cases, air, hygiene, interventions.

An infection scenario names the operations scenario whose patients and
staff are exposed (a file, read here at load time like every scenario file,
or written inline), the pathogen, the index cases and the building's air,
masks and hygiene; each intervention is a set of changes to those, and to
operations (isolation at triage, closing a bay, staff cohorting), run side
by side with the baseline on the same random numbers.  Defaults and their
sources are in ``docs/infection.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from scenarios.base import ScenarioBase, StrictModel
from scenarios.errors import ScenarioFileError
from scenarios.evacuation.schema import EvacuationScenario
from scenarios.hazards.infection.pathogens import Activity, Lognormal, PathogenSpec
from scenarios.hazards.infection.ventilation import AirSettings
from scenarios.operations.schema import OperationsScenario

__all__ = [
    "MASKS",
    "ActivityPolicy",
    "CloseBay",
    "HandHygiene",
    "IndexCase",
    "InfectionScenario",
    "Intervention",
    "Isolate",
    "Mask",
    "MaskPolicy",
]


#: Hours in each unit of an operations run's length.
_HOURS_PER = {"min": 1 / 60, "h": 1.0, "d": 24.0}
#: Longest time a scenario may name, in hours: the longest run (``days`` up to 60).
MAX_HOURS = 60 * 24.0
#: Longest undiagnosed wait before the pathway (a week, in minutes).
MAX_WAIT_MIN = 7 * 24 * 60.0
#: Most units of one staff pool an intervention may cohort.
MAX_COHORT = 10_000

#: Hours from the run start, or a stay: finite, not negative, within the longest run.
Hours = Annotated[float, Field(ge=0, le=MAX_HOURS, allow_inf_nan=False)]


class Mask(StrictModel):
    """Filtration of a mask: ``inward`` protects the wearer, ``outward`` the others."""

    inward: float = Field(ge=0, le=1)
    outward: float = Field(ge=0, le=1)


#: Mask presets. N95/FFP2 in a fit-tested programme: inward >= 0.9 [verify]; surgical masks
#: as source control 17-71 % (Lindsley et al. 2021), 0.5 taken [verify]; surgical inward 0.5
#: as CAiMIRA's "Type I" (CERN-OPEN-2021-004) [verify].
MASKS: dict[str, Mask] = {
    "none": Mask(inward=0.0, outward=0.0),
    "surgical": Mask(inward=0.5, outward=0.5),
    "n95": Mask(inward=0.9, outward=0.9),
}


def _mask_object(v: Any) -> Any:
    # Efficiencies are validated as a Mask here, before the ``str | Mask`` union, so a bad
    # one is named ``masks.patients.inward`` rather than after the union member it failed.
    return Mask.model_validate(v, strict=True) if isinstance(v, dict) else v


def _mask(v: Any) -> Any:
    if isinstance(v, str) and v not in MASKS:
        raise ValueError(f"unknown mask {v!r}; expected one of {sorted(MASKS)} "
                         "or {inward: .., outward: ..}")
    return v


class MaskPolicy(StrictModel):
    """Masks worn by patients, staff and the index cases (a preset name or efficiencies)."""

    patients: str | Mask = "none"
    staff: str | Mask = "none"

    _check = field_validator("patients", "staff")(_mask)
    _object = field_validator("patients", "staff", mode="before")(_mask_object)

    def of(self, who: Literal["patients", "staff"]) -> Mask:
        v = getattr(self, who)
        return MASKS[v] if isinstance(v, str) else v


class ActivityPolicy(StrictModel):
    """What patients and staff do while exposed (sets their breathing rate)."""

    patients: Activity = Activity.RESTING
    staff: Activity = Activity.LIGHT


class HandHygiene(StrictModel):
    """Compliance with the hygiene acts of the contact route.

    Defaults: hand hygiene 21 % before and 47 % after patient contact
    (Erasmus et al., ICHE 31:283, 2010); cleaning of shared devices between
    patients 50 % [assumption: no sourced value; audit locally].
    """

    before: float = Field(default=0.21, ge=0, le=1)
    after: float = Field(default=0.47, ge=0, le=1)
    device_cleaning: float = Field(default=0.5, ge=0, le=1)


class IndexCase(StrictModel):
    """An infectious person, either a patient of an operations pathway or placed in a space.

    Give ``pathway`` (and ``arrive_h``): the case arrives then and follows the
    pathway like any patient of it, so where they wait, which rooms they use
    and which staff serve them come from the operations model.  Or ``person``:
    the person of that id in an evacuation (its ``agents`` table) is the case.
    Or give ``space``, ``start_h`` and ``hours``: the case stays in that space
    (outside the operations or evacuation model).

    Attributes:
        pathway: Operations pathway the case follows.
        arrive_h: Arrival, hours from the run start.
        undiagnosed_wait_min: Time sat in the arrival space before joining the
            pathway's first queue (an undiagnosed case waiting to be seen).
        person: Id of a person of the evacuation.
        space: Space id of a placed case.
        start_h: When a placed case arrives (hours from the run start).
        hours: How long a placed case stays.
        activity: What the case does (scales emission with exhaled volume).
        mask: The case's mask.
        emission: Override of the pathogen's emission for this case (quanta/h
            standing; a lognormal ``median`` and ``gsd``).
    """

    pathway: str | None = None
    arrive_h: Hours = 0.0
    undiagnosed_wait_min: float = Field(default=0.0, ge=0, le=MAX_WAIT_MIN, allow_inf_nan=False)
    person: str | None = Field(default=None, min_length=1)
    space: str | None = None
    start_h: Hours = 0.0
    hours: float = Field(default=1.0, gt=0, le=MAX_HOURS, allow_inf_nan=False)
    activity: Activity = Activity.STANDING
    mask: str | Mask = "none"
    emission: Lognormal | None = None

    _check_mask = field_validator("mask")(_mask)
    _mask_object = field_validator("mask", mode="before")(_mask_object)

    @model_validator(mode="after")
    def _one(self) -> IndexCase:
        if sum(x is not None for x in (self.pathway, self.person, self.space)) != 1:
            raise ValueError("give exactly one of 'pathway' (a patient of the operations model), 'person' "
                             "(someone in the evacuation) or 'space' (a case placed in a space)")
        return self

    def the_mask(self) -> Mask:
        return MASKS[self.mask] if isinstance(self.mask, str) else self.mask


class Isolate(StrictModel):
    """Isolation of the index cases at triage (an operations lever).

    Attributes:
        after: Step of the index pathway at whose end the case is isolated
            (default: the first step).
        room_use: Clinical use of the isolation rooms (each such space is one room).
        if_full: No free room: ``wait`` where they are, or go to a ``cohort`` place.
        cohort_use: Clinical use of the cohort places (``if_full: cohort``).
        screened_on_arrival: The case is recognised on arrival, so there is no
            undiagnosed wait before the pathway.
        care_in_room: Once isolated, the case is seen in the isolation room:
            later steps that needed a cubicle or treatment room of their own
            happen there instead (scans and other steps at a fixed place stay).
    """

    after: str | None = None
    room_use: str = "ed_isolation"
    if_full: Literal["wait", "cohort"] = "wait"
    cohort_use: str | None = None
    screened_on_arrival: bool = True
    care_in_room: bool = True

    @model_validator(mode="after")
    def _cohort_place(self) -> Isolate:
        if self.if_full == "cohort" and self.cohort_use is None:
            # the cohort pool had nothing to count its places by: an internal error before the run
            raise ValueError("'if_full: cohort' needs 'cohort_use', the clinical use of the cohort places")
        return self


class CloseBay(StrictModel):
    """Close the bay (or room) where the first index case is at ``at_h`` (an operations lever).

    Its places leave their pool from ``at_h`` for ``hours`` (occupied places
    close as their patient leaves; nobody new is admitted), then are deep
    cleaned for ``deep_clean_h``.
    """

    at_h: Hours
    hours: float = Field(gt=0, le=MAX_HOURS, allow_inf_nan=False)
    deep_clean_h: float = Field(default=4.0, ge=0, le=720, allow_inf_nan=False)


class Intervention(StrictModel):
    """One response, compared with the baseline on the same random numbers.

    Attributes:
        name: Label in results.
        air: Air changes, HEPA units and isolation settings, on top of the scenario's.
        masks: Mask policy replacing the scenario's.
        hand_hygiene: Hygiene compliance replacing the scenario's.
        isolate: Isolate the index cases (operations lever).
        close_bay: Close the index case's bay (operations lever).
        cohort_staff: Staff pools and how many of their units serve isolated
            patients only (operations lever; needs ``isolate``).
    """

    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")
    air: AirSettings | None = None
    masks: MaskPolicy | None = None
    hand_hygiene: HandHygiene | None = None
    isolate: Isolate | None = None
    close_bay: CloseBay | None = None
    # A unit count below 1 would cohort nobody (or, negative, add staff): refused by name.
    cohort_staff: dict[str, Annotated[int, Field(ge=1, le=MAX_COHORT)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cohort(self) -> Intervention:
        if self.cohort_staff and self.isolate is None:
            raise ValueError("'cohort_staff' serves isolated patients; it needs 'isolate'")
        return self

    @property
    def changes_operations(self) -> bool:
        return self.isolate is not None or self.close_bay is not None or bool(self.cohort_staff)


class InfectionScenario(ScenarioBase):
    """An infection scenario (``kind: infection``).

    Exactly one of ``operations`` and ``evacuation`` says whose people are exposed.

    Attributes:
        operations: The operations scenario whose people are exposed: a file
            (relative to this one) or the scenario written inline.
        evacuation: Or an evacuation scenario (a file or inline): the exposure
            of everyone during the drill and in the refuges after it.
        refuge_stay_min: How long people stay in the refuge they reached
            (evacuation only; the drill ends there, the stay does not).
        days: Length of the run in days (replaces the operations run's length;
            the warm-up is dropped, so everyone present counts).
        pathogen: A preset and overrides.
        index_cases: The infectious people at the start (none: nothing to spread).
        air: The building's air.
        masks: Who wears which mask.
        activity: What patients and staff do while exposed.
        hand_hygiene: Hygiene compliance of the contact route.
        interventions: Responses compared with the baseline (which always runs first).
        time_step_min: Time step of the airborne route.
        emission_samples: Emission draws per index case and replication.
        generations: 1 (secondary cases) or 2 (also tertiary cases).
    """

    kind: Literal["infection"] = "infection"
    operations: OperationsScenario | str | None = None
    evacuation: EvacuationScenario | str | None = None
    refuge_stay_min: float = Field(default=60.0, ge=0, le=10_080, allow_inf_nan=False)
    days: float | None = Field(default=None, gt=0, le=60, allow_inf_nan=False)
    pathogen: PathogenSpec
    index_cases: list[IndexCase] = Field(default_factory=list)
    air: AirSettings = Field(default_factory=AirSettings)
    masks: MaskPolicy = Field(default_factory=MaskPolicy)
    activity: ActivityPolicy = Field(default_factory=ActivityPolicy)
    hand_hygiene: HandHygiene = Field(default_factory=HandHygiene)
    interventions: list[Intervention] = Field(default_factory=list)
    time_step_min: float = Field(default=1.0, gt=0, le=60, allow_inf_nan=False)
    emission_samples: int = Field(default=200, ge=1, le=100_000)
    generations: int = Field(default=2, ge=1, le=2)

    @model_validator(mode="after")
    def _model_files(self) -> InfectionScenario:
        # ``operations: path.yaml`` (or ``evacuation:``) is read here, through the one
        # scenario loader, so the frozen scenario holds everything and model code never
        # reads files.  (An after-validator: a before-validator would switch an inline
        # scenario out of the loader's JSON validation.)
        if (self.operations is None) == (self.evacuation is None):
            raise ValueError("give exactly one of 'operations' and 'evacuation' (whose people are exposed)")
        update: dict[str, Any] = {}
        for name, cls in (("operations", OperationsScenario), ("evacuation", EvacuationScenario)):
            ref_text = getattr(self, name)
            if not isinstance(ref_text, str):
                continue
            ref = Path(ref_text)
            if not ref.is_absolute() and self.source:
                ref = Path(self.source).parent / ref
            from scenarios.loader import files_being_read, load, same_file

            reading, key = files_being_read(), same_file(ref)
            if key in reading:
                # it would be read again while it is being read, without end
                what = ("this file itself" if key == reading[-1] else
                        "a file that names this one: " + " -> ".join(map(str, reading[reading.index(key):])))
                raise ValueError(f"{name}: {str(ref)!r} is {what}; expected an {name} scenario file (or the "
                                 "scenario written inline)")
            if not ref.exists():
                raise ValueError(f"{name}: scenario file {str(ref)!r} not found (a path relative to this "
                                 "file, or write the scenario inline)")
            loaded = load(ref)
            if not isinstance(loaded, cls):
                raise ValueError(f"{name}: {str(ref)!r} is a {loaded.kind!r} scenario; expected {name!r}")
            update[name] = loaded
        return self.model_copy(update=update) if update else self

    @property
    def ops(self) -> OperationsScenario:
        """The operations scenario (read from its file at load time)."""
        assert isinstance(self.operations, OperationsScenario), "not an operations-based scenario"
        return self.operations

    @property
    def evac(self) -> EvacuationScenario | None:
        """The evacuation scenario, or None when people come from operations."""
        assert not isinstance(self.evacuation, str), "evacuation file not resolved"
        return self.evacuation

    @field_validator("interventions")
    @classmethod
    def _unique(cls, v: list[Intervention]) -> list[Intervention]:
        names = [i.name for i in v]
        dup = sorted({n for n in names if names.count(n) > 1} | ({"baseline"} & set(names)))
        if dup:
            raise ValueError(f"intervention names must be unique and not 'baseline'; {dup} repeated "
                             "or reserved")
        return v

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> InfectionScenario:
        sc = super().model_validate(obj, *args, **kwargs)
        sc.cross_check()
        return sc

    def cross_check(self) -> None:
        """Rules that tie the scenario to its operations scenario; ScenarioFileError naming the field."""
        src = self.source or "<scenario>"
        pathogen = self.pathogen.resolve()
        for i, ic in enumerate(self.index_cases):
            if pathogen.emission is None and ic.emission is None and ic.pathway is None:
                # the contact route follows the operations model's staff and device contacts, which
                # only patients of its pathways have: such a case was run and infected nobody
                key, what = (("space", "a case placed in a space") if ic.space is not None else
                             ("person", "a person of an evacuation (a drill records no contacts)"))
                raise ScenarioFileError(src, f"index_cases[{i}].{key}",
                                        f"{pathogen.name} spreads only by contact (hands and shared "
                                        f"devices), and {what} has none, so it would infect nobody; "
                                        "expected a 'pathway' patient of an operations scenario, or an "
                                        "'emission' (quanta/h) for the airborne route")
        if self.evac is not None:
            # nobody is in the building after the drill's last second and the refuge stay
            last_h = (self.evac.alarm + self.evac.max_time) / 3600.0 + self.refuge_stay_min / 60.0
            for i, ic in enumerate(self.index_cases):
                if ic.pathway is not None:
                    raise ScenarioFileError(src, f"index_cases[{i}].pathway", "index cases of an evacuation "
                                            "are a 'person' of the drill or placed in a 'space'")
                if ic.space is not None and ic.start_h >= last_h:
                    # the case would be alone in the building, and the run would report no cases
                    raise ScenarioFileError(src, f"index_cases[{i}].start_h",
                                            f"{ic.start_h:g} h is not before the end of the drill and the "
                                            f"refuge stay ({last_h:.3g} h: 'alarm' + 'max_time' of the "
                                            "evacuation, then 'refuge_stay_min'); expected a time within it")
            for k, iv in enumerate(self.interventions):
                if iv.changes_operations:
                    raise ScenarioFileError(src, f"interventions[{k}]", "isolation, closing a bay and "
                                            "cohorting are operations levers; this scenario exposes an "
                                            "evacuation")
            return
        ops = self.ops
        end_h = self.days * 24 if self.days is not None else ops.run.length * _HOURS_PER[ops.run.unit]
        for i, ic in enumerate(self.index_cases):
            at, key = (ic.arrive_h, "arrive_h") if ic.pathway is not None else (ic.start_h, "start_h")
            if (ic.space is not None or ic.pathway is not None) and at >= end_h:
                # the case would never be present, and the run would report no cases at all
                raise ScenarioFileError(src, f"index_cases[{i}].{key}",
                                        f"{at:g} h is not before the end of the run ({end_h:g} h); "
                                        "expected a time within the run (or a longer 'days')")
            if ic.person is not None:
                raise ScenarioFileError(src, f"index_cases[{i}].person", "'person' names someone in an "
                                        "evacuation; this scenario exposes an operations run")
            if ic.pathway is not None and ic.pathway not in ops.pathways:
                raise ScenarioFileError(src, f"index_cases[{i}].pathway",
                                        f"unknown pathway {ic.pathway!r}; the operations scenario has "
                                        f"{sorted(ops.pathways)}")
        for k, iv in enumerate(self.interventions):
            if iv.close_bay is not None and iv.close_bay.at_h >= end_h:
                # nothing was closed, and the intervention came out the same as the baseline
                raise ScenarioFileError(src, f"interventions[{k}].close_bay.at_h",
                                        f"{iv.close_bay.at_h:g} h is not before the end of the run "
                                        f"({end_h:g} h); expected a time within the run (or a longer 'days')")
            if (iv.isolate or iv.close_bay) and not any(ic.pathway for ic in self.index_cases):
                raise ScenarioFileError(src, f"interventions[{k}]", "'isolate' and 'close_bay' act on index "
                                        "cases that follow an operations pathway; none does")
            for name in iv.cohort_staff:
                res = ops.resources.get(name)
                if res is None or res.kind != "staff":
                    staff = sorted(n for n, r in ops.resources.items() if r.kind == "staff")
                    raise ScenarioFileError(src, f"interventions[{k}].cohort_staff.{name}",
                                            f"not a staff resource of the operations scenario: {staff}")
            iso = iv.isolate
            if iso is not None and iso.after is not None:
                for i, ic in enumerate(self.index_cases):
                    if ic.pathway and iso.after not in [s.name for s in ops.pathways[ic.pathway].steps]:
                        raise ScenarioFileError(src, f"interventions[{k}].isolate.after",
                                                f"pathway {ic.pathway!r} (index_cases[{i}]) has no step "
                                                f"{iso.after!r}")

    def all_interventions(self) -> list[Intervention]:
        """The baseline (no change) followed by the scenario's interventions."""
        return [Intervention(name="baseline"), *self.interventions]
