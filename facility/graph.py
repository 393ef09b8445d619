"""The navigation graph: where people can walk, and how far it is.

Nodes are *portals* (doors, final exits) and one *anchor* per space (the place a
trip into that space starts or ends), plus the single node ``"outside"`` that
every final exit leads to.  Edges carry walking lengths measured door-to-door
through the space they cross (geodesic inside the floor polygon), so a long
corridor costs its real length rather than centroid-to-centroid distances.
Stairs and lifts add edges between the anchors of their spaces on different
levels.

Node ids are strings (``"space:ED-01"``, ``"door:D-12"``, ``"exit:X1"``,
``"outside"``) so graphs and routes serialise cleanly.

Edge attributes:
    kind: ``"walk"``, ``"stair"``, ``"lift"`` or ``"exit"``.
    length: horizontal walking length (m); for stairs the length along the slope.
    space: the space the edge crosses (walk edges).
    rise: signed height change from the lexicographically smaller node to the
        larger one (stairs and lifts), so direction-dependent speeds can be used.
    link: id of the stair or lift.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import networkx as nx

from facility.geometry import geodesic_lengths

if TYPE_CHECKING:
    from facility.model import Facility

__all__ = ["OUTSIDE", "build_graph", "door_node", "exit_node", "space_node"]

OUTSIDE = "outside"


def space_node(space_id: str) -> str:
    """Graph node id of a space's anchor."""
    return f"space:{space_id}"


def door_node(door_id: str) -> str:
    """Graph node id of a door."""
    return f"door:{door_id}"


def exit_node(exit_id: str) -> str:
    """Graph node id of a final exit."""
    return f"exit:{exit_id}"


def build_graph(facility: Facility) -> nx.Graph:
    """Build the navigation graph of a facility.

    Args:
        facility: Any facility; ids that do not resolve are skipped here and
            reported by :func:`facility.validate.validate`.

    Returns:
        An undirected :class:`networkx.Graph` as described in the module docstring.
    """
    g = nx.Graph()
    g.add_node(OUTSIDE, kind="outside", level=None, pos=None)
    elevation = {lv.id: lv.elevation for lv in facility.levels}

    for s in facility.spaces:
        a = s.anchor
        g.add_node(space_node(s.id), kind="space", ref=s.id, level=s.level, pos=(a.x, a.y),
                   space_kind=s.kind.value)
    for d in facility.doors:
        level = facility.space(d.spaces[0]).level if facility.has_space(d.spaces[0]) else None
        g.add_node(door_node(d.id), kind="door", ref=d.id, level=level, pos=d.at, width=d.width,
                   smoke_door=d.smoke_door, fire_door=d.fire_door)
    for e in facility.exits:
        level = facility.space(e.space).level if facility.has_space(e.space) else None
        g.add_node(exit_node(e.id), kind="exit", ref=e.id, level=level, pos=e.at, width=e.width)
        g.add_edge(exit_node(e.id), OUTSIDE, kind="exit", length=0.0)

    # Walking edges inside each space: anchor and every portal, pairwise.
    for s in facility.spaces:
        portals = [door_node(d.id) for d in facility.doors_of.get(s.id, ())]
        portals += [exit_node(e.id) for e in facility.exits_of.get(s.id, ())]
        nodes = [space_node(s.id), *portals]
        pos = [g.nodes[n]["pos"] for n in nodes]
        lengths = geodesic_lengths(s.polygon, pos)
        for i in range(len(nodes)):
            for j in range(i + 1, len(nodes)):
                length = float(lengths[i, j])
                if length != float("inf"):
                    _add_min_edge(g, nodes[i], nodes[j], kind="walk", length=length, space=s.id)

    for st in facility.stairs:
        ids = [sid for sid in st.spaces if facility.has_space(sid)]
        for lower, upper in itertools.pairwise(ids):
            rise = elevation.get(facility.space(upper).level, 0.0) - elevation.get(
                facility.space(lower).level, 0.0)
            u, v = space_node(lower), space_node(upper)
            g.add_edge(u, v, kind="stair", link=st.id, length=st.flight_length, width=st.width,
                       rise=rise if u < v else -rise, riser_mm=st.riser_mm, tread_mm=st.tread_mm)
    for lf in facility.lifts:
        ids = [sid for sid in lf.spaces if facility.has_space(sid)]
        # A car goes straight from any stop to any other: one edge per pair.
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                u, v = space_node(ids[i]), space_node(ids[j])
                rise = elevation.get(facility.space(ids[j]).level, 0.0) - elevation.get(
                    facility.space(ids[i]).level, 0.0)
                g.add_edge(u, v, kind="lift", link=lf.id, length=0.0,
                           rise=rise if u < v else -rise, speed=lf.speed, door_time=lf.door_time,
                           car_width=lf.car_width, car_depth=lf.car_depth, door_width=lf.door_width)
    return g


def _add_min_edge(g: nx.Graph, u: str, v: str, **attrs: object) -> None:
    """Add an edge, keeping the shorter one when two spaces offer the same pair."""
    length = float(attrs["length"])  # type: ignore[arg-type]
    if g.has_edge(u, v) and g.edges[u, v]["length"] <= length:
        return
    g.add_edge(u, v, **attrs)
