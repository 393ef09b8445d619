"""Detours round parked units: a visitor walking round a bed in a single room."""

from __future__ import annotations

import numpy as np
from shapely.geometry import box

from facility.model import Door, Exit, Facility, Level, Space, SpaceKind
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.model import State


def _single_room() -> Facility:
    """The day drill's single room L2-W2-SR1 (4 x 7.5 m, a 1.4 m door in the middle of its south
    wall) on a corridor with an exit at its east end."""
    r = Space(id="R", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 0, 4, 7.5), compartment="C")
    k = Space(id="K", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(-6, -2.4, 12, 0), compartment="C")
    return Facility(name="single room", levels=(Level(id="L0"),), spaces=(r, k),
                    doors=(Door(id="D", spaces=("R", "K"), at=(2.0, 0.0), width=1.4),),
                    exits=(Exit(id="X", space="K", at=(12.0, -1.2), width=1.8),))


def test_a_visitor_walks_round_a_bed_parked_between_them_and_the_door() -> None:
    """Day seed 9: a visitor in the 0.45 m slot between the wall and the room's bed (waiting for
    its team, which does not come here) stood there, led straight at the bed; with the detour
    they walk round its far end and out, 13 m, by 30 s. Before, they stood pressed against the
    bed's far end until the 120 s cap."""
    people = [PersonSpec(id="bed", profile="bed", space="R", position=(3.05, 2.05)),
              PersonSpec(id="v", profile="visitor", space="R", position=(3.8, 2.0), premove=0.0)]
    m = EvacuationModel(_single_room(), people, EvacParams(max_time=120.0, trajectories=False),
                        np.random.default_rng(0))
    v = 1
    while m.people.state[v] != State.OUT and m.t < 60.0:
        m.step()
    assert m.people.state[v] == State.OUT, f"visitor at {m.people.pos[v]} at {m.t:.0f} s"


def test_a_nurse_held_up_at_the_foot_of_her_patients_bed_walks_round_to_its_side() -> None:
    """Night seed 3, in this room: a nurse coming in for a bed whose foot is 1.25 m from the door
    stood at its foot, led at its centre (her goal's point, inside its footprint), too near the
    door to count as at the bedside, her colleague at the foot's other corner; she was flagged
    after a minute.  Held up, staff are led round to the nearer side of their patient's bed: she
    is at the bedside 20 s after coming in (50 s before)."""
    people = [PersonSpec(id="bed", profile="bed", space="R", position=(1.65, 2.35)),
              PersonSpec(id="s1", profile="staff", space="R", position=(2.72, 1.17), premove=0.0),
              PersonSpec(id="s2", profile="staff", space="K", position=(-4.0, -1.2), premove=0.0)]
    m = EvacuationModel(_single_room(), people, EvacParams(max_time=200.0, trajectories=False),
                        np.random.default_rng(0))
    m.people.orient[0] = m.people.heading[0] = (0.0, -1.0)  # its foot towards the door
    while m.people.state[2] != State.FETCH and m.t < 60.0:
        m.step()
    assert m.people.state[2] == State.FETCH and m.t < 30.0, f"{m.people.pos[2]} at {m.t:.0f} s"
    while not m.done() and m.t < 200.0:
        m.step()
    assert m.done() and not m.deadlocks


def test_a_visitor_pressed_against_the_end_of_a_bed_is_reached_by_the_detour() -> None:
    """Day seed 3, in a bay: a nurse came up against the foot of another team's bed between her and
    her patient and stood a minute; the field round the beds, widened by her half width and a
    cell, did not reach her where she stood, so she kept her own field, straight at the bed.  The
    detour is laid again with a disc round her left free; she walks round the bed and out."""
    from scenarios.evacuation import detours

    people = [PersonSpec(id="bed", profile="bed", space="R", position=(2.0, 3.5)),
              PersonSpec(id="v", profile="visitor", space="R", position=(2.0, 4.85), premove=0.0)]
    m = EvacuationModel(_single_room(), people, EvacParams(max_time=120.0, trajectories=False),
                        np.random.default_rng(0))
    pe, st = m.people, m.run_state
    pe.orient[0] = pe.heading[0] = (0.0, 1.0)  # along the room: its end 0.15 m from the visitor
    m.step()
    v = 1
    assert pe.opt[v] is not None and pe.opt[v].ref == "D"
    units = detours.units_round(st, np.array([0]))
    plain = st.nav.detour_field_id("R", ("door", "D"), float(pe.clear[v]), units)
    assert not np.isfinite(detours._distance(st, v, plain))  # inside the bed's widened footprint
    st.t = 30.0 - st.p.model.dt / 2  # the next step is a look
    pe.last_prog[v] = pe.detoured[v] = 0.0  # held up since the start
    m.step()
    assert pe.detour[v] >= 0 and np.isfinite(detours._distance(st, v, int(pe.detour[v])))
    while pe.state[v] != State.OUT and m.t < 90.0:
        m.step()
    assert pe.state[v] == State.OUT, f"visitor at {pe.pos[v]} at {m.t:.0f} s"
