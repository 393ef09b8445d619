"""The plan grid: how much of each height band every plan cell is filled.

A wall is a column that is occupied over most of its height; a table is not.
Counting, per plan cell, how many distinct height bins of a band hold points
(rather than how many points) makes the measure independent of scan density,
range and down-sampling: a wall face fills every bin of the wall band whether
it was scanned at 1 cm or seen as 8 cm occupancy voxels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from lidar.preprocess import sorted_unique

__all__ = ["Columns", "Grid", "close", "disk", "hull_mask"]


@dataclass(frozen=True, slots=True)
class Grid:
    """A regular plan grid: row ``i`` is y, column ``j`` is x.

    Attributes:
        x0: x of the left edge of column 0.
        y0: y of the bottom edge of row 0.
        cell: Cell edge (m).
        shape: (rows, columns).
    """

    x0: float
    y0: float
    cell: float
    shape: tuple[int, int]

    @classmethod
    def covering(cls, xy: np.ndarray, cell: float, margin: float = 1.0) -> Grid:
        """The grid covering ``xy`` with ``margin`` metres to spare on every side."""
        lo = xy.min(axis=0) - margin
        hi = xy.max(axis=0) + margin
        ncol, nrow = (np.ceil((hi - lo) / cell).astype(int) + 1).tolist()
        return cls(float(lo[0]), float(lo[1]), cell, (int(nrow), int(ncol)))

    def cells(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of each point (clipped to the grid)."""
        j = np.clip(((xy[:, 0] - self.x0) / self.cell).astype(np.int64), 0, self.shape[1] - 1)
        i = np.clip(((xy[:, 1] - self.y0) / self.cell).astype(np.int64), 0, self.shape[0] - 1)
        return i, j

    def centres(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Plan coordinates of cell centres."""
        return np.column_stack([self.x0 + (j + 0.5) * self.cell, self.y0 + (i + 0.5) * self.cell])

    def lookup(self, mask: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """Values of a grid array at plan points (outside the grid: zero)."""
        j = np.floor((xy[:, 0] - self.x0) / self.cell).astype(np.int64)
        i = np.floor((xy[:, 1] - self.y0) / self.cell).astype(np.int64)
        ok = (i >= 0) & (i < self.shape[0]) & (j >= 0) & (j < self.shape[1])
        out = np.zeros(len(xy), dtype=mask.dtype)
        out[ok] = mask[i[ok], j[ok]]
        return out


@dataclass(frozen=True, slots=True)
class Columns:
    """Which height bins of each plan cell hold a point, for one storey.

    Built with one sort of the storey's points; every band's fill is then a
    cheap count (:meth:`fill`).

    Attributes:
        grid: The plan grid.
        z0: Height of the bottom of bin 0.
        zbin: Bin height (m).
        cell: Flat cell index of every occupied (cell, bin) pair.
        bin: Bin index of every occupied pair.
    """

    grid: Grid
    z0: float
    zbin: float
    cell: np.ndarray
    bin: np.ndarray

    @classmethod
    def of(cls, grid: Grid, points: np.ndarray, z0: float, z1: float, zbin: float) -> Columns:
        nbins = max(1, int(np.ceil((z1 - z0) / zbin)))
        m = (points[:, 2] >= z0) & (points[:, 2] < z0 + nbins * zbin)
        p = points[m]
        i, j = grid.cells(p[:, :2])
        k = ((p[:, 2] - z0) / zbin).astype(np.int64)
        occupied = sorted_unique((i * grid.shape[1] + j) * nbins + k)
        return cls(grid, z0, zbin, occupied // nbins, occupied % nbins)

    def fill(self, lo: float, hi: float) -> np.ndarray:
        """Fraction of the bins of ``[lo, hi)`` that hold a point, per cell.

        >>> g = Grid(0.0, 0.0, 0.1, (1, 2))
        >>> wall = np.array([[0.05, 0.05, z] for z in np.arange(0.0, 1.0, 0.05)])
        >>> Columns.of(g, wall, 0.0, 1.0, 0.1).fill(0.0, 1.0).round(2).tolist()
        [[1.0, 0.0]]
        """
        a = max(0, round((lo - self.z0) / self.zbin))
        b = max(a + 1, round((hi - self.z0) / self.zbin))
        sel = (self.bin >= a) & (self.bin < b)
        counts = np.bincount(self.cell[sel], minlength=self.grid.shape[0] * self.grid.shape[1])
        return (counts / (b - a)).reshape(self.grid.shape)


def hull_mask(mask: np.ndarray) -> np.ndarray:
    """Cells inside the convex hull of the true cells of ``mask``.

    >>> m = np.zeros((5, 5), dtype=bool); m[0, 0] = m[0, 4] = m[4, 0] = m[4, 4] = True
    >>> int(hull_mask(m).sum())
    25
    """
    from scipy.spatial import ConvexHull, QhullError

    ii, jj = np.nonzero(mask)
    if len(ii) < 3:
        return mask.copy()
    pts = np.column_stack([jj, ii]).astype(float)
    try:
        hull = ConvexHull(pts)
    except QhullError:
        return mask.copy()
    yy, xx = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]]
    inside = np.ones(mask.shape, dtype=bool)
    for a, b, c in hull.equations:
        inside &= a * xx + b * yy + c <= 0.5
    return inside


def disk(radius_cells: float) -> np.ndarray:
    """A disk structuring element of the given radius in cells (at least 3 x 3).

    >>> disk(1).astype(int).tolist()
    [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    """
    r = max(1, round(radius_cells))
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    return np.asarray(x * x + y * y <= r * r)


def close(mask: np.ndarray, radius_cells: float) -> np.ndarray:
    """Morphological closing with a disk, padded so borders do not erode."""
    r = max(1, round(radius_cells))
    padded = np.pad(mask, r + 1)
    out = ndimage.binary_closing(padded, structure=disk(r))
    return np.asarray(out[r + 1 : -(r + 1), r + 1 : -(r + 1)])
