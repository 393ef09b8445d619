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

The step for all agents is one compiled call (:mod:`agents.csm_kernel`,
numba): a cell list finds the neighbours within ``cutoff`` and each agent
sums over its own, which keeps a 2,000-person room to about a millisecond a
step.

``T`` is calibrated (not JuPedSim's default, which passes 2.3-2.4 P/s through
a 1 m door) so that a 1 m exit passes about 1.3 P/s (IMO Test 4) and the
corridor speed-density relation falls in Weidmann's band (RiMEA Test 4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.csm_kernel import YIELD_SPEED, csm_step, wall_move

__all__ = ["YIELD_SPEED", "SpeedModel", "constrained_move", "step_directions_speeds"]


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
    orient: np.ndarray | None = None,
    yielder: np.ndarray | None = None,
    unit: np.ndarray | None = None,
    flip: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
        priority: Remaining distance to the target (n,). An agent is neither
            pushed aside by, nor yields to, a neighbour of the same group that is farther from the
            target than itself (on a tie within 5 cm, the lower index goes
            first), so two people who each stand "ahead" of the other at a door
            cannot block each other for ever.
        rng: Generator for the direction noise (no noise without it).
        orient: Unit vector of each agent's long axis (n, 2). ``extra`` counts
            only along it: a bed is long ahead and behind, not beside, so two
            beds pass side by side in a corridor. ``None``: in every direction.
        yielder: Agents free to step aside (n,): walkers, moving or standing.
        unit: Moving escorted units (n,) (beds, wheelchairs) that walkers give
            way to: a yielder in a unit's path (ahead of it within 1.5 m of its
            front, laterally within both half widths plus 0.3 m) and not already
            walking the same way steps sideways, away from the unit's axis, and
            forwards along it, at least at :data:`YIELD_SPEED`.  Without it a
            nurse standing in a doorway and a bed leaving through it wait for
            each other for ever.  A yielder who stands still (zero ``desired``,
            e.g. waiting at a bedside) gives way in the same manner to anyone
            walking at it, within :data:`STEP_ASIDE` of their front.
        flip: Agents (n,) who try the other side when going round someone
            (after being stuck for a while: people who get nowhere on one
            side of a parked bed try the other).

    Returns:
        ``(e, v, fallback)``: unit directions (n, 2), speeds (n,) and the
        direction to try when ``e`` is blocked by a wall (``desired``, or for a
        yielder the way the unit is heading).
    """
    n = pos.shape[0]
    noise = np.zeros((n, 2))
    if rng is not None and model.noise > 0:
        noise = rng.normal(0.0, model.noise, (n, 2))
    none_b = np.zeros(n, bool)
    flags = np.array([group is not None and priority is not None, orient is not None,
                      yielder is not None and unit is not None, flip is not None])
    params = np.array([model.strength, model.range, model.wall_strength, model.wall_range, model.cutoff,
                       model.time_gap])
    return csm_step(np.ascontiguousarray(pos, dtype=np.float64), np.asarray(layer, dtype=np.int64),
                    np.asarray(radius, dtype=np.float64), np.asarray(extra, dtype=np.float64),
                    np.ascontiguousarray(desired, dtype=np.float64), np.asarray(v0, dtype=np.float64),
                    np.asarray(wall_dist, dtype=np.float64),
                    np.ascontiguousarray(wall_normal, dtype=np.float64),
                    np.zeros(n, np.int64) if group is None else np.asarray(group, dtype=np.int64),
                    np.zeros(n) if priority is None else np.asarray(priority, dtype=np.float64), noise,
                    np.zeros((n, 2)) if orient is None else np.ascontiguousarray(orient, dtype=np.float64),
                    none_b if yielder is None else np.asarray(yielder, dtype=np.bool_),
                    none_b if unit is None else np.asarray(unit, dtype=np.bool_),
                    none_b if flip is None else np.asarray(flip, dtype=np.bool_), params, flags)


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
    p = np.ascontiguousarray(pos, dtype=np.float64)
    fb = np.zeros_like(p) if fallback is None else np.ascontiguousarray(fallback, dtype=np.float64)
    return wall_move(p, np.ascontiguousarray(disp, dtype=np.float64), free,
                     np.asarray(clearance, dtype=np.float64), float(x0), float(y0), float(h), fb,
                     fallback is not None)
