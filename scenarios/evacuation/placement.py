"""Where people stand when they appear on a level plane: placed at the alarm, back from a refuge
in the vertical phase, out of a stair or lift, or stepping back in at an exit.

Every spot is free floor of the right space, clear of walls by the person's clearance and of
everyone else.  A bed or wheelchair is placed with its whole footprint clear of walls, door bands
and other spaces, lying the way it fits (:func:`footprint_spots`); beds and wheelchairs park
along walls, in rooms before corridors, clear of doors.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from agents.movement import capsules, states
from agents.movement.navigation import LevelGrid
from facility.model import SpaceKind
from scenarios.errors import PlacementError
from scenarios.evacuation import detours

if TYPE_CHECKING:
    from agents.movement.routes import Navigator
    from facility.model import Facility
    from scenarios.evacuation.state import Plan, RunState

__all__ = ["clear_of_openings", "clear_of_points", "footprint_axis", "footprint_clear", "footprint_spots",
           "free_spot", "narrow_room", "park_spaces", "refuge_spaces", "refuse_overlaps", "respawn",
           "stand_aside", "step_aside", "step_inside", "unit_axes"]


#: Metres beyond a clearance every placement keeps from walls (the raster's room is known at
#: cell centres; 5 cm keeps a body placed at a centre clear of the wall line between them).
WALL_MARGIN = 0.05

#: States of a bed or wheelchair still to be moved out of its own room.
_NOT_YET_MOVED = states.table(states.PRE, states.NEED, states.PREP, states.HOLD)

#: Most spacing (m) between the points where a unit's footprint is sampled across its area:
#: under the depth of a door band (2 x ``navigation.DOOR_BAND``, 0.7 m) and the narrowest door
#: (0.6 m), so that no band or doorway fits between two samples.
FOOTPRINT_STEP = 0.2


def free_spot(plan: Plan, nav: Navigator, rng: np.random.Generator,  # noqa: PLR0917
              spot_cells: dict[tuple[str, float, float], np.ndarray], keep_clear: float, /,
              space_id: str, r: float, c: float, placed: list[tuple[float, float, float]],
              who: str) -> tuple[float, float]:
    """A random free spot for someone of reach ``r`` and clearance ``c`` placed at the alarm in
    ``space_id``, clear of everyone already ``placed`` there (x, y, reach).

    Someone on foot stands on free floor of the space; a bed or wheelchair (``r > c``: its half
    length beyond its half width) where its whole footprint lies clear of walls, door bands and
    other spaces in one of the directions :func:`footprint_axis` tries, lying that way (the
    model's ``people_of`` gives it that orientation).  In order, the spot is: ``keep_clear``
    beyond the reach from the space's doors and exits (a bed parked in a doorway would shut
    everyone else in); anywhere the footprint fits; and, in a space too small or narrow for the
    footprint anywhere, where its width fits, with a warning naming the space (an input to fix:
    a bed that does not fit its room).  ``spot_cells`` keeps the candidates ``(x, y, axis x,
    axis y)`` per space, reach and clearance for the run.
    """
    key = (space_id, round(r, 3), round(c, 3))
    spots = spot_cells.get(key)
    if spots is None:
        spots = footprint_spots(plan, nav, space_id, c, r - c, who=who)
        if spots.shape[0] == 0:
            raise PlacementError(who, f"space {space_id!r} has no floor far enough from walls")
        far = clear_of_points(plan.facility, space_id, spots[:, :2], r + keep_clear)
        if far.any():
            spots = spots[far]
        spot_cells[key] = spots
    g = plan.grids[plan.level_ix[plan.facility.space(space_id).level]]
    # A unit stands on its cell's centre, where its footprint was checked; a walker anywhere in it.
    jitter = g.h if r - c <= 0 else 0.0
    arr = np.array(placed) if placed else np.zeros((0, 3))
    for _ in range(5):
        pick = spots[rng.integers(spots.shape[0], size=2000)]
        xy = pick[:, :2] + rng.uniform(-0.3, 0.3, (pick.shape[0], 2)) * jitter
        if arr.shape[0] == 0:
            return float(xy[0, 0]), float(xy[0, 1])
        near = np.abs(arr[:, 0] - xy[:, :1]) < arr[:, 2] + r
        near &= np.abs(arr[:, 1] - xy[:, 1:]) < arr[:, 2] + r
        clear = np.flatnonzero(~near.any(axis=1))
        if clear.size:
            return float(xy[clear[0], 0]), float(xy[clear[0], 1])
        for q in range(pick.shape[0]):
            mask = near[q]
            if np.all(np.hypot(arr[mask, 0] - xy[q, 0], arr[mask, 1] - xy[q, 1]) >= arr[mask, 2] + r):
                return float(xy[q, 0]), float(xy[q, 1])
    raise PlacementError(who, f"no room left in space {space_id!r} (too many people for its area)")


def footprint_spots(plan: Plan, nav: Navigator, space_id: str, radius: float, extra: float, *,
                    who: str = "", first: np.ndarray | None = None) -> np.ndarray:
    """Every cell centre of ``space_id`` where someone of half width ``radius`` and half length
    ``radius + extra`` fits whole, with the direction they lie in: rows ``(x, y, axis x,
    axis y)``, the axis zero for someone on foot.

    A walker fits where their centre keeps ``radius`` (and :data:`WALL_MARGIN`) from every wall.
    A unit's footprint (:func:`footprint_clear`) is tried in the directions of
    :func:`footprint_axis` (``first`` before the others, if given).  A space with no spot for
    the unit (a bed in a room too narrow for it) falls back to the spots its width fits, lying
    along the nearest wall, with a warning naming the space and ``who`` (an input to fix).
    """
    li = plan.level_ix[plan.facility.space(space_id).level]
    g = plan.grids[li]
    room = g.wall.ravel()
    cells = np.flatnonzero(nav.space_mask(space_id).ravel() & (room >= radius + WALL_MARGIN))
    i, j = np.divmod(cells, g.shape[1])
    xy = g.centre(i, j)
    if extra <= 0 or cells.size == 0:
        return np.column_stack([xy, np.zeros_like(xy)])
    axes = footprint_axis(plan, li, space_id, xy, radius=radius, extra=extra, first=first)
    ok = np.any(axes != 0.0, axis=1)
    if ok.any():
        return np.column_stack([xy[ok], axes[ok]])
    warnings.warn(f"space {space_id!r} has no spot where the whole {2 * (radius + extra):.1f} m x "
                  f"{2 * radius:.1f} m footprint of {who or 'a unit'} is clear of walls and doors: "
                  "placed where its width fits, lying along the nearest wall", UserWarning, stacklevel=2)
    nx_, ny_ = plan.wall_normal[li][i, j].T
    return np.column_stack([xy, -ny_, nx_])


def footprint_axis(plan: Plan, li: int, space_id: str, xy: np.ndarray, *, radius: float,
                   extra: float, first: np.ndarray | None = None) -> np.ndarray:
    """Per point of ``xy`` (n, 2) on level ``li``, the first direction in which a unit of half
    width ``radius`` and half length ``radius + extra`` centred there lies clear of walls, door
    bands and other spaces (:func:`footprint_clear`); zero where none is.

    Tried in order: along the nearest wall (as beds are parked), along the space's long axis
    (the way a corridor or a narrow room holds a bed), across it, and square to the nearest wall
    (head against it, as a bed stands in a ward); ``first``, if given, before all of them.
    """
    g = plan.grids[li]
    i, j = g.cell_of(xy)
    normal = plan.wall_normal[li][i, j]
    long_ = _long_axis(plan, space_id)
    tries = [np.column_stack([-normal[:, 1], normal[:, 0]]), np.broadcast_to(long_, xy.shape),
             np.broadcast_to((-long_[1], long_[0]), xy.shape), normal]
    if first is not None:
        tries.insert(0, np.broadcast_to(first, xy.shape))
    out = np.zeros_like(xy, dtype=np.float64)
    todo = np.ones(xy.shape[0], bool)
    for axis in tries:
        has = todo & (np.abs(axis).sum(axis=1) > 0)
        if not has.any():
            continue
        sel = np.flatnonzero(has)
        ok = footprint_clear(plan, li, space_id, xy[sel], np.asarray(axis)[sel], radius=radius, extra=extra)
        out[sel[ok]] = np.asarray(axis)[sel[ok]]
        todo[sel[ok]] = False
        if not todo.any():
            break
    return out


def footprint_clear(plan: Plan, li: int, space_id: str, xy: np.ndarray, axis: np.ndarray, *,
                    radius: float, extra: float) -> np.ndarray:
    """Whether the footprint of a unit centred at each point of ``xy`` and lying along ``axis``
    (unit vectors, n x 2) is clear: its ``2 radius`` x ``2 (radius + extra)`` rectangle.

    The body's width is clear along its whole length: every point of its long axis keeps
    ``radius`` (and :data:`WALL_MARGIN`) from the walls, as a walking unit's centre does.  The
    rest of the rectangle (its corners) and all of it lie on floor of the unit's own space and
    in no door band or exit apron, sampled at most :data:`FOOTPRINT_STEP` apart (a cell inside
    the outline, so that samples on the outline do not read the wall itself).
    """
    g = plan.grids[li]
    band = plan.band_door[li]
    own = plan.grids[li].space_ids.index(space_id)
    n = xy.shape[0]
    ok = np.ones(n, bool)
    if n == 0:
        return ok
    ux, uy = axis[:, 0], axis[:, 1]
    along = np.linspace(-extra, extra, max(2, int(np.ceil(2 * extra / g.h)) + 1))
    for s in along.tolist():
        ii, jj = g.cell_of(np.column_stack([xy[:, 0] + s * ux, xy[:, 1] + s * uy]))
        ok &= g.wall[ii, jj] >= radius + WALL_MARGIN
    half_l, half_w = max(radius + extra - g.h, 0.0), max(radius - g.h, 0.0)
    a_s = np.linspace(-half_l, half_l, max(2, int(np.ceil(2 * half_l / FOOTPRINT_STEP)) + 1))
    b_s = np.linspace(-half_w, half_w, max(2, int(np.ceil(2 * half_w / FOOTPRINT_STEP)) + 1))
    for a in a_s.tolist():
        for b in b_s.tolist():
            live = np.flatnonzero(ok)
            if live.size == 0:
                return ok
            px = xy[live, 0] + a * ux[live] - b * uy[live]
            py = xy[live, 1] + a * uy[live] + b * ux[live]
            ii, jj = g.cell_of(np.column_stack([px, py]))
            ok[live] = ((g.space[ii, jj] == own) & (band[ii, jj] < 0) & (g.exit[ii, jj] < 0)
                        & (g.wall[ii, jj] >= 0))
    return ok


def _long_axis(plan: Plan, space_id: str) -> np.ndarray:
    """Unit vector along the longer side of the space's least rotated bounding rectangle."""
    rect = plan.facility.space(space_id).polygon.minimum_rotated_rectangle
    pts = np.asarray(rect.exterior.coords)[:3]
    sides = np.diff(pts, axis=0)
    lengths = np.hypot(sides[:, 0], sides[:, 1])
    if lengths.max() <= 0:
        return np.array([1.0, 0.0])
    v = sides[int(np.argmax(lengths))] / lengths.max()
    # One sign for one axis: +x, or +y when it runs along y.
    return -v if (v[0] < -1e-9 or (abs(v[0]) <= 1e-9 and v[1] < 0)) else v


