"""The mobility table: one set of numbers for routing and the evacuation's occupants."""

from __future__ import annotations

import dataclasses

import pytest

from facility.mobility import BED, MOBILITIES, STAFF, WHEELCHAIR, Mobility


def test_a_unit_needs_a_door_as_wide_as_itself_plus_clearance() -> None:
    """Beds, wheelchairs and walking aids: the door width routing demands is their footprint's
    width plus 0.1 m; walkers 0.6 m."""
    for m in MOBILITIES.values():
        width, length = m.footprint
        assert length >= width
        if width > STAFF.footprint[0]:
            assert m.min_door_width == pytest.approx(width + 0.1), m.name
        else:
            assert m.min_door_width == 0.6, m.name
    assert BED.footprint == (1.0, 2.2)


def test_who_never_takes_a_stair_may_take_lifts_and_is_moved_by_staff_or_by_themselves() -> None:
    for m in MOBILITIES.values():
        assert m.needs_lift is not m.uses_stairs
        if m.needs_lift:
            assert m.uses_lifts, f"{m.name} could never change level"
        assert m.source, f"{m.name} has no source"
        lo, sd, (a, b) = m.speed, m.speed_sd, m.speed_distribution[2:]
        assert a <= lo <= b and sd >= 0
    assert BED.staff_needed == 2 and WHEELCHAIR.staff_needed == 1 and STAFF.staff_needed == 0


@pytest.mark.parametrize("change", [{"speed": 0.0}, {"min_door_width": -1.0}, {"speed_range": (1.0, 0.8)},
                                    {"speed_sd": -0.1}, {"stair_speed_factor": 0.0}, {"radius": 0.0},
                                    {"staff_needed": -1}, {"speed": float("nan")}])
def test_an_impossible_mobility_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="mobility bed"):
        dataclasses.replace(BED, **change)  # type: ignore[arg-type]


def test_a_plain_mobility_still_builds_from_its_routing_fields() -> None:
    """The four fields routing needs are enough (a variant for one study, e.g. a faster porter)."""
    m = Mobility(name="porter", min_door_width=0.6, speed=1.5, stair_speed_factor=1.0)
    assert m.speed_distribution == (1.5, 0.0, 1.5, 1.5) and m.uses_stairs and m.staff_needed == 0
