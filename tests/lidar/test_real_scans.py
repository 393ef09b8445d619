"""The two real scans in ../shared/data: what a good extraction of each must look like."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from facility.graph import OUTSIDE
from facility.model import SpaceKind
from facility.validate import validate
from lidar.extract import Extraction, extract


@pytest.fixture(scope="module")
def fr079(data_dir: Path) -> Extraction:
    return extract(data_dir / "fr079" / "geb079_occupied_voxels_8cm.ply")


@pytest.fixture(scope="module")
def office_room(data_dir: Path) -> Extraction:
    return extract(data_dir / "office_room" / "room1_gt_fine.pcd")


def test_fr079_one_long_corridor(fr079: Extraction) -> None:
    corridors = [s for s in fr079.facility.spaces if s.kind is SpaceKind.CORRIDOR]
    longest = max(corridors, key=lambda s: s.polygon.minimum_rotated_rectangle.length)
    x0, y0, x1, y1 = longest.polygon.bounds
    assert max(x1 - x0, y1 - y0) >= 30.0
    assert min(x1 - x0, y1 - y0) <= 4.0


def test_fr079_valid_and_connected(fr079: Extraction) -> None:
    fac = fr079.facility
    assert not [i for i in validate(fac) if i.severity == "error"]
    g = fac.graph.subgraph(n for n in fac.graph.nodes if n != OUTSIDE)
    assert nx.is_connected(g)


def test_fr079_doors_have_plausible_widths(fr079: Extraction) -> None:
    widths = [d.width for d in fr079.facility.doors]
    assert widths
    assert sum(0.6 <= w <= 2.0 for w in widths) == len(widths)


def test_fr079_corridor_sides_are_read_from_their_walls(fr079: Extraction) -> None:
    fac = fr079.facility
    corridor = max((s for s in fac.spaces if s.kind is SpaceKind.CORRIDOR), key=lambda s: s.area)
    side = fr079.report.side_rooms
    assert len(side) >= 12
    assert fac.metadata["side_rooms"] == side
    joined = {d.other(corridor.id) for d in fac.doors if corridor.id in d.spaces}
    assert set(side) <= joined
    # Rooms on both sides of the corridor, out to the facades at y ~ +-7 m.
    ys = [fac.space(r).polygon.centroid.y for r in side]
    assert sum(y > 0 for y in ys) >= 5 and sum(y < 0 for y in ys) >= 5
    assert all(3.5 <= abs(fac.space(r).polygon.bounds[3 if y > 0 else 1]) <= 8.0 for r, y in zip(side, ys,
                                                                                                  strict=True))


def test_fr079_a_dozen_rooms_each_with_a_door(fr079: Extraction) -> None:
    fac = fr079.facility
    corridor = max((s for s in fac.spaces if s.kind is SpaceKind.CORRIDOR), key=lambda s: s.area)
    joined = {d.other(corridor.id) for d in fac.doors if corridor.id in d.spaces and 0.7 <= d.width <= 1.6}
    assert len(joined) >= 12
    x0, y0, x1, y1 = corridor.polygon.bounds
    assert max(x1 - x0, y1 - y0) >= 30.0
    assert not [i for i in validate(fac) if i.severity == "error"]
    g = fac.graph.subgraph(n for n in fac.graph.nodes if n != OUTSIDE)
    assert nx.is_connected(g)


def test_office_room_is_one_room(office_room: Extraction) -> None:
    fac = office_room.facility
    assert len(fac.spaces) == 1
    (room,) = fac.spaces
    assert room.kind is SpaceKind.ROOM
    assert 15.0 <= room.area <= 26.0  # the scanned room is about 4.4 x 5.8 m
    assert not [i for i in validate(fac) if i.severity == "error"]
    assert fac.metadata["provisional_exits"]  # no door to the outside is in view


def test_fr079_drill_gets_everyone_out(fr079: Extraction) -> None:
    """The extracted building supports a drill: two people in every room and four in the corridor
    all leave by the provisional exit, none stranded, no deadlock.  Outlines traced from the scan
    step along door lines by a voxel; wall bits left in a doorway once shut 5 of 14 rooms in."""
    import numpy as np

    from scenarios.evacuation import EvacParams, PersonSpec, simulate

    fac = fr079.facility
    people = [PersonSpec(id=f"{s.id}-{k}", profile="ambulant", space=s.id)
              for s in fac.spaces for k in range(2 if s.kind is SpaceKind.ROOM else 4)]
    m = simulate(fac, people, EvacParams(strategy="full", trajectories=False, max_time=600.0),
                 np.random.default_rng(1))
    assert (m.people.state == 7).all(), [m.people.ids[k] for k in np.flatnonzero(m.people.state != 7)]
    assert not m.people.stranded.any()
    assert not m.deadlocks
