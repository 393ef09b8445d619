"""The building as data: levels, spaces, doors, exits, stairs and lifts.

Every object here is a frozen dataclass over immutable shapely geometry, so a
``Facility`` can be shared between the operations model, the evacuation model,
the LiDAR pipeline and the app without anyone editing it under another's feet.
Layout variants are new facilities made with :func:`dataclasses.replace`.

Coordinates are metres in a right-handed plan frame per level (x east, y
north); elevations are metres above the ground level's floor.  This module holds
no I/O and no validation beyond what a single object can check about itself;
cross-object checks (a door on the wall between its two spaces, reachability
of exits) live in :mod:`facility.validate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

import shapely
from shapely.geometry import LineString, Point, Polygon

from facility.errors import FacilityValueError

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "OCCUPIED_KINDS",
    "AssemblyPoint",
    "Door",
    "Exit",
    "Facility",
    "Level",
    "Lift",
    "Space",
    "SpaceKind",
    "Stair",
]


class SpaceKind(StrEnum):
    """What a space is for movement purposes (not its clinical use)."""

    ROOM = "room"
    CORRIDOR = "corridor"
    STAIR = "stair"
    LIFT = "lift"
    EXIT = "exit"  # an exit lobby or vestibule inside the building
    OUTSIDE = "outside"  # a scanned or drawn area outside the envelope
    REFUGE = "refuge"  # a protected area of refuge (e.g. a stair lobby)


#: Kinds of space in which people normally stay; others are passed through.
OCCUPIED_KINDS = frozenset({SpaceKind.ROOM, SpaceKind.CORRIDOR, SpaceKind.REFUGE})


def _check_positive(owner: str, name: str, value: float) -> None:
    if not value > 0:
        raise FacilityValueError(f"{owner}: {name!r} must be > 0, got {value!r}")


def _check_non_negative(owner: str, name: str, value: float) -> None:
    if not value >= 0:
        raise FacilityValueError(f"{owner}: {name!r} must be >= 0, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Level:
    """One storey: its floor elevation and default clear ceiling height."""

    id: str
    name: str = ""
    elevation: float = 0.0
    ceiling_height: float = 3.0

    def __post_init__(self) -> None:
        _check_positive(f"level {self.id}", "ceiling_height", self.ceiling_height)


@dataclass(frozen=True, slots=True, kw_only=True)
class Space:
    """A room, corridor, stair or lift shaft footprint on one level.

    Attributes:
        id: Unique id across the facility.
        level: Id of the level the space is on.
        kind: Movement role of the space (see :class:`SpaceKind`).
        polygon: Floor outline (shapely ``Polygon``, metres, may have holes).
        use: Clinical or functional use, e.g. ``"ed_waiting"``, ``"ct"``,
            ``"ward_bay"``; free text, matched by scenarios.
        name: Human label.
        beds: Number of patient beds in the space.
        compartment: Smoke compartment id; spaces sharing it are one
            compartment, separated from others by smoke doors.
        air_changes: Air changes per hour (ASHRAE 170 defaults are applied by
            the infection model when ``None``).
        ceiling_height: Overrides the level's ceiling height when set.
        occupied: Whether people normally stay here (drives the reachability
            check: an unreachable occupied space is an error, an unreachable
            unoccupied one a warning).
    """

    id: str
    level: str
    kind: SpaceKind
    polygon: Polygon
    use: str | None = None
    name: str = ""
    beds: int = 0
    compartment: str | None = None
    air_changes: float | None = None
    ceiling_height: float | None = None
    occupied: bool = True

    def __post_init__(self) -> None:
        owner = f"space {self.id}"
        if not isinstance(self.polygon, Polygon):
            raise FacilityValueError(f"{owner}: 'polygon' must be a shapely Polygon")
        _check_non_negative(owner, "beds", self.beds)
        if self.air_changes is not None:
            _check_non_negative(owner, "air_changes", self.air_changes)
        if self.ceiling_height is not None:
            _check_positive(owner, "ceiling_height", self.ceiling_height)

    @property
    def area(self) -> float:
        """Floor area in square metres."""
        return float(self.polygon.area)

    @property
    def anchor(self) -> Point:
        """A point guaranteed inside the space: where a trip into it starts or ends."""
        c = self.polygon.centroid
        return c if self.polygon.contains(c) else self.polygon.representative_point()


@dataclass(frozen=True, slots=True, kw_only=True)
class Door:
    """An opening in the wall shared by two spaces on the same level.

    Attributes:
        id: Unique id across the facility.
        spaces: The two spaces joined (order carries no meaning).
        at: Centre of the opening, on the shared wall, in level coordinates.
        width: Clear width in metres (what a bed or a crowd can use).
        fire_door: A fire-resisting door (normally held open, closes on alarm).
        smoke_door: A smoke-barrier door (separates smoke compartments).
    """

    id: str
    spaces: tuple[str, str]
    at: tuple[float, float]
    width: float
    fire_door: bool = False
    smoke_door: bool = False

    def __post_init__(self) -> None:
        _check_positive(f"door {self.id}", "width", self.width)
        if len(self.spaces) != 2 or self.spaces[0] == self.spaces[1]:
            raise FacilityValueError(
                f"door {self.id}: 'spaces' must name two different spaces, got {self.spaces!r}"
            )

    @property
    def point(self) -> Point:
        return Point(self.at)

    def other(self, space_id: str) -> str:
        """The space on the far side of the door from ``space_id``."""
        a, b = self.spaces
        return b if space_id == a else a


@dataclass(frozen=True, slots=True, kw_only=True)
class Exit:
    """A final exit: an opening from a space to open air outside the building."""

    id: str
    space: str
    at: tuple[float, float]
    width: float
    assembly_point: str | None = None

    def __post_init__(self) -> None:
        _check_positive(f"exit {self.id}", "width", self.width)

    @property
    def point(self) -> Point:
        return Point(self.at)


@dataclass(frozen=True, slots=True, kw_only=True)
class Stair:
    """A stair core: one stair space per level it serves, bottom to top.

    ``flight_length`` is the walking length along the slope per storey
    (all flights and landings), which the stair speed applies to.
    Riser and tread (mm) choose the SFPE stair speed constant.
    """

    id: str
    spaces: tuple[str, ...]
    width: float
    flight_length: float = 10.0
    riser_mm: float = 178.0
    tread_mm: float = 279.0

    def __post_init__(self) -> None:
        owner = f"stair {self.id}"
        _check_positive(owner, "width", self.width)
        _check_positive(owner, "flight_length", self.flight_length)
        if len(self.spaces) < 2:
            raise FacilityValueError(f"{owner}: 'spaces' must list >= 2 stair spaces (one per level)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Lift:
    """A lift: one lift space (shaft footprint) per level it stops at, bottom to top.

    A bed lift has a car of at least about 1.8 x 2.7 m (HTM 08-02).
    """

    id: str
    spaces: tuple[str, ...]
    car_width: float = 1.8
    car_depth: float = 2.7
    door_width: float = 1.3
    speed: float = 1.0  # m/s, vertical
    door_time: float = 8.0  # s, open + close at one stop
    capacity_persons: int = 21
    bed_lift: bool = True
    evacuation_lift: bool = False

    def __post_init__(self) -> None:
        owner = f"lift {self.id}"
        for name in ("car_width", "car_depth", "door_width", "speed"):
            _check_positive(owner, name, getattr(self, name))
        _check_non_negative(owner, "door_time", self.door_time)
        _check_positive(owner, "capacity_persons", self.capacity_persons)
        if len(self.spaces) < 2:
            raise FacilityValueError(f"{owner}: 'spaces' must list >= 2 lift spaces (one per level)")


@dataclass(frozen=True, slots=True, kw_only=True)
class AssemblyPoint:
    """Where evacuees gather outside (plan coordinates of the ground level)."""

    id: str
    at: tuple[float, float]
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class Facility:
    """A whole building: the one object every model and the app reads.

    Build one with :func:`facility.load`, :func:`facility.sample`,
    :func:`facility.build` or :func:`lidar.extract`; it is immutable.
    Lookups by id (``facility.space("ED-01")``) and the navigation graph are
    computed once and cached.
    """

    name: str
    levels: tuple[Level, ...]
    spaces: tuple[Space, ...]
    doors: tuple[Door, ...] = ()
    exits: tuple[Exit, ...] = ()
    stairs: tuple[Stair, ...] = ()
    lifts: tuple[Lift, ...] = ()
    assembly_points: tuple[AssemblyPoint, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    # -- lookups -----------------------------------------------------------------
    @cached_property
    def _levels(self) -> dict[str, Level]:
        return {lv.id: lv for lv in self.levels}

    @cached_property
    def _spaces(self) -> dict[str, Space]:
        return {s.id: s for s in self.spaces}

    @cached_property
    def _doors(self) -> dict[str, Door]:
        return {d.id: d for d in self.doors}

    @cached_property
    def _exits(self) -> dict[str, Exit]:
        return {e.id: e for e in self.exits}

    def level(self, level_id: str) -> Level:
        return _lookup(self._levels, level_id, "level")

    def space(self, space_id: str) -> Space:
        return _lookup(self._spaces, space_id, "space")

    def door(self, door_id: str) -> Door:
        return _lookup(self._doors, door_id, "door")

    def exit(self, exit_id: str) -> Exit:
        return _lookup(self._exits, exit_id, "exit")

    def has_space(self, space_id: str) -> bool:
        return space_id in self._spaces

    def spaces_on(self, level_id: str) -> tuple[Space, ...]:
        """Spaces on one level, in file order."""
        return tuple(s for s in self.spaces if s.level == level_id)

    def spaces_with_use(self, use: str) -> tuple[Space, ...]:
        """Spaces whose clinical use is ``use``, in file order."""
        return tuple(s for s in self.spaces if s.use == use)

    @cached_property
    def uses(self) -> frozenset[str]:
        """Every clinical use present in the facility."""
        return frozenset(s.use for s in self.spaces if s.use)

    @cached_property
    def doors_of(self) -> dict[str, tuple[Door, ...]]:
        """Doors touching each space id."""
        out: dict[str, list[Door]] = {s.id: [] for s in self.spaces}
        for d in self.doors:
            for sid in d.spaces:
                out.setdefault(sid, []).append(d)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def exits_of(self) -> dict[str, tuple[Exit, ...]]:
        """Final exits of each space id."""
        out: dict[str, list[Exit]] = {}
        for e in self.exits:
            out.setdefault(e.space, []).append(e)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def compartments(self) -> dict[str, tuple[str, ...]]:
        """Smoke compartment id -> ids of its spaces."""
        out: dict[str, list[str]] = {}
        for s in self.spaces:
            if s.compartment is not None:
                out.setdefault(s.compartment, []).append(s.id)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def total_beds(self) -> int:
        return sum(s.beds for s in self.spaces)

    @cached_property
    def level_outline(self) -> dict[str, Polygon]:
        """Union of all space polygons per level (the walkable floor)."""
        out: dict[str, Polygon] = {}
        for lv in self.levels:
            polys = [s.polygon for s in self.spaces if s.level == lv.id]
            out[lv.id] = shapely.union_all(polys) if polys else Polygon()
        return out

    @cached_property
    def graph(self) -> nx.Graph:
        """The navigation graph (see :func:`facility.graph.build_graph`)."""
        from facility.graph import build_graph

        return build_graph(self)

    def door_segment(self, door: Door | Exit) -> LineString:
        """The opening as a segment along the wall, ``width`` long, centred on ``at``."""
        from facility.geometry import opening_segment

        space_id = door.spaces[0] if isinstance(door, Door) else door.space
        return opening_segment(self.space(space_id).polygon, door.at, door.width)

    def summary(self) -> dict[str, int]:
        """Headline counts, as printed by ``medtwin facility validate``."""
        g = self.graph
        return {
            "levels": len(self.levels),
            "spaces": len(self.spaces),
            "rooms": sum(s.kind is SpaceKind.ROOM for s in self.spaces),
            "beds": self.total_beds,
            "doors": len(self.doors),
            "smoke_doors": sum(d.smoke_door for d in self.doors),
            "exits": len(self.exits),
            "stairs": len(self.stairs),
            "lifts": len(self.lifts),
            "compartments": len(self.compartments),
            "graph_nodes": g.number_of_nodes(),
            "graph_edges": g.number_of_edges(),
        }


def _lookup(table: Mapping[str, Any], key: str, what: str) -> Any:
    try:
        return table[key]
    except KeyError:
        raise KeyError(f"no {what} with id {key!r}") from None
