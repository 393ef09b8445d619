"""Keyword-argument calls of the compiled crowd step and wall move, for the tests of their rules.

The model calls :func:`agents.movement.csm_kernel.csm_step` and
:func:`agents.movement.csm_kernel.wall_move_one` from its compiled movement step; the tests call
them one crowd at a time through these.
"""

from __future__ import annotations

import numpy as np

from agents.movement.csm_kernel import csm_step, wall_move
from agents.movement.pedestrians import SpeedModel

__all__ = ["constrained_move", "step_directions_speeds"]


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
    merger: np.ndarray | None = None,
    join_group: np.ndarray | None = None,
    join_priority: np.ndarray | None = None,
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
            forwards along it, at least at
            :attr:`~agents.movement.pedestrians.SpeedModel.yield_speed`.  Without it a
            nurse standing in a doorway and a bed leaving through it wait for
            each other for ever.  A yielder who stands still (zero ``desired``,
            e.g. waiting at a bedside) gives way in the same manner to anyone
            walking at it, within :attr:`~agents.movement.pedestrians.SpeedModel.step_aside` of their front.
        flip: Agents (n,) who try the other side when going round someone
            (after being stuck for a while: people who get nowhere on one
            side of a parked bed try the other).
        merger: Agents (n,) in a side door waiting to step into a passing stream: each claims
            the spot ``priority`` plus its radius ahead along its ``desired`` direction, and
            anyone of another group walking towards that spot, not yet on it, keeps their
            headway to it (needs ``priority``).
        join_group: Per agent, the queue (a ``group``) it is about to join beyond its door, ``-1``
            for none; ranked there at ``join_priority`` (needs ``group`` and ``priority``).
        join_priority: Remaining distance of each agent in the queue it joins.

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
                      yielder is not None and unit is not None, flip is not None,
                      merger is not None and priority is not None])
    params = model.kernel()
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
                    none_b if flip is None else np.asarray(flip, dtype=np.bool_),
                    none_b if merger is None else np.asarray(merger, dtype=np.bool_),
                    np.full(n, -1, np.int64) if join_group is None
                    else np.asarray(join_group, dtype=np.int64),
                    np.zeros(n) if join_priority is None else np.asarray(join_priority, dtype=np.float64),
                    params, flags)


def constrained_move(pos: np.ndarray, disp: np.ndarray, free: np.ndarray, slope: np.ndarray, *,
                     clearance: np.ndarray, x0: float, y0: float, h: float,
                     fallback: np.ndarray | None = None, gate: np.ndarray | None = None) -> np.ndarray:
    """New positions after ``disp``, everyone kept ``clearance`` clear of walls.

    A move is kept where the room (:func:`agents.movement.csm_kernel.footprint_room`) is at least
    the agent's clearance, or no less than it has now; the whole move is tried, then its x and
    y parts, then ``fallback`` (e.g. the plain navigation direction, when neighbours push it into
    a door jamb) and its parts; else it stays.  Displacements must be shorter than one cell ``h``.

    Args:
        pos: Positions (n, 2) on one level.
        disp: Intended displacements (n, 2).
        free: Room raster of the level (:attr:`agents.movement.navigation.LevelGrid.wall`).
        slope: Its gradient (:attr:`agents.movement.navigation.LevelGrid.slope`).
        clearance: Half width per agent (n,).
        x0, y0, h: Raster origin and cell size.
        fallback: Second displacement to try (n, 2); none by default.
        gate: Opening gates (:attr:`agents.movement.navigation.LevelGrid.gate`); none by default.

    Returns:
        The accepted positions (n, 2).
    """
    p = np.ascontiguousarray(pos, dtype=np.float64)
    fb = np.zeros_like(p) if fallback is None else np.ascontiguousarray(fallback, dtype=np.float64)
    gt = np.full(free.shape, np.inf) if gate is None else np.asarray(gate, dtype=np.float64)
    return wall_move(p, np.ascontiguousarray(disp, dtype=np.float64), np.asarray(free, dtype=np.float64),
                     np.ascontiguousarray(slope, dtype=np.float64), gt,
                     np.asarray(clearance, dtype=np.float64), float(x0), float(y0), float(h), fb,
                     fallback is not None)
