"""Pathogens: how much an infectious person emits, how long it lasts in air, how it spreads by hand.

A :class:`Pathogen` is every number the exposure models need about one organism,
with its source.  :data:`PRESETS` holds the five built in (SARS-CoV-2,
influenza, measles, tuberculosis for the airborne route, norovirus for the
contact route); a scenario names a preset in :class:`PathogenSpec` and may
override any field.  Units: quanta per hour, per hour rates, days, m³/h.

Sources (see ``../shared/reference/hazards_and_devices.md``, infection):

- Quanta emission medians for standing and speaking: Mikszewski et al., Geosci.
  Front. 13:101285 (2022): SARS-CoV-2 2.7, TB 3.1, influenza 0.17, measles 15 q/h.
  Emission for other activities scales with the exhaled volume (the inhalation
  rate of the activity over the standing rate): same expiratory mode, more air.
- Spread of emission between people: lognormal; a log10 standard deviation of
  0.7 (geometric SD 5.0) is used for every preset [verify] (Buonanno et al.,
  Environ. Int. 141:105794, 2020 report spreads of this order for SARS-CoV-2).
- Removal other than ventilation: deposition 0.24 /h; inactivation of
  SARS-CoV-2 0.63 /h; none assumed for the others.
- Incubation medians (Lessler et al., Lancet Infect. Dis. 9:291, 2009):
  influenza A 1.4 d, measles 12.5 d; SARS-CoV-2 exposed-to-infectious
  lognormal mean 4.5 d, sd 1.5 d (covasim); norovirus 1.2 d (Lee et al., BMC
  Infect. Dis. 13:446, 2013) [verify]; tuberculosis: latent infection, no onset
  within any run medtwin makes.
- Hand-hygiene compliance defaults live in the scenario (21 % before, 47 %
  after contact, Erasmus et al., ICHE 31:283, 2010); the per-contact
  transfer probabilities of the contact route have no published default that
  fits every ward: the preset values are assumptions to calibrate locally.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from scenarios.base import StrictModel

__all__ = [
    "INHALATION_M3H",
    "PRESETS",
    "Activity",
    "ContactTransfer",
    "Lognormal",
    "Pathogen",
    "PathogenSpec",
]


class Activity(StrEnum):
    """What a person is doing: sets how much air they breathe and, for a source, emit."""

    RESTING = "resting"
    STANDING = "standing"
    LIGHT = "light_activity"


#: Inhalation (and exhalation) rate by activity, m³/h [verify] (reference: 0.49 resting,
#: 0.54 standing, 1.38 light activity).
INHALATION_M3H: dict[Activity, float] = {Activity.RESTING: 0.49, Activity.STANDING: 0.54,
                                         Activity.LIGHT: 1.38}


#: Upper bounds of pathogen numbers: each far above any published value (the highest quanta
#: emission reported is some thousands per hour, removal rates a few per hour, TB is
#: infectious for months), so only typing errors are refused.
MAX_MEDIAN = 100_000.0
MAX_RATE_PER_H = 100.0
MAX_INFECTIOUS_D = 3650.0


class Lognormal(StrictModel):
    """A positive quantity spread lognormally between people: its median and geometric SD.

    >>> Lognormal(median=2.0, gsd=1.0).mean
    2.0
    """

    median: float = Field(ge=0, le=MAX_MEDIAN, allow_inf_nan=False)
    gsd: float = Field(default=1.0, ge=1.0, le=100.0, allow_inf_nan=False)

    @property
    def sigma(self) -> float:
        """Standard deviation of the natural log."""
        return math.log(self.gsd)

    @property
    def mean(self) -> float:
        """Arithmetic mean, ``median * exp(sigma² / 2)``."""
        return self.median * math.exp(self.sigma**2 / 2)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """Draws from the distribution (all equal to the median when ``gsd`` is 1)."""
        if self.sigma == 0.0:
            return np.full(size, self.median)
        return self.median * np.exp(self.sigma * rng.standard_normal(size))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(X <= x), elementwise."""
        from scipy.special import ndtr

        x = np.asarray(x, float)
        if self.median == 0:
            return np.where(x >= 0, 1.0, 0.0)
        with np.errstate(divide="ignore"):
            z = np.log(np.maximum(x, 0.0) / self.median)
        if self.sigma == 0.0:
            return np.where(z >= 0, 1.0, 0.0)
        return np.asarray(ndtr(z / self.sigma))


