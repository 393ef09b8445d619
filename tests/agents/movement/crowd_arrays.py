"""A Hypothesis strategy for the arrays a step's parts read: a random small crowd."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from agents.movement.states import State

__all__ = ["crowds"]


@st.composite
def crowds(draw: st.DrawFn) -> dict[str, np.ndarray]:
    """A random crowd's step arrays: states, fields, doors, distances, times and flags."""
    n = draw(st.integers(0, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return {
        "state": rng.integers(0, len(State), n), "fid": rng.integers(-1, 6, n),
        "opt_door": rng.integers(-1, 4, n),
        "dist": rng.choice([0.5, 2.0, 5.0, np.inf], n), "last_prog": rng.choice([0.0, 5.0, 9.0, 10.0], n),
        "backing_until": rng.choice([0.0, 10.0, 12.0], n), "flags": rng.random((6, n)) < 0.3,
        "space": rng.integers(0, 4, n), "goal": rng.integers(-1, 3, n), "profile": rng.integers(0, 3, n),
        "task": rng.integers(-1, 3, n), "need": rng.integers(0, 3, n), "lvl": rng.integers(0, 3, n),
        "stair_f": rng.choice([1.0, np.nan], n), "evac": rng.random(3) < 0.5}
