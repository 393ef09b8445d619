"""Fixtures for the LiDAR tests: small facilities with exact geometry, and the real scans."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from facility.model import Door, Exit, Facility, Level, Lift, Space, SpaceKind, Stair
from lidar.envelope_gaps import Surroundings
from lidar.grid import Columns, Grid
from lidar.options import ExtractOptions

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def room_cloud(rng: np.random.Generator, n: int = 3000) -> np.ndarray:
    """``n`` points spread through a 5 x 4 x 2.8 m room, rounded to 0.1 mm (every format keeps them)."""
    p = rng.uniform([0, 0, 0], [5, 4, 2.8], size=(n, 3))
    return np.round(p, 4)


def write_las(path: Path, pts: np.ndarray) -> None:
    """Write ``pts`` as a LAS or LAZ file (by ``path``'s suffix) at millimetre scale."""
    import laspy

    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales = np.array([0.001, 0.001, 0.001])
    las = laspy.LasData(header)
    las.x, las.y, las.z = pts[:, 0], pts[:, 1], pts[:, 2]
    las.write(str(path))


#: Plan grid pitch (m) of :func:`gapped_room`.
GAPPED_CELL = 0.05


def gapped_room(beyond: str, *, gap: tuple[float, float] = (4.5, 6.0), lintel: bool = True,
          mullion: float | None = None) -> tuple[list[Space], Surroundings]:
    """A 6 x 6 m room (walls on x, y = 2 and 8) with a gap in its south wall, and what lies beyond it."""
    g = Grid(0.0, 0.0, GAPPED_CELL, (200, 200))
    yy, xx = (np.mgrid[0:200, 0:200] + 0.5) * GAPPED_CELL
    ring = ((np.abs(xx - 2) < 0.08) | (np.abs(xx - 8) < 0.08)
            | (np.abs(yy - 2) < 0.08) | (np.abs(yy - 8) < 0.08))
    inside_box = (xx > 1.9) & (xx < 8.1) & (yy > 1.9) & (yy < 8.1)
    wall = ring & inside_box
    hole = (np.abs(yy - 2) < 0.1) & (xx > gap[0]) & (xx < gap[1])
    wall &= ~hole
    if mullion is not None:
        wall |= hole & (np.abs(xx - mullion) < 0.03)
    floor = (xx > 2.1) & (xx < 7.9) & (yy > 2.1) & (yy < 7.9) | hole
    outside = yy < 1.9
    floor_level = floor | (outside if beyond in ("ground", "interior") else False)
    ceiling = inside_box | (outside if beyond == "interior" else False)
    lin = wall | (hole if lintel else False)
    any_ret = wall | floor_level | ceiling
    if beyond == "furniture":  # a cabinet standing 0.9 m deep beyond the gap, nothing farther seen
        any_ret |= outside & (yy > 1.0)
    ii, jj = np.nonzero(wall)
    low = wall.copy()
    standing = wall.copy()
    env = Surroundings(g, wall, lin, floor, floor_level, ceiling, any_ret, low, standing, g.centres(ii, jj))
    return [Space(id="R", level="L0", kind=SpaceKind.ROOM, polygon=box(2, 2, 8, 8))], env


def office_floor(rooms_per_side: int = 3, *, level: str = "L0", elevation: float = 0.0,
                 prefix: str = "") -> tuple[list[Space], list[Door], list[Exit], Level]:
    """A corridor 2.4 m wide with 4 x 5 m rooms on both sides, each with one door, and one exit."""
    length = 4.0 * rooms_per_side
    spaces = [Space(id=f"{prefix}C", level=level, kind=SpaceKind.CORRIDOR,
                    polygon=box(0, 0, length, 2.4), use="corridor")]
    doors, widths = [], [0.9, 1.2, 1.0, 1.6, 0.8, 1.4]
    for i in range(rooms_per_side):
        for side, (y0, y1, yd) in enumerate([(-5.0, 0.0, 0.0), (2.4, 7.4, 2.4)]):
            rid = f"{prefix}R{side}{i}"
            spaces.append(Space(id=rid, level=level, kind=SpaceKind.ROOM,
                                polygon=box(4.0 * i, y0, 4.0 * i + 4.0, y1), use="office"))
            w = widths[(2 * i + side) % len(widths)]
            doors.append(Door(id=f"{prefix}D{side}{i}", spaces=(f"{prefix}C", rid),
                              at=(4.0 * i + 2.0 + 0.3 * side, yd), width=w))
    exits = [Exit(id=f"{prefix}X", space=f"{prefix}C", at=(length, 1.2), width=1.5)]
    return spaces, doors, exits, Level(id=level, elevation=elevation, ceiling_height=3.0)


def make_office(rooms_per_side: int = 3) -> Facility:
    spaces, doors, exits, lv = office_floor(rooms_per_side)
    return Facility(name="office", levels=(lv,), spaces=tuple(spaces), doors=tuple(doors),
                    exits=tuple(exits))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def office() -> Facility:
    return make_office(3)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"shared scan data folder {DATA} is absent")
    return DATA


