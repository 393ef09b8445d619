"""Assembly: plan regions and openings become spaces, doors and exits.

A region is a corridor or a room by its shape (:func:`make_spaces`); each
opening joins the spaces on its two sides (:func:`connect_openings`), sits
on the wall they share and is no wider than it; an opening with a space on
one side only is an exit candidate (judged by :mod:`lidar.exits`).  Spaces
no door reaches are left out with a warning (:func:`keep_reachable`), and a
scan with no way out gets one provisional exit, flagged
(:func:`provisional_exit`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.ops import nearest_points

from facility.model import Door, Exit, Space, SpaceKind
from lidar.doors import Opening
from lidar.grid import Grid
from lidar.options import ExtractOptions
from lidar.polygons import shared_wall_length as _wall_length
from lidar.report import ExtractionReport

__all__ = ["PROVISIONAL_EXIT_WIDTH", "connect_openings", "ground_outside", "keep_reachable", "make_spaces",
           "passages_as_corridors", "provisional_exit", "side_label", "uncertain_kinds", "undo_leaks"]


def make_spaces(lid: str, polys: dict[int, Polygon], widths: np.ndarray, opt: ExtractOptions
            ) -> tuple[list[Space], dict[int, Space]]:
    out: list[Space] = []
    by_label: dict[int, Space] = {}
    counts = {SpaceKind.CORRIDOR: 0, SpaceKind.ROOM: 0}
    for k in sorted(polys):
        p = polys[k]
        w = float(widths[k]) if k < len(widths) else 0.0
        elong = p.area / (w * w) if w > 0 else 0.0
        corridor = elong >= opt.corridor_min_elongation and 0 < w <= opt.corridor_max_width
        kind = SpaceKind.CORRIDOR if corridor else SpaceKind.ROOM
        counts[kind] += 1
        sid = f"{lid}-{'C' if corridor else 'R'}{counts[kind]:02d}"
        s = Space(id=sid, level=lid, kind=kind, polygon=p, use="corridor" if corridor else None,
                  name=f"{'corridor' if corridor else 'room'} {counts[kind]} ({lid})")
        out.append(s)
        by_label[k] = s
    return out, by_label


#: A passage (a short corridor) is at most this wide (m, short side of its
#: outline's minimum rectangle): hospital corridors for patient movement are
#: 8 ft (2.44 m) clear (NFPA 101, 18.2.3.4), a clinic's narrower; a room this
#: narrow with doors into several others is a way through.
PASSAGE_MAX_WIDTH = 2.5
#: ... and at least this many times as long as wide.
PASSAGE_MIN_ELONGATION = 2.5
#: ... and joins at least this many other spaces, of which at least
#: :data:`PASSAGE_MIN_SERVED` have no other door (rooms reached only through it).
PASSAGE_MIN_DOORS = 3
PASSAGE_MIN_SERVED = 2


def passages_as_corridors(lid: str, spaces: list[Space], doors: list[Door], exits: list[Exit]
                          ) -> tuple[list[Space], list[Door], list[Exit], list[str]]:
    """Rooms that are short corridors by what they connect, turned into corridors.

    The shape rule of :func:`make_spaces` (area / width^2 at least
    ``corridor_min_elongation``) misses a short corridor: a small clinic's
    6 x 2 m corridor (3 times as long as wide) with five rooms off it and the
    exit at its end was a room.  A room is taken for a corridor when it is
    narrow (:data:`PASSAGE_MAX_WIDTH`), elongated
    (:data:`PASSAGE_MIN_ELONGATION`), and serves others: doors to at least
    :data:`PASSAGE_MIN_DOORS` spaces, :data:`PASSAGE_MIN_SERVED` of them
    reached through it alone.

    Returns:
        Spaces, doors and exits with the passages renamed ``{lid}-Cnn``
        (numbered after the corridors already found), and one note per passage.
    """
    count: dict[str, int] = {}
    for d in doors:
        for sid in d.spaces:
            count[sid] = count.get(sid, 0) + 1
    rename: dict[str, str] = {}
    notes: list[str] = []
    n_corr = sum(s.kind is SpaceKind.CORRIDOR for s in spaces)
    out: list[Space] = []
    for s in spaces:
        if s.kind is SpaceKind.ROOM:
            short, long_ = _rect_sides(s.polygon)
            peers = [d.spaces[1] if d.spaces[0] == s.id else d.spaces[0] for d in doors if s.id in d.spaces]
            served = sum(count.get(p, 0) == 1 for p in set(peers))
            if (0 < short <= PASSAGE_MAX_WIDTH and long_ >= PASSAGE_MIN_ELONGATION * short
                    and len(set(peers)) >= PASSAGE_MIN_DOORS and served >= PASSAGE_MIN_SERVED):
                n_corr += 1
                sid = f"{lid}-C{n_corr:02d}"
                rename[s.id] = sid
                notes.append(f"{sid} ({long_:.1f} x {short:.1f} m, doors to {len(set(peers))} spaces, "
                             f"{served} reached only through it) is a corridor by what it connects, "
                             "though short")
                out.append(replace(s, id=sid, kind=SpaceKind.CORRIDOR, use="corridor",
                                   name=f"corridor {n_corr} ({lid})"))
                continue
        out.append(s)
    if not rename:
        return spaces, doors, exits, notes
    doors = [replace(d, spaces=(rename.get(d.spaces[0], d.spaces[0]), rename.get(d.spaces[1], d.spaces[1])))
             for d in doors]
    exits = [replace(e, space=rename.get(e.space, e.space)) for e in exits]
    return out, doors, exits, notes


def _rect_sides(p: Polygon) -> tuple[float, float]:
    """Short and long side (m) of the outline's minimum rotated rectangle."""
    c = np.asarray(p.minimum_rotated_rectangle.exterior.coords)
    a, b = sorted((float(np.hypot(*(c[1] - c[0]))), float(np.hypot(*(c[2] - c[1])))))
    return a, b


