"""The design fire and the devices it trips: heat release over time, burn-out, detectors, sprinklers.

The heat release rate follows the scenario's t-squared class or table up to its peak.  With a
fuel load, the fire decays linearly once 70 % of the fuel's energy is spent so that the
rest is released during the decay (EN 1991-1-2 Annex E.4).  A sprinkler that activates holds
the heat release at its value then (conservative; ``../shared/reference/hazards_and_devices.md``).

Heat detectors and sprinkler links heat up in the ceiling jet: in the fire's own space the
Alpert correlations give the jet's excess temperature over the upper layer and its velocity;
elsewhere the link sees the upper layer at :data:`REMOTE_JET_VELOCITY`.  Smoke detectors
alarm when the upper layer's obscuration reaches their threshold.

State that changes (energy spent, which devices have activated) lives in :class:`FireProgress`
and :class:`Devices`, advanced by free functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scenarios.hazards.schema import GROWTH_ALPHA, FireSpec

__all__ = [
    "BURNOUT_SHARE",
    "MASS_EXTINCTION",
    "Devices",
    "FireProgress",
    "alpert",
    "design_hrr",
    "heat_release",
    "new_devices",
    "update_devices",
]

#: Share of the fuel's energy spent when the decay phase starts (EN 1991-1-2 Annex E.4).
BURNOUT_SHARE = 0.7
#: Mass extinction coefficient of smoke, m^2/kg (FDS default).
MASS_EXTINCTION = 8700.0
#: Gas velocity at a link outside the fire's space, m/s (CFAST's default away from a plume). [verify]
REMOTE_JET_VELOCITY = 0.1


def design_hrr(spec: FireSpec, tau: float) -> float:
    """Heat release the design fire asks for ``tau`` s after ignition, kW (before burn-out).

    >>> from scenarios.hazards.schema import FireSpec
    >>> round(design_hrr(FireSpec(origin="R", growth="medium", peak_hrr=2000), 300.0))
    1055
    """
    if tau <= 0:
        return 0.0
    if spec.growth == "table":
        t, q = zip(*spec.hrr_table, strict=True)
        return float(np.interp(tau, t, q, right=q[-1]))
    return min(GROWTH_ALPHA[spec.growth] * tau * tau, spec.peak_hrr)


@dataclass(slots=True)
class FireProgress:
    """What the fire has done so far.

    Attributes:
        fuel: Energy of the fuel load, J (``inf`` without a fuel load).
        spent: Energy of the fuel the item has given off so far, burnt or not, J.
        decay_from: (time, kW) at which the decay phase began, or None.
        held: kW at which a sprinkler holds the fire, or None.
    """

    fuel: float
    spent: float = 0.0
    decay_from: tuple[float, float] | None = None
    held: float | None = None


def heat_release(spec: FireSpec, progress: FireProgress, tau: float) -> float:
    """Heat release rate at ``tau`` s after ignition, kW, after burn-out and sprinklers.

    Call once per step with increasing ``tau``; add the fuel the item gives off to
    ``progress.spent`` (all of it: vapour that finds no oxygen still leaves the item).
    """
    q = design_hrr(spec, tau)
    if progress.held is not None:
        q = min(q, progress.held)
    if progress.decay_from is None and progress.spent >= BURNOUT_SHARE * progress.fuel:
        progress.decay_from = (tau, q)
    if progress.decay_from is not None:
        t0, q0 = progress.decay_from
        duration = 2 * (1 - BURNOUT_SHARE) * progress.fuel / max(q0 * 1e3, 1e-9)
        q = min(q, q0 * max(0.0, 1 - (tau - t0) / duration))
    return q


def alpert(q_kw: float, height: float, radius: float) -> tuple[float, float]:
    """Ceiling-jet excess temperature (K) and velocity (m/s) of a fire (Alpert 1972).

    >>> dt, u = alpert(1000.0, 3.0, 0.3)
    >>> round(dt), round(u, 2)
    (271, 6.66)
    """
    if q_kw <= 0 or height <= 0:
        return 0.0, 0.0
    r = max(radius, 1e-6)
    if r / height <= 0.18:
        rise = 16.9 * q_kw ** (2 / 3) / height ** (5 / 3)
    else:
        rise = 5.38 * (q_kw / r) ** (2 / 3) / height
    if r / height <= 0.15:
        u = 0.96 * (q_kw / height) ** (1 / 3)
    else:
        u = 0.195 * q_kw ** (1 / 3) * height ** 0.5 / r ** (5 / 6)
    return rise, u


@dataclass(slots=True)
class Devices:
    """Detectors and sprinklers.

    Attributes:
        node: int [k] space of each device.
        kind: Device kinds (``heat``, ``smoke``, ``sprinkler``).
        link: float [k] link temperature, K.
        activated: float [k] activation time since ignition, s (nan until then).
    """

    node: np.ndarray
    kind: tuple[str, ...]
    link: np.ndarray
    activated: np.ndarray = field(default_factory=lambda: np.zeros(0))


def new_devices(spec: FireSpec, origin: int, index: dict[str, int], t_amb: float) -> Devices:
    """Devices of a fire spec at ambient temperature (a device with no space sits at the origin)."""
    nodes = np.array([origin if d.space is None else index[d.space] for d in spec.detectors], np.int64)
    k = len(spec.detectors)
    return Devices(node=nodes, kind=tuple(d.kind for d in spec.detectors), link=np.full(k, t_amb),
                   activated=np.full(k, np.nan))


def update_devices(devices: Devices, spec: FireSpec, *, tau: float, dt: float, origin: int, hrr_kw: float,
                   ceiling: np.ndarray, upper_temp: np.ndarray, soot: np.ndarray) -> list[int]:
    """Heat the links, check smoke obscuration; return the devices that activated in this step.

    Args:
        devices: Changed in place.
        spec: The fire (detector parameters).
        tau: Time since ignition at the end of the step, s.
        dt: Step, s.
        origin: Node of the fire.
        hrr_kw: Heat release rate, kW.
        ceiling: float [n] height of the ceiling above the fire base (origin) or floor, m.
        upper_temp: float [n] upper-layer temperatures, K.
        soot: float [n] upper-layer soot density, kg/m^3.
    """
    fired: list[int] = []
    for k, d in enumerate(spec.detectors):
        if not math.isnan(devices.activated[k]):
            continue
        node = int(devices.node[k])
        if d.kind == "smoke":
            od_per_m = MASS_EXTINCTION * soot[node] / math.log(10)
            obscuration = 100.0 * (1 - 10 ** (-od_per_m))
            hit = obscuration >= d.obscuration
        else:
            gas = float(upper_temp[node])
            u = REMOTE_JET_VELOCITY
            if node == origin:
                rise, u = alpert(hrr_kw, float(ceiling[node]) - spec.base_height, d.radial_distance)
                gas += rise
            # exact update of dT/dt = sqrt(u) (Tg - Td) / RTI over the step
            devices.link[k] = gas + (devices.link[k] - gas) * math.exp(-math.sqrt(max(u, 0.0)) * dt / d.rti)
            hit = devices.link[k] - 273.15 >= d.activation_temperature
        if hit:
            devices.activated[k] = tau
            fired.append(k)
    return fired
