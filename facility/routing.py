"""Routing that respects mobility: who can go where, how far and how long.

A bed needs a door at least as wide as the bed plus clearance and a lift
between levels, never a stair; a wheelchair likewise never takes a stair.
Edges a mobility cannot use are hidden from the shortest-path search (the
weight function returns ``None``), so one graph serves every kind of mover.

Who can pass where and how fast is the mobility table of :mod:`facility.mobility` (door
width needed, mean speed, stair factor, lifts), re-exported here; stairs are walked at the
SFPE unimpeded stair speed 0.85 k (k = 1.08 for 178/279 mm steps) times the mobility's factor.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from facility.errors import RoutingError
from facility.graph import OUTSIDE, space_node
from facility.mobility import AMBULANT, BED, MOBILITIES, REDUCED, STAFF, WHEELCHAIR, WHEELCHAIR_SELF, Mobility

if TYPE_CHECKING:
    from facility.model import Facility

__all__ = [
    "AMBULANT",
    "BED",
    "MOBILITIES",
    "REDUCED",
    "STAFF",
    "WHEELCHAIR",
    "WHEELCHAIR_SELF",
    "Mobility",
    "Route",
    "distance_matrix",
    "nearest_exit_lengths",
    "route",
    "service_distances",
    "sfpe_stair_speed",
    "unreachable_spaces",
]


def sfpe_stair_speed(riser_mm: float, tread_mm: float) -> float:
    """SFPE unimpeded speed along the stair slope (m/s): 0.85 k.

    k is 1.00 / 1.08 / 1.16 / 1.23 for 191/254, 178/279, 165/305, 165/330 mm
    riser/tread; other geometries take the nearest tabulated step.

    >>> round(sfpe_stair_speed(178, 279), 3)
    0.918
    """
    table = np.array([[191, 254, 1.00], [178, 279, 1.08], [165, 305, 1.16], [165, 330, 1.23]])
    d = (table[:, 0] - riser_mm) ** 2 + (table[:, 1] - tread_mm) ** 2
    return float(0.85 * table[int(np.argmin(d)), 2])


def _weight_for(
    g: nx.Graph, mobility: Mobility, by: str, *, from_outside: bool = False
) -> Callable[[str, str, dict[str, Any]], float | None]:
    if by not in ("length", "time"):
        raise ValueError(f"'by' must be 'length' or 'time', got {by!r}")
    nodes = g.nodes
    stair_cache: dict[tuple[float, float], float] = {}

    def w(u: str, v: str, d: dict[str, Any]) -> float | None:
        kind = d["kind"]
        if u == OUTSIDE and not from_outside:
            # "outside" joins every exit at zero length: passing through it would let a
            # route leave by one exit and come back in by another for free.
            return None
        if kind == "stair":
            if mobility.stair_speed_factor is None:
                return None
            if by == "length":
                return float(d["length"])
            key = (d["riser_mm"], d["tread_mm"])
            if key not in stair_cache:
                stair_cache[key] = sfpe_stair_speed(*key)
            return float(d["length"]) / (stair_cache[key] * mobility.stair_speed_factor)
        if kind == "lift":
            if not mobility.uses_lifts or mobility.min_door_width > d["door_width"]:
                return None
            if by == "length":
                return 0.0
            return abs(float(d["rise"])) / float(d["speed"]) + float(d["door_time"])
        width = min(nodes[u].get("width", np.inf), nodes[v].get("width", np.inf))
        if mobility.min_door_width > width:
            return None
        return float(d["length"]) if by == "length" else float(d["length"]) / mobility.speed

    return w


@dataclass(frozen=True, slots=True)
class Route:
    """A route through the building.

    Attributes:
        nodes: Graph nodes visited, first to last.
        length: Walking length (m), stairs along the slope, lifts 0.
        time: Travel time (s) at the mobility's unimpeded speeds, lift door
            times included, no queueing.
        mobility: Name of the mobility the route was planned for.
        stairs: Ids of the stairs used, in order.
        lifts: Ids of the lifts used, in order.
    """

    nodes: tuple[str, ...]
    length: float
    time: float
    mobility: str
    stairs: tuple[str, ...] = ()
    lifts: tuple[str, ...] = ()

    @property
    def doors(self) -> tuple[str, ...]:
        """Ids of the doors passed, in order."""
        return tuple(n.split(":", 1)[1] for n in self.nodes if n.startswith("door:"))

    @property
    def spaces(self) -> tuple[str, ...]:
        """Ids of the space anchors on the route (its ends, and stair/lift spaces)."""
        return tuple(n.split(":", 1)[1] for n in self.nodes if n.startswith("space:"))


def _endpoint(facility: Facility, where: str) -> str:
    if where == OUTSIDE:
        return OUTSIDE
    if facility.has_space(where):
        return space_node(where)
    if where in facility.graph:
        return where
    raise RoutingError(f"unknown space or node {where!r}")


def route(facility: Facility, a: str, b: str, *, mobility: Mobility = STAFF,
          by: str = "time") -> Route:
    """Best route from space ``a`` to space ``b`` (or ``"outside"``).

    Args:
        facility: The building.
        a: Start space id (or graph node id).
        b: End space id, graph node id, or ``"outside"`` for the nearest final exit.
        mobility: Who moves; decides which doors, stairs and lifts are usable.
        by: Minimise ``"time"`` (default) or ``"length"``.

    Raises:
        RoutingError: An endpoint is unknown or no usable route exists.
    """
    g = facility.graph
    src, dst = _endpoint(facility, a), _endpoint(facility, b)
    w = _weight_for(g, mobility, by, from_outside=src == OUTSIDE)
    try:
        _, path = nx.single_source_dijkstra(g, src, dst, weight=w)
    except nx.NetworkXNoPath:
        raise RoutingError(f"no route from {a!r} to {b!r} for mobility {mobility.name!r}") from None
    return _measure(g, tuple(path), mobility)


def _measure(g: nx.Graph, path: tuple[str, ...], mobility: Mobility) -> Route:
    wl = _weight_for(g, mobility, "length")
    wt = _weight_for(g, mobility, "time")
    length = time = 0.0
    stairs: list[str] = []
    lifts: list[str] = []
    for u, v in itertools.pairwise(path):
        d = g.edges[u, v]
        length += wl(u, v, d) or 0.0
        time += wt(u, v, d) or 0.0
        if d["kind"] == "stair":
            stairs.append(d["link"])
        elif d["kind"] == "lift":
            lifts.append(d["link"])
    return Route(nodes=path, length=length, time=time, mobility=mobility.name,
                 stairs=tuple(stairs), lifts=tuple(lifts))


def distance_matrix(facility: Facility, sources: Sequence[str], targets: Sequence[str] | None = None,
                    *, mobility: Mobility = STAFF, by: str = "length") -> np.ndarray:
    """Shortest route lengths (or times) between spaces; ``inf`` where no route.

    Args:
        sources: Space ids for the rows.
        targets: Space ids for the columns (default: ``sources``).
        mobility: Who moves.
        by: ``"length"`` (m, default) or ``"time"`` (s).
    """
    targets = list(sources if targets is None else targets)
    g = facility.graph
    out = np.full((len(sources), len(targets)), np.inf)
    tnodes = [_endpoint(facility, t) for t in targets]
    for i, s in enumerate(sources):
        src = _endpoint(facility, s)
        w = _weight_for(g, mobility, by, from_outside=src == OUTSIDE)
        dist = nx.single_source_dijkstra_path_length(g, src, weight=w)
        out[i] = [dist.get(t, np.inf) for t in tnodes]
    return out


def service_distances(facility: Facility, uses: Iterable[str], *, mobility: Mobility = STAFF,
                      by: str = "length") -> dict[tuple[str, str], float]:
    """Shortest distance between the nearest spaces of each pair of uses.

    One shortest-path search per source space serves every target use.

    >>> from facility.sample import sample
    >>> d = service_distances(sample(), ["ed_triage", "ct"])
    >>> 20 < d[("ed_triage", "ct")] < 60, d[("ct", "ct")]
    (True, 0.0)
    """
    uses = list(uses)
    spaces = {u: [s.id for s in facility.spaces_with_use(u)] for u in uses}
    for u, ids in spaces.items():
        if not ids:
            raise RoutingError(f"the facility has no space with use {u!r}")
    targets = [sid for u in uses for sid in spaces[u]]
    cols: dict[str, slice] = {}
    start = 0
    for u in uses:
        cols[u] = slice(start, start + len(spaces[u]))
        start += len(spaces[u])
    out: dict[tuple[str, str], float] = {}
    for a in uses:
        m = distance_matrix(facility, spaces[a], targets, mobility=mobility, by=by)
        for b in uses:
            out[(a, b)] = float(m[:, cols[b]].min())
    return out


def nearest_exit_lengths(facility: Facility, *, mobility: Mobility = STAFF,
                         by: str = "length") -> dict[str, float]:
    """For every space, the length (or time) of its best route to outside (inf if none)."""
    g = facility.graph
    dist = nx.single_source_dijkstra_path_length(
        g, OUTSIDE, weight=_weight_for(g, mobility, by, from_outside=True))
    return {s.id: float(dist.get(space_node(s.id), np.inf)) for s in facility.spaces}


def unreachable_spaces(facility: Facility, *, mobility: Mobility = STAFF) -> list[str]:
    """Ids of spaces from which ``mobility`` cannot reach any final exit."""
    lengths = nearest_exit_lengths(facility, mobility=mobility)
    return [sid for sid, d in lengths.items() if not np.isfinite(d)]
