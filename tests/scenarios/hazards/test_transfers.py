"""Transfers come back flat, in the order they were added, with integer indices."""

from __future__ import annotations

import numpy as np

from scenarios.hazards.transfers import Transfers


def test_runs_come_back_in_order() -> None:
    tr = Transfers()
    src, src_l, dst, dst_l, rate = tr.arrays()
    assert src.dtype == np.int64 and src.size == rate.size == 0  # nothing moved: empty, not an error
    tr.move(np.array([2]), np.array([0]), np.array([2]), np.array([1]), np.array([0.5]))
    tr.add((np.array([0, 1]), np.array([1, 1]), np.array([3, 3]), np.array([0, 0]), np.array([1.0, 2.0])))
    src, src_l, dst, dst_l, rate = tr.arrays()
    assert src.tolist() == [2, 0, 1] and src_l.tolist() == [0, 1, 1]
    assert dst.tolist() == [2, 3, 3] and dst_l.tolist() == [1, 0, 0]
    assert rate.tolist() == [0.5, 1.0, 2.0] and dst.dtype == np.int64
