"""Storeys from the height histogram: floors and ceilings are its strongest peaks.

In a building scan the horizontal surfaces that cover a whole storey (floor
slabs and ceilings) put far more points in one height bin than walls or
furniture do.  Scanning the peaks from the bottom up, a floor is followed by a
ceiling between ``min_storey_height`` and ``max_storey_height`` above it, and
the next floor is the next peak above that ceiling.  Where a scan lacks a
floor or ceiling peak (a floor cut away, an occupancy map without ceiling) the
lowest or highest percentile of the points stands in, and the storey records
that it was estimated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lidar.options import ExtractOptions

__all__ = ["MAX_SLAB_ZONE", "Storey", "split_levels"]

#: Largest height (m) from a ceiling to the next floor: slab, plenum and
#: raised floor together (hospital plenums reach 1.5-2 m).
MAX_SLAB_ZONE = 2.5


@dataclass(frozen=True, slots=True)
class Storey:
    """One storey found in the scan.

    Attributes:
        floor: Floor height (m, scan frame).
        ceiling: Ceiling height (m, scan frame).
        low: Lowest point height assigned to this storey.
        high: Highest point height assigned to this storey.
        estimated: Names of surfaces that were not seen as a peak ("floor", "ceiling").
    """

    floor: float
    ceiling: float
    low: float
    high: float
    estimated: tuple[str, ...] = ()

    @property
    def height(self) -> float:
        return self.ceiling - self.floor


def _peaks(z: np.ndarray, bin_: float) -> tuple[np.ndarray, np.ndarray]:
    """Heights and counts of the significant local maxima of the z histogram."""
    lo, hi = float(z.min()), float(z.max())
    edges = np.arange(lo, hi + 2 * bin_, bin_)
    counts, edges = np.histogram(z, bins=edges)
    if len(counts) < 3:
        return np.empty(0), np.empty(0)
    # A floor or ceiling bin holds several times what a wall-only bin holds.
    base = float(np.median(counts[counts > 0]))
    threshold = max(3.0 * base, 0.15 * float(counts.max()))
    padded = np.concatenate([[0], counts, [0]])
    is_max = (counts >= padded[:-2]) & (counts > padded[2:]) & (counts >= threshold)
    idx = np.flatnonzero(is_max)
    # Centre of mass of the peak and its two neighbours: sub-bin floor height.
    heights = []
    for i in idx:
        j = slice(max(i - 1, 0), min(i + 2, len(counts)))
        centres = (edges[j] + edges[1:][j]) / 2
        heights.append(float(np.average(centres, weights=counts[j])))
    return np.asarray(heights), counts[idx].astype(float)


def split_levels(points: np.ndarray, options: ExtractOptions) -> list[Storey]:
    """Find the storeys of a scan, bottom to top.

    Args:
        points: ``(n, 3)`` points in metres (down-sampled is fine).
        options: Uses ``level_bin``, ``min_storey_height``, ``max_storey_height``.

    Returns:
        At least one :class:`Storey`.
    """
    z = points[:, 2]
    heights, _ = _peaks(z, options.level_bin)
    storeys: list[Storey] = []
    floor_i = 0
    bottom = float(np.quantile(z, 0.002))
    while True:
        remaining = z[z >= (storeys[-1].high if storeys else -np.inf)]
        if len(remaining) < 100:
            break
        estimated: list[str] = []
        cand = heights[heights >= (storeys[-1].ceiling + 0.05 if storeys else -np.inf)]
        base = float(np.quantile(remaining, 0.002)) if storeys else bottom
        # Above a storey, stairwells and shafts put points into the slab zone,
        # so the next floor is the next peak within a slab (and plenum) of the ceiling.
        reach = storeys[-1].ceiling + MAX_SLAB_ZONE if storeys else base + 0.5
        if floor_i < len(heights) and len(cand) and cand[0] <= reach:
            floor = float(cand[0])
        else:
            if storeys:
                break  # nothing floor-like above the last ceiling: no further storey
            floor = base
            estimated.append("floor")
        lo, hi = floor + options.min_storey_height, floor + options.max_storey_height
        above = cand[(cand >= lo) & (cand <= hi)]
        if len(above):
            ceiling = float(above[0])
        else:
            inside = z[(z > floor) & (z <= floor + options.max_storey_height)]
            ceiling = float(np.quantile(inside, 0.998)) if len(inside) else floor + options.min_storey_height
            estimated.append("ceiling")
        if ceiling - floor < 1.0:
            break
        low = storeys[-1].high if storeys else float(z.min())
        storeys.append(Storey(floor, ceiling, low, ceiling + 0.15, tuple(estimated)))
        if "ceiling" in estimated:
            break
    if not storeys:
        storeys.append(Storey(bottom, float(np.quantile(z, 0.998)), float(z.min()), float(z.max()),
                              ("floor", "ceiling")))
    # The top storey keeps everything above it (roof clutter); the slab between
    # storeys belongs to the storey below.
    last = storeys[-1]
    storeys[-1] = Storey(last.floor, last.ceiling, last.low, max(last.high, float(z.max())) + 1e-9,
                         last.estimated)
    out = []
    for i, s in enumerate(storeys):
        high = storeys[i + 1].floor - 0.1 if i + 1 < len(storeys) else s.high
        out.append(Storey(s.floor, s.ceiling, s.low, high, s.estimated))
    return out
