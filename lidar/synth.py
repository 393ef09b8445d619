"""A synthetic terrestrial scanner with exact ground truth.

:func:`synthesize` turns a :class:`~facility.model.Facility` into the point
cloud a scanner would record in it: walls of real thickness centred on the
shared edges of the space polygons, openings at every door and exit with a
lintel above, floor and ceiling slabs, furniture clutter, optionally closed
door leaves and standing people; several stations per space (one per
``station_spacing`` metres), each casting a full sphere of rays through
Open3D's ``RaycastingScene`` (so occlusion is exact) with range noise of
``range_noise + range_noise_per_m * range``.  The facility itself is the
ground truth, which makes extraction accuracy measurable
(:mod:`lidar.metrics`).

Same facility, options and ``rng`` state give the same cloud.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon

from facility.model import Facility, Level, Lift, Stair
from lidar.errors import ScanOptionError
from lidar.point_files import MAX_IN_MEMORY_BYTES
from lidar.preprocess import voxel_downsample
from lidar.synth_cores import Cores, plan_cores

__all__ = ["LEAVES", "SynthOptions", "synthesize", "truth_for_levels"]


#: Most points of a scan: as many as a PLY of float64 x, y, z (24 bytes a point, as written) read
#: whole may hold.  The sample hospital makes 80 M at 2 cm; at 1 mm, 35 G (out of memory).
MAX_SYNTH_POINTS = MAX_IN_MEMORY_BYTES // 24
#: Most people per m^2: Weidmann's jam density (``../shared/reference/evacuation.md``).
MAX_PEOPLE_PER_M2 = 5.4
MAX_CLUTTER_PER_M2 = 6.25  #: Most furniture items per m^2: 1 / (0.4 x 0.4 m), the smallest item.


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthOptions:
    """How the synthetic building is built and scanned.

    Attributes:
        spacing: Target point spacing (m) on surfaces at typical range; the
            output is thinned to one point per ``spacing`` voxel.
        wall_thickness: Wall thickness (m), centred on polygon edges.
        door_height: Head height of openings (m above floor); a lintel fills above.
        station_spacing: One scanner station per this many metres of space.
        station_height: Scanner head height above floor (m).
        range_noise: Constant part of the range noise sigma (m).
        range_noise_per_m: Range-proportional part of the noise sigma (m per m).
        clutter_per_m2: Furniture items per square metre of floor.
        people_per_m2: Standing people per square metre of floor.
        closed_door_fraction: Fraction of doors scanned closed (a leaf in the opening).
        closed_doors: Ids of doors and exits scanned closed whatever the
            fraction draws (a benchmark that scores open and closed doors
            apart needs to know which were shut).
        leaf: What a closed door shows (:data:`LEAVES`): ``"recessed"``, a
            4 cm leaf 1 cm in from one face and recessed from the other;
            ``"framed"``, a flush door as hospitals fit them: a leaf within
            1 cm of both wall faces, an undercut gap above the floor and an
            architrave (two legs and a head) proud of both faces (dimensions
            in :data:`ARCHITRAVE_WIDTH` and the constants beside it);
            ``"flush"``, a frameless leaf filling the wall's thickness, which
            leaves no trace at all.
        fixtures: Put on one free wall of each room things that stand proud
            of a wall like a door frame without being one: a pair of
            full-height pilasters at door spacing with a radiator between,
            and a pair of vertical pipes (:func:`_fixtures`).
        levels: Ids of the levels to scan; ``None`` scans all.
        max_range: Scanner range (m); beyond it nothing is recorded.
    """

    spacing: float = 0.02
    wall_thickness: float = 0.15
    door_height: float = 2.1
    station_spacing: float = 8.0
    station_height: float = 1.5
    range_noise: float = 0.003
    range_noise_per_m: float = 0.0005
    clutter_per_m2: float = 0.04
    people_per_m2: float = 0.0
    closed_door_fraction: float = 0.0
    closed_doors: tuple[str, ...] = ()
    leaf: str = "recessed"
    fixtures: bool = False
    levels: tuple[str, ...] | None = None
    max_range: float = 30.0

    def __post_init__(self) -> None:
        for name in ("spacing", "wall_thickness", "door_height", "station_spacing", "station_height",
                     "max_range"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise ScanOptionError(name, "a finite number > 0", v)
        for name in ("range_noise", "range_noise_per_m", "clutter_per_m2", "people_per_m2"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ScanOptionError(name, "a finite number >= 0", v)
        for name, most in (("people_per_m2", MAX_PEOPLE_PER_M2), ("clutter_per_m2", MAX_CLUTTER_PER_M2)):
            if getattr(self, name) > most:
                raise ScanOptionError(name, f"<= {most:g} per m^2 (no more fit)", getattr(self, name))
        if not 0 <= self.closed_door_fraction <= 1:
            raise ScanOptionError("closed_door_fraction", "in [0, 1]", self.closed_door_fraction)
        if self.leaf not in LEAVES:
            raise ScanOptionError("leaf", f"one of {list(LEAVES)}", self.leaf)


class _Mesh:
    """Triangles collected before they go into the ray-casting scene."""

    def __init__(self) -> None:
        self.verts: list[np.ndarray] = []
        self.tris: list[np.ndarray] = []
        self.n = 0

    def add(self, v: np.ndarray, t: np.ndarray) -> None:
        self.verts.append(v.astype(np.float32))
        self.tris.append((t + self.n).astype(np.uint32))
        self.n += len(v)

    def box(self, corners_xy: np.ndarray, z0: float, z1: float) -> None:
        """A prism over a convex quadrilateral (4 x 2, counter-clockwise) from z0 to z1."""
        v = np.vstack([np.column_stack([corners_xy, np.full(4, z0)]),
                       np.column_stack([corners_xy, np.full(4, z1)])])
        t = np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7],
                      [0, 1, 5], [0, 5, 4], [1, 2, 6], [1, 6, 5],
                      [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]])
        self.add(v, t)

    def slab(self, polygon: Polygon, z: float) -> None:
        """A horizontal surface over a polygon (constrained Delaunay triangles)."""
        tris = shapely.constrained_delaunay_triangles(polygon)
        for tri in getattr(tris, "geoms", []):
            xy = np.asarray(tri.exterior.coords)[:3]
            self.add(np.column_stack([xy, np.full(3, z)]), np.array([[0, 1, 2]]))


def _segment_box(a: np.ndarray, b: np.ndarray, thickness: float) -> np.ndarray:
    d = b - a
    n = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-12) * thickness / 2
    return np.array([a - n, b - n, b + n, a + n])


def _segments(geom: shapely.Geometry) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    for line in getattr(geom, "geoms", [geom]):
        if isinstance(line, LineString) and not line.is_empty:
            c = np.asarray(line.coords)
            for a, b in itertools.pairwise(c):
                if np.hypot(*(b - a)) > 1e-6:
                    yield a, b


def _level_mesh(fac: Facility, level: Level, opt: SynthOptions, rng: np.random.Generator,
                mesh: _Mesh, *, cores: Cores) -> list[np.ndarray]:
    """Add one level's building, stairs, lifts and clutter to ``mesh``; return its scanner stations."""
    spaces = fac.spaces_on(level.id)
    ids = {s.id for s in spaces}
    z0, z1 = level.elevation, level.elevation + level.ceiling_height
    t = opt.wall_thickness
    walls = shapely.unary_union([s.polygon.boundary for s in spaces])
    portals = [d for d in fac.doors if d.spaces[0] in ids] + [e for e in fac.exits if e.space in ids]
    openings = [fac.door_segment(d) for d in portals]
    cut = shapely.union_all([o.buffer(t, cap_style="flat") for o in openings]) if openings else None
    ends = {tuple(np.round(c, 6)) for o in openings for c in o.coords}
    solid = walls.difference(cut) if cut is not None else walls
    for a, b in _segments(solid):
        u = (b - a) / np.hypot(*(b - a))
        # Extend into corners so walls meet, but never into an opening.
        a2 = a if tuple(np.round(a, 6)) in ends else a - u * t / 2
        b2 = b if tuple(np.round(b, 6)) in ends else b + u * t / 2
        mesh.box(_segment_box(a2, b2, t), z0, z1)
    drawn = rng.random(len(openings)) < opt.closed_door_fraction
    closed = [(bool(shut) or p.id in cores.closed_doors or p.id in opt.closed_doors)
              and p.id not in cores.open_doors
              for p, shut in zip(portals, drawn, strict=True)]
    for p, o, shut in zip(portals, openings, closed, strict=True):
        a, b = (np.asarray(c) for c in o.coords)
        mesh.box(_segment_box(a, b, t), z0 + opt.door_height, z1)
        # A lift's landing door is a sliding leaf set back in its steel portal, whatever the other doors are.
        leaf = "recessed" if p.id in cores.closed_doors else opt.leaf
        if shut and leaf == "flush":
            mesh.box(_segment_box(a, b, t), z0, z0 + opt.door_height)
        elif shut and leaf == "framed":
            _framed_door(mesh, a, b, t=t, z0=z0, head=opt.door_height, rng=rng)
        elif shut:
            n = np.array([-(b - a)[1], (b - a)[0]]) / np.hypot(*(b - a))
            mesh.box(_segment_box(a + n * (t / 2 - 0.03), b + n * (t / 2 - 0.03), 0.04), z0,
                     z0 + opt.door_height)
    outline = shapely.union_all([s.polygon for s in spaces]).buffer(t / 2, join_style="mitre")
    floor = outline.difference(cores.floor_cut[level.id]) if level.id in cores.floor_cut else outline
    ceiling = outline.difference(cores.ceiling_cut[level.id]) if level.id in cores.ceiling_cut else outline
    for part in getattr(floor, "geoms", [floor]):
        mesh.slab(part, z0)
    for part in getattr(ceiling, "geoms", [ceiling]):
        mesh.slab(part, z1)
    for quad, b0, b1 in cores.boxes.get(level.id, []):
        mesh.box(quad, b0, b1)
    keep_clear = shapely.union_all([o.buffer(1.0) for o in openings]) if openings else Polygon()
    stations: list[np.ndarray] = []
    for s in spaces:
        st = cores.stations[s.id] if s.id in cores.stations else _stations(s.polygon, opt.station_spacing)
        stations += [np.array([x, y, z0 + opt.station_height]) for x, y in st]
        if s.id in cores.bare:
            continue
        if opt.fixtures:
            _fixtures(mesh, s.polygon, keep_clear, t=t, z0=z0, z1=z1)
        free = s.polygon.buffer(-(t / 2 + 0.05)).difference(keep_clear)
        free = free.difference(shapely.union_all([Point(p).buffer(0.6) for p in st]))
        _clutter(free, s.polygon.area * opt.clutter_per_m2, z0, rng, mesh, furniture=True)
        _clutter(free, s.polygon.area * opt.people_per_m2, z0, rng, mesh, furniture=False)
    return stations


