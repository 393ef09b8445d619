"""The built-in sample hospital: a believable general hospital that runs out of the box.

Every model, the app and the tests need a building before anyone has a scan or
a drawn plan, so :func:`sample` builds one from a handful of planning
parameters (:class:`SampleOptions`).  The default is a four-level linear
"hospital street" block about 100 m x 17.4 m:

* ``L0`` ground: emergency department (ambulance entrance, walk-in waiting
  room with its own entrance, triage, resus, majors cubicles, minors, an
  isolation cubicle), imaging (2 CT, 2 X-ray, 1 MRI, imaging waiting), the main
  entrance with reception, pharmacy, outpatient clinics and waiting.
* ``L1`` critical care: a 12-bed ICU (4-bed bays and single rooms, two of them
  isolation rooms), 4 theatres each with an anaesthetic room, recovery,
  sterile store.
* ``L2``, ``L3`` wards: two 28-bed wards per level (six-bed bays and single
  rooms, nurses' station, clean and dirty utility, day room, office, staff
  room), each ward its own smoke compartment.

Every level is a double-loaded corridor: rooms ``room_depth`` deep on the south
(y from 0) and north sides of a ``corridor_width`` corridor.  Smoke-barrier
doors across the corridor split each level into compartments (one per ward on
ward levels; a department too long for one compartment is split, and shorter
levels are padded with stores to the common length).  Two stair cores (west
and east ends, north side) and two bed lifts (west and east ends, south side;
the west one an evacuation lift) serve every level at the same plan position;
each lift shaft has a lift motor/riser room behind it.  Final exits: main
entrance, ED ambulance entrance, ED walk-in entrance and the discharge of both
stairs, each assigned to an assembly point.

Dimensions are checked against the NFPA 101 / HTM 05-02 limits quoted in
``shared/reference/evacuation.md``: every compartment <= 2,100 m^2, <= 61 m of
travel to a smoke-barrier door, >= 2 compartments per patient floor and >= 2.8
m^2 per bed patient in the neighbouring compartment (the tests measure all
four).  Patient-route doors are ``bed_door_width`` (1.4 m) wide, staff doors
0.9-1.0 m, stairs 1.5 m wide with a flight length of 2.4 x the storey height.

Air changes per hour follow ASHRAE 170-2017 Table 7.1 as quoted in
``shared/reference/hazards_and_devices.md``: patient room 4, ICU 6, isolation
12, operating room 20, trauma (resus) 15, ED and radiology waiting 12,
corridor 2.  Uses without a value there are left ``None`` (the infection model
applies its own default).

Space ``use`` vocabulary (what scenarios match on):

=====================  =======================================================
use                    spaces
=====================  =======================================================
entrance               main entrance hall (kind ``exit``, final exit)
reception              main reception
ed_ambulance_entrance  ED ambulance entrance (kind ``exit``, final exit)
ed_waiting             ED walk-in waiting room (final exit: walk-in entrance)
ed_triage              triage rooms
ed_resus               resuscitation rooms (``beds`` = trolley bays)
ed_majors              majors cubicles (1 trolley each)
ed_minors              minors treatment rooms
ed_isolation           ED isolation cubicle (1 trolley, 12 ACH)
ct, xray, mri          scanners (one space per scanner)
imaging_waiting        imaging waiting area
outpatient_clinic      clinic rooms
outpatient_waiting     outpatient waiting area
pharmacy               pharmacy
ward_bay               ward bays of 4-6 beds
ward_single            ward single rooms (1 bed; one per ward is an
                       isolation room with 12 ACH)
day_room               ward day room
nurse_station          nurses' station (ward, ED staff base, ICU)
utility                clean and dirty utility rooms
icu                    ICU bays and single rooms (``beds``)
theatre                operating theatres
anaesthetic            anaesthetic rooms (door to their theatre)
recovery               recovery (``beds`` = recovery bays, 2 per theatre)
sterile_store          sterile services store
staff_room             staff rest and change rooms
office                 offices, imaging reporting room
store                  general stores (also pad shorter levels to the
                       common building length; unoccupied)
plant                  lift motor room / riser behind each lift (unoccupied)
corridor               corridors, one per smoke compartment
stair                  stair enclosures (kind ``stair``)
lift                   lift shafts (kind ``lift``)
=====================  =======================================================

``beds`` counts patient beds and trolley spaces; ward beds are the beds of
``ward_bay`` and ``ward_single`` spaces, also recorded with the ICU, ED and
recovery counts in ``facility.metadata``.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field, fields
from dataclasses import replace as _replace
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

__all__ = ["SampleOptions", "sample"]

#: ASHRAE 170-2017 Table 7.1 total air changes per hour by use (see module docstring).
ASHRAE_170_ACH: dict[str, float] = {
    "ward_bay": 4.0,
    "ward_single": 4.0,
    "day_room": 4.0,
    "icu": 6.0,
    "theatre": 20.0,
    "ed_resus": 15.0,
    "ed_waiting": 12.0,
    "imaging_waiting": 12.0,
    "corridor": 2.0,
}
_ISOLATION_ACH = 12.0

#: NFPA 101 ch. 18/19 maximum smoke compartment area (m^2), evacuation.md.
MAX_COMPARTMENT_AREA = 2100.0

_STAIR_CORE_WIDTH = 6.0  # enclosure along the corridor; deep as a room
_LIFT_CORE_WIDTH = 3.0  # shaft along the corridor
_LIFT_SHAFT_DEPTH = 3.4  # shaft for a 1.8 x 2.7 m bed car (HTM 08-02)
_MAX_STORE_WIDTH = 8.0  # filler stores are split beyond this width
_MIN_ROOM_WIDTH = 2.0  # narrower gaps widen the neighbouring room instead
_MAX_PAD = 20.0  # longer padding of a short level becomes compartments of stores
_MAX_FILLER_SEGMENT = 40.0
#: Longest run of rooms in one compartment (without a core): keeps every room
#: within the NFPA 101 61 m of a smoke-barrier door; longer departments are split.
_MAX_SEGMENT = 52.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleOptions:
    """Planning parameters of the sample hospital; every field is checked at once.

    Attributes:
        ward_levels: Number of ward levels above the critical-care level.
        wards_per_level: Wards per ward level; each ward is one smoke
            compartment, so at least 2 (NFPA 101: >= 2 compartments per floor).
        beds_per_ward: Beds per ward (six-bed bays, a four/five-bed bay for the
            remainder, and single rooms).
        icu_beds: ICU beds (four-bed bays and single rooms).
        theatres: Operating theatres, each with an anaesthetic room.
        ct: CT scanners.
        xray: X-ray rooms.
        mri: MRI scanners.
        corridor_width: Clear corridor width (m); HTM 00 asks 2.4 m for beds to pass.
        bed_door_width: Clear width of doors on patient routes (m); a bed needs >= 1.2 m.
        staff_door_width: Clear width of staff-only doors (m).
        room_depth: Depth of the rooms either side of the corridor (m).
        storey_height: Floor-to-floor height (m).
        ceiling_height: Clear ceiling height (m).
        stair_width: Clear stair width (m).
        name: Facility name.
    """

    ward_levels: int = 2
    wards_per_level: int = 2
    beds_per_ward: int = 28
    icu_beds: int = 12
    theatres: int = 4
    ct: int = 2
    xray: int = 2
    mri: int = 1
    corridor_width: float = 2.4
    bed_door_width: float = 1.4
    staff_door_width: float = 0.9
    room_depth: float = 7.5
    storey_height: float = 4.2
    ceiling_height: float = 3.0
    stair_width: float = 1.5
    name: str = "Sample general hospital"

    def __post_init__(self) -> None:
        ranges: dict[str, tuple[float, float]] = {
            "ward_levels": (1, 8),
            "wards_per_level": (2, 6),
            "beds_per_ward": (4, 36),
            "icu_beds": (1, 40),
            "theatres": (1, 12),
            "ct": (0, 6),
            "xray": (0, 6),
            "mri": (0, 4),
            "corridor_width": (1.8, 6.0),
            "bed_door_width": (1.2, 3.0),
            "staff_door_width": (0.8, 1.5),
            "room_depth": (5.0, 12.0),
            "storey_height": (3.0, 8.0),
            "ceiling_height": (2.4, 6.0),
            "stair_width": (1.1, 3.0),
        }
        for f in fields(self):
            if f.name not in ranges:
                continue
            value = getattr(self, f.name)
            lo, hi = ranges[f.name]
            if isinstance(f.default, int) and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"SampleOptions: {f.name!r} must be an integer, got {value!r}")
            if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
                raise ValueError(
                    f"SampleOptions: {f.name!r} must be a number in [{lo}, {hi}], got {value!r}")
        if self.bed_door_width > self.corridor_width:
            raise ValueError(
                f"SampleOptions: 'bed_door_width' ({self.bed_door_width}) must not exceed "
                f"'corridor_width' ({self.corridor_width}): smoke doors span the corridor")
        if self.ceiling_height >= self.storey_height:
            raise ValueError(
                f"SampleOptions: 'ceiling_height' ({self.ceiling_height}) must be below "
                f"'storey_height' ({self.storey_height})")
        if not self.name:
            raise ValueError("SampleOptions: 'name' must not be empty")


@dataclass(frozen=True, slots=True)
class _Slot:
    """One room along the corridor before it is placed: its width and what it is."""

    key: str
    use: str
    name: str
    width: float
    door: str | None = "patient"  # "patient", "staff", "fire" or None
    kind: SpaceKind = SpaceKind.ROOM
    beds: int = 0
    occupied: bool = True
    exit: tuple[str, float, str] | None = None  # (exit id, width, assembly point id)
    air_changes: float | None = None
    core: str | None = None  # "stair-W", "lift-E", ...
    inner_door_to: str | None = None  # key of a neighbour joined by a door (anaesthetic -> theatre)


@dataclass(slots=True)
class _Segment:
    """One smoke compartment of a level: the slots north and south of its corridor."""

    north: list[_Slot]
    south: list[_Slot]

    @property
    def width(self) -> float:
        return max(_total(self.north), _total(self.south))


@dataclass(slots=True)
class _Parts:
    spaces: list[Space] = field(default_factory=list)
    doors: list[Door] = field(default_factory=list)
    exits: list[Exit] = field(default_factory=list)


def _total(slots: list[_Slot]) -> float:
    return round(sum(s.width for s in slots), 3)


def _slot(key: str, use: str, name: str, width: float, **kw: object) -> _Slot:
    kw.setdefault("air_changes", ASHRAE_170_ACH.get(use))
    return _Slot(key, use, name, width, **kw)  # type: ignore[arg-type]


def _repeat(n: int, key: str, use: str, name: str, width: float, **kw: object) -> list[_Slot]:
    return [_slot(f"{key}{i + 1}", use, f"{name} {i + 1}", width, **kw) for i in range(n)]


# -- the departments ---------------------------------------------------------------


def _ground(o: SampleOptions) -> list[_Segment]:
    ed_north = [
        _slot("ED-AMB", "ed_ambulance_entrance", "ED ambulance entrance", 6.0, kind=SpaceKind.EXIT,
              exit=("X-ED-AMB", 2.4, "AP-N")),
        *_repeat(2, "ED-RESUS", "ed_resus", "Resus", 6.0, beds=2),
        *_repeat(6, "ED-MAJ", "ed_majors", "Majors cubicle", 3.0, beds=1),
        _slot("ED-BASE", "nurse_station", "ED staff base", 4.0, door="staff"),
        _slot("ED-ISO", "ed_isolation", "ED isolation cubicle", 3.6, beds=1,
              air_changes=_ISOLATION_ACH),
    ]
    ed_south = [
        _slot("ED-UTIL", "utility", "ED utility", 3.6, door="staff"),
        _slot("ED-WAIT", "ed_waiting", "ED waiting room", 10.0, exit=("X-ED-WALKIN", 1.8, "AP-S")),
        *_repeat(2, "ED-TRIAGE", "ed_triage", "Triage", 3.6),
        *_repeat(4, "ED-MIN", "ed_minors", "Minors room", 3.6),
        _slot("ED-STAFF", "staff_room", "ED staff room", 3.6, door="staff"),
        _slot("ED-OFFICE", "office", "ED office", 3.6, door="staff"),
    ]
    img_north = [
        *_repeat(o.ct, "CT", "ct", "CT", 6.0),
        *_repeat(o.xray, "XR", "xray", "X-ray", 5.0),
        *_repeat(o.mri, "MRI", "mri", "MRI", 8.0),
        _slot("IMG-REPORT", "office", "Imaging reporting", 4.0, door="staff"),
        *_repeat(4, "OPD", "outpatient_clinic", "Clinic room", 3.6),
    ]
    img_south = [
        _slot("IMG-WAIT", "imaging_waiting", "Imaging waiting", 8.0),
        _slot("ENTRANCE", "entrance", "Main entrance", 8.0, kind=SpaceKind.EXIT,
              exit=("X-MAIN", 2.4, "AP-S")),
        _slot("RECEPTION", "reception", "Main reception", 5.0),
        _slot("PHARMACY", "pharmacy", "Pharmacy", 8.0),
        _slot("OPD-WAIT", "outpatient_waiting", "Outpatient waiting", 8.0),
        *[_slot(f"OPD{i}", "outpatient_clinic", f"Clinic room {i}", 3.6) for i in (5, 6)],
        _slot("OPD-STAFF", "staff_room", "Outpatient staff room", 3.6, door="staff"),
    ]
    return [_Segment(ed_north, ed_south), _Segment(img_north, img_south)]


def _critical_care(o: SampleOptions) -> list[_Segment]:
    singles = o.icu_beds if o.icu_beds < 4 else 4 + (o.icu_beds - 4) % 4
    bays = (o.icu_beds - singles) // 4
    icu_rooms = [_slot(f"ICU-BAY{i + 1}", "icu", f"ICU bay {i + 1}", 13.5, beds=4) for i in range(bays)]
    icu_rooms += [
        _slot(f"ICU-SR{i + 1}", "icu", f"ICU {'isolation' if i < 2 else 'single'} room {i + 1}", 5.0,
              beds=1, air_changes=_ISOLATION_ACH if i < 2 else ASHRAE_170_ACH["icu"])
        for i in range(singles)
    ]
    icu_north = [*icu_rooms[0::2], _slot("ICU-BASE", "nurse_station", "ICU nurses' station", 4.0,
                                         door="staff")]
    icu_south = [
        _slot("ICU-UTIL", "utility", "ICU utility", 3.6, door="staff"),
        *icu_rooms[1::2],
        _slot("ICU-STAFF", "staff_room", "ICU staff room", 3.6, door="staff"),
        _slot("ICU-OFFICE", "office", "ICU relatives' room", 3.6, door="staff"),
    ]
    th_north: list[_Slot] = []
    for i in range(o.theatres):
        th_north.append(_slot(f"ANA{i + 1}", "anaesthetic", f"Anaesthetic room {i + 1}", 4.0,
                              inner_door_to=f"TH{i + 1}"))
        th_north.append(_slot(f"TH{i + 1}", "theatre", f"Theatre {i + 1}", 7.5))
    th_south = [
        _slot("RECOVERY", "recovery", "Recovery", 3.0 * o.theatres, beds=2 * o.theatres),
        _slot("STERILE", "sterile_store", "Sterile store", 6.0, door="staff"),
        _slot("TH-STAFF", "staff_room", "Theatre changing and rest", 4.0, door="staff"),
        _slot("TH-UTIL", "utility", "Theatre utility", 3.6, door="staff"),
    ]
    return [_Segment(icu_north, icu_south), _Segment(th_north, th_south)]


def _ward(o: SampleOptions, w: str, number: int) -> _Segment:
    n_rest = o.beds_per_ward - 4
    bay_beds = [6] * (n_rest // 6)
    rest = n_rest % 6
    if rest >= 4:
        bay_beds.append(rest)
        rest = 0
    n_single = 4 + rest
    name = f"Ward {number}"
    bays = [_slot(f"{w}-BAY{i + 1}", "ward_bay", f"{name} bay {i + 1}", 3.6 * math.ceil(b / 2), beds=b)
            for i, b in enumerate(bay_beds)]
    singles = [
        _slot(f"{w}-SR{i + 1}", "ward_single",
              f"{name} {'isolation' if i == 0 else 'single'} room {i + 1}", 4.0, beds=1,
              air_changes=_ISOLATION_ACH if i == 0 else ASHRAE_170_ACH["ward_single"])
        for i in range(n_single)
    ]
    north = [*bays[0::2][:1], *singles[0::2],
             _slot(f"{w}-BASE", "nurse_station", f"{name} nurses' station", 4.0, door="staff"),
             *bays[0::2][1:],
             _slot(f"{w}-CLEAN", "utility", f"{name} clean utility", 3.6, door="staff"),
             _slot(f"{w}-OFFICE", "office", f"{name} office", 3.6, door="staff")]
    south = [_slot(f"{w}-DIRTY", "utility", f"{name} dirty utility", 3.6, door="staff"),
             *bays[1::2][:1], *singles[1::2],
             _slot(f"{w}-DAY", "day_room", f"{name} day room", 6.0),
             *bays[1::2][1:],
             _slot(f"{w}-STAFF", "staff_room", f"{name} staff room", 3.6, door="staff")]
    return _Segment(north, south)


# -- placing slots -------------------------------------------------------------------


def _store(key: str, width: float) -> _Slot:
    return _slot(key, "store", "Store", width, door="staff", occupied=False)


def _pad(slots: list[_Slot], gap: float, key: str, at: int) -> None:
    """Fill ``gap`` metres of frontage by inserting stores at index ``at`` (in place)."""
    if gap <= 1e-9:
        return
    if gap < _MIN_ROOM_WIDTH:
        i = at - 1 if at > 0 and slots[at - 1].core is None else at
        slots[i] = _replace(slots[i], width=round(slots[i].width + gap, 3))
        return
    n = math.ceil(gap / _MAX_STORE_WIDTH)
    # Widths in whole millimetres, the last store taking the remainder, so that
    # every level ends at exactly the same x and the cores stack exactly.
    each = round(gap / n, 3)
    for j in range(n):
        width = each if j < n - 1 else round(gap - each * (n - 1), 3)
        slots.insert(at + j, _store(f"{key}{j + 1}", width))


def _add_cores(o: SampleOptions, segs: list[_Segment]) -> None:
    stair = functools.partial(_slot, use="stair", door="fire", kind=SpaceKind.STAIR, width=_STAIR_CORE_WIDTH)
    lift = functools.partial(_slot, use="lift", door="lift", kind=SpaceKind.LIFT, width=_LIFT_CORE_WIDTH,
                             occupied=False)
    segs[0].north.insert(0, stair("STAIR-W", name="West stair", core="stair-W",
                                  exit=("X-STAIR-W", o.stair_width, "AP-N")))
    segs[0].south.insert(0, lift("LIFT-W", name="West lift (evacuation)", core="lift-W"))
    segs[-1].north.append(stair("STAIR-E", name="East stair", core="stair-E",
                                exit=("X-STAIR-E", o.stair_width, "AP-N")))
    segs[-1].south.append(lift("LIFT-E", name="East lift", core="lift-E"))


def _cuts(slots: list[_Slot], targets: list[float]) -> list[int]:
    """Slot indices nearest to each target frontage, never between an anaesthetic room and its theatre."""
    edges = [0.0]
    for sl in slots:
        edges.append(edges[-1] + sl.width)
    allowed = [i for i in range(1, len(slots)) if slots[i - 1].inner_door_to is None]
    cuts: list[int] = []
    for t in targets:
        options = [i for i in allowed if not cuts or i > cuts[-1]]
        cuts.append(min(options, key=lambda i: abs(edges[i] - t)) if options else len(slots))
    return cuts


def _split(seg: _Segment) -> list[_Segment]:
    """Split a department too long for one smoke compartment into several."""
    if seg.width <= _MAX_SEGMENT:
        return [seg]
    n = math.ceil(seg.width / _MAX_SEGMENT)
    targets = [seg.width * j / n for j in range(1, n)]
    sides = []
    for slots in (seg.north, seg.south):
        bounds = [0, *_cuts(slots, targets), len(slots)]
        sides.append([slots[a:b] for a, b in itertools.pairwise(bounds)])
    return [_Segment(north, south) for north, south in zip(*sides, strict=True) if north or south]


def _level_segments(o: SampleOptions) -> list[tuple[Level, list[_Segment]]]:
    plans: list[tuple[str, str, list[_Segment]]] = [("L0", "Ground", _ground(o)),
                                                    ("L1", "Level 1 critical care", _critical_care(o))]
    for k in range(o.ward_levels):
        first = k * o.wards_per_level + 1
        segs = [_ward(o, f"W{n}", n) for n in range(first, first + o.wards_per_level)]
        plans.append((f"L{k + 2}", f"Level {k + 2} wards", segs))
    for _, _, segs in plans:
        segs[:] = [piece for seg in segs for piece in _split(seg)]
        _add_cores(o, segs)
        for i, seg in enumerate(segs):
            end = seg is segs[-1]  # stores go before the east core
            _pad(seg.north, round(seg.width - _total(seg.north), 3), f"STORE-{i + 1}N",
                 len(seg.north) - end)
            _pad(seg.south, round(seg.width - _total(seg.south), 3), f"STORE-{i + 1}S",
                 len(seg.south) - end)
    length = max(round(sum(s.width for s in segs), 3) for _, _, segs in plans)
    out = []
    for i, (lid, name, segs) in enumerate(plans):
        # Shorter levels are padded to the common length (the cores must stack):
        # a few metres of stores in the last compartment, or whole compartments
        # of stores, so no compartment grows past the NFPA area limit.
        gap = round(length - sum(s.width for s in segs), 3)
        if gap > _MAX_PAD:
            n = math.ceil(gap / _MAX_FILLER_SEGMENT)
            each = round(gap / n, 3)
            for j in range(n):
                width = each if j < n - 1 else round(gap - each * (n - 1), 3)
                north: list[_Slot] = []
                south: list[_Slot] = []
                _pad(north, width, f"STORE-F{j + 1}N", 0)
                _pad(south, width, f"STORE-F{j + 1}S", 0)
                segs.insert(len(segs) - 1, _Segment(north, south))
        else:
            last = segs[-1]
            _pad(last.north, gap, "STORE-XN", len(last.north) - 1)
            _pad(last.south, gap, "STORE-XS", len(last.south) - 1)
        level = Level(id=lid, name=name, elevation=round(i * o.storey_height, 6),
                      ceiling_height=o.ceiling_height)
        out.append((level, segs))
    return out


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


@functools.lru_cache(maxsize=16)
def _cached(options: SampleOptions) -> Facility:
    return _build(options)


def sample(options: SampleOptions | None = None) -> Facility:
    """The built-in sample hospital (see the module docstring for its layout).

    Args:
        options: Planning parameters; the defaults give the four-level hospital.

    Returns:
        An immutable :class:`~facility.model.Facility`; the same options return
        the same (cached) object.

    Raises:
        ValueError: The options would give a smoke compartment above 2,100 m^2.

    >>> f = sample()
    >>> len(f.levels), f.metadata["ward_beds"], f.metadata["icu_beds"]
    (4, 112, 12)
    """
    return _cached(options if options is not None else SampleOptions())
