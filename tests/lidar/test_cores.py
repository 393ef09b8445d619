"""A multi-storey scan becomes one connected building: stairs, lifts, ground exits, per storey."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facility.model import Facility, SpaceKind
from facility.validate import validate
from lidar.extract import Extraction, extract
from lidar.metrics import accuracy
from lidar.synth import truth_for_levels

from .conftest import tower


@pytest.fixture(scope="module")
def building() -> Facility:
    return tower(3)


@pytest.fixture(scope="module")
def scanned(tower_scan: np.ndarray) -> Extraction:
    """The three storeys of the tower scanned at once (lift cars open on one storey)."""
    return extract(tower_scan)


def _match(found: Facility, truth: Facility, sid: str) -> str | None:
    """The true space an extracted space overlaps most (IoU >= 0.5)."""
    s = found.space(sid)
    lv = truth.levels[[x.id for x in found.levels].index(s.level)].id
    best, iou = None, 0.0
    for t in truth.spaces_on(lv):
        inter = s.polygon.intersection(t.polygon).area
        u = s.polygon.union(t.polygon).area
        if inter / u > iou:
            best, iou = t.id, inter / u
    return best if iou >= 0.5 else None


def test_every_storey_is_recovered(scanned: Extraction, building: Facility) -> None:
    fac = scanned.facility
    assert [lv.id for lv in fac.levels] == ["L0", "L1", "L2"]
    for lv in building.levels:
        acc = accuracy(truth_for_levels(fac, [lv.id]), truth_for_levels(building, [lv.id]))
        assert acc.room_f1 >= 0.95, (lv.id, acc)
        assert acc.mean_room_iou >= 0.9, (lv.id, acc)
        assert acc.door_f1 >= 0.95, (lv.id, acc)


def test_stairs_found_with_the_storeys_they_join(scanned: Extraction, building: Facility) -> None:
    fac = scanned.facility
    found = {tuple(_match(fac, building, s) for s in st.spaces): st for st in fac.stairs}
    for true in building.stairs:
        assert true.spaces in found, (true.spaces, list(found))
        st = found[true.spaces]
        assert abs(st.riser_mm - 1000 * 3.4 / 20) <= 10 and abs(st.tread_mm - 279) <= 25
        assert 0.85 * true.width <= st.width <= true.width + 0.05  # never wider than it is
        assert abs(st.flight_length - true.flight_length) <= 0.1 * true.flight_length
    assert all(fac.space(s).kind is SpaceKind.STAIR for st in fac.stairs for s in st.spaces)


def test_lifts_found_with_their_stops_and_car(scanned: Extraction, building: Facility) -> None:
    fac = scanned.facility
    found = {tuple(_match(fac, building, s) for s in lf.spaces): lf for lf in fac.lifts}
    for true in building.lifts:
        assert true.spaces in found, (true.spaces, list(found))
        lf = found[true.spaces]
        assert abs(lf.door_width - true.door_width) <= 0.05
        assert 0.8 * true.car_width <= lf.car_width <= true.car_width + 0.1
        assert 0.8 * true.car_depth <= lf.car_depth <= true.car_depth + 0.1
    assert all(fac.space(s).kind is SpaceKind.LIFT for lf in fac.lifts for s in lf.spaces)


def test_ground_exits_all_found_and_none_false(scanned: Extraction, building: Facility) -> None:
    fac = scanned.facility
    assert not fac.metadata["provisional_exits"]
    found = [e.at for e in fac.exits]
    for e in building.exits:
        assert min(math.dist(e.at, f) for f in found) <= 0.3, e.id
    assert len(found) == len(building.exits)
    assert {fac.space(e.space).level for e in fac.exits} == {"L0"}


def test_one_valid_building_whose_evacuation_reaches_the_ground_exits(scanned: Extraction,
                                                                      building: Facility) -> None:
    from scenarios.evacuation import EvacParams, PersonSpec, simulate

    fac = scanned.facility
    assert not [i for i in validate(fac) if i.severity == "error"]
    people = [PersonSpec(id=f"{s.id}-p", profile="ambulant", space=s.id) for s in fac.spaces
              if s.kind in (SpaceKind.ROOM, SpaceKind.CORRIDOR)]
    assert {fac.space(p.space).level for p in people} == {"L0", "L1", "L2"}
    m = simulate(fac, people, EvacParams(strategy="full", trajectories=False, max_time=900.0),
                 np.random.default_rng(2))
    assert (m.people.state == 7).all(), [m.people.ids[k] for k in np.flatnonzero(m.people.state != 7)]
    # Routes between storeys are as long as the true building's (stairs included).
    acc = accuracy(fac, building)
    assert acc.path_length_rel_error <= 0.05
    assert acc.storey_route_rel_error <= 0.05


def test_the_tower_turned_30_degrees_is_one_valid_building_with_its_exits(tower_scan: np.ndarray,
                                                                           building: Facility) -> None:
    """Turned 30 degrees the tower's file did not validate: four rooms (one of L0, three of L1) had
    no route out, the symptom of the turned hospital's doors rounded to 1 mm off their rooms' outlines."""
    c, s = math.cos(math.radians(30.0)), math.sin(math.radians(30.0))
    fac = extract(tower_scan @ np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])).facility
    assert not [str(i) for i in validate(fac) if i.severity == "error"]
    assert len(fac.exits) == len(building.exits)
    assert sorted(len(x.spaces) for x in fac.stairs) == [3, 3]
    assert sorted(len(x.spaces) for x in fac.lifts) == [3, 3]
    # Routes between storeys as long as the true building's, turned the same way: the east stair's
    # door on L0, a lintel with a hole, was lost, its landing merged with the corridor (9 % error).
    from dataclasses import replace

    from shapely import affinity

    def turn(p: tuple[float, float]) -> tuple[float, float]:
        return (p[0] * c - p[1] * s, p[0] * s + p[1] * c)

    spaces = tuple(replace(x, polygon=affinity.rotate(x.polygon, 30.0, origin=(0, 0)))
                   for x in building.spaces)
    turned = replace(building, spaces=spaces,
                     doors=tuple(replace(d, at=turn(d.at)) for d in building.doors),
                     exits=tuple(replace(e, at=turn(e.at)) for e in building.exits))
    acc = accuracy(fac, turned)
    assert acc.room_f1 == 1.0 and acc.door_f1 == 1.0
    assert acc.storey_route_rel_error <= 0.05