#: The kinds of closed leaf the scanner can build (see :attr:`SynthOptions.leaf`).
LEAVES = ("recessed", "framed", "flush")
#: Face width (m) of an architrave, drawn per door: 44-119 mm are sold, 68-70 mm
#: is the most common (skirting-boards.co.uk, "What are architraves?"; 70-90 mm
#: standard in swdbespoke.com's skirting and architrave guidelines).
ARCHITRAVE_WIDTH = (0.05, 0.095)
#: How far (m) an architrave stands proud of the wall face, drawn per door:
#: 18 mm is the common thickness, 10-20 mm the range sold (same sources); below
#: 15 mm is left out, as the extraction does not tell it from a leaf 1 cm proud.
ARCHITRAVE_PROUD = (0.015, 0.025)
#: Gap (m) under a closed leaf, drawn per door: NFPA 80 (2007) 4.8.4 allows at
#: most 3/4 in (19 mm) under a fire door; NFPA 101 at most 1 in at health-care
#: corridor doors (idighardware.com, 2009 and 2018).
UNDERCUT = (0.01, 0.019)
#: How far (m) a flush leaf's faces stand in front of (+) or behind (-) the wall faces.
LEAF_OFFSET = (-0.01, 0.008)


def _framed_door(mesh: _Mesh, a: np.ndarray, b: np.ndarray, *, t: float, z0: float, head: float,
                 rng: np.random.Generator) -> None:
    """A flush door shut in its frame, between the opening's ends ``a`` and ``b`` (plan, m).

    The leaf stands within a centimetre of both wall faces over the clear
    opening, from the undercut to the door head; on both faces an architrave
    stands proud of the wall: a leg beside each jamb from the floor to the
    head, and a head across the top (one set per face, as fitted).
    """
    u = (b - a) / np.hypot(*(b - a))
    n = np.array([-u[1], u[0]])
    off = rng.uniform(*LEAF_OFFSET)
    gap = rng.uniform(*UNDERCUT)
    mesh.box(_segment_box(a, b, t + 2 * off), z0 + gap, z0 + head)
    w = rng.uniform(*ARCHITRAVE_WIDTH)
    proud = rng.uniform(*ARCHITRAVE_PROUD)
    for side in (1.0, -1.0):
        face, front = n * side * t / 2, n * side * (t / 2 + proud)
        for p, q in ((a - u * w, a), (b, b + u * w)):
            mesh.box(_quad(p, q, face, front), z0, z0 + head + w)
        mesh.box(_quad(a, b, face, front), z0 + head, z0 + head + w)


