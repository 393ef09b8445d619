"""The compiled inner loops of the smoke step, each with a plain-numpy twin that pins it in the tests.

- :func:`slab_flows`: the pressure offset that balances an opening's slabs (a false-position root
  search per open door with a density difference across it); twin :func:`slab_flows_reference`.
- :func:`apply_transfers`: move mass between layers with its enthalpy and species, scaled so
  that no layer gives more than a share of its mass in one step; twin
  :func:`apply_transfers_reference`.
- :func:`keep_layers`: keep each layer at least a floor volume and fold an upper layer no
  warmer than the lower one; twin :func:`keep_layers_reference`.
- :func:`layer_props`: each layer's temperature, species fractions and density and each space's
  interface height, with the outside as one more node at ambient, the inputs of every other
  pass; twin :func:`layer_props_reference`.  On a two-room network its five array operations
  and two joins cost more than the pressure solve.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba.extending import register_jitable

__all__ = ["MAX_ITERATIONS", "apply_transfers", "apply_transfers_reference", "keep_layers",
           "keep_layers_reference", "layer_props", "layer_props_reference", "slab_flows",
           "slab_flows_reference"]

#: Largest number of steps of the offset's root search (it converges in some 6-12).
MAX_ITERATIONS = 100
#: The search stops when the slabs' net flow is within this of the target, m^3/s, or the
#: bracket is narrower than this share of the pressures (round-off).
FLOW_TOL, BRACKET_TOL = 1e-13, 1e-14


@register_jitable
def _slab_sum(dp0: np.ndarray, rho_a: np.ndarray, rho_b: np.ndarray, coef: np.ndarray,
              offset: float) -> float:
    """Net volume flow a -> b of an opening's slabs at a pressure ``offset``, m^3/s."""
    total = 0.0
    for j in range(dp0.size):
        d = dp0[j] + offset
        if d >= 0:
            total += coef[j] * math.sqrt(2 * d / rho_a[j])
        else:
            total -= coef[j] * math.sqrt(-2 * d / rho_b[j])
    return total


@register_jitable
def _offset(dp0: np.ndarray, rho_a: np.ndarray, rho_b: np.ndarray, coef: np.ndarray, target: float) -> float:
    """The pressure offset at which an opening's slabs carry ``target`` m^3/s (Illinois false position).

    The net flow grows monotonically with the offset.  The bracket must hold the offset that
    drives ``|target|`` through every slab from the densest side (flow from side b is set by
    b's density, so both sides count).  False position with the Illinois halving converges
    superlinearly where plain bisection took 40 steps, which on a building with a few hundred
    smoke-logged doors was a third of the step.  Plain Python, compiled where the kernel calls it,
    so the numpy twin runs the same search.
    """
    s = dp0.size
    big, dense, area = 0.0, 0.0, 0.0
    for j in range(s):
        big = max(big, abs(dp0[j]))
        dense = max(dense, rho_a[j], rho_b[j])
        area += coef[j]
    push = 0.5 * dense * (target / area) ** 2
    lo = -big - push - 1e-9
    hi = -lo
    f_lo = _slab_sum(dp0, rho_a, rho_b, coef, lo) - target
    f_hi = _slab_sum(dp0, rho_a, rho_b, coef, hi) - target
    if f_lo >= 0:
        return lo
    if f_hi <= 0:
        return hi
    side = 0
    x = 0.5 * (lo + hi)
    for _ in range(MAX_ITERATIONS):
        x = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        if not lo < x < hi:
            x = 0.5 * (lo + hi)
        fx = _slab_sum(dp0, rho_a, rho_b, coef, x) - target
        if abs(fx) <= FLOW_TOL or hi - lo <= BRACKET_TOL * (big + push + 1.0):
            break
        if fx > 0:
            hi, f_hi = x, fx
            if side == 1:
                f_lo *= 0.5
            side = 1
        else:
            lo, f_lo = x, fx
            if side == -1:
                f_hi *= 0.5
            side = -1
    return x


