"""Is this building consistent, and can everyone get out? Cross-element checks.

A facility file can match its schema and still describe an impossible or
dangerous building: a door floating in the middle of a room, two rooms on top
of each other, a ward with no way out.  :func:`validate` finds every such
problem at once and names the element (``door D-3``, ``space ED-01``) so a
planner can fix a hand-written file in one pass.

Errors make :func:`facility.load` refuse the facility; warnings are advice a
safety officer should read.  The rules and their sources:

* ids unique per element type; references (levels, spaces, assembly points)
  resolve; polygons valid (shapely ``explain_validity``) with positive area;
  spaces on one level overlap by at most :data:`OVERLAP_TOLERANCE` m²;
* a door sits on the wall shared by its two spaces (within
  :data:`~facility.geometry.BOUNDARY_TOLERANCE`), on one level, at least
  :data:`MIN_DOOR_WIDTH` m clear and no wider than that wall; a final exit sits
  in an external wall of its space and is no wider than it (the same rule);
  no door or exit duplicates another (same spaces, same place);
* a stair/lift joins existing stair/lift spaces, one per existing level;
  stairs narrower than :data:`MIN_STAIR_WIDTH` and bed lifts smaller than the
  HTM 08-02 car (1.8 x 2.7 m) are warned about;
* every occupied space reaches a final exit for staff (error; a warning for an
  unoccupied space); every bed space reaches one with its bed (warning), and can
  hold its beds: a bed (:data:`facility.mobility.BED`'s footprint) fits in it and
  its floor is at least the beds' footprints (warning);
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

The reachability and compartment checks need sound references and polygons,
so they run only when those are free of errors.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections import Counter, deque
from collections.abc import Collection, Iterable, Sequence

import networkx as nx
import numpy as np
import shapely
import shapely.errors
from shapely.geometry import LineString, Point, Polygon
from shapely.strtree import STRtree
from shapely.validation import explain_validity

from facility.errors import FacilityValidationError, Issue
from facility.geometry import BOUNDARY_TOLERANCE, nearest_edge_direction, shared_wall
from facility.graph import OUTSIDE, door_node, space_node
from facility.model import OCCUPIED_KINDS, Door, Facility, Lift, Space, SpaceKind, Stair
from facility.routing import BED, STAFF, Mobility, unreachable_spaces
from facility.schema import MAX_COORDINATE_M

__all__ = [
    "MAX_BARRIER_TRAVEL",
    "MAX_COMPARTMENT_AREA",
    "MAX_TYPO_DISTANCE",
    "MIN_DOOR_WIDTH",
    "MIN_STAIR_WIDTH",
    "OVERLAP_TOLERANCE",
    "ensure_valid",
    "errors",
    "refuges_without_exit",
    "validate",
]

#: Largest overlap (m²) tolerated between two spaces of one level (drawing slop).
OVERLAP_TOLERANCE = 0.01
#: Narrowest door (m) any mover can pass (staff and walking patients).
MIN_DOOR_WIDTH = 0.6
#: Stairs narrower than this (m) are warned about as escape stairs.
MIN_STAIR_WIDTH = 0.8
#: Largest smoke compartment (m²): NFPA 101 18.3.7.1 / 19.3.7.1 (22,500 ft²).
MAX_COMPARTMENT_AREA = 2100.0
#: Longest walk (m) from a space to a door into another smoke compartment: NFPA 101
#: 18.3.7.1 (200 ft), measured from the space's centre along the navigation graph.
MAX_BARRIER_TRAVEL = 61.0
#: Compartment names this few edits apart (Levenshtein) are suggested for a likely typo.
MAX_TYPO_DISTANCE = 2
#: Smallest bed-lift car (width, depth) in m: HTM 08-02.
BED_LIFT_CAR = (1.8, 2.7)


def validate(facility: Facility, *, source: str = "<facility>") -> list[Issue]:
    """Every problem of ``facility``: errors first found, then warnings, in file order.

    Args:
        facility: The building to check.
        source: Names the facility (its file); kept for callers, as the
            issues themselves never repeat it (the report that lists them
            names the file once).

    Returns:
        A list of :class:`~facility.errors.Issue`; empty when all is well.
    """
    issues: list[Issue] = []
    issues += _ids(facility)
    implausible = _plausible(facility)
    if implausible:
        # Overlaps and distances computed from such numbers would only mislead.
        return issues + implausible
    # Degenerate geometry makes shapely warn on stderr; every problem it hints
    # at is reported below as an issue naming the element instead.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        issues += _references(facility)
        issues += _polygons(facility)
        sound = not errors(issues)
        issues += _overlaps(facility)
        issues += _doors(facility)
        issues += _exits(facility)
        issues += _duplicate_openings(facility)
        issues += _links(facility)
        issues += _compartment_sizes(facility)
        issues += _lone_compartments(facility)
        if sound and facility.exits:
            issues += _reachability(facility)
            issues += _horizontal_evacuation(facility)
            issues += _dead_end_refuges(facility)
        issues += _bed_room(facility)
    return issues


def errors(issues: Iterable[Issue]) -> list[Issue]:
    """The issues that are errors (not warnings)."""
    return [i for i in issues if i.severity == "error"]


def ensure_valid(facility: Facility, *, source: str = "<facility>") -> list[Issue]:
    """Validate and raise on any error; return the warnings.

    Raises:
        FacilityValidationError: With every error found.
    """
    issues = validate(facility, source=source)
    found = errors(issues)
    if found:
        raise FacilityValidationError(source, found)
    return [i for i in issues if i.severity != "error"]


def _err(element: str, message: str) -> Issue:
    return Issue(element, message, "error")


def _warn(element: str, message: str) -> Issue:
    return Issue(element, message, "warning")


def _fmt(p: Sequence[float]) -> str:
    return f"({p[0]:g}, {p[1]:g})"


# -- structure ---------------------------------------------------------------------------------
def _plausible(f: Facility) -> list[Issue]:
    """Coordinates no building has (beyond :data:`~facility.schema.MAX_COORDINATE_M`, or not finite).

    A file is refused by the schema already; this catches a facility built in
    Python, before overlaps and wall distances are computed from such numbers.
    """
    out = []

    def check(element: str, field: str, coords: np.ndarray) -> None:
        c = np.asarray(coords, dtype=float)
        if c.size and not (np.isfinite(c).all() and (np.abs(c) <= MAX_COORDINATE_M).all()):
            worst = c.reshape(-1)[np.argmax(np.nan_to_num(np.abs(c.reshape(-1)), nan=np.inf))]
            out.append(_err(element, f"{field}: coordinate {worst:g} is implausible (a plan coordinate "
                                      f"must be finite and within {MAX_COORDINATE_M:g} m of the origin)"))

    ids: list[tuple[str, str]] = [(type(el).__name__.lower(), el.id) for group in (
        f.levels, f.spaces, f.doors, f.exits, f.stairs, f.lifts, f.assembly_points) for el in group]
    for kind, ident in ids:
        try:
            ident.encode("utf-8")
        except UnicodeEncodeError:
            shown = ident.encode("utf-8", "backslashreplace").decode("utf-8")
            out.append(_err(f"{kind} {shown}", "id holds a lone surrogate; ids must be valid Unicode text"))
    if out:  # other messages would repeat the id, which cannot be printed
        return out
    for s in f.spaces:
        check(f"space {s.id}", "polygon", np.asarray(s.polygon.exterior.coords))
        for ring in s.polygon.interiors:
            check(f"space {s.id}", "holes", np.asarray(ring.coords))
    for d in f.doors:
        check(f"door {d.id}", "at", np.asarray(d.at))
    for e in f.exits:
        check(f"exit {e.id}", "at", np.asarray(e.at))
    for a in f.assembly_points:
        check(f"assembly point {a.id}", "at", np.asarray(a.at))
    return out


def _ids(f: Facility) -> list[Issue]:
    out = []
    groups: list[tuple[str, Sequence[str]]] = [
        ("level", [x.id for x in f.levels]), ("space", [x.id for x in f.spaces]),
        ("door", [x.id for x in f.doors]), ("exit", [x.id for x in f.exits]),
        ("stair", [x.id for x in f.stairs]), ("lift", [x.id for x in f.lifts]),
        ("assembly point", [x.id for x in f.assembly_points])]
    for what, ids in groups:
        for ident, n in Counter(ids).items():
            if n > 1:
                out.append(_err(f"{what} {ident}",
                                f"id {ident!r} is used by {n} {what}s; ids must be unique"))
    if not f.levels:
        out.append(_err("facility", "has no levels"))
    if not f.spaces:
        out.append(_err("facility", "has no spaces"))
    return out


def _references(f: Facility) -> list[Issue]:
    out = []
    levels = {lv.id for lv in f.levels}
    points = {a.id for a in f.assembly_points}
    for s in f.spaces:
        if s.level not in levels:
            out.append(_err(f"space {s.id}", f"level {s.level!r} does not exist (levels: {_names(levels)})"))
    for d in f.doors:
        for sid in d.spaces:
            if not f.has_space(sid):
                out.append(_err(f"door {d.id}", f"joins space {sid!r}, which does not exist"))
    for e in f.exits:
        if not f.has_space(e.space):
            out.append(_err(f"exit {e.id}", f"leads out of space {e.space!r}, which does not exist"))
        if e.assembly_point is not None and e.assembly_point not in points:
            out.append(_err(f"exit {e.id}", f"assembly point {e.assembly_point!r} does not exist"))
    links: list[Stair | Lift] = [*f.stairs, *f.lifts]
    for link in links:
        what = "stair" if isinstance(link, Stair) else "lift"
        for sid in link.spaces:
            if not f.has_space(sid):
                out.append(_err(f"{what} {link.id}", f"space {sid!r} does not exist"))
    return out


def _names(ids: Iterable[str]) -> str:
    return ", ".join(sorted(map(repr, ids))) or "none"


def _polygons(f: Facility) -> list[Issue]:
    out = []
    for s in f.spaces:
        touching = _holes_on_outline(s.polygon)
        if touching:
            # shapely would only say "self-intersection": name the hole instead.
            out += [_err(f"space {s.id}", f"holes[{k}] touches or equals the outline ('polygon'); a hole "
                                          "must lie strictly inside the space") for k in touching]
            continue
        if s.polygon.is_empty or not s.polygon.is_valid:
            why = "it is empty" if s.polygon.is_empty else _explain(s.polygon)
            hint = " (an outline must not cross or touch itself)" if "intersection" in why else ""
            out.append(_err(f"space {s.id}", f"polygon is invalid: {why}{hint}"))
        elif not s.polygon.area > 0:
            out.append(_err(f"space {s.id}", "polygon has zero area"))
    return out


def _holes_on_outline(polygon: Polygon) -> list[int]:
    """Indexes (as in the file's ``holes``) of the holes that touch or coincide with the outer ring."""
    if polygon.is_empty:
        return []
    outline = polygon.exterior
    return [k for k, ring in enumerate(polygon.interiors) if ring.intersects(outline)]


def _explain(polygon: Polygon) -> str:
    """shapely's reason, with its ``Reason[x y]`` location written as ``reason at (x, y)``."""
    why = explain_validity(polygon)
    m = re.fullmatch(r"(.*)\[(\S+) (\S+)\]", why)
    return f"{m[1].lower()} at ({float(m[2]):g}, {float(m[3]):g})" if m else why


def _valid(s: Space) -> bool:
    return not s.polygon.is_empty and s.polygon.is_valid and s.polygon.area > 0


def _overlaps(f: Facility) -> list[Issue]:
    out = []
    for lv in f.levels:
        spaces = [s for s in f.spaces_on(lv.id) if _valid(s)]
        if len(spaces) < 2:
            continue
        tree = STRtree([s.polygon for s in spaces])
        left, right = tree.query([s.polygon for s in spaces], predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i < j:
                area = spaces[i].polygon.intersection(spaces[j].polygon).area
                if area > OVERLAP_TOLERANCE:
                    out.append(_err(f"space {spaces[i].id}",
                                    f"overlaps space {spaces[j].id} on level {lv.id} by {area:.3g} m² "
                                    f"(spaces may share walls, not floor; tolerance {OVERLAP_TOLERANCE} m²)"))
    return out


# -- openings ----------------------------------------------------------------------------------
def _doors(f: Facility) -> list[Issue]:
    out = []
    for d in f.doors:
        el = f"door {d.id}"
        if d.width < MIN_DOOR_WIDTH:
            out.append(_err(el, f"is {d.width:g} m wide; a door must be at least {MIN_DOOR_WIDTH} m clear"))
        if not all(f.has_space(sid) for sid in d.spaces):
            continue
        a, b = (f.space(sid) for sid in d.spaces)
        if a.level != b.level:
            out.append(_err(el, f"joins spaces on different levels ({a.id} on {a.level}, "
                                f"{b.id} on {b.level}); join levels with a stair or a lift"))
            continue
        if not (_valid(a) and _valid(b)):
            continue
        issue = _door_in_wall(d, a, b)
        if issue is not None:
            out.append(issue)
    return out


def _door_in_wall(d: Door, a: Space, b: Space) -> Issue | None:
    el, p = f"door {d.id}", Point(d.at)
    wall_a, wall_b = _wall_parts(a, b), _wall_parts(b, a)
    if not wall_a or not wall_b:
        return _err(el, f"spaces {a.id} and {b.id} share no wall (within {BOUNDARY_TOLERANCE} m); "
                        "a door must sit in the wall between its two spaces")
    part_a, part_b = min(wall_a, key=p.distance), min(wall_b, key=p.distance)
    dist = max(p.distance(part_a), p.distance(part_b))
    if dist > BOUNDARY_TOLERANCE:
        return _err(el, f"at {_fmt(d.at)} is {dist:.3g} m from the wall between {a.id} and {b.id} "
                        f"(must be within {BOUNDARY_TOLERANCE} m)")
    u = np.asarray(nearest_edge_direction(a.polygon, d.at))
    return _fits_wall(el, d.at, d.width, [part_a, part_b], u=u,
                      wall=f"the wall it sits in between {a.id} and {b.id}")


def _fits_wall(el: str, at: Sequence[float], width: float, parts: Sequence[shapely.Geometry], *,
               u: np.ndarray, wall: str) -> Issue | None:
    """Whether an opening (door or exit) of ``width`` centred at ``at`` fits in its wall.

    One rule for doors and exits, so that neither can be wider than the wall it
    is drawn in: an over-wide opening would let people pass beside a room's
    own door (routing and the evacuation use the opening's full width).

    Args:
        el: The element, as named in issues (``door D1``, ``exit X``).
        at: Centre of the opening.
        width: Its clear width (m).
        parts: The wall piece(s) it sits in; a door passes the piece seen from
            each of its two spaces, and the wall is where they agree.
        u: Unit direction of the wall at ``at``.
        wall: The wall in words (``the wall it sits in between A and B``).
    """
    # The wall's extent along the opening's direction, as seen from every side:
    # each side's tolerance buffer overhangs the other's wall end, and
    # perpendicular slivers at the ends project to nothing.
    ts = [(np.asarray(part.coords) - np.asarray(at)) @ u for part in parts]
    lo, hi = max(float(t.min()) for t in ts), min(float(t.max()) for t in ts)
    length = max(hi - lo, 0.0)
    if width > length + BOUNDARY_TOLERANCE:
        return _err(el, f"is {width:g} m wide but {wall} is only {length:.3g} m long")
    past = max(lo + width / 2, width / 2 - hi)
    if past > BOUNDARY_TOLERANCE:
        return _err(el, f"opening runs {past:.3g} m past the end of {wall}; move 'at' along the wall")
    return None


def _wall_parts(a: Space, b: Space) -> list[shapely.Geometry]:
    """Connected pieces of ``a``'s boundary lying on ``b``'s (within the tolerance)."""
    merged = shapely.line_merge(_lines(shared_wall(a.polygon, b.polygon)))
    return [g for g in shapely.get_parts(merged) if g.length > 0]


def _lines(geom: shapely.Geometry) -> shapely.Geometry:
    """Only the line parts of an intersection (points where walls merely touch are dropped)."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, LineString)]
    return shapely.multilinestrings(parts) if parts else LineString()


def _exits(f: Facility) -> list[Issue]:
    if not f.exits:
        # No file name here: the report that lists this issue names the file once already.
        return [_err("facility", "has no final exits; at least one is required")]
    out = []
    for e in f.exits:
        el = f"exit {e.id}"
        if e.width < MIN_DOOR_WIDTH:
            out.append(_err(el, f"is {e.width:g} m wide; an exit must be at least {MIN_DOOR_WIDTH} m clear"))
        if not f.has_space(e.space) or not _valid(f.space(e.space)):
            continue
        s, p = f.space(e.space), Point(e.at)
        dist = p.distance(s.polygon.boundary)
        if dist > BOUNDARY_TOLERANCE:
            out.append(_err(el, f"at {_fmt(e.at)} is {dist:.3g} m from the boundary of space {s.id}; "
                                "an exit must sit in the space's external wall"))
            continue
        inside = [o for o in f.spaces_on(s.level)
                  if o.id != s.id and o.kind is not SpaceKind.OUTSIDE and _valid(o)]
        shared = [o for o in inside if p.distance(o.polygon) <= BOUNDARY_TOLERANCE]
        for other in shared:
            out.append(_err(el, f"at {_fmt(e.at)} lies on the wall between {s.id} and {other.id}; "
                                "a final exit must be in an external wall (use a door between spaces)"))
        if not shared:
            issue = _exit_in_wall(el, e.at, e.width, s, inside)
            if issue is not None:
                out.append(issue)
    return out


#: Grid (m) of the robust overlay a validator falls back to when GEOS fails on near-coincident
#: outlines: a micrometre, far below anything a rule measures.
GRID = 1e-6


def _exit_in_wall(el: str, at: tuple[float, float], width: float, s: Space,
                  inside: list[Space]) -> Issue | None:
    """An exit must fit in the external wall piece it sits in (the rule of a door's, :func:`_fits_wall`).

    The external wall is the space's boundary less every wall it shares with
    another (non-outside) space of its level.
    """
    walls = [o.polygon.boundary.buffer(BOUNDARY_TOLERANCE) for o in inside]
    try:
        external = s.polygon.boundary.difference(shapely.union_all(walls)) if walls else s.polygon.boundary
    except shapely.errors.GEOSException:
        # Near-coincident outlines (a rotated scan's) can defeat GEOS's floating overlay; the same
        # overlay on a micrometre grid is robust and changes nothing a validator looks at.
        external = shapely.difference(s.polygon.boundary, shapely.union_all(walls, grid_size=GRID),
                                      grid_size=GRID)
    parts = [g for g in shapely.get_parts(shapely.line_merge(_lines(external))) if g.length > 0]
    if not parts:  # unreachable: the exit is on the boundary and on no other space's wall
        return None
    part = min(parts, key=Point(at).distance)
    u = np.asarray(nearest_edge_direction(s.polygon, at))
    return _fits_wall(el, at, width, [part], u=u, wall=f"the external wall of space {s.id} it sits in")


def _duplicate_openings(f: Facility) -> list[Issue]:
    """Two doors joining the same spaces at the same place, or two exits at one point.

    Either is a copy-paste slip: the building would get twice the flow
    through one opening, and nothing else would notice.
    """
    out = []
    seen_doors: dict[frozenset[str], list[Door]] = {}
    for d in f.doors:
        pair = frozenset(d.spaces)
        for first in seen_doors.get(pair, []):
            if Point(d.at).distance(Point(first.at)) <= BOUNDARY_TOLERANCE:
                a, b = sorted(pair)
                out.append(_err(f"door {d.id}", f"at {_fmt(d.at)} duplicates door {first.id} (both join "
                                                f"{a} and {b} at the same place); remove one of door "
                                                f"{first.id} and door {d.id}"))
                break
        seen_doors.setdefault(pair, []).append(d)
    for i, e in enumerate(f.exits):
        for earlier in f.exits[:i]:
            if Point(e.at).distance(Point(earlier.at)) <= BOUNDARY_TOLERANCE:
                out.append(_err(f"exit {e.id}", f"at {_fmt(e.at)} duplicates exit {earlier.id} (same point); "
                                                f"remove one of exit {earlier.id} and exit {e.id}"))
                break
    return out


# -- stairs and lifts --------------------------------------------------------------------------
def _links(f: Facility) -> list[Issue]:
    out = []
    levels = {lv.id: lv for lv in f.levels}
    linked: set[str] = set()
    links: list[Stair | Lift] = [*f.stairs, *f.lifts]
    for link in links:
        is_stair = isinstance(link, Stair)
        what, kind = ("stair", SpaceKind.STAIR) if is_stair else ("lift", SpaceKind.LIFT)
        el = f"{what} {link.id}"
        spaces = [f.space(sid) for sid in link.spaces if f.has_space(sid)]
        linked.update(s.id for s in spaces)
        for s in spaces:
            if s.kind is not kind:
                out.append(_err(el, f"space {s.id} is of kind {s.kind.value!r}; expected {kind.value!r}"))
            if s.level not in levels:
                out.append(_err(el, f"space {s.id} is on level {s.level!r}, which does not exist"))
        for level, n in Counter(s.level for s in spaces).items():
            if n > 1:
                out.append(_err(el, f"has {n} spaces on level {level!r}; expected one space per level"))
        elev = [levels[s.level].elevation for s in spaces if s.level in levels]
        if any(b <= a for a, b in itertools.pairwise(elev)):
            out.append(_warn(el, "spaces are not listed bottom to top (by level elevation)"))
        if isinstance(link, Stair) and link.width < MIN_STAIR_WIDTH:
            out.append(_warn(el, f"is {link.width:g} m wide, narrower than {MIN_STAIR_WIDTH} m: "
                                 "too narrow for an escape stair"))
        if isinstance(link, Lift):
            out += _lift_car(el, link)
    for s in f.spaces:
        if s.kind in (SpaceKind.STAIR, SpaceKind.LIFT) and s.id not in linked:
            out.append(_warn(f"space {s.id}", f"is a {s.kind.value} space but no {s.kind.value} lists it, "
                                              "so it leads to no other level"))
    return out


def _lift_car(el: str, lift: Lift) -> list[Issue]:
    out = []
    if lift.bed_lift and (lift.car_width < BED_LIFT_CAR[0] or lift.car_depth < BED_LIFT_CAR[1]):
        out.append(_warn(el, f"is a bed lift but its car is {lift.car_width:g} x {lift.car_depth:g} m, "
                             f"smaller than the {BED_LIFT_CAR[0]} x {BED_LIFT_CAR[1]} m a bed and "
                             "attendants need (HTM 08-02)"))
    if lift.bed_lift and lift.door_width < BED.min_door_width:
        out.append(_warn(el, f"is a bed lift but its {lift.door_width:g} m door is narrower than the "
                             f"{BED.min_door_width} m a bed needs, so routing never takes beds on it"))
    if lift.door_width > lift.car_width:
        out.append(_warn(el, f"door ({lift.door_width:g} m) is wider than the car ({lift.car_width:g} m)"))
    return out


# -- people and smoke --------------------------------------------------------------------------
def _reachability(f: Facility) -> list[Issue]:
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


def _bed_room(f: Facility) -> list[Issue]:
    """Spaces whose beds cannot be there: a bed does not fit, or the beds cover more than the floor."""
    length, width = 2 * (BED.radius + BED.extra), 2 * BED.radius
    out = []
    for s in f.spaces:
        if s.beds <= 0 or not _valid(s):
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


def _compartment_sizes(f: Facility) -> list[Issue]:
    out = []
    for cid, ids in f.compartments.items():
        area = sum(f.space(sid).area for sid in ids if f.has_space(sid) and _valid(f.space(sid)))
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


def _lone_compartments(f: Facility) -> list[Issue]:
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


def _horizontal_evacuation(f: Facility) -> list[Issue]:
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


def _dead_end_refuges(f: Facility) -> list[Issue]:
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
