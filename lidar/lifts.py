"""Lift shafts: closed rectangles of lift size stacked at one plan place on several storeys.

What a scan shows of a lift: on every storey it serves, a closed rectangle of
shaft size (1.5-15 m^2) behind one door, its landing door, at the same plan
place and of the same width on every storey (the car's door must meet each
landing door, so they stack vertically).  Its landing doors are normally shut
(a car at rest closes them), and the scanner never sees into the shaft: no
floor returns inside, since where the car is not there is no floor at all.
Where the car stood with its doors open the scanner saw a small room of car
size behind the door: that gives the car size, and the door width and place.

**The rule.**  A stack, at the same plan place on at least two storeys, of
closed rectangles of shaft size, none seen open on more than one storey, is a
lift when

* one storey shows the car open (a rectangle behind one door with floor seen
  in it) and the others are shut rectangles never seen into; or
* no storey shows it open, every storey's rectangle was never seen into, and
  the shut doors found on at least two of them line up: centres within
  :data:`LANDING_ALIGNMENT` and widths within :data:`LANDING_WIDTH_SPREAD`.

What separates a shaft from a stack of closed store rooms of lift size is
what the scan saw inside: a store room someone opened shows its floor, and a
shaft never does (the second rule asks for no floor on any storey, the first
for floor on exactly one).  Store rooms whose doors do not line up are not a
lift either.  A stack of store rooms never opened on any storey, with their
doors one above the other, shows exactly what a shut shaft shows and is
taken for a lift: the note for a lift never seen open says so, and asks for
the car size, which the scan did not show (it is estimated from the shaft,
:data:`SHAFT_TO_CAR`).

**Shafts are vertical.**  Once a stack is a lift, a storey where its
rectangle lies inside a larger space, with a door of that space where the
stack's landing doors are, had the shaft merged with the room beside it
(the shaft wall seen from neither side: the car's own wall hides it from the
landing, a cabinet from the room).  The shaft is cut out of that space there,
with the landing door, and the rest keeps its other doors.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.ops import nearest_points

from facility.model import Door, Lift, Space, SpaceKind
from lidar.options import ExtractOptions

if TYPE_CHECKING:
    from lidar.cores import StoreySpaces
    from lidar.levels import Storey

__all__ = ["CAR_AREA_PER_PERSON", "LANDING_ALIGNMENT", "LANDING_WIDTH_SPREAD", "SHAFT_TO_CAR", "find_lifts",
           "rect_like"]

#: Lift shaft size limits: area (m^2) and side (m).  A 630 kg car sits in a
#: 1.6 x 2.1 m shaft; a bed lift's in about 2.6 x 3.4 m.
SHAFT_AREA = (1.5, 15.0)
SHAFT_SIDE = (1.1, 4.5)
#: Smallest area / minimum-rectangle area of a shaft's outline (a closed shaft
#: is seen from outside only, so its outline is ragged where a wall was seen on one face).
SHAFT_RECTANGULARITY = 0.7
#: Width (m) under which a strip of a shaft's outline is a tail, not shaft: a
#: shaft is at least SHAFT_SIDE[0] wide, and a tail is at most a wall's thickness
#: (15-30 cm) that the outline ran along an unseen wall.
SHAFT_TAIL = 0.3
#: Car floor per person (m^2): the bed lift of HTM 08-02 (1.8 x 2.7 m) is rated for 21.
CAR_AREA_PER_PERSON = 1.8 * 2.7 / 21
#: Share of a shaft's inner floor (0.1 m cells) with floor returns under which it was never seen into.
NEVER_SEEN = 0.1
#: Landing doors of one shaft on different storeys: their centres lie within
#: this (m) of each other.  Two scans of one door put it within 5 cm; store
#: rooms of one plan repeated on every storey are no closer than a lift's.
LANDING_ALIGNMENT = 0.3
#: ... and their clear widths within this (m) (one door measured on two
#: storeys: within 2 cm on the sample hospital).
LANDING_WIDTH_SPREAD = 0.1
#: Car size from a shaft never seen open: the shaft's outline as extracted
#: (side along the landing door's wall, side across) less these (m).  Measured
#: on the sample hospital's bed-lift shafts, which the extraction outlines
#: 2.85 x 3.6 m round a 1.8 x 2.7 m car (counterweight beside the car); an
#: estimate, flagged in the lift's note for the user to replace.
SHAFT_TO_CAR = (1.0, 0.9)
#: A shaft merged with the room beside it is cut out only from a space at least
#: this many times its area (a smaller one is the shaft itself, ragged).
MERGED_AREA = 1.5


@dataclass(slots=True)
class _Stop:
    """One storey's rectangle of a candidate shaft."""

    k: int
    space: Space
    shut: bool
    door: Door | None


