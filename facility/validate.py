"""Is this building consistent, and can everyone get out? Cross-element checks.

A facility file can match its schema and still describe an impossible or
dangerous building: a door floating in the middle of a room, two rooms on top
of each other, a ward with no way out.  :func:`validate` finds every such
problem at once and names the element (``door D-3``, ``space ED-01``) so a
planner can fix a hand-written file in one pass.

Errors make :func:`facility.load` refuse the facility; warnings are advice a
safety officer should read.  The rules and their sources:

* ids unique per element type, also after Unicode normalisation
  (:mod:`facility.ids`); references (levels, spaces, assembly points)
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
* whether everyone can get out: reachability of final exits (for staff, and for
  beds), room for the beds, smoke compartments and refuges that lead on, as listed
  in :mod:`facility.egress_checks`. They need sound references and polygons, so
  the reachability and refuge checks run only when those are free of errors.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import shapely
import shapely.errors
from shapely.geometry import LineString, Point, Polygon
from shapely.strtree import STRtree
from shapely.validation import explain_validity

from facility.egress_checks import (
    MAX_BARRIER_TRAVEL,
    MAX_COMPARTMENT_AREA,
    MAX_TYPO_DISTANCE,
    bed_room,
    compartment_sizes,
    dead_end_refuges,
    horizontal_evacuation,
    lone_compartments,
    reachability,
    refuges_without_exit,
)
from facility.errors import FacilityValidationError, Issue
from facility.geometry import BOUNDARY_TOLERANCE, nearest_edge_direction, shared_wall, sound_polygon
from facility.ids import differs_only_in_form as _form_hint
from facility.ids import forms, id_issues
from facility.model import Door, Facility, Lift, Space, SpaceKind, Stair
from facility.routing import BED
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
#: Smallest bed-lift car (width, depth) in m: HTM 08-02.
BED_LIFT_CAR = (1.8, 2.7)



#: Issue constructors, short for the many messages below.
_err, _warn = Issue.error, Issue.warning


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
    issues += id_issues(facility)
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
        issues += compartment_sizes(facility)
        issues += lone_compartments(facility)
        if sound and facility.exits:
            issues += reachability(facility)
            issues += horizontal_evacuation(facility)
            issues += dead_end_refuges(facility)
        issues += bed_room(facility)
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


def _references(f: Facility) -> list[Issue]:
    out = []
    levels = {lv.id for lv in f.levels}
    points = {a.id for a in f.assembly_points}
    spaces, lv_forms, point_forms = forms(s.id for s in f.spaces), forms(levels), forms(points)
    for s in f.spaces:
        if s.level not in levels:
            out.append(_err(f"space {s.id}", f"level {s.level!r} does not exist"
                                             f"{_form_hint(s.level, lv_forms)} (levels: {_names(levels)})"))
    for d in f.doors:
        for sid in d.spaces:
            if not f.has_space(sid):
                out.append(_err(f"door {d.id}", f"joins space {sid!r}, which does not exist"
                                                f"{_form_hint(sid, spaces)}"))
    for e in f.exits:
        if not f.has_space(e.space):
            out.append(_err(f"exit {e.id}", f"leads out of space {e.space!r}, which does not exist"
                                            f"{_form_hint(e.space, spaces)}"))
        if e.assembly_point is not None and e.assembly_point not in points:
            out.append(_err(f"exit {e.id}", f"assembly point {e.assembly_point!r} does not exist"
                                            f"{_form_hint(e.assembly_point, point_forms)}"))
    links: list[Stair | Lift] = [*f.stairs, *f.lifts]
    for link in links:
        what = "stair" if isinstance(link, Stair) else "lift"
        for sid in link.spaces:
            if not f.has_space(sid):
                out.append(_err(f"{what} {link.id}", f"space {sid!r} does not exist"
                                                     f"{_form_hint(sid, spaces)}"))
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


def _overlaps(f: Facility) -> list[Issue]:
    out = []
    for lv in f.levels:
        spaces = [s for s in f.spaces_on(lv.id) if sound_polygon(s.polygon)]
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
        if not (sound_polygon(a.polygon) and sound_polygon(b.polygon)):
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
        if not f.has_space(e.space) or not sound_polygon(f.space(e.space).polygon):
            continue
        s, p = f.space(e.space), Point(e.at)
        dist = p.distance(s.polygon.boundary)
        if dist > BOUNDARY_TOLERANCE:
            out.append(_err(el, f"at {_fmt(e.at)} is {dist:.3g} m from the boundary of space {s.id}; "
                                "an exit must sit in the space's external wall"))
            continue
        inside = [o for o in f.spaces_on(s.level)
                  if o.id != s.id and o.kind is not SpaceKind.OUTSIDE and sound_polygon(o.polygon)]
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
    # Only the spaces within the tolerance of this one can share its walls: buffering and merging
    # the walls of every space of the level took 16 s per exit on a level of 10,000 rooms.
    near = shapely.dwithin([o.polygon for o in inside], s.polygon, BOUNDARY_TOLERANCE) if inside else []
    walls = [o.polygon.boundary.buffer(BOUNDARY_TOLERANCE) for o, close in zip(inside, near, strict=True)
             if close]
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
