"""Stairs and lifts for the synthetic scanner: what a scan of a multi-storey building holds.

A stair core is a dog-leg: from the landing at its door a flight of treads
rises along the enclosure to a half landing at the far end, and a second
flight beside it returns to the landing of the storey above.  The floor slab
of the storey above and the ceiling of the storey below are cut away over
the flights (the stairwell void), and the enclosure walls run on through the
slab between storeys, so a scanner on a landing sees treads, landings and the
void above and below, as in a real stairwell.

A lift is a shaft (the lift space, walls running through every slab, no
floor or ceiling between its lowest and highest stop) with a landing door on
each storey: closed (a leaf in the opening) except on the storey where the
car stands with its doors open, where the car (its floor, three walls and
roof, ``car_width`` x ``car_depth``) is seen through the door.

:func:`plan_cores` decides all of this once per facility; the scanner asks it
for the slab cut-outs, the shaft walls and the parts to add per level.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from facility.model import Facility, Lift, Stair

__all__ = ["Cores", "plan_cores"]

#: Thickness (m) of treads and landings seen from below (waist of the flight).
FLIGHT_WAIST = 0.2
#: Height (m) of a lift car's interior.
CAR_HEIGHT = 2.3
#: Thickness (m) of the car's walls.
CAR_WALL = 0.05


@dataclass(slots=True)
class Cores:
    """The stairs and lifts of one facility as the scanner builds them.

    Attributes:
        floor_cut: Per level, the area cut from its floor slab (voids over flights, shafts).
        ceiling_cut: Per level, the area cut from its ceiling slab.
        boxes: Per level, prisms to add: ``(quad 4 x 2, z0, z1)``.
        stations: Per space, its scanner stations (plan) when not the default grid.
        closed_doors: Ids of doors that are shut whatever the random draw (lift landing doors).
        open_doors: Ids of doors that stay open (the landing door where the car stands).
        bare: Ids of spaces with no furniture or people (stairs, lifts).
    """

    floor_cut: dict[str, shapely.Geometry] = field(default_factory=dict)
    ceiling_cut: dict[str, shapely.Geometry] = field(default_factory=dict)
    boxes: dict[str, list[tuple[np.ndarray, float, float]]] = field(default_factory=dict)
    stations: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    closed_doors: set[str] = field(default_factory=set)
    open_doors: set[str] = field(default_factory=set)
    bare: set[str] = field(default_factory=set)

    def _cut(self, table: dict[str, shapely.Geometry], level: str, geom: shapely.Geometry) -> None:
        table[level] = shapely.union(table[level], geom) if level in table else geom

    def _box(self, level: str, quad: np.ndarray, z0: float, z1: float) -> None:
        self.boxes.setdefault(level, []).append((quad, z0, z1))


@dataclass(frozen=True, slots=True)
class _Frame:
    """A rectangle seen from its door: ``origin`` at the door-end corner, ``u`` inward, ``v`` along."""

    origin: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: float
    width: float

    def quad(self, u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
        o, u, v = self.origin, self.u, self.v
        q = np.array([o + u * u0 + v * v0, o + u * u1 + v * v0, o + u * u1 + v * v1, o + u * u0 + v * v1])
        # Counter-clockwise, as the mesh's prisms expect.
        x, y = q[:, 0], q[:, 1]
        return q if float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) > 0 else q[::-1]


def _frame(polygon: Polygon, door: tuple[float, float], inset: float) -> _Frame:
    """The space's minimum rectangle, shrunk by ``inset``, oriented from the edge nearest the door."""
    rect = polygon.minimum_rotated_rectangle.buffer(-inset, join_style="mitre")
    c = np.asarray(rect.exterior.coords)[:4]
    p = np.asarray(door)
    best = min(range(4), key=lambda i: Point(p).distance(shapely.LineString([c[i], c[(i + 1) % 4]])))
    a, b = c[best], c[(best + 1) % 4]
    v = (b - a) / np.hypot(*(b - a))
    u = np.array([-v[1], v[0]])
    centre = c.mean(axis=0)
    if np.dot(centre - a, u) < 0:
        u = -u
    length = float(max(np.dot(q - a, u) for q in c))
    return _Frame(a, u, v, length, float(np.hypot(*(b - a))))


def _door_of(fac: Facility, space: str) -> tuple[str, tuple[float, float]] | None:
    for d in fac.doors:
        if space in d.spaces:
            return d.id, d.at
    return None


def plan_cores(fac: Facility, rng: np.random.Generator, wall_thickness: float) -> Cores:
    """Lay out the facility's stairs and lifts for scanning (see the module docstring)."""
    cores = Cores()
    for st in fac.stairs:
        _stair(fac, st, cores, wall_thickness)
    for lf in fac.lifts:
        _lift(fac, lf, cores, rng, wall_thickness)
    return cores


