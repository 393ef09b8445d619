"""Stair cores and lift shafts: what joins the storeys of a scanned building.

**Stairs.**  Floor slabs hide the zone between one storey's ceiling and the
next floor everywhere except where they are cut away: stairwells (and
atria).  So the points in that slab zone, grouped in plan, mark candidate
voids.  A void is a stair core when the points over its footprint, from one
floor to the next, stack up in a stepped height distribution: at least
:data:`MIN_STEPS` height peaks (tread tops) spaced evenly by a riser of
0.12-0.23 m.  A lift shaft or an atrium has walls over that height but no
treads.  The treads give the riser (the spacing), the going (the tread depth)
and the flight width (each tread's long extent); the walking length per
storey is the slope length of all treads plus, for a dog-leg (two rows of
treads side by side), the turn across the half landing (twice the width).
The space of each storey lying over the void becomes a stair space, and the
cores found between consecutive storey pairs at the same plan place are one
stair.

**Lifts** are found by :mod:`lidar.lifts` (closed rectangles of shaft size
stacked at one plan place, with their landing doors in line).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np
import shapely
from scipy import ndimage
from shapely.geometry import Polygon

from facility.model import Door, Lift, Space, SpaceKind, Stair
from lidar.levels import Storey
from lidar.lifts import find_lifts
from lidar.options import ExtractOptions

__all__ = ["MIN_STEPS", "StoreySpaces", "find_cores"]

#: Evenly spaced tread peaks needed to call a void a stair (a storey of
#: 2.7-4.5 m has 15-26 risers; furniture never stacks this regularly).
MIN_STEPS = 8
#: Riser heights (m) a stair can have (building codes: 0.15-0.19; margin for noise).
RISER_RANGE = (0.12, 0.23)
#: Plan cell (m) of the slab-zone void map.
VOID_CELL = 0.2
#: Smallest void (m^2) looked at; a stair core is larger than 3 m^2.
MIN_VOID_AREA = 3.0


@dataclass(frozen=True, slots=True)
class StoreySpaces:
    """One extracted storey as the core finder needs it (scan frame).

    Attributes:
        level: Level id.
        storey: Its floor and ceiling.
        spaces: Spaces kept (reachable through doors).
        dropped: Spaces left out for want of a door (closed shafts among them).
        doors: Its doors.
    """

    level: str
    storey: Storey
    spaces: list[Space]
    dropped: list[Space]
    doors: list[Door]


@dataclass(frozen=True, slots=True)
class _Core:
    lower: int
    rect: Polygon
    riser: float
    tread: float
    width: float
    steps: int
    flights: int


def find_cores(points: np.ndarray, storeys: list[StoreySpaces], angles: list[float], *,
               options: ExtractOptions | None = None, exit_hosts: frozenset[str] = frozenset()
               ) -> tuple[list[StoreySpaces], list[Stair], list[Lift], list[str]]:
    """Find stairs and lifts and turn their spaces into stair and lift spaces.

    Args:
        points: All points of the scan (down-sampled), scan frame.
        storeys: The extracted storeys, bottom to top.
        angles: Each storey's main wall direction (radians, scan frame).
        options: The extraction's options (the corridor shape rule, see :func:`lidar.lifts.find_lifts`).
        exit_hosts: Ids of the spaces exits sit in.

    Returns:
        The storeys with stair and lift spaces marked (and shafts behind shut
        doors added back with their landing doors), the stairs, the lifts, and
        one note per finding or problem for the report.
    """
    notes: list[str] = []
    cores = [c for k in range(len(storeys) - 1)
             for c in _voids(points, storeys[k].storey, storeys[k + 1].storey, k, angles[k])]
    storeys, stairs = _stairs(storeys, cores, notes)
    storeys, lifts = find_lifts(points, storeys, notes, options=options, exit_hosts=exit_hosts)
    return storeys, stairs, lifts, notes


def _voids(points: np.ndarray, low: Storey, high: Storey, k: int, angle: float) -> list[_Core]:
    """Stair cores between two storeys: slab-zone voids over a stepped height distribution.

    A void's extent is the box, in the storey's wall frame (``angle``), of its
    slab-zone points: flights hide parts of the enclosure walls, and the
    minimum rectangle of what is left can lie diagonally.
    """
    lo, hi = low.ceiling + 0.15, high.floor - 0.15
    if hi - lo < 0.1:
        lo, hi = low.floor + 2.3, high.floor - 0.3  # no slab zone seen: look above head height
    z = points[:, 2]
    zone = points[(z > lo) & (z < hi)]
    if len(zone) < 50:
        return []
    ca, sa = math.cos(angle), math.sin(angle)
    local = zone[:, :2] @ np.array([[ca, -sa], [sa, ca]])  # scan frame -> wall frame
    x0, y0 = local.min(axis=0) - 1.0
    ij = ((local - (x0, y0)) / VOID_CELL).astype(np.int64)
    occ = np.zeros(tuple(ij.max(axis=0) + 2), dtype=bool)
    occ[ij[:, 0], ij[:, 1]] = True
    lab, n = ndimage.label(ndimage.binary_closing(occ, iterations=2) | occ)
    boxes: list[list[float]] = []
    for k_lab in range(1, n + 1):
        mine = lab[ij[:, 0], ij[:, 1]] == k_lab
        if mine.sum() < 10:
            continue
        b = [*local[mine].min(axis=0), *local[mine].max(axis=0)]
        # Pieces of one enclosure whose boxes overlap are one void.
        for other in boxes:
            if b[0] <= other[2] and other[0] <= b[2] and b[1] <= other[3] and other[1] <= b[3]:
                other[:] = [min(b[0], other[0]), min(b[1], other[1]),
                            max(b[2], other[2]), max(b[3], other[3])]
                break
        else:
            boxes.append(b)
    span = points[(z > low.floor + 0.08) & (z < high.floor - 0.08)]
    out: list[_Core] = []
    for bx0, by0, bx1, by1 in boxes:
        if (bx1 - bx0) * (by1 - by0) < MIN_VOID_AREA:
            continue
        corners = np.array([[bx0, by0], [bx1, by0], [bx1, by1], [bx0, by1]]) @ np.array([[ca, sa], [-sa, ca]])
        rect = Polygon(corners)
        inside = span[shapely.contains_xy(rect.buffer(-0.05), span[:, 0], span[:, 1])]
        core = _treads(inside, rect, low.floor, high.floor, k)
        if core is not None:
            out.append(core)
    return out


def _peaks(z: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Heights of the height-histogram peaks standing out of the walls' even background."""
    h, e = np.histogram(z, bins=np.arange(lo, hi + 0.01, 0.01))
    if not len(h):
        return np.empty(0)
    hs = ndimage.uniform_filter1d(h.astype(float), 3)
    # Tread tops and their soffits 3-5 cm apart are one step: suppress within 7 cm.
    top = (hs == ndimage.maximum_filter1d(hs, 7)) & (hs > 2.5 * float(np.median(hs)) + 2)
    return e[np.flatnonzero(top)] + 0.005