def unit_axes(plan: Plan, pos: np.ndarray, lvl: np.ndarray, space: np.ndarray, *, radius: np.ndarray,
              extra: np.ndarray) -> np.ndarray:
    """The direction each bed or wheelchair at ``pos`` lies in at the alarm: the one its spot was
    chosen for (:func:`footprint_axis`, :func:`free_spot`), pointing to the nearer end of its
    space's nearest door (the end it is wheeled out by); along the nearest wall where no direction
    is clear (a position given in the scenario, or a space too small: :func:`footprint_spots`
    has warned).  Zero for people on foot."""
    out = np.zeros((pos.shape[0], 2))
    fac = plan.facility
    for k in np.flatnonzero(extra > 0).tolist():
        li, sid = int(lvl[k]), plan.space_ids[int(space[k])]
        xy = pos[k:k + 1]
        axis = footprint_axis(plan, li, sid, xy, radius=float(radius[k]), extra=float(extra[k]))[0]
        if not axis.any():
            i, j = plan.grids[li].cell_of(xy)
            nx_, ny_ = plan.wall_normal[li][i[0], j[0]]
            axis = np.array([-ny_, nx_])
        openings = [d.at for d in fac.doors_of.get(sid, ())] + [e.at for e in fac.exits_of.get(sid, ())]
        if openings:
            near = min(openings, key=lambda o: (o[0] - xy[0, 0]) ** 2 + (o[1] - xy[0, 1]) ** 2)
            if (near[0] - xy[0, 0]) * axis[0] + (near[1] - xy[0, 1]) * axis[1] < 0:
                axis = -axis
        out[k] = axis
    return out


