"""Pedestrian movement: the collision-free speed model, one array update per step.

The model is Tordeux, Chraibi & Seyfried's collision-free speed model
("Collision-free speed model for pedestrian dynamics", Traffic and Granular
Flow '15, 2016), first order in time:

* direction ``e_i = N[ e0_i + sum_j R(s_ij) n_ij + R_w(d_i) n_w ]`` with
  ``R(s) = a exp((l_ij - s) / D)``, ``n_ij`` the unit vector from ``j`` to
  ``i``, ``l_ij = r_i + r_j`` plus both agents' extra length (so walkers
  steer round a parked bed's length, which the gap below counts) and a wall
  term of the same form along the wall distance gradient ``n_w``;
* speed ``v_i = min(v0_i, max(0, g_i / T))`` where ``g_i`` is the smallest
  gap (centre distance minus ``l_ij`` and the agents' extra length, e.g. a
  bed's) to a neighbour ahead, i.e. within the body width of the line of
  motion, and ``T`` the time gap;
* position ``x_i <- x_i + v_i e_i dt``.

Because the speed never exceeds the gap divided by ``T`` and ``dt < T``,
agents cannot overlap head-on; walls are a hard constraint on the level
raster (:mod:`agents.navigation`): a move is kept only if every cell it passes
through is free for the agent's clearance, otherwise the agent slides along
the free axis or waits.  With ``dt = 0.05 s`` and speeds below 2 m/s a step
is at most 0.1 m, one cell, so no move can skip over a wall.

``T`` is calibrated (not JuPedSim's default, which passes 2.3-2.4 P/s through
a 1 m door) so that a 1 m exit passes about 1.3 P/s (IMO Test 4) and the
corridor speed-density relation falls in Weidmann's band (RiMEA Test 4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["SpeedModel", "constrained_move", "step_directions_speeds"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeedModel:
    """Parameters of the collision-free speed model.

    Attributes:
        dt: Time step (s). Must satisfy ``dt < time_gap`` and
            ``dt * max speed < cell size``.
        time_gap: ``T`` (s): how quickly speed follows the gap ahead.
        strength: ``a``, neighbour repulsion on the direction.
        range: ``D`` (m), neighbour repulsion range.
        wall_strength: Wall repulsion on the direction.
        wall_range: Wall repulsion range (m).
        cutoff: Neighbours farther than this (m) are ignored.
        noise: Standard deviation of a random perturbation of the direction
            (body sway); it breaks exactly symmetric standoffs, such as two
            people pressing into the two jambs of a door.
    """

    dt: float = 0.05
    time_gap: float = 0.8
    strength: float = 5.0
    range: float = 0.1
    wall_strength: float = 5.0
    wall_range: float = 0.05
    cutoff: float = 2.0
    noise: float = 0.1

    def __post_init__(self) -> None:
        if not 0 < self.dt < self.time_gap:
            raise ValueError(f"'dt' must be in (0, time_gap={self.time_gap}), got {self.dt}")
        for name in ("strength", "range", "wall_strength", "wall_range", "cutoff"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name!r} must be > 0, got {getattr(self, name)}")


def step_directions_speeds(
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
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Directions and speeds of all moving agents for one step.

    Args:
        model: Parameters.
        pos: Positions (n, 2).
        layer: Integer layer (level) of each agent; only agents on the same
            layer interact.
        radius: Body radius (n,).
        extra: Extra length ahead and behind (n,), e.g. a bed's half length
            beyond its half width.
        desired: Desired unit directions (n, 2) from navigation.
        v0: Desired (free) speeds (n,); 0 for agents that stand still.
        wall_dist: Distance of each agent to the nearest wall (n,).
        wall_normal: Unit vector away from the nearest wall (n, 2).
        group: Target of each agent (n,); with ``priority`` breaks mutual blocking.
        priority: Remaining distance to the target (n,). An agent does not
            yield to a neighbour of the same group that is farther from the
            target than itself, so two people who each stand "ahead" of the
            other at a door cannot block each other for ever.
        rng: Generator for the direction noise (no noise without it).

    Returns:
        ``(e, v)``: unit directions (n, 2) and speeds (n,).
    """
    n = pos.shape[0]
    e = desired.copy()
    gap = np.full(n, np.inf)
    pairs = np.zeros((0, 2), np.int64)
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
            # Steer round a bed's length as well as its width: the headway gap below counts it,
            # so repulsion from the width alone lets a walker close to a zero gap and stop for good.
            reach = lij + extra[i] + extra[j]
            rep = model.strength * np.exp(np.minimum((reach - s) / model.range, 30.0))
            np.add.at(e, i, rep[:, None] * nij)
    if rng is not None and model.noise > 0:
        e += rng.normal(0.0, model.noise, e.shape) * (np.abs(desired).sum(axis=1) > 0)[:, None]
    e = _wall_and_normalise(model, e, desired, radius=radius, wall_dist=wall_dist, wall_normal=wall_normal)
    if n > 1 and pairs.size:
        # Gap to neighbours ahead, along the new direction (Tordeux et al. 2016).
        ei = e[i]
        ahead = -(nij[:, 0] * ei[:, 0] + nij[:, 1] * ei[:, 1])
        side = np.abs(nij[:, 0] * ei[:, 1] - nij[:, 1] * ei[:, 0]) * s
        front = (ahead > 0) & (side < lij)
        if group is not None and priority is not None:
            behind = (group[i] == group[j]) & (priority[j] > priority[i] + 0.05)
            front &= ~behind
        g = s - lij - extra[i] - extra[j]
        np.minimum.at(gap, i[front], g[front])
    v = np.clip(gap / model.time_gap, 0.0, v0)
    return e, v


