"""Where a door shut flush with no frame may hide: a room whose only way out is long."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
from shapely.geometry import Point, box

from facility.model import Door, Exit, Facility, Level, Space, SpaceKind
from lidar.extract import extract
from lidar.hidden_doors import hidden_door_warnings
from lidar.metrics import accuracy
from lidar.synth import SynthOptions, synthesize


def back_to_back(*, hidden: bool) -> Facility:
    """Two 30 m corridors joined at their west ends by P: C in front, with exits at its east end and
    beside P, and D behind.  Between them rooms back to back: the front ones open onto C, the back ones
    onto D and their front neighbour.  Room A at the east end of the back row opens onto D only, 26 m
    from an exit (along D and through the back rooms), while a door to room B in front (``hidden``)
    would put it 11 m from one."""
    lv = Level(id="L0", ceiling_height=3.0)

    def sp(sid: str, kind: SpaceKind, corners: tuple[float, float, float, float]) -> Space:
        return Space(id=sid, level="L0", kind=kind, polygon=box(*corners))

    spaces = [sp("C", SpaceKind.CORRIDOR, (0, 0, 30, 2.4)), sp("D", SpaceKind.CORRIDOR, (0, -12.4, 30, -10)),
              sp("P", SpaceKind.CORRIDOR, (-2.4, -12.4, 0, 2.4)),
              sp("B", SpaceKind.ROOM, (24, -5, 30, 0)), sp("A", SpaceKind.ROOM, (24, -10, 30, -5))]
    doors = [Door(id="CP", spaces=("C", "P"), at=(0, 1.2), width=1.2),
             Door(id="DP", spaces=("D", "P"), at=(0, -11.2), width=1.2),
             Door(id="BC", spaces=("B", "C"), at=(27, 0), width=1.0),
             Door(id="AD", spaces=("A", "D"), at=(27, -10), width=1.0)]
    for i in range(6):
        spaces += [sp(f"R{i}", SpaceKind.ROOM, (4 * i, -5, 4 * i + 4, 0)),
                   sp(f"Q{i}", SpaceKind.ROOM, (4 * i, -10, 4 * i + 4, -5))]
        doors += [Door(id=f"R{i}C", spaces=(f"R{i}", "C"), at=(4 * i + 2, 0), width=0.9),
                  Door(id=f"Q{i}D", spaces=(f"Q{i}", "D"), at=(4 * i + 2, -10), width=0.9),
                  Door(id=f"Q{i}R", spaces=(f"Q{i}", f"R{i}"), at=(4 * i + 2.6, -5), width=0.9)]
    if hidden:
        doors.append(Door(id="AB", spaces=("A", "B"), at=(27, -5), width=1.0))
    exits = (Exit(id="XE", space="C", at=(30, 1.2), width=1.5),
             Exit(id="XN", space="C", at=(1.5, 2.4), width=1.5))
    return Facility(name="back to back", levels=(lv,), spaces=tuple(spaces), doors=tuple(doors), exits=exits)


def test_a_room_whose_only_door_is_far_round_names_the_wall_a_door_may_hide_in() -> None:
    warnings = hidden_door_warnings(back_to_back(hidden=False))
    assert len(warnings) == 1
    w = warnings[0]
    assert w.startswith("space A (room) on level L0") and "with B (room)" in w, w
    wall = re.search(r"from \((-?[\d.]+), (-?[\d.]+)\) to \((-?[\d.]+), (-?[\d.]+)\)", w)
    assert wall is not None and np.allclose([float(v) for v in wall.groups()], [24, -5, 30, -5], atol=0.01), w
    now, via = re.search(r"gives a (\d+) m route", w), re.search(r"make it (\d+) m", w)
    assert now is not None and via is not None
    assert float(now[1]) > 24 and float(via[1]) < 13, w


def test_no_warning_when_the_door_is_found_or_the_room_has_two_ways_out() -> None:
    assert hidden_door_warnings(back_to_back(hidden=True)) == []
    two = back_to_back(hidden=False)
    two = replace(two, doors=(*two.doors, Door(id="AC2", spaces=("A", "D"), at=(25, -10), width=1.0)))
    assert hidden_door_warnings(two) == []


def test_rooms_along_a_corridor_raise_no_warning(office: Facility) -> None:
    assert hidden_door_warnings(office) == []


def test_a_scan_with_the_door_shut_flush_and_frameless_warns_about_that_wall() -> None:
    """The door between A and B shut flush with no frame: the scan shows a plain wall, A keeps its door
    onto D, and the report names the wall between A and B, with its ends, as where a door may hide."""
    truth = back_to_back(hidden=True)
    opt = SynthOptions(spacing=0.05, closed_doors=("AB",), leaf="flush")
    ex = extract(synthesize(truth, rng=np.random.default_rng(1), options=opt))
    assert accuracy(ex.facility, truth).room_f1 == 1.0
    hidden = [w for w in ex.report.warnings if "would make it" in w]
    assert len(hidden) == 1
    wall = re.search(r"from \((-?[\d.]+), (-?[\d.]+)\) to \((-?[\d.]+), (-?[\d.]+)\)", hidden[0])
    assert wall is not None and np.allclose([float(v) for v in wall.groups()], [24, -5, 30, -5], atol=0.1)
    a = next(s for s in ex.facility.spaces if s.polygon.contains(Point(27, -7.5)))
    b = next(s for s in ex.facility.spaces if s.polygon.contains(Point(27, -2.5)))
    assert hidden[0].startswith(f"space {a.id} (room)") and f"with {b.id} (room)" in hidden[0]
