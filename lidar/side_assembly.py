"""Replace an unexplained corridor side by rooms cut between its partition walls.

Region growing (:mod:`lidar.rooms`) needs the floor of a room to be seen; on
a floor scanned from its corridor, most rooms were glimpsed only through
their doors, and the regions there are merged or have no door found, so they
are left out.  When the area left out on one long side of the main corridor
reaches ``side_min_dropped_area``, that side is re-read from its walls
(:func:`lidar.sides.side_rooms`): the primary spaces on that side are
replaced by one room per stretch between partition walls, joined to the
corridor by the gaps in the corridor wall.  The replacement is made only if
it joins more rooms to the corridor than the primary segmentation did, and
every room it adds is listed in the report (``side_rooms``) and in a warning,
so synthetic and well-observed scans are untouched and the planner knows
which outlines came from the walls alone.
"""

from __future__ import annotations

import re
from dataclasses import replace

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.ops import nearest_points

from facility.geometry import nearest_edge_direction
from facility.model import Door, Space, SpaceKind
from lidar.doors import dominant_angle
from lidar.grid import Grid
from lidar.options import ExtractOptions
from lidar.polygons import shared_wall_span
from lidar.report import ExtractionReport
from lidar.sides import Frame, SideRoom, corridor_frame, side_rooms

__all__ = ["main_component", "rooms_from_corridor_sides"]


def main_component(spaces: list[Space], doors: list[Door]) -> set[str]:
    """Ids of the spaces in the largest (by area) set joined by doors."""
    g = nx.Graph()
    g.add_nodes_from(s.id for s in spaces)
    g.add_edges_from(d.spaces for d in doors)
    area = {s.id: s.area for s in spaces}
    comps = sorted(nx.connected_components(g), key=lambda c: (-sum(area[x] for x in c), sorted(c)))
    return set(comps[0]) if comps else set()


def rooms_from_corridor_sides(lid: str, spaces: list[Space], doors: list[Door], *, grid: Grid,
                              wall: np.ndarray, band_points: np.ndarray, opt: ExtractOptions,
                              lattice: float, report: ExtractionReport, blind: frozenset[str] = frozenset(),
                              angle: float | None = None) -> tuple[list[Space], list[Door]]:
    """Spaces and doors of a storey with unexplained corridor sides re-read from their walls.

    Args:
        lid: Level id.
        spaces: The storey's spaces from the primary segmentation (reachable or not).
        doors: Their doors.
        grid: The plan grid of ``wall``.
        wall: Wall-band occupancy per cell.
        band_points: Plan coordinates of the wall-band points.
        opt: Pipeline options (``side_*`` fields).
        lattice: Voxel pitch of an occupancy map, 0 for scans.
        report: Receives the ids of the rooms added (``side_rooms``) and a warning.
        blind: Ids of spaces the scanner never saw into (no floor or ceiling
            inside: lift shafts, rooms behind shut doors).  They do not count
            as unexplained: their walls would not show their doors either.
        angle: Direction (radians) of the walls the corridor follows; ``None``:
            the direction most walls follow.

    Returns:
        ``(spaces, doors)``, unchanged when no side qualifies.
    """
    main = main_component(spaces, doors)
    corridors = [s for s in spaces if s.kind is SpaceKind.CORRIDOR and s.id in main]
    if not opt.side_rooms or not corridors:
        return spaces, doors
    cor = max(corridors, key=lambda s: s.area)
    frame = corridor_frame(cor.polygon, dominant_angle(wall) if angle is None else angle)
    changed = False
    for side in (1, -1):
        old = [s for s in spaces if s.id != cor.id and _on_side(s, frame, side)]
        lost = sum(s.area for s in old if s.id not in main and s.id not in blind)
        if lost < opt.side_min_dropped_area:
            continue
        rooms = side_rooms(grid, wall, band_points, frame, side, opt=opt, lattice=lattice)
        old_ids = {s.id for s in old}
        rest = [s for s in spaces if s.id not in old_ids]
        taken = shapely.union_all([s.polygon for s in rest if s.id in main]) if rest else Polygon()
        number = _next_room_number(spaces)
        new_spaces: list[Space] = []
        new_doors: list[Door] = []
        for r in rooms:
            made = _room(lid, r, cor, taken, number=number + len(new_spaces), opt=opt)
            if made is None:
                continue
            space, room_doors = made
            new_spaces.append(space)
            new_doors += room_doors
            taken = shapely.union_all([taken, space.polygon])
        joined_before = sum(1 for s in old if s.id in main)
        if len(new_spaces) <= joined_before:
            continue
        spaces = rest + new_spaces
        doors = [d for d in doors if not set(d.spaces) & old_ids] + new_doors
        main = (main - old_ids) | {s.id for s in new_spaces}
        report.side_rooms += [s.id for s in new_spaces]
        ids = ", ".join(s.id for s in new_spaces)
        report.warn(f"level {lid}: {len(old)} spaces on one side of corridor {cor.id} ({lost:.0f} m^2 of "
                    f"them with no door found) were replaced by {len(new_spaces)} rooms cut between the "
                    f"partition walls meeting the corridor wall ({ids}); their far walls and doors come "
                    "from the walls alone: check them against the plan")
        changed = True
    if changed:
        doors = [replace(d, id=f"{lid}-D{k + 1:02d}") for k, d in enumerate(doors)]
    return spaces, doors