def _wall_and_normalise(model: SpeedModel, e: np.ndarray, desired: np.ndarray, *, radius: np.ndarray,
                        wall_dist: np.ndarray, wall_normal: np.ndarray) -> np.ndarray:
    wrep = model.wall_strength * np.exp(np.minimum((radius - wall_dist) / model.wall_range, 30.0))
    e = e + np.minimum(wrep, 50.0)[:, None] * wall_normal
    norm = np.hypot(e[:, 0], e[:, 1])
    return np.where(norm[:, None] > 1e-9, e / np.maximum(norm, 1e-9)[:, None], desired)


def constrained_move(pos: np.ndarray, disp: np.ndarray, free: np.ndarray, *, clearance: np.ndarray,
                     x0: float, y0: float, h: float, fallback: np.ndarray | None = None) -> np.ndarray:
    """New positions after ``disp``, never entering a cell closer to a wall than ``clearance``.

    A move is accepted if the end cell and, for a diagonal move, both cells
    beside it are free; otherwise the agent slides along x or y, then tries
    ``fallback`` (e.g. the plain navigation direction, when neighbours push
    it into a door jamb) and its slides, or stays.
    Displacements must be shorter than one cell ``h``.

    Args:
        pos: Positions (n, 2) on one level.
        disp: Intended displacements (n, 2).
        free: Wall-distance raster of the level (lower bound, m).
        clearance: Required wall distance per agent (n,).
        x0, y0, h: Raster origin and cell size.

    Returns:
        The accepted positions (n, 2).
    """
    ny, nx = free.shape

    def cell(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        j = np.clip(((p[:, 0] - x0) / h).astype(np.int64), 0, nx - 1)
        i = np.clip(((p[:, 1] - y0) / h).astype(np.int64), 0, ny - 1)
        return i, j

    i0, j0 = cell(pos)

    def ok(p: np.ndarray) -> np.ndarray:
        i1, j1 = cell(p)
        good = free[i1, j1] >= clearance
        diag = (i1 != i0) & (j1 != j0)
        good &= ~diag | ((free[i0, j1] >= clearance) & (free[i1, j0] >= clearance))
        return good

    out = pos.copy()
    full = pos + disp
    g = ok(full)
    out[g] = full[g]
    rest = ~g
    if rest.any():
        px = pos.copy()
        px[:, 0] += disp[:, 0]
        gx = rest & (np.abs(disp[:, 0]) > 1e-3) & ok(px)
        out[gx] = px[gx]
        rest &= ~gx
        py = pos.copy()
        py[:, 1] += disp[:, 1]
        gy = rest & (np.abs(disp[:, 1]) > 1e-3) & ok(py)
        out[gy] = py[gy]
        rest &= ~gy
    if fallback is not None and rest.any():
        sub = np.flatnonzero(rest)
        out[sub] = constrained_move(pos[sub], fallback[sub], free, clearance=clearance[sub],
                                    x0=x0, y0=y0, h=h)
    return out
