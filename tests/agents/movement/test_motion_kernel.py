"""The compiled movement step and route choice give the same crowd as their numpy reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from agents.movement import motion_kernel as mk
from facility.model import Facility
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.model import State
from scenarios.evacuation.testbeds import stair_tower
from tests.agents.movement.crowd_arrays import crowds
from tests.scenarios.evacuation.drills import ward_drill
from tests.scenarios.evacuation.motion_reference import reference_choose, reference_move

_COMPARED = ("pos", "prev_pos", "state", "lvl", "space", "heading", "orient", "dist", "wait", "best",
             "last_prog", "fid", "stranded", "t_reach", "task")


class _Reference(EvacuationModel):
    """The same model, stepped with the numpy reference of route choice and movement."""

    route_choice = staticmethod(reference_choose)
    movement = staticmethod(reference_move)


def _tower_drill() -> tuple[Facility, list[PersonSpec], EvacParams]:
    people = [PersonSpec(id=f"p{k}", profile=("ambulant" if k % 3 else "walking_aid"), space=f"R{k % 3}")
              for k in range(24)]
    return stair_tower(storeys=3), people, EvacParams(trajectories=False, max_time=600.0)


@pytest.mark.parametrize("drill", [ward_drill, _tower_drill], ids=["ward", "stair_tower"])
def test_compiled_step_matches_reference(drill) -> None:  # type: ignore[no-untyped-def]
    fac, people, params = drill()
    a = EvacuationModel(fac, people, params, np.random.default_rng(5))
    b = _Reference(fac, people, params, np.random.default_rng(5))
    moved = False
    for step in range(3000):
        a.step()
        b.step()
        moved = moved or bool((a.people.pos != a.people.prev_pos).any())
        if step % 25 == 0 or a.done():
            for name in _COMPARED:
                np.testing.assert_array_equal(getattr(a.people, name), getattr(b.people, name),
                                              err_msg=f"{name} at {a.t:.2f} s")
            assert a.people.opt == b.people.opt, f"options at {a.t:.2f} s"
        if a.done():
            break
    assert moved
    assert (a.people.state == State.OUT).sum() >= 5
    assert a.deadlocks == b.deadlocks


def test_people_walking_by_do_not_move_a_fallen_person_aside() -> None:
    """The crowd model lets someone standing step aside for people walking by; someone
    incapacitated lies where they fell, whoever passes (eight walkers had pushed one 10 m along a
    corridor)."""
    from scenarios.evacuation.testbeds import corridor

    fac = corridor(20.0, 2.0)
    people = [PersonSpec(id="down", profile="ambulant", space="K", position=(10.0, 1.0))]
    people += [PersonSpec(id=f"w{k}", profile="ambulant", space="K", premove=0.0,
                          position=(1.0 + 0.6 * k, 0.6 + 0.8 * (k % 2))) for k in range(8)]
    m = EvacuationModel(fac, people, EvacParams(trajectories=False, max_time=120.0), np.random.default_rng(1))
    m.people.state[0] = State.INCAPACITATED
    where = m.people.pos[0].copy()
    while not m.done() and m.t < 120.0:
        m.step()
        np.testing.assert_array_equal(m.people.pos[0], where, err_msg=f"moved at {m.t:.2f} s")
    assert (m.people.state[1:] == State.OUT).all()


@given(crowds())
@settings(max_examples=40, deadline=None)
def test_replan_groups_in_order_of_their_lowest_member(c: dict[str, np.ndarray]) -> None:
    """Who chooses a route: grouped by (space, goal, profile), groups by lowest member, members
    ascending, and every flag cleared."""
    s = c["state"]
    reroute, called = c["flags"][4].copy(), c["flags"][2]
    idx = np.flatnonzero(reroute & (s == State.MOVE) & ~called)
    members, bounds = mk.replan_groups(reroute, s, called, c["space"], c["goal"], c["profile"], 3, 3)
    assert not reroute.any()
    groups = [members[bounds[g]:bounds[g + 1]].tolist() for g in range(bounds.size - 1)]
    key = {k: (c["space"][k], c["goal"][k], c["profile"][k]) for k in idx.tolist()}
    expected: dict[tuple[int, int, int], list[int]] = {}
    for k in idx.tolist():
        expected.setdefault(key[k], []).append(k)
    assert groups == list(expected.values())