#: Metres by which a position given in a scenario may overlap a bed's or wheelchair's footprint
#: before it is refused: someone pressed against its side, or two units touching, as the shipped
#: tests' rows of beds 1.8 m apart do (0.05 m).
OVERLAP_TOLERANCE = 0.1


def refuse_overlaps(ids: list[str], given: np.ndarray, pos: np.ndarray, lvl: np.ndarray,
                    orient: np.ndarray, *, radius: np.ndarray, extra: np.ndarray) -> None:
    """Refuse a position given in a scenario that puts someone inside a bed's or wheelchair's
    footprint (lying as :func:`unit_axes` lays it), or a unit's footprint over someone, by more
    than :data:`OVERLAP_TOLERANCE`.

    Accepted, the crowd model pushed the person out at the first step, possibly into the corner
    behind the unit, where they stood for the minute its preparation took.  The one refused is
    the later-listed of the two with a given position (the other was there first, or was drawn
    a free spot clear of it).

    Raises:
        PlacementError: Naming the occupant and the unit.
    """
    units = np.flatnonzero(extra > 0)
    if units.size == 0 or not given.any():
        return
    u0, u1 = capsules.axis_ends(pos[units], orient[units], extra[units])
    for k in np.flatnonzero(given).tolist():
        a0, a1 = capsules.axis_ends(pos[k], orient[k], extra[k])
        gap = capsules.segment_gaps(a0, a1, u0, u1) - radius[units] - radius[k]
        hit = (gap < -OVERLAP_TOLERANCE) & (units != k) & (lvl[units] == lvl[k])
        for u in units[hit].tolist():
            later = k if not given[u] or k > u else u
            other = u if later == k else k
            x, y = (float(v) for v in pos[later])
            raise PlacementError(ids[later], f"position ({x:g}, {y:g}) is {-float(gap[units == u][0]):.2f} m "
                                             f"into {ids[other]} (a bed's or wheelchair's whole footprint "
                                             f"counts): place them apart, or leave the position out")