def side_label(grid: Grid, labels: np.ndarray, o: Opening, sign: float, avoid: int = 0) -> int:
    """The region on one side of an opening (0 if none): the first label met beyond its wall.

    With ``avoid`` (the other side's label), a region that leaked a few
    decimetres through the opening is passed over, up to 1.2 m out.
    """
    c, nrm = np.asarray(o.centre), np.asarray(o.normal) * sign
    # Start beyond the far face of a wall even when only one face was seen.
    start = max(o.depth / 2, 0.1) + 0.15
    for off in np.arange(start, start + (1.2 if avoid else 0.7), 0.1):
        v = int(grid.lookup(labels, (c + nrm * off)[None, :])[0])
        if v and v != avoid:
            return v
    return 0


def undo_leaks(grid: Grid, labels: np.ndarray, openings: list[Opening], max_width: float) -> np.ndarray:
    """Give back the cells a region grew through a door into the space beyond it.

    Growing from seeds can carry one room's label a few decimetres through
    its doorway; the two spaces then share only a sliver of wall and the door
    cannot be placed.  Within 1.2 m beyond an opening, cells carrying the near
    side's label, where the far side's own region lies further out, go to it.
    """
    out = labels.copy()
    c = grid.cell
    for o in openings:
        if o.width > max_width:
            continue
        near = side_label(grid, out, o, 1.0)
        if not near or near != side_label(grid, out, o, -1.0):
            continue
        u, n = np.asarray(o.direction), np.asarray(o.normal)
        for sgn in (1.0, -1.0):
            far = side_label(grid, out, o, sgn, avoid=near)
            if not far:
                continue
            s = np.arange(-o.width / 2 - 0.05, o.width / 2 + 0.05 + 1e-9, c / 2)
            t = np.arange(max(o.depth / 2, 0.1), max(o.depth / 2, 0.1) + 1.2, c / 2)
            xy = (np.asarray(o.centre) + s[:, None, None] * u + sgn * t[None, :, None] * n).reshape(-1, 2)
            i, j = grid.cells(xy)
            leak = out[i, j] == near
            out[i[leak], j[leak]] = far
    return out


