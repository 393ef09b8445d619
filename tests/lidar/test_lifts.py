"""Lift shafts from what a scan shows of them: closed rectangles stacked, their landing doors in line."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from facility.model import Door, Space, SpaceKind
from lidar.cores import StoreySpaces
from lidar.levels import Storey
from lidar.lifts import SHAFT_TO_CAR, find_lifts, rect_like

#: The shaft of the little block below: 3.0 x 3.4 m north of a corridor, its landing door at (1.5, 2).
SHAFT = box(0.0, 2.0, 3.0, 5.4)
ROOM = box(3.0, 2.0, 7.0, 5.4)
STOREY_HEIGHT = 4.0


def _floor(poly: Polygon, z: float) -> np.ndarray:
    """Floor returns every 5 cm over a polygon (what a scanner that saw that floor leaves)."""
    x0, y0, x1, y1 = poly.bounds
    xx, yy = np.meshgrid(np.arange(x0 + 0.025, x1, 0.05), np.arange(y0 + 0.025, y1, 0.05))
    xy = np.column_stack([xx.ravel(), yy.ravel()])
    xy = xy[[poly.contains(p) for p in map(tuple, xy)]] if not poly.equals(poly.envelope) else xy
    return np.column_stack([xy, np.full(len(xy), z)])


def _storey(k: int, *, shaft_seen: bool = False, landing_at: float = 1.5, merged: bool = False,
            car: Polygon | None = None) -> tuple[StoreySpaces, np.ndarray]:
    """One storey: a corridor, the shaft (or a store room of its size) behind one door, a room beside it.

    ``shaft_seen``: the scanner saw its floor (a store room someone opened); ``landing_at``: x of its
    door; ``merged``: the shaft and the room came out as one space (their wall seen from neither
    side), ``car``: the floor seen in the shaft (a car standing open).
    """
    lid, z = f"L{k}", k * STOREY_HEIGHT
    corridor = Space(id=f"{lid}-C01", level=lid, kind=SpaceKind.CORRIDOR, polygon=box(0.0, 0.0, 10.0, 2.0))
    landing = Door(id=f"{lid}-D01", spaces=(corridor.id, f"{lid}-R01"), at=(landing_at, 2.0), width=1.4)
    room_door = Door(id=f"{lid}-D02", spaces=(corridor.id, f"{lid}-R02"), at=(5.0, 2.0), width=0.9)
    if merged:
        spaces = [corridor, Space(id=f"{lid}-R01", level=lid, kind=SpaceKind.ROOM, polygon=SHAFT.union(ROOM))]
        room_door = Door(id=f"{lid}-D02", spaces=(corridor.id, f"{lid}-R01"), at=(5.0, 2.0), width=0.9)
    else:
        spaces = [corridor, Space(id=f"{lid}-R01", level=lid, kind=SpaceKind.ROOM, polygon=SHAFT),
                  Space(id=f"{lid}-R02", level=lid, kind=SpaceKind.ROOM, polygon=ROOM)]
    seen = [_floor(corridor.polygon, z), _floor(ROOM, z)]
    if shaft_seen:
        seen.append(_floor(SHAFT, z))
    if car is not None:
        seen.append(_floor(car, z))
    storey = Storey(floor=z, ceiling=z + 3.0, low=z - 0.5, high=z + 3.5)
    return StoreySpaces(lid, storey, spaces, [], [landing, room_door]), np.vstack(seen)


def _building(*storeys: tuple[StoreySpaces, np.ndarray]) -> tuple[list[StoreySpaces], np.ndarray]:
    return [s for s, _ in storeys], np.vstack([p for _, p in storeys])


def test_shut_landing_doors_on_every_storey_still_give_the_lift() -> None:
    """A car at rest shuts its landing doors: nothing is seen inside on any storey, and the shut doors,
    one above the other, are the lift's evidence; the car size is an estimate from the shaft."""
    found, points = _building(*(_storey(k) for k in range(3)))
    notes: list[str] = []
    out, lifts = find_lifts(points, found, notes)
    assert len(lifts) == 1
    lift = lifts[0]
    assert lift.spaces == ("L0-R01", "L1-R01", "L2-R01")
    assert lift.door_width == 1.4
    assert (lift.car_width, lift.car_depth) == pytest.approx((3.0 - SHAFT_TO_CAR[0], 3.4 - SHAFT_TO_CAR[1]))
    assert all(next(s for s in x.spaces if s.id == f"{x.level}-R01").kind is SpaceKind.LIFT for x in out)
    assert "never seen open" in notes[0] and "estimated from the shaft" in notes[0]


def test_store_rooms_of_lift_size_seen_into_are_no_lift() -> None:
    """The same rectangles, one above the other behind doors in line, but the scanner saw their floors:
    rooms, not a shaft (a shaft has no floor where the car is not, and one open car shows on one
    storey only)."""
    found, points = _building(*(_storey(k, shaft_seen=True) for k in range(3)))
    out, lifts = find_lifts(points, found, [])
    assert lifts == []
    assert all(s.kind is SpaceKind.ROOM for x in out for s in x.spaces if s.id.endswith("R01"))


