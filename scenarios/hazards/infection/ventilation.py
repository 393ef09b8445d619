"""The air of the building: each space's volume, air changes, clean air and where its air goes.

:func:`space_air` turns a facility and the scenario's ``air`` settings into a
:class:`SpaceAir`: parallel arrays over the facility's spaces (in the
facility's order) that the airborne model steps.  A space's removal rate of
infectious particles is ``λ = ACH + clean_air / V + deposition + inactivation``
(1/h), plus the air it loses through its doors.  Air changes come from the
facility (``air_changes`` of a space), else
from the ASHRAE 170-2017 Table 7.1 total air changes for its clinical use
(:data:`ASHRAE_170_ACH`), else :data:`DEFAULT_ACH`.

Spaces are well mixed.  Each space also exchanges air with the spaces beyond
its doors: ``door_exchange_ach`` of its volume per hour leaves through its
doors (split evenly between them) into those spaces, carrying its particles,
so a room with an infectious patient raises the concentration in its
corridor.  The exchange is independent of the mechanical air changes (door
openings and undercuts, not the supply), so more air changes anywhere can
only lower every concentration.  There is no sourced default for it (it
depends on door use and pressure balance; measure it with a tracer gas):
the default of 0.5 /h is an assumption stated here and in ``docs/infection.md``.  Airborne infection
isolation rooms are held at negative pressure: with the door shut nothing
leaks out of them (ASHRAE 170: AII rooms 12 total ACH, negative pressure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from scenarios.base import StrictModel
from scenarios.hazards.infection.pathogens import Pathogen

if TYPE_CHECKING:
    from facility.model import Facility

__all__ = [
    "ASHRAE_170_ACH",
    "DEFAULT_ACH",
    "DEFAULT_CEILING_M",
    "AirSettings",
    "Hepa",
    "SpaceAir",
    "space_air",
]

#: Total air changes per hour by clinical use, ASHRAE 170-2017 Table 7.1 [checked]:
#: patient room 4, airborne infection isolation 12 (negative pressure), protective
#: environment 12, operating room 20, critical care 6, trauma room 15, ER and radiology
#: waiting 12, corridor 2.  Keys are the clinical uses of medtwin facilities.
ASHRAE_170_ACH: dict[str, float] = {
    "ward_bay": 4.0, "ward_single": 4.0, "day_room": 4.0,
    "ed_isolation": 12.0, "isolation": 12.0, "protective_environment": 12.0,
    "theatre": 20.0, "or": 20.0, "icu": 6.0, "ed_resus": 15.0, "trauma": 15.0,
    "ed_waiting": 12.0, "imaging_waiting": 12.0, "corridor": 2.0,
}
#: Uses not in the table get the patient-room rate (4 total ACH) [verify locally].
DEFAULT_ACH = 4.0
#: Ceiling height used when neither the space nor its level gives one (m).
DEFAULT_CEILING_M = 3.0
#: Uses treated as airborne infection isolation rooms (negative pressure) unless listed otherwise.
ISOLATION_USES = frozenset({"ed_isolation", "isolation"})
#: Highest air changes per hour a scenario may set: the facility format's limit (ASHRAE 170
#: asks up to 25 in theatres; laboratories and isolation suites stay well below 100), so an
#: intervention cannot do what the facility file refuses.
MAX_ACH = 100.0
#: Highest clean-air delivery of one portable HEPA unit (m³/h): large room units deliver
#: about 1000-2000 m³/h; ten times that is a typing error, not a unit.
MAX_HEPA_M3H = 20_000.0

#: Total air changes per hour of one space or use.  A negative rate would *add*
#: particles in the removal rate and give absurd exposures, so it is refused here
#: with the field named, not left to the arithmetic.
AirChanges = Annotated[float, Field(ge=0, le=MAX_ACH, allow_inf_nan=False)]


class Hepa(StrictModel):
    """A portable HEPA unit: clean air delivered into one space (m³/h)."""

    space: str = Field(min_length=1)
    clean_air_m3h: float = Field(gt=0, le=MAX_HEPA_M3H, allow_inf_nan=False)


class AirSettings(StrictModel):
    """The ``air`` section of an infection scenario (or of one intervention).

    Attributes:
        air_changes: Total air changes per hour by space id (override the facility).
        air_changes_by_use: Total air changes per hour by clinical use.
        hepa: Portable HEPA units.
        isolation_spaces: Space ids held at negative pressure (in addition to
            spaces whose use is an isolation use).
        isolation_door_shut: Isolation rooms keep their doors shut (no leak out).
        door_exchange_ach: Air leaving each space through its doors, in air
            changes per hour of its volume [assumption, no sourced default].
    """

    air_changes: dict[str, AirChanges] = Field(default_factory=dict)
    air_changes_by_use: dict[str, AirChanges] = Field(default_factory=dict)
    hepa: list[Hepa] = Field(default_factory=list)
    isolation_spaces: list[str] = Field(default_factory=list)
    isolation_door_shut: bool = True
    door_exchange_ach: float = Field(default=0.5, ge=0, le=MAX_ACH, allow_inf_nan=False)

    def merged(self, other: AirSettings | None) -> AirSettings:
        """These settings with an intervention's on top (dicts and lists combined)."""
        if other is None:
            return self
        return AirSettings(
            air_changes={**self.air_changes, **other.air_changes},
            air_changes_by_use={**self.air_changes_by_use, **other.air_changes_by_use},
            hepa=[*self.hepa, *other.hepa],
            isolation_spaces=[*self.isolation_spaces, *other.isolation_spaces],
            isolation_door_shut=other.isolation_door_shut if "isolation_door_shut" in other.model_fields_set
            else self.isolation_door_shut,
            door_exchange_ach=other.door_exchange_ach if "door_exchange_ach" in other.model_fields_set
            else self.door_exchange_ach)


