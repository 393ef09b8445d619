"""The compiled flows of one smoke step: every transfer the openings make, in one pass.

Once the pressure solve has given each opening its net volume flow, this kernel does what
:func:`scenarios.hazards.openings.opening_transfers_reference` does with some two hundred small
array operations (its plain-numpy twin, which pins it in the tests): the slab-integrated
two-way flows of doors, exits and vents (and of a closed door's gaps; the slabs cut at both
sides' interfaces, so each layer sends gas through the part of the opening it spans), each deposited in the
receiving layer it matches in temperature; the spill-plume mixing where a door flow crosses the
receiving interface (:mod:`scenarios.hazards.door_jet`); the net flows of wall and fabric leaks
and of shafts; and Cooper's buoyant exchange up shafts.  On a small network the numpy version
cost some 300 us a step in interpreter overhead alone, three times CFAST's whole step.

Transfers are returned as parallel arrays (source node, source layer, destination node,
destination layer, kg/s) for :func:`scenarios.hazards.vent_kernel.apply_transfers`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from scenarios.hazards.door_jet import COLD_INFLOW_SHARE
from scenarios.hazards.vent_kernel import slab_flows

__all__ = ["FLOW_CONSTS", "flow_constants", "opening_transfers"]

LOWER, UPPER = 0, 1
DOOR, EXIT, WALL_LEAK, FABRIC_LEAK, VENT, SHAFT = range(6)
#: Margin past a receiving layer's temperature beyond which an inflow joins it whole, K (CFAST's
#: deltatemp_min; ``zone.DEPOSIT_DT``: :func:`flow_constants` checks that the two agree).
DEPOSIT_MARGIN = 1.0
#: Layout of the constants array: equal slabs (each opening gets two more, cut at the interfaces),
#: Cd, g, quiet flow, skim depth, Cooper's coefficient,
#: deposit margin (K), cp, rho T, share of a cold inflow's spill entrainment.
FLOW_CONSTS = ("slabs", "cd", "gravity", "quiet", "skim", "cooper", "deposit_dt", "cp", "rho_t", "cold_share")


@numba.njit(cache=True)
def _share(t_in: float, t_up: float, t_low: float, margin: float) -> float:  # pragma: no cover - compiled
    """Share of an inflow at ``t_in`` joining the upper layer (``openings.upper_share``)."""
    hi = t_up + margin
    lo = min(t_low, t_up) - margin
    x = min(max((t_in - lo) / (hi - lo), 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


@numba.njit(cache=True)
def _poreh(temps: tuple[float, float], mass: float, width: float, travel: float,
           c: np.ndarray) -> float:  # pragma: no cover - compiled
    """Spill-plume entrainment, kg/s (``door_jet.poreh_entrainment``); ``temps`` = (hot, cold), K."""
    t_hot, t_cold = temps
    g, cp, rho_t = c[2], c[7], c[8]
    dt = max(t_hot - t_cold, 0.0)
    rho_cold = rho_t / t_cold
    q = cp * dt * max(mass, 0.0)
    scale = (g * rho_cold ** 2 / (cp * t_cold)) ** (1.0 / 3.0)
    return (0.44 * (t_cold / t_hot) ** (2.0 / 3.0) * scale * np.cbrt(q) * width ** (2.0 / 3.0)
            * max(travel, 0.0))


@numba.njit(cache=True)
def _push(out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], count: int,
          route: tuple[int, int, int, int], rate: float) -> int:  # pragma: no cover - compiled
    """Append one transfer (source node and layer, destination node and layer, kg/s); the new count."""
    sn, sl, dn, dl = route
    out[0][count] = sn
    out[1][count] = sl
    out[2][count] = dn
    out[3][count] = dl
    out[4][count] = rate
    return count + 1


@numba.njit(cache=True)
def _deposit(out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], count: int,
             route: tuple[int, int, int], mass: float,
             temp: np.ndarray) -> int:  # pragma: no cover - compiled
    """Append ``mass`` from (node, layer) to node, split by the receiving layers' temperatures."""
    sn, sl, dn = route
    f = _share(temp[sl, sn], temp[UPPER, dn], temp[LOWER, dn], DEPOSIT_MARGIN)
    count = _push(out, count, (sn, sl, dn, UPPER), mass * f)
    return _push(out, count, (sn, sl, dn, LOWER), mass * (1.0 - f))


