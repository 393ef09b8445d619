"""Doors: openings in walls with a lintel above, and their clear width.

A door leaves a gap in the wall band (floor to head height) but the wall
continues above its head as a lintel.  So the cells that are occupied in the
lintel band but free in the wall band, grouped, are opening candidates; a
candidate is a door if it is as long as a door can be wide and has wall (a
jamb) at both ends along its long axis.  That rejects beams across a
corridor (too long), ceiling lamps (no jambs) and shelf tops (not in the
lintel band).  The clear width is then measured on the points themselves:
the gap between the two jamb faces along the wall, which is far more precise
than the grid cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from lidar.grid import Grid, disk
from lidar.options import ExtractOptions

__all__ = ["Opening", "detect_openings", "rasterize_openings"]


@dataclass(frozen=True, slots=True)
class Opening:
    """A door-like opening found in the scan.

    Attributes:
        centre: Centre of the clear opening (plan, m).
        direction: Unit vector along the wall.
        width: Clear width between the jambs (m).
        depth: Thickness of the wall at the opening (m).
    """

    centre: tuple[float, float]
    direction: tuple[float, float]
    width: float
    depth: float

    @property
    def normal(self) -> tuple[float, float]:
        return (-self.direction[1], self.direction[0])


def detect_openings(grid: Grid, wall: np.ndarray, lintel: np.ndarray, floor: np.ndarray,
                    band_points: np.ndarray, options: ExtractOptions) -> list[Opening]:
    """Find door openings on one storey.

    Args:
        grid: The plan grid.
        wall: Cells filled in the wall band.
        lintel: Cells filled in the lintel band.
        floor: Cells where the floor was seen (it is seen through an opening,
            never under a wall hidden behind furniture).
        band_points: Plan coordinates (n, 2) of the points in the wall band,
            used to measure widths at point precision.
        options: Door width limits and the wall closing radius.

    Returns:
        Openings, in a deterministic order (by grid position).
    """
    c = grid.cell
    wall_near = ndimage.binary_dilation(wall, structure=disk(0.1 / c))
    only_lintel = lintel & ~wall_near
    # The two faces of a lintel lie a wall thickness apart: join them.
    grouped = ndimage.binary_dilation(only_lintel, structure=disk(options.wall_closing / c))
    labels, n = ndimage.label(grouped, structure=np.ones((3, 3)))
    if n == 0:
        return []
    jamb_zone = ndimage.binary_dilation(wall, structure=disk(0.15 / c))
    from scipy.spatial import cKDTree

    tree = cKDTree(band_points) if len(band_points) else None
    out: list[Opening] = []
    ii, jj = np.nonzero(only_lintel)
    lab = labels[ii, jj]
    order = np.argsort(lab, kind="stable")
    ii, jj, lab = ii[order], jj[order], lab[order]
    bounds = np.searchsorted(lab, np.arange(1, n + 2))
    for k in range(n):
        sl = slice(bounds[k], bounds[k + 1])
        if bounds[k + 1] - bounds[k] < 3:
            continue
        xy = grid.centres(ii[sl], jj[sl])
        centre = xy.mean(axis=0)
        cov = np.cov((xy - centre).T)
        evals, evecs = np.linalg.eigh(cov)
        u = evecs[:, 1]
        nrm = np.array([-u[1], u[0]])
        s = (xy - centre) @ u
        span = float(s.max() - s.min() + c)
        depth = float(np.ptp((xy - centre) @ nrm) + c)
        widest = max(options.door_max_width, options.exit_max_width)
        if span < 0.6 * options.door_min_width or span > widest + 0.4:
            continue
        if depth > span:
            continue
        if floor[ii[sl], jj[sl]].mean() < 0.5:
            continue  # a wall seen only above furniture, not an opening
        ends = np.array([centre + u * (s.min() - 0.12), centre + u * (s.max() + 0.12)])
        near = [grid.lookup(jamb_zone, e[None, :] + nrm[None, :] * off).any()
                for e in ends for off in (np.array([-1.0, 0.0, 1.0])[:, None] * 0.08)]
        if not (any(near[:3]) and any(near[3:])):
            continue
        width, shift = _measure(tree, band_points, centre, u, nrm, span, depth, options)
        if width is None or width > widest:
            continue
        mid = centre + u * shift
        if u[0] < 0 or (u[0] == 0 and u[1] < 0):
            u = -u
        out.append(Opening((float(mid[0]), float(mid[1])), (float(u[0]), float(u[1])), width, depth))
    return out


def _measure(tree: object, pts: np.ndarray, centre: np.ndarray, u: np.ndarray, nrm: np.ndarray,
             span: float, depth: float, options: ExtractOptions) -> tuple[float | None, float]:
    """Clear width between the jamb faces nearest the centre, and the centre's shift along u."""
    if tree is None:
        return span, 0.0
    reach = span / 2 + 0.6
    idx = tree.query_ball_point(centre, reach)  # type: ignore[attr-defined]
    if not idx:
        return span, 0.0
    p = pts[np.asarray(idx)] - centre
    along, across = p @ u, p @ nrm
    strip = np.abs(across) <= max(depth / 2, 0.1) + 0.05
    a = along[strip]
    left, right = a[a < 0], a[a > 0]
    if len(left) == 0 or len(right) == 0:
        # One jamb unseen: fall back on the lintel's length.
        return span, 0.0
    # The innermost point of a jamb is biased into the opening by the range
    # noise; the median of the points near it sits on the face itself.
    lo = float(np.median(left[left >= left.max() - 0.02]))
    hi = float(np.median(right[right <= right.min() + 0.02]))
    width = hi - lo
    if width < 0.5 * span:
        # Something (a person, a chair) stands in the opening; trust the lintel.
        return span, 0.0
    return width, (lo + hi) / 2


def rasterize_openings(grid: Grid, openings: list[Opening], extra: float = 0.1) -> np.ndarray:
    """Cells on the closure segment of each opening (to close rooms at doors)."""
    out = np.zeros(grid.shape, dtype=bool)
    c = grid.cell
    for o in openings:
        u, n = np.asarray(o.direction), np.asarray(o.normal)
        half = o.width / 2 + extra
        s = np.arange(-half, half + c / 2, c / 2)
        t = np.arange(-o.depth / 2, o.depth / 2 + c / 2, c / 2)
        xy = (np.asarray(o.centre) + s[:, None, None] * u + t[None, :, None] * n).reshape(-1, 2)
        i, j = grid.cells(xy)
        out[i, j] = True
    return out
