"""Placing the departments' rooms on the plan: polygons, doors, cores, exits."""

from __future__ import annotations

from dataclasses import fields
from typing import NamedTuple

from shapely.geometry import Polygon, box

from facility.model import (
    AssemblyPoint,
    Door,
    Exit,
    Facility,
    Level,
    Lift,
    Space,
    SpaceKind,
    Stair,
)
from facility.sample.departments import _level_segments, _Parts, _Slot
from facility.sample.options import (
    _LIFT_SHAFT_DEPTH,
    ASHRAE_170_ACH,
    MAX_COMPARTMENT_AREA,
    SampleOptions,
)


def _door_width(o: SampleOptions, slot: _Slot) -> float:
    return {"patient": o.bed_door_width, "staff": o.staff_door_width, "fire": o.stair_width,
            "lift": _lift_door(o)}[slot.door or "staff"]


def _lift_door(o: SampleOptions) -> float:
    return max(1.3, min(o.bed_door_width, 1.4))  # HTM 08-02 bed lift: 1.3 m clear


class _Row(NamedTuple):
    """Where one side's rooms go: between ``y0`` and ``y1``, doors on ``corridor_y``."""

    y0: float
    y1: float
    corridor_y: float
    north: bool


def _place_side(o: SampleOptions, level: Level, *, comp: str, slots: list[_Slot], x0: float, row: _Row,
                corridor_id: str, parts: _Parts, cores: dict[str, str]) -> None:
    y0, y1 = row.y0, row.y1
    x = x0
    ids = {s.key: f"{level.id}-{s.key}" for s in slots}
    placed: dict[str, Polygon] = {}
    for s in slots:
        sid = ids[s.key]
        x_end = round(x + s.width, 3)
        poly = box(x, y0, x_end, y1)
        if s.kind is SpaceKind.LIFT:  # lifts are on the south side
            # The shaft sits against the corridor; the motor room / riser fills behind it
            # and opens into the neighbouring room along the outer part of the wall.
            poly = box(x, y1 - _LIFT_SHAFT_DEPTH, x_end, y1)
            plant_id = f"{sid}-PLANT"
            parts.spaces.append(Space(
                id=plant_id, level=level.id, kind=SpaceKind.ROOM, use="plant", compartment=comp,
                polygon=box(x, y0, x_end, y1 - _LIFT_SHAFT_DEPTH), name=f"{s.name} motor room / riser",
                occupied=False))
            west_end = x == x0
            neighbour = slots[1] if west_end else slots[-2]
            parts.doors.append(Door(id=f"D-{plant_id}", spaces=(plant_id, ids[neighbour.key]),
                                    at=(x_end if west_end else x, (y1 - _LIFT_SHAFT_DEPTH + y0) / 2),
                                    width=o.staff_door_width))
        parts.spaces.append(Space(
            id=sid, level=level.id, kind=s.kind, polygon=poly, use=s.use, name=s.name, beds=s.beds,
            compartment=None if s.core else comp, air_changes=s.air_changes, occupied=s.occupied))
        placed[s.key] = poly
        if s.core is not None:
            cores[s.core] = sid
        if s.door is not None:
            parts.doors.append(Door(id=f"D-{sid}", spaces=(sid, corridor_id),
                                    at=(round((x + x_end) / 2, 4), row.corridor_y), width=_door_width(o, s),
                                    fire_door=s.door in ("fire", "lift")))
        if s.exit is not None and level.elevation == 0.0:
            exit_id, width, ap = s.exit
            if s.core is not None:  # stair discharge through the end wall
                at = (x if s.core.endswith("W") else x_end, (y0 + y1) / 2)
            else:
                at = (round((x + x_end) / 2, 4), y1 if row.north else y0)
            parts.exits.append(Exit(id=exit_id, space=sid, at=at, width=width, assembly_point=ap))
        x = x_end
    for s in slots:
        if s.inner_door_to is not None:
            a, b = placed[s.key], placed[s.inner_door_to]
            wall = a.intersection(b)
            (xa, ya), (_, yb) = wall.coords[0], wall.coords[-1]
            parts.doors.append(Door(id=f"D-{ids[s.key]}-{s.inner_door_to}",
                                    spaces=(ids[s.key], ids[s.inner_door_to]),
                                    at=(xa, (ya + yb) / 2), width=o.bed_door_width))


