"""The scan-to-facility pipeline: points in, a :class:`~facility.model.Facility` out.

Stages, each timed in the report: read; voxel down-sampling and removal of
isolated voxels (everything expensive runs on voxels); storeys from the height
histogram (:mod:`lidar.levels`); per storey, the plan grid of wall-band and
lintel-band fill (:mod:`lidar.grid`); door openings (:mod:`lidar.doors`);
room segmentation closed at doors (:mod:`lidar.rooms`); outlines simplified
as one coverage (:mod:`lidar.polygons`); and assembly: corridor or room by
shape, doors joined to the two spaces they open into, exits where an opening
leads out of the scanned area (flagged for the user to confirm), and spaces
no door reaches left out with a warning (simulators need every space reachable).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import shapely
from scipy import ndimage
from shapely.geometry import Polygon

from facility.model import Exit, Facility, Level, Lift, Stair
from lidar.assembly import (
    connect_openings,
    ground_outside,
    keep_reachable,
    make_spaces,
    passages_as_corridors,
    provisional_exit,
    uncertain_kinds,
    undo_leaks,
)
from lidar.closed_doors import detect_closed_doors
from lidar.cores import StoreySpaces, find_cores
from lidar.door_frames import detect_framed_doors
from lidar.doors import Opening, detect_openings, rasterize_openings
from lidar.errors import ExtractionError
from lidar.exits import ExitCandidate, Surroundings, judge_exits
from lidar.frame import StoreyFrame, find_frame, frame_along, wall_map
from lidar.grid import Columns, Grid, close, hull_mask
from lidar.hidden_doors import hidden_door_warnings
from lidar.joins import join_corridor, separates
from lidar.levels import Storey, split_levels
from lidar.multi import read_storeys
from lidar.options import ExtractOptions
from lidar.polygons import region_polygons
from lidar.preprocess import point_spacing, remove_isolated, voxel_downsample
from lidar.readers import check_cloud, read
from lidar.report import ExtractionReport, StageTiming
from lidar.rooms import Segmentation, seen_cells, segment_rooms
from lidar.side_assembly import rooms_from_corridor_sides
from lidar.wings import WingPart, carve_unseen, join_wings, wing_regions

__all__ = ["Extraction", "LevelPlan", "extract"]

Progress = Callable[[str, int, int], None]


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


@dataclass(frozen=True, slots=True)
class Extraction:
    """Result of :func:`extract`: the facility, the report, and per-storey plans."""

    facility: Facility
    report: ExtractionReport
    plans: tuple[LevelPlan, ...] = field(default=())


class _Timer:
    def __init__(self, report: ExtractionReport, progress: Progress | None) -> None:
        self.report = report
        self.progress = progress

    @contextmanager
    def stage(self, name: str, points: int) -> Iterator[None]:
        t0 = time.perf_counter()
        if self.progress:
            self.progress(name, 0, 1)
        yield
        self.report.timings.append(StageTiming(name, time.perf_counter() - t0, points))
        if self.progress:
            self.progress(name, 1, 1)


def extract(source: str | Path | Sequence[str | Path] | np.ndarray, options: ExtractOptions | None = None, *,
            name: str | None = None, progress: Progress | None = None,
            elevations: Sequence[float] | None = None) -> Extraction:
    """Extract a facility (levels, rooms, corridors, doors, exits) from a scan.

    Args:
        source: A scan file (any format :func:`lidar.read` takes), a list of
            files with one storey each, bottom to top, in one frame
            (:func:`lidar.multi.read_storeys` checks they fit), or an
            ``(n, 3)`` array of points in metres.
        options: Pipeline parameters; defaults as :class:`ExtractOptions`.
        name: Facility name; defaults to the file stem.
        progress: Called as ``progress(stage, done, total)`` when a stage
            starts and ends (per storey stages are named ``"L1 rooms"``...).
        elevations: With one file per storey whose floors are each at height
            0, the floor elevation of each (m).

    Returns:
        The :class:`Extraction`; ``facility.metadata["exits_to_confirm"]``
        lists the inferred exits and ``report.warnings`` what to check.

    Raises:
        lidar.errors.ScanFileError: The file cannot be read or is implausible.
        ExtractionError: No storey or no space could be found.
    """
    opt = options or ExtractOptions()
    if isinstance(source, np.ndarray):
        label = "<array>"
    elif isinstance(source, str | Path):
        label = str(source)
    else:
        label = " + ".join(str(p) for p in source)
    report = ExtractionReport(source=label)
    timer = _Timer(report, progress)
    with timer.stage("read", 0):
        # Files are thinned to the voxel as they stream in (LAS/LAZ in chunks),
        # so a scan far larger than memory can be read.
        if isinstance(source, np.ndarray):
            pts = np.asarray(source, dtype=np.float64) * opt.scale
            check_cloud(pts, label, units="m")
        elif isinstance(source, str | Path):
            pts = read(source, units=opt.units, voxel=opt.voxel, progress=_parts_progress(progress))
        else:
            pts = read_storeys(list(source), units=opt.units, voxel=opt.voxel, elevations=elevations)
    report.points_read = len(pts)
    report.timings[-1] = StageTiming("read", report.timings[-1].seconds, len(pts))
    with timer.stage("voxel", len(pts)):
        # A file was thinned to the voxel as it was read; thinning it again
        # would change nothing and took a fifth of a 10 M-point storey's time.
        # Files of several storeys may share voxels where they overlap.
        vox = pts if isinstance(source, str | Path) else voxel_downsample(pts, opt.voxel)
    del pts
    spacing = point_spacing(vox)
    with timer.stage("outliers", len(vox)):
        # Sparse clouds (occupancy maps) need cubes a few points wide.
        vox = remove_isolated(vox, max(opt.outlier_cube, 3 * spacing), opt.outlier_min_points)
    report.points_used = len(vox)
    if len(vox) < 100:
        raise ExtractionError(label, f"only {len(vox)} points left after removing noise; is this a building?")
    with timer.stage("levels", len(vox)):
        storeys = split_levels(vox, opt)
    tallest = max(st.height for st in storeys)
    if tallest < opt.min_storey_height:
        raise ExtractionError(label, f"no storey found: the highest floor-to-ceiling span is "
                                     f"{tallest:.2f} m, under the {opt.min_storey_height} m of any room "
                                     "(min_storey_height); is this a scan of a building interior, in metres?")
    cell = opt.cell or max(0.05, round(spacing * 1.05, 3))
    report.cell = cell
    lattice = spacing if _is_lattice(vox, spacing) else 0.0
    if lattice:
        report.warn(f"the points lie on a {lattice:.3f} m lattice (an occupancy map): door widths are "
                    "measured between jamb voxel centres, uncertain by +- one voxel")
    zbin = max(opt.voxel, spacing)
    base = storeys[0].floor
    levels: list[Level] = []
    exits: list[Exit] = []
    plans: list[LevelPlan] = []
    evidence: list[dict[str, object]] = []
    found: list[StoreySpaces] = []
    angles: list[float] = []
    for n, st in enumerate(storeys):
        lid = f"L{n}"
        sel = vox[(vox[:, 2] >= st.low) & (vox[:, 2] < st.high)]
        frame = find_frame(sel, st.floor, opt.wall_band, opt.wall_min_fill, zbin)
        _report_frame(lid, frame, report)
        levels.append(Level(id=lid, name=f"level {n}", elevation=round(st.floor - base, 3),
                            ceiling_height=round(st.height, 3)))
        if frame.wings:
            plan, ss, judged = _extract_wings(lid, st, sel, frame, cell=cell, zbin=zbin, opt=opt,
                                              report=report, timer=timer, lattice=lattice, ground=n == 0)
        else:
            plan, ss, judged = _turned_back(frame, *_extract_storey(
                lid, st, frame.to_frame(sel), cell=cell, zbin=zbin, opt=opt, report=report, timer=timer,
                lattice=lattice, ground=n == 0))
        s, d, e = ss.spaces, ss.doors, [j.exit for j in judged]
        evidence += [j.as_dict() for j in judged]
        plans.append(plan)
        found.append(ss)
        angles.append(frame.angle)
        exits += e
        report.levels.append({
            "id": lid, "floor": round(st.floor, 3), "ceiling": round(st.ceiling, 3),
            "estimated": list(st.estimated), "points": len(sel), "spaces": len(s), "doors": len(d),
            "exits": len(e), "exit_evidence": [j.as_dict() for j in judged],
            "wall_angle_deg": round(math.degrees(frame.angle), 2), "wings_deg": list(frame.wings),
            "wall_plan_m2": round(float(plan.wall.sum()) * cell * cell, 2),
            "rooms_seeded": int(len(np.unique(plan.labels)) - 1)})
    stairs: list[Stair] = []
    lifts: list[Lift] = []
    if len(found) > 1:
        with timer.stage("stairs and lifts", len(vox)):
            found, stairs, lifts, notes = find_cores(vox, found, angles, options=opt,
                                                     exit_hosts=frozenset(e.space for e in exits))
        for note in notes:
            report.warn(note)
        _report_links(found, stairs, lifts, report)
    spaces = [s for ss in found for s in ss.spaces]
    doors = [d for ss in found for d in ss.doors]
    if not spaces:
        missing = "; ".join(f"level {lv['id']}: floor {'not ' if 'floor' in lv['estimated'] else ''}seen, "
                            f"ceiling {'not ' if 'ceiling' in lv['estimated'] else ''}seen, "
                            f"{lv['wall_plan_m2']} m^2 of wall in plan, {lv['rooms_seeded']} region(s) wide "
                            "enough for a room"
                            for lv in report.levels)
        raise ExtractionError(label, f"no room or corridor could be found ({missing}); a building interior "
                                     "needs a floor, walls and a ceiling around free floor at least "
                                     f"{2 * opt.seed_radius:.1f} m wide")
    if exits:
        listed = "; ".join(f"{x['id']} ({x['width']} m, confidence {x['confidence']}: "
                           f"{', '.join(x['evidence'])})" for x in evidence)  # type: ignore[arg-type]
        report.warn(f"exits inferred from openings in the outer wall, to confirm before an evacuation "
                    f"study: {listed}")
    else:
        provisional = provisional_exit(spaces)
        if provisional is not None:
            exits.append(provisional)
            report.provisional_exits.append(provisional.id)
            report.warn(f"no opening to unscanned space was found; a PROVISIONAL exit {provisional.id} "
                        f"({provisional.width} m) was put on an outer wall of {provisional.space} so the "
                        "facility is usable: replace it with the real exits before any evacuation study")
    report.exits_to_confirm = [x.id for x in exits]
    fac_name = name or (Path(label.split(" + ")[0]).stem if label != "<array>" else "scan")
    with timer.stage("assemble", len(vox)):
        fac = Facility(
            name=fac_name, levels=tuple(levels), spaces=tuple(spaces), doors=tuple(doors),
            exits=tuple(exits), stairs=tuple(stairs), lifts=tuple(lifts),
            metadata={"source": label, "extracted_by": "lidar.extract",
                      "scan_floor_z": round(base, 3), "exits_to_confirm": report.exits_to_confirm,
                      "provisional_exits": report.provisional_exits,
                      "exit_evidence": evidence,
                      "side_rooms": report.side_rooms,
                      "warnings": report.warnings},
        )
        _ = fac.graph
        hidden = hidden_door_warnings(fac)
        if hidden:
            report.warnings += hidden
            fac = replace(fac, metadata={**fac.metadata, "warnings": report.warnings})
    return Extraction(fac, report, tuple(plans))


def _parts_progress(progress: Progress | None) -> Callable[[int, int], None] | None:
    """Reading progress, part by part, as its own stage (``"read parts"``) for a file read in
    several parts: the read stage itself reports only its start and end, and a 100 M-point file
    takes minutes to read."""
    if progress is None:
        return None
    report = progress

    def parts(done: int, total: int) -> None:
        if total > 1:
            report("read parts", done, total)

    return parts


def _turned_back(frame: StoreyFrame, plan: LevelPlan, ss: StoreySpaces, judged: list[ExitCandidate]
                 ) -> tuple[LevelPlan, StoreySpaces, list[ExitCandidate]]:
    """A storey extracted in ``frame`` turned back into the scan frame."""
    if not frame.rotated:
        return plan, ss, judged
    turned = {x.id: frame.space_to_scan(x) for x in [*ss.spaces, *ss.dropped]}
    ss = replace(ss, spaces=[turned[x.id] for x in ss.spaces], dropped=[turned[x.id] for x in ss.dropped],
                 doors=[frame.door_to_scan(x, turned) for x in ss.doors])
    judged = [replace(j, exit=frame.exit_to_scan(j.exit, turned)) for j in judged]
    return replace(plan, frame=frame), ss, judged


def _extract_wings(lid: str, st: Storey, pts: np.ndarray, frame: StoreyFrame, *, cell: float, zbin: float,
                   opt: ExtractOptions, report: ExtractionReport, timer: _Timer, lattice: float, ground: bool
                   ) -> tuple[LevelPlan, StoreySpaces, list[ExitCandidate]]:
    """A storey with wings at other angles: extracted once in each wing's frame, joined at the seams.

    The plan kept (for previews) is the main frame's; see :mod:`lidar.wings`.
    """
    def storey_in(wf: StoreyFrame, into: ExtractionReport
                  ) -> tuple[LevelPlan, StoreySpaces, list[ExitCandidate]]:
        return _turned_back(wf, *_extract_storey(lid, st, wf.to_frame(pts), cell=cell, zbin=zbin, opt=opt,
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


def _extract_storey(lid: str, st: Storey, pts: np.ndarray, *, cell: float, zbin: float, opt: ExtractOptions,
                    report: ExtractionReport, timer: _Timer, lattice: float, ground: bool,
                    wall_angle: float | None = None) -> tuple[LevelPlan, StoreySpaces, list[ExitCandidate]]:
    f = st.floor
    with timer.stage(f"{lid} grid", len(pts)):
        grid = Grid.covering(pts[:, :2], cell)
        cols = Columns.of(grid, pts, f - 0.15, st.ceiling + 0.15, zbin)
        wall = cols.fill(f + opt.wall_band[0], f + opt.wall_band[1]) >= opt.wall_min_fill
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


#: A space with floor or ceiling seen on fewer than this share of its cells was
#: never looked into (a lift shaft, a room behind a shut door).
BLIND_SEEN = 0.05


def _report_links(found: list[StoreySpaces], stairs: list[Stair], lifts: list[Lift],
                  report: ExtractionReport) -> None:
    """Warn about storeys no stair or lift reaches (people there cannot get down)."""
    linked = {sid for x in stairs for sid in x.spaces} | {sid for x in lifts for sid in x.spaces}
    for ss in found:
        if not any(s.id in linked for s in ss.spaces):
            report.warn(f"level {ss.level}: no stair or lift joins it to the other levels; link it in the "
                        "facility file ('stairs' and 'lifts') before an evacuation study")
    for ss in found:
        report.levels[[lv["id"] for lv in report.levels].index(ss.level)].update(
            stairs=[x.id for x in stairs if any(s.id in x.spaces for s in ss.spaces)],
            lifts=[x.id for x in lifts if any(s.id in x.spaces for s in ss.spaces)])


def _report_frame(lid: str, frame: StoreyFrame, report: ExtractionReport) -> None:
    """Record the wall directions of a storey, and warn about wings at another angle."""
    if frame.rotated:
        report.warn(f"level {lid}: walls run at {math.degrees(frame.angle):.1f} degrees to the scan axes; "
                    "the level was extracted in the walls' frame (positions in warnings about it are "
                    "in that frame)")
    for w in frame.wings:
        report.warn(f"level {lid}: a second family of walls runs at {w:.1f} degrees (a wing at another "
                    "angle); each wing was extracted in its own walls' frame and the two joined at the seam, "
                    "so check the spaces and doors along it")


def _is_lattice(points: np.ndarray, spacing: float, sample: int = 5000) -> bool:
    """Whether the points are voxel centres on a regular lattice (an occupancy map, not a scan).

    >>> g = np.stack(np.meshgrid(np.arange(5.0), np.arange(5.0), np.arange(5.0)), -1).reshape(-1, 3) * 0.08
    >>> _is_lattice(g + 0.013, 0.08), _is_lattice(g + np.linspace(0, 0.05, 125)[:, None], 0.08)
    (True, False)
    """
    if spacing <= 0 or len(points) < 10:
        return False
    p = points[:: max(1, len(points) // sample)]
    frac = np.mod((p - p[0]) / spacing + 0.5, 1.0) - 0.5
    return bool(np.mean(np.abs(frac) < 0.05) > 0.9)


def _specks(seen: np.ndarray, cell: float) -> np.ndarray:
    """Small isolated clusters of seen cells (stray returns far outside the building)."""
    lab, n = ndimage.label(ndimage.binary_dilation(seen, iterations=max(1, int(0.5 / cell))))
    if n <= 1:
        return np.zeros_like(seen)
    sizes = np.bincount(lab.ravel())
    sizes[0] = 0
    return np.asarray((lab > 0) & (sizes[lab] < 0.02 * sizes.max()))
