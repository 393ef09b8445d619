"""Where people can stand on each level, and which way leads to a target.

Each level becomes a raster (:class:`LevelGrid`, cell size ``h``, 0.1 m by
default) built from the facility: the walkable floor is the union of the
level's space polygons; walls are every space boundary except the door and
exit openings (:meth:`facility.Facility.door_segment`).  Each cell stores a
*lower bound* of the distance from its centre to the nearest wall line, so an
agent may only stand where that bound is at least its clearance: a centre is
then never in a wall, and because a step is shorter than a cell and a move
only between free neighbouring cells is accepted, no step crosses a wall.

Navigation is hierarchical, which keeps distance fields small: the building
graph (:mod:`facility.graph`) chooses the next door, and a *local field*
(:class:`Field`) gives the walking distance inside one space to that door (or
to an exit, or to a point such as a patient).  Local fields are computed by
Dijkstra on a 16-neighbour grid (metric error < 3 %), with a cost that rises
near walls so paths keep off walls, lazily and once per (space, target,
clearance).  Every field is packed into one flat array per level so that the
step loop looks up the walking direction of all agents at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
import shapely.ops
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Polygon

from facility.model import Facility

__all__ = ["Field", "LevelGrid", "build_grid", "compute_field"]

# 16 neighbour offsets (di, dj): 8 king moves and 8 knight moves.
_OFFSETS = np.array([(0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1),
                     (1, 2), (2, 1), (-1, 2), (-2, 1), (1, -2), (2, -1), (-1, -2), (-2, -1)])
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
        wall: Lower bound of each cell centre's distance to a wall (m);
            negative where standing is never allowed.
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
    space_ids: list[str]
    exit_ids: list[str]
    door_cells: dict[str, np.ndarray] = field(default_factory=dict)

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
        """Row and column of points ``xy`` (n, 2), clipped to the grid."""
        j = np.clip(((xy[:, 0] - self.x0) / self.h).astype(np.int64), 0, self.shape[1] - 1)
        i = np.clip(((xy[:, 1] - self.y0) / self.h).astype(np.int64), 0, self.shape[0] - 1)
        return i, j

    def centre(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Plan coordinates of cell centres."""
        return np.column_stack([self.x0 + (j + 0.5) * self.h, self.y0 + (i + 0.5) * self.h])

    def close_door(self, door_id: str) -> None:
        """Block a door's opening (no one may stand in it any more)."""
        cells = self.door_cells.get(door_id)
        if cells is not None:
            self.wall.ravel()[cells] = -1.0


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
        bx0, by0, bx1, by1 = s.polygon.bounds
        sl = (slice(max(0, int((by0 - y0) / h) - 1), int((by1 - y0) / h) + 2),
              slice(max(0, int((bx0 - x0) / h) - 1), int((bx1 - x0) / h) + 2))
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
        inside = shapely.contains_xy(ap, gx, gy) & ~floor
        exit_lab[inside] = k

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
    # A wall point lies in a hit cell, at most h/sqrt(2) from its centre.
    wall = ndimage.distance_transform_edt(~hit) * h - h / math.sqrt(2)
    walkable = floor | (exit_lab >= 0)
    wall = np.where(walkable, wall, -1.0)

    grid = LevelGrid(level=level, h=h, x0=x0, y0=y0, space=space, exit=exit_lab,
                     wall=wall.astype(np.float64), space_ids=space_ids,
                     exit_ids=[e.id for e in exits])
    for did, sg in door_segs.items():
        box = sg.buffer(DOOR_BAND, cap_style="flat")
        inside = shapely.contains_xy(box, gx, gy)
        grid.door_cells[did] = np.flatnonzero(inside)
    return grid


@dataclass(frozen=True)
class Field:
    """Walking distance (m) to a target inside a rectangular window of a level grid.

    Attributes:
        i0, j0: Grid row and column of the window's lower-left cell.
        dist: Distance of each window cell to the target (inf: not in the domain).
        direction: Unit walking direction of each cell (zero where unknown).
    """

    i0: int
    j0: int
    dist: np.ndarray
    direction: np.ndarray


