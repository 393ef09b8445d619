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
from scenarios.evacuation.params import ON_PLANE

if TYPE_CHECKING:
    from scenarios.evacuation.model import EvacuationModel

__all__ = ["clear_of_openings", "free_spot", "normals", "park_spaces", "refuge_spaces", "respawn",
           "return_from_refuge", "step_aside", "step_inside"]


def free_spot(m: EvacuationModel, space_id: str, r: float, c: float, placed: list[tuple[float, float, float]],  # noqa: PLR0917
              who: str) -> tuple[float, float]:
    g = m.grids[m.level_ix[m.facility.space(space_id).level]]
    key = (space_id, round(r, 3), round(c, 3))
    cells = m.spot_cells.get(key)
    if cells is None:
        cells = np.flatnonzero(m.nav.space_mask(space_id).ravel() & (g.wall.ravel() >= c + 0.05))
        if cells.size == 0:
            raise RunError(f"occupant {who}: space {space_id!r} has no floor far enough from walls")
        # Nobody starts in front of a door or exit (a bed parked there would shut everyone else in);
        # a space too small for that keeps all its floor.
        far = clear_of_openings(m, space_id, cells, g, r)
        if far.any():
            cells = cells[far]
        m.spot_cells[key] = cells
    arr = np.array(placed) if placed else np.zeros((0, 3))
    for _ in range(5):
        pick = cells[m.gen.integers(cells.size, size=2000)]
        i, j = np.divmod(pick, g.shape[1])
        xy = g.centre(i, j) + m.gen.uniform(-0.3, 0.3, (pick.size, 2)) * g.h
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


def return_from_refuge(m: EvacuationModel) -> None:
    """Vertical phase: people parked in a refuge come back onto the floor, a few per step."""
    for k in np.flatnonzero(m.state == states.REFUGE)[:20].tolist():
        park = bool(m.need[k] > 0)
        spaces = refuge_spaces(m, int(m.refuge_space[k]))
        if park:
            spaces = park_spaces(m, spaces, 2 * float(m.radius[k]) + 0.1)
        if not any(respawn(m, k, sp, park=park) for sp in spaces):
            continue
        if m.staff[k]:
            m.state[k] = states.HOLD
        else:
            m.state[k] = states.NEED if m.need[k] else states.MOVE
            m.set_goal(k, m.exit_goal(k))
        m.reached[k] = 0
        m.t_reach[k] = np.nan
        m.last_prog[k] = m.t
        m.best[k] = np.inf


#: Door width (m) from which a room takes an overflow of refuge occupants before narrower ones.
WIDE_DOOR = 1.2


def refuge_spaces(m: EvacuationModel, space: int) -> list[int]:
    """Where people who reached a refuge through ``space`` wait: it first, then the rest of its
    compartment on that level, nearest first (a corridor full of parked beds overflows into rooms).

    Rooms whose doors are all narrower than :data:`WIDE_DOOR` (stores, utility rooms) come
    last: a crowd sent into a store has to come out again through a 0.9 m door.
    """
    if space in m.refuge_order:
        return m.refuge_order[space]
    fac = m.facility
    sp = fac.spaces[space]
    here = sp.polygon.representative_point()
    rest = [k for k, o in enumerate(fac.spaces)
            if k != space and o.compartment == sp.compartment and o.level == sp.level
            and o.kind not in (SpaceKind.STAIR, SpaceKind.LIFT)]

    def narrow(k: int) -> bool:
        return not any(d.width >= WIDE_DOOR for d in fac.doors_of.get(m.space_ids[k], ()))

    rest.sort(key=lambda k: (narrow(k), fac.spaces[k].polygon.distance(here), k))
    m.refuge_order[space] = [space, *rest]
    return m.refuge_order[space]