def _on_side(s: Space, frame: Frame, side: int) -> bool:
    c = np.asarray([[s.polygon.centroid.x, s.polygon.centroid.y]])
    along, across = frame.local(c)
    lo, hi = frame.s_range
    return bool(across[0] * side > frame.half_width * 0.5 and lo - 1.0 <= along[0] <= hi + 1.0)


def _next_room_number(spaces: list[Space]) -> int:
    nums = [int(m.group(1)) for s in spaces if (m := re.search(r"-R(\d+)$", s.id))]
    return max(nums, default=0) + 1


def _room(lid: str, r: SideRoom, cor: Space, taken: shapely.Geometry, *, number: int, opt: ExtractOptions
          ) -> tuple[Space, list[Door]] | None:
    """The space of a side room (with the corridor and other spaces cut out) and its doors, if any."""
    if not r.doors:
        return None
    cut = r.polygon.difference(taken) if not taken.is_empty else r.polygon
    parts = [g for g in getattr(cut, "geoms", [cut]) if isinstance(g, Polygon) and not g.is_empty]
    if not parts:
        return None
    poly = max(parts, key=lambda g: g.area)
    if poly.area < opt.min_room_area:
        return None
    poly = shapely.set_precision(poly, 1e-4)
    if not isinstance(poly, Polygon) or not poly.is_valid or poly.is_empty:
        return None
    sid = f"{lid}-R{number:02d}"
    space = Space(id=sid, level=lid, kind=SpaceKind.ROOM, polygon=poly, use=None,
                  name=f"room {number} ({lid})")
    shared = shapely.intersection(poly.boundary, cor.polygon.boundary.buffer(0.02))
    if shared.is_empty:
        return None
    doors: list[Door] = []
    for (x, y), width in r.doors:
        at = nearest_points(shared, Point(x, y))[0]
        at = nearest_points(poly.boundary, at)[0]
        if at.distance(Point(x, y)) > 0.6:
            continue
        if any(Point(d.at).distance(at) < 0.5 for d in doors):
            continue
        lo, hi = shared_wall_span(poly, cor.polygon, (at.x, at.y))
        w = min(width, hi - lo - 2e-3)
        if w < opt.side_door_min_width:
            continue
        # Slide the door along the wall so the whole opening lies on it.
        shift = min(max(0.0, lo + w / 2 + 1e-3), hi - w / 2 - 1e-3)
        u = np.asarray(nearest_edge_direction(poly, (at.x, at.y)))
        at = nearest_points(poly.boundary, Point(np.asarray([at.x, at.y]) + shift * u))[0]
        doors.append(Door(id=f"{sid}-door{len(doors) + 1}", spaces=(cor.id, sid),
                          at=(round(at.x, 3), round(at.y, 3)), width=float(np.floor(w * 1000 + 1e-6) / 1000)))
    return (space, doors) if doors else None
