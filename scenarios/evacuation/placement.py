"""Where people stand when they appear on a level plane: placed at the alarm, back from a refuge
in the vertical phase, out of a stair or lift, or stepping back in at an exit.

Every spot is free floor of the right space, clear of walls by the person's clearance and of
everyone else; beds and wheelchairs park along walls, in rooms before corridors, clear of doors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.movement import states
from agents.movement.navigation import LevelGrid
from facility.model import SpaceKind
from scenarios.errors import RunError
from scenarios.evacuation.goals import exit_goal, set_goal
from scenarios.evacuation.params import ON_PLANE

if TYPE_CHECKING:
    from agents.movement.routes import Navigator
    from facility.model import Facility
    from scenarios.evacuation.state import Plan, RunState

__all__ = ["clear_of_openings", "free_spot", "normals", "park_spaces", "refuge_spaces", "respawn",
           "return_from_refuge", "step_aside", "step_inside"]


def free_spot(plan: Plan, nav: Navigator, rng: np.random.Generator,  # noqa: PLR0917
              spot_cells: dict[tuple[str, float, float], np.ndarray], keep_clear: float, /,
              space_id: str, r: float, c: float, placed: list[tuple[float, float, float]],
              who: str) -> tuple[float, float]:
    """A random free spot for someone of reach ``r`` and clearance ``c`` placed at the alarm in
    ``space_id``: free floor of the space, ``keep_clear`` beyond their reach from its doors and
    exits if the space allows, and clear of everyone already ``placed`` there (x, y, reach).
    ``spot_cells`` keeps the candidate cells per space, reach and clearance for the run."""
    g = plan.grids[plan.level_ix[plan.facility.space(space_id).level]]
    key = (space_id, round(r, 3), round(c, 3))
    cells = spot_cells.get(key)
    if cells is None:
        cells = np.flatnonzero(nav.space_mask(space_id).ravel() & (g.wall.ravel() >= c + 0.05))
        if cells.size == 0:
            raise RunError(f"occupant {who}: space {space_id!r} has no floor far enough from walls")
        # Nobody starts in front of a door or exit (a bed parked there would shut everyone else in);
        # a space too small for that keeps all its floor.
        far = clear_of_openings(plan.facility, space_id, cells, g, r + keep_clear)
        if far.any():
            cells = cells[far]
        spot_cells[key] = cells
    arr = np.array(placed) if placed else np.zeros((0, 3))
    for _ in range(5):
        pick = cells[rng.integers(cells.size, size=2000)]
        i, j = np.divmod(pick, g.shape[1])
        xy = g.centre(i, j) + rng.uniform(-0.3, 0.3, (pick.size, 2)) * g.h
        if arr.shape[0] == 0:
            return float(xy[0, 0]), float(xy[0, 1])
        near = np.abs(arr[:, 0] - xy[:, :1]) < arr[:, 2] + r
        near &= np.abs(arr[:, 1] - xy[:, 1:]) < arr[:, 2] + r
        clear = np.flatnonzero(~near.any(axis=1))
        if clear.size:
            return float(xy[clear[0], 0]), float(xy[clear[0], 1])
        for q in range(pick.size):
            mask = near[q]
            if np.all(np.hypot(arr[mask, 0] - xy[q, 0], arr[mask, 1] - xy[q, 1]) >= arr[mask, 2] + r):
                return float(xy[q, 0]), float(xy[q, 1])
    raise RunError(f"occupant {who}: no room left in space {space_id!r} (too many people for its area)")


def return_from_refuge(st: RunState) -> None:
    """Vertical phase: people parked in a refuge come back onto the floor, a few per step."""
    pe = st.people
    for k in np.flatnonzero(pe.state == states.REFUGE)[:20].tolist():
        park = bool(pe.need[k] > 0)
        spaces = refuge_spaces(st, int(pe.refuge_space[k]))
        if park:
            spaces = park_spaces(st, spaces, 2 * float(pe.radius[k]) + 0.1)
        if not any(respawn(st, k, sp, park=park) for sp in spaces):
            continue
        if pe.staff[k]:
            pe.state[k] = states.HOLD
        else:
            pe.state[k] = states.NEED if pe.need[k] else states.MOVE
            set_goal(st, k, exit_goal(st, k))
        pe.reached[k] = 0
        pe.t_reach[k] = np.nan
        pe.last_prog[k] = st.t
        pe.best[k] = np.inf


#: Door width (m) from which a room takes an overflow of refuge occupants before narrower ones.
WIDE_DOOR = 1.2


def refuge_spaces(st: RunState, space: int) -> list[int]:
    """Where people who reached a refuge through ``space`` wait: it first, then the rest of its
    compartment on that level, nearest first (a corridor full of parked beds overflows into rooms).

    Rooms whose doors are all narrower than :data:`WIDE_DOOR` (stores, utility rooms) come
    last: a crowd sent into a store has to come out again through a 0.9 m door.
    """
    plan = st.plan
    if space in st.refuge_order:
        return st.refuge_order[space]
    fac = plan.facility
    sp = fac.spaces[space]
    here = sp.polygon.representative_point()
    rest = [k for k, o in enumerate(fac.spaces)
            if k != space and o.compartment == sp.compartment and o.level == sp.level
            and o.kind not in (SpaceKind.STAIR, SpaceKind.LIFT)]

    def narrow(k: int) -> bool:
        return not any(d.width >= WIDE_DOOR for d in fac.doors_of.get(plan.space_ids[k], ()))

    rest.sort(key=lambda k: (narrow(k), fac.spaces[k].polygon.distance(here), k))
    st.refuge_order[space] = [space, *rest]
    return st.refuge_order[space]


def park_spaces(st: RunState, spaces: list[int], width: float) -> list[int]:
    """Where a bed or wheelchair waits in a refuge: rooms first, corridors last.

    The corridor is the escape route of the whole compartment: a unit parked in it narrows
    it for the beds that leave the rooms later and the staff who walk the other way.  Only
    rooms with a door at least ``width`` wide count, so that the unit can leave again, and
    rooms none of whose own beds or wheelchairs are still to be moved come first: a bed parked
    in a side room whose two beds were prepared later stood between them and their door, and
    they waited for it to leave while their staff stood in its way (day drill, seed 2027).
    (Leaving such rooms out altogether sent the units to the corridor, which they jammed.)
    """
    pe, plan = st.people, st.plan
    fac = plan.facility
    own = (pe.need > 0) & np.isin(pe.state, (states.PRE, states.NEED, states.PREP, states.HOLD))
    taken = set(np.unique(pe.space[own]).tolist())
    rooms = [k for k in spaces if not plan.corridor[k]
             and any(d.width >= width for d in fac.doors_of.get(plan.space_ids[k], ()))]
    rooms.sort(key=lambda k: k in taken)  # stable: nearest first within each kind
    return rooms + [k for k in spaces if plan.corridor[k]]


def respawn(st: RunState, k: int, space: int, *, park: bool = False) -> bool:
    """Put occupant k on the floor of ``space`` where there is room; False if none.

    With ``park`` (a bed or wheelchair waiting in a refuge) the spot is along
    a wall, clear of doors, and the unit lies along the wall, as staff park
    beds in a corridor so that others can pass.
    """
    pe, plan = st.people, st.plan
    sid = plan.space_ids[space]
    li = plan.level_ix[plan.facility.space(sid).level]
    g = plan.grids[li]
    wall = g.wall.ravel()
    cells = np.flatnonzero(st.nav.space_mask(sid).ravel() & (wall >= pe.clear[k] + 0.05))
    if cells.size == 0:
        return False
    if park:
        side = cells[wall[cells] <= pe.clear[k] + 0.25]
        side = side[clear_of_openings(plan.facility, sid, side, g,
                                      float(pe.radius[k] + pe.extra[k]) + st.p.behaviour.door_keep_clear)]
        if side.size:
            cells = side
    on = np.isin(pe.state, ON_PLANE) & (pe.lvl == li)
    on[k] = False
    others = pe.pos[on]
    # A parked unit keeps its whole length plus a walker's passage (park_gap) from everyone.
    rad = pe.radius[on] + pe.extra[on] + st.p.behaviour.park_gap if park else pe.radius[on]
    mine = pe.radius[k] + pe.extra[k] if park else pe.radius[k]
    for _ in range(12):
        cell = int(cells[st.rng.integers(cells.size)])
        ci, cj = divmod(cell, g.shape[1])
        xy = g.centre(np.array([ci]), np.array([cj]))[0]
        if others.shape[0] == 0 or np.all(
                np.hypot(others[:, 0] - xy[0], others[:, 1] - xy[1]) >= rad + mine + 0.05):
            pe.pos[k] = xy
            pe.prev_pos[k] = xy
            pe.lvl[k] = li
            pe.space[k] = space
            if park:
                nx_, ny_ = plan.wall_normal[li][ci, cj]
                pe.orient[k] = (-ny_, nx_)
            return True
    return False


def clear_of_openings(facility: Facility, space_id: str, cells: np.ndarray, g: LevelGrid,
                      gap: float) -> np.ndarray:
    """Mask of ``cells`` (flat indices of ``g``) at least ``gap`` from the space's doors and exits
    (callers add ``behaviour.door_keep_clear`` to the reach they keep clear)."""
    openings = [d.at for d in facility.doors_of.get(space_id, ())]
    openings += [e.at for e in facility.exits_of.get(space_id, ())]
    far = np.ones(cells.size, bool)
    if openings and cells.size:
        ci, cj = np.divmod(cells, g.shape[1])
        cxy = g.centre(ci, cj)
        for ox, oy in openings:
            far &= np.hypot(cxy[:, 0] - ox, cxy[:, 1] - oy) >= gap
    return far


def step_inside(st: RunState, s: int, exit_id: str) -> None:
    """Put a staff member who handed a patient over at a final exit just inside it.

    The exit's apron is outside the floor, where no route leads back in, and a helper
    standing there blocks the exit for the next bed: they step back in to the nearest free
    spot of the exit's space at least ``behaviour.door_keep_clear`` beyond the opening.
    """
    pe, plan = st.people, st.plan
    ex = plan.facility.exit(exit_id)
    li = plan.level_ix[plan.facility.space(ex.space).level]
    g = plan.grids[li]
    ok = st.nav.space_mask(ex.space) & (g.wall >= pe.clear[s] + 0.05) & (g.exit < 0)
    cells = np.flatnonzero(ok.ravel())
    if cells.size == 0:
        return
    ci, cj = np.divmod(cells, g.shape[1])
    cxy = g.centre(ci, cj)
    d = np.hypot(cxy[:, 0] - ex.at[0], cxy[:, 1] - ex.at[1])
    # Out of the way of those still coming out: door_keep_clear beyond the opening's half width.
    d = np.where(d >= ex.width / 2 + st.p.behaviour.door_keep_clear, d, d + 1e3)
    order = np.argsort(d, kind="stable")
    on = np.isin(pe.state, ON_PLANE) & (pe.lvl == li)
    on[s] = False
    others, rad = pe.pos[on], pe.radius[on] + pe.extra[on] + pe.radius[s] + 0.05
    pick = int(order[0])
    for q in order[:2000].tolist():
        if np.all(np.hypot(others[:, 0] - cxy[q, 0], others[:, 1] - cxy[q, 1]) >= rad):
            pick = q
            break
    pe.pos[s] = cxy[pick]
    pe.prev_pos[s] = cxy[pick]
    pe.lvl[s] = li
    pe.space[s] = plan.space_ix[ex.space]


#: Most spots tried for a staff member stepping aside in one space (a 0.1 m raster of 200 m2).
STEP_ASIDE_TRIES = 20_000


def step_aside(st: RunState, s: int, space: int, xy: np.ndarray) -> None:
    """Put staff member ``s``, released at a refuge at ``xy``, on the nearest free spot clear of
    the doors: along a wall of ``space`` a bed's length from its doors, else in the next space of
    the refuge (:func:`refuge_spaces`), else anywhere in ``space`` clear of its doors by a reach,
    and only then nearer a door.

    Their patient has just come through a door; staff left standing where it was released wait
    in that doorway for their next task and shut the refuge's door for the next bed. A refuge
    corridor lined with parked beds and waiting people has no such spot left: staff released
    there stood in a cluster past the day drill's L2 smoke door, and the next bed stopped in
    the doorway for two minutes.
    """
    for k, tier in ((space, 0), *((o, 0) for o in refuge_spaces(st, space)[1:]), (space, 2)):
        if _aside_in(st, s, k, xy, tier):
            return


def _aside_in(st: RunState, s: int, space: int, xy: np.ndarray, worst: int) -> bool:
    """Step aside into ``space``, on a spot of tier 0 (along a wall, a bed's length from the
    doors) up to tier ``worst`` (1: a reach from the doors, 2: anywhere); False if none is free."""
    pe, plan = st.people, st.plan
    sid = plan.space_ids[space]
    li = plan.level_ix[plan.facility.space(sid).level]
    g = plan.grids[li]
    wall = g.wall.ravel()
    cells = np.flatnonzero(st.nav.space_mask(sid).ravel() & (wall >= pe.clear[s] + 0.05))
    if cells.size == 0:
        return False
    b = st.p.behaviour
    reach = float(pe.radius[s])
    far = clear_of_openings(plan.facility, sid, cells, g, reach + b.aside_clear + b.door_keep_clear)
    far &= wall[cells] <= pe.clear[s] + b.along_wall
    near = clear_of_openings(plan.facility, sid, cells, g, float(pe.radius[s]) + b.door_keep_clear)
    tier = np.where(far, 0, np.where(near, 1, 2))
    keep = tier <= worst
    cells, tier = cells[keep], tier[keep]
    ci, cj = np.divmod(cells, g.shape[1])
    cxy = g.centre(ci, cj)
    order = np.lexsort((np.hypot(cxy[:, 0] - xy[0], cxy[:, 1] - xy[1]), tier))
    on = np.isin(pe.state, ON_PLANE) & (pe.lvl == li)
    on[s] = False
    others, rad = pe.pos[on], pe.radius[on] + pe.extra[on] + pe.radius[s] + 0.05
    for q in order[:STEP_ASIDE_TRIES].tolist():
        if np.all(np.hypot(others[:, 0] - cxy[q, 0], others[:, 1] - cxy[q, 1]) >= rad):
            pe.pos[s] = cxy[q]
            pe.prev_pos[s] = cxy[q]
            pe.space[s] = space
            return True
    return False


def normals(g: LevelGrid) -> np.ndarray:
    """Unit vectors away from the nearest wall, per cell."""
    gy, gx = np.gradient(g.wall)
    n = np.hypot(gx, gy)
    out = np.zeros((*g.wall.shape, 2))
    ok = n > 1e-9
    out[ok, 0] = gx[ok] / n[ok]
    out[ok, 1] = gy[ok] / n[ok]
    return out
