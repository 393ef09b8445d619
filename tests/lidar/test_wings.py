"""Wings at other angles: each extracted in its own frame and joined at the seam."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import Point, Polygon, box

from facility.model import Door, Exit, Facility, Level, Space, SpaceKind
from facility.validate import validate
from lidar.extract import extract
from lidar.frame import wall_directions
from lidar.grid import Grid
from lidar.metrics import accuracy
from lidar.synth import SynthOptions, synthesize
from lidar.wings import carve_unseen, wing_regions

ROOMS = 3  # per side of each wing's corridor
LENGTH = 4.0 * ROOMS


def winged(angle_deg: float) -> Facility:
    """An L of two office wings: wing A along x, wing B turned by ``angle_deg`` about A's north-east corner.

    Each wing is a 2.4 m corridor with three 4 x 5 m rooms on each side; the
    corridor bends through a wedge-shaped joint, and each wing's far end is
    an exit.  Room ids start with the wing's letter.
    """
    pivot = (LENGTH, 7.4)

    def turned(g: Polygon) -> Polygon:
        return affinity.rotate(affinity.translate(g, LENGTH, 0.0), angle_deg, origin=pivot)

    def at(x: float, y: float) -> tuple[float, float]:
        p = affinity.rotate(Point(x + LENGTH, y), angle_deg, origin=pivot)
        return (round(p.x, 4), round(p.y, 4))

    corridor = Polygon([(0, 0), (LENGTH, 0), at(0, 0), at(LENGTH, 0), at(LENGTH, 2.4), at(0, 2.4),
                        (LENGTH, 2.4), (0, 2.4)])
    spaces = [Space(id="C", level="L0", kind=SpaceKind.CORRIDOR, polygon=corridor, use="corridor")]
    doors: list[Door] = []
    widths = [0.9, 1.2, 1.0, 1.6, 0.8, 1.4]
    for w, wing in enumerate("AB"):
        for i in range(ROOMS):
            for side, (y0, y1, yd) in enumerate([(-5.0, 0.0, 0.0), (2.4, 7.4, 2.4)]):
                poly, d = box(4.0 * i, y0, 4.0 * i + 4.0, y1), (4.0 * i + 2.0 + 0.3 * side, yd)
                if wing == "B":
                    poly, d = turned(poly), at(*d)
                rid = f"{wing}R{side}{i}"
                spaces.append(Space(id=rid, level="L0", kind=SpaceKind.ROOM, polygon=poly, use="office"))
                doors.append(Door(id=f"{wing}D{side}{i}", spaces=("C", rid), at=d,
                                  width=widths[(2 * i + side + w) % len(widths)]))
    exits = (Exit(id="XA", space="C", at=(0.0, 1.2), width=1.5),
             Exit(id="XB", space="C", at=at(LENGTH, 1.2), width=1.5))
    return Facility(name=f"wings at {angle_deg:g} degrees", levels=(Level(id="L0", ceiling_height=3.0),),
                    spaces=tuple(spaces), doors=tuple(doors), exits=exits)


def _iou(a: Polygon, b: Polygon) -> float:
    return float(a.intersection(b).area / a.union(b).area)


def _two_blocks(turn_deg: float) -> tuple[Grid, np.ndarray]:
    """Two 10 x 10 m blocks of 2.5 m rooms' walls, one along the axes, one turned ``turn_deg`` beside it."""
    g = Grid(0.0, 0.0, 0.1, (140, 260))
    yy, xx = (np.mgrid[0:140, 0:260] + 0.5) * 0.1
    a = (np.abs(np.mod(xx, 2.5) - 1.25) > 1.15) | (np.abs(np.mod(yy, 2.5) - 1.25) > 1.15)
    a &= (xx > 1) & (xx < 11) & (yy > 1) & (yy < 11)
    c, s = math.cos(math.radians(turn_deg)), math.sin(math.radians(turn_deg))
    u, v = c * (xx - 14) + s * (yy - 1), -s * (xx - 14) + c * (yy - 1)
    b = (np.abs(np.mod(u, 2.5) - 1.25) > 1.15) | (np.abs(np.mod(v, 2.5) - 1.25) > 1.15)
    b &= (u > 0) & (u < 10) & (v > 0) & (v < 9)
    return g, a | b


def test_regions_follow_each_wings_walls() -> None:
    g, wall = _two_blocks(30.0)
    angles = [x for x, _ in wall_directions(wall)[:2]]
    assert sorted(round(math.degrees(x)) for x in angles) == [0, 30]
    regions = wing_regions(g, wall, angles)
    straight = regions[[round(math.degrees(x)) for x in angles].index(0)]
    assert straight.contains(Point(6, 6)) and not straight.contains(Point(19, 6))


