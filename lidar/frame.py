"""The storey's own frame: the directions its walls follow, and the rotation onto them.

A plan grid rasterises a wall that runs along a grid axis as a clean band of
cells, but a wall at 30 degrees as a staircase whose thin faces break up:
partitions and jambs get lost.  So every storey is extracted in the frame of
its walls: the dominant wall direction is found first (a Hough-style search
over angles, walls meeting at right angles), the storey's points are rotated
so it lies along the x axis, and the extracted spaces, doors and exits are
rotated back.  A second family of walls at another angle (a wing meeting the
main block at 30 or 45 degrees) is found and reported, and the wing is
extracted in a frame of its own (:func:`frame_along`, :mod:`lidar.wings`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Polygon

from facility.model import Door, Exit, Space
from lidar.grid import Columns, Grid

__all__ = ["StoreyFrame", "find_frame", "frame_along", "seat", "wall_directions", "wall_map"]

#: Below this misalignment (degrees) a storey is extracted as it lies: the
#: grid steps of a wall off by less than this are shorter than a cell over
#: ~60 m, and leaving aligned scans untouched keeps them bit-for-bit repeatable.
ALIGNED_TOLERANCE_DEG = 0.3

#: Plan cell (m) of the coarse wall map the directions are read from: fine
#: enough to resolve a 15 cm wall, coarse enough to be cheap at 100 m.
DIRECTION_CELL = 0.1

#: A second wall family holding at least this share of the Hough score of the
#: first is reported as a wing at another angle (furniture edges stay below).
WING_MIN_SHARE = 0.25
#: Lattice (m) the corners of spaces turned back into the scan frame are put on.
PLAN_PRECISION = 0.001


@dataclass(frozen=True, slots=True)
class StoreyFrame:
    """The rotation that brings a storey's main walls onto the grid axes.

    Attributes:
        angle: Direction (radians, in (-pi/4, pi/4]) of the main wall family
            in the scan frame; the storey frame is the scan frame turned by it.
        origin: Plan point (m) the rotation turns about.
        wings: Directions (degrees, scan frame) of further wall families found.
    """

    angle: float
    origin: tuple[float, float]
    wings: tuple[float, ...] = ()

    @property
    def rotated(self) -> bool:
        """Whether the storey is extracted in a rotated frame."""
        return self.angle != 0.0

    def to_frame(self, points: np.ndarray) -> np.ndarray:
        """Points (n, 2 or 3) of the scan frame in the storey frame (walls along the axes)."""
        return _rotate(points, -self.angle, self.origin)

    def to_scan(self, points: np.ndarray) -> np.ndarray:
        """Points (n, 2 or 3) of the storey frame back in the scan frame."""
        return _rotate(points, self.angle, self.origin)

    def space_to_scan(self, s: Space) -> Space:
        """The space turned back into the scan frame, its corners on a 1 mm lattice.

        Turned, the corners of spaces that shared a wall in the storey frame
        no longer lie exactly on each other's edges, only within the last bits;
        GEOS then failed on a union of their outlines ("side location
        conflict") in the facility validator, on the sample hospital turned 30
        degrees.  On a 1 mm lattice (the precision of door and exit places)
        the same union succeeds.
        """
        poly = affinity.rotate(s.polygon, self.angle, origin=self.origin, use_radians=True)
        snapped = shapely.set_precision(poly, PLAN_PRECISION)
        parts = [g for g in shapely.get_parts(snapped) if isinstance(g, Polygon)]
        return replace(s, polygon=max(parts, key=lambda g: g.area) if parts else poly)

    def door_to_scan(self, d: Door, spaces: Mapping[str, Space]) -> Door:
        """The door turned back into the scan frame, seated on the wall its two spaces share.

        Args:
            d: The door, storey frame.
            spaces: The storey's spaces already turned back (:meth:`space_to_scan`), by id.
        """
        walls = [spaces[sid].polygon.boundary for sid in d.spaces if sid in spaces]
        return replace(d, at=seat(self._at(d.at), walls))

    def exit_to_scan(self, e: Exit, spaces: Mapping[str, Space]) -> Exit:
        """The exit turned back into the scan frame, seated on its space's outline."""
        walls = [spaces[e.space].polygon.boundary] if e.space in spaces else []
        return replace(e, at=seat(self._at(e.at), walls))

    def _at(self, at: tuple[float, float]) -> tuple[float, float]:
        x, y = self.to_scan(np.array([at]))[0]
        return (float(x), float(y))


def seat(at: tuple[float, float], walls: Sequence[shapely.Geometry]) -> tuple[float, float]:
    """``at`` moved onto the nearest point of every wall line at once (as near as they allow).

    Turned back and put on the 1 mm lattice, outlines move by up to a
    millimetre, and a door's centre turned by the same rotation no longer lies
    on them: it fell up to 1.4 mm outside a room, beyond the 1 mm within which
    routing takes a point to be on a room's floor, and ten rooms of the sample
    hospital turned 30 degrees had no route out of their own door.  The point
    is projected onto each wall in turn, twice round, then put halfway between
    its projections (walls two rooms share coincide to the lattice, so it ends
    within a fraction of a millimetre of both).

    >>> from shapely.geometry import box
    >>> seat((1.0, 2.0013), [box(0, 0, 4, 2).boundary, box(0, 2, 4, 5).boundary])
    (1.0, 2.0)
    """
    if not walls:
        return at
    p = shapely.Point(at)
    for _ in range(2):
        for w in walls:
            p = w.interpolate(w.project(p))
    on = [w.interpolate(w.project(p)) for w in walls]
    x = sum(q.x for q in on) / len(on)
    y = sum(q.y for q in on) / len(on)
    return (float(x), float(y))


def _rotate(points: np.ndarray, angle: float, origin: tuple[float, float]) -> np.ndarray:
    if angle == 0.0:
        return points
    c, s = math.cos(angle), math.sin(angle)
    out = np.array(points, dtype=np.float64, copy=True)
    x, y = points[:, 0] - origin[0], points[:, 1] - origin[1]
    out[:, 0] = origin[0] + c * x - s * y
    out[:, 1] = origin[1] + s * x + c * y
    return out


def _score(x: np.ndarray, y: np.ndarray, angle: float) -> float:
    """Hough score of a right-angled wall family at ``angle``: walls pile up in few bins."""
    total = 0.0
    ca, sa = math.cos(angle), math.sin(angle)
    for p in (x * ca + y * sa, -x * sa + y * ca):
        h = np.bincount((p - p.min()).astype(np.int64))
        total += float((h.astype(float) ** 2).sum())
    return total


def wall_directions(wall: np.ndarray, *, coarse_deg: float = 0.5, fine_deg: float = 0.02
                    ) -> list[tuple[float, float]]:
    """Right-angled wall families in a wall mask, strongest first: ``(angle rad in [0, pi/2), score)``.

    A coarse search over [0, 90) degrees finds the peaks of the Hough score;
    each peak is refined to ``fine_deg`` (over 100 m a 0.02 degree error is
    3.5 cm, under a cell), taking the middle of the score's flat top.  Peaks
    are kept when at least 10 degrees apart.

    >>> w = np.zeros((60, 60), dtype=bool); w[10:50, 29:31] = True; w[29:31, 5:55] = True
    >>> [round(math.degrees(a), 1) for a, _ in wall_directions(w)][:1]
    [0.0]
    """
    ii, jj = np.nonzero(wall)
    if len(ii) < 10:
        return [(0.0, 0.0)]
    stride = max(1, len(ii) // 60000)
    x, y = jj[::stride].astype(float), ii[::stride].astype(float)
    degs = np.arange(0.0, 90.0, coarse_deg)
    scores = np.array([_score(x, y, math.radians(d)) for d in degs])
    base = float(np.median(scores))
    order = np.argsort(-scores)
    peaks: list[float] = []
    for k in order:
        d = float(degs[k])
        is_max = all(scores[k] >= scores[(k + o) % len(degs)] for o in (-2, -1, 1, 2))
        if is_max and all(min(abs(d - p), 90 - abs(d - p)) >= 10 for p in peaks):
            peaks.append(d)
        if len(peaks) == 3:
            break
    out: list[tuple[float, float]] = []
    for p in peaks:
        fine = np.arange(p - 2 * coarse_deg, p + 2 * coarse_deg + 1e-9, fine_deg)
        fs = np.array([_score(x, y, math.radians(d)) for d in fine])
        # Cells stay in their bins over a small turn, so the score has a flat
        # top: its middle is the direction.
        top = fine[fs >= fs.max() * (1 - 1e-6)]
        best = float(np.median(top)) % 90.0
        out.append((math.radians(best), float(fs.max()) - base))
    return out


def find_frame(points: np.ndarray, floor: float, options_wall_band: tuple[float, float],
               wall_min_fill: float, zbin: float) -> StoreyFrame:
    """The frame of one storey's walls, from its wall-band points.

    Args:
        points: The storey's points (n, 3), scan frame.
        floor: The storey's floor height (m).
        options_wall_band: Wall band (m above floor), as in :class:`~lidar.options.ExtractOptions`.
        wall_min_fill: Share of the band a column must fill to count as wall.
        zbin: Height bin (m) of the fill count.

    Returns:
        The :class:`StoreyFrame`; ``angle`` is 0 when the walls already
        follow the axes within :data:`ALIGNED_TOLERANCE_DEG`.
    """
    found = wall_map(points, floor, options_wall_band, wall_min_fill, zbin)
    if found is None:
        return StoreyFrame(0.0, (0.0, 0.0))
    _, wall, centre = found
    dirs = wall_directions(wall)
    angle, top = dirs[0]
    wings = tuple(round(math.degrees(a), 3) for a, s in dirs[1:] if top > 0 and s >= WING_MIN_SHARE * top)
    return replace(frame_along(angle, centre), wings=wings)


def frame_along(angle: float, centre: tuple[float, float]) -> StoreyFrame:
    """The frame whose axes follow walls at ``angle`` (radians, scan frame, in [0, pi/2)).

    Walls within :data:`ALIGNED_TOLERANCE_DEG` of the scan axes are taken as
    they lie; otherwise the frame turns by the smaller of the two equivalent
    rotations (theta or theta - 90 degrees) about ``centre``.
    """
    deg = math.degrees(angle)
    if min(deg, 90.0 - deg) < ALIGNED_TOLERANCE_DEG:
        return StoreyFrame(0.0, (0.0, 0.0))
    if deg > 45.0:
        angle -= math.pi / 2
    return StoreyFrame(angle, centre)


def wall_map(points: np.ndarray, floor: float, wall_band: tuple[float, float], wall_min_fill: float,
             zbin: float) -> tuple[Grid, np.ndarray, tuple[float, float]] | None:
    """The coarse wall mask (cells of :data:`DIRECTION_CELL`) wall directions are read from.

    Args:
        points: The storey's points (n, 3), scan frame.
        floor: The storey's floor height (m).
        wall_band: Wall band (m above floor).
        wall_min_fill: Share of the band a column must fill to count as wall.
        zbin: Height bin (m) of the fill count.

    Returns:
        The grid, its wall mask and the plan centre of the wall-band points;
        ``None`` when under 100 points lie in the wall band.
    """
    lo, hi = floor + wall_band[0], floor + wall_band[1]
    band = points[(points[:, 2] >= lo) & (points[:, 2] < hi)]
    if len(band) < 100:
        return None
    grid = Grid.covering(band[:, :2], DIRECTION_CELL)
    wall = Columns.of(grid, band, lo, hi, zbin).fill(lo, hi) >= wall_min_fill
    centre = band[:, :2].mean(axis=0)
    return grid, wall, (float(centre[0]), float(centre[1]))