def _stair(fac: Facility, st: Stair, cores: Cores, t: float) -> None:
    spaces = [fac.space(s) for s in st.spaces if fac.has_space(s)]
    cores.bare |= {s.id for s in spaces}
    for k, s in enumerate(spaces):
        door = _door_of(fac, s.id)
        if door is None:
            continue
        fr = _frame(s.polygon, door[1], t / 2)
        lv = fac.level(s.level)
        z = lv.elevation
        # Land the flights' first tread a landing's depth in from the door.
        fw = min(st.width, fr.width / 2 - 0.05)
        landing = max(fw, 1.2)
        cores.stations[s.id] = [tuple(fr.origin + fr.u * landing / 2 + fr.v * fr.width / 2)]
        if k + 1 >= len(spaces):
            continue
        above = fac.level(spaces[k + 1].level)
        rise = above.elevation - z
        n = max(4, 2 * round(rise / (st.riser_mm / 1000) / 2))
        r = rise / n
        m = n // 2
        tread = min(st.tread_mm / 1000, (fr.length - 2 * landing) / (m - 1))
        going = (m - 1) * tread
        # The first flight runs on the side away from any exit in the enclosure's walls.
        exits = [np.dot(np.asarray(e.at) - fr.origin, fr.v) for e in fac.exits if e.space == s.id]
        up_side_high = bool(exits) and float(np.mean(exits)) < fr.width / 2
        f1 = (fr.width - fw, fr.width) if up_side_high else (0.0, fw)
        f2 = (0.0, fw) if up_side_high else (fr.width - fw, fr.width)
        for i in range(1, m):
            top = z + i * r
            cores._box(s.level, fr.quad(landing + (i - 1) * tread, landing + i * tread, *f1),
                       top - FLIGHT_WAIST, top)
            top2 = z + (m + i) * r
            cores._box(s.level, fr.quad(landing + going - i * tread, landing + going - (i - 1) * tread, *f2),
                       top2 - FLIGHT_WAIST, top2)
        mid = z + m * r
        cores._box(s.level, fr.quad(landing + going, fr.length, 0.0, fr.width), mid - FLIGHT_WAIST, mid)
        well = Polygon(fr.quad(landing, fr.length + t, -t, fr.width + t))
        cores._cut(cores.ceiling_cut, s.level, well)
        cores._cut(cores.floor_cut, spaces[k + 1].level, well)
        _shaft_walls(fac, s.polygon, s.level, above.elevation, cores=cores, t=t)


def _lift(fac: Facility, lf: Lift, cores: Cores, rng: np.random.Generator, t: float) -> None:
    spaces = [fac.space(s) for s in lf.spaces if fac.has_space(s)]
    cores.bare |= {s.id for s in spaces}
    car_at = int(rng.integers(len(spaces))) if spaces else 0
    for k, s in enumerate(spaces):
        cores.stations[s.id] = []
        shaft = s.polygon.buffer(t / 2, join_style="mitre")
        if k > 0:
            cores._cut(cores.floor_cut, s.level, shaft)
        if k + 1 < len(spaces):
            cores._cut(cores.ceiling_cut, s.level, shaft)
            _shaft_walls(fac, s.polygon, s.level, fac.level(spaces[k + 1].level).elevation, cores=cores, t=t)
        door = _door_of(fac, s.id)
        if door is None:
            continue
        if k != car_at:
            cores.closed_doors.add(door[0])
            continue
        cores.open_doors.add(door[0])
        fr = _frame(s.polygon, door[1], t / 2)
        z = fac.level(s.level).elevation
        w, d = min(lf.car_width, fr.width - 0.1), min(lf.car_depth, fr.length - 0.1)
        v0 = (fr.width - w) / 2
        dv = float(np.dot(np.asarray(door[1]) - fr.origin, fr.v))
        half = lf.door_width / 2
        cw = CAR_WALL
        # The car floor, with its sill reaching across the shaft wall to the landing.
        cores._box(s.level, fr.quad(-t, d, v0, v0 + w), z - 0.1, z)
        cores._box(s.level, fr.quad(0.0, d, v0, v0 + w), z + CAR_HEIGHT, z + CAR_HEIGHT + 0.1)  # roof
        cores._box(s.level, fr.quad(d - cw, d, v0, v0 + w), z, z + CAR_HEIGHT)  # back wall
        cores._box(s.level, fr.quad(0.0, d, v0, v0 + cw), z, z + CAR_HEIGHT)
        cores._box(s.level, fr.quad(0.0, d, v0 + w - cw, v0 + w), z, z + CAR_HEIGHT)
        # The car's front wall on either side of its door.
        for a, b in ((v0, dv - half), (dv + half, v0 + w)):
            if b - a > 0.02:
                cores._box(s.level, fr.quad(0.0, cw, a, b), z, z + CAR_HEIGHT)


def _shaft_walls(fac: Facility, polygon: Polygon, level: str, top: float, *, cores: Cores, t: float) -> None:
    """The enclosure's walls through the slab zone, from this storey's ceiling to the next floor."""
    lv = fac.level(level)
    z0 = lv.elevation + lv.ceiling_height
    c = np.asarray(polygon.exterior.coords)
    for a, b in itertools.pairwise(c):
        if np.hypot(*(b - a)) < 1e-6:
            continue
        u = (b - a) / np.hypot(*(b - a))
        n = np.array([-u[1], u[0]]) * t / 2
        a2, b2 = a - u * t / 2, b + u * t / 2
        q = np.array([a2 - n, b2 - n, b2 + n, a2 + n])
        cores._box(level, q if _ccw(q) else q[::-1], z0, top)


def _ccw(q: np.ndarray) -> bool:
    x, y = q[:, 0], q[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) > 0
