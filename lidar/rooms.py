"""Room segmentation: split the floor into spaces at walls and doors.

The barrier map (walls plus the closure line of every detected door) cuts the
storey's interior into regions, but scans leave gaps in walls (occlusion,
unobserved parts), so plain connected components would leak.  Instead rooms
are *seeded* where free space is wider than ``2 * seed_radius`` (a gap in a
wall narrower than that never joins two seeds) and grown back through free
space, all seeds one cell per step; walls are shared by the regions on
either side, meeting on the wall's centre line.  Regions that the watershed
split inside one room (a narrowing by furniture, an L-shape) are merged
again: their shared boundary runs through floor seen to be open rather than
through wall or unobserved space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from lidar.options import ExtractOptions

__all__ = ["Segmentation", "seen_cells", "segment_rooms"]


@dataclass(frozen=True, slots=True)
class Segmentation:
    """Regions of one storey on the plan grid.

    Attributes:
        labels: int32 grid, 0 outside every region, 1..n a region.
        widths: Typical clear width (m) of each region, index = label.
    """

    labels: np.ndarray
    widths: np.ndarray


def segment_rooms(interior: np.ndarray, barrier: np.ndarray, observed: np.ndarray, cell: float,
                  options: ExtractOptions, *, open_ground: bool = False) -> Segmentation:
    """Label the rooms and corridors of one storey.

    Args:
        interior: Cells inside the scanned building.
        barrier: Cells of walls and door closures (already closed).
        observed: Cells where floor or ceiling was seen (for a scan, and
            their neighbours: see :func:`seen_cells`): only there is a
            boundary known to be open floor (unobserved is not evidence).
        cell: Grid cell (m).
        options: Seed radius, merge rule, minimum room area, exterior offset.
        open_ground: Seed unseen ground reached from the storey's edge apart
            (:func:`_seed_regions`): for a storey of wings, whose joints
            leave notches walled by a wall diagonal in every wing's frame.
            Elsewhere the ground is left to the seeds (on FR-079's 8 cm
            occupancy map, where most of a partly seen office is unseen
            cells, the edge reached into the offices).

    Returns:
        The :class:`Segmentation`; labels are consecutive, ordered by position.
    """
    interior = interior & ~_outer_rim(interior, interior & ~barrier & ~observed, cell)
    free = interior & ~barrier
    dist = ndimage.distance_transform_edt(np.pad(free, 1))[1:-1, 1:-1] * cell
    if open_ground:
        seeds, n, ground = _seed_regions(dist > options.seed_radius, interior, free & ~observed, cell)
    else:
        seeds, n = ndimage.label(dist > options.seed_radius)
        ground = frozenset()
    if n == 0:
        return Segmentation(np.zeros(interior.shape, dtype=np.int32), np.zeros(1))
    grown = _grow(seeds.astype(np.int32), free)
    interior = interior & ~(free & (grown == 0))  # free pockets no seed reaches are not rooms
    # Walls go to the nearest region: two rooms meet on the wall's centre line.
    _, (ii, jj) = ndimage.distance_transform_edt(grown == 0, return_indices=True)
    labels = np.where(interior, grown[ii, jj], 0).astype(np.int32)
    labels = _merge(labels, free & observed, cell, options, apart=ground)
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


_CROSS = ndimage.generate_binary_structure(2, 1)


def seen_cells(returns: np.ndarray, *, occupancy_map: bool) -> np.ndarray:
    """Cells taken as seen, from the cells holding floor or ceiling returns.

    A scan thinned to voxels of its own spacing shows floor in only about
    60 % of the open cells it covers, so a cell beside a return counts as
    seen: counted on the returns alone, a pocket between a cabinet and a
    bay's door, open to the bay along 1.75 m of floor, showed 1.1 m of it
    (under the 1.2 m that make an open boundary), stayed a room and took the
    bay's door (the sample hospital turned 45 degrees).  An occupancy map
    marks every voxel that held a return, so its cells are taken as they are
    (widened, FR-079's partly seen north-east office ran into the corridor's end).

    >>> r = np.zeros((3, 5), dtype=bool); r[1, 2] = True
    >>> seen_cells(r, occupancy_map=False).astype(int).tolist()
    [[0, 0, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 0, 0]]
    >>> int(seen_cells(r, occupancy_map=True).sum())
    1
    """
    if occupancy_map:
        return returns
    return np.asarray(ndimage.binary_dilation(returns, structure=_CROSS))

#: Depth (m) from the storey's hull over which unseen floor outside the outer
#: wall is cut away: a thick outer wall and its plaster.
RIM_DEPTH = 0.3


def _outer_rim(interior: np.ndarray, unseen_free: np.ndarray, cell: float) -> np.ndarray:
    """Unseen free cells at the storey's edge, reached from outside without crossing wall or seen floor.

    The storey is the hull of everything seen, and the floor seen in an
    exit's threshold reaches the outer face of the outer wall, so the hull
    runs along the whole facade a wall's thickness outside its inner face.
    That strip is outside the building but counted free: rooms grew along it
    round their neighbours' outer walls (on the sample hospital turned 45
    degrees the entrance hall's outer wall was left 2.4 m long, all of it the
    main entrance, and its 2.4 m exit no longer fitted).

    >>> inside = np.ones((9, 9), dtype=bool); inside[:, 0] = False
    >>> unseen = np.zeros((9, 9), dtype=bool); unseen[:, 1] = True; unseen[4, 2:6] = True
    >>> _outer_rim(inside, unseen, 0.1).astype(int)[4].tolist()
    [0, 1, 1, 1, 0, 0, 0, 0, 0]
    """
    depth = ndimage.distance_transform_edt(np.pad(interior, 1))[1:-1, 1:-1] * cell
    band = unseen_free & (depth <= RIM_DEPTH + 1e-9)
    return np.asarray(ndimage.binary_propagation(band & (depth <= cell + 1e-9), structure=_CROSS, mask=band))


#: Least area (m^2) of the unseen core of a piece of ground reached from the
#: storey's edge for it to be seeded on its own (see :func:`_seed_regions`).
OPEN_GROUND_MIN_AREA = 1.0


def _seed_regions(core: np.ndarray, interior: np.ndarray, unseen_free: np.ndarray, cell: float
                  ) -> tuple[np.ndarray, int, frozenset[int]]:
    """Seeds of the regions: the pieces of ``core`` (free space far from every wall), with the
    unseen ground the storey's edge reaches cut from the seen floor it touches.

    The storey is the hull of everything seen, so in the notch between two
    wings meeting at an angle it takes in ground outside.  The wall across
    the joint runs at a third angle, diagonal on the plan grid of either
    wing, and where the corridor's stations saw it at a grazing angle its
    face filled too few cells: through the gaps the corridor's seed ran
    into the notch, and the corridor took in 12 m^2 of ground outside (an
    L of two wings at 30 degrees: routes through it 11 % short).  Ground
    that the storey's edge reaches over cells with neither floor nor
    ceiling seen, and none of a wall, is seeded apart from the seen floor
    it touches, so it becomes a region of its own: a doorless one is then
    reported as ground outside, not made part of a room.  Shaft and stair
    voids behind a seen outer wall are not reached from the edge.

    Returns:
        The seeds (int32, 0 none), their count, and the labels of the seeds of
        such ground: they are not merged with a neighbour over open floor, as
        the seen floor beside them reaches over the wall they meet at.

    >>> core = np.zeros((6, 12), dtype=bool); core[2:4, 1:11] = True
    >>> unseen = np.zeros((6, 12), dtype=bool); unseen[:, 6:] = True
    >>> _seed_regions(core, np.ones((6, 12), dtype=bool), unseen, 1.0)[1:]
    (2, frozenset({2}))
    """
    depth = ndimage.distance_transform_edt(np.pad(interior, 1))[1:-1, 1:-1] * cell
    reached = ndimage.binary_propagation(unseen_free & (depth <= cell + 1e-9), structure=_CROSS,
                                         mask=unseen_free)
    ground, k = ndimage.label(core & reached)
    if k:
        sizes = np.bincount(ground.ravel(), minlength=k + 1) * cell * cell
        sizes[0] = 0.0
        ground = np.where(sizes[ground] >= OPEN_GROUND_MIN_AREA, ground, 0)
    seeds, n = ndimage.label(core & (ground == 0))
    if not ground.any():
        return seeds, n, frozenset()
    extra, m = ndimage.label(ground > 0)
    seeds = np.where(extra > 0, extra + n, seeds).astype(np.int32)
    return seeds, n + m, frozenset(range(n + 1, n + m + 1))


def _grow(seeds: np.ndarray, free: np.ndarray, max_steps: int = 400) -> np.ndarray:
    """Give every free cell to the seed it is nearest to along the floor.

    Seeds lie at least ``seed_radius`` from every wall, so for almost every
    cell the straight-line nearest seed is also the nearest along the floor;
    cells where that fails (their piece of a label is not connected to the
    label's seed, i.e. the nearest seed was through a wall) are regrown from
    their neighbours one cell per step.  A watershed's plateaus would instead
    let one region run along the walls of its neighbours.
    """
    _, (ii, jj) = ndimage.distance_transform_edt(seeds == 0, return_indices=True)
    lab = np.where(free | (seeds > 0), seeds[ii, jj], 0).astype(np.int32)
    # Keep, per label, only the pieces that touch its seed.
    lab[(lab > 0) & ~_seeded(lab, seeds)] = 0
    todo = free & (lab == 0)
    cross = ndimage.generate_binary_structure(2, 1)
    for _ in range(max_steps):
        if not todo.any():
            break
        near = ndimage.grey_dilation(lab, footprint=cross)
        new = todo & (near > 0)
        if not new.any():
            break
        lab[new] = near[new]
        todo &= ~new
    return lab


def _seeded(lab: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Cells joined to their own label's seed through cells of that label.

    Connectivity is taken per label: through all labelled cells a pocket
    given to the seed beyond a wall (behind a cabinet standing against the
    wall, nearer in a straight line to the next room's seed) was joined to
    that seed round the wall's end and kept, and the two rooms then met over
    the pocket's open floor and were merged.

    >>> lab = np.array([[1, 1, 1, 2], [2, 1, 1, 2]]); seeds = np.array([[1, 0, 0, 2], [0, 0, 0, 0]])
    >>> _seeded(lab, seeds).astype(int).tolist()
    [[1, 1, 1, 1], [0, 1, 1, 1]]
    """
    keep = np.zeros(lab.shape, dtype=bool)
    for k, sl in enumerate(ndimage.find_objects(lab), start=1):
        if sl is None:
            continue
        mine = lab[sl] == k
        pieces, _ = ndimage.label(mine)
        ids = np.unique(pieces[mine & (seeds[sl] == k)])
        keep[sl] |= np.isin(pieces, ids[ids > 0])
    return keep


def _merge(labels: np.ndarray, free: np.ndarray, cell: float, options: ExtractOptions, *,
           apart: frozenset[int] = frozenset()) -> np.ndarray:
    """Merge regions split through open floor, and regions too small to be a room.

    Regions ``apart`` (unseen ground reached from the storey's edge) merge
    over open floor only with each other.
    """
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
        ground = {find(k) for k in apart}
        for (a, b), (t, f) in sorted(contacts.items()):
            if (a in ground) != (b in ground):
                continue
            # Open floor seen along 1.2 m of the boundary is no wall at all;
            # shorter open stretches count when they are most of it.
            if f * cell >= 1.2 or (f * cell >= 0.6 and f / t >= options.merge_free_fraction):
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

