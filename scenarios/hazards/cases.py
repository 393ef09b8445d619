"""Small facilities for the smoke model's checks and the CFAST benchmark.

Each builder returns a :class:`facility.model.Facility` made from the dataclasses, with the
same geometry the benchmark writes into CFAST's input, so both tools see one building.
"""

from __future__ import annotations

from shapely.geometry import box

from facility.model import Door, Exit, Facility, Level, Space, SpaceKind

__all__ = ["fm_nbs", "patient_room", "single_room", "ward", "ward_block"]


def _space(sid: str, bounds: tuple[float, float, float, float], *, kind: SpaceKind = SpaceKind.ROOM,
           compartment: str = "C1", height: float | None = None, ach: float | None = None) -> Space:
    return Space(id=sid, level="L0", kind=kind, polygon=box(*bounds), compartment=compartment,
                 ceiling_height=height, air_changes=ach)


def single_room(width: float = 5.0, depth: float = 4.0, height: float = 2.4,
                exit_width: float | None = None, ach: float | None = None) -> Facility:
    """One room ``R``; with ``exit_width`` a door ``E`` to outside.

    >>> single_room().space("R").area
    20.0
    """
    exits = () if exit_width is None else (
        Exit(id="E", space="R", at=(width, depth / 2), width=exit_width),)
    return Facility(name="single_room", levels=(Level(id="L0", ceiling_height=height),),
                    spaces=(_space("R", (0, 0, width, depth), height=height, ach=ach),), exits=exits)


def fm_nbs(*, doors: bool = True) -> Facility:
    """FM/NBS test 19 (CFAST validation input FM19.in): burn room, 18.9 m corridor, two rooms.

    Spaces ``C1`` (burn room, 3.64 x 3.64 x 2.45 m), ``C2`` (corridor 2.43 x 18.89 x 2.43 m),
    ``C3`` (3.64 x 3.65 x 2.45 m), ``C4`` (3.52 x 3.52 x 2.43 m).  Doors: C1-C2 0.92 m,
    C2-C3 0.88 m, C2-C4 0.88 m (CFAST vents 1, 4, 5; the window and small leaks of FM19
    are written only into CFAST's input, see the benchmark).  With ``doors=False`` the rooms
    are left unconnected, for a caller that gives the doorways as vents with their measured
    tops (2.05 and 2.02 m; a facility's doors all have the standard 2.1 m soffit).
    """
    c3 = _space("C3", (0, 0, 3.64, 3.65), height=2.45)
    c2 = _space("C2", (3.64, 0, 6.07, 18.89), kind=SpaceKind.CORRIDOR, height=2.43)
    c1 = _space("C1", (6.07, 0, 9.71, 3.64), height=2.45)
    c4 = _space("C4", (3.035, 18.89, 6.555, 22.41), height=2.43)
    drawn = (Door(id="V1", spaces=("C1", "C2"), at=(6.07, 1.855), width=0.92),
             Door(id="V4", spaces=("C2", "C3"), at=(3.64, 1.835), width=0.88),
             Door(id="V5", spaces=("C2", "C4"), at=(4.85, 18.89), width=0.88)) if doors else ()
    return Facility(name="fm_nbs_19", levels=(Level(id="L0", ceiling_height=2.45),),
                    spaces=(c1, c2, c3, c4), doors=drawn)


def patient_room() -> Facility:
    """A 5 x 6 m single patient room ``R`` with a 1.2 m door onto a 2.4 x 30 m corridor ``K`` with an exit."""
    r = _space("R", (0, 0, 5, 6), height=2.7)
    k = _space("K", (0, 6, 30, 8.4), kind=SpaceKind.CORRIDOR, height=2.7)
    return Facility(name="patient_room", levels=(Level(id="L0", ceiling_height=2.7),), spaces=(r, k),
                    doors=(Door(id="D-R", spaces=("R", "K"), at=(2.5, 6.0), width=1.2),),
                    exits=(Exit(id="X", space="K", at=(30.0, 7.2), width=1.8),))


