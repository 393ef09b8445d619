"""Waiting for a lift: people on foot stand in the lobby, off the units' lane, and board in call
order; a full lobby queues outside; a unit is wheeled out past those waiting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import LineString, Point

from agents.movement.routes import Goal
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.goals import set_goal
from scenarios.evacuation.linking import LOBBY_DENSITY, landing_clear, links, lobby_spots
from scenarios.evacuation.model import State
from scenarios.evacuation.placement import respawn
from tests.scenarios.evacuation.test_drill_rules import _lift_block


def _model(people: list[PersonSpec]) -> EvacuationModel:
    return EvacuationModel(_lift_block(), people, EvacParams(lifts="all", trajectories=False),
                           np.random.default_rng(0))


def _lane(m: EvacuationModel, landing: str) -> LineString:
    """The units' lane of the block's landing: from its door through the car's waiting point."""
    car = m.run_state.nav.landing(landing)
    door = next(d for d in m.plan.facility.doors if landing in d.spaces)
    return LineString([door.at, car])


def test_walkers_calling_a_lift_wait_in_the_lobby_and_board_in_call_order() -> None:
    """Eighteen visitors upstairs, with no stair: each who calls the lift stays on the floor, in
    the lobby off the units' lane (or, the lobby full, queued in the corridor outside it), until
    the car has come for them; they board in the order they called, and nobody stalls."""
    n = 18
    people = [PersonSpec(id=f"v{i}", profile="visitor", space="K1",
                         position=(1.0 + i % 9 * 1.2, 6.6 + i // 9 * 1.2), premove=0.0) for i in range(n)]
    m = _model(people)
    pe = m.people
    lane = _lane(m, "LF1")
    lobby, corridor = m.plan.space_ix["LF1"], m.plan.space_ix["K1"]
    area = m.plan.facility.space("LF1").area
    called_at = np.full(n, np.inf)
    boarded_at = np.full(n, np.inf)
    most_in = most_out = 0
    while m.t < 300.0 and np.isinf(boarded_at).any():
        m.step()
        waiting = np.flatnonzero(pe.called)
        called_at[waiting] = np.minimum(called_at[waiting], m.t)
        boarded_at[(pe.state == State.LINK) & np.isinf(boarded_at)] = m.t
        assert (pe.state[waiting] == State.MOVE).all()  # on the floor
        inside = waiting[pe.space[waiting] == lobby]
        assert np.isin(pe.space[waiting], [lobby, corridor]).all()
        for k in inside.tolist():
            assert lane.distance(Point(*pe.pos[k])) >= 0.7 + pe.radius[k] - 0.05  # off the lane
        most_in, most_out = max(most_in, inside.size), max(most_out, waiting.size - inside.size)
    assert np.isfinite(boarded_at).all() and not m.deadlocks
    assert 0 < most_in <= area * LOBBY_DENSITY and most_out > 0
    order = np.argsort(called_at, kind="stable")
    assert np.all(np.diff(boarded_at[order]) >= 0)  # first come, first served
    assert np.all(boarded_at > called_at)


def test_a_caller_sent_elsewhere_withdraws_the_call() -> None:
    """A visitor waiting in the lobby and sent elsewhere (a marshal's call, a new goal) strikes
    their call off and chooses a way again: the car does not wait for them."""
    m = _model([PersonSpec(id="v", profile="visitor", space="K1", position=(10.5, 7.2), premove=0.0)])
    st = m.run_state
    while not m.people.called[0]:
        m.step()
        assert m.t < 60.0
    assert m.people.state[0] == State.MOVE and 0 in st.links.callers
    set_goal(st, 0, st.goals.index(Goal("point", spaces=frozenset(["K1"]), point=(3.0, 7.2))))
    links(st)
    assert not m.people.called[0] and 0 not in st.links.callers
    assert all(c[1] != 0 for lk in st.links.lifts for c in lk.queue)
    assert all(b[2] != 0 for b in st.links.boarding)


def test_a_unit_is_wheeled_out_of_the_car_past_people_waiting_in_the_lobby() -> None:
    """Staff waiting downstairs to go back up stand off the lane: a bed coming down is wheeled out
    of the car beside them, its whole length clear of each."""
    people = [PersonSpec(id="bed", profile="bed", space="W", position=(6.0, 1.5))]
    people += [PersonSpec(id=f"s{i}", profile="staff", space="K0", position=(2.0 + i, 7.2)) for i in range(6)]
    m = _model(people)
    st, pe = m.run_state, m.people
    spots = lobby_spots(st, "LF0", float(pe.clear[1]), inside=True)
    taken: list[np.ndarray] = []
    for k in range(1, 7):
        xy = next(s[:2] for s in spots if all(math.dist(s[:2], o) >= 0.5 for o in taken))
        taken.append(xy)
        pe.pos[k], pe.space[k], pe.state[k], pe.called[k] = xy, m.plan.space_ix["LF0"], State.MOVE, True
    pe.state[0], pe.lvl[0] = State.LINK, 0
    assert landing_clear(st, 0, "LF0")
    assert respawn(st, 0, m.plan.space_ix["LF0"], near=st.nav.landing("LF0"))  # as the car unloads
    (x, y), (ux, uy) = pe.pos[0], pe.orient[0]
    half = float(pe.extra[0])
    body = LineString([(x - half * ux, y - half * uy), (x + half * ux, y + half * uy)])
    for k in range(1, 7):
        assert body.distance(Point(*pe.pos[k])) >= pe.radius[0] + pe.radius[k]
    pe.called[1:] = False  # the same staff, not waiting for a car, keep the unit in
    assert not landing_clear(st, 0, "LF0")


@pytest.mark.parametrize("inside", [True, False])
def test_waiting_spots_keep_out_of_door_bands(inside: bool) -> None:
    m = _model([PersonSpec(id="v", profile="visitor", space="K1", position=(3.0, 7.2))])
    spots = lobby_spots(m.run_state, "LF1", 0.2, inside=inside)
    g = m.plan.grids[m.plan.level_ix["L1"]]
    i, j = g.cell_of(spots[:, :2])
    assert spots.shape[0] > 0 and (m.plan.band_door[m.plan.level_ix["L1"]][i, j] < 0).all()


def test_a_caller_with_no_spot_anywhere_waits_off_the_plane_and_is_still_fetched() -> None:
    """With no waiting spot free in the lobby or outside it, a caller on foot leaves the plane
    (standing on the lane they would keep units from coming out of the car, and the car from
    coming for them) and the car still takes them down."""
    m = _model([PersonSpec(id="v", profile="visitor", space="K1", position=(10.5, 7.2), premove=0.0)])
    st = m.run_state
    for inside in (True, False):
        st.lobby_spots[("LF1", round(float(m.people.clear[0]), 3), inside)] = np.zeros((0, 3))
    while not m.people.called[0]:
        m.step()
        assert m.t < 60.0
    assert m.people.state[0] == State.LINK and 0 not in st.links.callers
    while m.people.state[0] != State.OUT:
        m.step()
        assert m.t < 300.0
    assert m.people.route[0][-1] != "LF1" and "LF0" in m.people.route[0]
