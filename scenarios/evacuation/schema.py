"""The evacuation scenario: who is where at the alarm, the strategy, staffing and model settings.

Every sub-object is a frozen :class:`~scenarios.base.StrictModel`, so unknown
keys and bad values are errors naming the dotted field.  Cross-checks against
the facility (a space, door, exit or compartment it lacks) are in
:func:`scenarios.evacuation.check`.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails

from agents.movement.behaviour import Behaviour
from agents.movement.pedestrians import SpeedModel
from agents.occupants import ALIASES, PROFILES
from scenarios.base import ScenarioBase, StrictModel
from scenarios.errors import ScenarioFileError
from scenarios.hazards.schema import HazardSpec
from scenarios.operations.schema import OperationsScenario

__all__ = ["BedFill", "Closure", "EvacuationScenario", "FromOperations", "Group", "Movement", "Person",
           "Population", "Strategy"]


def _check_profile(v: str) -> str:
    if v not in PROFILES and v not in ALIASES:
        raise ValueError(f"unknown profile {v!r}; expected one of {sorted(PROFILES)}")
    return v


#: Longest drill, s (``max_time``'s bound): no time within a drill is longer.
MAX_DRILL_S = 86_400.0
#: Longest wait before the alarm, s.  The drill is stepped from 0, alarm and all, and that time is
#: outside the work budget (people x ``max_time``): an ``alarm: 1e300`` stepped forever.
MAX_BEFORE_ALARM_S = 3_600.0
#: Longest battery of a device carried with a patient, min (a week).
MAX_BATTERY_MIN = 10_080.0


class Person(StrictModel):
    """One occupant placed explicitly (RiMEA-style tests, drills with a known roster)."""

    id: str = Field(min_length=1)
    profile: str
    space: str
    position: tuple[float, float] | None = None
    exit: str | None = None
    premove: float | None = Field(default=None, ge=0, le=MAX_DRILL_S)
    speed: float | None = Field(default=None, gt=0, le=3)
    battery_min: float | None = Field(default=None, gt=0, le=MAX_BATTERY_MIN)

    _p = field_validator("profile")(_check_profile)


class Group(StrictModel):
    """``count`` people of one profile in each selected space (by id, use or compartment)."""

    profile: str
    count: int = Field(ge=0, le=10_000)
    space: str | None = None
    use: str | None = None
    compartment: str | None = None
    exit: str | None = None

    _p = field_validator("profile")(_check_profile)


class BedFill(StrictModel):
    """Fill beds with patients whose profiles are drawn from ``mix`` (fractions).

    Attributes:
        use: Only spaces with this use (``None``: every space with beds).
        occupancy: Fraction of beds occupied.
        mix: Profile -> fraction; normalised.
    """

    use: str | None = None
    occupancy: float = Field(default=1.0, ge=0, le=1)
    mix: dict[str, float] = Field(default_factory=lambda: {"bed": 1.0})

    @field_validator("mix")
    @classmethod
    def _mix(cls, v: dict[str, float]) -> dict[str, float]:
        if not v or sum(v.values()) <= 0 or any(x < 0 for x in v.values()):
            raise ValueError("must map profiles to non-negative fractions with a positive sum")
        for k in v:
            _check_profile(k)
        return v


class FromOperations(StrictModel):
    """Start from an operations run: who is where ``time`` after its start.

    The operations scenario is read once, when the drill is loaded
    (:meth:`EvacuationScenario._resolve_operations`), and kept in the drill: a replication runs
    it without reading any file, a stored run holds the operations scenario it started from (so
    its scenario hash changes when that file does), and a run folder read back needs no other
    file.

    Attributes:
        scenario: In a file, the operations scenario's path (relative to the drill's file); once
            the drill is loaded, the operations scenario itself (written out in full, without
            its description).
        time: ``"HH:MM"`` or seconds since the operations run started; within its run.
    """

    scenario: str | OperationsScenario
    time: str | float

    @field_validator("time")
    @classmethod
    def _time(cls, v: str | float) -> str | float:
        if isinstance(v, str):
            h, _, m = v.partition(":")
            if not (h.isdigit() and m.isdigit() and int(m) < 60):
                raise ValueError(f"must be 'HH:MM' or seconds, got {v!r}")
        elif v < 0:
            raise ValueError("must be >= 0")
        return v

    @model_validator(mode="after")
    def _within_run(self) -> FromOperations:
        if isinstance(self.scenario, OperationsScenario):
            # Written out in full, it comes back through plain validation: check it as the
            # loader checks an operations scenario of its own.
            self.scenario.cross_check()
            problem = _after_run(self.scenario, self.seconds())
            if problem:
                raise ValueError(f"time: {problem}")
        return self

    def seconds(self) -> float:
        """The time as seconds since the operations run started."""
        if isinstance(self.time, str):
            h, _, m = self.time.partition(":")
            return int(h) * 3600.0 + int(m) * 60.0
        return float(self.time)

    def operations(self) -> OperationsScenario:
        """The operations scenario (resolved when the drill was loaded).

        Raises:
            ValueError: It is still a path: this object was built on its own, not loaded as
                part of a drill.
        """
        if isinstance(self.scenario, str):
            raise ValueError(f"operations scenario {self.scenario!r} was never loaded; load the drill "
                             "with scenarios.load/loads/from_dict")
        return self.scenario


def _after_run(ops: OperationsScenario, seconds: float) -> str:
    """Why ``seconds`` cannot be taken from ``ops``'s run ("" if it can)."""
    end = ops.run.length_min * 60.0
    if seconds > end:
        return f"{seconds:g} s is after the end of the operations run ({end:g} s)"
    return ""


