"""Who takes part in each part of an evacuation step, picked in one compiled pass each.

The step's parts (:mod:`scenarios.evacuation.portals`' doorway turns, standoffs, passages and
deadlock flags, :mod:`scenarios.evacuation.assistance`'s free staff and lift marshal) each pick
their people from the whole crowd every 0.05 s, mostly finding few or none.  Written as chains
of whole-array numpy operations, a few microseconds apiece on the day drill's 1,508 rows, they
took a good part of the drill's time; each function here is one such chain as one loop, and
``tests/agents/movement/test_selections.py`` checks each against its array expression.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from agents.movement.states import State

__all__ = ["any_active", "any_crossing", "backing_off", "door_walkers", "doors_quiet", "free_staff_rows",
           "held_up_staff", "in_state", "leaving_rooms", "lift_units", "mark_backing", "on_task", "prepared",
           "pushed", "set_off_now", "stalled_walkers", "stuck_walkers"]

_MOVE = int(State.MOVE)
_HOLD = int(State.HOLD)
_PRE = int(State.PRE)
_PREP = int(State.PREP)
_OUT = int(State.OUT)
_DOWN = int(State.INCAPACITATED)


@njit(cache=True)
def door_walkers(state: np.ndarray, fid: np.ndarray, opt_door: np.ndarray, dist: np.ndarray,
                 approach: float) -> np.ndarray:
    """Indices of everyone walking (``MOVE``, on a field) to a door within ``approach`` m of it."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if state[k] == _MOVE and fid[k] >= 0 and opt_door[k] >= 0 and dist[k] < approach:
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True)
def leaving_rooms(state: np.ndarray, opt_door: np.ndarray, goal: np.ndarray, dist: np.ndarray,  # noqa: PLR0917
                  reach: float, evac: np.ndarray, corridor: np.ndarray, space: np.ndarray) -> np.ndarray:
    """Indices of everyone walking (``MOVE``) to a door of a room (not a corridor) within ``reach``
    m of it, towards safety (``evac`` of their goal)."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if (state[k] == _MOVE and opt_door[k] >= 0 and goal[k] >= 0 and dist[k] < reach and evac[goal[k]]
                and not corridor[space[k]]):
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True)
def held_up_staff(state: np.ndarray, need: np.ndarray, fid: np.ndarray, hold: np.ndarray,  # noqa: PLR0917
                  staff: np.ndarray, task: np.ndarray, last_prog: np.ndarray, squeezed: np.ndarray,
                  through: np.ndarray, space: np.ndarray, t: float, held_up: float,
                  every: float, go: int) -> np.ndarray:
    """Indices of staff on a task walking (``MOVE``, on a field, doorway code ``go``) in a space
    people pass through (``through`` of their space: a corridor, a stair landing), with no
    progress for over ``held_up`` s and no change of places for ``every`` s."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if (staff[k] and task[k] >= 0 and state[k] == _MOVE and need[k] == 0 and fid[k] >= 0
                and hold[k] == go and t - last_prog[k] > held_up and t - squeezed[k] >= every
                and through[space[k]]):
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True)
def stalled_walkers(state: np.ndarray, fid: np.ndarray, last_prog: np.ndarray,  # noqa: PLR0917
                    backing_until: np.ndarray, t: float, after: float) -> np.ndarray:
    """Indices of everyone walking (``MOVE``, on a field) with no progress for over ``after`` s at
    time ``t`` and not backing off."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if state[k] == _MOVE and fid[k] >= 0 and t - last_prog[k] > after and backing_until[k] <= t:
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True)
def mark_backing(state: np.ndarray, fid: np.ndarray, backing_until: np.ndarray, t: float,  # noqa: PLR0917
                 hold: np.ndarray, code: int) -> None:
    """Set ``hold`` to ``code`` for everyone walking (``MOVE``, on a field) still backing off at ``t``."""
    for k in range(state.size):
        if state[k] == _MOVE and fid[k] >= 0 and backing_until[k] > t:
            hold[k] = code


@njit(cache=True)
def stuck_walkers(state: np.ndarray, last_prog: np.ndarray, dead: np.ndarray,  # noqa: PLR0917
                  stranded: np.ndarray, called: np.ndarray, t: float, window: float) -> np.ndarray:
    """Indices of everyone walking (``MOVE``) with no progress for over ``window`` s at time ``t``,
    not yet flagged, not stranded and not waiting for a lift they called."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if (state[k] == _MOVE and t - last_prog[k] > window and not dead[k] and not stranded[k]
                and not called[k]):
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True)
def free_staff_rows(staff: np.ndarray, task: np.ndarray, state: np.ndarray, goal: np.ndarray,
                    evac: np.ndarray) -> np.ndarray:
    """Indices of staff with no task who wait for one (``HOLD``) or walk (``MOVE``) to a goal
    that leads to safety (``evac`` per goal index)."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if staff[k] and task[k] < 0 and (state[k] == _HOLD or (state[k] == _MOVE and goal[k] >= 0
                                                              and evac[goal[k]])):
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True)
def lift_units(need: np.ndarray, stair_f: np.ndarray, lvl: np.ndarray, state: np.ndarray, level: int) -> int:
    """How many people moved by staff (``need`` > 0) who cannot take stairs (``stair_f`` NaN) walk
    (``MOVE``) on ``level``."""
    count = 0
    for k in range(state.size):
        if need[k] > 0 and math.isnan(stair_f[k]) and lvl[k] == level and state[k] == _MOVE:
            count += 1
    return count


@njit(cache=True)
def any_crossing(state: np.ndarray, space: np.ndarray, on: np.ndarray, cell_space: np.ndarray,
                 cell_exit: np.ndarray) -> bool:
    """Whether anyone of ``on`` (with the space and exit index of the cell each ended in, as
    :func:`plane_step` writes them) passed a door or an exit this step: someone walking
    (``MOVE``) on an exit apron or in a space not theirs, or someone standing (not yet set off,
    ``PRE``, or holding in place, ``HOLD``) pushed into a space not theirs.  Most steps nobody does."""
    for a in range(on.size):
        k = on[a]
        other = cell_space[a] >= 0 and cell_space[a] != space[k]
        if (state[k] == _MOVE and (cell_exit[a] >= 0 or other)) or ((state[k] == _PRE or state[k] == _HOLD)
                                                                    and other):
            return True
    return False


@njit(cache=True)
def doors_quiet(walkers: np.ndarray, door: np.ndarray, side: np.ndarray, need: np.ndarray,  # noqa: PLR0917
                turn: np.ndarray, waiting_since: np.ndarray) -> bool:
    """The first stage of :func:`agents.movement.doorways.turns` for ``walkers`` (everyone near
    the door they head for, :func:`door_walkers`), and whether it is the only one.

    A door approached from one side only gets that side's turn (``turn``, and no
    ``waiting_since``), as ``turns`` notes it; returns whether no door has people of both sides
    or two beds or wheelchairs near it, in which case nobody waits or backs out this step and
    ``turns`` would change nothing more.  (``door``, ``side`` and ``need`` are per person.)
    """
    nd = turn.size
    lo = np.full(nd, np.iinfo(np.int64).max)
    hi = np.full(nd, -1)
    units = np.zeros(nd, np.int64)
    for k in walkers:
        d = door[k]
        lo[d] = min(lo[d], side[k])
        hi[d] = max(hi[d], side[k])
        units[d] += need[k] > 0
    quiet = True
    for d in range(nd):
        if hi[d] >= 0 and lo[d] == hi[d]:
            turn[d] = lo[d]
            waiting_since[d] = np.nan
        if hi[d] >= 0 and (lo[d] != hi[d] or units[d] >= 2):
            quiet = False
    return quiet


@njit(cache=True)
def _in_lane(y: int, o: int, pos: np.ndarray, radius: np.ndarray,  # noqa: PLR0917 - numba, positional only
             extra: np.ndarray, orient: np.ndarray) -> bool:
    """Whether ``y`` stands in ``o``'s way (:func:`agents.movement.standoffs.in_lane`)."""
    dx, dy = pos[y, 0] - pos[o, 0], pos[y, 1] - pos[o, 1]
    ox, oy = orient[o, 0], orient[o, 1]
    along = dx * ox + dy * oy
    lateral = abs(dx * oy - dy * ox)
    skew = abs(orient[y, 0] * oy - orient[y, 1] * ox)
    return along > 0 and lateral < radius[o] + radius[y] + extra[y] * skew


