"""What the gas in a space does to a person: dose rates, visibility, walking speed, breaches.

All functions are vectorised over spaces and take the conditions at head height: the upper
layer once the interface is below the tenability layer height, the lower layer otherwise.

- Asphyxiant FED per ISO 13571 / Purser as coded in FDS:
  ``FED_CO = 2.764e-5 CO_ppm^1.036`` and ``FED_CN = exp(CN/43)/220 - 0.0045`` per minute,
  ``FED_O2 = 1 / exp(8.13 - 0.54 (20.9 - O2%))`` per minute below 20 % O2, CO2
  hyperventilation ``HV = exp(0.1903 CO2% + 2.0004) / 7.1``; ``FED = (FED_CO + FED_CN) HV + FED_O2``.
- Convective heat dose: tolerance ``t = 5e7 T^-3.4`` minutes (lightly clothed, ISO 13571:2012
  Eq. 10: patients in night clothes), counted above :data:`HEAT_DOSE_FROM`.
- Visibility ``S = C / K``, ``K = 8700 m^2/kg x soot density``, ``C = 3`` (FDS).
- Walking speed in smoke: Fridolf et al. 2019 Eq. 7, ``w = min(w0, max(0.2, w0 - 0.34 (3 - V)))``
  with ``V = 2 / K``, as a factor of :data:`FREE_SPEED`.
"""

from __future__ import annotations

import math

import numpy as np
from numba.extending import register_jitable

from scenarios.hazards.fire import MASS_EXTINCTION

__all__ = [
    "FREE_SPEED",
    "HEAT_DOSE_FROM",
    "MAX_VISIBILITY",
    "fed_asphyxiant_rate",
    "fed_asphyxiant_scalar",
    "fed_heat_rate",
    "fed_heat_scalar",
    "speed_factor",
    "visibility",
    "visibility_scalar",
]

#: Visibility factor C for light-reflecting signs (FDS default).
VISIBILITY_FACTOR = 3.0
#: Visibility reported in clear air, m.
MAX_VISIBILITY = 30.0
#: Free walking speed w0 that Fridolf's speeds are taken relative to, m/s (Fridolf 2019, mean w0). [verify]
FREE_SPEED = 1.2
#: Slowest walking speed in dense smoke, m/s (Fridolf 2019 Eq. 7).
SLOWEST = 0.2
#: Purser's HCN term in air without HCN, per minute (removed, see :func:`fed_asphyxiant_rate`).
CN_CLEAN_AIR = 1.0 / 220.0 - 0.0045
#: Air temperature below which no convective heat dose accrues, deg C. [assumption]
HEAT_DOSE_FROM = 40.0


def visibility(soot_density: np.ndarray) -> np.ndarray:
    """Visibility of light-reflecting signs, m, capped at :data:`MAX_VISIBILITY`.

    >>> visibility(np.array([0.0, 3.0 / 8700 / 5])).round(6).tolist()
    [30.0, 5.0]
    """
    k = MASS_EXTINCTION * np.asarray(soot_density, float)
    with np.errstate(divide="ignore"):
        s = np.where(k > 0, VISIBILITY_FACTOR / np.maximum(k, 1e-300), MAX_VISIBILITY)
    return np.minimum(s, MAX_VISIBILITY)


def speed_factor(soot_density: np.ndarray) -> np.ndarray:
    """Walking speed in smoke over free speed (Fridolf 2019 Eq. 7), in (0, 1].

    >>> speed_factor(np.array([0.0, 1e-3])).round(3).tolist()
    [1.0, 0.215]
    """
    k = MASS_EXTINCTION * np.asarray(soot_density, float)
    with np.errstate(divide="ignore"):
        v = np.where(k > 0, 2.0 / np.maximum(k, 1e-300), np.inf)
    w = np.minimum(FREE_SPEED, np.maximum(SLOWEST, FREE_SPEED - 0.34 * np.maximum(3.0 - v, 0.0)))
    return w / FREE_SPEED


def fed_asphyxiant_rate(co_ppm: np.ndarray, hcn_ppm: np.ndarray, o2_percent: np.ndarray,
                        co2_percent: np.ndarray) -> np.ndarray:
    """Asphyxiant FED per second (ISO 13571 / Purser, as in FDS).

    >>> round(float(fed_asphyxiant_rate(np.array([1000.0]), np.array([0.0]), np.array([20.9]),
    ...                                 np.array([0.04]))[0]) * 60, 4)
    0.0372
    """
    co = 2.764e-5 * np.maximum(co_ppm, 0.0) ** 1.036
    # Purser's HCN term is 1/220 - 0.0045 = 4.5e-5 per minute in clean air; that offset is removed so
    # that clean air carries no dose
    cn = np.maximum(np.exp(np.maximum(hcn_ppm, 0.0) / 43.0) / 220.0 - 0.0045 - CN_CLEAN_AIR, 0.0)
    o2 = np.where(o2_percent < 20.0, 1.0 / np.exp(8.13 - 0.54 * (20.9 - o2_percent)), 0.0)
    hv = np.exp(0.1903 * np.maximum(co2_percent, 0.0) + 2.0004) / 7.1
    return ((co + cn) * hv + o2) / 60.0


def fed_heat_rate(temp_c: np.ndarray) -> np.ndarray:
    """Convective heat FED per second (ISO 13571:2012, lightly clothed), zero below HEAT_DOSE_FROM.

    >>> round(float(fed_heat_rate(np.array([100.0]))[0]) * 60, 4)
    0.1262
    """
    t = np.asarray(temp_c, float)
    tolerance_min = 5e7 * np.maximum(t, 1.0) ** -3.4
    return np.where(t >= HEAT_DOSE_FROM, 1.0 / (60.0 * tolerance_min), 0.0)


# -- scalar twins, for the compiled assessment (scenarios.hazards.assess_kernel) ----------------
@register_jitable
def fed_asphyxiant_scalar(co_ppm: float, hcn_ppm: float, o2_percent: float, co2_percent: float) -> float:
    """:func:`fed_asphyxiant_rate` for one space."""
    co = 2.764e-5 * max(co_ppm, 0.0) ** 1.036
    cn = max(math.exp(max(hcn_ppm, 0.0) / 43.0) / 220.0 - 0.0045 - CN_CLEAN_AIR, 0.0)
    o2 = 1.0 / math.exp(8.13 - 0.54 * (20.9 - o2_percent)) if o2_percent < 20.0 else 0.0
    hv = math.exp(0.1903 * max(co2_percent, 0.0) + 2.0004) / 7.1
    return ((co + cn) * hv + o2) / 60.0


@register_jitable
def fed_heat_scalar(temp_c: float) -> float:
    """:func:`fed_heat_rate` for one space."""
    if temp_c < HEAT_DOSE_FROM:
        return 0.0
    return 1.0 / (60.0 * 5e7 * max(temp_c, 1.0) ** -3.4)


@register_jitable
def visibility_scalar(soot_density: float) -> float:
    """:func:`visibility` for one space."""
    k = MASS_EXTINCTION * soot_density
    return min(VISIBILITY_FACTOR / k, MAX_VISIBILITY) if k > 0 else MAX_VISIBILITY
