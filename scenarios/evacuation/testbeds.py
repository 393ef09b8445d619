"""Small facilities of the verification suites (RiMEA, IMO) and the benchmark.

Each builder returns a :class:`facility.model.Facility` made directly from the
dataclasses, so verification does not depend on the file loader, and the
benchmark feeds the very same polygons to JuPedSim.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon, box

from facility.model import Door, Exit, Facility, Level, Space, SpaceKind, Stair

__all__ = ["corridor", "l_corner", "room", "room_corridor_room", "rooms_on_corridor", "stair_tower",
           "wall_violations", "ward"]


def _fac(name: str, spaces: list[Space], *, doors: list[Door] | None = None,
         exits: list[Exit] | None = None, levels: tuple[Level, ...] = (Level(id="L0"),),
         stairs: tuple[Stair, ...] = ()) -> Facility:
    return Facility(name=name, levels=levels, spaces=tuple(spaces), doors=tuple(doors or ()),
                    exits=tuple(exits or ()), stairs=stairs)


def room(width: float, depth: float, exits: list[tuple[str, float, float, float]],
         name: str = "room") -> Facility:
    """A ``width`` x ``depth`` room with final exits ``(id, x, y, width)`` on its walls.

    >>> room(8, 5, [("E", 8.0, 2.5, 1.0)]).space("R").area
    40.0
    """
    sp = Space(id="R", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 0, width, depth), compartment="C1")
    return _fac(name, [sp], exits=[Exit(id=i, space="R", at=(x, y), width=w) for i, x, y, w in exits])


def store_on_corridor(door_width: float = 0.9) -> Facility:
    """A 3 x 3 m room ``S`` off a 10 x 2 m corridor ``K`` by one door ``D`` of ``door_width``, with
    a 1.6 m final exit ``X`` at the corridor's end (a bed in a store behind a 0.9 m door).

    >>> [d.width for d in store_on_corridor(1.2).doors]
    [1.2]
    """
    spaces = [Space(id="S", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 2, 3, 5), compartment="C"),
              Space(id="K", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(0, 0, 10, 2), compartment="C")]
    return _fac("store", spaces, doors=[Door(id="D", spaces=("S", "K"), at=(1.5, 2.0), width=door_width)],
                exits=[Exit(id="X", space="K", at=(10.0, 1.0), width=1.6)])


def corridor(length: float, width: float, exit_width: float | None = None) -> Facility:
    """A straight corridor along x with a final exit across its far end."""
    sp = Space(id="K", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(0, 0, length, width),
               compartment="C1")
    ew = width if exit_width is None else exit_width
    return _fac("corridor", [sp], exits=[Exit(id="E", space="K", at=(length, width / 2), width=ew)])


def l_corner(arm: float = 12.0, width: float = 2.0) -> Facility:
    """RiMEA test 6: an L-shaped corridor (two arms, one space), exit at the end of the second arm."""
    poly = Polygon([(0, 0), (arm, 0), (arm, arm), (arm - width, arm), (arm - width, width), (0, width)])
    sp = Space(id="L", level="L0", kind=SpaceKind.CORRIDOR, polygon=poly, compartment="C1")
    return _fac("l_corner", [sp], exits=[Exit(id="E", space="L", at=(arm - width / 2, arm), width=width)])


def room_corridor_room(room_w: float = 10.0, corr_len: float = 10.0, door_w: float = 1.0) -> Facility:
    """RiMEA test 12: room -> 1 m door -> corridor -> 1 m door -> room with a wide exit."""
    a = Space(id="A", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 0, room_w, room_w), compartment="C1")
    k = Space(id="K", level="L0", kind=SpaceKind.CORRIDOR,
              polygon=box(room_w, room_w / 2 - 1, room_w + corr_len, room_w / 2 + 1), compartment="C1")
    b = Space(id="B", level="L0", kind=SpaceKind.ROOM,
              polygon=box(room_w + corr_len, 0, 2 * room_w + corr_len, room_w), compartment="C1")
    doors = [Door(id="D1", spaces=("A", "K"), at=(room_w, room_w / 2), width=door_w),
             Door(id="D2", spaces=("K", "B"), at=(room_w + corr_len, room_w / 2), width=door_w)]
    ex = [Exit(id="E", space="B", at=(2 * room_w + corr_len, room_w / 2), width=room_w - 2)]
    return _fac("room_corridor_room", [a, k, b], doors=doors, exits=ex)


def stair_tower(storeys: int = 2, flight: float = 10.0, width: float = 2.0, exit_level: int = 0) -> Facility:
    """RiMEA tests 2/3: one room per storey opening on a stair core, exit on ``exit_level``."""
    levels = tuple(Level(id=f"L{k}", elevation=3.5 * k) for k in range(storeys))
    spaces, doors = [], []
    for k in range(storeys):
        spaces.append(Space(id=f"R{k}", level=f"L{k}", kind=SpaceKind.ROOM, polygon=box(0, 0, 6, 4),
                            compartment=f"C{k}"))
        spaces.append(Space(id=f"S{k}", level=f"L{k}", kind=SpaceKind.STAIR, polygon=box(6, 0, 9, 4),
                            compartment=f"C{k}"))
        doors.append(Door(id=f"D{k}", spaces=(f"R{k}", f"S{k}"), at=(6, 2), width=1.2))
    stair = Stair(id="ST", spaces=tuple(f"S{k}" for k in range(storeys)), width=width, flight_length=flight)
    ex = [Exit(id="E", space=f"S{exit_level}", at=(9, 2), width=1.2)]
    return _fac("stair_tower", spaces, doors=doors, exits=ex,
                levels=levels, stairs=(stair,))


def rooms_on_corridor(n_rooms: int = 12, room_w: float = 4.0, depth: float = 4.0) -> Facility:
    """RiMEA test 10: rooms on both sides of a corridor with an exit at each end."""
    per_side = (n_rooms + 1) // 2
    length = per_side * room_w
    k = Space(id="K", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(0, depth, length, depth + 2),
              compartment="C1")
    spaces, doors = [k], []
    for r in range(n_rooms):
        side, col = divmod(r, per_side)
        x0 = col * room_w
        poly = box(x0, 0, x0 + room_w, depth) if side == 0 else box(x0, depth + 2, x0 + room_w, 2 * depth + 2)
        spaces.append(Space(id=f"R{r}", level="L0", kind=SpaceKind.ROOM, polygon=poly, compartment="C1"))
        y = depth if side == 0 else depth + 2
        doors.append(Door(id=f"D{r}", spaces=(f"R{r}", "K"), at=(x0 + room_w / 2, y), width=1.0))
    exits = [Exit(id="W", space="K", at=(0, depth + 1), width=1.6),
             Exit(id="O", space="K", at=(length, depth + 1), width=1.6)]
    return _fac("rooms_on_corridor", spaces, doors=doors, exits=exits)


def ward(rooms: int = 6, beds_per_room: int = 2) -> Facility:
    """A ward: bedrooms on a 2.4 m corridor (compartment A), a smoke door to compartment B, an exit in B."""
    room_w, depth = 4.0, 5.0
    length = rooms * room_w
    spaces = [Space(id="KA", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(0, depth, length, depth + 2.4),
                    compartment="A", use="ward_corridor"),
              Space(id="KB", level="L0", kind=SpaceKind.CORRIDOR,
                    polygon=box(length, depth, length + 20, depth + 2.4), compartment="B")]
    doors = [Door(id="SD", spaces=("KA", "KB"), at=(length, depth + 1.2), width=1.6, smoke_door=True)]
    for r in range(rooms):
        spaces.append(Space(id=f"W{r}", level="L0", kind=SpaceKind.ROOM,
                            polygon=box(r * room_w, 0, (r + 1) * room_w, depth), compartment="A",
                            use="ward", beds=beds_per_room))
        doors.append(Door(id=f"WD{r}", spaces=(f"W{r}", "KA"), at=(r * room_w + room_w / 2, depth),
                          width=1.3))
    exits = [Exit(id="X", space="KB", at=(length + 20, depth + 1.2), width=1.6)]
    return _fac("ward", spaces, doors=doors, exits=exits)


def wall_violations(facility: Facility, level: str, xy: np.ndarray, clearance: float = 0.05) -> int:
    """How many points ``xy`` are inside a wall: off the floor or closer than ``clearance`` to a wall line.

    Walls are space boundaries minus door and exit openings (exact geometry,
    independent of the raster the model moves on); points just outside a
    final exit (its apron) count as on the floor.
    """
    spaces = facility.spaces_on(level)
    ids = {s.id for s in spaces}
    exit_open = [facility.door_segment(e) for e in facility.exits if e.space in ids]
    openings = [facility.door_segment(d) for d in facility.doors if d.spaces[0] in ids] + exit_open
    walls = shapely.union_all([s.polygon.boundary for s in spaces])
    if openings:
        walls = walls.difference(shapely.union_all([o.buffer(0.02, cap_style="flat") for o in openings]))
    floor = shapely.union_all([s.polygon for s in spaces] + [o.buffer(0.7) for o in exit_open])
    pts = shapely.points(xy)
    on_floor = shapely.covers(floor, pts)
    near_wall = shapely.distance(walls, pts) < clearance
    return int((~on_floor | near_wall).sum())
