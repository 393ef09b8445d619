"""The collision-free speed model step written as numpy pair arrays: the reference for the kernel.

:func:`reference_step` applies the same rules as
:func:`tests.agents.movement.csm_calls.step_directions_speeds` (documented there) pair by pair with
``np.add.at``, in the readable form the rules were first written in. ``test_csm_kernel.py`` checks
the compiled kernel against it on random crowds; it is not used by the model.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from agents.movement.pedestrians import SpeedModel


def reference_step(
    model: SpeedModel,
    *,
    pos: np.ndarray,
    layer: np.ndarray,
    radius: np.ndarray,
    extra: np.ndarray,
    desired: np.ndarray,
    v0: np.ndarray,
    wall_dist: np.ndarray,
    wall_normal: np.ndarray,
    group: np.ndarray | None = None,
    priority: np.ndarray | None = None,
    noise: np.ndarray | None = None,
    orient: np.ndarray | None = None,
    yielder: np.ndarray | None = None,
    unit: np.ndarray | None = None,
    flip: np.ndarray | None = None,
    merger: np.ndarray | None = None,
    join_group: np.ndarray | None = None,
    join_priority: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Same inputs as the model's step, with the direction noise given as an array."""
    n = pos.shape[0]
    e = desired.copy()
    fallback = desired.copy()
    v0 = v0.copy()
    gap = np.full(n, np.inf)
    pairs = np.zeros((0, 2), np.int64)
    yielding = np.zeros(n, bool)
    if n > 1:
        shifted = pos + np.column_stack([layer * 1.0e5, np.zeros(n)])
        pairs = cKDTree(shifted).query_pairs(model.cutoff, output_type="ndarray")
        if pairs.size:
            i = np.concatenate([pairs[:, 0], pairs[:, 1]])
            j = np.concatenate([pairs[:, 1], pairs[:, 0]])
            d = pos[i] - pos[j]  # from j to i
            s = np.hypot(d[:, 0], d[:, 1])
            s = np.maximum(s, 1e-9)
            nij = d / s[:, None]
            lij = radius[i] + radius[j]
            if orient is None:
                ext = extra[i] + extra[j]
            else:
                ext = (extra[i] * np.abs(nij[:, 0] * orient[i, 0] + nij[:, 1] * orient[i, 1])
                       + extra[j] * np.abs(nij[:, 0] * orient[j, 0] + nij[:, 1] * orient[j, 1]))
            # Steer round a bed's length as well as its width: the headway gap below counts it,
            # so repulsion from the width alone lets a walker close to a zero gap and stop for good.
            reach = lij + ext
            rep = model.strength * np.exp(np.minimum((reach - s) / model.range, 30.0))
            merging = None if group is None else group[i] == group[j]
            later = np.zeros(i.size, bool)
            joined_later = np.zeros(i.size, bool)
            if merging is not None and priority is not None:
                # j queues behind i for the same portal (ties to the lower index). In the last metre
                # before the portal it does not push i aside, or two people squeezing into a narrow
                # door push each other into its jambs.
                later = merging & ((priority[j] > priority[i] + 0.05)
                                   | ((np.abs(priority[j] - priority[i]) <= 0.05) & (j > i)))
                rep = np.where(later & (priority[i] < model.mouth), 0.0, rep)
                if join_group is not None and join_priority is not None:
                    # Across a door: someone about to join the queue beyond it is not pushed back
                    # by those behind them in it, and neither holds up the one behind.
                    ahead_of_j = (join_group[i] >= 0) & (join_group[i] == group[j]) \
                        & (priority[j] > join_priority[i] + 0.05)
                    behind_i = (join_group[j] >= 0) & (join_group[j] == group[i]) \
                        & (join_priority[j] > priority[i] + 0.05)
                    rep = np.where(ahead_of_j, 0.0, rep)
                    joined_later = ahead_of_j | behind_i
            if unit is not None and yielder is not None and orient is not None:
                # A moving unit is not steered by people standing behind it.
                behind = (np.abs(desired[j]).sum(axis=1) == 0) & ((nij * desired[i]).sum(axis=1) > 0)
                rep = np.where(unit[i] & behind, 0.0, rep)
            np.add.at(e, i, rep[:, None] * nij)
            _sidestep(model, e, i=i, j=j, nij=nij, s=s, reach=reach, lij=lij, desired=desired,
                      wall=wall_dist - radius, wall_normal=wall_normal, flip=flip, merging=merging)
            if yielder is not None and unit is not None and orient is not None:
                yielding = _give_way(model, e, fallback=fallback, v0=v0, i=i, j=j, d=d, radius=radius,
                                     extra=extra, desired=desired, orient=orient, yielder=yielder, unit=unit)
    if noise is not None:
        e += noise * (np.abs(desired).sum(axis=1) > 0)[:, None]
    e = _wall_and_normalise(model, e, desired, radius=radius, wall_dist=wall_dist, wall_normal=wall_normal)
    if n > 1 and pairs.size:
        # Gap to neighbours ahead, along the new direction (Tordeux et al. 2016).
        ei = e[i]
        ahead = -(nij[:, 0] * ei[:, 0] + nij[:, 1] * ei[:, 1])
        side = np.abs(nij[:, 0] * ei[:, 1] - nij[:, 1] * ei[:, 0]) * s
        front = (ahead > 0) & (side < lij)
        if group is not None and priority is not None:
            # Ties (two abreast at a door) go to the lower index, or both would wait for ever.
            forward = ei[:, 0] * desired[i, 0] + ei[:, 1] * desired[i, 1] > 0
            behind = (later | joined_later) & ~yielding[i] & forward
            front &= ~behind
        g = s - lij - ext
        np.minimum.at(gap, i[front], g[front])
        if merger is not None and priority is not None:
            _merge_gaps(gap, e, i=i, j=j, pos=pos, radius=radius, extra=extra, desired=desired,
                        priority=priority, group=group, merger=merger)
    v = np.clip(gap / model.time_gap, 0.0, v0)
    return e, v, fallback


