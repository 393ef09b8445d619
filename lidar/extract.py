"""The scan-to-facility pipeline: points in, a :class:`~facility.model.Facility` out.

Stages, each timed in the report: read; voxel down-sampling and removal of
isolated voxels (everything expensive runs on voxels); storeys from the height
histogram (:mod:`lidar.levels`); per storey, its walls' frame
(:mod:`lidar.frame`) and its spaces, doors and exits (:mod:`lidar.storey`);
with several storeys, the stairs and lifts that link them (:mod:`lidar.cores`);
and a provisional exit, flagged, when no opening leads out of the scanned area
(simulators need a way out).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from facility.model import Exit, Facility, Level, Lift, Stair
from lidar.assembly import provisional_exit
from lidar.cores import StoreySpaces, find_cores
from lidar.errors import ExtractionError, ScanOptionError
from lidar.frame import StoreyFrame, find_frame
from lidar.hidden_doors import hidden_door_warnings
from lidar.levels import split_levels
from lidar.multi import read_storeys
from lidar.options import ExtractOptions
from lidar.preprocess import point_spacing, remove_isolated, voxel_downsample
from lidar.readers import check_cloud, read
from lidar.report import ExtractionReport, Progress, StageTimer, StageTiming
from lidar.storey import LevelPlan, extract_storey, extract_wings, turned_back

__all__ = ["Extraction", "LevelPlan", "extract"]


@dataclass(frozen=True, slots=True)
class Extraction:
    """Result of :func:`extract`: the facility, the report, and per-storey plans."""

    facility: Facility
    report: ExtractionReport
    plans: tuple[LevelPlan, ...] = field(default=())



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
        ScanOptionError: ``elevations`` given with an array of points.
    """
    opt = options or ExtractOptions()
    if isinstance(source, np.ndarray):
        label = "<array>"
    elif isinstance(source, str | Path):
        label = str(source)
    else:
        label = " + ".join(str(p) for p in source)
    report = ExtractionReport(source=label)
    timer = StageTimer(report, progress)
    with timer.stage("read", 0):
        # Files are thinned to the voxel as they stream in (LAS/LAZ in chunks),
        # so a scan far larger than memory can be read.
        if isinstance(source, np.ndarray):
            if elevations is not None:
                raise ScanOptionError("elevations", "given only with scan files, one per storey", elevations)
            pts = np.asarray(source, dtype=np.float64) * opt.scale
            check_cloud(pts, label, units="m")
        elif isinstance(source, str | Path) and elevations is None:
            pts = read(source, units=opt.units, voxel=opt.voxel, progress=_parts_progress(progress))
        else:
            # Elevations with one file are checked (one per file) and applied as for several:
            # they were ignored, and two elevations for one file went unremarked.
            files = [source] if isinstance(source, str | Path) else list(source)
            pts = read_storeys(files, units=opt.units, voxel=opt.voxel, elevations=elevations)
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
            plan, ss, judged = extract_wings(lid, st, sel, frame, cell=cell, zbin=zbin, opt=opt,
                                             report=report, timer=timer, lattice=lattice, ground=n == 0)
        else:
            plan, ss, judged = turned_back(frame, *extract_storey(
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