def _build(o: SampleOptions) -> Facility:
    d, w = o.room_depth, o.corridor_width
    parts = _Parts()
    cores: dict[str, list[str]] = {}
    levels = []
    for level, segs in _level_segments(o):
        lid = level.id
        levels.append(level)
        level_cores: dict[str, str] = {}
        x0 = 0.0
        prev_corridor: str | None = None
        for i, seg in enumerate(segs):
            comp = f"{lid}-{chr(ord('A') + i)}"
            cid = f"{comp}-CORRIDOR"
            width = seg.width
            parts.spaces.append(Space(
                id=cid, level=lid, kind=SpaceKind.CORRIDOR, polygon=box(x0, d, round(x0 + width, 3), d + w),
                use="corridor", name=f"Corridor {comp}", compartment=comp,
                air_changes=ASHRAE_170_ACH["corridor"]))
            if prev_corridor is not None:
                parts.doors.append(Door(id=f"SD-{comp}", spaces=(prev_corridor, cid), at=(x0, d + w / 2),
                                        width=min(w - 0.2, max(o.bed_door_width, 1.8)), fire_door=True,
                                        smoke_door=True))
            for slots, row in ((seg.south, _Row(0.0, d, d, False)),
                               (seg.north, _Row(d + w, 2 * d + w, d + w, True))):
                _place_side(o, level, comp=comp, slots=slots, x0=x0, row=row, corridor_id=cid,
                            parts=parts, cores=level_cores)
            prev_corridor = cid
            x0 = round(x0 + width, 3)
        for core, sid in level_cores.items():
            cores.setdefault(core, []).append(sid)
    length = x0
    depth = 2 * d + w
    stairs = tuple(Stair(id=f"S-{side}", spaces=tuple(cores[f"stair-{side}"]), width=o.stair_width,
                         flight_length=round(2.4 * o.storey_height, 6)) for side in "WE")
    lifts = tuple(Lift(id=f"LIFT-{side}", spaces=tuple(cores[f"lift-{side}"]), door_width=_lift_door(o),
                       evacuation_lift=side == "W") for side in "WE")
    assembly = (AssemblyPoint(id="AP-S", at=(length / 2, -30.0), name="Front car park"),
                AssemblyPoint(id="AP-N", at=(length / 2, depth + 30.0), name="Rear service yard"))
    facility = Facility(
        name=o.name, levels=tuple(levels), spaces=tuple(parts.spaces), doors=tuple(parts.doors),
        exits=tuple(parts.exits), stairs=stairs, lifts=lifts, assembly_points=assembly,
        metadata=_metadata(o, parts.spaces, length, depth))
    for comp, ids in facility.compartments.items():
        area = sum(facility.space(s).area for s in ids)
        if area > MAX_COMPARTMENT_AREA:
            raise ValueError(f"SampleOptions: smoke compartment {comp} would be {area:.0f} m^2, above the "
                             f"NFPA 101 limit of {MAX_COMPARTMENT_AREA:.0f} m^2; use fewer rooms there")
    return facility


def _metadata(o: SampleOptions, spaces: list[Space], length: float, depth: float) -> dict[str, object]:
    def beds(*uses: str) -> int:
        return sum(s.beds for s in spaces if s.use in uses)

    return {
        "source": "facility.sample",
        "options": {f.name: getattr(o, f.name) for f in fields(o)},
        "footprint_m": [round(length, 3), round(depth, 3)],
        "ward_beds": beds("ward_bay", "ward_single"),
        "icu_beds": beds("icu"),
        "ed_trolleys": beds("ed_resus", "ed_majors", "ed_isolation"),
        "recovery_bays": beds("recovery"),
    }
