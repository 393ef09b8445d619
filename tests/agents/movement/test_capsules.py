"""Distances between bodies' long axes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agents.movement.capsules import axis_ends, point_gaps, segment_gaps

_coord = st.floats(-5.0, 5.0, allow_nan=False)


def test_the_ends_of_a_bed_axis_lie_its_reach_either_way_of_its_centre() -> None:
    a, b = axis_ends(np.array([[1.0, 2.0]]), np.array([[0.0, 2.0]]), np.array([0.6]))
    assert a.tolist() == [[1.0, 1.4]] and b.tolist() == [[1.0, 2.6]]
    a, b = axis_ends(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]), 0.5)  # no axis: along x
    assert a.tolist() == [[0.5, 2.0]] and b.tolist() == [[1.5, 2.0]]


def test_known_gaps() -> None:
    def gap(*xy: float) -> float:
        return float(segment_gaps(*(np.array(xy[i:i + 2]) for i in range(0, 8, 2))))

    assert gap(0, 0, 2, 0, 0, 1, 2, 1) == pytest.approx(1.0)  # side by side
    assert gap(0, 0, 2, 2, 0, 2, 2, 0) == 0.0  # crossing
    assert gap(0, 0, 1, 0, 3, 4, 3, 4) == pytest.approx(np.hypot(2.0, 4.0))  # to a point
    assert gap(0, 0, 0, 0, 3, 4, 3, 4) == pytest.approx(5.0)  # two points


@settings(max_examples=200, deadline=None)
@given(st.lists(_coord, min_size=8, max_size=8))
def test_the_gap_is_the_least_distance_between_points_of_the_two(c: list[float]) -> None:
    a0, a1, b0, b1 = (np.array(c[i:i + 2]) for i in range(0, 8, 2))
    s = np.linspace(0.0, 1.0, 401)[:, None]
    pa, pb = a0 + s * (a1 - a0), b0 + s * (b1 - b0)
    sampled = np.hypot(*(pa[:, None, :] - pb[None, :, :]).transpose(2, 0, 1)).min()
    gap = float(segment_gaps(a0, a1, b0, b1))
    step = max(np.hypot(*(a1 - a0)), np.hypot(*(b1 - b0))) / 400
    assert gap <= sampled + 1e-9
    assert gap >= sampled - step - 1e-9


@settings(max_examples=100, deadline=None)
@given(st.lists(_coord, min_size=6, max_size=6))
@example([0.0, 3.0, 0.0, -1.8173738440784954, 0.0, 0.0])  # the two differ in the last bit here
def test_a_point_is_as_far_from_a_segment_as_segment_gaps_says(c: list[float]) -> None:
    p, a0, a1 = (np.array(c[i:i + 2]) for i in range(0, 6, 2))
    expected = float(segment_gaps(a0, a1, p, p))
    assert float(point_gaps(p, a0, a1)) == pytest.approx(expected, rel=1e-12, abs=1e-12)
