"""Doors a scan cannot show: where a frameless leaf shut flush with its wall may hide one.

A leaf shut flush with both faces of its wall, with no frame standing proud,
no recess and no gap a 5 cm grid can see, is indistinguishable from the wall
(:mod:`lidar.door_frames` finds the framed ones, :mod:`lidar.closed_doors`
the recessed ones).  Such a door matters to an evacuation when it is a
space's short way out.  Two cases are flagged for the user to check on site:

* **No door at all**: the space is left out of the facility and the warning
  names its longest wall with a corridor (else with another space), with the
  wall's ends (:func:`lidar.assembly.keep_reachable`).
* **The only way out is long** (this module): a room with a single door
  whose walking route to the nearest final exit is at least
  :data:`DETOUR_RATIO` times, and :data:`DETOUR_MIN` metres, longer than the
  route it would have through a door in the middle of a wall it shares with
  a neighbouring space (at least :data:`MIN_WALL` long, room for a door).
  The warning names the room, the neighbour, the wall's ends and both route
  lengths; one warning per room, for the wall that would shorten its route
  most.  Rooms with two or more ways out are not flagged: they are not
  trapped if one is missed, and a room next to every other room would be.

Routes are those of the facility's navigation graph (door to door, geodesic
inside each space, stairs and lifts included); the hypothetical door's route
runs from the room's anchor to the wall's middle, then through the
neighbour to its best portal.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point
from shapely.ops import nearest_points

from facility.geometry import geodesic_lengths
from facility.graph import OUTSIDE, door_node, exit_node, space_node
from facility.model import Facility, Space, SpaceKind

__all__ = ["DETOUR_MIN", "DETOUR_RATIO", "MIN_WALL", "hidden_door_warnings"]

#: A single way out at least this many times the route through the shared wall is suspect.
DETOUR_RATIO = 2.0
#: ... and at least this much longer (m): a few metres of detour is ordinary planning.
DETOUR_MIN = 10.0
#: Shortest shared wall (m) that can hold a door: the narrowest door kept
#: (:attr:`lidar.options.ExtractOptions.door_min_width`, 0.6 m) and its frame.
MIN_WALL = 1.0
#: Outlines of neighbours meet on the wall's centre line, give or take a cell.
SHARED_WALL_TOLERANCE = 0.2


def hidden_door_warnings(facility: Facility) -> list[str]:
    """One warning per single-door room whose way out is long next to a wall that would shorten it.

    Args:
        facility: The extracted facility (its exits, stairs and lifts included).

    Returns:
        Sentences for the extraction report, naming the room, the neighbour,
        the wall's ends and both route lengths.
    """
    g = facility.graph
    dist = nx.single_source_dijkstra_path_length(g, OUTSIDE, weight=_walked)
    spaces = list(facility.spaces)
    tree = STRtree([s.polygon for s in spaces])
    out: list[str] = []
    for s in spaces:
        portals = [door_node(d.id) for d in facility.doors_of.get(s.id, ())]
        portals += [exit_node(e.id) for e in facility.exits_of.get(s.id, ())]
        if s.kind is not SpaceKind.ROOM or len(portals) != 1:
            continue
        now = dist.get(space_node(s.id), np.inf)
        if not (np.isfinite(now) and now >= DETOUR_MIN):
            continue  # no route, or too short to be shortened by DETOUR_MIN
        best: tuple[float, Space, np.ndarray] | None = None
        for k in tree.query(s.polygon.buffer(SHARED_WALL_TOLERANCE), predicate="intersects"):
            t = spaces[int(k)]
            if t.id == s.id or t.level != s.level or t.kind in (SpaceKind.LIFT, SpaceKind.OUTSIDE):
                continue
            ends = _shared_wall(s, t)
            if ends is None:
                continue
            at = ends.mean(axis=0)
            # Straight lines are never longer than walked ones: skip a wall that cannot qualify.
            if not _may_qualify(now, _route_through(facility, s, t, at, dist, straight=True)):
                continue
            via = _route_through(facility, s, t, at, dist)
            if best is None or via < best[0]:
                best = (via, t, ends)
        if best is None:
            continue
        via, t, ends = best
        if _may_qualify(now, via):
            (x0, y0), (x1, y1) = sorted(map(tuple, ends))
            length = float(np.hypot(x1 - x0, y1 - y0))
            out.append(
                f"space {s.id} (room) on level {s.level}: its only door found gives a {now:.0f} m route to "
                f"an exit; a door in its {length:.1f} m wall with {t.id} ({t.kind.value}) from ({x0:.2f}, "
                f"{y0:.2f}) to ({x1:.2f}, {y1:.2f}) would make it {via:.0f} m: a door shut flush with the "
                "wall and no frame leaves no trace in a scan, so check on site whether one is there and add "
                "it to the facility file")
    return out


def _may_qualify(now: float, via: float) -> bool:
    """The rule: the way out ``now`` at least :data:`DETOUR_RATIO` times and :data:`DETOUR_MIN` longer."""
    return now >= DETOUR_RATIO * via and now - via >= DETOUR_MIN


def _walked(u: str, v: str, edge: dict[str, object]) -> float | None:
    """Edge length for a way out on foot: lifts are not used in an evacuation (``None`` hides the edge)."""
    if edge.get("kind") == "lift":
        return None
    return float(edge["length"])  # type: ignore[arg-type]


def _shared_wall(s: Space, t: Space) -> np.ndarray | None:
    """The ends (2 x 2) of the longest straight stretch of wall ``s`` shares with ``t``, if long enough."""
    shared = s.polygon.boundary.intersection(t.polygon.buffer(SHARED_WALL_TOLERANCE))
    if shared.is_empty or shared.length < MIN_WALL:
        return None
    merged = shapely.line_merge(shared) if shared.geom_type == "MultiLineString" else shared
    parts = [p for p in shapely.get_parts(merged) if p.geom_type == "LineString"]
    if not parts:
        return None
    # The stretch also picks up the wall ends round the corners: keep the longest straight run.
    runs = [np.asarray(seg) for p in parts for seg in _straight_runs(np.asarray(p.coords))]
    ends = max(runs, key=lambda e: float(np.hypot(*(e[1] - e[0]))))
    return ends if float(np.hypot(*(ends[1] - ends[0]))) >= MIN_WALL else None


def _straight_runs(coords: np.ndarray) -> list[np.ndarray]:
    """The polyline cut where it turns by more than 10 degrees, each piece as its two ends."""
    runs, start = [], 0
    for k in range(1, len(coords) - 1):
        a, b = coords[k] - coords[k - 1], coords[k + 1] - coords[k]
        cos = float(np.dot(a, b) / max(np.hypot(*a) * np.hypot(*b), 1e-12))
        if cos < np.cos(np.radians(10)):
            runs.append(coords[[start, k]])
            start = k
    runs.append(coords[[start, len(coords) - 1]])
    return runs


def _route_through(facility: Facility, s: Space, t: Space, at: np.ndarray, dist: dict[str, float], *,
                   straight: bool = False) -> float:
    """Route length (m) from ``s``'s anchor to outside through a door at ``at`` into ``t``.

    ``straight``: straight lines inside both spaces (a lower bound, cheap).
    """
    a = s.anchor
    into_s = _nudged(s, at)
    portals = [(door_node(d.id), d.at) for d in facility.doors_of.get(t.id, ()) if s.id not in d.spaces]
    portals += [(exit_node(e.id), e.at) for e in facility.exits_of.get(t.id, ())]
    portals = [(n, p) for n, p in portals if np.isfinite(dist.get(n, np.inf))]
    if not portals:
        return float("inf")
    into_t = _nudged(t, at)
    if straight:
        first = float(np.hypot(a.x - into_s[0], a.y - into_s[1]))
        lengths = np.array([np.hypot(into_t[0] - p[0], into_t[1] - p[1]) for _, p in portals])
    else:
        first = float(geodesic_lengths(s.polygon, [(a.x, a.y), into_s])[0, 1])
        lengths = geodesic_lengths(t.polygon, [into_t, *[p for _, p in portals]])[0, 1:]
    return first + float(min(lengths[k] + dist[n] for k, (n, _) in enumerate(portals)))


def _nudged(space: Space, at: np.ndarray) -> tuple[float, float]:
    """The point of ``space`` nearest ``at`` (a point on the wall's centre line lies on or just off it)."""
    p = Point(float(at[0]), float(at[1]))
    if space.polygon.contains(p):
        return (p.x, p.y)
    q = space.polygon.buffer(-0.05)
    q = q if not q.is_empty else space.polygon
    near = nearest_points(q, p)[0]
    return (near.x, near.y)
