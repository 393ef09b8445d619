"""Standoffs between people heading for different portals: who backs off."""

from __future__ import annotations

import numpy as np

from agents.movement.standoffs import back_off, standoff_rounds


def _kw(**over: np.ndarray) -> dict[str, np.ndarray]:
    kw = {"pos": np.array([[0.0, 0.0], [1.2, 0.0], [8.0, 0.0]]), "lvl": np.zeros(3, np.int64),
          "reach": np.array([1.1, 1.1, 0.2]), "dist": np.array([0.2, 10.0, 3.0]),
          "portal": np.array([1, 2, 3]), "unit": np.array([True, True, False])}
    kw.update(over)
    return kw


def test_of_two_units_in_contact_the_one_farther_from_its_portal_backs_off() -> None:
    """A bed in a bay door (0.2 m from it) and a bed passing in the corridor (10 m from its door)."""
    assert back_off(np.array([0, 1, 2]), **_kw(), contact=0.5).tolist() == [1]


def test_nobody_backs_off_in_a_queue_for_one_portal_or_apart_or_on_another_level() -> None:
    stalled = np.array([0, 1, 2])
    assert back_off(stalled, **_kw(portal=np.array([2, 2, 3])), contact=0.5).size == 0
    assert back_off(stalled, **_kw(pos=np.array([[0.0, 0.0], [5.0, 0.0], [8.0, 0.0]])), contact=0.5).size == 0
    assert back_off(stalled, **_kw(lvl=np.array([0, 1, 0])), contact=0.5).size == 0


def test_two_units_abreast_for_one_portal_are_a_standoff_and_two_in_line_are_a_queue() -> None:
    """Day drill, seed 10: two beds out of facing rooms side by side in a corridor, half turned,
    both bound for its smoke door: the one farther from it backs off.  Two beds one behind the
    other for that door are a queue, left to the speed model."""
    stalled = np.array([0, 1])
    east = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    side_by_side = _kw(pos=np.array([[23.1, 9.5], [23.7, 7.9], [40.0, 8.0]]), portal=np.array([4, 4, 3]),
                       reach=np.full(3, 1.1), dist=np.array([23.9, 23.2, 9.0]))
    assert back_off(stalled, **side_by_side, contact=0.5, extra=np.full(3, 0.6), orient=east).tolist() == [0]
    assert back_off(stalled, **side_by_side, contact=0.5).size == 0  # no footprints: not told
    in_line = {**side_by_side, "pos": np.array([[20.9, 8.7], [23.2, 8.7], [40.0, 8.0]])}
    assert back_off(stalled, **in_line, contact=0.5, extra=np.full(3, 0.6), orient=east).size == 0


def test_two_walkers_are_left_to_the_speed_model() -> None:
    assert back_off(np.array([0, 1]), **_kw(unit=np.array([False, False, False])), contact=0.5).size == 0


def test_on_a_tie_the_higher_index_backs_off() -> None:
    assert back_off(np.array([0, 1]), **_kw(dist=np.array([4.0, 4.0, 1.0])), contact=0.5).tolist() == [1]


def test_if_backing_off_got_nowhere_the_two_take_turns() -> None:
    """Day drill, seed 1: a bed pushed into a store's doorway, a wall behind it, was asked to back
    off for a visitor in the store again and again, and neither moved for the rest of the drill.
    After two rounds (both still stalled) the other one backs off, then they take turns."""
    stalled = np.array([0, 1, 2])
    rounds = standoff_rounds(30.0, np.array([7.0, 0.0, 0.0]), 15.0, 4.0)
    assert rounds.tolist() == [2, 3, 3]  # 8, 15 and 15 s into their standoffs
    picks = [back_off(stalled, **_kw(), contact=0.5, rounds=np.array([r, 0, 0])).tolist() for r in range(6)]
    assert picks == [[1], [1], [0], [1], [0], [1]]


def test_who_yields_backs_off_only_if_it_stands_in_the_others_way() -> None:
    """Day drill, seed 3: a wheelchair in a clean room's doorway, facing out (south), and the
    queue for the east stair walking east past it in the corridor.  In the rounds where the one
    nearer its portal yields, the wheelchair backed into the room for someone whose way it was
    not in.  It yields to someone it stands in front of, not to someone already past it."""
    stalled = np.array([0, 1])
    orient = np.array([[0.0, -1.0], [1.0, 0.0], [1.0, 0.0]])
    kw = _kw(reach=np.array([0.8, 0.25, 0.25]), dist=np.array([0.5, 20.0, 3.0]), portal=np.array([1, 2, 3]))
    extra = np.array([0.45, 0.0, 0.0])
    swapped_round = np.array([2, 2, 0])  # the one nearer its portal (the wheelchair) is asked
    past = {**kw, "pos": np.array([[0.0, 1.0], [0.9, 0.0], [9.0, 9.0]])}
    coming = {**kw, "pos": np.array([[0.0, 1.0], [-0.9, 0.0], [9.0, 9.0]])}
    assert back_off(stalled, **past, contact=0.5, rounds=swapped_round, extra=extra, orient=orient).size == 0
    assert back_off(stalled, **coming, contact=0.5, rounds=swapped_round, extra=extra,
                    orient=orient).tolist() == [0]
    # Without footprints (no orientations to tell a lane by), as before: the wheelchair is asked.
    assert back_off(stalled, **past, contact=0.5, rounds=swapped_round).tolist() == [0]
