"""The compiled selections of a step's parts pick exactly whom their array expressions pick."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from agents.movement import selections as sel
from agents.movement.behaviour import Behaviour
from agents.movement.doorways import GO, DoorTurns, turns
from agents.movement.motion_kernel import crowd_counts
from agents.movement.standoffs import SWAP_AFTER, back_off
from agents.movement.states import State, table
from tests.agents.movement.crowd_arrays import crowds


@given(crowds())
@settings(max_examples=40, deadline=None)
def test_selections_equal_their_array_expressions(c: dict[str, np.ndarray]) -> None:
    s, fid, t = c["state"], c["fid"], 10.0
    dead, stranded, called, staff = c["flags"][:4]
    walking = (s == State.MOVE) & (fid >= 0)
    np.testing.assert_array_equal(sel.door_walkers(s, fid, c["opt_door"], c["dist"], 3.0),
                                  np.flatnonzero(walking & (c["opt_door"] >= 0) & (c["dist"] < 3.0)))
    np.testing.assert_array_equal(
        sel.stalled_walkers(s, fid, c["last_prog"], c["backing_until"], t, 4.0),
        np.flatnonzero(walking & (t - c["last_prog"] > 4.0) & (c["backing_until"] <= t)))
    hold = np.zeros(s.size, np.int64)
    sel.mark_backing(s, fid, c["backing_until"], t, hold, 2)
    np.testing.assert_array_equal(hold, np.where(walking & (c["backing_until"] > t), 2, 0))
    np.testing.assert_array_equal(
        sel.stuck_walkers(s, c["last_prog"], dead, stranded, called, t, 0.5),
        np.flatnonzero((s == State.MOVE) & (t - c["last_prog"] > 0.5) & ~dead & ~stranded & ~called))
    goal, evac = c["goal"], c["evac"]
    out = (s == State.MOVE) & (goal >= 0) & evac[np.maximum(goal, 0)]
    np.testing.assert_array_equal(sel.free_staff_rows(staff, c["task"], s, goal, evac),
                                  np.flatnonzero(staff & (c["task"] < 0) & ((s == State.HOLD) | out)))
    for level in range(3):
        units = (c["need"] > 0) & np.isnan(c["stair_f"]) & (c["lvl"] == level) & (s == State.MOVE)
        assert sel.lift_units(c["need"], c["stair_f"], c["lvl"], s, level) == np.count_nonzero(units)
    near = (s == State.MOVE) & (fid >= 0) & (c["dist"] < 3.0)
    np.testing.assert_array_equal(crowd_counts(s, fid, c["dist"], 3.0), np.bincount(fid[near]))
    on = np.flatnonzero(c["flags"][5])
    cell_space, cell_exit = c["space"][::-1][on] - 1, c["opt_door"][on]
    other = (cell_space >= 0) & (cell_space != c["space"][on])
    standing = (s[on] == State.PRE) | (s[on] == State.HOLD)
    crossed = ((s[on] == State.MOVE) & ((cell_exit >= 0) | other)) | (standing & other)
    assert sel.any_crossing(s, c["space"], on, cell_space, cell_exit) == crossed.any()
    corridor = np.array([True, False, True, False])
    space, dist, door = c["space"], c["dist"], c["opt_door"]
    np.testing.assert_array_equal(
        sel.leaving_rooms(s, door, goal, dist, 3.0, evac, corridor, space),
        np.flatnonzero((s == State.MOVE) & (door >= 0) & (goal >= 0) & (dist < 3.0)
                       & evac[np.maximum(goal, 0)] & ~corridor[space]))
    hold, squeezed = c["profile"], c["backing_until"]
    np.testing.assert_array_equal(
        sel.held_up_staff(s, c["need"], fid, hold, staff, c["task"], c["last_prog"], squeezed, corridor,
                          space, t, 2.0, 1.5, GO),
        np.flatnonzero(staff & (c["task"] >= 0) & (s == State.MOVE) & (c["need"] == 0) & (fid >= 0)
                       & (hold == GO) & (t - c["last_prog"] > 2.0) & (t - squeezed >= 1.5) & corridor[space]))
    np.testing.assert_array_equal(sel.in_state(s, table(State.PRE, State.HOLD)),
                                  np.flatnonzero((s == State.PRE) | (s == State.HOLD)))
    for code in (State.MOVE, State.FETCH):
        np.testing.assert_array_equal(sel.on_task(staff, s, c["task"], int(code)),
                                      np.flatnonzero(staff & (s == code) & (c["task"] >= 0)))
    times = c["last_prog"] + 0.5  # a time per person, some before t and some after
    np.testing.assert_array_equal(sel.prepared(s, times, t), np.flatnonzero((s == State.PREP) & (t >= times)))
    np.testing.assert_array_equal(sel.set_off_now(s, times, c["need"], t),
                                  np.flatnonzero((s == State.PRE) & ((t >= times) | (c["need"] > 0))))
    left_behind = c["flags"][4]
    active = (s != State.OUT) & (s != State.INCAPACITATED) & ~stranded & ~left_behind
    assert sel.any_active(s, stranded, left_behind) == active.any()
    pos = np.column_stack([c["dist"], c["last_prog"]])
    prev = np.where(c["flags"][3][:, None], pos + 0.1, pos)
    standing = (s == State.HOLD) | (s == State.FETCH)
    np.testing.assert_array_equal(sel.pushed(s, pos, prev, table(State.HOLD, State.FETCH)),
                                  np.flatnonzero(standing & (pos != prev).any(axis=1)))


@given(crowds())
@settings(max_examples=40, deadline=None)
def test_quiet_doors_are_what_the_doorway_turns_leave_alone(c: dict[str, np.ndarray]) -> None:
    """Where no door has people of both sides or two units near it, the doorway turns tell
    everyone to go and only note each door's side, as :func:`doors_quiet` does; otherwise some
    door has."""
    door = np.maximum(c["opt_door"], 0)
    walkers = np.flatnonzero(c["flags"][5])
    side = c["space"] // 2  # few sides: both kinds of door are common
    rng = np.random.default_rng(int(c["task"].sum()) + door.size)
    before = DoorTurns(turn=rng.integers(-1, 2, 4), waiting_since=rng.choice([np.nan, 3.0], 4))
    mine = DoorTurns(before.turn.copy(), before.waiting_since.copy())
    quiet = sel.doors_quiet(walkers, door, side, c["need"], mine.turn, mine.waiting_since)
    theirs = DoorTurns(before.turn.copy(), before.waiting_since.copy())
    code = turns(theirs, 10.0, walkers=walkers, door=door[walkers], in_band=c["flags"][0][walkers],
                 side=side[walkers], dist=np.full(walkers.size, 1.0), evacuee=c["flags"][1][walkers],
                 width=np.full(walkers.size, 0.5), reach=np.full(walkers.size, 0.3),
                 unit=c["need"][walkers] > 0, door_width=np.full(4, 0.9), behaviour=Behaviour())
    if quiet:
        assert (code == GO).all()
        np.testing.assert_array_equal(mine.turn, theirs.turn)
        np.testing.assert_array_equal(mine.waiting_since, theirs.waiting_since)
    else:
        busy = [np.unique(side[walkers[door[walkers] == d]]).size > 1
                or np.count_nonzero(c["need"][walkers[door[walkers] == d]] > 0) >= 2 for d in range(4)]
        assert any(busy)


@given(crowds())
@settings(max_examples=40, deadline=None)
def test_backing_off_is_the_standoff_rule(c: dict[str, np.ndarray]) -> None:
    """The compiled pass picks whom :func:`agents.movement.standoffs.back_off` picks."""
    n = c["state"].size
    rng = np.random.default_rng(int(c["goal"].sum()) + n)
    pos = rng.integers(0, 8, (n, 2)) * 0.4  # on a coarse lattice: contacts, ties and equal points
    radius, extra = np.full(n, 0.25), np.where(c["need"] > 0, 0.8, 0.0)
    portal_of_field = rng.integers(0, 3, 6)
    stalled = np.flatnonzero(c["flags"][0])
    fid = c["fid"]
    rounds = rng.integers(0, 5, n)
    angle = rng.integers(0, 8, n) * np.pi / 4  # along, across and diagonal to the lattice
    orient = np.column_stack([np.cos(angle), np.sin(angle)])
    expected = back_off(stalled, pos=pos, lvl=c["lvl"], reach=radius + extra, dist=c["dist"],
                        portal=np.where(fid >= 0, portal_of_field[np.maximum(fid, 0)], -1),
                        unit=c["need"] > 0, contact=0.3, rounds=rounds, extra=extra, orient=orient)
    got = sel.backing_off(stalled, pos, c["lvl"], radius, extra, orient, c["dist"], fid, portal_of_field,
                          c["need"], 0.3, rounds, SWAP_AFTER)
    np.testing.assert_array_equal(got, expected)