@numba.njit(cache=True)
def slab_flows(dp0: np.ndarray, rho: np.ndarray, coef: np.ndarray,
               target: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Volume flow a -> b of every slab, m^3/s, once the opening's offset balances ``target``.

    Args:
        dp0: float [k, s] hydrostatic pressure difference a - b at each slab, Pa.
        rho: float [2, k, s] gas density of side a and side b at each slab, kg/m^3.
        coef: float [k, s] ``Cd w h`` of each slab of each opening, m^2.
        target: float [k] net volume flow a -> b the slabs must add up to, m^3/s.
    """
    rho_a, rho_b = rho[0], rho[1]
    k, s = dp0.shape
    out = np.empty((k, s))
    for i in range(k):
        mid = _offset(dp0[i], rho_a[i], rho_b[i], coef[i], target[i])
        for j in range(s):
            d = dp0[i, j] + mid
            if d >= 0:
                out[i, j] = coef[i, j] * math.sqrt(2 * d / rho_a[i, j])
            else:
                out[i, j] = -coef[i, j] * math.sqrt(-2 * d / rho_b[i, j])
    return out


def slab_flows_reference(dp0: np.ndarray, rho: np.ndarray, coef: np.ndarray,
                         target: np.ndarray) -> np.ndarray:
    """:func:`slab_flows` interpreted: the same root search per opening, the flows in numpy."""
    rho_a, rho_b = rho[0], rho[1]
    mid = np.array([_offset(dp0[i], rho_a[i], rho_b[i], coef[i], float(target[i]))
                    for i in range(dp0.shape[0])])
    dp = dp0 + mid[:, None]
    src = np.where(dp >= 0, rho_a, rho_b)
    return np.asarray(np.sign(dp) * coef * np.sqrt(2 * np.abs(dp) / src))


#: Layout of the ledger :func:`apply_transfers` returns: mass in, mass out, energy in, energy out,
#: then species in (one per species), then species out.
LEDGER_HEAD = 4


@numba.njit(cache=True)
def apply_transfers(state: tuple[np.ndarray, np.ndarray, np.ndarray],
                    route: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], mass: np.ndarray,
                    props: tuple[np.ndarray, np.ndarray], max_share: float) -> np.ndarray:  # pragma: no cover
    """Apply transfers in place; return the boundary ledger of this call.

    Args:
        state: (m [2, n], e [2, n], y [k, 2, n]) layer masses, enthalpies, species masses.
        route: (source node, source layer, destination node, destination layer) per transfer;
            node ``n`` is the outside.
        mass: kg per transfer (before scaling).
        props: (enthalpy per kg [2, n + 1], species mass fractions [k, 2, n + 1]) of each layer.
        max_share: Largest share of a layer's mass that may leave it.
    """
    m, e, y = state
    sn, sl, dn, dl = route
    h, frac = props
    n = m.shape[1]
    ns = y.shape[0]
    given = np.zeros((2, n + 1))
    for i in range(mass.size):
        if mass[i] > 0:
            given[sl[i], sn[i]] += mass[i]
    scale = np.ones((2, n + 1))
    for layer in range(2):
        for k in range(n):
            cap = max_share * m[layer, k]
            if given[layer, k] > cap:
                scale[layer, k] = cap / given[layer, k]
    ledger = np.zeros(LEDGER_HEAD + 2 * ns)
    for i in range(mass.size):
        if not mass[i] > 0:
            continue
        a, la, b, lb = sn[i], sl[i], dn[i], dl[i]
        mm = mass[i] * scale[la, a]
        ee = mm * h[la, a]
        if a < n:
            m[la, a] -= mm
            e[la, a] -= ee
            for q in range(ns):
                y[q, la, a] -= mm * frac[q, la, a]
        else:
            ledger[0] += mm
            ledger[2] += ee
            for q in range(ns):
                ledger[LEDGER_HEAD + q] += mm * frac[q, la, a]
        if b < n:
            m[lb, b] += mm
            e[lb, b] += ee
            for q in range(ns):
                y[q, lb, b] += mm * frac[q, la, a]
        else:
            ledger[1] += mm
            ledger[3] += ee
            for q in range(ns):
                ledger[LEDGER_HEAD + ns + q] += mm * frac[q, la, a]
    return ledger


def apply_transfers_reference(state: tuple[np.ndarray, np.ndarray, np.ndarray],
                              route: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], mass: np.ndarray,
                              props: tuple[np.ndarray, np.ndarray], max_share: float) -> np.ndarray:
    """:func:`apply_transfers` in plain numpy (bincounts over the transfers)."""
    m, e, y = state
    sn, sl, dn, dl = route
    h, frac = props
    n, ns = m.shape[1], y.shape[0]
    keep = mass > 0
    sn, sl, dn, dl, mass = sn[keep], sl[keep], dn[keep], dl[keep], mass[keep]
    size = 2 * (n + 1)
    si = sl * (n + 1) + sn
    di = dl * (n + 1) + dn
    given = np.bincount(si, mass, size)
    avail = np.concatenate([m, np.full((2, 1), np.inf)], axis=1).ravel()
    scale = np.ones(size)
    over = given > max_share * avail
    scale[over] = max_share * avail[over] / given[over]
    mass = mass * scale[si]
    energy = mass * h[sl, sn]
    species = mass[None] * frac[:, sl, sn]
    inner = np.ones((2, n + 1), bool)
    inner[:, n] = False
    flat = inner.ravel()
    dm = np.bincount(di, mass, size) - np.bincount(si, mass, size)
    de = np.bincount(di, energy, size) - np.bincount(si, energy, size)
    m += dm[flat].reshape(2, n)
    e += de[flat].reshape(2, n)
    for q in range(ns):
        d = np.bincount(di, species[q], size) - np.bincount(si, species[q], size)
        y[q] += d[flat].reshape(2, n)
    from_out, to_out = sn == n, dn == n
    return np.concatenate([[mass[from_out].sum(), mass[to_out].sum(), energy[from_out].sum(),
                            energy[to_out].sum()], species[:, from_out].sum(axis=1),
                           species[:, to_out].sum(axis=1)])


@numba.njit(cache=True)
def keep_layers(state: tuple[np.ndarray, np.ndarray, np.ndarray], floor: np.ndarray, cp: float,
                rho_t: float) -> None:  # pragma: no cover - compiled
    """Keep each layer at least ``floor`` m^3, and fold an upper layer no warmer than the lower.

    Both moves are internal: a share of one layer's mass, enthalpy and species goes to the other.
    A layer's volume is its enthalpy over ``cp * rho_t``.

    Args:
        state: (m [2, n], e [2, n], y [k, 2, n]); changed in place.
        floor: float [n] smallest layer volume, m^3.
        cp: Specific heat, J/(kg K).
        rho_t: rho * T of the gas, kg K / m^3.
    """
    m, e, y = state
    n = m.shape[1]
    for i in range(n):
        v_low, v_up = e[0, i] / (cp * rho_t), e[1, i] / (cp * rho_t)
        f = floor[i]
        down = 0.0
        if v_low < f:
            # lower layer squeezed out: give it back a share of the upper layer
            down = (f - v_low) / max(v_up, f)
        if e[1, i] / m[1, i] <= e[0, i] / m[0, i] and v_up > 2 * f:
            # upper layer no warmer than the lower: it is not a layer, fold it to the minimum
            down = 1.0 - f / v_up
        up = (f - v_up) / max(v_low, f) if v_up < f else 0.0
        d = m[1, i] * down - m[0, i] * up
        m[1, i] -= d
        m[0, i] += d
        d = e[1, i] * down - e[0, i] * up
        e[1, i] -= d
        e[0, i] += d
        for k in range(y.shape[0]):
            d = y[k, 1, i] * down - y[k, 0, i] * up
            y[k, 1, i] -= d
            y[k, 0, i] += d


def keep_layers_reference(state: tuple[np.ndarray, np.ndarray, np.ndarray], floor: np.ndarray, cp: float,
                          rho_t: float) -> None:
    """:func:`keep_layers` in plain numpy."""
    m, e, y = state
    vol = e / (cp * rho_t)
    temp = e / m
    share_down = np.where(vol[0] < floor, (floor - vol[0]) / np.maximum(vol[1], floor), 0.0)
    fold = (temp[1] <= temp[0]) & (vol[1] > 2 * floor)
    share_down = np.where(fold, 1.0 - floor / vol[1], share_down)
    share_up = np.where(vol[1] < floor, (floor - vol[1]) / np.maximum(vol[0], floor), 0.0)
    for arr in (m, e):
        d = arr[1] * share_down - arr[0] * share_up
        arr[1] -= d
        arr[0] += d
    d = y[:, 1] * share_down - y[:, 0] * share_up
    y[:, 1] -= d
    y[:, 0] += d


@numba.njit(cache=True)
def layer_props(state: tuple[np.ndarray, np.ndarray, np.ndarray], shape: tuple[np.ndarray, np.ndarray],
                ambient: np.ndarray, consts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                   np.ndarray]:  # pragma: no cover
    """Layer temperatures, species fractions and densities, and interface heights, outside last.

    Args:
        state: (m [2, n], e [2, n], y [k, 2, n]) layer masses, enthalpies, species masses.
        shape: (height [n], area [n]) ceiling heights, m, and floor areas, m^2.
        ambient: float [k] the outside's species mass fractions.
        consts: float [3]: ambient temperature, K; cp, J/(kg K); rho T, kg K / m^3.

    Returns:
        temp [2, n + 1] K, frac [k, 2, n + 1], rho [2, n + 1] kg/m^3, z [n + 1] m (the interface
        clipped to the space; the outside's ``inf``).
    """
    m, e, y = state
    height, area = shape
    t_amb, cp, rho_t = consts[0], consts[1], consts[2]
    n = m.shape[1]
    ns = y.shape[0]
    temp = np.empty((2, n + 1))
    frac = np.empty((ns, 2, n + 1))
    rho = np.empty((2, n + 1))
    z = np.empty(n + 1)
    # row by row, so that every array is read and written in memory order
    inv = np.empty((2, n))
    for layer in range(2):
        for i in range(n):
            inv[layer, i] = 1.0 / m[layer, i]
            t = e[layer, i] * inv[layer, i] / cp
            temp[layer, i] = t
            rho[layer, i] = rho_t / t
    for q in range(ns):
        for layer in range(2):
            for i in range(n):
                frac[q, layer, i] = y[q, layer, i] * inv[layer, i]
    for i in range(n):
        depth = e[1, i] / (cp * rho_t) / area[i]
        z[i] = min(max(height[i] - depth, 0.0), height[i])
    for layer in range(2):
        temp[layer, n] = t_amb
        rho[layer, n] = rho_t / t_amb
        for q in range(ns):
            frac[q, layer, n] = ambient[q]
    z[n] = np.inf
    return temp, frac, rho, z


def layer_props_reference(state: tuple[np.ndarray, np.ndarray, np.ndarray],
                          shape: tuple[np.ndarray, np.ndarray], ambient: np.ndarray,
                          consts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`layer_props` in plain numpy."""
    m, e, y = state
    height, area = shape
    t_amb, cp, rho_t = (float(c) for c in consts)
    temp = np.concatenate([e / (cp * m), np.full((2, 1), t_amb)], axis=1)
    frac = np.concatenate([y / m[None], np.broadcast_to(ambient[:, None, None], (y.shape[0], 2, 1))], axis=2)
    z = np.clip(height - e[1] / (cp * rho_t) / area, 0.0, height)
    return temp, frac, rho_t / temp, np.append(z, np.inf)