def _quad(p: np.ndarray, q: np.ndarray, near: np.ndarray, far: np.ndarray) -> np.ndarray:
    """The plan rectangle from segment ``p``-``q`` moved by ``near`` to it moved by ``far``."""
    quad = np.array([p + near, q + near, q + far, p + far])
    # Counter-clockwise, as :meth:`_Mesh.box` expects.
    x, y = quad[:, 0], quad[:, 1]
    if float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) < 0:
        quad = quad[::-1]
    return quad


#: Pilasters beside a radiator (plan width, proud, m): a column casing or duct
#: boxing at door spacing, the near miss of a door frame with no head.
PILASTER = (0.1, 0.02)
#: Clear gap (m) between the pilasters, and between the pipes: a door's width.
FIXTURE_GAP = 0.9
#: A radiator between the pilasters: (height of its bottom, top, depth proud), m.
RADIATOR = (0.15, 0.75, 0.07)
#: Shortest free stretch of wall (m) the fixtures are put on.
FIXTURE_WALL = 4.0
#: Vertical pipes: outer diameter 22 mm (a common copper size) standing 25 mm off the wall.
PIPE = (0.022, 0.025)


def _fixtures(mesh: _Mesh, polygon: Polygon, keep_clear: shapely.Geometry, *, t: float, z0: float,
              z1: float) -> None:
    """A door frame's near misses on the longest free wall of a room (see :attr:`SynthOptions.fixtures`).

    The pilasters stand floor to ceiling (no head), the pipes likewise, 1.5 m
    along the wall from the pilasters.
    """
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for a, b in _segments(polygon.exterior):
        free = LineString([a, b]).difference(keep_clear.buffer(0.5))
        for part in getattr(free, "geoms", [free]):
            longer = best is None or part.length > best[0]
            if isinstance(part, LineString) and part.length >= FIXTURE_WALL and longer:
                c = np.asarray(part.coords)
                best = (part.length, c[0], c[-1])
    if best is None:
        return
    _, a, b = best
    u = (b - a) / np.hypot(*(b - a))
    n = np.array([-u[1], u[0]])
    mid = (a + b) / 2
    if not polygon.contains(Point(mid + n * (t / 2 + 0.1))):
        n = -n
    face = n * t / 2
    w, proud = PILASTER
    start = mid - u * (FIXTURE_GAP / 2 + w + 0.75)
    for p in (start, start + u * (w + FIXTURE_GAP)):
        mesh.box(_quad(p, p + u * w, face, face + n * proud), z0, z1)
    lo, hi, depth = RADIATOR
    rad = start + u * (w + 0.1)
    mesh.box(_quad(rad, rad + u * (FIXTURE_GAP - 0.2), face, face + n * depth), z0 + lo, z0 + hi)
    dia, off = PIPE
    pipe = start + u * (2 * w + FIXTURE_GAP + 0.5)
    for p in (pipe, pipe + u * (dia + FIXTURE_GAP)):
        mesh.box(_quad(p, p + u * dia, face + n * off, face + n * (off + dia)), z0, z1)