@settings(max_examples=8, deadline=None)
@given(st.floats(min_value=15.0, max_value=45.0))
def test_regions_never_overlap_and_cover_the_plan(turn: float) -> None:
    g, wall = _two_blocks(turn)
    regions = wing_regions(g, wall, [0.0, math.radians(turn)])
    assert regions[0].intersection(regions[1]).area < 1e-6
    assert shapely.union_all(regions).contains(box(g.x0, g.y0, g.x0 + 26.0, g.y0 + 14.0))


@pytest.mark.parametrize("angle", [30.0, 45.0])
def test_each_wing_is_extracted_in_its_own_frame(angle: float) -> None:
    """Extracted in the main frame only, the turned wing lost half its rooms (room F1 0.6 at 30 degrees,
    door F1 0.67); each wing in its own frame and joined at the seam, every room of both wings is found,
    the bent corridor is one space, and the file is valid and evacuates.  Each wing's doors are sought
    along its own walls: in the frame of a wing at 45 degrees the door finder had followed the other
    wing's walls (the most walls) and found none of its own."""
    from scenarios.evacuation import EvacParams, PersonSpec, simulate

    truth = winged(angle)
    opt = SynthOptions(spacing=0.05, clutter_per_m2=0.03)
    pts = synthesize(truth, rng=np.random.default_rng(3), options=opt)
    ex = extract(pts)
    fac = ex.facility
    assert ex.report.levels[0]["wings_deg"], "the second wall family was not seen"
    assert not [str(i) for i in validate(fac) if i.severity == "error"]
    found = [s for s in fac.spaces if s.kind is SpaceKind.ROOM]
    corridors = [s for s in fac.spaces if s.kind is SpaceKind.CORRIDOR]
    assert len(corridors) == 1
    for wing in "AB":
        rooms = [s for s in truth.spaces if s.id.startswith(f"{wing}R")]
        matched = [r for r in rooms if any(_iou(r.polygon, f.polygon) >= 0.75 for f in found)]
        assert len(matched) == len(rooms), f"wing {wing}: {len(matched)} of {len(rooms)} rooms found"
        # Each of the wing's rooms has its door to the corridor, within 0.3 m of the true one.
        for d in [d for d in truth.doors if d.id.startswith(wing)]:
            assert any(math.dist(d.at, x.at) < 0.3 and corridors[0].id in x.spaces for x in fac.doors), d.id
    assert len(found) == len([s for s in truth.spaces if s.kind is SpaceKind.ROOM])
    acc = accuracy(fac, truth)
    assert acc.room_f1 == 1.0 and acc.door_f1 >= 0.95 and acc.exit_precision == 1.0
    # The void walled in north of the joint (a 6 m^2 triangle nothing sees) had joined the corridor
    # at 30 degrees, and routes through the joint cut across it: 11 % route error on this seed.
    assert acc.path_length_rel_error <= 0.05
    # Both corridor-end exits.  At 30 degrees the turned wing's was missed on 3 seeds of 4: its floor,
    # seen at a grazing angle from a station 6 m off, filled 12-17 % of the cells the exit test probes;
    # a door head over it, the floor seen before it and nothing standing there now make it an opening.
    assert acc.exit_recall == 1.0, acc.exit_lines()
    if angle != 30.0:
        return  # one evacuation is enough to show the joined file is usable (a run takes seconds)
    people = [PersonSpec(id=f"{s.id}-p", profile="ambulant", space=s.id) for s in fac.spaces]
    m = simulate(fac, people, EvacParams(strategy="full", trajectories=False, max_time=600.0),
                 np.random.default_rng(1))
    assert (m.people.state == 7).all()


def test_a_corridor_loses_the_walled_in_ground_no_scanner_saw() -> None:
    """A 10 x 2 m corridor whose floor and ceiling were seen except over a 2 x 1.5 m patch at one
    side (void walled in at a joint): the patch is cut off, the rest kept; a room is left whole."""
    rng = np.random.default_rng(0)
    xy = rng.uniform([0, 0], [10, 2], (40_000, 2))
    hole = (xy[:, 0] > 4) & (xy[:, 0] < 6) & (xy[:, 1] > 0.5)
    xy = xy[~hole]
    pts = np.vstack([np.column_stack([xy, np.zeros(len(xy))]), np.column_stack([xy, np.full(len(xy), 3.0)])])
    corridor = Space(id="C", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(0, 0, 10, 2))
    room = Space(id="R", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 0, 10, 2))
    c, r = carve_unseen([corridor, room], pts, floor=0.0, ceiling=3.0)
    assert 20 - 3.0 - 0.5 <= c.polygon.area <= 20 - 3.0 + 0.5
    assert not c.polygon.contains(Point(5, 1.5)) and c.polygon.contains(Point(5, 0.2))
    assert r.polygon.area == 20
