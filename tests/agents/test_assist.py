"""Staff assignment policies."""

from __future__ import annotations

import numpy as np
import pytest

from agents.assist import choose_patient


def test_by_ward_prefers_own_ward() -> None:
    kw = dict(cand_xy=np.array([[1.0, 0.0], [50.0, 0.0]]), cand_level=np.zeros(2, int),
              cand_ward=np.array([0, 1]), cand_dependency=np.array([1, 1]))
    assert choose_patient("by_ward", np.array([0.0, 0.0]), 0, 1, **kw) == 1
    assert choose_patient("nearest", np.array([0.0, 0.0]), 0, 1, **kw) == 0


def test_other_levels_come_last_and_bad_policy_rejected() -> None:
    kw = dict(cand_xy=np.array([[0.0, 0.0], [30.0, 0.0]]), cand_level=np.array([1, 0]),
              cand_ward=np.zeros(2, int), cand_dependency=np.array([1, 1]))
    assert choose_patient("nearest", np.array([0.0, 0.0]), 0, 0, **kw) == 1
    with pytest.raises(ValueError, match="policy"):
        choose_patient("random", np.array([0.0, 0.0]), 0, 0, **kw)