def connect_openings(lid: str, openings: list[Opening], grid: Grid, labels: np.ndarray, raw: np.ndarray, *,
             by_label: dict[int, Space], opt: ExtractOptions, report: ExtractionReport
             ) -> tuple[list[Door], list[Exit]]:
    doors: list[Door] = []
    exits: list[Exit] = []
    seen: dict[tuple[str, ...], list[tuple[float, float]]] = {}
    for o in openings:
        a, b = side_label(grid, labels, o, 1.0), side_label(grid, labels, o, -1.0)
        if a and a == b:
            # One region leaked through the opening: look past the leak on each side.
            past = side_label(grid, labels, o, 1.0, avoid=a), side_label(grid, labels, o, -1.0, avoid=a)
            a, b = past[0] or a, past[1] or b
        # A side with no floor seen may still be a space (a room glimpsed
        # through its door): then the opening is a door, not an exit.
        ra, rb = side_label(grid, raw, o, 1.0), side_label(grid, raw, o, -1.0)
        a = a or (ra if ra != b else 0)
        b = b or (rb if rb != a else 0)
        sa, sb = by_label.get(a), by_label.get(b)
        where = f"opening at ({o.centre[0]:.2f}, {o.centre[1]:.2f}) on level {lid}"
        if o.width < opt.door_min_width:
            report.warn(f"{where}: {o.width:.2f} m wide, narrower than {opt.door_min_width} m; dropped")
            continue
        if sa is not None and sb is not None and o.width > opt.door_max_width:
            continue  # too wide for a door between two spaces: a beam over open floor
        if sa is not None and sb is not None and sa.id == sb.id:
            continue  # an opening inside one space (a beam, a partial partition)
        if sa is None and sb is None:
            continue
        if sa is None or sb is None:
            s = sa or sb
            assert s is not None
            at = nearest_points(s.polygon.exterior, Point(o.centre))[0]
            if at.distance(Point(o.centre)) > 0.6:
                continue
            if any(t.id != s.id and t.polygon.distance(at) < 0.1 for t in by_label.values()):
                report.warn(f"{where}: leads from {s.id} to unscanned space but lies on another space's "
                            "wall; not made an exit")
                continue
            key: tuple[str, ...] = (s.id,)
            if any(Point(p).distance(at) < 0.5 for p in seen.get(key, [])):
                continue
            seen.setdefault(key, []).append((at.x, at.y))
            exits.append(Exit(id=f"{lid}-X{len(exits) + 1:02d}", space=s.id,
                              at=(round(at.x, 3), round(at.y, 3)), width=round(o.width, 3)))
            continue
        shared = shapely.intersection(sa.polygon.boundary, sb.polygon.boundary.buffer(0.02))
        if shared.is_empty:
            report.warn(f"{where}: spaces {sa.id} and {sb.id} do not share a wall; door dropped")
            continue
        at = nearest_points(shared, Point(o.centre))[0]
        # Snap onto a's boundary exactly (the shared part was found with a tolerance).
        at = nearest_points(sa.polygon.boundary, at)[0]
        wall_len = _wall_length(sa.polygon, sb.polygon, (at.x, at.y))
        width = o.width
        if wall_len < width:
            # Simplified outlines can share less wall than the opening is wide.
            if wall_len < opt.door_min_width:
                report.warn(f"{where}: {sa.id} and {sb.id} share only {wall_len:.2f} m of wall; door dropped")
                continue
            report.warn(f"{where}: door width {width:.2f} m cut to the {wall_len:.2f} m of wall "
                        f"{sa.id} and {sb.id} share")
            width = wall_len - 1e-3
        if at.distance(Point(o.centre)) > 0.6:
            report.warn(f"{where}: no wall between {sa.id} and {sb.id} near the opening; door dropped")
            continue
        key = tuple(sorted((sa.id, sb.id)))
        if any(Point(p).distance(at) < 0.5 for p in seen.get(key, [])):
            continue
        seen.setdefault(key, []).append((at.x, at.y))
        doors.append(Door(id=f"{lid}-D{len(doors) + 1:02d}", spaces=(sa.id, sb.id),
                          at=(round(at.x, 3), round(at.y, 3)), width=math.floor(width * 1000) / 1000))
    return doors, exits


#: Width (m) of the stand-in exit added when a scan shows no way out.
PROVISIONAL_EXIT_WIDTH = 0.9


