"""Where people can stand on each level, and which way leads to a target.

Each level becomes a raster (:class:`LevelGrid`, cell size ``h``, 0.1 m by
default) built from the facility: the walkable floor is the union of the
level's space polygons; walls are every space boundary except the door and
exit openings (:meth:`facility.Facility.door_segment`).  Each cell stores the
*room* at its centre: the exact distance to the nearest wall line (computed
segment by segment, not from the raster) and its gradient, from which the room
at any point follows to within millimetres
(:func:`agents.movement.csm_kernel.room_at`).  A mover's centre keeps its half
width (``Mobility.radius``: a bed's 0.5 m) of room, so the width of a bed or a
wheelchair never overlaps a wall; its length (``Mobility.extra``) does not enter
this rule (it is a capsule for other people only).  Each opening also has a
*gate* (:func:`opening_room`): the widest footprint it lets through, so a door
narrower than a mobility needs
(``Mobility.min_door_width``) is a wall to it whatever pushes it, while a door
of exactly that width leaves its centre the play the table allows.

Navigation is hierarchical, which keeps distance fields small: the building
graph (:mod:`facility.graph`) chooses the next door, and a *local field*
(:mod:`agents.movement.fields`) laid over this raster gives the walking distance
inside one space to that door (or to an exit, or to a point such as a patient).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
import shapely.ops
from numba import njit
from scipy import ndimage
from shapely.geometry import LineString, Polygon

from agents.movement.csm_kernel import grid_cell
from facility.model import Facility

__all__ = ["LevelGrid", "build_grid", "cell_window", "footprints", "opening_room", "room_floor"]

#: Depth (m) of the strip outside a final exit where an evacuee counts as out.
EXIT_APRON = 0.6


@dataclass
class LevelGrid:
    """Raster of one level.

    Attributes:
        level: Level id.
        h: Cell size (m).
        x0, y0: Plan coordinates of the lower-left corner of cell (0, 0).
        space: Index into ``space_ids`` of each cell, -1 outside the floor.
        exit: Index into ``exit_ids`` for cells of an exit apron, else -1.
        wall: Room at each cell centre (m): its distance to the nearest wall line, exact
            within :data:`EXACT_REACH` of a wall (a lower bound farther out), off the floor
            as well (walls bound it; past an exit it is the open air); negative where standing
            is never allowed (a closed door).
        slope: Gradient of the room at each cell centre (rows, columns, 2): the unit vector
            from the nearest wall point to the centre (zero beyond :data:`EXACT_REACH`).  The
            room at a point is the least of the four tangent planes at the cell centres around
            it (:func:`agents.movement.csm_kernel.room_at`): exact along a wall and across the
            ridge between two jambs, a few millimetres under the truth near a corner.
        gate: Per cell, the widest footprint half width an opening lets through
            (:func:`opening_room`) within :data:`GATE_DEPTH` of a door or exit line; ``inf``
            elsewhere.  Read as the value of the cell a point is in, not interpolated: it is
            a rule on the door's width, not a distance.
        space_ids: Ids of the spaces on the level.
        exit_ids: Ids of the final exits on the level.
        door_cells: Per door id, flat indices of the cells of its opening, within
            :data:`DOOR_BAND` of the door line on both sides (blocked when the door
            is closed).  Someone in a door's band stays in the space they came from:
            a passage counts once they are through it.
    """

    level: str
    h: float
    x0: float
    y0: float
    space: np.ndarray
    exit: np.ndarray
    wall: np.ndarray
    slope: np.ndarray
    gate: np.ndarray
    space_ids: list[str]
    exit_ids: list[str]
    door_cells: dict[str, np.ndarray] = field(default_factory=dict)
    #: Per cell, a lower bound of the room anywhere in it (:func:`room_floor`); kept up to date
    #: with :attr:`wall` by :meth:`close_door`.
    floor: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.floor = room_floor(self.wall, self.gate, self.h)

    def band(self) -> np.ndarray:
        """Mask of the cells in any door's band (see :attr:`door_cells`)."""
        out = np.zeros(self.shape, bool)
        for cells in self.door_cells.values():
            out.ravel()[cells] = True
        return out

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.space.shape[0]), int(self.space.shape[1]))

    def cell_of(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of points ``xy`` (n, 2), clipped to the grid.

        >>> g = LevelGrid("L", 0.5, 0.0, 0.0, np.zeros((2, 3), np.int32), np.zeros((2, 3), np.int32),
        ...               np.zeros((2, 3)), np.zeros((2, 3, 2)), np.zeros((2, 3)), [], [])
        >>> [a.tolist() for a in g.cell_of(np.array([[1.2, 0.7], [-1.0, 9.0]]))]
        [[1, 1], [2, 0]]
        """
        return _cells(xy, self.x0, self.y0, self.h, self.shape[1], self.shape[0])

    def centre(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Plan coordinates of cell centres."""
        return np.column_stack([self.x0 + (j + 0.5) * self.h, self.y0 + (i + 0.5) * self.h])

    def close_door(self, door_id: str) -> None:
        """Block a door's opening (no one may stand in it any more)."""
        cells = self.door_cells.get(door_id)
        if cells is not None:
            self.wall.ravel()[cells] = -1.0
            self.floor[...] = room_floor(self.wall, self.gate, self.h)  # in place: it may be a view


def room_floor(wall: np.ndarray, gate: np.ndarray, h: float) -> np.ndarray:
    """Per cell, a lower bound of the room of a footprint anywhere in it
    (:func:`agents.movement.csm_kernel.footprint_room`), ``-inf`` on the grid's border.

    The room at a point is at least the least of the tangent planes at the four cell centres
    round it (:func:`~agents.movement.csm_kernel.room_at`; each cell's wall point is no nearer
    than its plane), all in the 3 x 3 block of its cell and at most ``h * sqrt(2)`` away, and a
    plane's slope is at most 1: so it is at least the block's least room less ``1.5 h``, and the
    footprint's no more than the cell's gate.  Where this bound already clears a footprint's half width, a
    step need not compute the room exactly (most steps, away from walls and doors).

    >>> room_floor(np.full((4, 4), 2.0), np.full((4, 4), np.inf), 0.1)[1:3, 1:3].tolist()
    [[1.85, 1.85], [1.85, 1.85]]
    """
    lo = np.minimum(ndimage.minimum_filter(wall, size=3, mode="nearest") - 1.5 * h, gate)
    lo[[0, -1], :] = -np.inf
    lo[:, [0, -1]] = -np.inf
    return lo


@njit(cache=True)
def _cells(xy: np.ndarray, x0: float, y0: float, h: float,  # noqa: PLR0917 - numba, positional only
           nx: int, ny: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of points ``xy`` (:meth:`LevelGrid.cell_of`): called several times a step,
    where numpy's clip and cast cost more than the work."""
    n = xy.shape[0]
    i = np.empty(n, np.int64)
    j = np.empty(n, np.int64)
    for k in range(n):
        i[k], j[k] = grid_cell(xy[k, 0], xy[k, 1], x0, y0, h, nx, ny)
    return i, j


def _outward(poly: Polygon, seg: LineString) -> np.ndarray:
    """Unit normal of ``seg`` pointing out of ``poly``."""
    (ax, ay), (bx, by) = seg.coords[0], seg.coords[-1]
    n = np.array([-(by - ay), bx - ax]) / max(seg.length, 1e-9)
    mid = np.array(seg.interpolate(0.5, normalized=True).coords[0])
    return n if not poly.contains(shapely.Point(*(mid + 0.05 * n))) else -n


#: Half depth (m) of a door's band: the cells within this distance of the door line, on either
#: side, belong to the doorway.  Someone standing in it keeps the space they came from, so
#: people jostled back and forth in a doorway do not pass the door again and again.
DOOR_BAND = 0.35
#: Depth (m) on each side of a door or exit line within which wall lines are cut away: outlines
#: traced from a scan step along the opening by a voxel or two, and the bits of boundary left
#: standing in the doorway would close it (the plan's own coincident edges need only a hair).
OPENING_DEPTH = 0.25
#: Length (m) kept at each end of an opening, so the jambs themselves stay walls.
JAMB = 0.05
#: Clear width (m) an opening needs beyond the width of a footprint it lets through: the
#: few centimetres each side for the hands pushing a bed or a wheelchair.  The mobility table
#: (:mod:`facility.mobility`) sets each wheeled or bedded unit's door width to its footprint's
#: width plus this much (bed 1.0 + 0.1 = 1.1 m, wheelchair 0.7 + 0.1 = 0.8 m), so the gate
#: closes exactly the doors routing forbids it (``tests/agents/movement/test_navigation.py``).
OPENING_SPARE = 0.1
#: Depth (m) on each side of a door or exit line over which its gate (:attr:`LevelGrid.gate`)
#: holds: three cells, more than any step (< one cell), so no move jumps over it.
GATE_DEPTH = 0.15
#: Distance (m) from a wall up to which the room is computed exactly.  Farther out the
#: raster's lower bound serves: no footprint (a bed's half width is 0.5 m), wall push or path
#: cost (:func:`agents.movement.fields.compute_field`'s ``wall_range``) looks that far.
EXACT_REACH = 2.0


def opening_room(width: float) -> float:
    """Widest footprint half width (m) an opening ``width`` m wide lets through.

    Rounded to the nanometre, so a door of exactly the width a mobility needs admits it.

    >>> opening_room(1.1), opening_room(0.8), opening_room(0.9)
    (0.5, 0.35, 0.4)
    """
    return max(round((width - OPENING_SPARE) / 2, 9), 0.0)


def _segments(walls: object) -> np.ndarray:
    """The straight pieces (m, 2, 2) of a (multi)line geometry."""
    parts = []
    for line in getattr(walls, "geoms", [walls]):
        if line.is_empty or line.length == 0:
            continue
        c = shapely.get_coordinates(line)
        parts.append(np.stack([c[:-1], c[1:]], axis=1))
    return np.concatenate(parts) if parts else np.empty((0, 2, 2))


def _exact_distance(segs: np.ndarray, shape: tuple[int, int], *, x0: float, y0: float, h: float,
                    reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each cell centre to the nearest of ``segs`` (``inf`` farther than ``reach``
    from every one: each segment is measured over its bounding box widened by ``reach``), and
    the unit vector from that nearest wall point to the centre (zero where none)."""
    ny, nx = shape
    out = np.full(shape, np.inf)
    away = np.zeros((*shape, 2))
    for (ax, ay), (bx, by) in segs:
        j0 = max(int((min(ax, bx) - reach - x0) / h), 0)
        j1 = min(int((max(ax, bx) + reach - x0) / h) + 2, nx)
        i0 = max(int((min(ay, by) - reach - y0) / h), 0)
        i1 = min(int((max(ay, by) + reach - y0) / h) + 2, ny)
        if j1 <= j0 or i1 <= i0:
            continue
        px = (x0 + (np.arange(j0, j1) + 0.5) * h)[None, :] - ax
        py = (y0 + (np.arange(i0, i1) + 0.5) * h)[:, None] - ay
        vx, vy = bx - ax, by - ay
        t = np.clip((px * vx + py * vy) / (vx * vx + vy * vy), 0.0, 1.0)
        ux, uy = px - t * vx, py - t * vy
        d = np.hypot(ux, uy)
        nearer = d < out[i0:i1, j0:j1]
        out[i0:i1, j0:j1][nearer] = d[nearer]
        safe = np.maximum(d, 1e-12)
        away[i0:i1, j0:j1, 0][nearer] = (ux / safe)[nearer]
        away[i0:i1, j0:j1, 1][nearer] = (uy / safe)[nearer]
    far = out > reach
    out[far] = np.inf
    away[far] = 0.0
    return out, away


def _opening(seg: LineString) -> Polygon:
    """The area whose wall lines a door or exit segment removes (see :data:`OPENING_DEPTH`)."""
    length = float(seg.length)
    if length <= 2 * JAMB:
        return seg.buffer(0.02, cap_style="flat")
    inner = shapely.ops.substring(seg, JAMB, length - JAMB)
    return shapely.union(seg.buffer(0.02, cap_style="flat"), inner.buffer(OPENING_DEPTH, cap_style="flat"))


def build_grid(facility: Facility, level: str, h: float = 0.1) -> LevelGrid:
    """Rasterise one level of a facility.

    Args:
        facility: The building.
        level: Level id.
        h: Cell size (m); a step must stay shorter than ``h`` (see
            :mod:`agents.movement.pedestrians`).

    Returns:
        The level's :class:`LevelGrid`.
    """
    spaces = facility.spaces_on(level)
    if not spaces:
        raise ValueError(f"level {level!r} has no spaces to rasterise")
    space_ids = [s.id for s in spaces]
    ids = set(space_ids)
    exits = [e for e in facility.exits if e.space in ids]
    aprons: list[Polygon] = []
    exit_segs: list[LineString] = []
    for e in exits:
        poly = facility.space(e.space).polygon
        seg = facility.door_segment(e)
        n = _outward(poly, seg)
        (ax, ay), (bx, by) = seg.coords[0], seg.coords[-1]
        d = n * EXIT_APRON
        aprons.append(Polygon([(ax, ay), (bx, by), (bx + d[0], by + d[1]), (ax + d[0], ay + d[1])]))
        exit_segs.append(seg)
    outline = shapely.union_all([s.polygon for s in spaces] + aprons)
    minx, miny, maxx, maxy = outline.bounds
    x0, y0 = math.floor(minx) - 1.0 + 1.37e-4, math.floor(miny) - 1.0 + 2.21e-4
    nxc = math.ceil((maxx + 1.0 - x0) / h) + 1
    nyc = math.ceil((maxy + 1.0 - y0) / h) + 1
    xs = x0 + (np.arange(nxc) + 0.5) * h
    ys = y0 + (np.arange(nyc) + 0.5) * h
    gx, gy = np.meshgrid(xs, ys)

    space = np.full((nyc, nxc), -1, np.int32)
    for k, s in enumerate(spaces):
        sl = cell_window(s.polygon, x0, y0, h)
        inside = shapely.contains_xy(s.polygon, gx[sl], gy[sl])
        space[sl][inside] = k
    floor = shapely.contains_xy(shapely.union_all([s.polygon for s in spaces]), gx, gy)
    # Cells on a shared edge belong to no polygon: give them the nearest space.
    missing = floor & (space < 0)
    if missing.any():
        _, (ii, jj) = ndimage.distance_transform_edt(space < 0, return_indices=True)
        space[missing] = space[ii[missing], jj[missing]]
    exit_lab = np.full((nyc, nxc), -1, np.int32)
    for k, ap in enumerate(aprons):
        sl = cell_window(ap, x0, y0, h)
        inside = shapely.contains_xy(ap, gx[sl], gy[sl]) & ~floor[sl]
        exit_lab[sl][inside] = k

    # Walls: all space boundaries minus door and exit openings.
    doors = [d for d in facility.doors if d.spaces[0] in ids and d.spaces[1] in ids]
    door_segs = {d.id: facility.door_segment(d) for d in doors}
    openings = shapely.union_all([_opening(sg) for sg in [*door_segs.values(), *exit_segs]]) \
        if (doors or exits) else None
    walls = shapely.union_all([s.polygon.boundary for s in spaces])
    if openings is not None:
        walls = walls.difference(openings)
    hit = np.zeros((nyc, nxc), bool)
    for line in getattr(walls, "geoms", [walls]):
        if line.is_empty or line.length == 0:
            continue
        n_pts = max(2, int(float(line.length) / (h / 4)) + 1)
        pts = shapely.get_coordinates(line.interpolate(np.linspace(0.0, 1.0, n_pts), normalized=True))
        jj = np.clip(((pts[:, 0] - x0) / h).astype(int), 0, nxc - 1)
        ii = np.clip(((pts[:, 1] - y0) / h).astype(int), 0, nyc - 1)
        hit[ii, jj] = True
    # Exact near walls; farther out a lower bound (a wall point lies in a hit cell, at most
    # h/sqrt(2) from its centre), which is at least EXACT_REACH there.
    bound = ndimage.distance_transform_edt(~hit) * h - h / math.sqrt(2)
    exact, away = _exact_distance(_segments(walls), (nyc, nxc), x0=x0, y0=y0, h=h, reach=EXACT_REACH)
    # Off the floor too: walls keep everyone out of it, and past an exit the footprint of a bed
    # whose centre has just reached the apron lies outside the building, not in a wall.
    wall = np.where(np.isfinite(exact), exact, np.maximum(bound, EXACT_REACH))
    gate = np.full((nyc, nxc), np.inf)
    widths = [(door_segs[d.id], d.width) for d in doors]
    widths += [(sg, e.width) for e, sg in zip(exits, exit_segs, strict=True)]
    for sg, width in widths:
        box = sg.buffer(GATE_DEPTH, cap_style="flat")
        sl = cell_window(box, x0, y0, h)
        inside = shapely.contains_xy(box, gx[sl], gy[sl])
        gate[sl][inside] = np.minimum(gate[sl][inside], opening_room(min(width, float(sg.length))))

    grid = LevelGrid(level=level, h=h, x0=x0, y0=y0, space=space, exit=exit_lab,
                     wall=wall.astype(np.float64), slope=away, gate=gate, space_ids=space_ids,
                     exit_ids=[e.id for e in exits])
    for did, sg in door_segs.items():
        box = sg.buffer(DOOR_BAND, cap_style="flat")
        sl = cell_window(box, x0, y0, h)
        inside = np.zeros((nyc, nxc), bool)
        inside[sl] = shapely.contains_xy(box, gx[sl], gy[sl])
        grid.door_cells[did] = np.flatnonzero(inside)
    return grid


def cell_window(geom: object, x0: float, y0: float, h: float) -> tuple[slice, slice]:
    """Rows and columns of the grid cells whose centres may lie in ``geom``: its bounding box and
    a cell more round it (testing only these is what keeps rasterising a storey of hundreds of
    doors fast)."""
    bx0, by0, bx1, by1 = shapely.bounds(geom)
    return (slice(max(0, int((by0 - y0) / h) - 1), int((by1 - y0) / h) + 2),
            slice(max(0, int((bx0 - x0) / h) - 1), int((bx1 - x0) / h) + 2))


def footprints(grid: LevelGrid, pos: np.ndarray, orient: np.ndarray, *, radius: np.ndarray,
               extra: np.ndarray, margin: float) -> np.ndarray:
    """Mask of the cells of ``grid`` whose centre is within a footprint plus ``margin``.

    A footprint is the set of points within ``radius`` of its long axis, ``extra`` ahead of
    and behind its centre ``pos`` along ``orient`` (a bed: 0.5 m of a 1.2 m axis).
    """
    out = np.zeros(grid.shape, bool)
    ny, nx = grid.shape
    for (cx, cy), (ox, oy), r, e in zip(pos, orient, radius, extra, strict=True):
        n = float(np.hypot(ox, oy))
        ux, uy = (ox / n, oy / n) if n > 0 else (1.0, 0.0)
        reach = r + e + margin
        j0 = max(int((cx - reach - grid.x0) / grid.h), 0)
        j1 = min(int((cx + reach - grid.x0) / grid.h) + 1, nx)
        i0 = max(int((cy - reach - grid.y0) / grid.h), 0)
        i1 = min(int((cy + reach - grid.y0) / grid.h) + 1, ny)
        if i0 >= i1 or j0 >= j1:
            continue
        xs = grid.x0 + (np.arange(j0, j1) + 0.5) * grid.h - cx
        ys = grid.y0 + (np.arange(i0, i1) + 0.5) * grid.h - cy
        px, py = np.meshgrid(xs, ys)
        along = np.clip(px * ux + py * uy, -e, e)
        gap = np.hypot(px - along * ux, py - along * uy)
        out[i0:i1, j0:j1] |= gap <= r + margin
    return out
