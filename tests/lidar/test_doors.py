"""Door openings: direction finding, widths measured on the points, narrow ones dropped."""

from __future__ import annotations

import numpy as np

from facility.model import Facility
from lidar.doors import dominant_angle, line
from lidar.extract import Extraction


def test_dominant_angle_of_rotated_walls() -> None:
    yy, xx = np.mgrid[0:200, 0:200]
    a = np.radians(25)
    d = (xx - 100) * np.sin(a) - (yy - 100) * np.cos(a)
    w = (np.abs(d) < 2) | (np.abs((xx - 100) * np.cos(a) + (yy - 100) * np.sin(a)) < 2)
    assert abs(dominant_angle(w) - a) < np.radians(3)


def test_line_element_length() -> None:
    assert line(9, 0.0).sum() == 9
    assert line(9, np.pi / 2)[:, 4].sum() == 9


def test_every_door_found_with_its_width(office_extraction: Extraction, office: Facility) -> None:
    found = office_extraction.plans[0].openings
    for door in office.doors:
        near = [o for o in found if np.hypot(o.centre[0] - door.at[0], o.centre[1] - door.at[1]) < 0.2]
        assert len(near) == 1, door.id
        assert abs(near[0].width - door.width) < 0.03, door.id
        assert abs(abs(near[0].direction[0]) - 1.0) < 1e-6  # along the x-aligned wall