#: Door width (m) from which a room takes an overflow of refuge occupants before narrower ones.
WIDE_DOOR = 1.2


def narrow_room(facility: Facility, space_id: str) -> bool:
    """Whether every door of ``space_id`` is narrower than :data:`WIDE_DOOR` (a store, a utility
    room: a crowd sent in has to squeeze out again one by one)."""
    return not any(d.width >= WIDE_DOOR for d in facility.doors_of.get(space_id, ()))


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

    rest.sort(key=lambda k: (narrow_room(fac, plan.space_ids[k]), fac.spaces[k].polygon.distance(here), k))
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

    A room built for patients holds no more beds and wheelchairs than its bed spaces
    (``Space.beds``): a single room of the day drill took two refuge beds beside its own (seed
    13), and with three beds and their six staff in 30 m2 nobody could leave it again.
    """
    pe, plan = st.people, st.plan
    fac = plan.facility
    own = (pe.need > 0) & _NOT_YET_MOVED[pe.state]
    taken = set(np.unique(pe.space[own]).tolist())
    units = (pe.need > 0) & states.ON_PLANE_TABLE[pe.state] & (pe.space >= 0)
    present = np.bincount(pe.space[units], minlength=len(plan.space_ids))

    def room_for(k: int) -> bool:
        sp = fac.space(plan.space_ids[k])
        return (any(d.width >= width for d in fac.doors_of.get(sp.id, ()))
                and (sp.beds == 0 or present[k] < sp.beds))

    rooms = [k for k in spaces if not plan.corridor[k] and room_for(k)]
    rooms.sort(key=lambda k: k in taken)  # stable: nearest first within each kind
    return rooms + [k for k in spaces if plan.corridor[k]]


def respawn(st: RunState, k: int, space: int, *, park: bool = False,
            near: tuple[float, float] | None = None) -> bool:
    """Put occupant k on the floor of ``space`` where there is room; False if none.

    Someone on foot stands on free floor; a bed or wheelchair where its
    whole footprint is clear of walls, door bands and everyone else (:func:`footprint_spots`),
    lying the way it fits.  With ``park`` (a unit waiting in a refuge) the spot is along a wall,
    the unit lying along it, clear of the doors, as staff park beds in a corridor so that others
    can pass, and a walker's passage (``behaviour.park_gap``) is kept round it; with no such spot,
    anywhere it fits.  With ``near`` (out of a lift car: its waiting point), the free spot nearest
    it, else one at random.
    """
    pe, plan = st.people, st.plan
    sid = plan.space_ids[space]
    li = plan.level_ix[plan.facility.space(sid).level]
    g = plan.grids[li]
    radius, extra = float(pe.radius[k]), float(pe.extra[k])
    key = (sid, round(radius + extra, 3), round(radius, 3))
    spots = st.footprint_spots.get(key)
    if spots is None:
        spots = st.footprint_spots[key] = footprint_spots(plan, st.nav, sid, radius, extra, who=pe.ids[k],
                                                          first=_lane(st, sid))
    if spots.shape[0] == 0:
        return False
    b = st.p.behaviour
    if park:
        i, j = g.cell_of(spots[:, :2])
        normal = plan.wall_normal[li][i, j]
        along = np.abs((normal * spots[:, 2:]).sum(axis=1)) < 0.5  # lying along the wall
        side = (g.wall[i, j] <= pe.clear[k] + b.along_wall) & along
        side &= clear_of_points(plan.facility, sid, spots[:, :2], radius + extra + b.door_keep_clear)
        if side.any():
            spots = spots[side]
    if near is None:
        tries = spots[st.rng.integers(spots.shape[0], size=min(RESPAWN_TRIES, 4 * spots.shape[0]))]
    else:
        tries = spots[np.argsort(np.hypot(spots[:, 0] - near[0], spots[:, 1] - near[1]), kind="stable")]
    # Everyone's whole footprint, a bed's length too, is kept clear.  A parked unit keeps a
    # walker's passage (park_gap) more from everyone, and from a unit's whole length in any
    # direction: kept from footprints only, a bed was parked in a single room by the room's own
    # bed, 0.9 m from it, and the two teams preparing them filled the gap (day seed 5).
    keep = radius + WALL_MARGIN
    rad = pe.radius + (pe.extra + b.park_gap if park else 0.0)
    on = states.ON_PLANE_TABLE[pe.state] & (pe.lvl == li)
    on[k] = False
    lo, hi = tries[:, :2].min(axis=0) - extra - keep, tries[:, :2].max(axis=0) + extra + keep
    reach = rad + pe.extra
    on &= ((pe.pos + reach[:, None] >= lo) & (pe.pos - reach[:, None] <= hi)).all(axis=1)
    pick = -1
    for start in range(0, tries.shape[0], RESPAWN_TRIES):
        some = tries[start:start + RESPAWN_TRIES]
        ok = np.ones(some.shape[0], bool)
        if on.any():
            a0, a1 = capsules.axis_ends(some[:, None, :2], some[:, None, 2:], extra)
            foot, unit = on & (pe.extra == 0), on & (pe.extra > 0)
            gap = capsules.point_gaps(pe.pos[foot][None], a0, a1) - rad[foot][None, :]
            ok = (gap >= keep).all(axis=1)
            if unit.any():
                b0, b1 = capsules.axis_ends(pe.pos[unit], pe.orient[unit], pe.extra[unit])
                gap = capsules.segment_gaps(a0, a1, b0[None], b1[None]) - rad[unit][None, :]
                ok &= (gap >= keep).all(axis=1)
        ok[ok] = _way_out(st, k, sid, some[ok, :2])
        if ok.any():
            pick = start + int(np.argmax(ok))
            break
    if pick < 0:
        return False
    xy, axis = tries[pick, :2].copy(), tries[pick, 2:]
    pe.pos[k] = xy
    pe.prev_pos[k] = xy
    pe.lvl[k] = li
    pe.space[k] = space
    if extra > 0:
        pe.orient[k] = axis
        pe.heading[k] = axis
    return True


def _lane(st: RunState, space_id: str) -> np.ndarray | None:
    """In a lift's landing, the direction from its (first) door to the car, which units come out
    of the car along; None elsewhere."""
    fac = st.plan.facility
    doors = fac.doors_of.get(space_id, ())
    if fac.space(space_id).kind != SpaceKind.LIFT or not doors:
        return None
    v = np.subtract(st.nav.landing(space_id), doors[0].at)
    n = float(np.hypot(*v))
    return v / n if n > 0 else None


#: Random spots of a space tried at once for someone put back on the floor.
RESPAWN_TRIES = 64


def _way_out(st: RunState, k: int, space_id: str, xy: np.ndarray) -> np.ndarray:
    """Mask of the points ``xy`` of ``space_id`` from which person ``k`` can walk to one of its
    doors or exits round the beds and wheelchairs parked there
    (:meth:`~agents.movement.routes.Navigator.detour_field_id`).

    Day seed 5: a walker back from a refuge was put in a bay's corner between the wall and a
    parked bed, 0.55 m from the wall, and stood there three minutes until the bed's team came.
    """
    pe, plan = st.people, st.plan
    parked = detours.parked_units(st)
    here = parked[(pe.space[parked] == plan.space_ix[space_id]) & (parked != k)]
    out = np.ones(xy.shape[0], bool)
    if here.size == 0 or xy.shape[0] == 0:
        return out
    fac = plan.facility
    targets = [("door", d.id) for d in fac.doors_of.get(space_id, ())]
    targets += [("exit", e.id) for e in fac.exits_of.get(space_id, ())]
    units = detours.units_round(st, here)
    i, j = plan.grids[plan.level_ix[fac.space(space_id).level]].cell_of(xy)
    out[:] = False
    for target in targets:
        fid = st.nav.detour_field_id(space_id, target, float(pe.clear[k]), units)
        d, _ = st.nav.fields.lookup(np.full(xy.shape[0], fid), i, j)
        out |= np.isfinite(d)
        if out.all():
            break
    return out


def clear_of_openings(facility: Facility, space_id: str, cells: np.ndarray, g: LevelGrid,
                      gap: float) -> np.ndarray:
    """Mask of ``cells`` (flat indices of ``g``) at least ``gap`` from the space's doors and exits
    (callers add ``behaviour.door_keep_clear`` to the reach they keep clear)."""
    ci, cj = np.divmod(cells, g.shape[1])
    return clear_of_points(facility, space_id, g.centre(ci, cj), gap)


def clear_of_points(facility: Facility, space_id: str, xy: np.ndarray, gap: float) -> np.ndarray:
    """Mask of points ``xy`` (n, 2) at least ``gap`` from the space's doors and exits."""
    openings = [d.at for d in facility.doors_of.get(space_id, ())]
    openings += [e.at for e in facility.exits_of.get(space_id, ())]
    far = np.ones(xy.shape[0], bool)
    for ox, oy in openings:
        far &= np.hypot(xy[:, 0] - ox, xy[:, 1] - oy) >= gap
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
    on = states.ON_PLANE_TABLE[pe.state] & (pe.lvl == li)
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


def stand_aside(st: RunState, s: int) -> bool:
    """Move person ``s``, standing, to the nearest free spot of their own space clear
    of its doors (along a wall a bed's length from them, else a reach from them, else anywhere:
    as :func:`step_aside`, without leaving the space); False if none is free."""
    return _aside_in(st, s, int(st.people.space[s]), st.people.pos[s].copy(), 2)


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
    on = states.ON_PLANE_TABLE[pe.state] & (pe.lvl == li)
    on[s] = False
    others, rad = pe.pos[on], pe.radius[on] + pe.extra[on] + pe.radius[s] + 0.05
    for q in order[:STEP_ASIDE_TRIES].tolist():
        if np.all(np.hypot(others[:, 0] - cxy[q, 0], others[:, 1] - cxy[q, 1]) >= rad):
            pe.pos[s] = cxy[q]
            pe.prev_pos[s] = cxy[q]
            pe.space[s] = space
            return True
    return False