def find_lifts(points: np.ndarray, storeys: list[StoreySpaces], notes: list[str], *,
               options: ExtractOptions | None = None, exit_hosts: frozenset[str] = frozenset()
               ) -> tuple[list[StoreySpaces], list[Lift]]:
    """Find the lifts and turn their shafts into lift spaces (see the module docstring).

    Args:
        points: All points of the scan (down-sampled), scan frame.
        storeys: The extracted storeys, bottom to top.
        notes: Findings and problems for the report, appended to.
        options: The corridor shape rule, for what is left of a corridor a
            shaft is cut out of (defaults: :class:`~lidar.options.ExtractOptions`).
        exit_hosts: Ids of spaces an exit sits in: never renamed.

    Returns:
        The storeys with lift spaces marked (shafts behind shut doors added
        back with their landing doors, shafts merged with a room cut out of
        it), and the lifts.
    """
    stacks = _stacks(points, storeys)
    lifts: list[Lift] = []
    add: dict[int, list[Space]] = {}
    marked: dict[int, set[str]] = {}
    new_doors: dict[int, list[Door]] = {}
    for candidates in stacks:
        stack = sorted(candidates, key=lambda m: m.k)
        if len(stack) < 2 or len([m for m in stack if not m.shut]) > 1:
            continue
        where = stack[0].space.polygon.centroid
        levels = ", ".join(storeys[m.k].level for m in stack)
        door = _reference_door(stack)
        if door is None:
            if any(m.shut for m in stack):
                notes.append(f"closed rectangles of lift-shaft size at ({where.x:.1f}, {where.y:.1f}) on "
                             f"levels {levels}, never seen open and without a door found on two of them "
                             "in line: perhaps a lift, perhaps closed rooms, so it was not added; add it "
                             "with its doors in the facility file if it is a lift")
            continue
        storeys, stack = _cut_merged(points, storeys, stack, door,
                                     options=options or ExtractOptions(), exit_hosts=exit_hosts)
        open_ = [m for m in stack if not m.shut]
        if open_:
            car_w, car_d = _car_size(points, storeys[open_[0].k].storey, open_[0].space.polygon, door.at)
            how = (f"car {car_w:.2f} x {car_d:.2f} m seen open on level {storeys[open_[0].k].level}, landing "
                   f"doors {door.width:.2f} m (shut on the other levels, placed where the open one is)")
        else:
            car_w, car_d = _car_from_shaft(stack[0].space.polygon, door)
            how = (f"never seen open: its landing doors ({door.width:.2f} m) are shut and in line on every "
                   f"level, and nothing was seen inside on any; the car, {car_w:.2f} x {car_d:.2f} m, is "
                   "estimated from the shaft: confirm that it is a lift and replace the car size (a stack of "
                   "closed rooms never opened, doors one above the other, looks the same)")
        ids: list[str] = []
        stops: list[tuple[int, Space, Door | None]] = []
        for m in stack:
            if m.door is None:
                d = _landing_door(storeys[m.k], m.space, door)
                if d is None:
                    notes.append(f"lift shaft {m.space.id} on level {storeys[m.k].level}: no space beside "
                                 "the landing door found on the other levels; that stop was left out")
                    continue
                stops.append((m.k, m.space, d))
            else:
                stops.append((m.k, m.space, None))
            ids.append(m.space.id)
        if len(ids) < 2:
            continue  # a single stop is no lift: its space stays as it was
        for k, s, d in stops:
            if d is None:
                marked.setdefault(k, set()).add(s.id)
            else:
                add.setdefault(k, []).append(replace(s, kind=SpaceKind.LIFT, use="lift"))
                new_doors.setdefault(k, []).append(d)
        lid = f"LIFT{len(lifts) + 1:02d}"
        lifts.append(Lift(id=lid, spaces=tuple(ids), car_width=round(car_w, 2), car_depth=round(car_d, 2),
                          door_width=door.width,
                          capacity_persons=max(1, int(car_w * car_d / CAR_AREA_PER_PERSON)),
                          bed_lift=car_w >= 1.4 and car_d >= 2.4))
        notes.append(f"lift {lid} found at ({where.x:.1f}, {where.y:.1f}) serving {', '.join(ids)}: {how}; "
                     "confirm whether it is an evacuation lift")
    out = []
    for k, st in enumerate(storeys):
        spaces = [replace(s, kind=SpaceKind.LIFT, use="lift") if s.id in marked.get(k, set()) else s
                  for s in st.spaces] + add.get(k, [])
        taken = {s.id for s in add.get(k, [])}
        out.append(replace(st, spaces=spaces, dropped=[s for s in st.dropped if s.id not in taken],
                           doors=st.doors + new_doors.get(k, [])))
    return out, lifts