def park_spaces(m: EvacuationModel, spaces: list[int], width: float) -> list[int]:
    """Where a bed or wheelchair waits in a refuge: rooms first, corridors last.

    The corridor is the escape route of the whole compartment: a unit parked in it narrows
    it for the beds that leave the rooms later and the staff who walk the other way.  Only
    rooms with a door at least ``width`` wide count, so that the unit can leave again, and
    rooms none of whose own beds or wheelchairs are still to be moved come first: a bed parked
    in a side room whose two beds were prepared later stood between them and their door, and
    they waited for it to leave while their staff stood in its way (day drill, seed 2027).
    (Leaving such rooms out altogether sent the units to the corridor, which they jammed.)
    """
    fac = m.facility
    own = (m.need > 0) & np.isin(m.state, (states.PRE, states.NEED, states.PREP, states.HOLD))
    taken = set(np.unique(m.space[own]).tolist())
    rooms = [k for k in spaces if not m.corridor[k]
             and any(d.width >= width for d in fac.doors_of.get(m.space_ids[k], ()))]
    rooms.sort(key=lambda k: k in taken)  # stable: nearest first within each kind
    return rooms + [k for k in spaces if m.corridor[k]]


def respawn(m: EvacuationModel, k: int, space: int, *, park: bool = False) -> bool:
    """Put occupant k on the floor of ``space`` where there is room; False if none.

    With ``park`` (a bed or wheelchair waiting in a refuge) the spot is along
    a wall, clear of doors, and the unit lies along the wall, as staff park
    beds in a corridor so that others can pass.
    """
    sid = m.space_ids[space]
    li = m.level_ix[m.facility.space(sid).level]
    g = m.grids[li]
    wall = g.wall.ravel()
    cells = np.flatnonzero(m.nav.space_mask(sid).ravel() & (wall >= m.clear[k] + 0.05))
    if cells.size == 0:
        return False
    if park:
        side = cells[wall[cells] <= m.clear[k] + 0.25]
        side = side[clear_of_openings(m, sid, side, g, float(m.radius[k] + m.extra[k]))]
        if side.size:
            cells = side
    on = np.isin(m.state, ON_PLANE) & (m.lvl == li)
    on[k] = False
    others = m.pos[on]
    # A parked unit keeps its whole length plus a walker's passage (park_gap) from everyone.
    rad = m.radius[on] + m.extra[on] + m.p.behaviour.park_gap if park else m.radius[on]
    mine = m.radius[k] + m.extra[k] if park else m.radius[k]
    for _ in range(12):
        cell = int(cells[m.gen.integers(cells.size)])
        ci, cj = divmod(cell, g.shape[1])
        xy = g.centre(np.array([ci]), np.array([cj]))[0]
        if others.shape[0] == 0 or np.all(
                np.hypot(others[:, 0] - xy[0], others[:, 1] - xy[1]) >= rad + mine + 0.05):
            m.pos[k] = xy
            m.prev_pos[k] = xy
            m.lvl[k] = li
            m.space[k] = space
            if park:
                nx_, ny_ = m.wall_normal[li][ci, cj]
                m.orient[k] = (-ny_, nx_)
            return True
    return False


def clear_of_openings(m: EvacuationModel, space_id: str, cells: np.ndarray, g: LevelGrid,
                      r: float) -> np.ndarray:
    """Mask of ``cells`` at least ``r`` + ``behaviour.door_keep_clear`` from the space's doors and exits."""
    openings = [d.at for d in m.facility.doors_of.get(space_id, ())]
    openings += [e.at for e in m.facility.exits_of.get(space_id, ())]
    far = np.ones(cells.size, bool)
    if openings and cells.size:
        ci, cj = np.divmod(cells, g.shape[1])
        cxy = g.centre(ci, cj)
        for ox, oy in openings:
            far &= np.hypot(cxy[:, 0] - ox, cxy[:, 1] - oy) >= r + m.p.behaviour.door_keep_clear
    return far


