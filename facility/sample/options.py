"""Planning parameters of the sample hospital and the limits they must respect."""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["ASHRAE_170_ACH", "MAX_COMPARTMENT_AREA", "SampleOptions"]

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