def _merge_gaps(gap: np.ndarray, e: np.ndarray, *, i: np.ndarray, j: np.ndarray, pos: np.ndarray,
                radius: np.ndarray, extra: np.ndarray, desired: np.ndarray, priority: np.ndarray,
                group: np.ndarray | None, merger: np.ndarray) -> None:
    """Headway of each walker to the spots its neighbours ``j`` who are mergers claim in front of
    their side doors, the spot ``priority + radius + extra`` ahead of them, ``radius + extra``
    wide for a unit (pairs ``i``, ``j``)."""
    moving = np.abs(desired[i]).sum(axis=1) > 0
    keep = merger[j] & moving & (np.ones(i.size, bool) if group is None else group[i] != group[j])
    i, j = i[keep], j[keep]
    spot = pos[j] + desired[j] * (priority[j] + radius[j] + extra[j])[:, None]
    d = pos[i] - spot
    s = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)
    nij = d / s[:, None]
    lij = radius[i] + radius[j] + extra[j]
    ahead = -(nij[:, 0] * e[i, 0] + nij[:, 1] * e[i, 1])
    side = np.abs(nij[:, 0] * e[i, 1] - nij[:, 1] * e[i, 0]) * s
    front = (s >= lij) & (ahead > 0) & (side < lij)
    np.minimum.at(gap, i[front], (s - lij)[front])


