"""End to end on synthetic scans with exact truth: rooms, doors, exits, levels, validity."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from shapely import affinity

from facility.model import Facility, SpaceKind
from facility.validate import validate
from lidar.errors import ExtractionError, ScanFileError
from lidar.extract import Extraction, extract
from lidar.metrics import accuracy
from lidar.options import ExtractOptions
from lidar.synth import SynthOptions, synthesize

from .conftest import office_floor


def test_office_floor_is_recovered(office_extraction: Extraction, office: Facility) -> None:
    fac = office_extraction.facility
    acc = accuracy(fac, office)
    assert acc.room_f1 == 1.0
    assert acc.mean_room_iou >= 0.95
    assert acc.door_f1 == 1.0
    assert acc.door_width_mae <= 0.03
    assert acc.edge_f1 == 1.0
    assert acc.path_length_rel_error <= 0.02
    assert [s.kind for s in fac.spaces].count(SpaceKind.CORRIDOR) == 1
    assert not [i for i in validate(fac) if i.severity == "error"]


def test_exit_is_inferred_and_flagged(office_extraction: Extraction) -> None:
    fac = office_extraction.facility
    assert len(fac.exits) == 1
    (x,) = fac.exits
    assert math.dist(x.at, (12.0, 1.2)) < 0.15
    assert abs(x.width - 1.5) < 0.05
    assert fac.metadata["exits_to_confirm"] == [x.id]
    assert fac.metadata["provisional_exits"] == []
    assert any("confirm" in w for w in office_extraction.report.warnings)


def test_report_times_every_stage(office_extraction: Extraction) -> None:
    stages = [t.stage for t in office_extraction.report.timings]
    assert stages[:4] == ["read", "voxel", "outliers", "levels"]
    assert {"L0 doors", "L0 rooms", "L0 polygons"} <= set(stages)
    d = office_extraction.report.to_dict()
    assert d["points_read"] > d["points_used"] > 0


def _rotated(office_scan: np.ndarray, office: Facility, ang: float) -> tuple[np.ndarray, Facility]:
    c, s = math.cos(math.radians(ang)), math.sin(math.radians(ang))
    rot = office_scan @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]]) + [100.0, -50.0, 12.0]
    moved = [
        type(sp)(**{**{f: getattr(sp, f) for f in sp.__dataclass_fields__},
                    "polygon": affinity.translate(affinity.rotate(sp.polygon, ang, origin=(0, 0)), 100, -50)})
        for sp in office.spaces
    ]
    def at(p: tuple[float, float]) -> tuple[float, float]:
        return (c * p[0] - s * p[1] + 100.0, s * p[0] + c * p[1] - 50.0)

    doors = tuple(replace(d, at=at(d.at)) for d in office.doors)
    exits = tuple(replace(e, at=at(e.at)) for e in office.exits)
    return rot, Facility(name="t", levels=office.levels, spaces=tuple(moved), doors=doors, exits=exits)


def test_rotated_and_shifted_scan(office_scan: np.ndarray, office: Facility) -> None:
    """A scan in another frame: walls found at their angle, most rooms and doors recovered."""
    rot, truth = _rotated(office_scan, office, 30.0)
    fac = extract(rot).facility
    acc = accuracy(fac, truth)
    assert acc.room_f1 >= 0.75
    assert acc.mean_room_iou >= 0.9
    assert len(fac.doors) >= len(office.doors) - 1


@pytest.mark.parametrize("angle", [30.0, 45.0, 17.0])
def test_rotated_scan_as_good_as_aligned(office_scan: np.ndarray, office: Facility, angle: float) -> None:
    """Extracted in its walls' frame, a rotated scan gives what the aligned one gives."""
    rot, truth = _rotated(office_scan, office, angle)
    ex = extract(rot)
    acc = accuracy(ex.facility, truth)
    assert acc.room_f1 == 1.0 and acc.mean_room_iou >= 0.95
    assert acc.door_f1 == 1.0 and acc.door_width_mae <= 0.03
    found = ex.report.levels[0]["wall_angle_deg"] % 90.0
    assert min(abs(found - angle), 90.0 - abs(found - angle)) < 0.1
    assert len(ex.facility.exits) == 1 and not ex.facility.metadata["provisional_exits"]


def test_two_storeys_become_two_levels(rng: np.random.Generator) -> None:
    s0, d0, x0, l0 = office_floor(2, level="G", elevation=0.0, prefix="g")
    s1, d1, _, l1 = office_floor(2, level="F", elevation=3.4, prefix="f")
    fac = Facility(name="two", levels=(l0, l1), spaces=tuple(s0 + s1), doors=tuple(d0 + d1), exits=tuple(x0))
    pts = synthesize(fac, rng=rng, options=SynthOptions(spacing=0.06, clutter_per_m2=0.02))
    ex = extract(pts)
    assert [lv.id for lv in ex.facility.levels] == ["L0", "L1"]
    assert abs(ex.facility.levels[1].elevation - 3.4) < 0.06
    assert accuracy(ex.facility, fac).room_f1 == 1.0
    assert any("stairs" in w for w in ex.report.warnings)


def test_units_option_and_errors(office_scan: np.ndarray) -> None:
    with pytest.raises(ScanFileError, match="no vertical extent"):
        extract(np.zeros((500, 3)))
    with pytest.raises(ScanFileError, match="units mm"):
        extract(office_scan * 1000)
    in_mm = extract(office_scan * 1000, ExtractOptions(units="mm")).facility
    assert len(in_mm.spaces) == 7 and len(in_mm.doors) == 6
    with pytest.raises(ExtractionError, match="points left"):
        extract(np.array([[0.0, 0, 0], [0, 0, 3.0], [9, 9, 1.5]]))


def test_noise_cube_and_small_box_are_errors_saying_what_is_missing() -> None:
    """A cloud with no floor, walls or rooms is not a building: an error, not a facility with warnings."""
    rng = np.random.default_rng(0)
    with pytest.raises(ExtractionError, match=r"no room or corridor.*floor .*seen.*wall"):
        extract(rng.uniform(0, 5, (200_000, 3)))
    s = np.linspace(0, 1.5, 76)
    a, b = (g.ravel() for g in np.meshgrid(s, s))
    faces = [np.column_stack(list(np.roll([np.full(a.size, c), a, b], k, axis=0)))
             for c in (0.0, 1.5) for k in range(3)]
    with pytest.raises(ExtractionError, match=r"no storey found.*span is 1\.\d+ m"):
        extract(np.vstack(faces))


def test_elevations_with_one_file_are_counted_and_with_an_array_refused(tmp_path: Path) -> None:
    """Two elevations for one file were ignored without a word."""
    from lidar.errors import ScanOptionError
    from lidar.writers import write_cloud

    pts = np.random.default_rng(0).uniform([0, 0, 0], [5, 4, 2.8], size=(500, 3))
    path = write_cloud(pts, tmp_path / "one.ply")
    with pytest.raises(ScanFileError, match=r"one.ply: 2 elevation\(s\) given for 1 files; give one per"):
        extract(path, elevations=[0.0, 3.0])
    with pytest.raises(ScanOptionError, match="option 'elevations' must be given only with scan files"):
        extract(pts, elevations=[0.0])