def provisional_exit(spaces: list[Space]) -> Exit | None:
    """A stand-in exit in the middle of the longest outer wall of the largest corridor (or space)."""
    if not spaces:
        return None
    corridors = [s for s in spaces if s.kind is SpaceKind.CORRIDOR]
    host = max(corridors or spaces, key=lambda s: s.area)
    level = [s.polygon for s in spaces if s.level == host.level]
    others = [s.polygon.boundary for s in spaces if s.id != host.id and s.level == host.level]
    outline = shapely.union_all(level).buffer(0.01)
    outer = host.polygon.exterior.intersection(
        shapely.union_all([g.exterior for g in getattr(outline, "geoms", [outline])]).buffer(0.05))
    if others:
        outer = outer.difference(shapely.union_all(others).buffer(0.1))
    # Straight pieces first: the middle of an outer run that turns a corner can
    # lie near the corner, with the opening running past the end of its wall.
    # An outline with no straight stretch long enough (the cell staircase of a
    # coarse occupancy map) falls back on its longest outer run.
    zone = outer.buffer(0.01)
    ring = np.asarray(host.polygon.exterior.simplify(0.02).coords)
    straight = [g for a, b in itertools.pairwise(ring)
                for g in _pieces(shapely.LineString([a, b]).intersection(zone))
                if g.length >= PROVISIONAL_EXIT_WIDTH + 0.2]
    merged = shapely.line_merge(outer) if not outer.is_empty else outer
    parts = straight or [g for g in _pieces(merged) if g.length >= PROVISIONAL_EXIT_WIDTH + 0.2]
    if not parts:
        return None
    seg = max(parts, key=lambda g: g.length)
    at = seg.interpolate(0.5, normalized=True)
    return Exit(id=f"{host.level}-X00", space=host.id, at=(round(at.x, 3), round(at.y, 3)),
                width=PROVISIONAL_EXIT_WIDTH)


def _pieces(g: shapely.Geometry) -> list[shapely.LineString]:
    """The line pieces of a geometry (an intersection of a segment with a zone)."""
    return [x for x in getattr(g, "geoms", [g]) if isinstance(x, shapely.LineString) and not x.is_empty]


def keep_reachable(lid: str, spaces: list[Space], doors: list[Door], exits: list[Exit],
                      report: ExtractionReport) -> list[Space]:
    """Keep the level's main connected part; spaces no door reaches are dropped with a warning.

    A space nobody can walk into would be an error in every simulation; the
    warning names it and its area so it can be added back by hand with a door.
    """
    if not spaces:
        return spaces
    g = nx.Graph()
    g.add_nodes_from(s.id for s in spaces)
    g.add_edges_from(d.spaces for d in doors)
    area = {s.id: s.area for s in spaces}
    comps = sorted(nx.connected_components(g), key=lambda c: (-sum(area[x] for x in c), sorted(c)))
    main = comps[0]
    kept = [s for s in spaces if s.id in main]
    for s in spaces:
        if s.id not in main:
            c = s.polygon.centroid
            report.warn(f"space {s.id} ({s.area:.1f} m^2 around ({c.x:.1f}, {c.y:.1f})) on level {lid}: "
                        "no door to the rest of the level was found, so it was left out; "
                        f"{_shut_door_hint(s, kept)}check the scan or add it with a door in the facility "
                        "file")
    return kept


#: Two spaces share a wall where their outlines run within this distance (m):
#: the outlines of neighbours meet on the wall's centre line, give or take a cell.
SHARED_WALL_TOLERANCE = 0.2


def _shut_door_hint(s: Space, kept: list[Space]) -> str:
    """Where a door shut flush with the wall probably is: the space's longest wall with a corridor
    (else with any space kept), named with its ends, for the user to look at.

    A leaf shut flush with both faces of its wall (or recessed only on a side
    nobody scanned) leaves no gap, recess or step a plan grid can see, so it
    cannot be found from the geometry; the room behind it is then doorless,
    and the wall it shares with a corridor is where its door usually is.
    """
    best: tuple[bool, float, Space, shapely.Geometry] | None = None
    for t in kept:
        shared = s.polygon.boundary.intersection(t.polygon.buffer(SHARED_WALL_TOLERANCE))
        if shared.length < 0.6:
            continue
        key = (t.kind is SpaceKind.CORRIDOR, float(shared.length), t, shared)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return ""
    _, _, t, shared = best
    # The longest straight run: the shared stretch also picks up the wall ends round the corners.
    wall = max(shapely.get_parts(shapely.line_merge(shared)), key=lambda g: g.length)
    pts = shapely.get_coordinates(wall)
    ends = pts[[0, -1]]
    if len(pts) > 2:
        _, vecs = np.linalg.eigh(np.cov((pts - pts.mean(axis=0)).T))
        along = pts @ vecs[:, 1]
        ends = pts[[int(np.argmin(along)), int(np.argmax(along))]]
    length = float(np.hypot(*(ends[1] - ends[0])))
    (x0, y0), (x1, y1) = sorted(map(tuple, ends))
    return (f"a door shut flush with the wall leaves no trace in the plan and is likely in its {length:.1f} "
            f"m wall with {t.id} ({t.kind.value}) from ({x0:.2f}, {y0:.2f}) to ({x1:.2f}, {y1:.2f}); ")