@pytest.fixture(scope="session")
def office_scan(office: Facility) -> np.ndarray:
    """A synthetic scan of the office floor at 4 cm spacing with clutter (seeded)."""
    from lidar.synth import SynthOptions, synthesize

    return synthesize(office, rng=np.random.default_rng(2024), options=SynthOptions(spacing=0.04))


@pytest.fixture(scope="session")
def office_extraction(office_scan: np.ndarray):  # type: ignore[no-untyped-def]
    from lidar.extract import extract

    return extract(office_scan)


def tower(storeys: int = 3, *, height: float = 3.4, ceiling: float = 2.8) -> Facility:
    """A small multi-storey block: a 16 m corridor with four rooms south, and north two stair cores,
    two lifts (with stores behind them) and a room; ground exits at the corridor's west end (open over
    its whole width), the south entrance of room R1 and the east stair's discharge."""
    spaces: list[Space] = []
    doors: list[Door] = []
    exits: list[Exit] = []
    levels = []
    def sp(lid: str, name: str, kind: SpaceKind, corners: tuple[float, float, float, float]) -> str:
        sid = f"{lid}-{name}"
        spaces.append(Space(id=sid, level=lid, kind=kind, polygon=box(*corners)))
        return sid

    def door(a: str, b: str, at: tuple[float, float], width: float) -> None:
        doors.append(Door(id=f"D-{a}-{b}", spaces=(a, b), at=at, width=width))

    for k in range(storeys):
        lid = f"L{k}"
        levels.append(Level(id=lid, elevation=k * height, ceiling_height=ceiling))
        c = sp(lid, "C", SpaceKind.CORRIDOR, (0, 0, 16, 2.4))
        for i in range(4):
            room = sp(lid, f"R{i}", SpaceKind.ROOM, (4 * i, -5, 4 * i + 4, 0))
            door(room, c, (4 * i + 2.0, 0.0), 1.0 + 0.1 * i)
        door(sp(lid, "SW", SpaceKind.STAIR, (0, 2.4, 3, 7.8)), c, (1.5, 2.4), 1.2)
        door(sp(lid, "LW", SpaceKind.LIFT, (3, 2.4, 5.4, 4.9)), c, (4.2, 2.4), 0.9)
        n1 = sp(lid, "N1", SpaceKind.ROOM, (5.4, 2.4, 10.6, 7.8))
        door(n1, c, (8.0, 2.4), 1.2)
        door(sp(lid, "PW", SpaceKind.ROOM, (3, 4.9, 5.4, 7.8)), n1, (5.4, 6.35), 0.9)
        door(sp(lid, "LE", SpaceKind.LIFT, (10.6, 2.4, 13, 4.9)), c, (11.8, 2.4), 0.9)
        door(sp(lid, "PE", SpaceKind.ROOM, (10.6, 4.9, 13, 7.8)), n1, (10.6, 6.35), 0.9)
        door(sp(lid, "SE", SpaceKind.STAIR, (13, 2.4, 16, 7.8)), c, (14.5, 2.4), 1.2)
        if k == 0:
            exits += [Exit(id="X-END", space=c, at=(0.0, 1.2), width=2.4),
                      Exit(id="X-ENTRANCE", space=f"{lid}-R1", at=(6.0, -5.0), width=1.8),
                      Exit(id="X-STAIR", space=f"{lid}-SE", at=(16.0, 5.6), width=1.2)]
    ids = [f"L{k}" for k in range(storeys)]
    # Walking length per storey of the scanner's dog-leg (lidar.synth_cores): 2 x 9 treads
    # of 279 mm up the slope, and the turn across the half landing.
    risers = 2 * round(height / 0.178 / 2)
    walk = math.hypot((risers - 2) * 0.279, height) + 2 * 1.2
    stairs = tuple(Stair(id=f"S-{s}", spaces=tuple(f"{x}-S{s}" for x in ids), width=1.2, flight_length=walk)
                   for s in "WE")
    lifts = tuple(Lift(id=f"LIFT-{s}", spaces=tuple(f"{x}-L{s}" for x in ids), car_width=1.4, car_depth=1.6,
                       door_width=0.9) for s in "WE")
    return Facility(name="tower", levels=tuple(levels), spaces=tuple(spaces), doors=tuple(doors),
                    exits=tuple(exits), stairs=stairs, lifts=lifts)


