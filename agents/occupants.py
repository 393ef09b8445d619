"""Who evacuates: occupant profiles, each a mobility with a role and its times.

How a person moves (door width, speed, stairs, footprint, staff needed) is their mobility, one
row of the table in :mod:`facility.mobility` that routing reads too; a profile adds who they
are (``patient``, ``staff``, ``visitor``), when they start and how long staff take to prepare
them.  Every number is a default from ``shared/reference/evacuation.md`` and is drawn per
person from a distribution, never used as a constant:

* speeds: the mobility's truncated normal (Weidmann 1993 for staff and visitors; hospital
  drills, Geoerg, de Schot & Lovreglio 2025, for patients; Boyce, Shields & Silcock 1999 for
  walking aids and self-propelled wheelchairs);
* pre-movement (Rahouti et al. 2020): patients 8-63 s, staff 8-141 s, taken
  as the 5-95 % range of a lognormal;
* preparation of a ventilated patient: 331 s (HDU, Geoerg et al. 2025).
  Preparation of other bed and wheelchair patients is not in the reference:
  120 s and 60 s are assumed and flagged as such in docs/evacuation.md.

A bed is a disk of its width (1.0 m) with 0.6 m of extra length ahead and
behind (2.2 m in all) for the headway rule; wheelchairs likewise.  Its centre keeps
its half width from every wall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from facility.mobility import AMBULANT, BED, REDUCED, STAFF, WHEELCHAIR, WHEELCHAIR_SELF, Mobility

__all__ = ["PROFILES", "Profile", "lognormal_from_range", "profile"]


def lognormal_from_range(lo: float, hi: float) -> tuple[float, float]:
    """(mu, sigma) of a lognormal whose 5 % and 95 % quantiles are ``lo`` and ``hi``.

    >>> mu, s = lognormal_from_range(8.0, 63.0)
    >>> round(math.exp(mu), 1)
    22.4
    """
    z = 1.6448536269514722
    mu = (math.log(lo) + math.log(hi)) / 2
    return mu, (math.log(hi) - math.log(lo)) / (2 * z)


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """How one kind of occupant evacuates: a mobility, a role and its times.

    Attributes:
        name: Profile id used in scenario files.
        role: ``patient``, ``staff`` or ``visitor``.
        mobility: How they move (:data:`facility.mobility.MOBILITIES`).
        premove: (5 %, 95 %) range of a lognormal pre-movement time (s).
        prepare: (5 %, 95 %) range of the lognormal preparation time once the
            staff have arrived (s); ignored when no staff are needed.
        ventilated: Carries a transport ventilator with a limited battery/O2.
        dependency: Rank for the "most dependent first" policy (higher first).
    """

    name: str
    role: str
    mobility: Mobility
    premove: tuple[float, float]
    prepare: tuple[float, float] = (1.0, 1.0)
    ventilated: bool = False
    dependency: int = 0

    @property
    def speed(self) -> tuple[float, float, float, float]:
        """(mean, sd, low, high) of the truncated normal free speed (m/s), the mobility's."""
        return self.mobility.speed_distribution

    @property
    def radius(self) -> float:
        """Body (or unit) half width (m)."""
        return self.mobility.radius

    @property
    def extra(self) -> float:
        """Extra half length ahead and behind for the headway (m)."""
        return self.mobility.extra

    @property
    def clearance(self) -> float:
        """Room its centre keeps from every wall (m): its half width, so the width of a bed or
        a wheelchair never overlaps a wall (:func:`agents.movement.csm_kernel.footprint_room`)."""
        return self.mobility.clearance

    @property
    def stairs(self) -> float | None:
        """Speed factor on the SFPE stair speed, ``None`` if never on stairs."""
        return self.mobility.stair_speed_factor

    @property
    def staff_needed(self) -> int:
        """Staff who must escort (0: moves alone)."""
        return self.mobility.staff_needed

    def sample_speed(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Free speeds of ``n`` people (truncated normal, by redrawing)."""
        mean, sd, lo, hi = self.speed
        out = rng.normal(mean, sd, n)
        for _ in range(20):
            bad = (out < lo) | (out > hi)
            if not bad.any():
                break
            out[bad] = rng.normal(mean, sd, int(bad.sum()))
        return np.clip(out, lo, hi)

    def sample_premove(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Pre-movement times (s) of ``n`` people."""
        mu, s = lognormal_from_range(*self.premove)
        return rng.lognormal(mu, s, n)

    def sample_prepare(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Preparation times (s) before an escorted move."""
        mu, s = lognormal_from_range(*self.prepare)
        return rng.lognormal(mu, s, n)


_PATIENT_PRE = (8.0, 63.0)
_STAFF_PRE = (8.0, 141.0)

#: Built-in profiles by name.
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(name="staff", role="staff", mobility=STAFF, premove=_STAFF_PRE),
        Profile(name="visitor", role="visitor", mobility=STAFF, premove=_PATIENT_PRE),
        Profile(name="ambulant", role="patient", mobility=AMBULANT, premove=_PATIENT_PRE),
        Profile(name="walking_aid", role="patient", mobility=REDUCED, premove=_PATIENT_PRE, dependency=1),
        Profile(name="wheelchair_self", role="patient", mobility=WHEELCHAIR_SELF, premove=_PATIENT_PRE,
                dependency=2),
        Profile(name="wheelchair", role="patient", mobility=WHEELCHAIR, premove=_PATIENT_PRE,
                prepare=(30.0, 120.0), dependency=3),
        Profile(name="bed", role="patient", mobility=BED, premove=_PATIENT_PRE, prepare=(60.0, 240.0),
                dependency=4),
        Profile(name="ventilated", role="patient", mobility=BED, premove=_PATIENT_PRE,
                prepare=(220.0, 500.0), ventilated=True, dependency=5),
    )
}

#: Other names accepted for a profile: the operations model's name of the walking-aid mobility
#: and its staff roles (:data:`agents.snapshot.PATIENT_PROFILES`).
ALIASES = {"reduced": "walking_aid", "nurse": "staff", "doctor": "staff", "porter": "staff"}


def profile(name: str) -> Profile:
    """A profile by name or alias; staff roles map to ``staff``.

    >>> profile("reduced").name
    'walking_aid'
    """
    key = ALIASES.get(name, name)
    if key in PROFILES:
        return PROFILES[key]
    raise KeyError(f"unknown occupant profile {name!r}; expected one of {sorted(PROFILES)}")
