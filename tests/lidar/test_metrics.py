"""Accuracy metrics: perfect on the truth itself, and they fall when things are wrong."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import affinity

from facility.model import Facility
from lidar.metrics import accuracy


def test_truth_against_itself(office: Facility) -> None:
    a = accuracy(office, office)
    assert (a.room_f1, a.mean_room_iou, a.door_f1, a.edge_f1, a.door_width_mae) == (1, 1, 1, 1, 0)
    assert a.path_length_mae == 0


def test_missing_door_and_wrong_width(office: Facility) -> None:
    doors = list(office.doors)
    doors[0] = replace(doors[0], width=doors[0].width + 0.2)
    f = replace(office, doors=tuple(doors[:-1]))
    a = accuracy(f, office)
    assert a.door_recall == (len(office.doors) + 1 - 1) / (len(office.doors) + 1)  # exit counts too
    assert abs(a.door_width_mae - 0.2 / (len(office.doors) - 1 + 1)) < 1e-9
    assert a.edge_f1 < 1


def test_moved_door_beyond_tolerance_is_a_miss(office: Facility) -> None:
    d = office.doors[0]
    moved = replace(d, at=(d.at[0] + 0.35, d.at[1]))
    f = replace(office, doors=(moved, *office.doors[1:]))
    assert accuracy(f, office).door_precision < 1


@settings(max_examples=20, deadline=None)
@given(st.floats(0.0, 1.5))
def test_iou_of_shifted_rooms(office: Facility, shift: float) -> None:
    """IoU of a 4 x 5 room shifted by s along x is (4 - s) / (4 + s); F1 follows the 0.5 cut."""
    moved = tuple(replace(s, polygon=affinity.translate(s.polygon, shift, 0)) for s in office.spaces
                  if s.kind.value == "room")
    rooms = tuple(s for s in office.spaces if s.kind.value == "room")
    truth = replace(office, spaces=rooms, doors=(), exits=())
    f = replace(truth, spaces=moved)
    a = accuracy(f, truth)
    iou = (4 - shift) / (4 + shift)
    if iou >= 0.5 + 1e-9:
        assert abs(a.mean_room_iou - iou) < 1e-6
        assert a.room_f1 == 1.0
    elif iou < 0.5 - 1e-9:
        assert a.room_f1 == 0.0


def test_a_lost_exit_is_counted_and_named(office: Facility) -> None:
    lost = replace(office, exits=())
    a = accuracy(lost, office)
    assert (a.exit_recall, a.exits_true, a.exits_found) == (0.0, 1, 0)
    assert a.missed_exits == ("X at (12.00, 1.20), 1.50 m",) and a.false_exits == ()
    assert a.exit_lines() == ["missed exit X at (12.00, 1.20), 1.50 m"]
    d = a.as_dict()
    assert d["exits_missed"] == 1 and d["exit_recall"] == 0
    # One storey has no route between storeys: left out, not printed as nan.
    assert "storey_route_rel_error" not in d
    assert accuracy(office, office).as_dict()["exit_precision"] == 1


def test_a_missed_door_and_a_false_one_cost_one_match_each(office: Facility) -> None:
    """One door lost at the start of a row and a false opening past its end: the least-distance
    assignment used to slide the whole row one place along and score every door of it wrong."""
    row = sorted((d for d in office.doors if d.at[1] == 0.0), key=lambda d: d.at[0])
    kept = row[1:]
    nudged = [replace(d, at=(d.at[0], d.at[1] + 0.07)) for d in kept]
    false = replace(kept[-1], id="FALSE", at=(kept[-1].at[0] + 4.2, 0.5))
    others = [d for d in office.doors if d not in row]
    a = accuracy(replace(office, doors=(*others, *nudged, false)), office)
    openings = len(office.doors) + len(office.exits)
    assert a.door_recall == (openings - 1) / openings
    assert a.door_precision == (openings - 1) / openings