@pytest.fixture(scope="session")
def tower_scan() -> np.ndarray:
    """Three storeys of :func:`tower` scanned at 5 cm with furniture and people (seeded)."""
    from lidar.synth import SynthOptions, synthesize

    opt = SynthOptions(spacing=0.05, clutter_per_m2=0.03, people_per_m2=0.02)
    return synthesize(tower(3), rng=np.random.default_rng(5), options=opt)


@dataclass(frozen=True)
class WallPlan:
    """The plan arrays of :func:`wall_with_gap`, as the extraction builds them for one storey."""

    grid: Grid
    wall: np.ndarray
    lintel: np.ndarray
    floor: np.ndarray
    band: np.ndarray
    options: ExtractOptions


def wall_with_gap(behind: str, *, step: float = 0.0) -> WallPlan:
    """A 6 m wall 15 cm thick (near face y = 0.045, far face y = 0.195, 3 m storey, floor and ceiling
    seen on both sides, 5 cm plan cells from y = 0) whose near face shows nothing from the floor to
    2.1 m over x = 2.5-3.25 m.

    ``behind`` says what stands behind that gap: ``"leaf"``, a 40 mm shut leaf 10 cm behind the near
    face (the far face goes on); ``"wall"``, only the wall's far face (the near face was hidden, as
    by a stair's half landing along it: the floor is seen right up to the face); ``"open"``, nothing
    (a doorway through both faces). ``step`` (m): the wall, faces and leaf, stands that much farther
    along y from x = 2.875 m on (0.01 puts the near face across a cell boundary there, as a face at 45
    degrees to the voxels steps between grid lines).
    """
    opt = ExtractOptions()
    s = 0.025
    xs, zs = np.arange(0.0, 6.0, s), np.arange(0.0, 3.0, s)
    x, z = (a.ravel() for a in np.meshgrid(xs, zs))
    gap = (x > 2.5) & (x < 3.25) & (z < 2.1)
    far = ~gap if behind == "open" else np.ones(len(x), bool)
    parts = [np.column_stack([x[~gap], np.full((~gap).sum(), 0.045), z[~gap]]),
             np.column_stack([x[far], np.full(far.sum(), 0.195), z[far]])]
    if behind == "leaf":
        parts.append(np.column_stack([x[gap], np.full(gap.sum(), 0.145), z[gap]]))
    fx, fy = (a.ravel() for a in np.meshgrid(xs, np.arange(-2.0, 2.15, s)))
    out = (fy < 0.04) | (fy > 0.205) | ((fx > 2.5) & (fx < 3.25) & (behind == "open"))
    parts += [np.column_stack([fx[out], fy[out], np.zeros(out.sum())]),
              np.column_stack([fx, fy, np.full(len(fx), 3.0)])]
    pts = np.vstack(parts)
    pts[pts[:, 0] >= 2.875, 1] += np.where(pts[pts[:, 0] >= 2.875, 2] > 0.05, step, 0.0)
    grid = Grid.covering(pts[:, :2], 0.05)
    cols = Columns.of(grid, pts, -0.15, 3.15, 0.05)
    return WallPlan(grid=grid, wall=cols.fill(*opt.wall_band) >= opt.wall_min_fill,
                    lintel=cols.fill(opt.lintel_band_start, 3.0 - opt.ceiling_clearance) >= opt.wall_min_fill,
                    floor=(cols.fill(-0.1, 0.1) > 0) & (cols.fill(0.15, 2.0) < 0.1),
                    band=pts[(pts[:, 2] >= opt.wall_band[0]) & (pts[:, 2] < opt.wall_band[1]), :2],
                    options=opt)