def _operations_scenario(path: str, source: str | None) -> OperationsScenario:
    """The operations scenario in file ``path`` (relative to the drill's file ``source``).

    Raises:
        ValueError: The file is missing, invalid (the message names its field) or of another kind.
    """
    from scenarios.loader import load

    p = Path(path)
    if not p.is_absolute() and source:
        p = Path(source).parent / p
    if not p.exists():
        raise ValueError(f"operations scenario file {str(p)!r} not found")
    try:
        ops = load(p)
    except ScenarioFileError as exc:
        raise ValueError(f"operations scenario {exc}") from None
    if not isinstance(ops, OperationsScenario):
        raise ValueError(f"{str(p)!r} holds a scenario of kind {ops.kind!r}; expected kind 'operations'")
    return ops.model_copy(update={"description": ""})


def _invalid(loc: tuple[str, ...], value: Any, problem: str) -> ValidationError:
    """A validation error at ``loc`` below the field being validated (pydantic prefixes the field)."""
    return ValidationError.from_exception_data("EvacuationScenario", [InitErrorDetails(
        type="value_error", loc=loc, input=value, ctx={"error": ValueError(problem)})])


class Population(StrictModel):
    """Who is in the building at the alarm (any combination)."""

    from_operations: FromOperations | None = None
    people: list[Person] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    beds: list[BedFill] = Field(default_factory=list)


class Strategy(StrictModel):
    """How the building is evacuated.

    Attributes:
        mode: ``full`` (everyone to final exits), ``progressive`` (fire
            compartments to a neighbouring compartment first, then everyone
            out) or ``horizontal`` (only the first phase).
        fire_compartments: Compartments evacuated first.
        vertical_after: Start the vertical phase this many seconds after the
            alarm; default: once the horizontal phase is done.
        policy: Staff assignment: ``nearest``, ``most_dependent`` or ``by_ward``.
        lifts: ``evacuation`` lifts only, ``all`` or ``none``.
        enter_untenable: Staff go into a room the hazard has made untenable to fetch
            a patient; by default they do not, and the patient is reported as left behind.
    """

    mode: Literal["full", "progressive", "horizontal"] = "full"
    fire_compartments: list[str] = Field(default_factory=list)
    vertical_after: float | None = Field(default=None, ge=0)
    policy: Literal["nearest", "most_dependent", "by_ward"] = "most_dependent"
    lifts: Literal["evacuation", "all", "none"] = "evacuation"
    enter_untenable: bool = False


