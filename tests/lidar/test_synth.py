"""The synthetic scanner: deterministic, points on real surfaces, openings left open."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point

from facility.model import Facility
from lidar.errors import ScanOptionError
from lidar.synth import SynthOptions, synthesize, truth_for_levels


def test_same_seed_same_scan(office: Facility) -> None:
    opt = SynthOptions(spacing=0.1, clutter_per_m2=0.1)
    a = synthesize(office, rng=np.random.default_rng(5), options=opt)
    b = synthesize(office, rng=np.random.default_rng(5), options=opt)
    c = synthesize(office, rng=np.random.default_rng(6), options=opt)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_points_lie_on_walls_floor_ceiling(office_scan: np.ndarray, office: Facility) -> None:
    z = office_scan[:, 2]
    assert abs(z.min()) < 0.03 and abs(z.max() - 3.0) < 0.03
    mid = office_scan[(z > 2.2) & (z < 2.9)]  # above furniture: only walls and lintels
    walls = [s.polygon.boundary for s in office.spaces]
    d = np.array([min(w.distance(Point(p)) for w in walls) for p in mid[:: max(1, len(mid) // 300), :2]])
    # Wall faces are half the 0.15 m thickness from the centre line, plus noise.
    assert np.quantile(d, 0.99) < 0.075 + 0.02


def test_doors_are_open_below_the_lintel(office_scan: np.ndarray, office: Facility) -> None:
    for door in office.doors:
        c = np.asarray(door.at)
        box = (np.abs(office_scan[:, 0] - c[0]) < door.width / 2 - 0.05) & (
            np.abs(office_scan[:, 1] - c[1]) < 0.05)
        z = office_scan[box, 2]
        assert ((z > 0.2) & (z < 2.0)).sum() == 0, door.id  # nothing in the opening
        assert (z > 2.1).sum() > 0, door.id  # the lintel is there


def test_bad_options_and_levels(office: Facility) -> None:
    with pytest.raises(ScanOptionError, match="spacing"):
        SynthOptions(spacing=0)
    with pytest.raises(ScanOptionError, match="levels"):
        synthesize(office, rng=np.random.default_rng(0), options=SynthOptions(levels=("nope",)))


def test_truth_for_levels_keeps_only_those(office: Facility) -> None:
    t = truth_for_levels(office, ["L0"])
    assert {s.id for s in t.spaces} == {s.id for s in office.spaces}
    assert t.stairs == ()


def test_a_spacing_too_fine_to_read_back_is_refused_before_any_ray_is_cast(office: Facility) -> None:
    """At 1 mm the sample hospital would have made 35 G points: it ran out of memory (exit 3)."""
    expected = (r"option 'spacing' must be >= 0\.0\d+ m for these levels \(their [\d,]+ m\^2 of surfaces "
                r"would give about [\d,]+ points")
    with pytest.raises(ScanOptionError, match=expected):
        synthesize(office, rng=np.random.default_rng(0), options=SynthOptions(spacing=0.001))


@pytest.mark.parametrize(("name", "most"), [("people_per_m2", 5.4), ("clutter_per_m2", 6.25)])
def test_more_people_or_furniture_than_fit_on_a_floor_are_refused(name: str, most: float) -> None:
    """A billion people per m^2 were placed one by one, for ever."""
    assert getattr(SynthOptions(**{name: most}), name) == most
    with pytest.raises(ScanOptionError, match=rf"option '{name}' must be <= {most:g} per m\^2"):
        SynthOptions(**{name: most * 1.01})
