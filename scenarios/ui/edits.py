"""A planner's simple edits of a facility, each giving a new, validated facility variant.

The facility is immutable, so an edit is a new :class:`~facility.Facility`
built with :func:`dataclasses.replace`; the variant is validated like a file
would be (a door narrower than allowed, beds in a space that is not a room,
an unknown use are errors naming the object) and records what was changed in
``metadata["edits"]`` so that a run on it says which layout it used.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from facility import FacilityValueError, ensure_valid

if TYPE_CHECKING:
    from facility import Facility

__all__ = ["close_door", "edits_of", "set_beds", "set_door_width", "set_use"]


def _with_note(facility: Facility, note: str, **changes: object) -> Facility:
    meta = dict(facility.metadata)
    meta["edits"] = [*meta.get("edits", []), note]
    variant = replace(facility, metadata=meta, **changes)  # type: ignore[arg-type]
    ensure_valid(variant, source=f"{facility.name} ({note})")
    return variant


def edits_of(facility: Facility) -> list[str]:
    """The edits made to reach this variant, oldest first (empty for an unedited facility)."""
    return list(facility.metadata.get("edits", []))


def set_door_width(facility: Facility, door_id: str, width: float) -> Facility:
    """The facility with door ``door_id`` given a clear width of ``width`` metres.

    >>> from facility import sample
    >>> f = set_door_width(sample(), sample().doors[0].id, 1.4)
    >>> f.door(sample().doors[0].id).width, edits_of(f)[0].endswith("1.4 m")
    (1.4, True)
    """
    if not width > 0:
        raise FacilityValueError(f"door {door_id}: 'width' must be > 0 m, got {width}")
    door = facility.door(door_id)
    doors = tuple(replace(d, width=width) if d.id == door_id else d for d in facility.doors)
    return _with_note(facility, f"door {door.id} width {door.width:g} m -> {width:g} m", doors=doors)


def close_door(facility: Facility, door_id: str) -> Facility:
    """The facility with door ``door_id`` shut for good (no route passes it)."""
    facility.door(door_id)  # unknown ids fail here, naming the door
    doors = tuple(d for d in facility.doors if d.id != door_id)
    return _with_note(facility, f"door {door_id} closed", doors=doors)


def _replace_space(facility: Facility, space_id: str, note: str, **changes: object) -> Facility:
    facility.space(space_id)
    spaces = tuple(replace(s, **changes) if s.id == space_id else s  # type: ignore[arg-type]
                   for s in facility.spaces)
    return _with_note(facility, note, spaces=spaces)


def set_use(facility: Facility, space_id: str, use: str | None) -> Facility:
    """The facility with space ``space_id`` given the clinical use ``use`` (``None``: no use)."""
    old = facility.space(space_id).use
    return _replace_space(facility, space_id, f"space {space_id} use {old or '-'} -> {use or '-'}", use=use)


def set_beds(facility: Facility, space_id: str, beds: int) -> Facility:
    """The facility with ``beds`` beds in space ``space_id``.

    >>> from facility import sample
    >>> set_beds(sample(), "L2-W2-BAY1", 4).space("L2-W2-BAY1").beds
    4
    """
    if beds < 0:
        raise FacilityValueError(f"space {space_id}: 'beds' must be >= 0, got {beds}")
    old = facility.space(space_id).beds
    return _replace_space(facility, space_id, f"space {space_id} beds {old} -> {beds}", beds=beds)
