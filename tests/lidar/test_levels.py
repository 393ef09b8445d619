"""Storeys are found from floor and ceiling peaks, bottom to top."""

from __future__ import annotations

import numpy as np

from lidar.levels import split_levels
from lidar.options import ExtractOptions


def _storey(rng: np.random.Generator, floor: float, height: float) -> np.ndarray:
    n = 20000
    slab = rng.uniform([0, 0, 0], [20, 10, 0], size=(n, 3))
    fl = slab + np.array([0.0, 0.0, floor])
    ce = slab + np.array([0.0, 0.0, floor + height])
    walls = rng.uniform([0, 0, floor], [20, 0.01, floor + height], size=(n // 4, 3))
    desks = rng.uniform([2, 2, floor + 0.75], [6, 4, floor + 0.75], size=(n // 10, 3))
    return np.vstack([fl, ce, walls, desks])


def test_two_storeys(rng: np.random.Generator) -> None:
    pts = np.vstack([_storey(rng, 0.0, 3.0), _storey(rng, 4.2, 2.7)]) + rng.normal(0, 0.003, (1, 3))
    levels = split_levels(pts, ExtractOptions())
    assert len(levels) == 2
    # Within one 5 cm histogram bin.
    assert abs(levels[0].floor - 0.0) < 0.05 and abs(levels[0].ceiling - 3.0) < 0.05
    assert abs(levels[1].floor - 4.2) < 0.05 and abs(levels[1].ceiling - 6.9) < 0.05
    assert levels[0].high <= levels[1].low + 1e-9 or levels[0].high <= levels[1].floor
    assert not levels[0].estimated


def test_missing_ceiling_is_estimated(rng: np.random.Generator) -> None:
    s = _storey(rng, 0.0, 2.6)
    no_ceiling = s[s[:, 2] < 2.5]
    (lv,) = split_levels(no_ceiling, ExtractOptions())
    assert "ceiling" in lv.estimated
    assert abs(lv.floor) < 0.03
    assert 2.3 < lv.ceiling <= 2.6