class Movement(StrictModel):
    """Movement model settings (see docs/evacuation.md for the calibration)."""

    dt: float = Field(default=0.05, gt=0, le=0.1)
    time_gap: float = Field(default=0.8, gt=0.1, le=5)
    #: P/(s m): laboratory bottlenecks pass 1.6-2.0 (``../shared/reference/evacuation.md``); 3 is
    #: well beyond any measured door.
    door_flow: float | None = Field(default=1.33, gt=0, le=3)
    #: The collision-free speed model's repulsion (strength, range in m), calibrated at 5 and 0.1
    #: (docs/evacuation.md); the bounds are stated, a factor of 10 either way of the calibration.
    strength: float = Field(default=5.0, gt=0, le=50)
    range: float = Field(default=0.1, gt=0, le=1)
    wall_strength: float = Field(default=5.0, gt=0, le=50)
    wall_range: float = Field(default=0.05, gt=0, le=0.5)
    cell: float = Field(default=0.1, ge=0.05, le=0.25)
    behaviour: dict[str, float] = Field(default_factory=dict)

    @field_validator("behaviour")
    @classmethod
    def _known_rules(cls, v: dict[str, float]) -> dict[str, float]:
        """Each key names a rule constant of :class:`~agents.movement.behaviour.Behaviour`
        or one of the crowd rules of :class:`agents.movement.pedestrians.SpeedModel`."""
        known = set(BEHAVIOUR_FIELDS) | set(CROWD_RULES)
        for key in v:
            if key not in known:
                raise ValueError(f"unknown behaviour rule {key!r}; expected one of "
                                 f"{', '.join(sorted(known))}")
        for key, x in v.items():
            if key in CROWD_RANGES and not CROWD_RANGES[key][0] <= x <= CROWD_RANGES[key][1]:
                low, high, why = CROWD_RANGES[key]
                raise ValueError(f"behaviour.{key} must be between {low:g} and {high:g} ({why}), got {x:g}")
        try:
            Behaviour(**{k: x for k, x in v.items() if k in BEHAVIOUR_FIELDS})
            SpeedModel(**{k: x for k, x in v.items() if k in CROWD_RULES})
        except (TypeError, ValueError) as err:
            raise ValueError(str(err)) from None
        return v


#: Names a scenario may set under ``movement.behaviour``.
BEHAVIOUR_FIELDS = tuple(f.name for f in fields(Behaviour))
#: The crowd rules of :class:`agents.movement.pedestrians.SpeedModel` a scenario may set there too.
CROWD_RULES = ("mouth", "sidestep", "sidestep_range", "yield_speed", "step_aside", "yield_lookahead")
#: Plausible range of each crowd rule (stated: a person's reach and walking speed bound them).
CROWD_RANGES: dict[str, tuple[float, float, str]] = {
    "mouth": (0.0, 5.0, "metres from a portal"),
    "sidestep": (0.0, 5.0, "a weight against the walking direction's 1"),
    "sidestep_range": (0.05, 3.0, "metres before contact"),
    "yield_speed": (0.0, 1.5, "m/s: no faster than a free walk (Weidmann: 1.34 mean)"),
    "step_aside": (0.0, 3.0, "metres ahead of a walker's front"),
    "yield_lookahead": (0.0, 10.0, "metres ahead of a unit's front"),
}


class Closure(StrictModel):
    """A door that closes at ``time`` seconds (routes are recomputed)."""

    door: str
    time: float = Field(ge=0, le=MAX_DRILL_S)


class EvacuationScenario(ScenarioBase):
    """An evacuation drill: facility, population, alarm, strategy, staffing."""

    kind: Literal["evacuation"] = "evacuation"
    alarm: float = Field(default=0.0, ge=0, le=MAX_BEFORE_ALARM_S)
    population: Population = Field(default_factory=Population)
    strategy: Strategy = Field(default_factory=Strategy)
    movement: Movement = Field(default_factory=Movement)
    door_closures: list[Closure] = Field(default_factory=list)
    max_time: float = Field(default=7200.0, gt=0, le=MAX_DRILL_S)
    record_every: float = Field(default=1.0, gt=0, le=MAX_DRILL_S)
    deadlock_window: float = Field(default=60.0, gt=0, le=MAX_DRILL_S)
    trajectories: bool = True
    #: Seconds between two reads of the hazard's conditions (speed factors, dose rates, untenable spaces).
    hazard_every: float = Field(default=1.0, gt=0, le=60)
    #: Fire smoke and/or a gas release the drill runs in (:mod:`scenarios.hazards`); none by default.
    hazard: HazardSpec | None = None

    @field_validator("population", mode="after")
    @classmethod
    def _resolve_operations(cls, pop: Population, info: ValidationInfo) -> Population:
        """Read the operations scenario ``population.from_operations`` names, relative to this file
        (``source``, validated before ``population``)."""
        fo = pop.from_operations
        if fo is None or not isinstance(fo.scenario, str):
            return pop
        try:
            ops = _operations_scenario(fo.scenario, info.data.get("source"))
        except ValueError as exc:
            raise _invalid(("from_operations", "scenario"), fo.scenario, str(exc)) from None
        problem = _after_run(ops, fo.seconds())
        if problem:
            raise _invalid(("from_operations", "time"), fo.time, problem)
        return pop.model_copy(update={"from_operations": fo.model_copy(update={"scenario": ops})})
