"""Who squeezes past whom (agents.movement.squeezing)."""

from __future__ import annotations

import numpy as np

from agents.movement.squeezing import squeeze_pairs

EAST, WEST, NORTH = (1.0, 0.0), (-1.0, 0.0), (0.0, 1.0)


def _pairs(pos: list[tuple[float, float]], heading: list[tuple[float, float]], ks: list[int],
           space: list[int] | None = None) -> list[tuple[int, int]]:
    n = len(pos)
    others = np.array([i for i in range(n) if i not in ks], np.int64)
    return squeeze_pairs(np.array(ks, np.int64), others, pos=np.array(pos, float), radius=np.full(n, 0.25),
                         heading_of=np.array(heading, float),
                         space=np.zeros(n, np.int64) if space is None else np.array(space), reach=0.15)


def test_the_oncoming_walker_just_ahead_is_passed() -> None:
    assert _pairs([(0, 0), (0.6, 0.0), (1.1, 0.0)], [EAST, WEST, WEST], [0]) == [(0, 1)]


def test_nobody_heading_the_same_way_or_across_is_passed() -> None:
    assert _pairs([(0, 0), (0.6, 0.0)], [EAST, EAST], [0]) == []
    assert _pairs([(0, 0), (0.6, 0.0)], [EAST, NORTH], [0]) == []


def test_nobody_behind_out_of_reach_or_in_another_space_is_passed() -> None:
    assert _pairs([(0, 0), (-0.6, 0.0)], [EAST, WEST], [0]) == []
    assert _pairs([(0, 0), (0.8, 0.0)], [EAST, WEST], [0]) == []  # 0.3 m apart: not in the way
    assert _pairs([(0, 0), (0.6, 0.0)], [EAST, WEST], [0], space=[0, 1]) == []


def test_a_walker_changes_places_with_one_staff_member_at_most() -> None:
    # two staff side by side behind the same walker: the first (in index order) goes
    assert _pairs([(0, 0), (0, 0.1), (0.55, 0.05)], [EAST, EAST, WEST], [0, 1]) == [(0, 2)]