def _stacks(points: np.ndarray, storeys: list[StoreySpaces]) -> list[list[_Stop]]:
    """Rectangles of shaft size per storey, grouped by plan place (at most one per storey)."""
    cands: list[_Stop] = []
    for k, st in enumerate(storeys):
        for s in st.dropped:
            if (s.kind is SpaceKind.ROOM and rect_like(s.polygon)
                    and _floor_seen(points, st.storey, s.polygon) < NEVER_SEEN):
                cands.append(_Stop(k, s, True, None))
        for s in st.spaces:
            own = [d for d in st.doors if s.id in d.spaces]
            if s.kind in (SpaceKind.ROOM, SpaceKind.CORRIDOR) and len(own) == 1 and rect_like(s.polygon):
                cands.append(_Stop(k, s, _floor_seen(points, st.storey, s.polygon) < NEVER_SEEN, own[0]))
    stacks: list[list[_Stop]] = []
    for c in cands:
        for stack in stacks:
            ref = stack[0].space.polygon
            if all(m.k != c.k for m in stack) and ref.intersection(c.space.polygon).area > 0.5 * min(
                    ref.area, c.space.area):
                stack.append(c)
                break
        else:
            stacks.append([c])
    # A shut shaft whose outline ran into the room behind it (a wall seen on
    # one face only) joins a stack it mostly covers, cut to the stack's shaft.
    for stack in stacks:
        ref = stack[0].space.polygon
        for k, st in enumerate(storeys):
            if any(m.k == k for m in stack):
                continue
            for s in st.dropped:
                if (s.kind is SpaceKind.ROOM and s.polygon.intersection(ref).area > 0.8 * ref.area
                        and s.area < 2.5 * ref.area and _floor_seen(points, st.storey, ref) < NEVER_SEEN):
                    cut = s.polygon.intersection(ref.buffer(0.1, join_style="mitre"))
                    if isinstance(cut, Polygon):
                        stack.append(_Stop(k, replace(s, polygon=cut), True, None))
                        break
    return stacks


def _reference_door(stack: list[_Stop]) -> Door | None:
    """The landing door every stop shares: the open car's, else shut ones found in line on two storeys."""
    open_ = [m for m in stack if not m.shut]
    if open_:
        return open_[0].door
    found = [m.door for m in stack if m.door is not None]
    if len(found) < 2:
        return None
    for d in found[1:]:
        if (math.dist(d.at, found[0].at) > LANDING_ALIGNMENT
                or abs(d.width - found[0].width) > LANDING_WIDTH_SPREAD):
            return None
    return found[0]


def _cut_merged(points: np.ndarray, storeys: list[StoreySpaces], stack: list[_Stop], door: Door, *,
                options: ExtractOptions, exit_hosts: frozenset[str]
                ) -> tuple[list[StoreySpaces], list[_Stop]]:
    """Cut the shaft out of a larger space on the storeys next to the stack, and within its range,
    where it is missing (see the module docstring)."""
    shaft = (_body(stack[0].space.polygon) or stack[0].space.polygon).minimum_rotated_rectangle
    storeys = list(storeys)
    stack = list(stack)
    grown = True
    while grown:
        grown = False
        ks = {m.k for m in stack}
        for k in range(min(ks) - 1, max(ks) + 2):
            if k in ks or not 0 <= k < len(storeys):
                continue
            cut = _cut_one(points, storeys[k], k, shaft, door, options=options, exit_hosts=exit_hosts)
            if cut is not None:
                storeys[k] = cut[0]
                stack.append(cut[1])
                grown = True
                break
    stack.sort(key=lambda m: m.k)
    return storeys, stack


