"""The model objects: constructors refuse impossible values; lookups and derived views are right."""

from __future__ import annotations

import dataclasses

import pytest
from shapely.geometry import Polygon, box

from facility.errors import FacilityValueError
from facility.model import (
    OCCUPIED_KINDS,
    AssemblyPoint,
    Door,
    Exit,
    Facility,
    Level,
    Lift,
    Space,
    SpaceKind,
    Stair,
)


def room(ident: str = "R", poly: Polygon | None = None, **kw: object) -> Space:
    return Space(id=ident, level="L0", kind=SpaceKind.ROOM, polygon=poly or box(0, 0, 4, 3), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Level(id="L0", ceiling_height=0.0), "level L0: 'ceiling_height' must be > 0, got 0.0"),
        (lambda: room(beds=-1), "space R: 'beds' must be >= 0, got -1"),
        (lambda: room(air_changes=-0.5), "'air_changes' must be >= 0"),
        (lambda: room(ceiling_height=-2.0), "'ceiling_height' must be > 0"),
        (
            lambda: Space(id="R", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 0, 1, 1).boundary),
            "space R: 'polygon' must be a shapely Polygon",
        ),
        (lambda: Door(id="D", spaces=("A", "B"), at=(0.0, 0.0), width=0.0), "door D: 'width' must be > 0"),
        (lambda: Door(id="D", spaces=("A", "A"), at=(0.0, 0.0), width=1.0), "must name two different spaces"),
        (lambda: Door(id="D", spaces=("A", "B", "C"), at=(0.0, 0.0), width=1.0), "two different spaces"),  # type: ignore[arg-type]
        (lambda: Exit(id="X", space="A", at=(0.0, 0.0), width=-1.0), "exit X: 'width' must be > 0"),
        (lambda: Stair(id="S", spaces=("A",), width=1.0), "stair S: 'spaces' must list >= 2"),
        (lambda: Stair(id="S", spaces=("A", "B"), width=0.0), "stair S: 'width' must be > 0"),
        (lambda: Lift(id="E", spaces=("A",)), "lift E: 'spaces' must list >= 2"),
        (lambda: Lift(id="E", spaces=("A", "B"), speed=0.0), "lift E: 'speed' must be > 0"),
        (lambda: Lift(id="E", spaces=("A", "B"), capacity_persons=0), "'capacity_persons' must be > 0"),
        (lambda: Lift(id="E", spaces=("A", "B"), door_time=-1.0), "'door_time' must be >= 0"),
    ],
)
def test_constructors_refuse_impossible_values(make: object, fragment: str) -> None:
    with pytest.raises(FacilityValueError) as info:
        make()  # type: ignore[operator]
    assert fragment in str(info.value)


def test_nan_is_refused() -> None:
    with pytest.raises(FacilityValueError):
        Door(id="D", spaces=("A", "B"), at=(0.0, 0.0), width=float("nan"))


def test_objects_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        room().beds = 3  # type: ignore[misc]


def test_area_and_anchor_inside_a_concave_room() -> None:
    u_shape = Polygon([(0, 0), (6, 0), (6, 6), (4, 6), (4, 2), (2, 2), (2, 6), (0, 6)])
    s = room(poly=u_shape)
    assert s.area == 6 * 6 - 2 * 4
    assert not u_shape.contains(u_shape.centroid)  # the centroid is in the notch...
    assert u_shape.contains(s.anchor)  # ...but the anchor is always inside


def test_door_other_side() -> None:
    d = Door(id="D", spaces=("A", "B"), at=(1.0, 0.0), width=1.0)
    assert (d.other("A"), d.other("B")) == ("B", "A")
    assert d.point.coords[0] == (1.0, 0.0)


def test_lookups_and_views(tiny_facility: Facility) -> None:
    f = tiny_facility
    assert f.space("L1-R1").beds == 4
    assert f.level("L1").elevation == 4.0
    assert f.door("L1-DS").smoke_door
    assert f.exit("X-ST").space == "L0-ST"
    assert f.has_space("L0-C") and not f.has_space("nope")
    with pytest.raises(KeyError, match="no space with id 'nope'"):
        f.space("nope")
    assert [s.id for s in f.spaces_on("L0")] == ["L0-C", "L0-R1", "L0-R2", "L0-R3", "L0-ST", "L0-LF"]
    assert [s.id for s in f.spaces_with_use("ward_bay")] == ["L1-R1", "L1-R3"]
    assert {d.id for d in f.doors_of["L1-CW"]} == {"L1-DS", "L1-D1", "L1-D2", "L1-DST"}
    assert [e.id for e in f.exits_of["L0-C"]] == ["X-C"]
    assert f.compartments == {"A": ("L1-CW", "L1-R1", "L1-R2", "L1-ST"), "B": ("L1-CE", "L1-R3", "L1-LF")}
    assert f.total_beds == 6
    assert f.uses >= {"ward_bay", "clinic", "store"}
    # The level outline is the union of its spaces: corridor 40 + rooms 30 + 30 + 40 + stair 12 + lift 9.
    assert f.level_outline["L0"].area == pytest.approx(40 + 30 + 30 + 40 + 12 + 9)


def test_door_segment_lies_along_its_wall(tiny_facility: Facility) -> None:
    seg = tiny_facility.door_segment(tiny_facility.door("L0-DST"))  # in the wall x = 0
    assert seg.length == pytest.approx(1.2)
    assert [c[0] for c in seg.coords] == [0.0, 0.0]
    exit_seg = tiny_facility.door_segment(tiny_facility.exit("X-C"))  # in the wall y = 0
    assert sorted(c[0] for c in exit_seg.coords) == pytest.approx([9.1, 10.9])


def test_summary_counts(tiny_facility: Facility) -> None:
    s = tiny_facility.summary()
    assert {k: s[k] for k in ("levels", "spaces", "rooms", "beds", "doors", "smoke_doors", "exits")} == {
        "levels": 2,
        "spaces": 13,
        "rooms": 6,
        "beds": 6,
        "doors": 11,
        "smoke_doors": 1,
        "exits": 2,
    }
    # One node per space, door and exit, plus "outside".
    assert s["graph_nodes"] == 13 + 11 + 2 + 1


def test_occupied_kinds() -> None:
    assert SpaceKind.ROOM in OCCUPIED_KINDS and SpaceKind.STAIR not in OCCUPIED_KINDS
    assert AssemblyPoint(id="A", at=(0.0, 0.0)).name == ""
