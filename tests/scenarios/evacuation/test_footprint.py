"""The width of a bed or a wheelchair keeps clear of walls, and out of doors too narrow for it.

Measured against the exact wall geometry (shapely), independently of the raster the model
moves on.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from agents.movement.navigation import build_grid
from facility.mobility import BED, STAFF, WHEELCHAIR
from facility.model import Facility
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.model import State
from scenarios.evacuation.testbeds import room, store_on_corridor
from tests.agents.movement.csm_calls import constrained_move

#: Slack (m): near a corner the room between cell centres is known to a few millimetres.
_SLACK = 0.005


def _walls(fac: Facility) -> shapely.Geometry:
    """Wall lines of a one-level testbed: space outlines less door and exit openings."""
    lines = shapely.union_all([s.polygon.boundary for s in fac.spaces])
    cuts = [fac.door_segment(d).buffer(1e-6, cap_style="flat") for d in (*fac.doors, *fac.exits)]
    return lines.difference(shapely.union_all(cuts))


def _push(door_width: float, steps: int = 400) -> tuple[np.ndarray, float]:
    """A bed in the corridor pushed at the store's door 5 cm a step (as a crowd behind it would),
    then wobbled sideways along the wall; its track and its least distance to a wall."""
    fac = store_on_corridor(door_width)
    g = build_grid(fac, "L0", 0.1)
    walls = _walls(fac)
    pos = np.array([[1.6, 1.0]])
    track = [pos[0].copy()]
    least = np.inf
    for k in range(steps):
        push = np.array([[0.0, 0.05]]) if k < steps // 2 else np.array([[0.04 * np.sin(k / 7.0), 0.04]])
        pos = constrained_move(pos, push, g.wall, g.slope, clearance=np.array([BED.clearance]), x0=g.x0,
                               y0=g.y0, h=g.h, fallback=np.array([[-0.03, 0.04]]), gate=g.gate)
        track.append(pos[0].copy())
        least = min(least, shapely.distance(walls, shapely.Point(*pos[0])))
    return np.array(track), float(least)


@pytest.mark.parametrize("width", [0.9, 1.05])
def test_a_bed_pushed_at_a_door_narrower_than_it_needs_never_enters_it(width: float) -> None:
    """Pushed at a store door narrower than the 1.1 m a bed needs for 20 s, a bed never gets
    through: at 0.9 m its sides meet the jambs, at 1.05 m (wide enough for its 1.0 m frame, not
    for the hands pushing it) the door's gate stops it.  The same push takes it through a door
    of the 1.1 m the mobility table gives it."""
    track, least = _push(width)
    assert track[:, 1].max() < 2.0 - 0.1  # never at the door line
    assert least >= BED.radius - _SLACK
    track, least = _push(BED.min_door_width)
    assert track[-1, 1] > 2.5  # in the store
    assert least >= BED.radius - _SLACK


@settings(max_examples=5, deadline=None)
# A wheelchair coming along the wall at a 0.8 m exit, whose centre line crosses a raster cell: it
# stopped 2 cm short of the exit, 4 cm off its centre, pushed by its cell towards the nearer jamb.
@example(unit="wheelchair", w=7.89, d=5.42, spare=0.0, fx=0.125, fy=1.0, side=False)
# A nurse held up behind a wheelchair being prepared in front of the exit took a detour round it,
# and kept it once the wheelchair had left: she stood for good in the empty room.
@example(unit="wheelchair", w=5.0, d=5.0, spare=0.0, fx=1.0, fy=0.5, side=True)
# The other nurse waited by the exit while the wheelchair in front of it was prepared, a minute:
# waiting for a unit in the doorway ahead, not deadlocked (portals.unit_in_doorway).
@example(unit="wheelchair", w=5.0, d=4.0, spare=0.0, fx=1.0, fy=0.5, side=True)
@given(unit=st.sampled_from(["bed", "wheelchair"]), w=st.floats(5.0, 9.0), d=st.floats(4.0, 7.0),
       spare=st.floats(0.0, 0.5), fx=st.floats(0.0, 1.0), fy=st.floats(0.0, 1.0), side=st.booleans())
def test_a_unit_width_never_overlaps_a_wall_on_its_way_out(  # noqa: PLR0917 - drawn by hypothesis
        unit: str, w: float, d: float, spare: float, fx: float, fy: float, side: bool) -> None:
    """Random rooms with an exit at least as wide as the unit needs, on the east or north wall:
    the unit gets out with its staff, and at no step does its width overlap a wall.

    The staff stand in the west corners, clear of the unit whichever way it faces: one drawn
    inside a wheelchair's footprint was pushed out into the corner behind it, and stood there
    for the minute its preparation took."""
    mob = BED if unit == "bed" else WHEELCHAIR
    width = mob.min_door_width + spare
    exit_at = (w, d / 2) if side else (w / 2, d)
    fac = room(w, d, [("E", *exit_at, width)])
    reach = mob.radius + mob.extra + 0.05
    start = (reach + fx * (w - 2 * reach), reach + fy * (d - 2 * reach))
    corners = [(0.5, 0.5), (0.5, d - 0.5)]
    clear = math.hypot(mob.radius, mob.radius + mob.extra) + STAFF.radius
    assume(all(math.dist(start, c) > clear for c in corners))
    people = [PersonSpec(id="u", profile=unit, space="R", position=start),
              *(PersonSpec(id=f"s{k}", profile="staff", space="R", position=c, premove=0.0)
                for k, c in enumerate(corners, 1))]
    m = EvacuationModel(fac, people, EvacParams(max_time=400.0, trajectories=False), np.random.default_rng(1))
    walls = _walls(fac)
    while not m.done() and m.t < m.run_state.p.max_time:
        m.step()
        if m.people.state[0] != State.OUT:
            gap = shapely.distance(walls, shapely.Point(*m.people.pos[0]))
            assert gap >= mob.radius - _SLACK, f"{mob.radius - gap:.3f} m into a wall at {m.t:.2f} s"
    assert (m.people.state == State.OUT).all()
    assert not m.deadlocks

