"""Unexplained corridor sides are replaced by wall-bounded rooms; explained ones are left alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from shapely.geometry import box

from facility.model import Door, Exit, Facility, Level, Space, SpaceKind
from facility.validate import validate
from lidar.grid import Grid
from lidar.options import ExtractOptions
from lidar.report import ExtractionReport
from lidar.side_assembly import main_component, rooms_from_corridor_sides

from .test_sides import floor_walls


def _inputs() -> tuple[Grid, np.ndarray, np.ndarray]:
    xy = floor_walls([(2.0, 0.9), (5.0, 1.2), (10.5, 0.8)])
    grid = Grid.covering(xy, 0.05)
    wall = np.zeros(grid.shape, dtype=bool)
    wall[grid.cells(xy)] = True
    return grid, wall, np.repeat(xy, 5, axis=0)


CORRIDOR = Space(id="L0-C01", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(0, -1.2, 12, 1.2),
                 use="corridor")
LEVEL = Level(id="L0", elevation=0.0, ceiling_height=3.0)


def _primary() -> tuple[list[Space], list[Door]]:
    """The primary segmentation: a room across the corridor joined by a door, and two
    regions on the far side with no door found."""
    south = Space(id="L0-R01", level="L0", kind=SpaceKind.ROOM, polygon=box(0, -6.2, 12, -1.2))
    d0 = Door(id="L0-D01", spaces=("L0-C01", "L0-R01"), at=(6.0, -1.2), width=0.9)
    lost = [Space(id=f"L0-R0{k + 2}", level="L0", kind=SpaceKind.ROOM,
                  polygon=box(6 * k, 1.2, 6 * k + 6, 6.2)) for k in range(2)]
    return [CORRIDOR, south, *lost], [d0]


def test_dropped_side_becomes_rooms_joined_by_doors() -> None:
    grid, wall, band = _inputs()
    primary, d0 = _primary()
    report = ExtractionReport(source="<test>")
    spaces, doors = rooms_from_corridor_sides("L0", primary, d0, grid=grid, wall=wall,
                                              band_points=band, opt=ExtractOptions(), lattice=0.0,
                                              report=report)
    rooms = [s for s in spaces if s.kind is SpaceKind.ROOM and s.id != "L0-R01"]
    assert len(rooms) == 3
    assert not {"L0-R02", "L0-R03"} & {s.id for s in spaces}
    assert sorted(report.side_rooms) == sorted(s.id for s in rooms)
    assert any("partition walls" in w for w in report.warnings)
    assert sorted(round(d.width, 1) for d in doors if "L0-R01" not in d.spaces) == [0.8, 0.9, 1.2]
    assert len({d.id for d in doors}) == len(doors) == 4
    assert main_component(spaces, doors) == {s.id for s in spaces}
    fac = Facility(name="t", levels=(LEVEL,), spaces=tuple(spaces), doors=tuple(doors),
                   exits=(Exit(id="X", space="L0-C01", at=(0.0, 0.0), width=1.2),))
    assert not [i for i in validate(fac) if i.severity == "error"]
    # The rooms tile the side without overlapping the corridor or each other.
    assert sum(r.polygon.area for r in rooms) <= 12 * 5.2 + 1.0
    assert all(r.polygon.intersection(CORRIDOR.polygon).area < 1e-6 for r in rooms)


def test_explained_side_is_unchanged() -> None:
    grid, wall, band = _inputs()
    room = Space(id="L0-R01", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 1.2, 12, 6.2))
    door = Door(id="L0-D01", spaces=("L0-C01", "L0-R01"), at=(2.0, 1.2), width=0.9)
    report = ExtractionReport(source="<test>")
    spaces, doors = rooms_from_corridor_sides("L0", [CORRIDOR, room], [door], grid=grid, wall=wall,
                                              band_points=band, opt=ExtractOptions(), lattice=0.0,
                                              report=report)
    assert spaces == [CORRIDOR, room] and doors == [door]
    assert not report.side_rooms


def test_fallback_can_be_switched_off() -> None:
    grid, wall, band = _inputs()
    primary, d0 = _primary()
    off = replace(ExtractOptions(), side_rooms=False)
    spaces, doors = rooms_from_corridor_sides("L0", primary, d0, grid=grid, wall=wall, band_points=band,
                                              opt=off, lattice=0.0, report=ExtractionReport(source="<test>"))
    assert spaces == primary and doors == d0
