"""Departments as rows of rooms: which rooms each level has, in order, and where compartments split.

A level is a list of segments (one per smoke compartment); a segment lists
the rooms on each side of the corridor as slots of a given width.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from dataclasses import replace as _replace

from facility.model import (
    Door,
    Exit,
    Level,
    Space,
    SpaceKind,
)
from facility.sample.options import (
    _ISOLATION_ACH,
    _LIFT_CORE_WIDTH,
    _MAX_FILLER_SEGMENT,
    _MAX_PAD,
    _MAX_SEGMENT,
    _MAX_STORE_WIDTH,
    _MIN_ROOM_WIDTH,
    _STAIR_CORE_WIDTH,
    ASHRAE_170_ACH,
    SampleOptions,
)


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
