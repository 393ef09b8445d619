"""Local distance fields: which way leads to a target inside one space.

A field (:class:`Field`) is the walking distance to a door, an exit or a point over the cells
of one space of a level raster (:class:`agents.movement.navigation.LevelGrid`), with the
steepest-descent walking direction of each cell.  It is computed by Dijkstra on a
16-neighbour grid (metric error < 3 %), with a cost that rises near walls so that paths keep
off them, lazily and once per (space, target, clearance) (:class:`agents.movement.routes.FieldStore`
packs every field into flat arrays, so the step looks up the direction of all agents at once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from scipy import ndimage

if TYPE_CHECKING:
    from agents.movement.navigation import LevelGrid

__all__ = ["Field", "compute_field"]

# 16 neighbour offsets (di, dj): 8 king moves and 8 knight moves.
_OFFSETS = np.array([(0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1),
                     (1, 2), (2, 1), (-1, 2), (-2, 1), (1, -2), (2, -1), (-1, -2), (-2, -1)])
#: Length of each move in cells.
_LENGTHS = np.array([math.hypot(di, dj) for di, dj in _OFFSETS.tolist()])


def _through(di: int, dj: int) -> list[tuple[int, int]]:
    """Cells a diagonal or knight move (di, dj) cuts through, which must be free as well."""
    if abs(di) + abs(dj) <= 1:
        return []
    si, sj = int(np.sign(di)), int(np.sign(dj))
    return sorted(c for c in {(si, 0), (0, sj), (di - si, dj), (di, dj - sj)} if c not in ((0, 0), (di, dj)))


#: Per move, the offsets of the cells it cuts through, padded with (0, 0) (the cell it starts in).
_THROUGH = np.array([(_through(di, dj) + [(0, 0)] * 4)[:4] for di, dj in _OFFSETS.tolist()], np.int64)


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
                  clearance: float, wall_range: float = 0.5, *,
                  window: tuple[int, int, int, int] | None = None) -> Field:
    """Distance field from ``sources`` over ``domain`` (both boolean masks of the grid).

    Cells no point of which has ``clearance`` of room are left out (the room is 1-Lipschitz,
    so a cell whose centre has less than ``clearance - h / sqrt(2)`` has none), and so are the
    cells of an opening too narrow for a footprint of half width ``clearance``
    (:attr:`LevelGrid.gate`).  A mover anywhere its footprint fits thus finds its cell in the
    field, even in a door of exactly its width, where the centre has a band of a few
    centimetres.  Cells within ``wall_range`` of a wall cost up to 3x, so routes run along the
    middle of corridors and doors.

    Args:
        grid: The level grid.
        domain: Cells a route may use.
        sources: Target cells (distance 0); must intersect the domain.
        clearance: Half width of the footprint (m): the room its centre needs.
        wall_range: Distance (m) from walls over which the extra cost fades.
        window: Rows and columns ``(i0, i1, j0, j1)`` of the grid outside which ``domain`` and
            ``sources`` hold no cell, if known: only that part of the level is looked at (the
            same field, for a fraction of the work on a long storey).
    """
    a0, a1, b0, b1 = window if window is not None else (0, grid.shape[0], 0, grid.shape[1])
    wall = grid.wall[a0:a1, b0:b1]
    gate = grid.gate[a0:a1, b0:b1]
    ok = domain[a0:a1, b0:b1] & (wall >= clearance - grid.h / math.sqrt(2)) & (gate >= clearance)
    src = sources[a0:a1, b0:b1] & (wall > -0.5)  # walkable, even if tight against a wall
    use = ok | src
    rows, cols = np.flatnonzero(use.any(axis=1)), np.flatnonzero(use.any(axis=0))
    if rows.size == 0 or not src.any():
        return Field(0, 0, np.full((1, 1), np.inf), np.zeros((1, 1, 2)))
    i0, i1, j0, j1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    win = use[i0:i1, j0:j1]
    wd = wall[i0:i1, j0:j1]
    cost = 1.0 + 2.0 * np.clip((wall_range - wd) / wall_range, 0.0, 1.0)
    dist = _dijkstra(win, cost, src[i0:i1, j0:j1], _OFFSETS, _LENGTHS * grid.h, _THROUGH)
    return Field(int(i0) + a0, int(j0) + b0, dist, _directions(dist, grid.h))


@njit(cache=True)
def _dijkstra(win: np.ndarray, cost: np.ndarray, src: np.ndarray,  # noqa: PLR0917 - numba, positional only
              offsets: np.ndarray, lengths: np.ndarray, through: np.ndarray) -> np.ndarray:
    """Shortest walking distance from the ``src`` cells over the ``win`` cells of a window.

    The graph is implicit: a cell of ``win`` joins each neighbour (``offsets``) in ``win`` whose
    move cuts only through cells of ``win`` (``through``), at ``length * (cost_a + cost_b) / 2``.
    Dijkstra with a binary heap; a cell's distance is the least of its in-neighbours' distance
    plus the edge, the same float whatever order equal paths are met in.  Cells off ``win`` are
    ``inf``.
    """
    ni, nj = win.shape
    dist = np.full((ni, nj), np.inf)
    done = np.zeros((ni, nj), np.bool_)
    cap = ni * nj + 16  # grows if a cell is queued more than once on average
    heap_d = np.empty(cap)
    heap_c = np.empty(cap, np.int64)
    size = 0
    for i in range(ni):
        for j in range(nj):
            if src[i, j] and win[i, j]:
                dist[i, j] = 0.0
                heap_d[size] = 0.0
                heap_c[size] = i * nj + j
                size += 1
    n_off = offsets.shape[0]
    while size > 0:
        du = heap_d[0]
        u = heap_c[0]
        size -= 1
        if size > 0:
            # Sift the last entry down from the root.
            ld, lc = heap_d[size], heap_c[size]
            pos = 0
            while True:
                child = 2 * pos + 1
                if child >= size:
                    break
                if child + 1 < size and heap_d[child + 1] < heap_d[child]:
                    child += 1
                if heap_d[child] < ld:
                    heap_d[pos], heap_c[pos] = heap_d[child], heap_c[child]
                    pos = child
                else:
                    break
            heap_d[pos], heap_c[pos] = ld, lc
        ui, uj = u // nj, u % nj
        if done[ui, uj] or du > dist[ui, uj]:
            continue
        done[ui, uj] = True
        for o in range(n_off):
            vi, vj = ui + offsets[o, 0], uj + offsets[o, 1]
            if vi < 0 or vi >= ni or vj < 0 or vj >= nj or not win[vi, vj] or done[vi, vj]:
                continue
            free = True
            for c in range(4):
                ti, tj = ui + through[o, c, 0], uj + through[o, c, 1]
                if ti < 0 or ti >= ni or tj < 0 or tj >= nj or not win[ti, tj]:
                    free = False
                    break
            if not free:
                continue
            nd = du + lengths[o] * 0.5 * (cost[ui, uj] + cost[vi, vj])
            if nd < dist[vi, vj]:
                dist[vi, vj] = nd
                if size == heap_d.size:
                    heap_d = np.concatenate((heap_d, np.empty(size)))
                    heap_c = np.concatenate((heap_c, np.empty(size, np.int64)))
                pos = size
                size += 1
                while pos > 0:
                    parent = (pos - 1) // 2
                    if heap_d[parent] <= nd:
                        break
                    heap_d[pos], heap_c[pos] = heap_d[parent], heap_c[parent]
                    pos = parent
                heap_d[pos], heap_c[pos] = nd, vi * nj + vj
    return dist


@njit(cache=True)
def _steepest(dist: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Per cell, the unit (x, y) of the move among ``offsets`` (``lengths`` m long) down which the
    distance falls fastest (the first such in offset order); zero where none falls (or off the field)."""
    ni, nj = dist.shape
    vec = np.zeros((ni, nj, 2))
    for i in range(ni):
        for j in range(nj):
            best = 0.0
            for o in range(offsets.shape[0]):
                vi, vj = i + offsets[o, 0], j + offsets[o, 1]
                nb = dist[vi, vj] if 0 <= vi < ni and 0 <= vj < nj else np.inf
                slope = (dist[i, j] - nb) / lengths[o]
                if math.isfinite(slope) and slope > best:
                    best = slope
                    vec[i, j, 0], vec[i, j, 1] = units[o, 0], units[o, 1]
    return vec


def _directions(dist: np.ndarray, h: float) -> np.ndarray:
    """Steepest-descent unit vectors over the 16 neighbours, then 3x3 smoothed."""
    finite = np.isfinite(dist)
    vec = _steepest(dist, _OFFSETS, h * _LENGTHS, _OFFSETS[:, ::-1] / _LENGTHS[:, None])
    sm = np.stack([ndimage.uniform_filter(vec[..., k] * finite, size=3) for k in (0, 1)], axis=-1)
    norm = np.linalg.norm(sm, axis=-1, keepdims=True)
    out = np.where(norm > 1e-9, sm / np.maximum(norm, 1e-9), vec)
    out[~finite] = 0.0
    return out
