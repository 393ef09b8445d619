"""A released gas spreading over the facility's spaces: well mixed per space, along the door network.

Per space ``i`` the gas density ``C_i`` (kg/m^3) in its mixing volume ``V_i`` obeys

    dC_i/dt = G_i / V_i - lambda_i C_i - F_i C_i / V_i + sum_j F_ji C_j / V_i
              + sum_j Q_ij (C_j - C_i) / V_i

with ``G`` the source (kg/s), ``lambda = ACH / 3600`` the space's ventilation with clean air,
``F_ji`` the displacement flow from ``j`` into ``i`` (``F_i`` all that leaves ``i``) and ``Q_ij``
the two-way exchange through an open door or exit (outside: ``C = 0``).

**Displacement.** The released gas adds its own volume, ``G / rho_gas`` m^3/s, to its space.
The HVAC's supply and extract are balanced fans and do not take it up, so the excess leaves
through the openings and leaks of the door network: the same linear pressure network as the
smoke model's (:class:`~scenarios.hazards.zone.PressureSolver`, conductance ``Cd A sqrt(2 /
(rho dp))`` with the open area of an open door or exit, the leakage area of a closed one, of
walls and of the fabric) gives the net volume flow through every opening, each space passing on
what it receives.  Each flow carries the mixture of the space it leaves: a large release (an MRI
quench, a liquid-nitrogen spill) pushes gas into its neighbours even through closed doors.

The step splits the parts: each space's removal (ventilation plus displacement outflow) and the
source are integrated exactly over the step, so a single ventilated room whose openings all
lead outside follows ``C(t) = G/Q (1 - exp(-Q t / V))`` with ``Q`` the extract flow plus the
released volume, and decays as ``exp(-ACH t)`` once the source stops, to round-off; the mass
displaced out of each space is handed to the spaces downstream in proportion to their flows;
then the exchange moves mass between neighbours conservatively, sub-stepped so no space gives
more than half its gas in one sub-step.  What leaves by ventilation, exits and leaks to outside
is kept in a ledger, so released = present + removed to round-off.

Door exchange: Emmons' two-way flow through an opening of width ``W`` and height ``H`` driven
by a small temperature difference, ``Q = (1/3) Cd W H sqrt(g H dT / T)`` with
:data:`EXCHANGE_DT` (no fire drives it).  Simplification, stated: gases heavier than air (or
cold) mix only in the lower :data:`DENSE_MIXING_HEIGHT` of a space, where people breathe;
lighter gases (helium) are taken as mixed over the whole height, which over-states the
concentration at head height only where the gas would have risen above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scenarios.hazards.network import OUTSIDE, Network, OpeningKind
from scenarios.hazards.schema import GasSource
from scenarios.hazards.species import Species
from scenarios.hazards.zone import PressureSolver

__all__ = ["DENSE_MIXING_HEIGHT", "EXCHANGE_DT", "LEAKAGE_ACH", "GasState", "displacement_flows",
           "exchange_rates", "gas_step", "new_gas", "ppm", "pure_density", "source_rate"]

#: Height of the mixing layer of a dense gas, m (the breathing zone of standing people). [assumption]
DENSE_MIXING_HEIGHT = 1.8
#: Temperature difference driving the exchange through an open door, K. [assumption]
EXCHANGE_DT = 1.0
#: Air changes per hour with the HVAC off: infiltration only. [assumption]
LEAKAGE_ACH = 0.1
#: Flow coefficient of doors.
CD = 0.7
GRAVITY = 9.81
#: Molar volume of an ideal gas at 20 C and 1 atm, m^3/mol.
MOLAR_VOLUME = 0.024055


def pure_density(species: Species) -> float:
    """Density of the pure gas at 20 C and 1 atm, kg/m^3.

    >>> from scenarios.hazards.species import PRESETS
    >>> round(pure_density(PRESETS["helium"]), 4)
    0.1664
    """
    return species.molecular_weight * 1e-3 / MOLAR_VOLUME


def ppm(density: np.ndarray, species: Species) -> np.ndarray:
    """Volume fraction in ppm of a gas at ``density`` kg/m^3 (20 C, 1 atm).

    >>> from scenarios.hazards.species import PRESETS
    >>> round(float(ppm(np.array([1e-3]), PRESETS["chlorine"])[0]), 1)
    339.3
    """
    return np.asarray(density) / (species.molecular_weight * 1e-3) * MOLAR_VOLUME * 1e6


def source_rate(src: GasSource, t0: float, t1: float, released: float) -> float:
    """Mass released between ``t0`` and ``t1`` (s since the alarm), kg, given ``released`` so far."""
    if src.kind == "instantaneous":
        return float(src.mass or 0.0) if t0 <= src.start < t1 else 0.0
    if src.kind == "rate":
        t, g = np.array(src.rate_table).T
        grid = np.linspace(t0, t1, 5)
        return float(np.trapezoid(np.interp(grid, t, g, left=0.0, right=0.0), grid))
    end = t1 if src.isolate_at is None else min(t1, src.isolate_at)
    begin = max(t0, src.start)
    if end <= begin:
        return 0.0
    return min(float(src.rate or 0.0) * (end - begin), max(float(src.mass or 0.0) - released, 0.0))


@dataclass(slots=True)
class GasState:
    """Gas in every space.

    Attributes:
        density: float [n] kg/m^3 in the mixing volume.
        volume: float [n] mixing volume, m^3.
        time: s since the alarm.
        released, removed: kg released so far, kg carried out (ventilation, exits, leaks).
    """

    density: np.ndarray
    volume: np.ndarray
    time: float
    released: float = 0.0
    removed: float = 0.0
    peak: np.ndarray = field(default_factory=lambda: np.zeros(0))


def new_gas(net: Network, species: Species, start: float) -> GasState:
    """No gas anywhere; mixing volumes per the species' buoyancy."""
    h = np.minimum(net.height, DENSE_MIXING_HEIGHT) if species.dense else net.height
    vol = net.area * h
    return GasState(density=np.zeros(net.n), volume=vol, time=start, peak=np.zeros(net.n))


