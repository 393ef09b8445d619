"""The flows through a network's openings in one smoke step, in plain numpy.

This is the readable formulation of what :func:`scenarios.hazards.flow_kernel.opening_transfers`
computes in one compiled pass, and its twin in the tests: after the pressure solve has given
each opening its net volume flow,

* doors, exits and vents with a density difference across them (and a closed door's gaps, its
  leakage area over the leaf's height) carry slab-integrated two-way flows driven by the
  hydrostatic pressures of both sides' layers, offset to add up to the net flow (for one hot
  layer against cold air, Emmons' door spill); each slab's flow joins the receiving layer it
  matches in temperature (:func:`upper_share`), and where it crosses the receiving interface it
  mixes (spill-plume door-jet entrainment, :mod:`scenarios.hazards.door_jet`);
* wall and fabric leaks, quiet doors and shafts carry the net flow only, drawn from the layers
  they span upwind (a shaft's upward flow from the top of the lower space, its downward flow
  from the floor of the upper one);
* shafts also carry Cooper's unstable exchange where the lower space's ceiling gas is lighter
  than the upper space's floor gas.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scenarios.hazards.door_jet import PorehInputs, spill_entrainment
from scenarios.hazards.network import Network, OpeningKind
from scenarios.hazards.transfers import Transfers
from scenarios.hazards.vent_kernel import slab_flows
from scenarios.hazards.zone import (
    CD,
    COOPER,
    DEPOSIT_DT,
    GRAVITY,
    LOWER,
    QUIET_FLOW,
    SKIM,
    SLABS,
    UPPER,
)

__all__ = ["opening_transfers_reference", "upper_share"]

_Move = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]


def opening_transfers_reference(net: Network, open_: np.ndarray, flow: np.ndarray, *, temp: np.ndarray,
                                rho: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    """Every transfer the openings make in one step, in plain numpy: the twin of the compiled
    :func:`scenarios.hazards.flow_kernel.opening_transfers`, whose arguments and results it shares
    (``temp``, ``rho`` float [2, n + 1] and ``z`` float [n + 1] with the outside last).
    """
    n, out = net.n, net.n
    tr = Transfers()
    move = tr.move

    far = np.where(net.b >= 0, net.b, out)
    # doors, exits and vents with a density difference across them: slab-integrated flows; a
    # closed door's gaps (its leakage area over the leaf's height) pass them too, so smoke
    # crosses a shut door by buoyancy as well as by being pushed
    doorway = (net.kind == OpeningKind.DOOR) | (net.kind == OpeningKind.EXIT)
    ex = doorway | (net.kind == OpeningKind.VENT)
    ia, ib = net.a, far
    spread = np.maximum(np.abs(temp[UPPER, ia] - temp[LOWER, ia]), np.abs(temp[UPPER, ib] - temp[LOWER, ib]))
    ex &= (spread > 0.01) | (np.abs(temp[LOWER, ia] - temp[LOWER, ib]) > 0.01)
    k = np.flatnonzero(ex)
    if k.size:
        shut = doorway[k] & ~open_[k]
        width = np.where(shut, net.leak_area[k] / (net.soffit[k] - net.sill[k]), net.width[k])
        _exchange(move, k, ia[k], ib[k], target=flow[k], net=net, width=width, z=z, temp=temp, rho=rho)
    # every other opening: the net flow, drawn from the layers the opening spans upwind
    k = np.flatnonzero(~ex & (np.abs(flow) > QUIET_FLOW))
    up = flow[k] >= 0
    src = np.where(up, net.a[k], far[k])
    dst = np.where(up, far[k], net.a[k])
    q = np.abs(flow[k])
    span = np.maximum(net.soffit[k] - net.sill[k], 1e-9)
    fu = np.clip((net.soffit[k] - np.maximum(z[src], net.sill[k])) / span, 0.0, 1.0)
    # a shaft: upward flow leaves the lower space at its ceiling, downward flow the upper one at its floor
    shaft = net.kind[k] == OpeningKind.SHAFT
    depth = net.height[np.minimum(src, n - 1)] - z[src]
    from_top = np.where(up, np.clip(depth / SKIM, 0.0, 1.0), 1.0 - np.clip(z[src] / SKIM, 0.0, 1.0))
    fu = np.where(shaft, from_top, fu)
    fu = np.where(src == out, 0.0, fu)
    _deposit(move, src, np.full(src.size, UPPER), dst, q * fu * rho[UPPER, src], temp=temp)
    move(src, np.full(src.size, LOWER), dst, np.full(src.size, LOWER), q * (1 - fu) * rho[LOWER, src])
    _shafts(move, net, temp, rho)
    return tr.arrays()


def _shafts(move: _Move, net: Network, temp: np.ndarray, rho: np.ndarray) -> None:
    """Buoyant exchange up stair wells and lift shafts (Cooper's horizontal-vent flow).

    Where the gas under the lower space's ceiling is lighter than the gas on the upper space's
    floor, they swap at equal volume ``0.055 sqrt(g drho D^5 / rho)`` (m^3/s, D the opening's
    equivalent diameter): warm smoke rises to the upper space, cool air sinks.
    """
    k = np.flatnonzero(net.kind == OpeningKind.SHAFT)
    if not k.size:
        return
    lo, hi = net.a[k], net.b[k]
    light, heavy = rho[UPPER, lo], rho[LOWER, hi]
    live = heavy > light * (1 + 1e-6)
    if not live.any():
        return
    k, lo, hi, light, heavy = k[live], lo[live], hi[live], light[live], heavy[live]
    diameter = np.sqrt(4 * net.leak_area[k] / np.pi)
    vol = COOPER * np.sqrt(GRAVITY * (heavy - light) * diameter ** 5 / (0.5 * (heavy + light)))
    _deposit(move, lo, np.full(k.size, UPPER), hi, vol * light, temp=temp)
    move(hi, np.full(k.size, LOWER), lo, np.full(k.size, LOWER), vol * heavy)


def _exchange(move: _Move, ex: np.ndarray, ia: np.ndarray, ib: np.ndarray, *, target: np.ndarray,
              net: Network, width: np.ndarray, z: np.ndarray, temp: np.ndarray, rho: np.ndarray) -> None:
    """Flows through openings ``ex`` (``width`` m wide) joining ``ia`` and ``ib``, net volume flow ``target``.

    Each opening is cut into :data:`SLABS` equal horizontal slabs, and cut again at both sides'
    interfaces where they cross it, so that no slab straddles a layer boundary (``SLABS + 2``
    slabs, some of them empty).  The hydrostatic pressure of each side at a slab's height follows
    from its two layers; a common offset (bisection) makes the slabs' volume flows add up to the
    network's net flow ``target`` (a -> b, m^3/s), and each slab then carries
    ``Cd w h sqrt(2 dp / rho)`` from the high-pressure side, drawn from the layer at that
    height: the neutral plane falls where it must.  For one hot layer against cold air the sum
    is Emmons' door spill, ``(2/3) Cd W rho_u sqrt(2 g dT / T) d^1.5``.

    Why the cuts at the interfaces: a layer can only send gas through the part of the opening
    it spans (CFAST bounds its slabs by the layer interfaces and the neutral planes for the
    same reason, ``get_slab_elevations``).  With equal slabs alone a slab took all its gas from
    the layer at its mid-height: a room whose smoke had come down to 0.16 m sent a whole
    0.21 m slab of its fresh floor air out of the door, three times what it held there, which
    kept a closed ward's corridor, and the fire room fed from it, at the lower oxygen limit and
    let the fire smoulder on (the CFAST comparison's case c).  Ten equal slabs and the two cuts
    follow four hundred within a few per cent.
    """
    sill, soffit = net.sill[ex][:, None], net.soffit[ex][:, None]
    cuts = sill + np.arange(SLABS + 1)[None] / SLABS * (soffit - sill)
    interfaces = np.clip(np.stack([z[ia], z[ib]], axis=1), sill, soffit)
    edges = np.sort(np.concatenate([cuts, interfaces], axis=1), axis=1)
    y = 0.5 * (edges[:, 1:] + edges[:, :-1])  # [k, SLABS + 2]
    h = np.diff(edges, axis=1)

    def head(node: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        zi = z[node][:, None]
        below = np.minimum(y, zi)
        p = -GRAVITY * (rho[LOWER, node][:, None] * below + rho[UPPER, node][:, None] * (y - below))
        layer = np.where(y > zi, UPPER, LOWER)
        return p, layer

    pa, la = head(ia)
    pb, lb = head(ib)
    dp0 = pa - pb
    na, nb = ia[:, None], ib[:, None]
    rho_ab = np.stack([rho[la, na], rho[lb, nb]])

    coef = CD * width[:, None] * h
    v = slab_flows(dp0, rho_ab, coef, np.ascontiguousarray(target, float))
    fwd = v > 0
    sn = np.where(fwd, na, nb)
    sl = np.where(fwd, la, lb)
    dn = np.where(fwd, nb, na)
    mass = np.abs(v) * rho[sl, sn]
    _deposit(move, sn.ravel(), sl.ravel(), dn.ravel(), mass.ravel(), temp=temp)
    slabs = PorehInputs(y=y, a=ia, b=ib, forward=fwd, src_layer=sl, mass=mass, sill=net.sill[ex],
                        soffit=net.soffit[ex], width=width)
    node, from_layer, to_layer, rate = spill_entrainment(slabs, z=z, temp=temp, outside=net.n)
    if node.size:
        move(node, from_layer, node, to_layer, rate)


def upper_share(t_in: np.ndarray, t_upper: np.ndarray, t_lower: np.ndarray) -> np.ndarray:
    """Share of an inflow at ``t_in`` (K) that joins the receiving space's upper layer.

    Gas joins the layer it matches in buoyancy: all of it the upper layer when at least
    :data:`DEPOSIT_DT` hotter than that layer, all of it the lower layer when at least as much
    colder than the lower one, and in between a smooth share by where its temperature lies
    between the two (as CFAST deposits a vent's slab flows).  Putting every inflow warmer than
    the lower layer on top instead let a fire room's vitiated, lukewarm return flow from a
    smoke-filled corridor pile into its upper layer, pull the interface below the plume's
    reach and starve the fire long before the ward ran short of oxygen.
    """
    hi = t_upper + DEPOSIT_DT
    lo = np.minimum(t_lower, t_upper) - DEPOSIT_DT
    x = np.clip((t_in - lo) / (hi - lo), 0.0, 1.0)
    return np.asarray(x * x * (3.0 - 2.0 * x))


def _deposit(move: _Move, sn: np.ndarray, sl: np.ndarray, dn: np.ndarray, mass: np.ndarray, *,
             temp: np.ndarray) -> None:
    """Move ``mass`` from layer ``sl`` of ``sn`` into ``dn``, split by :func:`upper_share`."""
    f = upper_share(temp[sl, sn], temp[UPPER, dn], temp[LOWER, dn])
    move(sn, sl, dn, np.full(sn.size, UPPER), mass * f)
    move(sn, sl, dn, np.full(sn.size, LOWER), mass * (1.0 - f))