def _treads(pts: np.ndarray, rect: Polygon, floor: float, next_floor: float, k: int) -> _Core | None:
    if len(pts) < 200:
        return None
    heights = _peaks(pts[:, 2], floor + 0.08, next_floor - 0.08)
    d = np.diff(heights)
    ok = d[(d > RISER_RANGE[0]) & (d < RISER_RANGE[1])]
    if len(ok) < MIN_STEPS:
        return None
    riser = float(np.median(ok))
    even = np.abs(d - riser) < 0.25 * riser
    if int(even.sum()) < MIN_STEPS:
        return None
    # The 1 cm histogram rounds each step; the mean of the even steps, snapped
    # to a whole number of risers per storey, does not.
    steps = round((next_floor - floor) / float(d[even].mean()))
    riser = (next_floor - floor) / steps
    # Tread geometry, away from the enclosure walls at the void's edge.
    inner = rect.buffer(-0.06)
    keep = shapely.contains_xy(inner, pts[:, 0], pts[:, 1]) if not inner.is_empty else np.ones(len(pts), bool)
    longs, shorts, centres = [], [], []
    for h in heights:
        t = pts[keep & (np.abs(pts[:, 2] - h) < 0.012), :2]
        if len(t) < 8:
            continue
        c = t - t.mean(axis=0)
        _, vecs = np.linalg.eigh(np.cov(c.T))
        a, b = c @ vecs[:, 1], c @ vecs[:, 0]
        longs.append(float(np.quantile(a, 0.98) - np.quantile(a, 0.02)))
        shorts.append(float(np.quantile(b, 0.98) - np.quantile(b, 0.02)))
        centres.append(t.mean(axis=0))
    if len(longs) < MIN_STEPS // 2:
        return None
    width = float(np.median(longs))
    going = [float(np.hypot(*(b - a))) for a, b in itertools.pairwise(centres)]
    step_go = [g for g in going if 0.15 < g < 0.45]
    tread = float(np.median(step_go)) if step_go else float(np.median(shorts))
    cs = np.asarray(centres) - np.mean(centres, axis=0)
    _, vecs = np.linalg.eigh(np.cov(cs.T))
    across = cs @ vecs[:, 0]
    flights = 2 if float(np.ptp(across)) > 0.6 * width else 1
    return _Core(k, rect, riser, tread, width, steps, flights)