@njit(cache=True)
def backing_off(stalled: np.ndarray, pos: np.ndarray, lvl: np.ndarray, radius: np.ndarray,  # noqa: PLR0917
                extra: np.ndarray, orient: np.ndarray, dist: np.ndarray, fid: np.ndarray,
                field_portal: np.ndarray, need: np.ndarray, contact: float, rounds: np.ndarray,
                swap_after: int) -> np.ndarray:
    """:func:`agents.movement.standoffs.back_off` in one compiled pass over the pairs: who of
    ``stalled`` backs off now (indices into everyone, ascending).

    Each person's reach is ``radius + extra``, their portal ``field_portal`` of the field they
    follow (``fid``, -1: none), and a bed or wheelchair is someone with ``need`` > 0; of two
    stalled people in contact (``contact`` m between their reaches), on one level, heading for
    different portals and one of them a unit, or two units abreast along the first one's
    ``orient`` (:func:`agents.movement.standoffs.abreast`), the one farther from its portal backs
    off (on a tie, the higher index), and the other one in the even rounds from ``swap_after`` on
    (the larger of their standoff ``rounds``; :func:`agents.movement.standoffs.swapped`); of a
    pair with different portals, only if it stands in the other's lane
    (:func:`agents.movement.standoffs.in_lane`).
    """
    out = np.zeros(pos.shape[0], np.bool_)
    if stalled.size < 2:
        return np.flatnonzero(out)
    for a in range(stalled.size):
        u = stalled[a]
        if need[u] <= 0:
            continue
        pu = field_portal[fid[u]] if fid[u] >= 0 else -1
        for b in range(stalled.size):
            s = stalled[b]
            ps = field_portal[fid[s]] if fid[s] >= 0 else -1
            if lvl[u] != lvl[s] or u == s:
                continue
            if pu == ps:
                along = (pos[s, 0] - pos[u, 0]) * orient[u, 0] + (pos[s, 1] - pos[u, 1]) * orient[u, 1]
                if need[s] <= 0 or not abs(along) < extra[u] + extra[s]:
                    continue
            gap = math.hypot(pos[u, 0] - pos[s, 0], pos[u, 1] - pos[s, 1])
            if not gap < (radius[u] + extra[u]) + (radius[s] + extra[s]) + contact:
                continue
            tie = dist[u] == dist[s]
            unit_yields = dist[u] > dist[s] or (tie and u > s)
            r = max(rounds[u], rounds[s])
            if r >= swap_after and r % 2 == 0:
                unit_yields = not unit_yields
            y, o = (u, s) if unit_yields else (s, u)
            if pu != ps and not _in_lane(y, o, pos, radius, extra, orient):
                continue
            out[y] = True
    return np.flatnonzero(out)


