"""Shut doors: a leaf set back in its frame is a door with its clear width, not a wall."""

from __future__ import annotations

import numpy as np

from facility.model import Facility
from lidar.doors import Opening
from lidar.extract import extract
from lidar.metrics import accuracy
from lidar.synth import SynthOptions, synthesize

from .conftest import wall_with_gap


def test_every_shut_door_between_rooms_is_found_with_its_width(office: Facility) -> None:
    opt = SynthOptions(spacing=0.04, closed_door_fraction=1.0)
    ex = extract(synthesize(office, rng=np.random.default_rng(4), options=opt))
    fac = ex.facility
    acc = accuracy(fac, office)
    assert acc.room_f1 == 1.0  # no room is left out behind its shut door
    assert len(fac.doors) == len(office.doors)
    for d in office.doors:
        near = min(fac.doors, key=lambda f: np.hypot(f.at[0] - d.at[0], f.at[1] - d.at[1]))
        assert np.hypot(near.at[0] - d.at[0], near.at[1] - d.at[1]) < 0.15
        assert abs(near.width - d.width) <= 0.03, (d.id, near.width, d.width)


def test_open_doors_are_not_found_twice(office_extraction, office: Facility) -> None:  # type: ignore[no-untyped-def]
    assert len(office_extraction.facility.doors) == len(office.doors)


def test_a_door_shut_flush_with_both_faces_is_named_in_a_warning_with_its_wall(office: Facility) -> None:
    """A leaf filling its wall's thickness leaves no gap, recess or step in the plan: the room behind it is
    left out, and the warning names the corridor wall the door is likely in, with its ends, never silently."""
    from shapely.geometry import LineString, Point

    opt = SynthOptions(spacing=0.04, closed_door_fraction=1.0, leaf="flush")
    ex = extract(synthesize(office, rng=np.random.default_rng(4), options=opt))
    rooms = [s for s in office.spaces if s.id != "C"]
    left_out = [w for w in ex.report.warnings if "left out" in w]
    assert len(left_out) == len(rooms)
    spans = []
    for w in left_out:
        assert "door shut flush with the wall" in w and "(corridor)" in w, w
        ends = [float(v) for v in w.split(" from (")[1].split(")")[0].replace(") to (", ", ").split(", ")]
        ends += [float(v) for v in w.split(") to (")[1].split(")")[0].split(", ")]
        spans.append(LineString([ends[:2], ends[2:4]]))
    # Every true door lies on the wall one of the warnings names.
    for d in office.doors:
        assert any(span.distance(Point(d.at)) < 0.2 for span in spans), d.id


def _shut_doors(behind: str, step: float = 0.0) -> list[Opening]:
    from lidar.closed_doors import detect_closed_doors

    plan = wall_with_gap(behind, step=step)
    return detect_closed_doors(plan.grid, wall=plan.wall, lintel=plan.lintel, floor=plan.floor,
                               band_points=plan.band, opened=[], options=plan.options)


def test_a_hidden_wall_face_is_no_shut_door_unless_a_leaf_stands_in_front_of_the_far_face() -> None:
    """A 0.75 m stretch of a wall's near face shows nothing from the floor to 2.1 m: with a 40 mm leaf
    standing 10 cm behind it, a shut door; with only the wall's far face 15 cm behind (a stair flight
    along the wall hid its near face), none."""
    found = _shut_doors("leaf")
    assert len(found) == 1 and abs(found[0].width - 0.75) <= 0.03 and abs(found[0].centre[0] - 2.875) < 0.03
    assert _shut_doors("wall") == []


def test_a_recess_stepping_to_the_next_grid_line_is_one_shut_door() -> None:
    """A face at 45 degrees to the scan's voxels steps between two grid lines: the recess of the
    sample hospital's west lift door, turned 45 degrees, fell into pieces too short for a door."""
    found = _shut_doors("leaf", step=0.01)
    assert len(found) == 1 and abs(found[0].width - 0.75) <= 0.03
