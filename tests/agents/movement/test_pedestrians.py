"""The collision-free speed model step and the wall constraint."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.movement.pedestrians import SpeedModel
from tests.agents.movement.csm_calls import constrained_move, step_directions_speeds
from tests.agents.movement.csm_reference import reference_step


def _step(pos: np.ndarray, desired: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(pos)
    e, v, _ = step_directions_speeds(SpeedModel(), pos=pos, layer=np.zeros(n, int), radius=np.full(n, 0.2),
                                  extra=np.zeros(n), desired=desired, v0=np.full(n, 1.3),
                                  wall_dist=np.full(n, 5.0), wall_normal=np.zeros((n, 2)))
    return e, v


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
@given(x=st.floats(0.0, 0.3), y=st.floats(0.1, 0.9), dx=st.floats(-0.09, 0.09), dy=st.floats(-0.09, 0.09))
def test_constrained_move_never_crosses_a_wall(x: float, y: float, dx: float, dy: float) -> None:
    centres = (np.arange(10) + 0.5) * 0.1
    free = np.tile(np.abs(centres - 0.5), (10, 1))  # room beside a wall line at x = 0.5
    slope = np.zeros((10, 10, 2))
    slope[..., 0] = np.sign(centres - 0.5)
    pos = np.array([[x, y]])
    out = constrained_move(pos, np.array([[dx, dy]]), free, slope, clearance=np.array([0.2]), x0=0.0,
                              y0=0.0, h=0.1)
    assert out[0, 0] <= 0.3 + 1e-9  # never nearer the wall than the half width 0.2


def test_walker_steers_round_a_parked_bed_instead_of_stopping() -> None:
    """A bed (radius 0.5, 0.6 m extra length) stands still, slightly off the walker's line.

    The headway gap counts the bed's length, so the walker's repulsion must count it too:
    otherwise it closes to a zero gap and stops for good. It has to get past.
    """
    model = SpeedModel()
    pos = np.array([[0.0, 0.0], [3.0, 0.15]])
    radius, extra = np.array([0.2, 0.5]), np.array([0.0, 0.6])
    for _ in range(400):
        e, v, _ = step_directions_speeds(model, pos=pos, layer=np.zeros(2, int), radius=radius, extra=extra,
                                      desired=np.array([[1.0, 0.0], [0.0, 0.0]]), v0=np.array([1.3, 0.0]),
                                      wall_dist=np.full(2, 5.0), wall_normal=np.zeros((2, 2)))
        pos[0] += e[0] * v[0] * model.dt
        # Never inside the bed's width.
        assert np.hypot(*(pos[0] - pos[1])) >= radius.sum() - 1e-9
    assert pos[0, 0] > 4.0, pos[0]


def _beds(pos: np.ndarray, desired: np.ndarray, orient: np.ndarray | None) -> tuple[np.ndarray, ...]:
    n = len(pos)
    return step_directions_speeds(SpeedModel(), pos=pos, layer=np.zeros(n, int), radius=np.full(n, 0.5),
                                  extra=np.full(n, 0.6), desired=desired, v0=np.full(n, 0.7),
                                  wall_dist=np.full(n, 5.0), wall_normal=np.zeros((n, 2)), orient=orient)


def test_beds_are_long_only_along_their_axis() -> None:
    """Two beds 1.0 m wide pass 1.4 m apart, as in a 2.4 m hospital corridor: both keep going.

    Counted in every direction, their 2.2 m length would turn them away from each other
    (and into the walls) and a hospital corridor could never carry two beds.
    """
    pos = np.array([[0.0, 0.0], [0.3, 1.4]])
    desired = np.array([[1.0, 0.0], [-1.0, 0.0]])
    e, v, _ = _beds(pos, desired, orient=desired.copy())
    assert np.all(v == 0.7)
    assert np.all(np.sum(e * desired, axis=1) > 0.6), e
    e_round, _, _ = _beds(pos, desired, orient=None)
    assert np.all(np.sum(e_round * desired, axis=1) < 0.1), e_round
    # One behind the other on the same axis, 1.5 m apart: the length counts (gap 1.5 - 1.0 - 1.2 < 0).
    e, v, _ = _beds(np.array([[0.0, 0.0], [1.5, 0.0]]), np.array([[1.0, 0.0], [1.0, 0.0]]),
                    orient=np.array([[1.0, 0.0], [1.0, 0.0]]))
    assert v[0] * e[0, 0] <= 0.0 and v[1] == 0.7  # the follower does not close in


def test_walker_in_a_doorway_gives_way_to_a_bed() -> None:
    """A nurse standing 1.6 m in front of a bed coming at her steps aside, then the bed goes on."""
    model = SpeedModel()
    pos = np.array([[0.0, 0.0], [1.6 + 0.5 + 0.6 + 0.2 - 1.0, 0.05]])
    radius, extra = np.array([0.5, 0.2]), np.array([0.6, 0.0])
    orient = np.array([[1.0, 0.0], [0.0, 0.0]])
    moved = 0.0
    for _ in range(200):
        e, v, _ = step_directions_speeds(model, pos=pos, layer=np.zeros(2, int), radius=radius, extra=extra,
                                         desired=np.array([[1.0, 0.0], [0.0, 0.0]]), v0=np.array([0.7, 0.0]),
                                         wall_dist=np.full(2, 5.0), wall_normal=np.zeros((2, 2)),
                                         orient=orient, yielder=np.array([False, True]),
                                         unit=np.array([True, False]))
        step = e * (v * model.dt)[:, None]
        pos = pos + step
        moved += float(step[0, 0])
        assert np.hypot(*(pos[0] - pos[1])) >= 0.7 - 1e-9
    assert pos[1, 1] > 0.3  # stepped off the bed's axis, to the side she was already on
    assert moved > 3.0  # and the bed got past


def test_a_bed_is_not_pushed_on_by_people_standing_behind_it() -> None:
    """Day drill, seed 8: a bed 0.3 m short of a single room's door, with nurses standing at the
    next beds 1.1 m behind it and to one side, was pushed against the door's jamb every step.
    People standing behind a moving unit do not steer it; ahead of it they still do."""
    model = SpeedModel()
    radius, extra = np.array([0.5, 0.2]), np.array([0.6, 0.0])
    orient = np.array([[0.0, 1.0], [0.0, 0.0]])

    def turn(nurse: tuple[float, float]) -> float:
        e, _, _ = step_directions_speeds(model, pos=np.array([[0.0, 0.0], nurse]), layer=np.zeros(2, int),
                                         radius=radius, extra=extra, v0=np.array([0.7, 0.0]),
                                         desired=np.array([[0.0, 1.0], [0.0, 0.0]]),
                                         wall_dist=np.full(2, 5.0), wall_normal=np.zeros((2, 2)),
                                         orient=orient, yielder=np.array([False, True]),
                                         unit=np.array([True, False]))
        return float(e[0, 0])

    assert turn((-0.4, -1.07)) == 0.0  # behind: the bed keeps its heading
    assert turn((-0.4, 1.07)) > 0.1  # ahead: it steers round


@pytest.mark.parametrize("merger", [True, False])
def test_a_walker_keeps_its_headway_to_the_spot_a_merger_claims(merger: bool) -> None:
    """Someone in a side door (0, 0) stepping out southwards, 0.3 m from the door line, claims the
    spot 0.3 + 0.2 m ahead of them, (0, -0.5); a walker of the passing stream 1.0 m short of it
    slows to its headway, (1.0 - 0.4) / T, as the numpy reference says; and walks on at its free
    speed if the one in the door is no merger."""
    model = SpeedModel()
    kw = dict(pos=np.array([[0.0, 0.0], [-1.0, -0.5]]), layer=np.zeros(2, int), radius=np.full(2, 0.2),
              extra=np.zeros(2), desired=np.array([[0.0, -1.0], [1.0, 0.0]]), v0=np.array([0.0, 1.3]),
              wall_dist=np.full(2, 5.0), wall_normal=np.zeros((2, 2)), group=np.array([0, 1]),
              priority=np.array([0.3, 9.0]), merger=np.array([merger, False]))
    _, v, _ = step_directions_speeds(model, **kw)  # type: ignore[arg-type]
    _, v_ref, _ = reference_step(model, **kw)  # type: ignore[arg-type]
    np.testing.assert_allclose(v, v_ref, rtol=0, atol=1e-9)
    expected = (1.0 - 0.4) / model.time_gap if merger else 1.3
    assert v[1] == pytest.approx(expected, abs=0.01)


def test_a_wheelchair_at_a_side_door_claims_room_for_its_length() -> None:
    """A wheelchair (half width 0.35 m, 0.45 m of axis each side of its centre) 0.55 m inside a
    side door, facing out (south), claims the spot 0.55 + 0.35 + 0.45 m ahead of its centre,
    (0, -1.35), and room round it for its length, 0.2 + 0.35 + 0.45 m: a walker of the passing
    stream 1.25 m from it slows to its headway, (1.25 - 1.0) / T (to (1.2 - 0.55) / T had the
    wheelchair claimed a walker's spot, the room a walker needs to step out)."""
    model = SpeedModel()
    kw = dict(pos=np.array([[0.0, 0.0], [-1.2, -1.0]]), layer=np.zeros(2, int), radius=np.array([0.35, 0.2]),
              extra=np.array([0.45, 0.0]), desired=np.array([[0.0, -1.0], [1.0, 0.0]]),
              v0=np.array([0.0, 1.3]),
              wall_dist=np.full(2, 5.0), wall_normal=np.zeros((2, 2)), group=np.array([0, 1]),
              priority=np.array([0.55, 9.0]), merger=np.array([True, False]))
    _, v, _ = step_directions_speeds(model, **kw)  # type: ignore[arg-type]
    _, v_ref, _ = reference_step(model, **kw)  # type: ignore[arg-type]
    np.testing.assert_allclose(v, v_ref, rtol=0, atol=1e-9)
    assert v[1] == pytest.approx((1.25 - 1.0) / model.time_gap, abs=0.05)


def test_head_on_walkers_pass_each_other_on_the_right() -> None:
    """Exactly head on, with no noise: each keeps right and both get past (no nose-to-nose stall)."""
    pos = np.array([[0.0, 0.0], [4.0, 0.0]])
    desired = np.array([[1.0, 0.0], [-1.0, 0.0]])
    for _ in range(200):
        e, v = _step(pos, desired)
        pos = pos + e * (v * 0.05)[:, None]
        assert np.hypot(*(pos[0] - pos[1])) >= 0.4 - 1e-6
    assert pos[0, 0] > 4.0 and pos[1, 0] < 0.0, pos
    assert pos[0, 1] < 0.0 < pos[1, 1]  # each passed on its own right


def test_walker_goes_round_someone_standing_in_the_way() -> None:
    pos = np.array([[0.0, 0.0], [2.0, 0.02]])
    desired = np.array([[1.0, 0.0], [0.0, 0.0]])
    for _ in range(200):
        e, v = step_directions_speeds(SpeedModel(), pos=pos, layer=np.zeros(2, int), radius=np.full(2, 0.2),
                                      extra=np.zeros(2), desired=desired, v0=np.array([1.3, 0.0]),
                                      wall_dist=np.full(2, 5.0), wall_normal=np.zeros((2, 2)))[:2]
        pos = pos + e * (v * 0.05)[:, None]
    assert pos[0, 0] > 4.0 and pos[0, 1] < 0.0, pos  # passed on the free (right) side


def test_walker_passes_a_unit_parked_along_a_wall_on_the_open_side() -> None:
    """A wheelchair parked along the wall at y = 0, its axis a little farther from the wall than the walker.

    Going round "away from its side" would mean into the wall; the walker must take the open side.
    """
    wall_y = 0.0
    pos = np.array([[0.0, 0.5], [2.0, 0.6]])
    radius, extra = np.array([0.2, 0.35]), np.array([0.0, 0.4])
    desired = np.array([[1.0, 0.0], [0.0, 0.0]])
    for _ in range(200):
        wd = pos[:, 1] - wall_y
        e, v, _ = step_directions_speeds(SpeedModel(), pos=pos, layer=np.zeros(2, int), radius=radius,
                                         extra=extra, desired=desired, v0=np.array([1.3, 0.0]), wall_dist=wd,
                                         wall_normal=np.array([[0.0, 1.0], [0.0, 1.0]]),
                                         orient=np.array([[1.0, 0.0], [1.0, 0.0]]))
        new = pos + e * (v * 0.05)[:, None]
        new[:, 1] = np.maximum(new[:, 1], radius)  # the wall
        pos = new
    assert pos[0, 0] > 4.0, pos