def compute_field(grid: LevelGrid, domain: np.ndarray, sources: np.ndarray,
                  clearance: float, wall_range: float = 0.5) -> Field:
    """Distance field from ``sources`` over ``domain`` (both boolean masks of the grid).

    Cells closer to a wall than ``clearance`` are left out; cells within
    ``wall_range`` of a wall cost up to 3x, so routes run along the middle of
    corridors and doors.

    Args:
        grid: The level grid.
        domain: Cells a route may use.
        sources: Target cells (distance 0); must intersect the domain.
        clearance: Minimum wall distance of a usable cell (m).
        wall_range: Distance (m) from walls over which the extra cost fades.
    """
    ok = domain & (grid.wall >= clearance)
    src = sources & (grid.wall > -0.5)  # walkable, even if tight against a wall
    use = ok | src
    rows, cols = np.nonzero(use)
    if rows.size == 0 or not src.any():
        return Field(0, 0, np.full((1, 1), np.inf), np.zeros((1, 1, 2)))
    i0, i1, j0, j1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    win = use[i0:i1, j0:j1]
    ni, nj = win.shape
    idx = np.full(win.shape, -1, np.int64)
    idx[win] = np.arange(int(win.sum()))
    wd = grid.wall[i0:i1, j0:j1]
    cost = 1.0 + 2.0 * np.clip((wall_range - wd) / wall_range, 0.0, 1.0)
    a_list, b_list, w_list = [], [], []
    for di, dj in _OFFSETS:
        ia0, ia1 = max(0, -di), ni - max(0, di)
        ja0, ja1 = max(0, -dj), nj - max(0, dj)
        if ia1 <= ia0 or ja1 <= ja0:
            continue
        a = win[ia0:ia1, ja0:ja1]
        b = win[ia0 + di:ia1 + di, ja0 + dj:ja1 + dj]
        m = a & b
        if abs(di) + abs(dj) > 1:
            # Diagonal and knight moves need the cells they cut through.
            si, sj = int(np.sign(di)), int(np.sign(dj))
            for ci, cj in {(si, 0), (0, sj), (di - si, dj), (di, dj - sj)}:
                if (ci, cj) != (0, 0) and (ci, cj) != (di, dj):
                    m &= win[ia0 + ci:ia1 + ci, ja0 + cj:ja1 + cj]
        ra, ca = np.nonzero(m)
        ra += ia0
        ca += ja0
        length = grid.h * math.hypot(di, dj)
        a_list.append(idx[ra, ca])
        b_list.append(idx[ra + di, ca + dj])
        w_list.append(length * 0.5 * (cost[ra, ca] + cost[ra + di, ca + dj]))
    n = int(win.sum())
    graph = coo_matrix((np.concatenate(w_list), (np.concatenate(a_list), np.concatenate(b_list))),
                       shape=(n, n)).tocsr()
    src_idx = idx[src[i0:i1, j0:j1]]
    d = dijkstra(graph, directed=True, indices=src_idx, min_only=True)
    dist = np.full(win.shape, np.inf)
    dist[win] = d
    return Field(int(i0), int(j0), dist, _directions(dist, grid.h))


def _directions(dist: np.ndarray, h: float) -> np.ndarray:
    """Steepest-descent unit vectors over the 16 neighbours, then 3x3 smoothed."""
    ni, nj = dist.shape
    best = np.zeros((ni, nj))
    vec = np.zeros((ni, nj, 2))
    pad = 2
    p = np.full((ni + 2 * pad, nj + 2 * pad), np.inf)
    p[pad:-pad, pad:-pad] = dist
    finite = np.isfinite(dist)
    for di, dj in _OFFSETS:
        nb = p[pad + di:pad + di + ni, pad + dj:pad + dj + nj]
        with np.errstate(invalid="ignore"):
            slope = (dist - nb) / (h * math.hypot(di, dj))
        slope = np.where(np.isfinite(slope), slope, 0.0)
        better = slope > best
        best = np.where(better, slope, best)
        norm = math.hypot(di, dj)
        vec[better] = (dj / norm, di / norm)  # (x, y) = (column, row)
    sm = np.stack([ndimage.uniform_filter(vec[..., k] * finite, size=3) for k in (0, 1)], axis=-1)
    norm = np.linalg.norm(sm, axis=-1, keepdims=True)
    out = np.where(norm > 1e-9, sm / np.maximum(norm, 1e-9), vec)
    out[~finite] = 0.0
    return out
