"""Can everyone get out? The reachability, smoke-compartment and refuge checks of
:func:`facility.validate.validate`.

* every occupied space reaches a final exit for staff (error; a warning for an
  unoccupied space); every bed space reaches one with its bed (warning), and can
  hold its beds: a bed (:data:`facility.mobility.BED`'s footprint) fits in it and
  its floor is at least the beds' footprints (warning); a storey whose only way out
  is an ordinary lift is warned about;
* smoke compartments (NFPA 101 ch. 18/19, HTM 05-02 progressive horizontal
  evacuation): at most :data:`MAX_COMPARTMENT_AREA` m², at least two per
  floor with beds, each occupied space (and each bed space, with its bed) can
  reach a neighbouring compartment on its level (or a final exit) without
  stairs or lifts, at most :data:`MAX_BARRIER_TRAVEL` m from a door into
  another compartment (warnings); a compartment of one space that no smoke
  door separates is warned about as a likely misspelt name;
* refuges must lead on: a refuge space that reaches no final exit is an error (a
  warning if unoccupied) saying the refuge has no way out, and a compartment that
  would receive the occupants of a neighbour on fire (progressive horizontal
  evacuation) but from which no final exit can be reached without going back
  through that neighbour, even by stairs, is a warning naming both
  (:func:`refuges_without_exit`: people moved into it are stranded there when the
  vertical phase comes).

They need sound references and polygons: :func:`~facility.validate.validate` runs the
reachability and refuge checks only when those are free of errors.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Collection

import networkx as nx

from facility.errors import Issue
from facility.geometry import sound_polygon
from facility.graph import OUTSIDE, door_node, space_node
from facility.model import OCCUPIED_KINDS, Facility, SpaceKind
from facility.routing import BED, STAFF, Mobility, unreachable_spaces

__all__ = [
    "MAX_BARRIER_TRAVEL",
    "MAX_COMPARTMENT_AREA",
    "MAX_TYPO_DISTANCE",
    "bed_room",
    "compartment_sizes",
    "dead_end_refuges",
    "horizontal_evacuation",
    "lone_compartments",
    "reachability",
    "refuges_without_exit",
]

#: Largest smoke compartment (m²): NFPA 101 18.3.7.1 / 19.3.7.1 (22,500 ft²).
MAX_COMPARTMENT_AREA = 2100.0
#: Longest walk (m) from a space to a door into another smoke compartment: NFPA 101
#: 18.3.7.1 (200 ft), measured from the space's centre along the navigation graph.
MAX_BARRIER_TRAVEL = 61.0
#: Compartment names this few edits apart (Levenshtein) are suggested for a likely typo.
MAX_TYPO_DISTANCE = 2


#: Issue constructors, short for the many messages below.
_err, _warn = Issue.error, Issue.warning


# -- people and smoke --------------------------------------------------------------------------


def reachability(f: Facility) -> list[Issue]:
    """Spaces from which staff (or, for bed spaces, a bed) reach no final exit; storeys left only by
    ordinary lifts."""
    out = []
    for sid in unreachable_spaces(f, mobility=STAFF):
        s = f.space(sid)
        msg = (f"cannot reach any final exit (no route through doors >= {STAFF.min_door_width} m, "
               "stairs or lifts)")
        if s.kind == SpaceKind.REFUGE:
            msg = "refuge has no way out: " + msg
        el = f"space {sid}"
        out.append(_err(el, msg) if s.occupied else _warn(el, msg + "; it is unoccupied"))
    stranded = set(unreachable_spaces(f, mobility=BED))
    for s in f.spaces:
        if s.beds > 0 and s.id in stranded:
            out.append(_warn(f"space {s.id}", f"has {s.beds} bed(s) but no route to a final exit for a bed "
                                              f"(doors >= {BED.min_door_width} m, lifts, no stairs)"))
    return out + _lift_only(f)


def _lift_only(f: Facility) -> list[Issue]:
    """Occupied spaces whose every way out takes a lift not designed for evacuation.

    Lifts other than evacuation lifts are not used in a fire (HTM 05-02 moves patients down by
    evacuation lifts; a drill's ``strategy.lifts`` is ``evacuation`` by default), so such a
    space, though it reaches an exit by everyday routes, has no way out in a fire.
    """
    plain = {lf.id for lf in f.lifts if not lf.evacuation_lift}
    if not plain:
        return []
    g = _mobility_graph(f, STAFF)
    out_by_any_way = nx.node_connected_component(g, OUTSIDE)  # the rest is reported above: no exit at all
    g.remove_edges_from([(u, v) for u, v, e in g.edges(data=True)
                         if e["kind"] == "lift" and e["link"] in plain])
    cut_off = out_by_any_way - nx.node_connected_component(g, OUTSIDE)
    out = []
    for s in f.spaces:
        if s.occupied and s.kind in OCCUPIED_KINDS and space_node(s.id) in cut_off:
            lifts = sorted(lf.id for lf in f.lifts if lf.id in plain
                           and any(f.space(sid).level == s.level for sid in lf.spaces))
            out.append(_warn(f"space {s.id}", f"reaches a final exit only by lift, and no lift it can take "
                                              f"({', '.join(lifts)}) is an evacuation lift: in a fire, when "
                                              "other lifts are not used, it has no way out (add a stair, or "
                                              "set evacuation_lift on a lift)"))
    return out


def bed_room(f: Facility) -> list[Issue]:
    """Spaces whose beds cannot be there: a bed does not fit, or the beds cover more than the floor."""
    length, width = 2 * (BED.radius + BED.extra), 2 * BED.radius
    out = []
    for s in f.spaces:
        if s.beds <= 0 or not sound_polygon(s.polygon):
            continue
        box_ = s.polygon.minimum_rotated_rectangle
        sides = sorted(math.dist(a, b) for a, b in itertools.pairwise(list(box_.exterior.coords)[:3]))
        if len(sides) < 2 or sides[0] < width or sides[1] < length:
            out.append(_warn(f"space {s.id}", f"has {s.beds} bed(s) but no {length:g} x {width:g} m bed "
                                              "fits in it (the bed footprint of facility.mobility.BED)"))
        elif s.beds * length * width > s.area:
            out.append(_warn(f"space {s.id}", f"has {s.beds} bed(s) covering {s.beds * length * width:.1f} "
                                              f"m² but {s.area:.1f} m² of floor"))
    return out


def compartment_sizes(f: Facility) -> list[Issue]:
    """Smoke compartments larger than :data:`MAX_COMPARTMENT_AREA`, and bed floors with fewer than two."""
    out = []
    for cid, ids in f.compartments.items():
        area = sum(f.space(sid).area for sid in ids
                   if f.has_space(sid) and sound_polygon(f.space(sid).polygon))
        if area > MAX_COMPARTMENT_AREA:
            out.append(_warn(f"compartment {cid}",
                             f"has {area:.0f} m² of floor, more than the {MAX_COMPARTMENT_AREA:.0f} m² "
                             "allowed (NFPA 101 18.3.7.1)"))
    for lv in f.levels:
        on = f.spaces_on(lv.id)
        beds = sum(s.beds for s in on)
        found = {s.compartment for s in on if s.compartment is not None}
        if beds > 0 and len(found) < 2:
            out.append(_warn(f"level {lv.id}",
                             f"has {beds} bed(s) but {len(found)} smoke compartment(s); patient floors "
                             "need at least 2 (NFPA 101 ch. 18/19, HTM 05-02)"))
    return out


def lone_compartments(f: Facility) -> list[Issue]:
    """A compartment of one space that no smoke door separates: most likely a misspelt name.

    A real one-room compartment is closed by smoke doors; without them the
    space merely carries a different compartment name from its neighbours
    (``"wset"`` beside ``"west"``), which silently splits the compartment
    and skews the compartment rules.
    """
    out = []
    names = sorted(f.compartments)
    for cid, ids in f.compartments.items():
        if len(ids) != 1:
            continue
        sid = ids[0]
        across = [d for d in f.doors if sid in d.spaces and f.has_space(d.other(sid))
                  and f.space(d.other(sid)).compartment not in (None, cid)]
        if not across or any(d.smoke_door for d in across):
            continue
        close = [n for n in names if n != cid and _edit_distance(n, cid) <= MAX_TYPO_DISTANCE]
        hint = (f"; did you mean {min(close, key=lambda n: _edit_distance(n, cid))!r}?" if close
                else "; check the space's 'compartment'")
        out.append(_warn(f"compartment {cid}",
                         f"has one space ({sid}) and no smoke door separates it (its door(s) "
                         f"{_some([d.id for d in across])} to other compartments are not smoke doors): "
                         f"a likely typo{hint}"))
    return out


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest one-character edits turning ``a`` into ``b``.

    >>> _edit_distance("wset", "west")
    2
    """
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _level_graph(f: Facility, mobility: Mobility) -> nx.Graph:
    """The navigation graph without stairs, lifts, "outside" and doors ``mobility`` cannot pass."""
    g = f.graph.copy()
    g.remove_node(OUTSIDE)
    for u, v, d in list(g.edges(data=True)):
        width = min(g.nodes[u].get("width", math.inf), g.nodes[v].get("width", math.inf))
        if d["kind"] != "walk" or width < mobility.min_door_width:
            g.remove_edge(u, v)
    return g


def horizontal_evacuation(f: Facility) -> list[Issue]:
    """Occupied spaces must reach another compartment (or an exit) on their level, beds with their bed.

    Stair, lift and outside edges are removed, so what remains connected is
    what can be reached horizontally, as progressive horizontal evacuation
    requires (HTM 05-02; NFPA 101 18.1.1.4.3 and 18.3.7.1).
    """
    comp_of = {space_node(s.id): s.compartment for s in f.spaces}
    out = []
    for mobility in (STAFF, BED):
        g = _level_graph(f, mobility)
        reach_exit: dict[int, bool] = {}
        comps: dict[int, set[str]] = {}
        where: dict[str, int] = {}
        for k, nodes in enumerate(nx.connected_components(g)):
            reach_exit[k] = any(n.startswith("exit:") for n in nodes)
            comps[k] = {c for n in nodes if (c := comp_of.get(n)) is not None}
            where.update(dict.fromkeys(nodes, k))
        for cid, ids in f.compartments.items():
            spaces = [f.space(sid) for sid in ids]
            movers = ([s.id for s in spaces if s.occupied and s.kind in OCCUPIED_KINDS] if mobility is STAFF
                      else [s.id for s in spaces if s.beds > 0])
            stuck = [sid for sid in movers
                     if not reach_exit[k := where[space_node(sid)]] and not comps[k] - {cid}]
            if not stuck:
                continue
            what = ("occupied space(s)" if mobility is STAFF
                    else f"bed space(s) (with their beds, doors >= {BED.min_door_width} m)")
            out.append(_warn(f"compartment {cid}",
                             f"{what} {_some(stuck)} cannot reach a neighbouring compartment or a final "
                             "exit on their level without stairs or lifts (progressive horizontal "
                             "evacuation, HTM 05-02)"))
        if mobility is STAFF:
            out += _barrier_distances(f, g)
    return out


def _barrier_distances(f: Facility, g: nx.Graph) -> list[Issue]:
    """Walking distance from each occupied space to the nearest door between compartments."""
    barrier = [door_node(d.id) for d in f.doors
               if len({f.space(sid).compartment for sid in d.spaces} - {None}) == 2]
    if not barrier:
        return []
    dist = nx.multi_source_dijkstra_path_length(g, barrier, weight="length")
    out = []
    for cid, ids in f.compartments.items():
        far = {sid: dist[space_node(sid)] for sid in ids
               if f.space(sid).occupied and f.space(sid).kind in OCCUPIED_KINDS
               and MAX_BARRIER_TRAVEL < dist.get(space_node(sid), math.inf) < math.inf}
        if far:
            out.append(_warn(f"compartment {cid}",
                             f"space(s) {_some(list(far))} are more than {MAX_BARRIER_TRAVEL:g} m from a "
                             f"door to another compartment (up to {max(far.values()):.0f} m from the "
                             "space's centre; NFPA 101 18.3.7.1)"))
    return out


def refuges_without_exit(facility: Facility, fire_compartments: Collection[str], *,
                         mobility: Mobility = STAFF) -> list[str]:
    """Refuges that are dead ends for a fire in ``fire_compartments``, sorted.

    Under progressive horizontal evacuation the occupants of a compartment on fire are moved
    into a neighbouring compartment: one joined to it by a door, on the same level, itself not
    on fire, with a corridor or a refuge space to hold them (a compartment of rooms only, such
    as an isolation suite behind its smoke door, is no refuge).  Later they leave the building
    from there, and their routes keep out of the compartments on fire.  Returned are those
    neighbours none of whose spaces reaches a final exit for ``mobility`` (its door widths,
    stairs, lifts) without passing through a compartment on fire: everyone moved into one is
    stranded there.

    Args:
        facility: The building.
        fire_compartments: The compartments on fire (evacuated first).
        mobility: Who has to get out (staff by default: then nobody can).
    """
    return _dead_ends(facility, _mobility_graph(facility, mobility), _refuges_next_door(facility),
                      set(fire_compartments))


def _mobility_graph(f: Facility, mobility: Mobility) -> nx.Graph:
    """The navigation graph without the edges ``mobility`` cannot take."""
    g = f.graph.copy()
    g.remove_edges_from([(u, v) for u, v, e in g.edges(data=True) if not _usable(g, u, v, e, mobility)])
    return g


def _refuges_next_door(facility: Facility) -> dict[str, set[str]]:
    """Per compartment, the compartments that could take its occupants in a fire: joined to it by
    a door, on the same level, holding a corridor or a refuge space."""
    holds = {s.compartment for s in facility.spaces if s.kind in (SpaceKind.CORRIDOR, SpaceKind.REFUGE)}
    out: dict[str, set[str]] = {}
    for d in facility.doors:
        if not all(facility.has_space(sid) for sid in d.spaces):
            continue
        a, b = (facility.space(sid) for sid in d.spaces)
        for x, y in ((a, b), (b, a)):
            if x.compartment is not None and y.compartment in holds and y.compartment != x.compartment \
                    and y.level == x.level:
                out.setdefault(x.compartment, set()).add(str(y.compartment))
    return out


def _dead_ends(facility: Facility, g: nx.Graph, next_door: dict[str, set[str]], fire: set[str]) -> list[str]:
    """:func:`refuges_without_exit` over ``g``, the navigation graph of one mobility."""
    refuges = {r for c in fire for r in next_door.get(c, ())} - fire
    if not refuges:
        return []
    burning = {sid for c in fire for sid in facility.compartments.get(c, ())}
    blocked = {space_node(sid) for sid in burning}
    return sorted(c for c in refuges
                  if not _reaches_outside(g, [space_node(sid) for sid in facility.compartments[c]], blocked,
                                          burning))


def _reaches_outside(g: nx.Graph, start: list[str], blocked: set[str], burning: set[str]) -> bool:
    """Whether a walk from ``start`` reaches outside, never through ``blocked`` nodes nor along a
    walking edge inside a ``burning`` space (a search that stops at the first way out)."""
    seen = set(start)
    todo = deque(start)
    while todo:
        u = todo.popleft()
        for v, e in g.adj[u].items():
            if v in seen or v in blocked or e.get("space") in burning:
                continue
            if v == OUTSIDE:
                return True
            seen.add(v)
            todo.append(v)
    return False


def _usable(g: nx.Graph, u: str, v: str, e: dict[str, object], mobility: Mobility) -> bool:
    """Whether ``mobility`` can take edge (u, v) of the navigation graph (as :mod:`facility.routing` does)."""
    if e["kind"] == "stair":
        return mobility.stair_speed_factor is not None
    if e["kind"] == "lift":
        return mobility.uses_lifts and mobility.min_door_width <= float(e["door_width"])  # type: ignore[arg-type]
    width = min(g.nodes[u].get("width", math.inf), g.nodes[v].get("width", math.inf))
    return bool(width >= mobility.min_door_width)


def dead_end_refuges(f: Facility) -> list[Issue]:
    """Compartments that would receive a neighbour's occupants in a fire but lead nowhere else."""
    # For anyone (staff): a compartment that beds cannot leave on their own level is common (beds
    # stay in the refuge, defended in place) and a drill reports such beds when it strands them.
    g, next_door = _mobility_graph(f, STAFF), _refuges_next_door(f)
    return [_warn(f"compartment {r}",
                  f"is a refuge for compartment {cid} (progressive horizontal evacuation), but no final exit "
                  f"can be reached from it without going back through {cid}: refuge has no way out, and "
                  f"people moved into it are stranded when {cid} is on fire")
            for cid in sorted(f.compartments) for r in _dead_ends(f, g, next_door, {cid})]


def _some(ids: list[str]) -> str:
    """The first few ids, and how many more."""
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
