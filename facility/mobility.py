"""How each kind of mover uses the building: one table, read by routing and by the evacuation.

A mobility says what a person (with their aid, wheelchair or bed, and the staff moving it)
needs from the building and how fast they go: the clear door width they need, their speed on
the flat (a distribution, whose mean routing uses), the factor on the SFPE stair speed (or
``None``: never on a stair, so a lift between levels), whether they may take lifts, their
footprint (whose width keeps clear of walls), and how many staff must move them.
:mod:`facility.routing` plans routes with it; :mod:`agents.occupants` builds the evacuation's
occupant profiles on it (a profile adds the role, pre-movement and preparation times).

Values (door width needed; speed; stair factor; footprint; staff who move it) and sources
(``shared/reference/evacuation.md``):

* ``staff`` (staff and visitors): 0.6 m; 1.34 +- 0.26 m/s (Weidmann 1993); 1.0; 0.4 x 0.4 m; 0.
* ``ambulant`` (walking patient): 0.6 m; 1.0 +- 0.2 m/s (Geoerg et al. 2025 drills); 0.8;
  0.4 x 0.4 m; 0.
* ``reduced`` (walking aid): 0.7 m; 0.69 +- 0.07 m/s, between a frame (0.57) and a stick
  (0.81, Boyce et al. 1999); 0.5; 0.6 x 0.6 m; 0.
* ``wheelchair_self`` (manual wheelchair, self-propelled): 0.8 m; 0.69 +- 0.1 m/s (Boyce et
  al. 1999); never; 0.7 x 1.2 m; 0.
* ``wheelchair`` (pushed): 0.8 m; 1.1 +- 0.15 m/s (Geoerg et al. 2025); never; 0.7 x 1.5 m; 1.
* ``bed``: 1.1 m; 0.7 +- 0.1 m/s (Geoerg et al. 2025); never; 1.0 x 2.2 m; 2 (staff per bed).

The stair factor multiplies the SFPE unimpeded stair speed 0.85 k
(:func:`facility.routing.sfpe_stair_speed`);
a walking patient's 0.8 and a walking aid's 0.5 are judgements, not measured values (movement
devices on stairs: 0.60-0.84 m/s, Hunt et al. 2020, are not modelled: such patients go by lift).
A bed, wheelchair or walking aid needs a door as wide as its footprint plus 0.1 m (a few
centimetres each side for the hands pushing it); a walker needs 0.6 m. These widths are
assumptions, checked against the sample hospital's doors, not measured values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["AMBULANT", "BED", "MOBILITIES", "REDUCED", "STAFF", "WHEELCHAIR", "WHEELCHAIR_SELF", "Mobility"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Mobility:
    """How one kind of mover uses the building.

    Attributes:
        name: Label (``"bed"``).
        min_door_width: Narrowest clear door width it can pass (m).
        speed: Mean horizontal speed (m/s): what routing plans with.
        stair_speed_factor: Multiplier on the SFPE stair speed; ``None`` means it never uses
            stairs (and so needs a lift between levels).
        uses_lifts: Whether it may take lifts.
        speed_sd: Standard deviation of the speed across people (m/s).
        speed_range: (lowest, highest) speed drawn (m/s); default: ``speed`` alone.
        radius: Half the width of the footprint (m): body, wheelchair or bed.
        extra: Extra half length ahead and behind (m): a bed is ``2 * (radius + extra)`` long.
        staff_needed: Staff who must move it (0: moves alone).
        source: Where the numbers come from.
    """

    name: str
    min_door_width: float
    speed: float
    stair_speed_factor: float | None
    uses_lifts: bool = True
    speed_sd: float = 0.0
    speed_range: tuple[float, float] | None = None
    radius: float = 0.2
    extra: float = 0.0
    staff_needed: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed) and self.speed > 0):
            raise ValueError(f"mobility {self.name}: 'speed' must be > 0, got {self.speed}")
        if not (math.isfinite(self.min_door_width) and self.min_door_width > 0):
            raise ValueError(f"mobility {self.name}: 'min_door_width' must be > 0")
        if self.stair_speed_factor is not None and not 0 < self.stair_speed_factor <= 2:
            raise ValueError(f"mobility {self.name}: 'stair_speed_factor' must be in (0, 2] or None, "
                             f"got {self.stair_speed_factor}")
        # The range is not required to hold 'speed': a study may change the speed alone
        # (dataclasses.replace), and the draws stay within the range it keeps.
        lo, hi = self.speed_range or (self.speed, self.speed)
        if not (0 < lo <= hi and math.isfinite(hi) and self.speed_sd >= 0):
            raise ValueError(f"mobility {self.name}: 'speed_range' must be (low, high) with 0 < low <= high, "
                             f"and 'speed_sd' >= 0, got {self.speed_range}, {self.speed_sd}")
        if not (self.radius > 0 and self.extra >= 0 and self.staff_needed >= 0):
            raise ValueError(f"mobility {self.name}: 'radius' must be > 0, 'extra' and 'staff_needed' >= 0")

    @property
    def clearance(self) -> float:
        """Least room (distance to a wall) its centre keeps (m): its half width, so its width
        never overlaps a wall (:mod:`agents.movement.navigation`).

        >>> BED.clearance
        0.5
        """
        return self.radius

    @property
    def uses_stairs(self) -> bool:
        """Whether it may take a stair."""
        return self.stair_speed_factor is not None

    @property
    def needs_lift(self) -> bool:
        """Whether it changes level only by lift (it never takes a stair)."""
        return self.stair_speed_factor is None

    @property
    def footprint(self) -> tuple[float, float]:
        """(width, length) of the body, wheelchair or bed (m).

        >>> BED.footprint
        (1.0, 2.2)
        """
        return (round(2 * self.radius, 6), round(2 * (self.radius + self.extra), 6))

    @property
    def speed_distribution(self) -> tuple[float, float, float, float]:
        """(mean, sd, lowest, highest) of the truncated normal speed people are drawn from (m/s)."""
        lo, hi = self.speed_range or (self.speed, self.speed)
        return (self.speed, self.speed_sd, lo, hi)


_GEOERG = "Geoerg, de Schot & Lovreglio, Fire Technology 2025 (hospital drills)"
_BOYCE = "Boyce, Shields & Silcock 1999"

#: Staff and visitors, walking: Weidmann (1993) free speed.
STAFF = Mobility(name="staff", min_door_width=0.6, speed=1.34, speed_sd=0.26, speed_range=(0.6, 2.0),
                 stair_speed_factor=1.0, source="Weidmann 1993: 1.34 +- 0.26 m/s")
#: A walking patient: 1.0 m/s in hospital drills.
AMBULANT = Mobility(name="ambulant", min_door_width=0.6, speed=1.0, speed_sd=0.2, speed_range=(0.5, 1.6),
                    stair_speed_factor=0.8, source=f"{_GEOERG}: walking patient 1.0 m/s")
#: A patient with a walking aid: between a frame (0.57) and a stick (0.81 m/s).
REDUCED = Mobility(name="reduced", min_door_width=0.7, speed=0.69, speed_sd=0.07, speed_range=(0.57, 0.81),
                   stair_speed_factor=0.5, radius=0.3, source=f"{_BOYCE}: frame 0.57, stick 0.81 m/s")
#: A patient in a manual wheelchair they push themselves; never on a stair.
WHEELCHAIR_SELF = Mobility(name="wheelchair_self", min_door_width=0.8, speed=0.69, speed_sd=0.1,
                           speed_range=(0.45, 0.95), stair_speed_factor=None, radius=0.35, extra=0.25,
                           source=f"{_BOYCE}: self-propelled manual wheelchair 0.69 m/s")
#: A wheelchair pushed by a member of staff: 1.1 m/s; never on a stair.
WHEELCHAIR = Mobility(name="wheelchair", min_door_width=0.8, speed=1.1, speed_sd=0.15, speed_range=(0.7, 1.5),
                      stair_speed_factor=None, radius=0.35, extra=0.4, staff_needed=1,
                      source=f"{_GEOERG}: wheelchair 1.1 m/s")
#: A bed (1.0 x 2.2 m) pushed by two staff: 0.7 m/s; needs 1.1 m clear; never on a stair.
BED = Mobility(name="bed", min_door_width=1.1, speed=0.7, speed_sd=0.1, speed_range=(0.45, 0.95),
               stair_speed_factor=None, radius=0.5, extra=0.6, staff_needed=2,
               source=f"{_GEOERG}: bed 0.7 m/s; staff per bed 2 (shared/reference/evacuation.md)")

#: Every mobility by name.
MOBILITIES: dict[str, Mobility] = {m.name: m
                                   for m in (STAFF, AMBULANT, REDUCED, WHEELCHAIR_SELF, WHEELCHAIR, BED)}

