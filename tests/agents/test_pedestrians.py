"""The collision-free speed model step and the wall constraint."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.pedestrians import SpeedModel, constrained_move, step_directions_speeds


def _step(pos: np.ndarray, desired: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(pos)
    return step_directions_speeds(SpeedModel(), pos=pos, layer=np.zeros(n, int), radius=np.full(n, 0.2),
                                  extra=np.zeros(n), desired=desired, v0=np.full(n, 1.3),
                                  wall_dist=np.full(n, 5.0), wall_normal=np.zeros((n, 2)))


def test_speed_follows_gap_over_time_gap() -> None:
    """Follower 1.0 m behind a standing leader: v = (1.0 - 0.4) / T."""
    pos = np.array([[0.0, 0.0], [1.0, 0.0]])
    _, v = _step(pos, np.array([[1.0, 0.0], [1.0, 0.0]]))
    assert v[0] == np.clip((1.0 - 0.4) / SpeedModel().time_gap, 0, 1.3)
    assert v[1] == 1.3  # nobody ahead of the leader


def test_head_on_pair_never_overlaps() -> None:
    pos = np.array([[0.0, 0.0], [3.0, 0.0]])
    for _ in range(200):
        e, v = _step(pos, np.array([[1.0, 0.0], [-1.0, 0.0]]))
        pos = pos + e * (v * 0.05)[:, None]
        assert np.hypot(*(pos[0] - pos[1])) >= 0.4 - 1e-6


@settings(max_examples=40, deadline=None)
@given(x=st.floats(0.05, 0.95), y=st.floats(0.05, 0.95), dx=st.floats(-0.09, 0.09), dy=st.floats(-0.09, 0.09))
def test_constrained_move_never_enters_blocked_cells(x: float, y: float, dx: float, dy: float) -> None:
    free = np.ones((10, 10))
    free[:, 5] = -1.0  # a wall one cell thick
    pos = np.array([[x * 0.45, y]])
    out = constrained_move(pos, np.array([[dx, dy]]), free, clearance=np.array([0.0]), x0=0.0, y0=0.0, h=0.1)
    j = int(out[0, 0] / 0.1)
    assert free[int(out[0, 1] / 0.1), j] >= 0.0


def test_walker_steers_round_a_parked_bed_instead_of_stopping() -> None:
    """A bed (radius 0.5, 0.6 m extra length) stands still, slightly off the walker's line.

    The headway gap counts the bed's length, so the walker's repulsion must count it too:
    otherwise it closes to a zero gap and stops for good. It has to get past.
    """
    model = SpeedModel()
    pos = np.array([[0.0, 0.0], [3.0, 0.15]])
    radius, extra = np.array([0.2, 0.5]), np.array([0.0, 0.6])
    for _ in range(400):
        e, v = step_directions_speeds(model, pos=pos, layer=np.zeros(2, int), radius=radius, extra=extra,
                                      desired=np.array([[1.0, 0.0], [0.0, 0.0]]), v0=np.array([1.3, 0.0]),
                                      wall_dist=np.full(2, 5.0), wall_normal=np.zeros((2, 2)))
        pos[0] += e[0] * v[0] * model.dt
        # Never inside the bed's width.
        assert np.hypot(*(pos[0] - pos[1])) >= radius.sum() - 1e-9
    assert pos[0, 0] > 4.0, pos[0]
