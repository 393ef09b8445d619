"""Level rasters: walls, room, gates and door bands."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.movement.csm_kernel import footprint_room, room_at, room_reached
from agents.movement.fields import compute_field
from agents.movement.navigation import EXACT_REACH, build_grid, footprints, opening_room
from facility.mobility import BED, MOBILITIES, STAFF
from facility.model import Facility
from scenarios.evacuation.testbeds import room, store_on_corridor
from tests.agents.movement.csm_calls import constrained_move


@settings(max_examples=6, deadline=None)
@given(door=st.floats(0.8, 1.6), closed=st.booleans(), seed=st.integers(0, 2**16))
def test_room_floor_is_a_lower_bound_of_the_footprint_room(door: float, closed: bool, seed: int) -> None:
    """Steps skip the exact room where the cell's floor clears the footprint: the floor must never
    exceed the room anywhere in the cell, by the door, at the jambs, and once the door is closed."""
    g = build_grid(store_on_corridor(door), "L0", 0.1)
    if closed:
        g.close_door("D")
    pts = np.random.default_rng(seed).uniform((-0.5, -0.5), (10.5, 5.5), (2500, 2))
    i, j = g.cell_of(pts)
    room = np.array([footprint_room(g.wall, g.slope, g.gate, x, y, g.x0, g.y0, g.h) for x, y in pts])
    assert (g.floor[i, j] <= room).all()
    assert (g.floor[i, j] > room - 0.3).mean() > 0.5  # and a useful bound where it is finite


@settings(max_examples=20, deadline=None)
@given(x=st.floats(0.0, 8.0), y=st.floats(0.0, 5.0), width=st.floats(0.6, 2.0))
def test_room_is_the_exact_distance_to_the_nearest_wall(x: float, y: float, width: float) -> None:
    """At every cell centre, on the floor or off it, the room is the distance to the nearest wall
    line (the room's outline less the exit opening), measured independently with shapely."""
    fac = room(8, 5, [("E", 8.0, 2.5, width)])
    g = build_grid(fac, "L0", 0.1)
    i, j = g.cell_of(np.array([[x, y]]))
    c = g.centre(i, j)[0]
    walls = fac.space("R").polygon.boundary.difference(fac.door_segment(fac.exits[0]).buffer(1e-9))
    true = shapely.distance(walls, shapely.Point(*c))
    assert g.wall[i[0], j[0]] == pytest.approx(min(true, EXACT_REACH), abs=1e-9) or (
        true > EXACT_REACH and g.wall[i[0], j[0]] <= true)



def _walls(fac: Facility) -> shapely.Geometry:
    """Every space's outline less its door and exit openings, as the rasters are built."""
    lines = shapely.union_all([s.polygon.boundary for s in fac.spaces])
    return lines.difference(shapely.union_all([fac.door_segment(d).buffer(1e-9)
                                               for d in [*fac.doors, *fac.exits]]))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_room_from_above_is_never_under_the_truth_and_over_it_by_under_2_cm(seed: int) -> None:
    """Steps are checked against the room from above: round a door's jambs, where the tangent
    planes fall centimetres short, it is never under the distance to the nearest wall (shapely's)
    and over it by less than 2 cm."""
    fac = store_on_corridor(1.4)
    g = build_grid(fac, "L0", 0.1)
    pts = np.random.default_rng(seed).uniform((0.4, 1.0), (3.0, 3.0), (2000, 2))  # round the door
    true = shapely.distance(_walls(fac), shapely.points(pts))
    above = np.array([room_reached(g.wall, g.slope, x, y, g.x0, g.y0, g.h) for x, y in pts])
    below = np.array([room_at(g.wall, g.slope, x, y, g.x0, g.y0, g.h) for x, y in pts])
    near = (true > 0.15) & (true < 1.0)
    assert (above[near] >= true[near] - 1e-6).all()  # (rounding: the foot is the centre less its room)
    assert (above[near] - true[near]).max() < 0.02
    assert (below[near] <= above[near]).all()  # the crowd rules' lower bound stays below it


def test_a_walker_pressed_under_the_end_of_a_wall_steps_along_it_into_the_doorway() -> None:
    """Day drill seed 3: a nurse 0.203 m under the wall beside a 1.4 m door, just past its jamb, led
    towards the opening (north-west), could take no step while the room read from the tangent
    planes dipped under her 0.2 m half width; she stood alone 80 s. Moving west along the wall
    keeps her 0.203 m from it, and she now does."""
    fac = store_on_corridor(1.4)  # door D from x = 0.8 to 2.2 on the line y = 2
    g = build_grid(fac, "L0", 0.1)
    pos = np.array([[2.252, 2.0 - 0.203]])
    step = np.array([[-0.795, 0.606]]) * 0.06
    after = constrained_move(pos, step, g.wall, g.slope, clearance=np.array([0.2]), x0=g.x0, y0=g.y0, h=g.h,
                             gate=g.gate)
    assert after[0, 0] < pos[0, 0] - 0.04
    assert shapely.distance(_walls(fac), shapely.Point(*after[0])) >= 0.2

def test_every_unit_fits_exactly_the_doors_routing_gives_it() -> None:
    """The gate of an opening admits a footprint of half width up to (width - 0.1 m) / 2: for a
    bed, a wheelchair or a walking aid that is exactly the table's door width (a door of that
    width admits it, anything narrower not); walkers are stopped by routing at 0.6 m first."""
    for mob in MOBILITIES.values():
        assert opening_room(mob.min_door_width) >= mob.clearance, mob.name
        if mob.min_door_width > STAFF.min_door_width:
            assert opening_room(mob.min_door_width - 0.01) < mob.clearance, mob.name
    assert BED.clearance == BED.radius == 0.5  # the whole width of the bed keeps off walls


@pytest.mark.parametrize(("width", "admits"), [(1.1, True), (1.09, False), (0.9, False)])
def test_a_door_gate_is_closed_to_a_bed_only_below_its_width(width: float, admits: bool) -> None:
    fac = store_on_corridor(width)
    g = build_grid(fac, "L0", 0.1)
    i, j = g.cell_of(np.array([[1.5, 2.0]]))  # the middle of the door line
    assert bool(g.gate[i[0], j[0]] >= BED.clearance) is admits
    assert np.isinf(g.gate[g.cell_of(np.array([[5.0, 1.0]]))]).all()  # no gate in the corridor
    f = compute_field(g, (g.space >= 0), g.exit >= 0, clearance=BED.clearance)
    store = g.cell_of(np.array([[1.5, 3.5]]))
    assert bool(np.isfinite(f.dist[store[0][0] - f.i0, store[1][0] - f.j0])) is admits


def test_the_field_covers_every_cell_a_bed_fits_in_a_door_of_its_width() -> None:
    """In a 1.1 m door a bed's centre has 10 cm of play: every cell holding a point where it fits
    (interpolated room >= 0.5 m) is in its field, so the bed never stands where it has no way."""
    fac = room(8.0, 6.0, [("E", 8.0, 3.0, 1.1)])
    g = build_grid(fac, "L0", 0.1)
    f = compute_field(g, g.space >= 0, g.exit >= 0, clearance=BED.clearance)
    ys = np.linspace(2.9, 3.1, 81)
    for x in np.linspace(7.0, 7.99, 34):
        for y in ys:
            if room_at(g.wall, g.slope, x, y, g.x0, g.y0, g.h) >= BED.clearance:
                i, j = g.cell_of(np.array([[x, y]]))
                assert np.isfinite(f.dist[i[0] - f.i0, j[0] - f.j0]), (x, y)
    fits = [y for y in ys if room_at(g.wall, g.slope, 7.99, y, g.x0, g.y0, g.h) >= BED.clearance]
    assert max(fits) - min(fits) >= 0.06  # the play of the centre at the door line


def test_a_footprint_covers_the_cells_within_its_width_of_its_axis() -> None:
    """A bed (0.5 m half width, 0.6 m either way along its axis) plus a 0.2 m margin: the cells
    within 0.7 m of its 1.2 m axis, and none beyond."""
    g = build_grid(room(6.0, 6.0, [("E", 6.0, 3.0, 1.0)]), "L0", 0.1)
    mask = footprints(g, np.array([[2.0, 3.0]]), np.array([[0.0, 1.0]]), radius=np.array([0.5]),
                      extra=np.array([0.6]), margin=0.2)
    centres = g.centre(*np.nonzero(mask))
    assert np.abs(centres[:, 0] - 2.0).max() <= 0.7 + 1e-9
    assert np.abs(centres[:, 1] - 3.0).max() <= 1.3 + 1e-9
    i, j = g.cell_of(np.array([[2.65, 3.0], [2.0, 4.25], [2.8, 3.0], [2.0, 4.4]]))
    assert mask[i, j].tolist() == [True, True, False, False]
