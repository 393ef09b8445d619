"""Mixing at a doorway: the spill plume a door flow forms as it crosses the receiving space's layer.

Smoke leaving a room through a door below the receiving space's interface does not slide into
that space's upper layer unchanged: it rises as a spill plume through the lower layer and
entrains cool air on the way, so the receiving layer grows deeper and cooler than the door flow
alone would make it.  Likewise cool air entering above the receiving interface falls through
the hot layer and drags some of it down.  Zone models account for this as door-jet mixing; we
use the spill-plume entrainment of Poreh et al. (Fire Safety Journal 30:1-19, 1998), as CFAST
does (CFAST Technical Reference Guide, "Door jets"):

    m_e = 0.44 (T_l / T_u)^(2/3) (g rho_l^2 / (cp T_l))^(1/3) Q^(1/3) W^(2/3) z_d

with ``Q = cp (T_u - T_l) m`` the enthalpy flux of the door flow ``m`` relative to the layer it
crosses, ``W`` the opening's width and ``z_d`` the height it travels through that layer.  For
cool air falling through a hot layer the entrainment is a quarter of this, the factor CFAST
applies for the weaker shear mixing of a cold inflow.

Per opening and direction the qualifying slab flows are summed before the plume law is applied
(the law is not additive over slabs, and the number of slabs is a numerical choice); that sum
is a compiled loop (:func:`slab_totals`) pinned to a numpy twin in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

__all__ = ["COLD_INFLOW_SHARE", "PorehInputs", "poreh_entrainment", "slab_totals", "slab_totals_reference",
           "spill_entrainment"]

#: Gravity, m/s^2.
GRAVITY = 9.81
#: Specific heat of air, J/(kg K) (as the zone model).
CP = 1012.0
#: rho * T of air, kg K / m^3.
RHO_T = 353.0
#: Share of the spill-plume entrainment for cool inflow falling through a hot layer (CFAST).
COLD_INFLOW_SHARE = 0.25
LOWER, UPPER = 0, 1


def poreh_entrainment(t_hot: np.ndarray, t_cold: np.ndarray, mass: np.ndarray, width: np.ndarray,
                      travel: np.ndarray) -> np.ndarray:
    """Mass entrained by a spill plume, kg/s (module docstring), elementwise.

    Args:
        t_hot: Temperature of the hotter gas (the plume, or the layer a cold inflow falls through), K.
        t_cold: Temperature of the cooler gas, K.
        mass: Door flow forming the plume, kg/s.
        width: Opening width, m.
        travel: Height the flow travels through the layer it mixes with, m.

    >>> round(float(poreh_entrainment(np.array([673.0]), np.array([293.0]), np.array([1.0]),
    ...                               np.array([1.2]), np.array([0.4]))[0]), 3)
    0.302
    """
    dt = np.maximum(t_hot - t_cold, 0.0)
    rho_cold = RHO_T / t_cold
    q = CP * dt * np.maximum(mass, 0.0)
    scale = (GRAVITY * rho_cold ** 2 / (CP * t_cold)) ** (1 / 3)
    return np.asarray(0.44 * (t_cold / t_hot) ** (2 / 3) * scale * np.cbrt(q) * width ** (2 / 3)
                      * np.maximum(travel, 0.0))


@dataclass(frozen=True, slots=True)
class PorehInputs:
    """The slab flows of the open openings of one step, as the vent exchange computed them.

    Attributes:
        y: float [k, s] slab heights above the floor, m.
        a, b: int [k] the two nodes of each opening (``b`` may be the outside).
        forward: bool [k, s] the slab flows from ``a`` to ``b``.
        src_layer: int [k, s] layer the slab's flow leaves.
        mass: float [k, s] slab mass flow, kg/s (>= 0).
        sill, soffit, width: float [k] the openings' bottom, top and width, m.
    """

    y: np.ndarray
    a: np.ndarray
    b: np.ndarray
    forward: np.ndarray
    src_layer: np.ndarray
    mass: np.ndarray
    sill: np.ndarray
    soffit: np.ndarray
    width: np.ndarray


@numba.njit(cache=True)
def slab_totals(forward: np.ndarray, src_layer: np.ndarray, mass: np.ndarray, below: np.ndarray,
                allowed: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """float [4, k] door flow forming a spill plume per opening: hot a->b, hot b->a, cold a->b, cold b->a.

    A hot slab leaves an upper layer below the receiving interface, a cold one leaves a lower
    layer at or above it.

    Args:
        forward: bool [k, s] the slab flows a -> b.
        src_layer: int [k, s] layer the slab leaves.
        mass: float [k, s] slab mass flow, kg/s.
        below: bool [2, k, s] the slab lies below side b's interface (row 0) and side a's (row 1).
        allowed: bool [4, k] the temperatures allow each of the four plumes.
    """
    k, s = mass.shape
    out = np.zeros((4, k))
    for i in range(k):
        for j in range(s):
            way = 0 if forward[i, j] else 1
            under = below[way, i, j]
            if src_layer[i, j] == UPPER and under:
                kind = way
            elif src_layer[i, j] == LOWER and not under:
                kind = 2 + way
            else:
                continue
            if allowed[kind, i]:
                out[kind, i] += mass[i, j]
    return out


def slab_totals_reference(forward: np.ndarray, src_layer: np.ndarray, mass: np.ndarray, below: np.ndarray,
                          allowed: np.ndarray) -> np.ndarray:
    """:func:`slab_totals` in plain numpy."""
    out = np.zeros((4, mass.shape[0]))
    for way, mask in ((0, forward), (1, ~forward)):
        hot, cold = (src_layer == UPPER) & below[way], (src_layer == LOWER) & ~below[way]
        for kind, hit in ((way, hot), (2 + way, cold)):
            out[kind] = np.where(mask & hit & allowed[kind][:, None], mass, 0.0).sum(axis=1)
    return out


def spill_entrainment(flows: PorehInputs, *, z: np.ndarray, temp: np.ndarray,
                      outside: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Door-jet mixing in the receiving spaces: (node, from layer, to layer, kg/s) per transfer.

    Hot slabs leaving an upper layer below the receiving interface entrain the receiving lower
    layer into its upper layer; cool slabs leaving a lower layer above the receiving interface
    drag a quarter as much of the receiving upper layer down.  Nothing mixes in the outside.
    Per opening and direction the qualifying slabs' flows are summed (:func:`slab_totals`).

    Args:
        flows: The step's slab flows.
        z: float [n + 1] interface height per node (outside last, ``inf``), m.
        temp: float [2, n + 1] layer temperatures, K.
        outside: Node index of the outside.
    """
    f = flows
    a, b = f.a, f.b
    into_b, into_a = b != outside, a != outside
    t_up, t_low = temp[UPPER], temp[LOWER]
    allowed = np.stack([into_b & (t_up[a] > t_low[b]), into_a & (t_up[b] > t_low[a]),
                        into_b & (t_low[a] < t_up[b]), into_a & (t_low[b] < t_up[a])])
    below = np.stack([f.y < z[b][:, None], f.y < z[a][:, None]])
    totals = slab_totals(np.ascontiguousarray(f.forward), np.ascontiguousarray(f.src_layer, np.int64),
                         np.ascontiguousarray(f.mass, float), below, allowed)
    nodes: list[np.ndarray] = []
    lay_from: list[np.ndarray] = []
    rates: list[np.ndarray] = []
    for kind, (src, dst) in enumerate(((a, b), (b, a), (a, b), (b, a))):
        rows = np.flatnonzero(totals[kind] > 0)
        if not rows.size:
            continue
        s_, d_, width, total = src[rows], dst[rows], f.width[rows], totals[kind, rows]
        zs, zd = z[s_], z[d_]
        if kind < 2:
            travel = zd - np.maximum(f.sill[rows], zs)
            rate = poreh_entrainment(t_up[s_], t_low[d_], total, width, travel)
        else:
            travel = np.minimum(f.soffit[rows], zs) - np.maximum(zd, f.sill[rows])
            rate = COLD_INFLOW_SHARE * poreh_entrainment(t_up[d_], t_low[s_], total, width, travel)
        keep = rate > 0
        nodes.append(d_[keep])
        lay_from.append(np.full(int(keep.sum()), LOWER if kind < 2 else UPPER))
        rates.append(rate[keep])
    if not nodes:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, np.zeros(0)
    node = np.concatenate(nodes)
    frm = np.concatenate(lay_from)
    return node, frm, 1 - frm, np.concatenate(rates)