def _cut_one(points: np.ndarray, st: StoreySpaces, k: int, shaft: Polygon, door: Door, *,
             options: ExtractOptions, exit_hosts: frozenset[str]) -> tuple[StoreySpaces, _Stop] | None:
    """One storey's space holding the shaft, with a door where the landing doors are, split in two.

    What is left keeps the space's id and kind, unless the space was taken
    for a corridor by its merged shape and the rest is no corridor by the
    same rule (:func:`lidar.assembly.make_spaces`, the width taken as the
    short side of its minimum rectangle): it is then a room, with a room's
    id (the sample hospital's L3 dirty utility room, merged with the open
    car beside it, had come out a corridor)."""
    for s in st.spaces:
        if (s.kind not in (SpaceKind.ROOM, SpaceKind.CORRIDOR) or s.area < MERGED_AREA * shaft.area
                or s.polygon.intersection(shaft).area < 0.8 * shaft.area):
            continue
        own = [d for d in st.doors if s.id in d.spaces]
        landing = [d for d in own if math.dist(d.at, door.at) <= LANDING_ALIGNMENT]
        if len(landing) != 1:
            continue
        # The shaft from another storey, reaching across its landing wall to this
        # storey's outline there (outlines of one wall differ by centimetres).
        c = np.asarray(shaft.exterior.coords)[:4]
        edge = min((shapely.LineString([c[i], c[(i + 1) % 4]]) for i in range(4)),
                   key=lambda e: e.distance(Point(door.at)))
        part = _largest(s.polygon.intersection(shaft.union(edge.buffer(0.3, cap_style="flat"))))
        rest = _largest(s.polygon.difference(part)) if part is not None else None
        if part is None or rest is None or rest.area < shaft.area:
            continue
        if part.exterior.distance(Point(landing[0].at)) > 0.05 or any(
                rest.exterior.distance(Point(d.at)) > 0.05 for d in own if d is not landing[0]):
            continue
        sid = _next_room_id(st)
        a, b = landing[0].spaces
        moved = replace(landing[0], spaces=(sid if a == s.id else a, sid if b == s.id else b))
        doors = [moved if d is landing[0] else d for d in st.doors]
        cut = Space(id=sid, level=st.level, kind=SpaceKind.ROOM, polygon=part)
        left = replace(s, polygon=rest)
        if s.kind is SpaceKind.CORRIDOR and s.id not in exit_hosts and not _corridor_shaped(rest, options):
            rid = _next_room_id(replace(st, spaces=[*st.spaces, cut]))
            left = replace(left, id=rid, kind=SpaceKind.ROOM, use=None, name=f"room ({st.level})")
            doors = [replace(d, spaces=(rid if d.spaces[0] == s.id else d.spaces[0],
                                        rid if d.spaces[1] == s.id else d.spaces[1])) for d in doors]
        spaces = [left if x.id == s.id else x for x in st.spaces] + [cut]
        return (replace(st, spaces=spaces, doors=doors),
                _Stop(k, cut, _floor_seen(points, st.storey, part) < NEVER_SEEN, moved))
    return None


def _corridor_shaped(p: Polygon, options: ExtractOptions) -> bool:
    rect = np.asarray(p.minimum_rotated_rectangle.exterior.coords)
    width = min(float(np.hypot(*(rect[1] - rect[0]))), float(np.hypot(*(rect[2] - rect[1]))))
    return 0 < width <= options.corridor_max_width and p.area / width**2 >= options.corridor_min_elongation


def _largest(g: shapely.Geometry) -> Polygon | None:
    parts = [p for p in getattr(g, "geoms", [g]) if isinstance(p, Polygon) and not p.is_empty]
    return max(parts, key=lambda p: p.area) if parts else None


def _next_room_id(st: StoreySpaces) -> str:
    taken = [int(m[1]) for s in st.spaces + st.dropped if (m := re.fullmatch(rf"{st.level}-R(\d+)", s.id))]
    return f"{st.level}-R{max(taken, default=0) + 1:02d}"


def _body(p: Polygon) -> Polygon | None:
    """A shaft's outline without tails narrower than :data:`SHAFT_TAIL` (its largest part)."""
    return _largest(p.buffer(-SHAFT_TAIL / 2, join_style="mitre").buffer(SHAFT_TAIL / 2, join_style="mitre"))


