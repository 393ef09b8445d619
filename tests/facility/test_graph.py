"""The navigation graph: portal-to-portal walking lengths, stairs, lifts and the outside node."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from shapely.geometry import Polygon, box

from facility.graph import OUTSIDE, build_graph, door_node, exit_node, space_node
from facility.model import Door, Exit, Facility, Level, Lift, Space, SpaceKind
from tests.facility.strategies import facilities


def test_door_to_door_length_along_a_straight_corridor(tiny_facility: Facility) -> None:
    g = tiny_facility.graph
    e = g.edges[door_node("L0-D1"), door_node("L0-D3")]
    assert (e["kind"], e["space"]) == ("walk", "L0-C")
    assert e["length"] == pytest.approx(13.0)  # (3, 2) to (16, 2)
    # Anchor (room centre) to its door, and corridor centre to a door.
    assert g.edges[space_node("L0-R1"), door_node("L0-D1")]["length"] == pytest.approx(2.5)
    assert g.edges[space_node("L0-C"), door_node("L0-D1")]["length"] == pytest.approx(math.hypot(7, 1))


def test_door_to_door_length_round_a_corner() -> None:
    corridor = Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])
    f = Facility(
        name="L",
        levels=(Level(id="G"),),
        spaces=(
            Space(id="C", level="G", kind=SpaceKind.CORRIDOR, polygon=corridor),
            Space(id="A", level="G", kind=SpaceKind.ROOM, polygon=box(-4, 0, 0, 2)),
            Space(id="B", level="G", kind=SpaceKind.ROOM, polygon=box(8, 10, 10, 14)),
        ),
        doors=(
            Door(id="DA", spaces=("C", "A"), at=(0.0, 1.0), width=1.0),
            Door(id="DB", spaces=("C", "B"), at=(9.0, 10.0), width=1.0),
        ),
        exits=(Exit(id="X", space="A", at=(-4.0, 1.0), width=1.0),),
    )
    g = build_graph(f)
    assert g.edges["door:DA", "door:DB"]["length"] == pytest.approx(2 * math.sqrt(65))


def test_stair_edge(tiny_facility: Facility) -> None:
    e = tiny_facility.graph.edges[space_node("L0-ST"), space_node("L1-ST")]
    assert (e["kind"], e["link"], e["length"], e["width"]) == ("stair", "S1", 8.0, 1.2)
    assert e["rise"] == 4.0  # from "space:L0-ST" (smaller id) up to "space:L1-ST"


def _three_level_lift() -> Facility:
    spaces: list[Space] = []
    doors: list[Door] = []
    for k in range(3):
        spaces += [
            Space(id=f"R{k}", level=f"L{k}", kind=SpaceKind.ROOM, polygon=box(0, 0, 5, 4)),
            Space(id=f"E{k}", level=f"L{k}", kind=SpaceKind.LIFT, polygon=box(5, 0, 7, 2)),
        ]
        doors.append(Door(id=f"D{k}", spaces=(f"R{k}", f"E{k}"), at=(5.0, 1.0), width=1.2))
    return Facility(
        name="tower",
        levels=tuple(Level(id=f"L{k}", elevation=3.5 * k) for k in range(3)),
        spaces=tuple(spaces),
        doors=tuple(doors),
        exits=(Exit(id="X", space="R0", at=(0.0, 2.0), width=1.2),),
        lifts=(Lift(id="E", spaces=("E0", "E1", "E2"), speed=1.75, door_time=6.0),),
    )


def test_lift_joins_every_pair_of_stops() -> None:
    g = _three_level_lift().graph
    lift_edges = {(u, v): d for u, v, d in g.edges(data=True) if d["kind"] == "lift"}
    assert len(lift_edges) == 3
    top = g.edges[space_node("E0"), space_node("E2")]
    assert (top["length"], top["rise"], top["speed"], top["door_time"]) == (0.0, 7.0, 1.75, 6.0)
    # rise is signed from the lexicographically smaller node, whichever way the edge is read.
    assert g.edges[space_node("E2"), space_node("E1")]["rise"] == 3.5


def test_exits_lead_outside(tiny_facility: Facility) -> None:
    g = tiny_facility.graph
    assert set(g.neighbors(OUTSIDE)) == {exit_node("X-C"), exit_node("X-ST")}
    assert all(
        g.edges[OUTSIDE, n]["length"] == 0.0 and g.edges[OUTSIDE, n]["kind"] == "exit"
        for n in g.neighbors(OUTSIDE)
    )
    assert g.nodes[exit_node("X-C")]["level"] == "L0"
    assert g.nodes[door_node("L1-D2")]["width"] == 0.9


def test_node_ids() -> None:
    assert (space_node("A"), door_node("D"), exit_node("X")) == ("space:A", "door:D", "exit:X")


@settings(max_examples=25, deadline=None)
@given(facilities())
def test_random_buildings_have_connected_graphs(f: Facility) -> None:
    g = f.graph
    assert nx.is_connected(g)
    assert g.number_of_nodes() == len(f.spaces) + len(f.doors) + len(f.exits) + 1
    # Walking edges are never shorter than the straight line between their ends.
    for u, v, d in g.edges(data=True):
        if d["kind"] == "walk":
            assert d["length"] >= math.dist(g.nodes[u]["pos"], g.nodes[v]["pos"]) - 1e-9