def test_closed_rooms_whose_doors_are_not_in_line_are_no_lift() -> None:
    """Never seen into, but the doors are 0.9 m apart from one storey to the next: no car door could
    meet both, so these are closed rooms; the report says why they were not taken for a lift."""
    found, points = _building(_storey(0), _storey(1, landing_at=2.4), _storey(2))
    notes: list[str] = []
    _, lifts = find_lifts(points, found, notes)
    assert lifts == []
    assert any("without a door found on two of them in line" in n for n in notes)


def test_a_shaft_merged_with_the_room_beside_it_is_cut_out_on_that_storey() -> None:
    """On the top storey the car stands open and the shaft's wall to the room beside it was seen from
    neither side, so shaft and room came out as one space with two doors: shafts are vertical, so the
    shaft is cut out there with the landing door, and the room keeps its own door."""
    car = box(0.6, 2.1, 2.4, 4.8)
    found, points = _building(_storey(0), _storey(1), _storey(2, merged=True, car=car))
    notes: list[str] = []
    out, lifts = find_lifts(points, found, notes)
    assert len(lifts) == 1 and len(lifts[0].spaces) == 3
    top = out[2]
    shaft = next(s for s in top.spaces if s.id == lifts[0].spaces[2])
    rest = next(s for s in top.spaces if s.id == "L2-R01")
    assert shaft.kind is SpaceKind.LIFT and shaft.polygon.symmetric_difference(SHAFT).area < 0.05
    assert rest.polygon.symmetric_difference(ROOM).area < 0.05
    doors = {d.id: d.spaces for d in top.doors}
    assert doors["L2-D01"] == ("L2-C01", shaft.id) and doors["L2-D02"] == ("L2-C01", "L2-R01")
    # The car stood open there: its size is measured on its floor (never larger), not estimated.
    assert 0.8 * 1.8 <= lifts[0].car_width <= 1.8 + 0.05 and 0.8 * 2.7 <= lifts[0].car_depth <= 2.7 + 0.05
    assert "seen open on level L2" in notes[-1]


def test_a_shaft_outline_with_a_tail_along_an_unseen_wall_is_still_a_shaft() -> None:
    """The sample hospital's top-storey east shaft: its outline ran on 2 m down an unseen outer wall
    in a 10 cm sliver, which put it under the rectangularity of a shaft and lost the lift there."""
    tailed = box(101.0, 4.0, 104.0, 7.5).union(box(103.9, 2.0, 104.0, 4.0))
    sides = rect_like(tailed)
    assert sides is not None and abs(sides[0] - 3.0) < 0.05 and abs(sides[1] - 3.5) < 0.05
    assert rect_like(box(0, 0, 3.0, 0.25)) is None  # a strip is no shaft


@settings(max_examples=25, deadline=None)
@given(storeys=st.integers(2, 4), offsets=st.lists(st.floats(-0.12, 0.12), min_size=4, max_size=4))
def test_shut_landing_doors_within_the_alignment_are_one_lift_over_every_storey(
        storeys: int, offsets: list[float]) -> None:
    """However many storeys, shut landing doors each within 12 cm of a common place (half the
    tolerance between any two) make one lift serving every storey, shafts marked as lift spaces."""
    found, points = _building(*(_storey(k, landing_at=1.5 + offsets[k]) for k in range(storeys)))
    out, lifts = find_lifts(points, found, [])
    assert len(lifts) == 1 and lifts[0].spaces == tuple(f"L{k}-R01" for k in range(storeys))
    assert all(s.kind is SpaceKind.LIFT for x in out for s in x.spaces if s.id.endswith("-R01"))


def test_what_is_left_of_a_corridor_a_shaft_is_cut_out_of_is_a_room_by_its_shape() -> None:
    """Shaft and room merged came out a corridor by their joint shape (the sample hospital's L3 dirty
    utility room did); the 4 x 3.4 m left once the shaft is cut out is a room, with a room's id and
    its door; unless an exit sits in it, whose space id must not change."""
    from dataclasses import replace

    for hosts, kind in ((frozenset(), SpaceKind.ROOM), (frozenset({"L2-R01"}), SpaceKind.CORRIDOR)):
        top, top_points = _storey(2, merged=True)
        top = replace(top, spaces=[replace(s, kind=SpaceKind.CORRIDOR) if s.id == "L2-R01" else s
                                   for s in top.spaces])
        found, points = _building(_storey(0), _storey(1), (top, top_points))
        out, lifts = find_lifts(points, found, [], exit_hosts=hosts)
        assert len(lifts) == 1 and len(lifts[0].spaces) == 3
        rest = next(s for s in out[2].spaces if s.polygon.symmetric_difference(ROOM).area < 0.05)
        assert rest.kind is kind and (rest.id == "L2-R01") == bool(hosts)
        assert {d.spaces for d in out[2].doors if d.id == "L2-D02"} == {("L2-C01", rest.id)}
