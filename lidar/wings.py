"""Wings at other angles: one storey cut into the regions of its wall families, joined at the seams.

A building whose wings meet at an angle (an L whose arms meet at 30 degrees,
a ward block set at 45 degrees to the main street) has two families of
walls on one storey.  Extracted in the frame of one family, the other wing's
walls are diagonal on the plan grid, break up into staircases of cells and
lose partitions and jambs: on an L of two office wings at 30 degrees half
the rooms and doors of the turned wing were lost.  So the storey is cut into
the regions where each family rules (:func:`wing_regions`, from the local
direction of the walls), the whole storey is extracted once in each wing's
frame, and :func:`join_wings` keeps of each extraction what lies in its own
region: a space found in both (the corridor that runs through the joint, a
room the seam cuts) is the union of its two pieces, each from the frame its
walls follow; doors and exits come from the extraction whose region they lie
in, seated on the walls of the joined spaces.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import shapely
from scipy import ndimage
from shapely import STRtree
from shapely.geometry import MultiPolygon, Point, Polygon, box

from facility.model import Door, Space, SpaceKind
from lidar.exits import ExitCandidate
from lidar.frame import PLAN_PRECISION, StoreyFrame, seat
from lidar.grid import Grid
from lidar.polygons import region_polygons

__all__ = ["Joined", "WingPart", "carve_unseen", "join_wings", "wing_regions"]

#: Spread (m, Gaussian sigma) over which the local wall direction is pooled:
#: wider than a wall's thickness and a door, narrower than a 4 m room, so
#: every room takes the direction of its own walls.
DIRECTION_SPREAD = 1.0

#: A region of one wall family smaller than this (m^2) is furniture, a bay
#: window or a splayed wall at the joint, and goes to the family around it.
MIN_WING_AREA = 30.0

#: Half width (m) of the band along a seam where two wings' extractions are
#: compared: both see the walls there as they are (a room's worth of floor);
#: farther from the seam the other wing's extraction is diagonal and may leak.
SEAM_BAND = 1.5

#: Two spaces, one from each wing's extraction, are the same space when,
#: within the seam band, one covers at least this share of the other's floor
#: on the other's own side, and the other at least
#: :data:`SAME_SPACE_LEAST_SHARE` of the first's (a corridor through a joint
#: at 45 degrees: 97 % one way, 32 % the other, where one extraction's
#: corridor took in the outside corner of the joint; two rooms either side
#: of a wall on the seam: under 1 % both ways).
SAME_SPACE_SHARE = 0.6
SAME_SPACE_LEAST_SHARE = 0.25

#: Least floor (m^2) two spaces must share in the seam band to be one space.
SAME_SPACE_MIN_AREA = 0.5

#: Doors (m) of two wings' extractions nearer than this and joining the same
#: two spaces are one door seen twice at the seam.
SAME_DOOR_DISTANCE = 0.5


@dataclass(frozen=True, slots=True)
class WingPart:
    """One wing's extraction of a whole storey, turned back into the scan frame.

    Attributes:
        frame: The wing's frame (its walls along the axes).
        region: Plan region (scan frame) where this wing's walls rule.
        spaces: Spaces kept by the wing's extraction.
        dropped: Spaces its extraction left out (no door found).
        doors: Its doors.
        judged: Its exits, with their evidence.
        warnings: Its warnings (ids and positions of its own extraction).
        side_rooms: Ids of its rooms cut by the corridor-side step.
    """

    frame: StoreyFrame
    region: Polygon | MultiPolygon
    spaces: list[Space]
    dropped: list[Space]
    doors: list[Door]
    judged: list[ExitCandidate]
    warnings: list[str]
    side_rooms: list[str]


@dataclass(frozen=True, slots=True)
class Joined:
    """The storey after :func:`join_wings`: spaces, left-out spaces, doors, exits and notes."""

    spaces: list[Space]
    dropped: list[Space]
    doors: list[Door]
    judged: list[ExitCandidate]
    notes: list[str]
    side_rooms: list[str]


def wing_regions(grid: Grid, wall: np.ndarray, angles: Sequence[float]) -> list[Polygon | MultiPolygon]:
    """The plan region of each wall family: where the walls nearby follow it.

    The direction of the walls round each cell comes from the gradients of
    the wall mask, pooled over :data:`DIRECTION_SPREAD` with angles taken
    four times (so walls at right angles to each other agree); each cell
    goes to the family nearest that direction, cells with no wall nearby to
    the nearest cell that has one, and islands under :data:`MIN_WING_AREA`
    to the family around them.

    Args:
        grid: The coarse plan grid of ``wall`` (scan frame).
        wall: Wall mask.
        angles: Direction of each family (radians, scan frame); the first is
            the main one.

    Returns:
        One region per family, in the order given; together they cover the
        plane (the main family's takes everything beyond the grid), and a
        family that rules nowhere has an empty region.
    """
    smooth = ndimage.gaussian_filter(wall.astype(float), 1.0)
    gy, gx = ndimage.sobel(smooth, axis=0), ndimage.sobel(smooth, axis=1)
    weight = gx * gx + gy * gy
    phi = np.arctan2(gy, gx)
    sigma = DIRECTION_SPREAD / grid.cell
    c4 = ndimage.gaussian_filter(weight * np.cos(4 * phi), sigma)
    s4 = ndimage.gaussian_filter(weight * np.sin(4 * phi), sigma)
    strength = np.hypot(c4, s4)
    scores = np.stack([c4 * math.cos(4 * a) + s4 * math.sin(4 * a) for a in angles])
    labels = np.argmax(scores, axis=0).astype(np.int32) + 1
    known = strength > 0.05 * float(strength.max()) if strength.max() > 0 else np.zeros_like(wall)
    if not known.any():
        known = np.ones_like(wall)
    labels = _nearest_fill(labels, known)
    min_cells = MIN_WING_AREA / grid.cell**2
    for _ in range(3):
        small = np.zeros(labels.shape, dtype=bool)
        for k in range(1, len(angles) + 1):
            pieces, n = ndimage.label(labels == k)
            if n:
                sizes = np.bincount(pieces.ravel())
                sizes[0] = 0
                small |= (pieces > 0) & (sizes[pieces] < min_cells)
        if not small.any() or small.all():
            break
        labels = _nearest_fill(labels, ~small)
    polys = region_polygons(labels, grid, 2 * grid.cell)
    regions: list[Polygon | MultiPolygon] = []
    for k in range(2, len(angles) + 1):
        regions.append(shapely.make_valid(polys[k]) if k in polys else Polygon())
    rest = box(grid.x0 - 1e4, grid.y0 - 1e4, grid.x0 + 1e4, grid.y0 + 1e4)
    for r in regions:
        rest = rest.difference(r)
    return [rest, *regions]


def _nearest_fill(labels: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Every cell given the label of the nearest ``known`` cell."""
    _, (ii, jj) = ndimage.distance_transform_edt(~known, return_indices=True)
    return np.asarray(labels[ii, jj])


def join_wings(lid: str, parts: Sequence[WingPart], *, min_area: float) -> Joined:
    """One storey from the extractions of its wings, each kept where its walls rule.

    Args:
        lid: Level id (new ids are ``{lid}-C01``, ``{lid}-R01``, ``{lid}-D01``, ``{lid}-X01``).
        parts: The wings' extractions; their regions must not overlap.
        min_area: Smallest space (m^2) kept (a sliver the seam cut off is not a room).

    Returns:
        The joined storey; ``notes`` are the wings' warnings with the new ids
        (a warning about a space the join replaced is left out).
    """
    members = [(k, s) for k, p in enumerate(parts) for s in p.spaces]
    if not members:
        return Joined([], [s for p in parts for s in p.dropped], [], [], [], [])
    parent = list(range(len(members)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    polys = [s.polygon for _, s in members]
    tree = STRtree(polys)
    bands: dict[tuple[int, int], shapely.Geometry] = {}
    for qa, qb in zip(*tree.query(polys, predicate="intersects"), strict=True):
        a, b = int(qa), int(qb)
        ka, kb = members[a][0], members[b][0]
        if a < b and ka != kb:
            key = (min(ka, kb), max(ka, kb))
            if key not in bands:
                seam = parts[key[0]].region.boundary.intersection(parts[key[1]].region.boundary)
                bands[key] = seam.buffer(SEAM_BAND)
            if _same_at_seam(polys[a], polys[b], parts[ka].region, parts[kb].region, bands[key]):
                parent[find(b)] = find(a)
    groups: dict[int, list[int]] = {}
    for m in range(len(members)):
        groups.setdefault(find(m), []).append(m)
    made: list[tuple[Polygon, Space, list[int]]] = []
    for ids in groups.values():
        pieces = [(members[m][1].polygon.intersection(parts[members[m][0]].region), m) for m in ids]
        whole = _largest(shapely.set_precision(shapely.union_all([p for p, _ in pieces]), PLAN_PRECISION))
        if whole.area < min_area:
            continue
        lead = members[max(pieces, key=lambda pm: pm[0].area)[1]][1]
        made.append((whole, lead, ids))
    made.sort(key=lambda t: (t[1].kind is not SpaceKind.CORRIDOR, round(t[0].centroid.y, 1),
                             round(t[0].centroid.x, 1)))
    spaces: list[Space] = []
    new_id: dict[tuple[int, str], str] = {}
    counts = {True: 0, False: 0}
    for poly, lead, ids in made:
        corridor = lead.kind is SpaceKind.CORRIDOR
        counts[corridor] += 1
        n = counts[corridor]
        sid = f"{lid}-{'C' if corridor else 'R'}{n:02d}"
        name = f"{'corridor' if corridor else 'room'} {n} ({lid})"
        spaces.append(replace(lead, id=sid, polygon=poly, name=name))
        for m in ids:
            new_id[(members[m][0], members[m][1].id)] = sid
    by_id = {s.id: s for s in spaces}
    kept_tree = STRtree([s.polygon for s in spaces]) if spaces else None

    def mapped(k: int, s: Space) -> str | None:
        """The joined space an old space of wing ``k`` went into: its own, or the one it overlaps most."""
        if (k, s.id) in new_id:
            return new_id[(k, s.id)]
        if kept_tree is None:
            return None
        near = [int(i) for i in kept_tree.query(s.polygon, predicate="intersects")]
        best = max(near, key=lambda i: spaces[i].polygon.intersection(s.polygon).area, default=None)
        if best is None or spaces[best].polygon.intersection(s.polygon).area < 0.3 * s.polygon.area:
            return None
        return spaces[best].id

    old = [{s.id: s for s in [*p.spaces, *p.dropped]} for p in parts]
    doors: list[Door] = []
    for k, p in enumerate(parts):
        for d in p.doors:
            if not _inside(p.region, d.at):
                continue
            ends = [mapped(k, old[k][sid]) if sid in old[k] else None for sid in d.spaces]
            if ends[0] is None or ends[1] is None or ends[0] == ends[1]:
                continue
            pair = (ends[0], ends[1])
            at = seat(d.at, [by_id[sid].polygon.boundary for sid in pair])
            if any(set(x.spaces) == set(pair) and math.dist(x.at, at) < SAME_DOOR_DISTANCE for x in doors):
                continue
            doors.append(replace(d, id=f"{lid}-D{len(doors) + 1:02d}", spaces=pair, at=at))
    judged: list[ExitCandidate] = []
    for k, p in enumerate(parts):
        for j in p.judged:
            host = mapped(k, old[k][j.exit.space]) if j.exit.space in old[k] else None
            if host is None or not _inside(p.region, j.exit.at):
                continue
            at = seat(j.exit.at, [by_id[host].polygon.boundary])
            if any(math.dist(x.exit.at, at) < SAME_DOOR_DISTANCE for x in judged):
                continue
            ex = replace(j.exit, id=f"{lid}-X{len(judged) + 1:02d}", space=host, at=at)
            judged.append(replace(j, exit=ex))
    dropped: list[Space] = []
    for k, p in enumerate(parts):
        for s in p.dropped:
            c = s.polygon.centroid
            seen_before = any(x.polygon.intersection(s.polygon).area > 0.5 * s.polygon.area for x in dropped)
            if _inside(p.region, (c.x, c.y)) and mapped(k, s) is None and not seen_before:
                dropped.append(s)
    notes: list[str] = []
    side: list[str] = []
    for k, p in enumerate(parts):
        names = {sid: new_id[(k, sid)] for (kk, sid) in new_id if kk == k}
        names |= {d.id: "" for d in p.doors}
        notes += [f"(wing whose walls run at {_deg(p.frame)} degrees) {w}"
                  for w in _renamed(_in_scan_frame(p.warnings, p.frame, p.region), lid, names)]
        side += [names[s] for s in p.side_rooms if names.get(s)]
    return Joined(spaces, dropped, doors, judged, notes, sorted(set(side)))


#: Plan cell (m) on which floor and ceiling seen are mapped for :func:`carve_unseen`.
UNSEEN_CELL = 0.1
#: Floor or ceiling seen within this distance (m) of a cell counts for it: the
#: wall's foot and the far, sparse end of a long corridor's floor.
UNSEEN_REACH = 0.2
#: A part of a corridor at least this large (m^2) with neither floor nor
#: ceiling seen is void walled in at the joint, not corridor.
UNSEEN_MIN_AREA = 1.0


def carve_unseen(spaces: Sequence[Space], points: np.ndarray, *, floor: float, ceiling: float) -> list[Space]:
    """Corridors joined across a seam, less the ground walled in at the joint that no scanner saw.

    Where two wings meet at an angle, rooms either side of the joint leave a
    wedge of void between their walls and the corridor's (a triangle 6 m^2 on
    two office wings at 30 degrees).  Nothing is seen in it, but in the
    frame of the wing whose walls run across it the wedge's diagonal wall is
    a staircase of cells with gaps, and the wedge joined the corridor: routes
    through the joint then cut across it (11 % route error).  A corridor is
    always scanned from inside, so any part of it of at least
    :data:`UNSEEN_MIN_AREA` with neither floor nor ceiling seen within
    :data:`UNSEEN_REACH` is cut off; rooms are left as they are (a room only
    glimpsed through its door has unseen parts of its own).

    Args:
        spaces: The joined storey's spaces (scan frame).
        points: The storey's points (n, 3), scan frame.
        floor: Height of the storey's floor.
        ceiling: Height of its ceiling.

    Returns:
        The spaces, corridors carved (each keeps its largest part).
    """
    corridors = [s for s in spaces if s.kind is SpaceKind.CORRIDOR]
    if not corridors:
        return list(spaces)
    grid = Grid.covering(points[:, :2], UNSEEN_CELL)
    flat = (np.abs(points[:, 2] - floor) < 0.1) | (np.abs(points[:, 2] - ceiling) < 0.1)
    seen = np.zeros(grid.shape, dtype=bool)
    seen[grid.cells(points[flat, :2])] = True
    seen = ndimage.binary_dilation(seen, iterations=max(1, round(UNSEEN_REACH / UNSEEN_CELL)))
    centres = grid.centres(*np.indices(grid.shape).reshape(2, -1)).reshape(*grid.shape, 2)
    out = []
    for s in spaces:
        if s.kind is not SpaceKind.CORRIDOR:
            out.append(s)
            continue
        inside = shapely.contains_xy(s.polygon, centres[..., 0], centres[..., 1])
        lab, n = ndimage.label(inside & ~seen)
        big = [k + 1 for k, size in enumerate(np.bincount(lab.ravel(), minlength=n + 1)[1:])
               if size * UNSEEN_CELL**2 >= UNSEEN_MIN_AREA]
        if not big:
            out.append(s)
            continue
        void = shapely.union_all(list(region_polygons(np.where(np.isin(lab, big), 1, 0), grid, 0.0).values()))
        # Grown back by the reach the seen cells were widened by.
        carved = _largest(s.polygon.difference(void.buffer(UNSEEN_REACH, join_style="mitre")))
        out.append(replace(s, polygon=shapely.set_precision(carved, PLAN_PRECISION)))
    return out


def _same_at_seam(a: Polygon, b: Polygon, own_a: Polygon | MultiPolygon, own_b: Polygon | MultiPolygon,
                  band: shapely.Geometry) -> bool:
    """Whether two wings' spaces are one space: each covers the other's floor along the seam.

    Each space is trusted only in its own wing's region (``own_a``,
    ``own_b``): beyond it its walls were diagonal and it may have leaked into
    a neighbour, so a leak covering the other wing's room does not make the
    two one space unless that room also covers the leaking space's own floor.

    >>> from shapely.geometry import box
    >>> band, west, east = box(4, -5, 6, 5), box(-9, -9, 5, 9), box(5, -9, 19, 9)
    >>> _same_at_seam(box(0, 0, 8, 2), box(3, 0.1, 12, 2), west, east, band)
    True
    >>> _same_at_seam(box(0, 0, 5, 2), box(5, 0, 9, 2), west, east, band)
    False
    >>> _same_at_seam(box(0, -3, 8, 3), box(5, 0, 9, 2), west, east, band)
    False
    """
    mine_a, mine_b = a.intersection(own_a).intersection(band), b.intersection(own_b).intersection(band)
    if mine_a.area < SAME_SPACE_MIN_AREA or mine_b.area < SAME_SPACE_MIN_AREA:
        return False
    shares = sorted((b.intersection(mine_a).area / mine_a.area, a.intersection(mine_b).area / mine_b.area))
    return bool(shares[1] >= SAME_SPACE_SHARE and shares[0] >= SAME_SPACE_LEAST_SHARE)


_POINT = re.compile(r"\((-?\d+\.\d+), (-?\d+\.\d+)\)")


def _in_scan_frame(warnings: Sequence[str], frame: StoreyFrame, region: Polygon | MultiPolygon) -> list[str]:
    """The warnings about places in the wing's region, their positions turned into the scan frame.

    A wing's extraction covers the whole storey, and what it says about the
    other wings (where its walls are diagonal) is not kept.
    """
    out: list[str] = []
    for w in warnings:
        spots = [(float(m.group(1)), float(m.group(2))) for m in _POINT.finditer(w)]
        if not spots:
            out.append(w)
            continue
        scan = frame.to_scan(np.array(spots))
        if not any(region.distance(Point(x, y)) <= SEAM_BAND for x, y in scan):
            continue
        out.append(_POINT.sub(_replacer(iter(scan)), w))
    return out


def _replacer(points: Iterator[np.ndarray]) -> Callable[[re.Match[str]], str]:
    """A substitution giving each matched position the next of ``points``."""
    def sub(_m: re.Match[str]) -> str:
        x, y = next(points)
        return f"({x:.2f}, {y:.2f})"
    return sub


def _deg(frame: StoreyFrame) -> str:
    return f"{math.degrees(frame.angle) % 90:.1f}"


def _renamed(warnings: Sequence[str], lid: str, names: dict[str, str]) -> list[str]:
    """The warnings whose every space id has a new id, with the new ids; door ids are dropped."""
    token = re.compile(rf"\b{re.escape(lid)}-[A-Z]+\d+(?:-door\d+)?\b")
    out: list[str] = []
    for w in warnings:
        ids = token.findall(w)
        if any(not names.get(i) and not i.startswith(f"{lid}-D") and "-door" not in i for i in ids):
            continue
        out.append(token.sub(lambda m: names.get(m.group(0)) or "a door", w))
    return out


def _inside(region: Polygon | MultiPolygon, at: tuple[float, float]) -> bool:
    return bool(region.distance(Point(at)) <= PLAN_PRECISION)


def _largest(geom: shapely.Geometry) -> Polygon:
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and not g.is_empty]
    return max(parts, key=lambda g: g.area) if parts else Polygon()