def _sidestep(model: SpeedModel, e: np.ndarray, *, i: np.ndarray, j: np.ndarray, nij: np.ndarray,
              s: np.ndarray, reach: np.ndarray, lij: np.ndarray, desired: np.ndarray, wall: np.ndarray,
              wall_normal: np.ndarray, flip: np.ndarray | None = None,
              merging: np.ndarray | None = None) -> None:
    """Pass oncoming people on the right and standing people on their free side.

    The isotropic repulsion of the speed model has no sideways part when two
    people meet exactly head on, so in a doorway they stop nose to nose for
    ever (a known counter-flow jam of first-order models).  People keep to
    one side instead: each adds a term across its own desired direction,
    to its right for someone walking the other way, away from the side of
    someone standing unless a wall is within ``model.sidestep_range`` on that
    side (then round the other side, e.g. past a bed parked along a corridor
    wall).  ``wall`` is each agent's clearance to the nearest wall.  Adds to
    ``e`` in place.
    """
    di, dj = desired[i], desired[j]
    moving_i = np.abs(di).sum(axis=1) > 0
    standing_j = np.abs(dj).sum(axis=1) == 0
    along = -(nij[:, 0] * di[:, 0] + nij[:, 1] * di[:, 1])  # > 0: j is ahead of i
    cross = nij[:, 0] * di[:, 1] - nij[:, 1] * di[:, 0]  # > 0: j is on i's left (i - j rotated)
    oncoming = (di[:, 0] * dj[:, 0] + di[:, 1] * dj[:, 1]) < -0.3
    if merging is not None:
        oncoming &= ~merging  # two people converging on the same door from either side are not counter-flow
    hit = moving_i & (oncoming | standing_j) & (along > 0) & (np.abs(cross) * s < lij + 0.3)
    if not hit.any():
        return
    ih = i[hit]
    side = np.where(oncoming[hit] | (cross[hit] == 0), 1.0, np.sign(cross[hit]))
    right = np.column_stack([di[hit, 1], -di[hit, 0]]) * side[:, None]
    into_wall = (right[:, 0] * wall_normal[ih, 0] + right[:, 1] * wall_normal[ih, 1] < -0.3) & (
        wall[ih] < model.sidestep_range) & ~oncoming[hit]
    right[into_wall] *= -1.0
    if flip is not None:
        right[flip[ih]] *= -1.0
    grow = (reach[hit] + model.sidestep_range - s[hit]) / model.sidestep_range
    w = model.sidestep * np.exp(np.minimum(grow, 30.0))
    np.add.at(e, ih, w[:, None] * right)