def _over(spaces: list[Space], rect: Polygon) -> Space | None:
    """The space lying over a void: most of its overlap inside the void's rectangle."""
    best = max(spaces, key=lambda s: s.polygon.intersection(rect).area, default=None)
    if best is None or best.polygon.intersection(rect).area < 0.3 * min(best.area, rect.area):
        return None
    return best


def _stairs(storeys: list[StoreySpaces], cores: list[_Core], notes: list[str]
            ) -> tuple[list[StoreySpaces], list[Stair]]:
    chains: list[list[_Core]] = []
    for c in sorted(cores, key=lambda c: c.lower):
        for ch in chains:
            last = ch[-1]
            if last.lower == c.lower - 1 and last.rect.intersection(c.rect).area > 0.5 * min(c.rect.area,
                                                                                               last.rect.area):
                ch.append(c)
                break
        else:
            chains.append([c])
    marked: dict[str, set[str]] = {st.level: set() for st in storeys}
    stairs: list[Stair] = []
    for n, ch in enumerate(chains, start=1):
        ids: list[str] = []
        for k in range(ch[0].lower, ch[-1].lower + 2):
            c = ch[min(k - ch[0].lower, len(ch) - 1)]
            s = _over(storeys[k].spaces, c.rect)
            if s is None:
                at = c.rect.centroid
                notes.append(f"stair core at ({at.x:.1f}, {at.y:.1f}): no reachable "
                             f"space over it on level {storeys[k].level}; it does not link that level")
                continue
            ids.append(s.id)
            marked[storeys[k].level].add(s.id)
        if len(ids) < 2:
            continue
        rise = storeys[ch[0].lower + 1].storey.floor - storeys[ch[0].lower].storey.floor
        c = ch[0]
        width = float(np.median([x.width for x in ch]))
        tread = float(np.median([x.tread for x in ch]))
        length = math.hypot((c.steps - c.flights) * tread, rise) + (2 * width if c.flights > 1 else 0.0)
        sid = f"S{n:02d}"
        stairs.append(Stair(id=sid, spaces=tuple(ids), width=round(width, 2), flight_length=round(length, 2),
                            riser_mm=round(c.riser * 1000), tread_mm=round(tread * 1000)))
        notes.append(f"stair {sid} found at ({c.rect.centroid.x:.1f}, {c.rect.centroid.y:.1f}) joining "
                     f"{', '.join(ids)}: {c.steps} risers of {c.riser * 1000:.0f} mm, "
                     f"treads {tread * 1000:.0f} mm, "
                     f"width {width:.2f} m, {c.flights} flight(s) per storey; confirm its width and where it "
                     "discharges")
    out = [replace(st, spaces=[replace(s, kind=SpaceKind.STAIR, use="stair") if s.id in marked[st.level]
                               else s for s in st.spaces]) for st in storeys]
    return out, stairs
