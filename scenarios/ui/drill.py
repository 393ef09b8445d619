"""Evacuation drills from the app: a ready drill with the safety officer's changes.

The starting point is a shipped drill (night or day occupancy, with or
without a fire); the levers scale who is in the building (bed occupancy,
staff on duty), set the strategy (progressive, full or horizontal; the fire
compartments; staff assignment; lifts; when the vertical phase starts), the
time limit, and where a fire starts and how fast it grows.  The result is a
new, validated scenario; the evacuation and hazard models do the rest.

A shipped drill places its people by the sample hospital's uses (ward bays,
nurse stations...), which an uploaded or scanned building need not have: a
:class:`RoomFill` places them instead room by room, in any building.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facility import Facility
    from scenarios.evacuation import EvacuationScenario

__all__ = ["DrillLevers", "RoomFill", "drill", "room_fill"]

SECONDS_PER_MINUTE = 60.0
#: Bed occupancy of a room fill when the shipped drill fills no beds (its night drill's 90 %).
DEFAULT_BED_OCCUPANCY = 0.9
#: Patient mix of a room fill when the shipped drill fills no beds.
DEFAULT_BED_MIX = {"bed": 1.0}


@dataclass(frozen=True, kw_only=True)
class RoomFill:
    """Who is in the building at the alarm, room by room: for a building a shipped drill does not fit.

    Attributes:
        rooms: Rooms without beds, each holding ``people`` ambulant occupants.
        people: Occupants per room without beds.
        wards: Rooms with beds: their beds are filled with the drill's patient mix and each holds
            ``staff`` staff (scaled by the staff lever, never rounded down to nobody).
        staff: Staff per room with beds.
    """

    rooms: tuple[str, ...] = ()
    people: int = 0
    wards: tuple[str, ...] = ()
    staff: int = 1

    def __post_init__(self) -> None:
        for name in ("people", "staff"):
            v = getattr(self, name)
            if not 0 <= v <= 1000:
                raise ValueError(f"'{name}' must be 0 to 1000 per room, got {v}")


def room_fill(facility: Facility, people: int, staff: int = 1) -> RoomFill:
    """``people`` in every room of ``facility`` without beds, and ``staff`` in every room with beds.

    >>> from facility import sample
    >>> fill = room_fill(sample(), 2)
    >>> len(fill.rooms) > 0 and len(fill.wards) > 0 and not set(fill.rooms) & set(fill.wards)
    True
    """
    rooms = [s for s in facility.spaces if s.kind.value == "room"]
    return RoomFill(rooms=tuple(s.id for s in rooms if s.beds == 0), people=people,
                    wards=tuple(s.id for s in rooms if s.beds > 0), staff=staff)


@dataclass(frozen=True, kw_only=True)
class DrillLevers:
    """What a drill changes relative to the shipped one.

    Attributes:
        occupancy: Factor on every bed occupancy (capped at full beds).
        staff: Factor on the staff on duty (each group rounded, at least one
            where there was one: a ward is never left unstaffed by rounding).
        mode, fire_compartments, policy, lifts: The strategy (``None``: unchanged).
        vertical_after_min: Minutes after the alarm the vertical phase starts
            (``None``: unchanged).
        max_minutes: Time limit of the drill (``None``: unchanged).
        fire_origin: Space where a fire starts (``None``: the drill's own fire, if any).
        growth: t-squared growth class of that fire.
        facility: Another facility (``"sample"`` or a facility file path).
        trajectories: Record everyone's positions for the playback (a shipped
            performance drill may have them off; the app always replays).
        from_operations: ``(operations scenario file, "HH:MM")``: start from
            who is where at that time of that operations run, instead of the
            drill's occupancy (``occupancy`` and ``staff`` then do not apply).
        rooms: People placed room by room instead of the drill's occupancy (any building);
            ``occupancy`` and ``staff`` still scale its beds and staff.
    """

    occupancy: float = 1.0
    staff: float = 1.0
    mode: str | None = None
    fire_compartments: tuple[str, ...] | None = None
    policy: str | None = None
    lifts: str | None = None
    vertical_after_min: float | None = None
    max_minutes: float | None = None
    fire_origin: str | None = None
    growth: str = "medium"
    facility: str | None = None
    trajectories: bool = True
    from_operations: tuple[str, str] | None = None
    rooms: RoomFill | None = None

    def __post_init__(self) -> None:
        for name in ("occupancy", "staff"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"'{name}' must be a factor >= 0, got {v}")


def _staff_count(count: int, factor: float) -> int:
    """Staff in a group after scaling: rounded, but never rounded down to nobody.

    >>> _staff_count(3, 0.5), _staff_count(1, 0.4), _staff_count(0, 2.0), _staff_count(2, 0.0)
    (2, 1, 0, 0)
    """
    if count == 0 or factor == 0:
        return 0
    return max(1, round(count * factor))


def _by_room(pop: dict[str, Any], fill: RoomFill) -> dict[str, Any]:
    """A population placing people room by room, its beds filled as the drill fills them on average.

    The drill's bed fills give the occupancy (their mean) and the patient mix (their mixes
    summed); the occupancy and staff levers then scale it like any drill's.
    """
    fills = pop.get("beds") or []
    occupancy = sum(f["occupancy"] for f in fills) / len(fills) if fills else DEFAULT_BED_OCCUPANCY
    mix: dict[str, float] = {}
    for f in fills:
        for profile, share in f["mix"].items():
            mix[profile] = mix.get(profile, 0.0) + share
    groups = [{"profile": "ambulant", "count": fill.people, "space": room} for room in fill.rooms
              if fill.people > 0]
    groups += [{"profile": "staff", "count": fill.staff, "space": ward} for ward in fill.wards
               if fill.staff > 0]
    beds = [{"use": None, "occupancy": occupancy, "mix": mix or dict(DEFAULT_BED_MIX)}] if fill.wards else []
    return {"groups": groups, "beds": beds}


def drill(base: EvacuationScenario, levers: DrillLevers, name: str) -> EvacuationScenario:
    """The shipped drill ``base`` with ``levers`` applied, named ``name``.

    >>> import scenarios
    >>> from importlib.resources import files
    >>> night = scenarios.load(files("scenarios.library") / "sample_hospital_night_evacuation.yaml")
    >>> d = drill(night, DrillLevers(occupancy=0.5, staff=2.0, mode="horizontal"), "half full")
    >>> d.population.beds[0].occupancy, d.population.groups[0].count, d.strategy.mode
    (0.45, 6, 'horizontal')
    """
    data: dict[str, Any] = base.model_dump()
    if levers.rooms is not None:
        data["population"] = _by_room(data["population"], levers.rooms)
    pop = data["population"]
    for fill in pop["beds"]:
        fill["occupancy"] = min(1.0, fill["occupancy"] * levers.occupancy)
    for group in pop["groups"]:
        if group["profile"] in ("staff", "nurse", "doctor", "porter"):
            group["count"] = _staff_count(group["count"], levers.staff)
    strategy = data["strategy"]
    for key in ("mode", "policy", "lifts"):
        if getattr(levers, key) is not None:
            strategy[key] = getattr(levers, key)
    if levers.fire_compartments is not None:
        strategy["fire_compartments"] = list(levers.fire_compartments)
    if levers.vertical_after_min is not None:
        strategy["vertical_after"] = levers.vertical_after_min * SECONDS_PER_MINUTE
    if levers.max_minutes is not None:
        data["max_time"] = levers.max_minutes * SECONDS_PER_MINUTE
    if levers.fire_origin is not None:
        hazard = data.get("hazard") or {}
        fire = dict(hazard.get("fire") or {})
        old = fire.get("origin")
        fire.update(origin=levers.fire_origin, growth=levers.growth)
        # a detector in the old room of origin moves with the fire
        fire["detectors"] = [{**d, "space": levers.fire_origin} if d.get("space") == old else d
                             for d in fire.get("detectors", [])]
        hazard["fire"] = fire
        data["hazard"] = hazard
    if levers.from_operations is not None:
        ops_file, clock = levers.from_operations
        data["population"] = {"from_operations": {"scenario": ops_file, "time": clock}}
    data.update(name=name, description=base.description, trajectories=levers.trajectories)
    if levers.facility is not None:
        data["facility"] = levers.facility
    return type(base).model_validate({**data, "source": base.source})