def _stations(polygon: Polygon, spacing: float) -> list[tuple[float, float]]:
    """Scanner stations of one space: a grid of ``spacing`` over its bounds, kept where inside it.

    A grid over the bounds of a bent or diagonal space (a corridor turning
    through a wing's joint) left whole arms of it with no station, and the
    floor inside the exits at its ends unseen; stations are added, farthest
    first, until every part of the space is within ``spacing / sqrt(2)`` of
    one, as a rectangle's grid already is.
    """
    inner = polygon.buffer(-0.5)
    if inner.is_empty:
        inner = polygon
    x0, y0, x1, y1 = inner.bounds
    nx_, ny_ = max(1, math.ceil((x1 - x0) / spacing)), max(1, math.ceil((y1 - y0) / spacing))
    xs = x0 + (np.arange(nx_) + 0.5) * (x1 - x0) / nx_
    ys = y0 + (np.arange(ny_) + 0.5) * (y1 - y0) / ny_
    pts = [(float(x), float(y)) for x in xs for y in ys if inner.contains(Point(x, y))]
    if not pts:
        p = inner.representative_point()
        pts = [(p.x, p.y)]
    # Candidates every 0.5 m; a rectangle's grid leaves none farther than
    # spacing / sqrt(2) (half a grid cell's diagonal), so it gains no station.
    gx, gy = np.meshgrid(np.arange(x0, x1 + 1e-9, 0.5), np.arange(y0, y1 + 1e-9, 0.5))
    cand = np.column_stack([gx.ravel(), gy.ravel()])
    cand = cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]
    if len(cand):
        placed = np.asarray(pts)
        far = np.hypot(*(cand[:, None, :] - placed[None, :, :]).transpose(2, 0, 1)).min(axis=1)
        while far.max() > spacing / math.sqrt(2) + STATION_SLACK:
            k = int(np.argmax(far))
            pts.append((float(cand[k, 0]), float(cand[k, 1])))
            far = np.minimum(far, np.hypot(cand[:, 0] - cand[k, 0], cand[:, 1] - cand[k, 1]))
    return pts


