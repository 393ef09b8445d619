"""Route choice: doors whose way on runs back through the current space are detours.

The bug these guard against: a person standing in a room door, just on the
corridor side, saw the room's door as a way out (the graph path beyond it runs
back through the same door), stepped back into the room, chose the door again
and so on for ever.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.movement.fields import Field
from agents.movement.navigation import build_grid
from agents.movement.routes import FieldStore, Goal, Navigator
from agents.occupants import profile
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.testbeds import rooms_on_corridor


def _options(space: str, goal: Goal) -> dict[str, bool]:
    fac = rooms_on_corridor(12)
    nav = Navigator(fac, {"L0": build_grid(fac, "L0")})
    q = profile("visitor")
    opts = nav.options(space, goal, speed=q.speed[0], stairs=q.stairs, min_width=q.mobility.min_door_width,
                       clearance=q.clearance)
    return {o.ref: o.back for o in opts}


@pytest.mark.parametrize("goal", [Goal("exit"), Goal("exit", exits=frozenset(["O"]))])
def test_dead_end_rooms_are_detours_from_the_corridor(goal: Goal) -> None:
    opts = _options("K", goal)
    rooms = [f"D{r}" for r in range(12)]
    assert all(opts[d] for d in rooms), opts
    assert not any(opts[e] for e in opts if e not in rooms)


def test_the_way_out_of_a_room_is_not_a_detour() -> None:
    assert _options("R8", Goal("exit", exits=frozenset(["O"]))) == {"D8": False}


def test_a_door_into_the_goal_is_never_a_detour() -> None:
    opts = _options("K", Goal("spaces", spaces=frozenset(["R3"])))
    assert opts["D3"] is False


@pytest.mark.parametrize("seed", [0, 1])
def test_person_in_a_doorway_walks_on_to_the_allocated_exit(seed: int) -> None:
    """Start exactly where the old flip trapped people: in the opening, just on the corridor side."""
    fac = rooms_on_corridor(12)
    # Door D8 joins room R8 (y 6-10) and the corridor (y 4-6) at (10, 6).
    people = [PersonSpec(id="a", profile="visitor", space="K", position=(10.2, 5.95), premove=0.0, exit="O",
                         speed=1.0)]
    m = EvacuationModel(fac, people, EvacParams(max_time=60.0, trajectories=False),
                        np.random.default_rng(seed))
    m.run()
    assert m.people.exit_used == ["O"]
    # 14 m to the east exit at 1 m/s; the walk must not start with a detour into the room.
    assert float(m.people.t_reach[0]) < 20.0
    assert m.people.route[0] == ["K"]


def test_a_field_from_a_corridor_leads_back_from_over_a_side_door_line() -> None:
    """Someone counted in the corridor whom the crowd pushed over a side room's door line (the far
    half of the door's band) has the corridor's way on from there, back over the line: before,
    every corridor field but the room door's was unreachable there, so the only way on was into
    the room (day seed 0: a visitor pushed 6 cm into a full bay's doorway took the door's turn
    and stood in it, and the forty people in the bay waited on the turn)."""
    fac = rooms_on_corridor(12)
    g = build_grid(fac, "L0")
    nav = Navigator(fac, {"L0": g})
    q = profile("visitor")
    opts = nav.options("K", Goal("exit", exits=frozenset(["O"])), speed=q.speed[0], stairs=q.stairs,
                       min_width=q.mobility.min_door_width, clearance=q.clearance)
    way_out = next(o for o in opts if o.ref == "O")
    # Door D8 joins room R8 (y 6-10) and the corridor (y 4-6) at (10, 6): 5 cm over its line.
    i, j = g.cell_of(np.array([[10.0, 6.05]]))
    assert g.space_ids[g.space[i[0], j[0]]] == "R8"
    d, v = nav.fields.lookup(np.array([way_out.field]), i, j)
    assert np.isfinite(d[0])
    assert v[0, 1] < 0.0  # back towards the corridor


def test_a_field_store_that_outgrows_its_buffers_keeps_every_field() -> None:
    """Made for a few cells only, the store grows its buffers as fields come, and each field reads
    back as it was added, the first ones included (the default reserve is rarely outgrown)."""
    rng = np.random.default_rng(0)
    store = FieldStore(reserve=8)
    fields = [Field(int(i0), int(j0), rng.random((3 + k, 2 + k)), rng.random((3 + k, 2 + k, 2)))
              for k, (i0, j0) in enumerate([(0, 0), (5, 2), (1, 7), (9, 9)])]
    ids = [store.add(f) for f in fields]
    assert store.flat_d.size > 8
    for fid, f in zip(ids, fields, strict=True):
        ii, jj = np.meshgrid(np.arange(f.dist.shape[0]), np.arange(f.dist.shape[1]), indexing="ij")
        d, v = store.lookup(np.full(ii.size, fid), ii.ravel() + f.i0, jj.ravel() + f.j0)
        assert np.array_equal(d, f.dist.ravel())
        assert np.array_equal(v, f.direction.reshape(-1, 2))
