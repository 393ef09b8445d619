"""Hypothesis strategies: random small buildings that are valid by construction.

Each level is the same double-loaded corridor: a corridor strip along x with
rooms of random widths and depths on its north and (optionally) south side,
each room joined to the corridor by one door of random width (0.7-1.8 m) at a
random place along its wall.  Buildings of several levels get a stair core at
the west end of the corridor, a lift at the east end, or both; the ground level
always has a west space (the stair, or an exit lobby when there is no stair)
whose west wall holds the final exit.  Levels are 4 m apart.
"""

from __future__ import annotations

from hypothesis import strategies as st
from shapely.geometry import box

from facility.model import Door, Exit, Facility, Level, Lift, Space, SpaceKind, Stair

__all__ = ["STOREY", "facilities"]

#: Floor-to-floor height of generated buildings (m).
STOREY = 4.0

_ROUND = 0.05  # coordinates on a 5 cm grid, as a planner would draw them


def _metres(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Lengths on the 5 cm grid in [lo, hi]."""
    return st.integers(round(lo / _ROUND), round(hi / _ROUND)).map(lambda n: round(n * _ROUND, 2))


@st.composite
def _row(draw: st.DrawFn, min_rooms: int) -> list[tuple[float, float, int, float]]:
    """Rooms along one side: (width, door width, beds, door offset fraction)."""
    n = draw(st.integers(min_rooms, 4))
    out = []
    for _ in range(n):
        width = draw(_metres(2.4, 7.0))
        door = draw(_metres(0.7, min(1.8, width - 0.3)))
        out.append((width, door, draw(st.integers(0, 4)), draw(st.floats(0.0, 1.0))))
    return out


@st.composite
def facilities(draw: st.DrawFn, max_levels: int = 3) -> Facility:
    """A random valid facility of 1..``max_levels`` levels (see the module docstring)."""
    n_levels = draw(st.integers(1, max_levels))
    cw = draw(_metres(1.8, 3.0))
    north, south = draw(_row(1)), draw(_row(0))
    depth_n, depth_s = draw(_metres(3.0, 6.0)), draw(_metres(3.0, 6.0))
    length = max(sum(r[0] for r in north), sum(r[0] for r in south))
    west_w = draw(_metres(2.0, 4.0))
    west_door = draw(_metres(0.8, min(1.8, cw - 0.2)))
    stair, lift = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    if n_levels == 1:
        stair, lift = False, False
    lift_door = draw(_metres(0.8, min(1.6, cw - 0.2)))
    exit_w = draw(_metres(0.9, min(2.0, cw - 0.2)))
    levels = tuple(Level(id=f"L{k}", elevation=STOREY * k) for k in range(n_levels))
    spaces: list[Space] = []
    doors: list[Door] = []
    west_kind = SpaceKind.STAIR if stair else SpaceKind.EXIT
    for lv in levels:
        corridor = f"{lv.id}-C"
        spaces.append(Space(id=corridor, level=lv.id, kind=SpaceKind.CORRIDOR, polygon=box(0, 0, length, cw)))
        for side, rooms, y0, y1, wall in (
            ("N", north, cw, cw + depth_n, cw),
            ("S", south, -depth_s, 0.0, 0.0),
        ):
            x = 0.0
            for i, (width, door, beds, frac) in enumerate(rooms):
                sid = f"{lv.id}-{side}{i}"
                spaces.append(
                    Space(
                        id=sid, level=lv.id, kind=SpaceKind.ROOM, polygon=box(x, y0, x + width, y1), beds=beds
                    )
                )
                centre = x + door / 2 + 0.05 + frac * (width - door - 0.1)
                doors.append(Door(id=f"{sid}-D", spaces=(corridor, sid), at=(centre, wall), width=door))
                x += width
        if stair or lv.id == "L0":
            west = f"{lv.id}-W"
            spaces.append(Space(id=west, level=lv.id, kind=west_kind, polygon=box(-west_w, 0, 0, cw)))
            doors.append(Door(id=f"{west}-D", spaces=(corridor, west), at=(0.0, cw / 2), width=west_door))
        if lift:
            shaft = f"{lv.id}-E"
            spaces.append(
                Space(id=shaft, level=lv.id, kind=SpaceKind.LIFT, polygon=box(length, 0, length + 2.5, cw))
            )
            doors.append(
                Door(id=f"{shaft}-D", spaces=(corridor, shaft), at=(length, cw / 2), width=lift_door)
            )
    stairs: tuple[Stair, ...] = ()
    lifts: tuple[Lift, ...] = ()
    if stair:
        stairs = (
            Stair(id="S", spaces=tuple(f"{lv.id}-W" for lv in levels), width=1.2, flight_length=2.4 * STOREY),
        )
    if lift:
        lifts = (
            Lift(id="E", spaces=tuple(f"{lv.id}-E" for lv in levels), door_width=draw(_metres(0.9, 1.4))),
        )
    return Facility(
        name="random",
        levels=levels,
        spaces=tuple(spaces),
        doors=tuple(doors),
        exits=(Exit(id="X", space="L0-W", at=(-west_w, cw / 2), width=exit_w),),
        stairs=stairs,
        lifts=lifts,
    )
