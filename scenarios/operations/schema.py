"""The operations scenario: pathways, arrivals, resources and the run, as frozen data.

Everything a hospital operations run needs is here and nowhere else; model
code reads these objects, never files.  Validation happens in two places:
per-field rules (a negative duration, probabilities that do not sum to 1) are
pydantic constraints, so the loader names the file and the dotted field;
rules that tie fields together (a step needing a resource nobody declared, a
roster that leaves a required role with nobody, ever) run once the whole
scenario is parsed and raise :class:`~scenarios.errors.ScenarioFileError`
with the field path.  All times inside the model are minutes from the start
of the run, which is taken to be 00:00 on a Monday unless the arrival
profiles say otherwise (rates are aligned to the run start).  The resource
pools are defined in :mod:`scenarios.operations.resource_schema` and
re-exported here, so this module is the one place to import from.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from scenarios.base import ScenarioBase, StrictModel
from scenarios.errors import ScenarioFileError
from scenarios.operations.distributions import UNIT_MINUTES, Distribution
from scenarios.operations.resource_schema import Battery, Closure, Failures, Maintenance, Resource, Shift

__all__ = [
    "EXIT",
    "ISOLATION_STEP",
    "RATE_UNIT_MINUTES",
    "Arrival",
    "Battery",
    "Branch",
    "Closure",
    "Failures",
    "Isolation",
    "Maintenance",
    "OperationsScenario",
    "Pathway",
    "Resource",
    "Run",
    "Shift",
    "StartIn",
    "Step",
    "Walking",
]

#: Branch target meaning "the patient leaves".
EXIT = "exit"
_PROB_TOL = 1e-6
#: Step name of the event rows that span the time an isolation or cohort place is held.
ISOLATION_STEP = "isolation"
#: Minutes per unit an arrival rate may be given in (``rate_unit``).
RATE_UNIT_MINUTES = {"per_min": 1.0, "per_hour": 60.0, "per_day": 1440.0, "per_week": 10080.0}


def _check_probs(probs: list[float], what: str) -> None:
    s = math.fsum(probs)
    if abs(s - 1.0) > _PROB_TOL:
        raise ValueError(f"{what} must sum to 1, got {s:.6g}")


class Branch(StrictModel):
    """One way out of a step: go to step ``to`` (or ``exit``) with probability ``p``."""

    to: str = Field(min_length=1)
    p: float = Field(ge=0, le=1)


class Step(StrictModel):
    """One step of a pathway.

    Attributes:
        name: Unique within the pathway.
        needs: Resources held together for the whole step; an entry that is a
            list means "any one of these" (skills: a step a nurse practitioner
            or a doctor may do).
        duration: How long the step takes once everyone is there.
        space_use: Where the step happens: the unit of the needed room, bed or
            fixed device whose ``space_use`` matches, else the first space with
            this use.  Without it: the first room, bed or fixed device needed,
            else where the patient is.
        wait_use: Where the patient waits for the step (default: where they are).
        hold: Resources (of this step's needs) kept after the step until the
            next step has started; a later step needing the same resource uses
            the unit held (ED boarding: the cubicle stays taken until a ward
            bed and a porter are free; a cubicle stays reserved during imaging).
        renege: The patient may leave while waiting here (pathway ``patience``).
        next: Branches with probabilities; default the following step, or
            leaving after the last.
        on_full: Where a patient goes who finds a needed resource's queue
            full (its ``queue_limit``) on reaching this step: ``exit`` (the
            patient is diverted elsewhere: ED diversion) or a step of the
            pathway (an ICU transfer out).
    """

    name: str = Field(min_length=1)
    needs: list[str | list[str]] = Field(default_factory=list)
    duration: Distribution
    space_use: str | None = None
    wait_use: str | None = None
    hold: list[str] = Field(default_factory=list)
    renege: bool = False
    next: list[Branch] = Field(default_factory=list)
    on_full: str = Field(default=EXIT, min_length=1)

    @field_validator("next")
    @classmethod
    def _probs(cls, v: list[Branch]) -> list[Branch]:
        if v:
            _check_probs([b.p for b in v], "branch probabilities")
        return v

    @field_validator("needs")
    @classmethod
    def _alternatives(cls, v: list[str | list[str]]) -> list[str | list[str]]:
        seen: set[str] = set()
        for item in v:
            if isinstance(item, list) and not item:
                raise ValueError("a list of alternative resources must not be empty")
            for a in item if isinstance(item, list) else [item]:
                if a in seen:
                    # two units of one pool acquired one after the other can deadlock
                    raise ValueError(f"resource {a!r} is needed twice; declare a second role instead")
                seen.add(a)
        return v

    @model_validator(mode="after")
    def _holds(self) -> Step:
        single = {n for n in self.needs if isinstance(n, str)}
        bad = [h for h in self.hold if h not in single]
        if bad:
            raise ValueError(f"'hold' names {bad}, which are not (single) needs of step {self.name!r}")
        return self


class StartIn(StrictModel):
    """Patients already in the hospital at the start: ``count`` of them part-way through ``step``."""

    step: str = Field(min_length=1)
    count: int = Field(ge=0)


class Isolation(StrictModel):
    """Isolation at triage: some patients of a pathway need an isolation room.

    A patient is flagged with probability ``share`` when the step ``after``
    ends; from then on the patient holds a unit of ``room`` (waiting there
    between steps; steps with no place of their own happen there, staff come
    to the room) until the step ``until`` starts, or until leaving.  If no
    room is free the patient waits for one where they are (``if_full:
    wait``), or takes a place in the shared ``cohort`` resource, whichever
    is free first (``if_full: cohort``).

    Attributes:
        share: Probability that a patient of the pathway is flagged.
        after: Step at whose end patients are flagged (default: the first step).
        room: The resource of isolation-capable places (a room or bed pool).
        if_full: ``wait`` or ``cohort``.
        cohort: Resource of shared places for flagged patients (``if_full: cohort``).
        until: Step whose start ends isolation (default: leaving the hospital).
    """

    share: float = Field(ge=0, le=1)
    after: str | None = None
    room: str = Field(min_length=1)
    if_full: Literal["wait", "cohort"] = "wait"
    cohort: str | None = None
    until: str | None = None

    @model_validator(mode="after")
    def _cohort(self) -> Isolation:
        if self.if_full == "cohort" and self.cohort is None:
            raise ValueError("'if_full: cohort' needs a 'cohort' resource")
        if self.cohort is not None and self.cohort == self.room:
            raise ValueError(f"'cohort' must differ from 'room' ({self.room!r})")
        return self


class Pathway(StrictModel):
    """A patient type: its steps, acuity mix, mobility and patience.

    Attributes:
        mobility: How the patient moves (drives walking speed and the
            evacuation profile in snapshots).
        acuity: Probability of each triage level (ESI 1 most urgent); lower
            numbers are served first, and ESI 1 pre-empts on pre-emptive resources.
        patience: Time a patient waits at a ``renege`` step before leaving.
        arrive_use: Space use where patients arrive (default: first step's).
        companions: Mean number of visitors with each patient (Poisson); they
            appear in snapshots beside their patient, for the evacuation model.
        start_in: Patients already in a step when the run starts (a "now" state:
            wards that are not empty on Monday morning); each has the remaining
            time of a step in progress, drawn from the step's duration.
        target_ends_at: Steps whose start stops the target clock (the 4-hour
            standard runs from arrival to leaving the ED, i.e. to the start of a
            transfer step); without them the clock runs to departure.
        isolation: Isolation at triage for some patients (infection response).
        steps: The steps; the first is where every patient starts.
    """

    mobility: Literal["ambulant", "reduced", "wheelchair", "bed", "ventilated"] = "ambulant"
    acuity: dict[int, float] = Field(default_factory=lambda: {3: 1.0})
    patience: Distribution | None = None
    arrive_use: str | None = None
    companions: float = Field(default=0.0, ge=0, le=10)
    start_in: list[StartIn] = Field(default_factory=list)
    target_ends_at: list[str] = Field(default_factory=list)
    isolation: Isolation | None = None
    steps: list[Step] = Field(min_length=1)

    @field_validator("acuity")
    @classmethod
    def _acuity(cls, v: dict[int, float]) -> dict[int, float]:
        bad = [k for k in v if not 1 <= k <= 5]
        if bad:
            raise ValueError(f"acuity levels must be ESI 1-5, got {bad}")
        if any(p < 0 for p in v.values()):
            raise ValueError("acuity probabilities must be >= 0")
        _check_probs(list(v.values()), "acuity probabilities")
        return v

    @model_validator(mode="after")
    def _graph(self) -> Pathway:
        names = [s.name for s in self.steps]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"step names must be unique, {sorted(dup)} repeated")
        unknown = [t for t in [*self.target_ends_at, *(s.step for s in self.start_in)] if t not in names]
        if unknown:
            raise ValueError(f"target_ends_at or start_in names unknown steps {unknown}; "
                             f"expected some of {names}")
        if EXIT in names:
            raise ValueError(f"{EXIT!r} is reserved for leaving and cannot name a step")
        for s in self.steps:
            for b in s.next:
                if b.to != EXIT and b.to not in names:
                    raise ValueError(f"step {s.name!r} branches to unknown step {b.to!r}; "
                                     f"expected one of {[*names, EXIT]}")
            if s.on_full == s.name:
                raise ValueError(f"step {s.name!r}: 'on_full' cannot send a patient back to the same step")
        # A chain of full steps sending a patient round in a circle would never end (no time passes).
        on_full = {s.name: s.on_full for s in self.steps}
        for name in names:
            seen = [name]
            nxt = on_full[name]
            while nxt != EXIT and nxt in on_full:
                if nxt in seen:
                    raise ValueError(f"'on_full' steps form a circle {[*seen, nxt]}; one of them must lead "
                                     f"to {EXIT!r} or to a step without a queue limit")
                seen.append(nxt)
                nxt = on_full[nxt]
        iso = self.isolation
        if iso is not None:
            if ISOLATION_STEP in names:
                raise ValueError(f"{ISOLATION_STEP!r} names the time in isolation in the event log; "
                                 "rename that step")
            if s.renege and self.patience is None:
                raise ValueError(f"step {s.name!r} allows reneging but the pathway has no 'patience'")
        return self


class Arrival(StrictModel):
    """A stream of patients.

    Attributes:
        name: Label.
        kind: ``poisson`` (non-stationary, by thinning) or ``scheduled``.
        mix: Pathway of each arriving patient, with probabilities.
        rates: Arrival rates (patients per ``rate_unit``) for consecutive
            slots of ``slot_min`` from the run start, repeated cyclically (24
            hourly values = by hour of day).
        rate_unit: ``per_min``, ``per_hour``, ``per_day`` or ``per_week``:
            the unit of ``rates`` (a rate is an intensity, whatever the slot length).
        slot_min: Length of one rate slot.
        thinning: ``exact`` (the rate at each candidate time, Lewis-Shedler) or
            ``previous_arrival`` (the rate of the slot of the previous arrival
            holds until the next one, as ``treat-sim`` does; used to reproduce
            its published results).
        weekday_factors: Multipliers for Monday .. Sunday.
        first_min, interval_min, per_day, days, no_show: Appointments: the
            first at ``first_min`` after midnight, then every ``interval_min``,
            ``per_day`` a day on ``days``, each missed with probability ``no_show``.
    """

    name: str = Field(min_length=1)
    kind: Literal["poisson", "scheduled"] = "poisson"
    mix: dict[str, float] = Field(min_length=1)
    rates: list[float] = Field(default_factory=list)
    rate_unit: Literal["per_min", "per_hour", "per_day", "per_week"] = "per_hour"
    slot_min: float = Field(default=60.0, gt=0, le=10_080)  # at most a week
    thinning: Literal["exact", "previous_arrival"] = "exact"
    weekday_factors: list[float] = Field(default_factory=lambda: [1.0] * 7)
    first_min: float = Field(default=480.0, ge=0, lt=1440)
    interval_min: float = Field(default=15.0, gt=0)
    per_day: int = Field(default=0, ge=0)
    days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    no_show: float = Field(default=0.0, ge=0, le=1)

    @field_validator("mix")
    @classmethod
    def _mix(cls, v: dict[str, float]) -> dict[str, float]:
        if any(p < 0 for p in v.values()):
            raise ValueError("mix probabilities must be >= 0")
        _check_probs(list(v.values()), "mix probabilities")
        return v

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: list[float]) -> list[float]:
        if any(r < 0 or not math.isfinite(r) for r in v):
            raise ValueError("arrival rates must be finite and >= 0")
        return v

    @field_validator("weekday_factors")
    @classmethod
    def _weekdays(cls, v: list[float]) -> list[float]:
        if len(v) != 7 or any(f < 0 for f in v):
            # [1,0, 1,0, ...] with decimal commas is 14 whole numbers to YAML
            hint = (" (twice 7: decimal commas such as 1,0 for 1.0? write decimal points)"
                    if len(v) == 14 and all(float(f).is_integer() for f in v) else "")
            raise ValueError(f"weekday_factors needs 7 values >= 0 (Monday..Sunday), got {len(v)}{hint}")
        return v

    @model_validator(mode="after")
    def _kind(self) -> Arrival:
        if self.kind == "poisson" and (not self.rates or max(self.rates) <= 0):
            raise ValueError("a poisson arrival stream needs 'rates' with at least one value > 0")
        if self.kind == "scheduled" and self.per_day < 1:
            raise ValueError("a scheduled arrival stream needs 'per_day' >= 1")
        return self

    @property
    def per_minute(self) -> float:
        """Factor from ``rates`` to patients per minute."""
        return 1.0 / RATE_UNIT_MINUTES[self.rate_unit]


class Run(StrictModel):
    """How long to simulate and what to discard.

    Attributes:
        length: Run length (in ``unit``).
        warmup: Initial period whose arrivals and resource use are not counted.
        unit: ``min``, ``h`` or ``d`` for ``length`` and ``warmup``.
        target_h: Length-of-stay target for the "share within" KPI (4-hour standard).
        record_events: Keep the per-patient event log (off for very long benchmark runs).
        batches: Split the time after the warm-up into this many equal
            batches and give steady-state KPIs confidence intervals from the
            batch means (one long run instead of many warmed-up replications).
    """

    length: float = Field(gt=0)
    warmup: float = Field(default=0.0, ge=0)
    unit: Literal["min", "h", "d"] = "min"
    target_h: float = Field(default=4.0, gt=0, le=8_760)  # at most a year
    record_events: bool = True
    batches: int | None = Field(default=None, ge=2, le=1000)

    @model_validator(mode="after")
    def _warm(self) -> Run:
        if self.warmup >= self.length:
            raise ValueError(f"'warmup' ({self.warmup}) must be shorter than 'length' ({self.length})")
        return self

    @property
    def length_min(self) -> float:
        return self.length * UNIT_MINUTES[self.unit]

    @property
    def warmup_min(self) -> float:
        return self.warmup * UNIT_MINUTES[self.unit]


class Walking(StrictModel):
    """Whether moves between spaces take time, and the staff speed (m/s)."""

    enabled: bool = True
    staff_speed: float = Field(default=1.34, gt=0, le=3.0)  # m/s: a run, not a walk, beyond 3


class OperationsScenario(ScenarioBase):
    """A hospital operations scenario (``kind: operations``)."""

    kind: Literal["operations"] = "operations"
    run: Run
    walking: Walking = Field(default_factory=Walking)
    resources: dict[str, Resource] = Field(min_length=1)
    pathways: dict[str, Pathway] = Field(min_length=1)
    arrivals: list[Arrival] = Field(min_length=1)

    # The cross-field rules run after either way in (a mapping, or JSON text as
    # the loader passes it), so no path around them exists.
    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> OperationsScenario:
        sc = super().model_validate(obj, *args, **kwargs)
        sc.cross_check()
        return sc

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> OperationsScenario:
        sc = super().model_validate_json(json_data, *args, **kwargs)
        sc.cross_check()
        return sc

    def cross_check(self) -> None:
        """Rules that tie fields together; raise ScenarioFileError naming the field."""
        src = self.source or "<scenario>"
        needed: set[str] = set()
        for pname, pw in self.pathways.items():
            for i, st in enumerate(pw.steps):
                for j, item in enumerate(st.needs):
                    alts = item if isinstance(item, list) else [item]
                    for a in alts:
                        if a not in self.resources:
                            raise ScenarioFileError(
                                src, f"pathways.{pname}.steps[{i}].needs[{j}]",
                                f"unknown resource {a!r}; declared resources: {sorted(self.resources)}")
                    if len(alts) == 1:
                        needed.add(alts[0])
        for k, arr in enumerate(self.arrivals):
            for p in arr.mix:
                if p not in self.pathways:
                    raise ScenarioFileError(src, f"arrivals[{k}].mix.{p}",
                                            f"unknown pathway {p!r}; declared: {sorted(self.pathways)}")
        for name in sorted(needed):
            r = self.resources[name]
            if r.roster and all(s.count == 0 for s in r.roster):
                raise ScenarioFileError(src, f"resources.{name}.roster",
                                        f"every shift has count 0, so {name!r} is never on duty "
                                        "but pathway steps require it")
            if not r.roster and r.count == 0:
                raise ScenarioFileError(src, f"resources.{name}.count",
                                        f"count is 0 but pathway steps require {name!r}")
        _check_isolation(self, src)


def _check_isolation(sc: OperationsScenario, src: str) -> None:
    """Steps named by ``on_full`` and ``isolation`` exist; isolation places are declared rooms or beds."""
    res = sc.resources
    for pname, pw in sc.pathways.items():
        names = [s.name for s in pw.steps]
        for i, st in enumerate(pw.steps):
            if st.on_full != EXIT and st.on_full not in names:
                raise ScenarioFileError(src, f"pathways.{pname}.steps[{i}].on_full",
                                        f"unknown step {st.on_full!r}; expected one of {[*names, EXIT]}")
        iso = pw.isolation
        if iso is None:
            continue
        for what, step in (("after", iso.after), ("until", iso.until)):
            if step is not None and step not in names:
                raise ScenarioFileError(src, f"pathways.{pname}.isolation.{what}",
                                        f"unknown step {step!r}; expected one of {names}")
        for what, name in (("room", iso.room), ("cohort", iso.cohort)):
            if name is None:
                continue
            where = f"pathways.{pname}.isolation.{what}"
            if name not in res:
                raise ScenarioFileError(src, where, f"unknown resource {name!r}; declared: {sorted(res)}")
            if res[name].kind not in ("room", "bed"):
                raise ScenarioFileError(src, where, f"{name!r} is a {res[name].kind}; isolation needs a "
                                        "room or bed resource")
            if res[name].preemptive:
                raise ScenarioFileError(src, f"resources.{name}.preemptive",
                                        f"{name!r} holds isolated patients ({where}); an isolation place "
                                        "cannot be pre-empted")
            if any(name in ([n] if isinstance(n, str) else n) for st in pw.steps for n in st.needs):
                raise ScenarioFileError(src, where, f"{name!r} is also a need of a step of {pname!r}; the "
                                        "isolation place is held from flagging on, so name a resource of "
                                        "its own")
    cohorting = [n for n, r in res.items() if r.cohort_units]
    for n in cohorting:
        if n + ".cohort" in res:
            raise ScenarioFileError(src, f"resources.{n}.cohort_units", f"the cohort of {n!r} is the pool "
                                    f"{n + '.cohort'!r}, a name already declared; rename that resource")
    if cohorting and not any(pw.isolation is not None for pw in sc.pathways.values()):
        raise ScenarioFileError(src, f"resources.{cohorting[0]}.cohort_units",
                                "staff are cohorted for isolated patients, but no pathway has 'isolation'")
