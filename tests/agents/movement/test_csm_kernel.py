"""The compiled step and wall constraint agree with their numpy references on random inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.movement.pedestrians import SpeedModel
from tests.agents.movement.csm_calls import constrained_move, step_directions_speeds
from tests.agents.movement.csm_reference import reference_move, reference_step


def _crowd(seed: int, n: int, rules: bool) -> dict[str, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0.0, 2.0 + n * 0.15, (n, 2))
    ang = rng.uniform(0, 2 * np.pi, n)
    desired = np.column_stack([np.cos(ang), np.sin(ang)])
    desired[rng.random(n) < 0.25] = 0.0  # some stand still
    bed = rng.random(n) < 0.2
    wn_ang = rng.uniform(0, 2 * np.pi, n)
    kw: dict[str, np.ndarray | None] = dict(
        pos=pos, layer=rng.integers(0, 2, n), radius=np.where(bed, 0.5, 0.2), extra=np.where(bed, 0.6, 0.0),
        desired=desired, v0=np.where(np.abs(desired).sum(axis=1) > 0, rng.uniform(0.5, 1.6, n), 0.0),
        wall_dist=rng.uniform(0.1, 3.0, n), wall_normal=np.column_stack([np.cos(wn_ang), np.sin(wn_ang)]))
    if rules:
        o_ang = rng.uniform(0, 2 * np.pi, n)
        # A few exact ties in the remaining distance, as at a door.
        prio = np.round(rng.uniform(0.0, 3.0, n), 1)
        kw.update(group=rng.integers(0, 3, n), priority=prio,
                  orient=np.column_stack([np.cos(o_ang), np.sin(o_ang)]), yielder=~bed,
                  unit=bed & (np.abs(desired).sum(axis=1) > 0), flip=rng.random(n) < 0.3,
                  merger=(rng.random(n) < 0.2) & (np.abs(desired).sum(axis=1) > 0),
                  # some about to join the queue of another group beyond their door
                  join_group=np.where(rng.random(n) < 0.3, rng.integers(0, 3, n), -1),
                  join_priority=np.round(rng.uniform(0.0, 3.0, n), 1))
    return kw


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), rules=st.booleans())
def test_kernel_matches_reference(seed: int, n: int, rules: bool) -> None:
    kw = _crowd(seed, n, rules)
    noise = np.random.default_rng(seed + 1).normal(0.0, 0.1, (n, 2))
    model = SpeedModel()
    e, v, fb = step_directions_speeds(model, rng=np.random.default_rng(seed + 1), **kw)  # type: ignore[arg-type]
    e_ref, v_ref, fb_ref = reference_step(model, noise=noise, **kw)  # type: ignore[arg-type]
    np.testing.assert_allclose(v, v_ref, rtol=0, atol=1e-9)
    # The direction of someone who does not move is immaterial (the kernel skips standing people
    # with nobody walking near them); everything that moves someone must agree.
    moves = v_ref > 0
    np.testing.assert_allclose(e[moves], e_ref[moves], rtol=0, atol=1e-9)
    np.testing.assert_allclose(fb[moves], fb_ref[moves], rtol=0, atol=1e-9)


def test_only_neighbours_on_the_same_level_interact() -> None:
    pos = np.array([[0.0, 0.0], [0.5, 0.0]])
    kw = dict(pos=pos, radius=np.full(2, 0.2), extra=np.zeros(2), desired=np.array([[1.0, 0.0], [1.0, 0.0]]),
              v0=np.full(2, 1.3), wall_dist=np.full(2, 5.0), wall_normal=np.zeros((2, 2)))
    e_same, _, _ = step_directions_speeds(SpeedModel(), layer=np.array([0, 0]), **kw)  # type: ignore[arg-type]
    e_apart, v_apart, _ = step_directions_speeds(SpeedModel(), layer=np.array([0, 1]), **kw)  # type: ignore[arg-type]
    assert e_same[0, 0] < 0.0  # pushed back by the one 0.5 m ahead on its own level
    assert np.allclose(e_apart, [[1.0, 0.0], [1.0, 0.0]]) and np.all(v_apart == 1.3)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 80), with_fallback=st.booleans())
def test_wall_move_matches_reference(seed: int, n: int, with_fallback: bool) -> None:
    rng = np.random.default_rng(seed)
    free = rng.uniform(-0.5, 1.0, (30, 40))  # a cluttered raster
    turn = rng.uniform(-np.pi, np.pi, free.shape)
    slope = np.stack([np.cos(turn), np.sin(turn)], axis=-1) * (rng.uniform(size=free.shape) < 0.9)[..., None]
    gate = np.where(rng.uniform(size=free.shape) < 0.1, rng.uniform(0.0, 0.6, free.shape), np.inf)
    pos = rng.uniform(0.0, 1.0, (n, 2)) * [4.0, 3.0]
    disp = rng.uniform(-0.099, 0.099, (n, 2))
    fallback = rng.uniform(-0.099, 0.099, (n, 2)) if with_fallback else None
    clearance = rng.uniform(0.0, 0.5, n)
    kw = dict(clearance=clearance, x0=0.0, y0=0.0, h=0.1, fallback=fallback, gate=gate)
    np.testing.assert_array_equal(constrained_move(pos, disp, free, slope, **kw),  # type: ignore[arg-type]
                                  reference_move(pos, disp, free, slope, **kw))  # type: ignore[arg-type]