def _give_way(model: SpeedModel, e: np.ndarray, *, fallback: np.ndarray, v0: np.ndarray, i: np.ndarray,
              j: np.ndarray, d: np.ndarray, radius: np.ndarray, extra: np.ndarray,
              desired: np.ndarray, orient: np.ndarray, yielder: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Walkers in a moving unit's path, and people standing in anyone's way, step aside; returns who does.

    Overwrites ``e`` (before the wall term) and ``fallback`` and raises ``v0``
    of the yielders in place.
    """
    moving_j = np.abs(desired[j]).sum(axis=1) > 0
    oj = np.where(unit[j][:, None], orient[j], desired[j])
    along = d[:, 0] * oj[:, 0] + d[:, 1] * oj[:, 1]
    lat = oj[:, 0] * d[:, 1] - oj[:, 1] * d[:, 0]
    same_way = desired[i, 0] * oj[:, 0] + desired[i, 1] * oj[:, 1] > 0.5
    standing_i = np.abs(desired[i]).sum(axis=1) == 0
    look = np.where(unit[j], model.yield_lookahead, model.step_aside)
    hit = (yielder[i] & (unit[j] | (standing_i & moving_j)) & ~same_way & (along > -radius[j])
           & (along < radius[j] + extra[j] + radius[i] + look)
           & (np.abs(lat) < radius[i] + radius[j] + 0.3))
    if not hit.any():
        return np.zeros(e.shape[0], bool)
    side = np.where(lat[hit] >= 0, 1.0, -1.0)
    away = np.column_stack([-oj[hit, 1] * side, oj[hit, 0] * side]) + 0.5 * oj[hit]
    acc = np.zeros_like(e)
    back = np.zeros_like(e)
    np.add.at(acc, i[hit], away)
    np.add.at(back, i[hit], oj[hit])
    who = np.zeros(e.shape[0], bool)
    who[i[hit]] = True
    e[who] = acc[who]
    nb = np.hypot(back[who, 0], back[who, 1])
    fallback[who] = back[who] / np.maximum(nb, 1e-9)[:, None]
    v0[who] = np.maximum(v0[who], model.yield_speed)
    return who


def _wall_and_normalise(model: SpeedModel, e: np.ndarray, desired: np.ndarray, *, radius: np.ndarray,
                        wall_dist: np.ndarray, wall_normal: np.ndarray) -> np.ndarray:
    wrep = model.wall_strength * np.exp(np.minimum((radius - wall_dist) / model.wall_range, 30.0))
    e = e + np.minimum(wrep, 50.0)[:, None] * wall_normal
    norm = np.hypot(e[:, 0], e[:, 1])
    return np.where(norm[:, None] > 1e-9, e / np.maximum(norm, 1e-9)[:, None], desired)


def reference_room(room: np.ndarray, slope: np.ndarray, p: np.ndarray, *, x0: float, y0: float,
                   h: float, above: bool = False) -> np.ndarray:
    """Room at points ``p`` (n, 2): the least of the tangent planes at the four cell centres around
    each, or with ``above`` the distance to the nearest of the wall points nearest them (a cell's
    tangent plane where it has no gradient or a negative room)."""
    ny, nx = room.shape
    j = np.floor((p[:, 0] - x0) / h - 0.5).astype(np.int64)
    i = np.floor((p[:, 1] - y0) / h - 0.5).astype(np.int64)
    least = np.full(p.shape[0], np.inf)
    for di in (0, 1):
        ii = np.clip(i + di, 0, ny - 1)
        for dj in (0, 1):
            jj = np.clip(j + dj, 0, nx - 1)
            cx = x0 + (jj + 0.5) * h
            cy = y0 + (ii + 0.5) * h
            r, sx, sy = room[ii, jj], slope[ii, jj, 0], slope[ii, jj, 1]
            plane = r + sx * (p[:, 0] - cx) + sy * (p[:, 1] - cy)
            if above:
                point = np.hypot(p[:, 0] - (cx - r * sx), p[:, 1] - (cy - r * sy))
                plane = np.where((r >= 0) & ((sx != 0) | (sy != 0)), point, plane)
            least = np.minimum(least, plane)
    return least


def reference_footprint_room(room: np.ndarray, slope: np.ndarray, gate: np.ndarray, p: np.ndarray, *,
                             x0: float, y0: float, h: float) -> np.ndarray:
    """Room for footprints centred at ``p``: the room from above (from below where their cell
    has a gate), and no more than that gate."""
    ny, nx = room.shape
    j = np.clip(((p[:, 0] - x0) / h).astype(np.int64), 0, nx - 1)
    i = np.clip(((p[:, 1] - y0) / h).astype(np.int64), 0, ny - 1)
    g = gate[i, j]
    above = reference_room(room, slope, p, x0=x0, y0=y0, h=h, above=True)
    return np.minimum(np.where(g < np.inf, reference_room(room, slope, p, x0=x0, y0=y0, h=h), above), g)


def reference_move(pos: np.ndarray, disp: np.ndarray, free: np.ndarray, slope: np.ndarray, *,
                   clearance: np.ndarray, x0: float, y0: float, h: float, fallback: np.ndarray | None = None,
                   gate: np.ndarray | None = None) -> np.ndarray:
    """The rules of :func:`tests.agents.movement.csm_calls.constrained_move`, as numpy masks."""
    gate = np.full(free.shape, np.inf) if gate is None else gate

    def room_of(p: np.ndarray) -> np.ndarray:
        return reference_footprint_room(free, slope, gate, p, x0=x0, y0=y0, h=h)

    need = np.minimum(clearance, room_of(pos))
    out = pos.copy()
    rest = np.ones(pos.shape[0], bool)
    for d in [disp] if fallback is None else [disp, fallback]:
        for part, big in ((d, np.ones(pos.shape[0], bool)), (d * [1.0, 0.0], np.abs(d[:, 0]) > 1e-3),
                          (d * [0.0, 1.0], np.abs(d[:, 1]) > 1e-3)):
            p = pos + part
            ok = rest & big & (room_of(p) >= need)
            out[ok] = p[ok]
            rest &= ~ok
    return out
