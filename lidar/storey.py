"""One storey of a scan to its spaces, doors and exits, in the storey's own frame.

Per storey: the plan grid of wall-band and lintel-band fill
(:mod:`lidar.grid`); door openings (:mod:`lidar.doors` and the shut-door
finders); room segmentation closed at doors (:mod:`lidar.rooms`); outlines
simplified as one coverage (:mod:`lidar.polygons`); and assembly: corridor or
room by shape, doors joined to the two spaces they open into, spaces no door
reaches left out with a warning, and exits judged on what lies beyond them
(:mod:`lidar.exits`).  A storey whose walls run at an angle to the scan axes
is extracted in the walls' frame and turned back; one with wings at other
angles is extracted once per wing and joined at the seams (:mod:`lidar.wings`).
:func:`lidar.extract.extract` runs this for every storey and links them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from scipy import ndimage
from shapely.geometry import Polygon

from facility.model import Space
from lidar.assembly import (
    connect_openings,
    ground_outside,
    keep_reachable,
    make_spaces,
    passages_as_corridors,
    uncertain_kinds,
    undo_leaks,
)
from lidar.closed_doors import detect_closed_doors
from lidar.cores import StoreySpaces
from lidar.door_frames import detect_framed_doors
from lidar.doors import Opening, detect_openings, rasterize_openings
from lidar.errors import ExtractionError
from lidar.exits import ExitCandidate, Surroundings, judge_exits
from lidar.frame import StoreyFrame, frame_along, wall_map
from lidar.grid import Columns, Grid, close, hull_mask
from lidar.joins import join_corridor, separates
from lidar.levels import Storey
from lidar.options import ExtractOptions
from lidar.polygons import region_polygons
from lidar.report import ExtractionReport, StageTimer
from lidar.rooms import Segmentation, seen_cells, segment_rooms
from lidar.side_assembly import rooms_from_corridor_sides
from lidar.wings import WingPart, carve_unseen, join_wings, wing_regions

__all__ = ["BLIND_SEEN", "FLOOR_SEEN_MIN", "SPARSE_WALL_RATIO", "LevelPlan", "extract_storey",
           "extract_wings", "turned_back"]

#: A space with floor or ceiling seen on fewer than this share of its cells was
#: never looked into (a lift shaft, a room behind a shut door).
BLIND_SEEN = 0.05
#: Share of a storey's plan below which its floor counts as not seen.  A storey scanned from
#: inside shows open floor on most of its plan (64 % of the sample hospital's L1 scanned at
#: 5 cm), and even the real occupancy map in ``../shared/data/fr079``, whose rooms the laser
#: saw mostly through their doors, on 19 %; with its floor cropped away, L1 showed 0.1 %.
FLOOR_SEEN_MIN = 0.05
#: Plan cells with returns in the wall band that fill too little of it to be wall, per cell that
#: is wall, above which the walls were seen only in pieces.  Measured: 0.04-0.19 on synthetic
#: scans at 5 cm, 0.9 on the fr079 occupancy map, 3.0 on the furnished office_room scan; 6.2
#: on the sample hospital's L1 thinned to a tenth (its 38 rooms merged into one), 19 on the
#: synthetic office thinned to a fifth (its 7 spaces merged into one).
SPARSE_WALL_RATIO = 5.0


@dataclass(frozen=True, slots=True)
class LevelPlan:
    """The plan-grid evidence of one storey, kept for previews and diagnosis."""

    level: str
    storey: Storey
    grid: Grid
    wall: np.ndarray
    labels: np.ndarray
    openings: tuple[Opening, ...]
    frame: StoreyFrame = field(default_factory=lambda: StoreyFrame(0.0, (0.0, 0.0)))



def turned_back(frame: StoreyFrame, plan: LevelPlan, ss: StoreySpaces, judged: list[ExitCandidate]
                ) -> tuple[LevelPlan, StoreySpaces, list[ExitCandidate]]:
    """A storey extracted in ``frame`` turned back into the scan frame."""
    if not frame.rotated:
        return plan, ss, judged
    turned = {x.id: frame.space_to_scan(x) for x in [*ss.spaces, *ss.dropped]}
    ss = replace(ss, spaces=[turned[x.id] for x in ss.spaces], dropped=[turned[x.id] for x in ss.dropped],
                 doors=[frame.door_to_scan(x, turned) for x in ss.doors])
    judged = [replace(j, exit=frame.exit_to_scan(j.exit, turned)) for j in judged]
    return replace(plan, frame=frame), ss, judged


def extract_wings(lid: str, st: Storey, pts: np.ndarray, frame: StoreyFrame, *, cell: float, zbin: float,
                  opt: ExtractOptions, report: ExtractionReport, timer: StageTimer, lattice: float,
                  ground: bool) -> tuple[LevelPlan, StoreySpaces, list[ExitCandidate]]:
    """A storey with wings at other angles: extracted once in each wing's frame, joined at the seams.

    The plan kept (for previews) is the main frame's; see :mod:`lidar.wings`.
    """
    def storey_in(wf: StoreyFrame, into: ExtractionReport
                  ) -> tuple[LevelPlan, StoreySpaces, list[ExitCandidate]]:
        return turned_back(wf, *extract_storey(lid, st, wf.to_frame(pts), cell=cell, zbin=zbin, opt=opt,
                                                report=into, timer=timer, lattice=lattice, ground=ground,
                                                wall_angle=0.0))

    found = wall_map(pts, st.floor, opt.wall_band, opt.wall_min_fill, zbin)
    if found is None:
        return storey_in(frame, report)
    grid, wall, centre = found
    frames = [frame, *(frame_along(math.radians(w), centre) for w in frame.wings)]
    regions = wing_regions(grid, wall, [f.angle % (math.pi / 2) for f in frames])
    parts: list[WingPart] = []
    plans: list[LevelPlan] = []
    for wf, region in zip(frames, regions, strict=True):
        if region.is_empty:
            continue
        sub = ExtractionReport(source=report.source)
        plan, ss, judged = storey_in(wf, sub)
        plans.append(plan)
        parts.append(WingPart(wf, region, ss.spaces, ss.dropped, ss.doors, judged, sub.warnings,
                              sub.side_rooms))
    if len(parts) == 1:
        report.warnings += parts[0].warnings
        report.side_rooms += parts[0].side_rooms
        p = parts[0]
        return plans[0], StoreySpaces(lid, st, p.spaces, p.dropped, p.doors), p.judged
    joined = join_wings(lid, parts, min_area=opt.min_room_area)
    for note in joined.notes:
        report.warn(note)
    report.side_rooms += joined.side_rooms
    exits = [j.exit for j in joined.judged]
    carved = carve_unseen(joined.spaces, pts, floor=st.floor, ceiling=st.ceiling)
    spaces = keep_reachable(lid, carved, joined.doors, exits, report)
    kept = {s.id for s in spaces}
    dropped = [s for s in joined.spaces if s.id not in kept] + joined.dropped
    doors = [d for d in joined.doors if set(d.spaces) <= kept]
    judged = [j for j in joined.judged if j.exit.space in kept]
    for s in joined.dropped:
        c = s.polygon.centroid
        report.warn(f"level {lid}: a region of {s.polygon.area:.1f} m^2 around ({c.x:.1f}, {c.y:.1f}) was "
                    "left out: no door to the rest of the level was found; check the scan")
    return plans[0], StoreySpaces(lid, st, spaces, dropped, doors), judged


def extract_storey(lid: str, st: Storey, pts: np.ndarray, *, cell: float, zbin: float, opt: ExtractOptions,
                   report: ExtractionReport, timer: StageTimer, lattice: float, ground: bool,
                   wall_angle: float | None = None) -> tuple[LevelPlan, StoreySpaces, list[ExitCandidate]]:
    """One storey's spaces, doors and judged exits, from its points in the frame they are extracted in.

    Args:
        lid: Level id (for ids and messages).
        st: The storey (floor, ceiling, the height band its points come from).
        pts: The storey's points, turned into the frame its walls run along.
        cell: Plan grid pitch (m).
        zbin: Height bin (m) of the column fill.
        opt: Pipeline parameters.
        report: Warnings and timings are added to it.
        timer: Times each stage (named ``"{lid} grid"``, ``"{lid} doors"``...).
        lattice: Spacing (m) of the points' lattice if they are an occupancy map, else 0.
        ground: Whether this is the ground storey (exits above it need a terrace or bridge).
        wall_angle: The walls' angle to the grid when known (0 in a wing's own frame).

    Returns:
        The plan kept for previews, the spaces found (and those left out), and the exits judged.
    """
    f = st.floor
    with timer.stage(f"{lid} grid", len(pts)):
        grid = Grid.covering(pts[:, :2], cell)
        cols = Columns.of(grid, pts, f - 0.15, st.ceiling + 0.15, zbin)
        band = cols.fill(f + opt.wall_band[0], f + opt.wall_band[1])
        wall = band >= opt.wall_min_fill
        _warn_sparse_walls(lid, band, opt.wall_min_fill, cell, report)
        top = st.ceiling - opt.ceiling_clearance
        if top - (f + opt.lintel_band_start) >= 2 * zbin:
            lintel = cols.fill(f + opt.lintel_band_start, top) >= opt.wall_min_fill
        else:
            lintel = np.zeros(grid.shape, dtype=bool)
            report.warn(f"level {lid}: ceiling {st.height:.2f} m above floor leaves no room for lintels "
                        "above door heads; doors cannot be detected")
        # Floor seen, and nothing standing on it: a wall's foot is not open floor.
        floor_level = cols.fill(f - 0.1, f + 0.1) > 0
        above = cols.fill(f + 0.15, f + 2.0)
        floor = floor_level & (above < 0.1)
        ceil = cols.fill(st.ceiling - 0.1, st.ceiling + 0.1) > 0
        seen = floor | ceil | wall | lintel
        # Rooms a scanner only glimpsed through their doors are still rooms:
        # the storey is taken to fill the hull of everything seen, and regions
        # with no evidence and no door are dropped later.
        interior = hull_mask(close(seen, 0.3 / cell) & ~_specks(seen, cell))
        in_band = (pts[:, 2] >= f + opt.wall_band[0]) & (pts[:, 2] < f + opt.wall_band[1])
    with timer.stage(f"{lid} doors", int(in_band.sum())):
        openings = detect_openings(grid, wall=wall, lintel=lintel, floor=floor, band_points=pts[in_band, :2],
                                   options=opt, lattice=lattice, angle=wall_angle)
        openings += detect_closed_doors(grid, wall=wall, lintel=lintel, floor=floor,
                                        band_points=pts[in_band, :2], opened=openings, options=opt)
        openings += detect_framed_doors(grid, wall=wall, floor=floor, points=pts, floor_z=f, opened=openings,
                                        options=opt)
    with timer.stage(f"{lid} rooms", int(interior.sum())):
        # Walls hidden behind furniture in the wall band still show above it;
        # lintel-band cells with floor seen beneath are beams, lamps or lintels.
        solid = wall | (lintel & ~ndimage.binary_dilation(floor, iterations=1))
        walls = close(solid, opt.wall_closing / cell)
        walkable = ndimage.binary_dilation(floor, iterations=1)
        openings = [o for o in openings if separates(grid, walls, o, walkable)]
        barrier = walls | rasterize_openings(grid, openings, opt.door_max_width)
        seg = segment_rooms(interior, barrier, seen_cells(floor | ceil, occupancy_map=lattice > 0), cell, opt,
                            open_ground=wall_angle is not None)
    seg, openings = join_corridor(lid, grid, seg, openings, opt=opt, report=report)
    seg = Segmentation(undo_leaks(grid, seg.labels, openings, opt.door_max_width), seg.widths)
    with timer.stage(f"{lid} polygons", int((seg.labels > 0).sum())):
        # Straighten at least the staircase of the cells (coarse grids for sparse scans).
        polys = region_polygons(seg.labels, grid, max(opt.simplify, 1.5 * cell))
    spaces, by_label = make_spaces(lid, polys, seg.widths, opt)
    # Sides of an opening are judged on cells where floor or ceiling was seen,
    # so the margin the closing adds outside an exit does not count as a room.
    evidence = ndimage.binary_dilation(floor | ceil, iterations=1)
    masked = np.where(evidence, seg.labels, 0)
    doors, exits = connect_openings(lid, openings, grid, masked, seg.labels, by_label=by_label,
                            opt=opt, report=report)
    seen_inside = ndimage.mean(floor | ceil, labels=seg.labels, index=sorted(by_label))
    blind = frozenset(by_label[k].id for k, f_ in zip(sorted(by_label), seen_inside, strict=True)
                      if f_ < BLIND_SEEN)
    spaces, doors = rooms_from_corridor_sides(lid, spaces, doors, grid=grid, wall=wall,
                                              band_points=pts[in_band, :2], opt=opt, lattice=lattice,
                                              report=report, blind=blind, angle=wall_angle)
    spaces, doors, exits, passages = passages_as_corridors(lid, spaces, doors, exits)
    for note in passages:
        report.warn(f"level {lid}: {note}")
    every = spaces
    # The outline of a region cut diagonally by the hull's edge is a staircase of cells.
    # Regions taken for ground outside stay among the spaces left out: a closed shaft
    # on the facade looks the same from inside, and the core finder reads those.
    outside = dict(ground_outside(spaces, doors, exits, blind=blind, hull=_outline(grid, interior),
                                  tolerance=max(0.5, 3 * cell) + opt.exterior_offset))
    for s in spaces:
        if s.id in outside:
            c = s.polygon.centroid
            report.warn(f"level {lid}: {s.area:.1f} m^2 around ({c.x:.1f}, {c.y:.1f}) inside the scan's "
                        f"outline but open to it along {outside[s.id]:.1f} m, with no door and no floor or "
                        "ceiling seen, was taken for ground outside the building, not a room (a shaft shut "
                        "on the facade looks alike: check the preview)")
    spaces = [s for s in spaces if s.id not in outside]
    spaces = keep_reachable(lid, spaces, doors, exits, report)
    unsure = uncertain_kinds(spaces, doors, opt)
    if unsure:
        report.warn(f"level {lid}: corridor or room uncertain for {'; '.join(unsure)}")
    kept = {s.id for s in spaces}
    dropped = [s for s in every if s.id not in kept]
    _check_floor_seen(lid, st, floor=floor, interior=interior, kept=spaces, dropped=dropped,
                      source=report.source)
    # Doors among the spaces left out go with them (a door must join two spaces of the file).
    doors = [d for d in doors if set(d.spaces) <= kept]
    env = Surroundings(grid, wall, lintel, floor, floor_level, ceil,
                       cols.fill(f - 0.15, st.ceiling + 0.15) > 0, cols.fill(f + 0.15, f + 0.9) > 0,
                       above >= 0.1, pts[in_band, :2])
    shut = tuple(o.centre for o in openings if o.closed)
    judged, notes = judge_exits(lid, spaces, [e for e in exits if e.space in kept], env, ground=ground,
                                shut=shut, left_out=tuple(dropped), opt=opt)
    for note in notes:
        report.warn(note)
    plan = LevelPlan(lid, st, grid, wall, seg.labels, tuple(openings))
    return plan, StoreySpaces(lid, st, spaces, dropped, doors), judged


def _warn_sparse_walls(lid: str, band: np.ndarray, min_fill: float, cell: float,
                       report: ExtractionReport) -> None:
    """Warn when the walls were seen only in pieces: rooms then merge through the gaps between them.

    ``band`` is each plan cell's fill of the wall band.  On a scan too sparse for its grid most
    cells along a wall hold a return or two but fill too little of the band to count as wall.
    """
    wall = int((band >= min_fill).sum())
    partial = int(((band > 0) & (band < min_fill)).sum())
    if partial <= SPARSE_WALL_RATIO * max(wall, 1):
        return
    report.warn(f"level {lid}: the walls were seen only in pieces: {partial} plan cells hold returns in "
                f"the wall band but fill under {min_fill:.0%} of it, against {wall} that are wall "
                f"({partial / max(wall, 1):.1f} to 1; a scan dense enough for its {cell:.3f} m grid shows "
                f"under {SPARSE_WALL_RATIO:g} to 1), so rooms may have merged through the gaps: check the "
                "preview against the building, or scan more densely")


def _check_floor_seen(lid: str, st: Storey, *, floor: np.ndarray, interior: np.ndarray, kept: list[Space],
                      dropped: list[Space], source: str) -> None:
    """Refuse a storey whose floor was not seen when most of it was left out for want of doors.

    Doors are found where the floor is seen through them; with the floor cropped from a scan
    none is, every room is left out and the facility would hold a corridor alone.  A single room
    whose floor was not seen (an office scanned with its floor cut off) needs no door, and stays.
    """
    seen = float(floor[interior].mean()) if interior.any() else 0.0
    lost = sum(s.area for s in dropped)
    if seen >= FLOOR_SEEN_MIN or lost <= sum(s.area for s in kept):
        return
    how = "no floor among the heights, so it was estimated" if "floor" in st.estimated else "a floor peak"
    raise ExtractionError(source, f"level {lid}: open floor was seen on only {seen:.1%} of the storey's plan "
                          f"(floor at {st.floor:.2f} m: {how}), under the {FLOOR_SEEN_MIN:.0%} a scan from "
                          f"inside shows; doors are found where the floor is seen through them, so "
                          f"{len(dropped)} space(s), {lost:.0f} m^2, would be left out with no door. Scan "
                          "the floor, or do not crop it from the scan")


def _outline(grid: Grid, interior: np.ndarray) -> Polygon:
    """The storey's outline (the convex hull of its interior cells), as a polygon."""
    ii, jj = np.nonzero(interior)
    if len(ii) < 3:
        return Polygon()
    # Only the first and last cell of each row can be corners of the hull (the
    # others lie between them): a few thousand points, not a million.
    ends = np.ones(len(ii), dtype=bool)
    ends[1:-1] = (ii[1:-1] != ii[:-2]) | (ii[1:-1] != ii[2:])
    hull = shapely.MultiPoint(grid.centres(ii[ends], jj[ends])).convex_hull
    return hull.buffer(grid.cell / 2, join_style="mitre") if isinstance(hull, Polygon) else Polygon()



def _specks(seen: np.ndarray, cell: float) -> np.ndarray:
    """Small isolated clusters of seen cells (stray returns far outside the building)."""
    lab, n = ndimage.label(ndimage.binary_dilation(seen, iterations=max(1, int(0.5 / cell))))
    if n <= 1:
        return np.zeros_like(seen)
    sizes = np.bincount(lab.ravel())
    sizes[0] = 0
    return np.asarray((lab > 0) & (sizes[lab] < 0.02 * sizes.max()))
