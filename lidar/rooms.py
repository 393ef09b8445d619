"""Room segmentation: split the floor into spaces at walls and doors.

The barrier map (walls plus the closure line of every detected door) cuts the
storey's interior into regions, but scans leave gaps in walls (occlusion,
unobserved parts), so plain connected components would leak.  Instead rooms
are *seeded* where free space is wider than ``2 * seed_radius`` (a gap in a
wall narrower than that never joins two seeds) and grown back by a watershed
on the distance to the nearest barrier; walls are shared by the regions on
either side, meeting on the wall's centre line.  Regions that the watershed
split inside one room (a narrowing by furniture, an L-shape) are merged
again: their shared boundary runs through open floor rather than wall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from lidar.options import ExtractOptions

__all__ = ["Segmentation", "segment_rooms"]


@dataclass(frozen=True, slots=True)
class Segmentation:
    """Regions of one storey on the plan grid.

    Attributes:
        labels: int32 grid, 0 outside every region, 1..n a region.
        widths: Typical clear width (m) of each region, index = label.
    """

    labels: np.ndarray
    widths: np.ndarray


def segment_rooms(interior: np.ndarray, barrier: np.ndarray, cell: float,
                  options: ExtractOptions) -> Segmentation:
    """Label the rooms and corridors of one storey.

    Args:
        interior: Cells inside the scanned building.
        barrier: Cells of walls and door closures (already closed).
        cell: Grid cell (m).
        options: Seed radius, merge rule, minimum room area, exterior offset.

    Returns:
        The :class:`Segmentation`; labels are consecutive, ordered by position.
    """
    free = interior & ~barrier
    dist = ndimage.distance_transform_edt(np.pad(free, 1))[1:-1, 1:-1] * cell
    seeds, n = ndimage.label(dist > options.seed_radius)
    if n == 0:
        return Segmentation(np.zeros(interior.shape, dtype=np.int32), np.zeros(1))
    top = 60000
    cost = np.full(interior.shape, 65535, dtype=np.uint16)
    scaled = np.clip(top - dist / cell * 50, 0, top - 1).astype(np.uint16)
    cost[free] = scaled[free]
    grown = ndimage.watershed_ift(cost, seeds.astype(np.int32))
    # Walls go to the nearest free region: two rooms meet on the wall's
    # centre line (the flood itself would let one label run along walls).
    grown[~free] = 0
    # Free pockets with no seed (the sill outside an exit, a duct) are not rooms.
    pockets, _ = ndimage.label(free)
    seeded = np.unique(pockets[seeds > 0])
    orphan = free & ~np.isin(pockets, seeded)
    grown[orphan] = 0
    interior = interior & ~orphan
    _, (ii, jj) = ndimage.distance_transform_edt(grown == 0, return_indices=True)
    labels = np.where(interior, grown[ii, jj], 0).astype(np.int32)
    labels = _merge(labels, free, cell, options)
    labels = _push_out(labels, interior, cell, options.exterior_offset)
    labels = _relabel(labels)
    widths = np.zeros(labels.max() + 1)
    if labels.max() > 0:
        for k, sl in enumerate(ndimage.find_objects(labels), start=1):
            if sl is None:
                continue
            d = dist[sl][(labels[sl] == k) & free[sl]]
            widths[k] = 2 * float(np.quantile(d, 0.95)) if len(d) else 0.0
    return Segmentation(labels, widths)


def _merge(labels: np.ndarray, free: np.ndarray, cell: float, options: ExtractOptions) -> np.ndarray:
    """Merge regions split through open floor, and regions too small to be a room."""
    n = int(labels.max())
    parent = np.arange(n + 1)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    for _ in range(4):
        cur = np.array([find(k) for k in range(n + 1)])[labels]
        contacts: dict[tuple[int, int], list[int]] = {}
        for a_sl, b_sl in (((slice(None), slice(0, -1)), (slice(None), slice(1, None))),
                           ((slice(0, -1), slice(None)), (slice(1, None), slice(None)))):
            la, lb = cur[a_sl], cur[b_sl]
            m = (la != lb) & (la > 0) & (lb > 0)
            both_free = (free[a_sl] & free[b_sl])[m]
            pa, pb = np.minimum(la[m], lb[m]), np.maximum(la[m], lb[m])
            key = pa.astype(np.int64) * (n + 1) + pb
            uniq, inv = np.unique(key, return_inverse=True)
            tot = np.bincount(inv)
            fr = np.bincount(inv, weights=both_free)
            for kk, t, f in zip(uniq.tolist(), tot.tolist(), fr.tolist(), strict=True):
                c = contacts.setdefault((kk // (n + 1), kk % (n + 1)), [0, 0])
                c[0] += int(t)
                c[1] += int(f)
        areas = np.bincount(cur.ravel(), minlength=n + 1) * cell * cell
        changed = False
        for (a, b), (t, f) in sorted(contacts.items()):
            if f * cell >= 0.6 and f / t >= options.merge_free_fraction:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
                    changed = True
        small = [k for k in range(1, n + 1) if find(k) == k and 0 < areas[k] < options.min_room_area]
        for k in small:
            best = max(((t, b if a == k else a) for (a, b), (t, _f) in contacts.items() if k in (a, b)),
                       default=None)
            if best is not None:
                parent[find(k)] = find(best[1])
                changed = True
        if not changed:
            break
    roots = np.array([find(k) for k in range(n + 1)])
    out = roots[labels]
    # A region still under the minimum area with no neighbour is noise.
    areas = np.bincount(out.ravel(), minlength=n + 1) * cell * cell
    out[(areas[out] < options.min_room_area)] = 0
    return out.astype(np.int32)


def _push_out(labels: np.ndarray, interior: np.ndarray, cell: float, offset: float) -> np.ndarray:
    """Grow regions outward by ``offset`` over the outer wall, which was seen from inside only."""
    if offset <= 0:
        return labels
    d, (ii, jj) = ndimage.distance_transform_edt(labels == 0, return_indices=True)
    grow = (labels == 0) & (d * cell <= offset + 1e-9)
    out = labels.copy()
    out[grow] = labels[ii[grow], jj[grow]]
    return out


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Consecutive labels 1..n, in order of first appearance (row-major), for stable ids."""
    flat = labels.ravel()
    nz = flat[flat > 0]
    _, first = np.unique(nz, return_index=True)
    order = nz[np.sort(first)]
    lut = np.zeros(int(labels.max()) + 1, dtype=np.int32)
    lut[order] = np.arange(1, len(order) + 1, dtype=np.int32)
    return lut[labels]

