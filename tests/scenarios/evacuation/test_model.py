"""Evacuation model rules that keep rooms from locking up: clear doorways at the start, whole teams."""

from __future__ import annotations

import numpy as np

from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.model import DOOR_KEEP_CLEAR, State
from scenarios.evacuation.testbeds import ward


def test_random_placement_keeps_doors_clear() -> None:
    fac = ward(rooms=2, beds_per_room=2)
    people = [PersonSpec(id=f"p{k}", profile=("bed" if k % 2 == 0 else "ambulant"), space=f"W{k % 2}")
              for k in range(4)]
    for seed in range(10):
        m = EvacuationModel(fac, people, EvacParams(trajectories=False), np.random.default_rng(seed))
        for k, p in enumerate(people):
            door = fac.door(f"WD{p.space[1]}")
            reach = m.radius[k] + m.extra[k] + DOOR_KEEP_CLEAR
            assert np.hypot(*(m.pos[k] - np.array(door.at))) >= reach - 0.1 * np.sqrt(2), (seed, p.id)
        # Nobody starts inside a bed's length either.
        for a in range(4):
            for b in range(a + 1, 4):
                need = m.radius[a] + m.extra[a] + m.radius[b] + m.extra[b]
                assert np.hypot(*(m.pos[a] - m.pos[b])) >= need - 1e-9, (seed, a, b)


def test_free_staff_complete_a_started_team_first() -> None:
    """Two beds each need two staff; two free staff, each next to a different bed.

    Nearest-first alone sends them to different beds, where each would wait for ever for a
    second pair of hands. They must both go to the same bed.
    """
    fac = ward(rooms=2, beds_per_room=1)
    people = [PersonSpec(id="b0", profile="bed", space="W0", position=(2.0, 2.5)),
              PersonSpec(id="b1", profile="bed", space="W1", position=(6.0, 2.5)),
              PersonSpec(id="s0", profile="staff", space="KA", position=(2.0, 6.2), premove=0.0),
              PersonSpec(id="s1", profile="staff", space="KA", position=(6.0, 6.2), premove=0.0)]
    m = EvacuationModel(fac, people, EvacParams(strategy="horizontal", fire_compartments=("A",),
                                                trajectories=False, max_time=900.0),
                        np.random.default_rng(0))
    while not (m.task[2:] >= 0).all():
        m.step()
    assert m.task[2] == m.task[3]
    m.run()
    assert (m.state == State.REFUGE).all()
    assert not m.deadlocks