def exchange_rates(net: Network, open_: np.ndarray) -> np.ndarray:
    """float [m] two-way volume exchange through each open door or exit, m^3/s (0 elsewhere)."""
    h = net.soffit - net.sill
    q = (1 / 3) * CD * net.width * h * np.sqrt(GRAVITY * h * EXCHANGE_DT / 293.15)
    live = open_ & ((net.kind == OpeningKind.DOOR) | (net.kind == OpeningKind.EXIT))
    return np.where(live | (net.kind == OpeningKind.VENT), q, 0.0)


def displacement_flows(solver: PressureSolver, open_: np.ndarray, node: int) -> np.ndarray:
    """float [m] net volume flow a -> b through each opening per m^3/s of gas released in ``node``.

    The pressure network's solution (module docstring): the flows leave ``node`` in total 1
    m^3/s, every other space passes on what it receives, and every opening carries its
    conductance times the pressure difference across it.  Linear, so one solve per door state.
    """
    unit = np.zeros(solver.net.n)
    unit[node] = 1.0
    return solver.flows(open_, unit)


def gas_step(g: GasState, net: Network, *, node: int, mass: float, ach: np.ndarray, exchange: np.ndarray,
             displaced: np.ndarray, dt: float, gas_density: float) -> None:
    """Advance ``g`` by ``dt``: release ``mass`` kg in ``node``, ventilate, displace, exchange.

    Args:
        g: The gas; changed in place.
        net: The network.
        node: The source's space.
        mass: kg released during the step.
        ach: float [n] air changes per hour of each space's ventilation.
        exchange: float [m] two-way exchange through each opening, m^3/s (:func:`exchange_rates`).
        displaced: float [m] net flow through each opening per m^3/s released
            (:func:`displacement_flows` for the door states of the step).
        dt: Step, s.
        gas_density: The pure gas's density, kg/m^3: the released volume is ``mass / gas_density``.
    """
    n = net.n
    source = np.zeros(n)
    source[node] = mass / dt
    # the released volume leaves along the network; each flow carries its upstream space's mixture
    flow = displaced * (mass / dt / gas_density)
    fwd = flow >= 0
    up = np.where(fwd, net.a, net.b)
    down = np.where(fwd, net.b, net.a)
    q = np.abs(flow)
    carry = (up != OUTSIDE) & (q > 0)  # air drawn in from outside brings no gas
    up, down, q = up[carry], down[carry], q[carry]
    out_q = np.bincount(up, q, n)
    lam_vent = ach / 3600.0
    lam = lam_vent + out_q / g.volume
    before = g.density * g.volume
    decay = np.exp(-lam * dt)
    with np.errstate(divide="ignore", invalid="ignore"):
        steady = np.where(lam > 0, source / (lam * g.volume), 0.0)
        grow = np.where(lam > 0, 1 - decay, 0.0)
    g.density = np.where(lam > 0, g.density * decay + steady * grow, g.density + source * dt / g.volume)
    g.released += mass
    loss = before + source * dt - g.density * g.volume
    if up.size:
        # both removals act on the same C(t): the displaced share of the loss is exact
        with np.errstate(divide="ignore", invalid="ignore"):
            moved = np.where(lam > 0, loss * (out_q / g.volume) / lam, 0.0)
        handed = moved[up] * q / out_q[up]
        inner = down != OUTSIDE
        g.density = g.density + np.bincount(down[inner], handed[inner], n) / g.volume
        loss -= np.bincount(down[inner], handed[inner], n)
    g.removed += float(loss.sum())
    live = np.flatnonzero(exchange > 0)
    if live.size:
        a, b, q = net.a[live], net.b[live], exchange[live]
        inner = b >= 0
        bb = np.maximum(b, 0)
        share = q * dt / g.volume[a]
        share_b = np.where(inner, q * dt / g.volume[bb], 0.0)
        worst = max(float(share.max()), float(share_b.max()))
        sub = max(1, int(np.ceil(worst / 0.5)))
        h = dt / sub
        for _ in range(sub):
            cb = np.where(inner, g.density[bb], 0.0)
            flux = q * (g.density[a] - cb) * h  # kg from a to b
            delta = np.bincount(a, -flux, net.n) + np.bincount(bb[inner], flux[inner], net.n)
            g.density = g.density + delta / g.volume
            g.removed += float(flux[~inner].sum())
    g.peak = np.maximum(g.peak, g.density)
    g.time += dt