def step_inside(m: EvacuationModel, s: int, exit_id: str) -> None:
    """Put a staff member who handed a patient over at a final exit just inside it.

    The exit's apron is outside the floor, where no route leads back in, and a helper
    standing there blocks the exit for the next bed: they step back in to the nearest free
    spot of the exit's space at least ``behaviour.door_keep_clear`` beyond the opening.
    """
    ex = m.facility.exit(exit_id)
    li = m.level_ix[m.facility.space(ex.space).level]
    g = m.grids[li]
    ok = m.nav.space_mask(ex.space) & (g.wall >= m.clear[s] + 0.05) & (g.exit < 0)
    cells = np.flatnonzero(ok.ravel())
    if cells.size == 0:
        return
    ci, cj = np.divmod(cells, g.shape[1])
    cxy = g.centre(ci, cj)
    d = np.hypot(cxy[:, 0] - ex.at[0], cxy[:, 1] - ex.at[1])
    # Out of the way of those still coming out: door_keep_clear beyond the opening's half width.
    d = np.where(d >= ex.width / 2 + m.p.behaviour.door_keep_clear, d, d + 1e3)
    order = np.argsort(d, kind="stable")
    on = np.isin(m.state, ON_PLANE) & (m.lvl == li)
    on[s] = False
    others, rad = m.pos[on], m.radius[on] + m.extra[on] + m.radius[s] + 0.05
    pick = int(order[0])
    for q in order[:2000].tolist():
        if np.all(np.hypot(others[:, 0] - cxy[q, 0], others[:, 1] - cxy[q, 1]) >= rad):
            pick = q
            break
    m.pos[s] = cxy[pick]
    m.prev_pos[s] = cxy[pick]
    m.lvl[s] = li
    m.space[s] = m.space_ix[ex.space]


#: Most spots tried for a staff member stepping aside in one space (a 0.1 m raster of 200 m2).
STEP_ASIDE_TRIES = 20_000


def step_aside(m: EvacuationModel, s: int, space: int, xy: np.ndarray) -> None:
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
    for k, tier in ((space, 0), *((o, 0) for o in refuge_spaces(m, space)[1:]), (space, 2)):
        if _aside_in(m, s, k, xy, tier):
            return


def _aside_in(m: EvacuationModel, s: int, space: int, xy: np.ndarray, worst: int) -> bool:
    """Step aside into ``space``, on a spot of tier 0 (along a wall, a bed's length from the
    doors) up to tier ``worst`` (1: a reach from the doors, 2: anywhere); False if none is free."""
    sid = m.space_ids[space]
    li = m.level_ix[m.facility.space(sid).level]
    g = m.grids[li]
    wall = g.wall.ravel()
    cells = np.flatnonzero(m.nav.space_mask(sid).ravel() & (wall >= m.clear[s] + 0.05))
    if cells.size == 0:
        return False
    b = m.p.behaviour
    far = clear_of_openings(m, sid, cells, g, float(m.radius[s]) + b.aside_clear)
    far &= wall[cells] <= m.clear[s] + b.along_wall
    tier = np.where(far, 0, np.where(clear_of_openings(m, sid, cells, g, float(m.radius[s])), 1, 2))
    keep = tier <= worst
    cells, tier = cells[keep], tier[keep]
    ci, cj = np.divmod(cells, g.shape[1])
    cxy = g.centre(ci, cj)
    order = np.lexsort((np.hypot(cxy[:, 0] - xy[0], cxy[:, 1] - xy[1]), tier))
    on = np.isin(m.state, ON_PLANE) & (m.lvl == li)
    on[s] = False
    others, rad = m.pos[on], m.radius[on] + m.extra[on] + m.radius[s] + 0.05
    for q in order[:STEP_ASIDE_TRIES].tolist():
        if np.all(np.hypot(others[:, 0] - cxy[q, 0], others[:, 1] - cxy[q, 1]) >= rad):
            m.pos[s] = cxy[q]
            m.prev_pos[s] = cxy[q]
            m.space[s] = space
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
