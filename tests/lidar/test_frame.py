"""The storey frame: wall directions found at any angle, and rotations that undo each other."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lidar.frame import StoreyFrame, find_frame, wall_directions


def _walls(angle_deg: float, n: int = 200) -> np.ndarray:
    """A wall mask of a 3 x 3 room grid drawn at ``angle_deg``."""
    m = np.zeros((n, n), dtype=bool)
    a = math.radians(angle_deg)
    u, v = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
    t = np.linspace(-60, 60, 2000)
    for k in (-60, -20, 20, 60):
        for d1, d2 in ((u, v), (v, u)):
            xy = n / 2 + t[:, None] * d1 + k * d2
            ok = ((xy >= 0) & (xy < n)).all(axis=1)
            m[xy[ok, 1].astype(int), xy[ok, 0].astype(int)] = True
    return m


@pytest.mark.parametrize("angle", [0.0, 12.5, 30.0, 45.0, 71.3])
def test_main_direction_found_to_a_fraction_of_a_degree(angle: float) -> None:
    found = math.degrees(wall_directions(_walls(angle))[0][0])
    assert min(abs(found - angle % 90), 90 - abs(found - angle % 90)) < 0.3


def test_wing_at_another_angle_is_a_second_family() -> None:
    both = _walls(0.0) | _walls(30.0)
    dirs = sorted(round(math.degrees(a)) for a, _ in wall_directions(both)[:2])
    assert dirs == [0, 30]


def test_rotation_round_trip_and_aligned_scans_untouched() -> None:
    f = StoreyFrame(math.radians(30), (5.0, -2.0))
    p = np.array([[1.0, 2.0, 3.0], [10.0, -4.0, 0.5]])
    assert np.allclose(f.to_scan(f.to_frame(p)), p)
    assert np.allclose(f.to_frame(p)[:, 2], p[:, 2])
    wall = np.array([[x, y, z] for x in np.arange(0, 10, 0.05) for y in (0.0, 6.0) for z in (1.2, 1.5, 1.8)])
    assert not find_frame(wall, 0.0, (1.0, 1.9), 0.3, 0.05).rotated


def test_spaces_turned_back_have_their_corners_on_a_millimetre_lattice() -> None:
    from shapely.geometry import box

    from facility.model import Space, SpaceKind
    from lidar.frame import PLAN_PRECISION, StoreyFrame

    frame = StoreyFrame(math.radians(30.0), (12.345, 6.789))
    s = frame.space_to_scan(Space(id="R", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 0, 4, 3)))
    xy = np.asarray(s.polygon.exterior.coords)
    assert np.allclose(xy / PLAN_PRECISION, np.round(xy / PLAN_PRECISION), atol=1e-6)
    assert s.polygon.is_valid and abs(s.polygon.area - 12.0) < 0.01


@settings(max_examples=40, deadline=None)
@given(angle=st.floats(1.0, 89.0), ox=st.floats(-50, 50), oy=st.floats(-50, 50),
       x0=st.floats(-20, 20), y0=st.floats(-20, 20), t=st.floats(0.2, 0.8))
def test_doors_and_exits_turned_back_stay_on_their_walls(*, angle: float, ox: float, oy: float, x0: float,
                                                         y0: float, t: float) -> None:
    """A door turned back lies on the wall of both its spaces (within routing's 1 mm): placed on
    its own 1 mm lattice it fell up to 1.4 mm off, and rooms had no route out of their own door."""
    from shapely.geometry import Point, box

    from facility.model import Door, Exit, Space, SpaceKind

    frame = StoreyFrame(math.radians(angle), (ox, oy))
    a = Space(id="A", level="L0", kind=SpaceKind.ROOM, polygon=box(x0, y0, x0 + 4.37, y0 + 3.11))
    b = Space(id="B", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(x0, y0 + 3.11, x0 + 9.0, y0 + 5.0))
    turned = {s.id: frame.space_to_scan(s) for s in (a, b)}
    door = frame.door_to_scan(Door(id="D", spaces=("A", "B"), at=(x0 + 4.37 * t, y0 + 3.11), width=0.9),
                              turned)
    out = frame.exit_to_scan(Exit(id="X", space="A", at=(x0, y0 + 3.11 * t), width=1.2), turned)
    for s in turned.values():
        assert s.polygon.boundary.distance(Point(door.at)) < 5e-4  # half the 1 mm routing allows
    assert turned["A"].polygon.boundary.distance(Point(out.at)) < 1e-9
    expected = frame.to_scan(np.array([[x0 + 4.37 * t, y0 + 3.11]]))[0]
    assert math.dist(door.at, expected) < 2e-3