@numba.njit(cache=True)
def opening_transfers(net: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                      shape: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                      layers: tuple[np.ndarray, np.ndarray, np.ndarray], flow: np.ndarray,
                      c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                              np.ndarray]:  # pragma: no cover - compiled
    """Every transfer the openings make in one step (module docstring).

    Args:
        net: ``(a, far, kind, open_)``: int [m] the openings' nodes (``far`` is ``b`` with the
            outside as node ``n``), int [m] their :class:`~scenarios.hazards.network.OpeningKind`,
            bool [m] which are open.
        shape: float [m] ``(width, sill, soffit, leak_area)`` of each opening, m and m^2, and
            float [n] the spaces' ceiling heights, m.
        layers: ``(temp, rho, z)``: float [2, n + 1] layer temperatures, K, and densities,
            kg/m^3; float [n + 1] interface heights, m (the outside last: ambient, ``inf``).
        flow: float [m] net volume flow a -> b of each opening from the pressure solve, m^3/s.
        c: float [10] constants in the order of :data:`FLOW_CONSTS`.
    """
    a, far, kind, open_ = net
    width, sill, soffit, leak, height = shape
    temp, rho, z = layers
    uniform = int(c[0])
    slabs = uniform + 2
    cd, g, quiet, skim, cooper, cold = c[1], c[2], c[3], c[4], c[5], c[9]
    m = a.size
    n = height.size
    # the doors, exits and vents with a density difference across them: two-way slab flows
    ex = np.zeros(m, np.bool_)
    cap = 0
    for k in range(m):
        if kind[k] == DOOR or kind[k] == EXIT or kind[k] == VENT:
            ia, ib = a[k], far[k]
            spread = max(abs(temp[UPPER, ia] - temp[LOWER, ia]), abs(temp[UPPER, ib] - temp[LOWER, ib]))
            ex[k] = spread > 0.01 or abs(temp[LOWER, ia] - temp[LOWER, ib]) > 0.01
        if ex[k]:
            cap += 2 * slabs + 4
        elif abs(flow[k]) > quiet:
            cap += 3
        if kind[k] == SHAFT:
            cap += 3
    out = (np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64),
           np.empty(cap))
    count = 0
    rows = np.flatnonzero(ex)
    nk = rows.size
    if nk:
        y = np.empty((nk, slabs))
        dp0 = np.empty((nk, slabs))
        dens = np.empty((2, nk, slabs))
        lay = np.empty((2, nk, slabs), np.int64)
        coef = np.empty((nk, slabs))
        target = np.empty(nk)
        wide = np.empty(nk)
        edges = np.empty(slabs + 1)
        for r in range(nk):
            k = rows[r]
            span = soffit[k] - sill[k]
            shut = kind[k] != VENT and not open_[k]
            wide[r] = leak[k] / span if shut else width[k]
            target[r] = flow[k]
            # the uniform cuts and both sides' interfaces: no slab straddles a layer boundary
            for j in range(uniform + 1):
                edges[j] = sill[k] + j / uniform * span
            edges[uniform + 1] = min(max(z[a[k]], sill[k]), soffit[k])
            edges[uniform + 2] = min(max(z[far[k]], sill[k]), soffit[k])
            edges.sort()
            for j in range(slabs):
                yy = 0.5 * (edges[j] + edges[j + 1])
                coef[r, j] = cd * wide[r] * (edges[j + 1] - edges[j])
                y[r, j] = yy
                dp = 0.0
                for side in range(2):
                    node = a[k] if side == 0 else far[k]
                    below = min(yy, z[node])
                    head = -g * (rho[LOWER, node] * below + rho[UPPER, node] * (yy - below))
                    dp += head if side == 0 else -head
                    layer = UPPER if yy > z[node] else LOWER
                    lay[side, r, j] = layer
                    dens[side, r, j] = rho[layer, node]
                dp0[r, j] = dp
        v = slab_flows(dp0, dens, coef, target)
        for r in range(nk):
            k = rows[r]
            ia, ib = a[k], far[k]
            totals = np.zeros(4)  # hot a->b, hot b->a, cold a->b, cold b->a
            allowed = np.empty(4, np.bool_)
            allowed[0] = ib != n and temp[UPPER, ia] > temp[LOWER, ib]
            allowed[1] = ia != n and temp[UPPER, ib] > temp[LOWER, ia]
            allowed[2] = ib != n and temp[LOWER, ia] < temp[UPPER, ib]
            allowed[3] = ia != n and temp[LOWER, ib] < temp[UPPER, ia]
            # what each side's layers send across, summed over the slabs: every slab from one
            # layer joins the far side's layers in the same shares, so one deposit each
            sent = np.zeros((2, 2))
            for j in range(slabs):
                fwd = v[r, j] > 0
                side = 0 if fwd else 1
                sn = ia if fwd else ib
                dn = ib if fwd else ia
                sl = lay[side, r, j]
                mass = abs(v[r, j]) * rho[sl, sn]
                sent[side, sl] += mass
                under = y[r, j] < z[dn]
                way = 0 if fwd else 1
                if sl == UPPER and under:
                    what = way
                elif sl == LOWER and not under:
                    what = 2 + way
                else:
                    continue
                if allowed[what]:
                    totals[what] += mass
            for side in range(2):
                for sl in range(2):
                    if sent[side, sl] > 0:
                        route = (ia, sl, ib) if side == 0 else (ib, sl, ia)
                        count = _deposit(out, count, route, sent[side, sl], temp)
            for what in range(4):
                if totals[what] <= 0:
                    continue
                src = ia if what % 2 == 0 else ib
                dst = ib if what % 2 == 0 else ia
                if what < 2:
                    travel = z[dst] - max(sill[k], z[src])
                    rate = _poreh((temp[UPPER, src], temp[LOWER, dst]), totals[what], wide[r], travel, c)
                    if rate > 0:
                        count = _push(out, count, (dst, LOWER, dst, UPPER), rate)
                else:
                    travel = min(soffit[k], z[src]) - max(z[dst], sill[k])
                    hot_cold = (temp[UPPER, dst], temp[LOWER, src])
                    rate = cold * _poreh(hot_cold, totals[what], wide[r], travel, c)
                    if rate > 0:
                        count = _push(out, count, (dst, UPPER, dst, LOWER), rate)
    # every other opening: its net flow, drawn from the layers it spans upwind
    for k in range(m):
        if ex[k] or abs(flow[k]) <= quiet:
            continue
        up = flow[k] >= 0
        src = a[k] if up else far[k]
        dst = far[k] if up else a[k]
        q = abs(flow[k])
        if src == n:
            fu = 0.0
        elif kind[k] == SHAFT:
            if up:
                fu = min(max((height[src] - z[src]) / skim, 0.0), 1.0)
            else:
                fu = 1.0 - min(max(z[src] / skim, 0.0), 1.0)
        else:
            span = max(soffit[k] - sill[k], 1e-9)
            fu = min(max((soffit[k] - max(z[src], sill[k])) / span, 0.0), 1.0)
        count = _deposit(out, count, (src, UPPER, dst), q * fu * rho[UPPER, src], temp)
        count = _push(out, count, (src, LOWER, dst, LOWER), q * (1.0 - fu) * rho[LOWER, src])
    # Cooper's unstable exchange up shafts whose lower space's ceiling gas is the lighter
    for k in range(m):
        if kind[k] != SHAFT:
            continue
        lo, hi = a[k], far[k]
        light, heavy = rho[UPPER, lo], rho[LOWER, hi]
        if not heavy > light * (1 + 1e-6):
            continue
        diameter = math.sqrt(4 * leak[k] / math.pi)
        vol = cooper * math.sqrt(g * (heavy - light) * diameter ** 5 / (0.5 * (heavy + light)))
        count = _deposit(out, count, (lo, UPPER, hi), vol * light, temp)
        count = _push(out, count, (hi, LOWER, lo, LOWER), vol * heavy)
    return out[0][:count], out[1][:count], out[2][:count], out[3][:count], out[4][:count]


def flow_constants(*, slabs: int, cd: float, gravity: float, quiet: float, skim: float, cooper: float,
                   deposit_dt: float, cp: float, rho_t: float) -> np.ndarray:
    """The kernel's constants array (:data:`FLOW_CONSTS`)."""
    if deposit_dt != DEPOSIT_MARGIN:
        raise ValueError(f"the compiled flows deposit with a {DEPOSIT_MARGIN} K margin, got {deposit_dt}")
    return np.array([slabs, cd, gravity, quiet, skim, cooper, deposit_dt, cp, rho_t, COLD_INFLOW_SHARE],
                    float)
