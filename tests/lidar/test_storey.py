"""One storey to its spaces, doors and exits; spaces left out take their doors with them."""

from __future__ import annotations

import numpy as np
import pytest

from facility.model import Facility, SpaceKind
from facility.validate import validate
from lidar.extract import extract
from lidar.frame import StoreyFrame
from lidar.levels import split_levels
from lidar.options import ExtractOptions
from lidar.preprocess import voxel_downsample
from lidar.report import ExtractionReport, StageTimer
from lidar.storey import extract_storey, turned_back
from lidar.synth import SynthOptions, synthesize

from .conftest import office_floor


def test_a_storey_gives_its_rooms_doors_and_exit_and_times_each_stage(rng: np.random.Generator) -> None:
    spaces, doors, exits, lv = office_floor(2)
    fac = Facility(name="office", levels=(lv,), spaces=tuple(spaces), doors=tuple(doors), exits=tuple(exits))
    opt = ExtractOptions()
    pts = voxel_downsample(synthesize(fac, rng=rng, options=SynthOptions(spacing=0.05, clutter_per_m2=0.0)),
                           opt.voxel)
    (st,) = split_levels(pts, opt)
    report = ExtractionReport(source="office")
    stages: list[tuple[str, int, int]] = []
    timer = StageTimer(report, lambda name, done, total: stages.append((name, done, total)))
    plan, found, judged = extract_storey("L0", st, pts, cell=0.05, zbin=opt.voxel, opt=opt, report=report,
                                         timer=timer, lattice=0.0, ground=True)
    kinds = sorted(s.kind.value for s in found.spaces)
    assert kinds == sorted(s.kind.value for s in spaces) and len(found.doors) == len(doors)
    assert [j.exit.space for j in judged] == [s.id for s in found.spaces if s.kind is SpaceKind.CORRIDOR]
    assert [t.stage for t in report.timings] == ["L0 grid", "L0 doors", "L0 rooms", "L0 polygons"]
    assert stages[:2] == [("L0 grid", 0, 1), ("L0 grid", 1, 1)]
    assert plan.level == "L0" and plan.labels.shape == plan.grid.shape
    # In the scan's own frame nothing is turned: the same objects come back.
    same = turned_back(StoreyFrame(0.0, (0.0, 0.0)), plan, found, judged)
    assert same[1] is found and same[2] is judged


def test_spaces_left_out_take_their_doors_with_them(rng: np.random.Generator) -> None:
    """Two rooms joined to each other but to nothing else are left out, and so is their door."""
    from shapely.geometry import box

    from facility.model import Door, Space

    spaces, doors, exits, lv = office_floor(2)
    pair = [Space(id=f"P{i}", level="L0", kind=SpaceKind.ROOM, polygon=box(9.0 + 4 * i, -5, 13.0 + 4 * i, 0))
            for i in range(2)]
    fac = Facility(name="island", levels=(lv,), spaces=(*spaces, *pair),
                   doors=(*doors, Door(id="PD", spaces=("P0", "P1"), at=(13.0, -2.5), width=1.0)),
                   exits=tuple(exits))
    ex = extract(synthesize(fac, rng=rng, options=SynthOptions(spacing=0.06, clutter_per_m2=0.0)))
    ids = {s.id for s in ex.facility.spaces}
    assert all(set(d.spaces) <= ids for d in ex.facility.doors)
    assert not [i for i in validate(ex.facility) if i.severity == "error"]
    assert any("left out" in w for w in ex.report.warnings)


def test_a_storey_whose_floor_was_cropped_away_is_refused_not_left_as_a_corridor(
        rng: np.random.Generator) -> None:
    """With its floor cropped from the scan no door is seen (doors are found where the floor shows
    through them): every room was left out and the facility held the corridor alone, exit 0."""
    from lidar.errors import ExtractionError

    spaces, doors, exits, lv = office_floor(2)
    fac = Facility(name="office", levels=(lv,), spaces=tuple(spaces), doors=tuple(doors), exits=tuple(exits))
    pts = synthesize(fac, rng=rng, options=SynthOptions(spacing=0.05, clutter_per_m2=0.0))
    assert len(extract(pts).facility.spaces) == len(spaces)
    with pytest.raises(ExtractionError, match=r"level L0: open floor was seen on only 0\.\d% of the storey's "
                                              r"plan .* 4 space\(s\), \d+ m\^2, would be left out"):
        extract(pts[pts[:, 2] > 0.3])


def test_walls_seen_only_in_pieces_are_warned_about(rng: np.random.Generator) -> None:
    """Thinned to a fifth, the office's walls fill too little of the wall band on most cells and its
    seven spaces merged into one with no word of why."""
    spaces, doors, exits, lv = office_floor(3)
    fac = Facility(name="office", levels=(lv,), spaces=tuple(spaces), doors=tuple(doors), exits=tuple(exits))
    pts = synthesize(fac, rng=rng, options=SynthOptions(spacing=0.05, clutter_per_m2=0.04))
    dense = extract(pts)
    assert len(dense.facility.spaces) == len(spaces)
    assert not any("seen only in pieces" in w for w in dense.report.warnings)
    sparse = extract(pts[rng.random(len(pts)) < 0.2])
    assert any(w.startswith("level L0: the walls were seen only in pieces") for w in sparse.report.warnings)