#: A doorless region never looked into that lies along the scan's outline for
#: at least this length (m) is ground outside the building, not a room.
OUTSIDE_OPEN_LENGTH = 1.0


#: ... and is smaller than this share of the spaces seen inside.
OUTSIDE_MAX_SHARE = 0.5


def ground_outside(spaces: list[Space], doors: list[Door], exits: list[Exit], *, blind: frozenset[str],
                   hull: Polygon, tolerance: float) -> list[tuple[str, float]]:
    """Regions the storey's outline took in that are ground outside the walls.

    The storey is the convex hull of everything seen, so beside the notch of
    an L-shaped building (a small clinic with rooms on one side of its
    corridor's end) the hull takes in ground outside.  Such a region has no
    door, no floor or ceiling seen inside (``blind``; a scanner indoors
    sees neither out there) and lies along the hull's edge.  A closed shaft
    on the facade looks the same from inside, so the caller keeps these
    regions among the spaces left out (the core finder reads them) and only
    says what they are taken for.

    Args:
        spaces: The storey's spaces.
        doors: Its doors; exits: its exits (a space with either is not outside).
        blind: Ids of spaces with floor or ceiling seen on almost none of their cells.
        hull: The storey's outline (everything seen, convex).
        tolerance: How near the hull's edge (m) a space's outline counts as on it.

    Returns:
        ``(space id, length along the hull's edge in m)`` of each such region.
    """
    linked = {sid for d in doors for sid in d.spaces} | {e.space for e in exits}
    edge = hull.boundary.buffer(tolerance)
    # Beside what was seen, not instead of it: a scan whose floor and ceiling
    # were hardly seen at all (a furnished office's) is still a building.
    seen = sum(s.area for s in spaces if s.id not in blind)
    out: list[tuple[str, float]] = []
    for s in spaces:
        if s.id in linked or s.id not in blind or s.area > OUTSIDE_MAX_SHARE * seen:
            continue
        along = float(s.polygon.boundary.intersection(edge).length)
        if along >= OUTSIDE_OPEN_LENGTH:
            out.append((s.id, along))
    return out


#: Elongations (long / short side of the outline's minimum rectangle) within
#: this band around the corridor threshold are a close call.
CLOSE_CALL = (3.5, 7.0)


def uncertain_kinds(spaces: list[Space], doors: list[Door], opt: ExtractOptions) -> list[str]:
    """Spaces whose corridor-or-room call is uncertain, each with the reason.

    The rule (:func:`make_spaces`): a corridor is long and narrow, area /
    width^2 >= ``corridor_min_elongation`` and width <= ``corridor_max_width``.
    A call is uncertain when the shape is near the threshold (elongation of
    the outline's minimum rectangle in :data:`CLOSE_CALL`, narrow enough), when
    a room joins three or more other spaces (it connects others, as a
    corridor does: a hall, a lobby, an open-plan ward), or when a corridor has
    a door at one end only and none along it (a long room or a dead end).
    """
    count: dict[str, int] = {}
    for d in doors:
        for sid in d.spaces:
            count[sid] = count.get(sid, 0) + 1
    out: list[str] = []
    for s in spaces:
        if s.kind not in (SpaceKind.ROOM, SpaceKind.CORRIDOR):
            continue
        c = np.asarray(s.polygon.minimum_rotated_rectangle.exterior.coords)
        a, b = sorted((float(np.hypot(*(c[1] - c[0]))), float(np.hypot(*(c[2] - c[1])))))
        elong = b / a if a > 0 else 0.0
        n = count.get(s.id, 0)
        corridor = s.kind is SpaceKind.CORRIDOR
        why = None
        if CLOSE_CALL[0] <= elong <= CLOSE_CALL[1] and a <= opt.corridor_max_width:
            why = f"{elong:.1f} times as long as wide, near the corridor threshold"
        elif not corridor and n >= 3:
            why = f"a room joining {n} other spaces, as a corridor or hall does"
        elif corridor and n <= 1:
            why = "a corridor with a single door (a long room or a dead end?)"
        if why:
            out.append(f"{s.id} ({'corridor' if corridor else 'room'}, {s.area:.0f} m^2): {why}")
    return out
