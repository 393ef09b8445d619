"""Who evacuates: profiles with speed and pre-movement distributions and body sizes.

Every number is a default from ``shared/reference/evacuation.md`` and is drawn
per person from a distribution, never used as a constant:

* free walking speed of staff and visitors: Weidmann (1993), normal
  1.34 +- 0.26 m/s;
* hospital drill speeds (Geoerg, de Schot & Lovreglio, Fire Technology 2025):
  walking patient 1.0, pushed wheelchair 1.1, bed 0.7 m/s;
* walking aids (Boyce, Shields & Silcock 1999): frame 0.57 to stick 0.81 m/s
  (uniform), self-propelled manual wheelchair 0.69 m/s;
* pre-movement (Rahouti et al. 2020): patients 8-63 s, staff 8-141 s, taken
  as the 5-95 % range of a lognormal;
* preparation of a ventilated patient: 331 s (HDU, Geoerg et al. 2025).
  Preparation of other bed and wheelchair patients is not in the reference:
  120 s and 60 s are assumed and flagged as such in docs/evacuation.md.

A bed is a disk of its width (1.0 m) with 0.6 m of extra length ahead and
behind (2.2 m in all) for the headway rule; wheelchairs likewise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

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
    """How one kind of occupant evacuates.

    Attributes:
        name: Profile id used in scenario files.
        role: ``patient``, ``staff`` or ``visitor``.
        speed: (mean, sd, low, high) of a truncated normal free speed (m/s).
        premove: (5 %, 95 %) range of a lognormal pre-movement time (s).
        radius: Body (or unit) half width (m).
        extra: Extra half length ahead and behind for the headway (m).
        clearance: Minimum distance of the centre from a wall (m).
        stairs: Speed factor on the SFPE stair speed, ``None`` if never on stairs.
        staff_needed: Staff who must escort (0: moves alone).
        prepare: (5 %, 95 %) range of the lognormal preparation time once the
            staff have arrived (s); ignored when no staff are needed.
        ventilated: Carries a transport ventilator with a limited battery/O2.
        dependency: Rank for the "most dependent first" policy (higher first).
    """

    name: str
    role: str
    speed: tuple[float, float, float, float]
    premove: tuple[float, float]
    radius: float = 0.2
    extra: float = 0.0
    clearance: float = 0.2
    stairs: float | None = 1.0
    staff_needed: int = 0
    prepare: tuple[float, float] = (1.0, 1.0)
    ventilated: bool = False
    dependency: int = 0

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
_WEIDMANN = (1.34, 0.26, 0.6, 2.0)

#: Built-in profiles by name.
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(name="staff", role="staff", speed=_WEIDMANN, premove=_STAFF_PRE),
        Profile(name="visitor", role="visitor", speed=_WEIDMANN, premove=_PATIENT_PRE),
        Profile(name="ambulant", role="patient", speed=(1.0, 0.2, 0.5, 1.6), premove=_PATIENT_PRE,
                stairs=0.8),
        Profile(name="walking_aid", role="patient", speed=(0.69, 0.07, 0.57, 0.81),
                premove=_PATIENT_PRE, radius=0.3, clearance=0.2, stairs=0.5, dependency=1),
        Profile(name="wheelchair_self", role="patient", speed=(0.69, 0.1, 0.45, 0.95),
                premove=_PATIENT_PRE, radius=0.35, extra=0.25, clearance=0.3, stairs=None,
                dependency=2),
        Profile(name="wheelchair", role="patient", speed=(1.1, 0.15, 0.7, 1.5),
                premove=_PATIENT_PRE, radius=0.35, extra=0.4, clearance=0.3, stairs=None,
                staff_needed=1, prepare=(30.0, 120.0), dependency=3),
        Profile(name="bed", role="patient", speed=(0.7, 0.1, 0.45, 0.95), premove=_PATIENT_PRE,
                radius=0.5, extra=0.6, clearance=0.4, stairs=None, staff_needed=2,
                prepare=(60.0, 240.0), dependency=4),
        Profile(name="ventilated", role="patient", speed=(0.7, 0.1, 0.45, 0.95),
                premove=_PATIENT_PRE, radius=0.5, extra=0.6, clearance=0.4, stairs=None,
                staff_needed=2, prepare=(220.0, 500.0), ventilated=True, dependency=5),
    )
}

#: Aliases accepted from operations snapshots (agents.snapshot.PATIENT_PROFILES).
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
