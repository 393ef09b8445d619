"""Small drills shared by the evacuation tests: every mobility on a ward with a fire compartment."""

from __future__ import annotations

from facility.model import Facility
from scenarios.evacuation import EvacParams, PersonSpec
from scenarios.evacuation.testbeds import ward

__all__ = ["ward_drill"]


def ward_drill() -> tuple[Facility, list[PersonSpec], EvacParams]:
    """A four-room ward: beds, wheelchairs, walking aids, a ventilated patient, staff and visitors,
    evacuated progressively out of compartment A, then vertically after two minutes."""
    profiles = ["bed", "ambulant", "wheelchair", "walking_aid", "ventilated", "ambulant", "bed", "visitor"]
    people = [PersonSpec(id=f"p{k}", profile=profiles[k % len(profiles)], space=f"W{k % 4}")
              for k in range(8)]
    people += [PersonSpec(id=f"s{k}", profile="staff", space="KA", premove=0.0) for k in range(6)]
    people += [PersonSpec(id=f"v{k}", profile="visitor", space="KB") for k in range(6)]
    params = EvacParams(strategy="progressive", fire_compartments=("A",), trajectories=False, max_time=900.0,
                        vertical_after=120.0)
    return ward(rooms=4, beds_per_room=2), people, params