#: Margin (m) over a station's reach before another is added: rounding must
#: not add one to a rectangle whose grid reaches exactly that far.
STATION_SLACK = 0.05


def _clutter(free: shapely.Geometry, expected: float, z0: float, rng: np.random.Generator,
             mesh: _Mesh, *, furniture: bool) -> None:
    """Place Poisson(expected) boxes inside ``free``: furniture or people.

    Low furniture (beds, desks, trolleys) goes anywhere; tall furniture
    (cabinets, shelving) stands against a wall, as it does in real rooms.
    """
    if free.is_empty:
        return
    n = int(rng.poisson(expected))
    x0, y0, x1, y1 = free.bounds
    edges = [(a, b) for a, b in _segments(free.boundary) if np.hypot(*(b - a)) > 1.0]
    for _ in range(n):
        if furniture:
            w, d = rng.uniform(0.4, 2.0), rng.uniform(0.4, 1.0)
            h = float(rng.choice([0.45, 0.75, 0.9, 1.2, 1.8, 2.0]))
        else:
            w, d, h = 0.45, 0.3, float(rng.uniform(1.5, 1.9))
        tall = furniture and h > 1.5 and bool(edges)
        for _try in range(10):
            if tall:
                a, b = edges[int(rng.integers(len(edges)))]
                u = (b - a) / np.hypot(*(b - a))
                v = np.array([-u[1], u[0]])
                c = a + u * rng.uniform(0, np.hypot(*(b - a)))
                c = c + v * (d / 2 + 0.01) if free.contains(Point(c + v * 0.3)) else c - v * (d / 2 + 0.01)
            else:
                ang = rng.uniform(0, math.pi)
                c = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
                u = np.array([math.cos(ang), math.sin(ang)])
                v = np.array([-u[1], u[0]])
            quad = np.array([c - u * w / 2 - v * d / 2, c + u * w / 2 - v * d / 2,
                             c + u * w / 2 + v * d / 2, c - u * w / 2 + v * d / 2])
            if free.contains(Polygon(quad)):
                mesh.box(quad, z0, z0 + h)
                break


def _sphere(step: float) -> np.ndarray:
    """Unit directions on a sphere about ``step`` radians apart."""
    el = np.arange(-math.pi / 2 + step / 2, math.pi / 2, step)
    dirs = []
    for e in el:
        n = max(1, round(2 * math.pi * math.cos(e) / step))
        az = (np.arange(n) + 0.5) * (2 * math.pi / n)
        dirs.append(np.column_stack([np.cos(e) * np.cos(az), np.cos(e) * np.sin(az), np.full(n, np.sin(e))]))
    return np.vstack(dirs)