@dataclass(frozen=True, slots=True)
class SpaceAir:
    """Per-space air properties, arrays in the facility's space order.

    Attributes:
        space_ids: The facility's space ids.
        volume: m³.
        ach: Total air changes per hour (supply and extract).
        clean_air: Extra clean air from HEPA units, m³/h.
        removal: λ, all losses of infectious particles, 1/h.
        isolation: Space is a negative-pressure isolation room.
        transfer: [n, n] rate at which air of space *s* enters space *j*,
            divided by the volume of *j* (1/h): ``transfer[j, s]``.
    """

    space_ids: tuple[str, ...]
    volume: np.ndarray
    ach: np.ndarray
    clean_air: np.ndarray
    removal: np.ndarray
    isolation: np.ndarray
    transfer: np.ndarray

    def index(self) -> dict[str, int]:
        """Space id -> position in the arrays."""
        return {s: i for i, s in enumerate(self.space_ids)}


def space_air(facility: Facility, settings: AirSettings, pathogen: Pathogen) -> SpaceAir:
    """The air of every space of ``facility`` under ``settings`` for ``pathogen``.

    Unknown space ids in ``settings`` are the scenario check's business
    (:func:`scenarios.hazards.infection.runs.check`); here they are ignored.
    """
    spaces = facility.spaces
    n = len(spaces)
    levels = {lv.id: lv for lv in facility.levels}
    vol = np.empty(n)
    ach = np.empty(n)
    iso = np.zeros(n, bool)
    listed = set(settings.isolation_spaces)
    for i, s in enumerate(spaces):
        level = levels.get(s.level)
        height = s.ceiling_height or (level.ceiling_height if level is not None else DEFAULT_CEILING_M)
        vol[i] = max(s.area, 1e-6) * height
        use = s.use or ""
        if s.id in settings.air_changes:
            ach[i] = settings.air_changes[s.id]
        elif use in settings.air_changes_by_use:
            ach[i] = settings.air_changes_by_use[use]
        elif s.air_changes is not None:
            ach[i] = s.air_changes
        else:
            ach[i] = ASHRAE_170_ACH.get(use, DEFAULT_ACH)
        iso[i] = use in ISOLATION_USES or s.id in listed
    index = {s.id: i for i, s in enumerate(spaces)}
    clean = np.zeros(n)
    for h in settings.hepa:
        if h.space in index:
            clean[index[h.space]] += h.clean_air_m3h
    removal = ach + clean / vol + pathogen.deposition_per_h + pathogen.inactivation_per_h
    transfer = np.zeros((n, n))
    if settings.door_exchange_ach > 0:
        doors = facility.doors_of
        for s_i, s in enumerate(spaces):
            if iso[s_i] and settings.isolation_door_shut:
                continue  # negative pressure, door shut: air only flows in
            others = [d.other(s.id) for d in doors.get(s.id, ()) if d.other(s.id) in index]
            if not others:
                continue
            q = settings.door_exchange_ach * vol[s_i] / len(others)  # m³/h through each door
            removal[s_i] += settings.door_exchange_ach  # what leaves takes its particles along
            for o in others:
                j = index[o]
                transfer[j, s_i] += q / vol[j]
    return SpaceAir(space_ids=tuple(s.id for s in spaces), volume=vol, ach=ach, clean_air=clean,
                    removal=removal, isolation=iso, transfer=transfer)
