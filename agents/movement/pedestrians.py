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
raster (:mod:`agents.movement.navigation`): a move is kept only if every cell it passes
through is free for the agent's clearance, otherwise the agent slides along
the free axis or waits.  With ``dt = 0.05 s`` and speeds below 2 m/s a step
is at most 0.1 m, one cell, so no move can skip over a wall.

The step for all agents is one compiled call (:func:`agents.movement.csm_kernel.csm_step`,
numba), inside the evacuation model's compiled movement step
(:func:`agents.movement.motion_kernel.plane_step`): a cell list finds the
neighbours within ``cutoff`` and each agent sums over its own, which keeps a
2,000-person room to about a millisecond a step.  This module holds the
model's parameters (:class:`SpeedModel`); ``tests/agents/movement/csm_calls.py`` calls
the kernel with keyword arguments, for the tests of its rules.

``T`` is calibrated (not JuPedSim's default, which passes 2.3-2.4 P/s through
a 1 m door) so that a 1 m exit passes about 1.3 P/s (IMO Test 4) and the
corridor speed-density relation falls in Weidmann's band (RiMEA Test 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["SpeedModel"]


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
        mouth: Distance (m) from a portal within which people are not pushed
            aside by those queueing behind for it.
        sidestep: Weight of the sidestep round someone ahead who comes the
            other way or stands still, at ``sidestep_range`` before contact
            (it grows as ``exp`` of the closing distance over that range).
        sidestep_range: Distance (m) over which the sidestep builds up.
        yield_speed: Speed (m/s) at which a walker steps out of the way of a
            bed or wheelchair, even from standing.
        step_aside: How far (m) ahead of a walker's front someone standing
            still steps aside.
        yield_lookahead: How far (m) ahead of a unit's front a walker starts
            to give way.

    The last six are the hospital additions to the model (``docs/evacuation.md``,
    each removing a standoff the isotropic model cannot resolve); they are
    assumptions checked by the drills, not measured values.
    """

    dt: float = 0.05
    time_gap: float = 0.8
    strength: float = 5.0
    range: float = 0.1
    wall_strength: float = 5.0
    wall_range: float = 0.05
    cutoff: float = 2.0
    noise: float = 0.1
    mouth: float = 1.0
    sidestep: float = 0.5
    sidestep_range: float = 0.5
    yield_speed: float = 0.6
    step_aside: float = 0.6
    yield_lookahead: float = 1.5

    def __post_init__(self) -> None:
        if not 0 < self.dt < self.time_gap:
            raise ValueError(f"'dt' must be in (0, time_gap={self.time_gap}), got {self.dt}")
        for name in ("strength", "range", "wall_strength", "wall_range", "cutoff", "sidestep_range"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name!r} must be > 0, got {getattr(self, name)}")
        for name in ("mouth", "sidestep", "yield_speed", "step_aside", "yield_lookahead", "noise"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name!r} must be >= 0, got {value}")

    def kernel(self) -> np.ndarray:
        """The numbers :func:`agents.movement.csm_kernel.csm_step` reads, in its order: strength, range,
        wall strength, wall range, cutoff, time gap, mouth, sidestep, sidestep range, yield
        speed, step aside, yield lookahead."""
        return np.array([self.strength, self.range, self.wall_strength, self.wall_range, self.cutoff,
                         self.time_gap, self.mouth, self.sidestep, self.sidestep_range, self.yield_speed,
                         self.step_aside, self.yield_lookahead])