def synthesize(facility: Facility, *, rng: np.random.Generator,
               options: SynthOptions | None = None) -> np.ndarray:
    """Scan a facility with simulated terrestrial laser scanner stations.

    Args:
        facility: The building to scan (its geometry is the ground truth).
        rng: Source of every random choice (clutter, noise, closed doors).
        options: Scanner and building parameters; defaults as :class:`SynthOptions`.

    Returns:
        ``(n, 3)`` float64 points in the facility's coordinates (z is the
        elevation above the ground level's floor).
    """
    import open3d as o3d

    opt = options or SynthOptions()
    wanted = opt.levels or tuple(lv.id for lv in facility.levels)
    known = {lv.id for lv in facility.levels}
    for lid in wanted:
        if lid not in known:
            raise ScanOptionError("levels", f"ids of levels in the facility {sorted(known)}", lid)
    mesh = _Mesh()
    stations: list[np.ndarray] = []
    cores = plan_cores(facility, rng, opt.wall_thickness)
    for lv in facility.levels:
        if lv.id in wanted:
            stations += _level_mesh(facility, lv, opt, rng, mesh, cores=cores)
    _check_size(mesh, opt.spacing)
    # Built on one thread: a scene built on several differed from run to run, and with it
    # which of two triangles meeting at an edge (a wall's end in a corner) a ray hit or passed
    # between; one ray more or less shifted every later noise draw, so the same seed gave
    # another scan of the 4-storey hospital (and 150 rooms and corridors or 151) in each process.
    scene = o3d.t.geometry.RaycastingScene(nthreads=1)
    scene.add_triangles(o3d.core.Tensor.from_numpy(np.vstack(mesh.verts)),
                        o3d.core.Tensor.from_numpy(np.vstack(mesh.tris)))
    parts: list[np.ndarray] = []
    for st in stations:
        # Angular step that gives ``spacing`` at a typical 5 m range; nearer
        # surfaces are denser and thinned below, farther ones sparser.
        dirs = _sphere(opt.spacing / 5.0).astype(np.float32)
        rays = np.hstack([np.broadcast_to(st.astype(np.float32), dirs.shape), dirs])
        hit = scene.cast_rays(o3d.core.Tensor.from_numpy(np.ascontiguousarray(rays)))
        r = hit["t_hit"].numpy().astype(np.float64)
        ok = np.isfinite(r) & (r <= opt.max_range)
        r = r[ok]
        r = r + rng.normal(0.0, 1.0, len(r)) * (opt.range_noise + opt.range_noise_per_m * r)
        pts = st + dirs[ok].astype(np.float64) * r[:, None]
        parts.append(voxel_downsample(pts, opt.spacing))
    cloud = np.vstack(parts) if parts else np.empty((0, 3))
    return voxel_downsample(cloud, opt.spacing)


def _check_size(mesh: _Mesh, spacing: float) -> None:
    """Refuse a ``spacing`` whose scan could not be read back whole, before any ray is cast: about
    one point per ``spacing`` square of surface is kept (the sample hospital kept 1 in 1.2)."""
    if not mesh.verts:
        return
    v, t = np.vstack(mesh.verts).astype(np.float64), np.vstack(mesh.tris)
    a, b, c = v[t[:, 0]], v[t[:, 1]], v[t[:, 2]]
    area = 0.5 * float(np.linalg.norm(np.cross(b - a, c - a), axis=1).sum())
    expected = area / spacing**2
    if expected > MAX_SYNTH_POINTS:
        finest = math.sqrt(area / MAX_SYNTH_POINTS)
        raise ScanOptionError("spacing", f">= {math.ceil(finest * 1000) / 1000:g} m for these levels (their "
                              f"{area:,.0f} m^2 of surfaces would give about {expected:,.0f} points, over "
                              f"the {MAX_SYNTH_POINTS:,} a scan read whole may hold), or fewer levels",
                              spacing)


def truth_for_levels(facility: Facility, levels: Iterable[str]) -> Facility:
    """The part of ``facility`` on ``levels``: the ground truth of a scan of those levels."""
    keep = set(levels)
    spaces = tuple(s for s in facility.spaces if s.level in keep)
    ids = {s.id for s in spaces}
    return replace(
        facility,
        levels=tuple(lv for lv in facility.levels if lv.id in keep),
        spaces=spaces,
        doors=tuple(d for d in facility.doors if set(d.spaces) <= ids),
        exits=tuple(e for e in facility.exits if e.space in ids),
        stairs=tuple(_linked(x, ids) for x in facility.stairs if _linked(x, ids) is not None),  # type: ignore[misc]
        lifts=tuple(_linked(x, ids) for x in facility.lifts if _linked(x, ids) is not None),  # type: ignore[misc]
        metadata={**dict(facility.metadata), "truth_levels": sorted(keep)},
    )


def _linked(link: Stair | Lift, ids: set[str]) -> Stair | Lift | None:
    """A stair or lift cut to the scanned levels; ``None`` if it serves fewer than two of them."""
    kept = tuple(s for s in link.spaces if s in ids)
    return replace(link, spaces=kept) if len(kept) >= 2 else None