def rect_like(p: Polygon) -> tuple[float, float] | None:
    """Sides (short, long) of a polygon that is nearly its minimum rectangle, of lift-shaft size.

    Tails narrower than :data:`SHAFT_TAIL` are cut off first: a shut shaft is
    seen from outside only, and its outline can run on in a sliver along an
    unseen outer wall (the sample hospital's top-storey east shaft had a
    0.1 x 2 m one, which put its rectangularity at 0.63).
    """
    q = _body(p)
    if q is None or not SHAFT_AREA[0] <= q.area <= SHAFT_AREA[1]:
        return None
    rect = q.minimum_rotated_rectangle
    if q.area < SHAFT_RECTANGULARITY * rect.area:
        return None
    c = np.asarray(rect.exterior.coords)
    sides = sorted((float(np.hypot(*(c[1] - c[0]))), float(np.hypot(*(c[2] - c[1])))))
    if not (SHAFT_SIDE[0] <= sides[0] and sides[1] <= SHAFT_SIDE[1]):
        return None
    return sides[0], sides[1]


def _floor_seen(points: np.ndarray, st: Storey, p: Polygon) -> float:
    """Share of a polygon's inner floor area (0.1 m cells) with returns at floor height."""
    inner = p.buffer(-0.2)
    if inner.is_empty:
        return 0.0
    z = points[:, 2]
    near = points[(np.abs(z - st.floor) < 0.08)]
    x0, y0, x1, y1 = inner.bounds
    near = near[(near[:, 0] > x0) & (near[:, 0] < x1) & (near[:, 1] > y0) & (near[:, 1] < y1)]
    near = near[shapely.contains_xy(inner, near[:, 0], near[:, 1])]
    cells = {(int(a), int(b)) for a, b in np.floor(near[:, :2] / 0.1)}
    return min(1.0, len(cells) * 0.01 / inner.area)


def _door_edge(rect: Polygon, door_at: tuple[float, float]) -> tuple[float, float]:
    """Sides of a rectangle: (along the edge nearest the door, across)."""
    c = np.asarray(rect.exterior.coords)[:4]
    edges = [(c[i], c[(i + 1) % 4]) for i in range(4)]
    near_edge = min(range(4), key=lambda i: shapely.LineString(edges[i]).distance(Point(door_at)))
    a, b = edges[near_edge]
    a2, b2 = edges[(near_edge + 1) % 4]
    return float(np.hypot(*(b - a))), float(np.hypot(*(b2 - a2)))


def _car_size(points: np.ndarray, st: Storey, shaft: Polygon, door_at: tuple[float, float]
              ) -> tuple[float, float]:
    """Car width (along the door's wall) and depth: the car floor seen through the open door.

    The region around an open car takes in the shaft walls, so the car is
    measured on its floor's returns instead (falls back on the region's outline).
    """
    z = points[:, 2]
    near = points[np.abs(z - st.floor) < 0.08]
    near = near[shapely.contains_xy(shaft.buffer(-0.2), near[:, 0], near[:, 1])]
    rect = MultiPoint(near[:, :2]).minimum_rotated_rectangle if len(near) >= 20 else shaft
    if not isinstance(rect, Polygon) or rect.area < 0.5:
        rect = shaft.minimum_rotated_rectangle
    return _door_edge(rect, door_at)


def _car_from_shaft(shaft: Polygon, door: Door) -> tuple[float, float]:
    """Car width and depth estimated from a shaft never seen open (:data:`SHAFT_TO_CAR`), never
    narrower than its landing door nor under a metre deep."""
    along, across = _door_edge((_body(shaft) or shaft).minimum_rotated_rectangle, door.at)
    return max(along - SHAFT_TO_CAR[0], door.width), max(across - SHAFT_TO_CAR[1], 1.0)


def _landing_door(st: StoreySpaces, shaft: Space, seen: Door) -> Door | None:
    """The shut landing door of a shaft, where the one found is on another storey."""
    p = Point(seen.at)
    beside = [s for s in st.spaces if s.polygon.distance(p) < 0.35 and s.id != shaft.id]
    if not beside or shaft.polygon.distance(p) > 0.35:
        return None
    other = min(beside, key=lambda s: s.polygon.distance(p))
    shared = shapely.intersection(shaft.polygon.boundary, other.polygon.boundary.buffer(0.05))
    if shared.is_empty:
        return None
    at = nearest_points(shared, p)[0]
    at = nearest_points(shaft.polygon.boundary, at)[0]
    return Door(id=f"{st.level}-LD-{shaft.id}", spaces=(shaft.id, other.id),
                at=(float(at.x), float(at.y)), width=seen.width)