class ContactTransfer(StrictModel):
    """Per-contact probabilities of the contact route (Ross-Macdonald hands-in-between model).

    Attributes:
        pick_up: Staff hands become contaminated at one contact with a shedding patient.
        transmit: A susceptible patient is colonised at one contact with contaminated hands.
        hand_hygiene_efficacy: Share of hand contamination one compliant hand-hygiene act removes.
        device_pick_up: A shared device becomes contaminated in one use by a shedding patient.
        device_transmit: A susceptible patient is colonised by one use of a contaminated device.
        cleaning_efficacy: Share of device contamination one cleaning removes.
    """

    pick_up: float = Field(ge=0, le=1)
    transmit: float = Field(ge=0, le=1)
    hand_hygiene_efficacy: float = Field(default=0.9, ge=0, le=1)
    device_pick_up: float = Field(default=0.0, ge=0, le=1)
    device_transmit: float = Field(default=0.0, ge=0, le=1)
    cleaning_efficacy: float = Field(default=0.9, ge=0, le=1)


class Pathogen(StrictModel):
    """Everything the exposure models need about one organism.

    Attributes:
        name: Label.
        emission: Quanta per hour emitted by an infectious person standing and
            speaking (lognormal between people); ``None`` if not airborne.
        deposition_per_h: Loss of airborne infectious particles to surfaces.
        inactivation_per_h: Biological decay in air.
        incubation_d: Time from infection to becoming infectious (days), or
            ``None`` when it is far beyond any run (latent TB).
        infectious_d: How long a new case stays infectious once it is (days).
        contact: Contact-route transfer probabilities, ``None`` if not spread by hand.
    """

    name: str = Field(min_length=1)
    emission: Lognormal | None = None
    deposition_per_h: float = Field(default=0.24, ge=0, le=MAX_RATE_PER_H, allow_inf_nan=False)
    inactivation_per_h: float = Field(default=0.0, ge=0, le=MAX_RATE_PER_H, allow_inf_nan=False)
    incubation_d: Lognormal | None = None
    infectious_d: float = Field(default=5.0, gt=0, le=MAX_INFECTIOUS_D, allow_inf_nan=False)
    contact: ContactTransfer | None = None

    def emission_rate(self, activity: Activity) -> Lognormal:
        """Emission for an activity: the standing median scaled by exhaled volume.

        >>> round(PRESETS["measles"].emission_rate(Activity.LIGHT).median, 2)
        38.33
        """
        if self.emission is None:
            return Lognormal(median=0.0)
        scale = INHALATION_M3H[activity] / INHALATION_M3H[Activity.STANDING]
        return Lognormal(median=self.emission.median * scale, gsd=self.emission.gsd)


_GSD = 10**0.7  # log10 SD 0.7 between people [verify]

#: The built-in pathogens, by the name a scenario uses.
PRESETS: dict[str, Pathogen] = {
    "sars_cov_2": Pathogen(name="SARS-CoV-2", emission=Lognormal(median=2.7, gsd=_GSD),
                           inactivation_per_h=0.63, incubation_d=Lognormal(median=4.27, gsd=1.39),
                           infectious_d=8.0),
    "influenza": Pathogen(name="influenza A", emission=Lognormal(median=0.17, gsd=_GSD),
                          incubation_d=Lognormal(median=1.4, gsd=1.51), infectious_d=5.0),
    "measles": Pathogen(name="measles", emission=Lognormal(median=15.0, gsd=_GSD),
                        incubation_d=Lognormal(median=12.5, gsd=1.23), infectious_d=8.0),
    "tuberculosis": Pathogen(name="tuberculosis", emission=Lognormal(median=3.1, gsd=_GSD),
                             incubation_d=None, infectious_d=180.0),
    "norovirus": Pathogen(name="norovirus", emission=None, incubation_d=Lognormal(median=1.2, gsd=1.5),
                          infectious_d=2.0,
                          contact=ContactTransfer(pick_up=0.4, transmit=0.05, hand_hygiene_efficacy=0.5,
                                                  device_pick_up=0.3, device_transmit=0.03,
                                                  cleaning_efficacy=0.9)),
}


class PathogenSpec(StrictModel):
    """A preset by name, with any field overridden (``pathogen:`` in a scenario).

    >>> PathogenSpec(preset="influenza", emission={"median": 100}).resolve().emission.median
    100.0
    """

    preset: str
    emission: Lognormal | None = None
    deposition_per_h: float | None = Field(default=None, ge=0, le=MAX_RATE_PER_H, allow_inf_nan=False)
    inactivation_per_h: float | None = Field(default=None, ge=0, le=MAX_RATE_PER_H, allow_inf_nan=False)
    incubation_d: Lognormal | None = None
    infectious_d: float | None = Field(default=None, gt=0, le=MAX_INFECTIOUS_D, allow_inf_nan=False)
    contact: ContactTransfer | None = None

    @field_validator("preset")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in PRESETS:
            raise ValueError(f"unknown pathogen {v!r}; expected one of {sorted(PRESETS)}")
        return v

    def resolve(self) -> Pathogen:
        """The preset with this spec's overrides applied."""
        update: dict[str, Any] = {k: v for k, v in self if k != "preset" and v is not None}
        return PRESETS[self.preset].model_copy(update=update)
