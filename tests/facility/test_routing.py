"""Routing by mobility: beds and wheelchairs never take stairs or narrow doors; lengths and times add up."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings

from facility.errors import RoutingError
from facility.model import Facility
from facility.routing import (
    AMBULANT,
    BED,
    REDUCED,
    STAFF,
    WHEELCHAIR,
    distance_matrix,
    nearest_exit_lengths,
    route,
    service_distances,
    sfpe_stair_speed,
    unreachable_spaces,
)
from tests.facility.strategies import facilities


def test_route_length_is_the_sum_of_its_legs(tiny_facility: Facility) -> None:
    r = route(tiny_facility, "L0-R1", "L0-R3", mobility=STAFF, by="length")
    assert r.doors == ("L0-D1", "L0-D3")
    assert r.length == pytest.approx(
        2.5 + 13.0 + 2.5
    )  # room centre to door, along the corridor, door to centre
    assert r.time == pytest.approx(r.length / STAFF.speed)
    assert (r.stairs, r.lifts, r.mobility) == ((), (), "staff")


def test_bed_goes_down_by_lift_never_by_stair(tiny_facility: Facility) -> None:
    r = route(tiny_facility, "L1-R1", "outside", mobility=BED)
    assert r.stairs == () and r.lifts == ("LIFT1",)
    widths = [tiny_facility.door(d).width for d in r.doors]
    assert min(widths) >= BED.min_door_width


def test_bed_cannot_pass_a_narrow_door(tiny_facility: Facility) -> None:
    with pytest.raises(RoutingError, match="no route from 'L1-R2' to 'outside' for mobility 'bed'"):
        route(tiny_facility, "L1-R2", "outside", mobility=BED)
    # The 0.9 m door is fine for a wheelchair (0.8 m), which also goes down by lift.
    assert route(tiny_facility, "L1-R2", "outside", mobility=WHEELCHAIR).lifts == ("LIFT1",)


def test_without_the_lift_wheelchairs_and_beds_are_stranded_upstairs(tiny_facility: Facility) -> None:
    f = replace(tiny_facility, lifts=())
    assert route(f, "L1-R1", "outside", mobility=STAFF).stairs == ("S1",)
    assert route(f, "L1-R1", "outside", mobility=REDUCED).stairs == ("S1",)
    stranded = set(unreachable_spaces(f, mobility=WHEELCHAIR))
    assert {s.id for s in f.spaces_on("L1")} <= stranded
    assert not stranded & {s.id for s in f.spaces_on("L0")}


def test_time_and_length_choose_different_routes(tiny_facility: Facility) -> None:
    # From the east ward bay the lift is shorter (0 m vertical) but its 4 m ride plus 8 s of doors
    # is slower than the 8 m stair flight at the SFPE speed.
    by_length = route(tiny_facility, "L1-R3", "outside", mobility=STAFF, by="length")
    by_time = route(tiny_facility, "L1-R3", "outside", mobility=STAFF, by="time")
    assert by_length.lifts == ("LIFT1",) and by_time.stairs == ("S1",)
    lift_walk = 2.5 + math.hypot(4, 1) + 2 * math.hypot(1.5, 0.5) + math.hypot(10, 1)
    assert by_length.length == pytest.approx(lift_walk)
    assert by_length.time == pytest.approx(lift_walk / STAFF.speed + 4.0 / 1.0 + 8.0)
    stair_walk = 2.5 + math.hypot(6, 1) + 10.0 + math.hypot(1.5, 1) + 1.5
    assert by_time.length == pytest.approx(stair_walk + 8.0)
    assert by_time.time == pytest.approx(stair_walk / STAFF.speed + 8.0 / sfpe_stair_speed(178, 279))
    assert by_time.time < by_length.time and by_length.length < by_time.length


def test_slower_movers_take_longer(tiny_facility: Facility) -> None:
    times = [route(tiny_facility, "L0-R3", "outside", mobility=m).time for m in (STAFF, AMBULANT, REDUCED)]
    assert times == sorted(times)
    assert times[1] / times[0] == pytest.approx(STAFF.speed / AMBULANT.speed)


def test_distance_matrix_is_symmetric_with_zero_diagonal(tiny_facility: Facility) -> None:
    ids = [s.id for s in tiny_facility.spaces]
    m = distance_matrix(tiny_facility, ids, mobility=STAFF)
    assert np.all(np.isfinite(m))
    assert np.allclose(m, m.T)
    assert np.all(np.diag(m) == 0)
    # Rows agree with single routes.
    i, j = ids.index("L0-R1"), ids.index("L1-R3")
    assert m[i, j] == pytest.approx(route(tiny_facility, "L0-R1", "L1-R3", by="length").length)


def test_distance_matrix_marks_unreachable_pairs_infinite(tiny_facility: Facility) -> None:
    m = distance_matrix(tiny_facility, ["L1-R2"], ["L0-C", "L1-R1"], mobility=BED)
    assert m.tolist() == [[math.inf, math.inf]]


def test_service_distances_and_exit_lengths(tiny_facility: Facility) -> None:
    d = service_distances(tiny_facility, ["clinic", "waiting"])
    assert d[("clinic", "waiting")] == pytest.approx(18.0)
    assert d[("clinic", "clinic")] == 0.0
    with pytest.raises(RoutingError, match="no space with use 'mri'"):
        service_distances(tiny_facility, ["mri"])
    lengths = nearest_exit_lengths(tiny_facility)
    assert lengths["L0-C"] == pytest.approx(math.hypot(0, 1))  # corridor centre (10, 1) to exit (10, 0)
    assert lengths["L1-R2"] > lengths["L0-R2"]


def test_unknown_endpoint(tiny_facility: Facility) -> None:
    with pytest.raises(RoutingError, match="unknown space"):
        route(tiny_facility, "L0-R1", "nowhere")
    with pytest.raises(ValueError, match="'by' must be"):
        route(tiny_facility, "L0-R1", "L0-R2", by="cost")


@settings(max_examples=25, deadline=None)
@given(facilities())
def test_bed_routes_never_use_stairs_or_narrow_doors(f: Facility) -> None:
    for s in f.spaces:
        if s.beds == 0:
            continue
        try:
            r = route(f, s.id, "outside", mobility=BED)
        except RoutingError:
            continue
        assert r.stairs == ()
        assert all(f.door(d).width >= 1.1 for d in r.doors)
        assert r.nodes[-2].startswith("exit:") and f.exit(r.nodes[-2][5:]).width >= 1.1


@settings(max_examples=25, deadline=None)
@given(facilities())
def test_route_is_never_shorter_than_the_straight_line(f: Facility) -> None:
    for level in f.levels:
        on = f.spaces_on(level.id)
        a, b = on[0], on[-1]
        r = route(f, a.id, b.id, by="length")
        assert r.length >= a.anchor.distance(b.anchor) - 1e-9
        assert r.length == pytest.approx(distance_matrix(f, [a.id], [b.id])[0, 0])


def test_routes_between_spaces_never_shortcut_through_outside(tiny_facility: Facility) -> None:
    # "outside" joins both exits at zero length; a route must not leave by one and re-enter by the other.
    ids = [s.id for s in tiny_facility.spaces]
    for a in ids:
        for b in ("L0-R3", "L1-R1"):
            assert "outside" not in route(tiny_facility, a, b, by="length").nodes
    inward = route(tiny_facility, "outside", "L0-R3", by="length")
    assert inward.nodes[1] == "exit:X-C"
    assert inward.length == pytest.approx(math.hypot(6, 2) + 2.5)