@njit(cache=True)
def in_state(state: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Indices of everyone whose state is one of ``table`` (a lookup by state, as
    :func:`agents.movement.states.table` builds it)."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if table[state[k]]:
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True)
def on_task(staff: np.ndarray, state: np.ndarray, task: np.ndarray, code: int) -> np.ndarray:
    """Indices of staff in state ``code`` with a task (a patient they go to or wait at)."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if staff[k] and state[k] == code and task[k] >= 0:
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True)
def prepared(state: np.ndarray, prep_end: np.ndarray, t: float) -> np.ndarray:
    """Indices of everyone being prepared (``PREP``) whose preparation has ended by ``t``."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if state[k] == _PREP and t >= prep_end[k]:
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True)
def set_off_now(state: np.ndarray, t_start: np.ndarray, need: np.ndarray, t: float) -> np.ndarray:
    """Indices of everyone not yet set off (``PRE``) whose response time has passed at ``t``, or
    who is moved by staff (``need`` > 0: they go when a team takes them)."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if state[k] == _PRE and (t >= t_start[k] or need[k] > 0):
            out[m] = k
            m += 1
    return out[:m]


@njit(cache=True)
def any_active(state: np.ndarray, stranded: np.ndarray, left_behind: np.ndarray) -> bool:
    """Whether anyone is not out yet who is neither stranded, left behind nor incapacitated."""
    for k in range(state.size):
        if state[k] != _OUT and state[k] != _DOWN and not stranded[k] and not left_behind[k]:
            return True
    return False


@njit(cache=True)
def pushed(state: np.ndarray, pos: np.ndarray, prev_pos: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Indices of everyone in a state of ``table`` (a lookup by state) whose position changed this
    step (``prev_pos`` is where the step found them): someone standing, moved by the crowd."""
    out = np.empty(state.size, np.int64)
    m = 0
    for k in range(state.size):
        if table[state[k]] and (pos[k, 0] != prev_pos[k, 0] or pos[k, 1] != prev_pos[k, 1]):
            out[m] = k
            m += 1
    return out[:m]