def ward(rooms: int = 6) -> Facility:
    """A ward: corridor halves ``KA`` (with ``rooms`` 4 x 5 m rooms ``R1``..) and ``KB`` (with the exit).

    The two halves are separate smoke compartments joined by the smoke-barrier door ``SB``.
    The fire room is ``R1``, at the far end from the barrier.
    """
    w, d, h = 4.0, 5.0, 2.7
    length = rooms * w
    spaces = [_space(f"R{k + 1}", (k * w, 0, (k + 1) * w, d), height=h, compartment="A")
              for k in range(rooms)]
    spaces.append(_space("KA", (0, d, length, d + 2.4), kind=SpaceKind.CORRIDOR, height=h, compartment="A"))
    spaces.append(_space("KB", (length, d, length + 20, d + 2.4), kind=SpaceKind.CORRIDOR, height=h,
                         compartment="B"))
    doors = [Door(id=f"D{k + 1}", spaces=(f"R{k + 1}", "KA"), at=(k * w + 2.0, d), width=1.2)
             for k in range(rooms)]
    doors.append(Door(id="SB", spaces=("KA", "KB"), at=(length, d + 1.2), width=1.8, smoke_door=True,
                      fire_door=True))
    return Facility(name="ward", levels=(Level(id="L0", ceiling_height=h),), spaces=tuple(spaces),
                    doors=tuple(doors),
                    exits=(Exit(id="X", space="KB", at=(length + 20, d + 1.2), width=1.8),))


def ward_block(levels: int = 6, wards: int = 8, rooms: int = 10) -> Facility:
    """A generated block for scale tests: per level ``wards`` wards in a row along one corridor.

    Each ward is a 4 m x 5 m room pair per bay (``rooms`` bays: rooms on both sides of a 2.4 m
    corridor segment of its own smoke compartment), joined to the next ward by a smoke door;
    each level has an exit at both ends.  ``levels * wards * (2 * rooms + 1)`` spaces
    (1,008 by default).
    """
    w, d, cw, h = 4.0, 5.0, 2.4, 2.7
    length = rooms * w
    spaces: list[Space] = []
    doors: list[Door] = []
    exits: list[Exit] = []
    lv_ids = []
    for lv in range(levels):
        lid = f"L{lv}"
        lv_ids.append(Level(id=lid, elevation=4.2 * lv, ceiling_height=h))
        for k in range(wards):
            x0 = k * length
            comp = f"{lid}-W{k}"
            corr = f"{comp}-K"
            spaces.append(Space(id=corr, level=lid, kind=SpaceKind.CORRIDOR, compartment=comp,
                                polygon=box(x0, d, x0 + length, d + cw)))
            for r in range(rooms):
                for side, (y0, y1, yd) in enumerate(((0.0, d, d), (d + cw, 2 * d + cw, d + cw))):
                    rid = f"{comp}-R{r}{'ab'[side]}"
                    spaces.append(Space(id=rid, level=lid, kind=SpaceKind.ROOM, compartment=comp, beds=1,
                                        polygon=box(x0 + r * w, y0, x0 + (r + 1) * w, y1)))
                    doors.append(Door(id=f"D-{rid}", spaces=(rid, corr), at=(x0 + r * w + 2.0, yd),
                                      width=1.2))
            if k:
                doors.append(Door(id=f"SD-{comp}", spaces=(f"{lid}-W{k - 1}-K", corr), at=(x0, d + cw / 2),
                                  width=1.8, smoke_door=True, fire_door=True))
        exits.append(Exit(id=f"X-{lid}-W", space=f"{lid}-W0-K", at=(0.0, d + cw / 2), width=1.8))
        exits.append(Exit(id=f"X-{lid}-E", space=f"{lid}-W{wards - 1}-K", at=(wards * length, d + cw / 2),
                          width=1.8))
    return Facility(name="ward_block", levels=tuple(lv_ids), spaces=tuple(spaces), doors=tuple(doors),
                    exits=tuple(exits))
