"""The evacuation model's vocabulary: occupant states, who is where at the alarm, and the run
parameters (with the behaviour rules' constants in :class:`agents.movement.behaviour.Behaviour` and the crowd
model's in :class:`agents.movement.pedestrians.SpeedModel`, both held here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.movement.behaviour import Behaviour
from agents.movement.pedestrians import SpeedModel
from agents.movement.states import ON_PLANE, STATE_LABELS, State

__all__ = ["ON_PLANE", "STATE_LABELS", "EvacParams", "PersonSpec", "State"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonSpec:
    """One occupant at the alarm.

    Attributes:
        id: Unique id.
        profile: Profile name (:data:`agents.occupants.PROFILES`).
        space: Space they are in.
        position: Exact position, or ``None`` to place at random in ``space``.
        exit: Allocated final exit (RiMEA test 10), or ``None`` for free choice.
        premove: Pre-movement time (s) instead of a draw from the profile.
        speed: Free speed (m/s) instead of a draw from the profile.
        battery_min: Ventilator battery/O2 budget (min) for ventilated patients.
    """

    id: str
    profile: str
    space: str
    position: tuple[float, float] | None = None
    exit: str | None = None
    premove: float | None = None
    speed: float | None = None
    battery_min: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvacParams:
    """Everything about a run except who is where.

    Attributes:
        alarm: Alarm time (s from the start of the run).
        strategy: ``"full"`` (everyone to final exits) or ``"progressive"``
            (fire compartments to a neighbouring compartment, then everyone out).
        fire_compartments: Compartments evacuated first (progressive).
        vertical_after: Seconds after the alarm when the vertical phase starts;
            ``None``: when the horizontal phase is done.
        policy: Staff assignment policy (:data:`agents.assist.POLICIES`).
        lifts: Which lifts are used: ``"evacuation"`` (flagged evacuation
            lifts), ``"all"`` or ``"none"``.
        cell: Raster cell size (m).
        model: Crowd model parameters.
        behaviour: The behaviour rules' constants.
        max_time: Stop after this many simulated seconds.
        record_every: Trajectory and curve sampling interval (s).
        door_closures: (door id, time s) pairs: doors that close during the run.
        deadlock_window: No progress for this long (s) while the portal ahead
            passes no one is a deadlock.
        battery_range: (5 %, 95 %) of transport ventilator battery time (min)
            when a patient has none given (Campbell et al. 2002: 34-642 min).
        trajectories: Record trajectories.
        door_flow: Capacity of doors and exits in P/(s m) of clear width
            (CIBSE Guide E / IMO: 1.33); ``None`` leaves flows to the movement
            model alone.
        hazard_every: Seconds between two reads of the hazard environment, if the
            run has one (:mod:`scenarios.evacuation.exposure`).
        enter_untenable: Staff go into an untenable room to fetch a patient;
            otherwise the patient is left behind, with the reason recorded.
    """

    alarm: float = 0.0
    strategy: str = "full"
    fire_compartments: tuple[str, ...] = ()
    vertical_after: float | None = None
    policy: str = "most_dependent"
    lifts: str = "evacuation"
    cell: float = 0.1
    model: SpeedModel = field(default_factory=SpeedModel)
    behaviour: Behaviour = field(default_factory=Behaviour)
    max_time: float = 3600.0
    record_every: float = 1.0
    door_closures: tuple[tuple[str, float], ...] = ()
    deadlock_window: float = 60.0
    battery_range: tuple[float, float] = (34.0, 642.0)
    trajectories: bool = True
    door_flow: float | None = 1.33
    hazard_every: float = 1.0
    enter_untenable: bool = False
