"""Fixtures every test folder may use: one seeded generator and a tiny two-level building.

Under ``CI=true`` Hypothesis runs derandomised, so a CI verdict is reproducible
(same examples every run); developers' runs keep exploring new examples.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings
from shapely.geometry import box

from facility.model import AssemblyPoint, Door, Exit, Facility, Level, Lift, Space, SpaceKind, Stair

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator per test (never the global one)."""
    return np.random.default_rng(12345)


def make_tiny_facility() -> Facility:
    """Two 4 m storeys: a 20 m x 2 m corridor, rooms to the north, a stair west, a bed lift east.

    Plan of each level (y up, metres)::

        y=7  +------+------+--------+
             |  R1  |  R2  |   R3   |
        y=2 -+--D---+--D---+---D----+-
        ST   |          corridor      |  LF
        y=0 -+------------------------+-
            x=0    6     12     20

    Ground level ``L0``: corridor ``L0-C`` with a 1.8 m final exit ``X-C`` in its
    south wall at x=10 and a 1.5 m exit ``X-ST`` in the stair's west wall;
    three rooms (``L0-R2`` unoccupied store).  Upper level ``L1``: a ward in two
    smoke compartments ``A`` (``L1-CW``, ``L1-R1`` 4 beds, ``L1-R2``,
    ``L1-ST``) and ``B`` (``L1-CE``, ``L1-R3`` 2 beds, ``L1-LF``) divided by
    the 1.4 m smoke door ``L1-DS`` at x=10.  Doors: R1 1.2 m, R2 0.9 m (too
    narrow for a bed), R3 1.4 m, stair and lift 1.2 / 1.3 m.  It validates with
    no issues.
    """
    levels = (Level(id="L0", name="Ground", elevation=0.0), Level(id="L1", name="Ward", elevation=4.0))
    spaces: list[Space] = []
    doors: list[Door] = []
    for lv in ("L0", "L1"):
        ward = lv == "L1"
        comp_a, comp_b = ("A", "B") if ward else (None, None)
        if ward:
            spaces += [
                Space(
                    id="L1-CW", level=lv, kind=SpaceKind.CORRIDOR, polygon=box(0, 0, 10, 2), compartment="A"
                ),
                Space(
                    id="L1-CE", level=lv, kind=SpaceKind.CORRIDOR, polygon=box(10, 0, 20, 2), compartment="B"
                ),
            ]
            doors.append(
                Door(
                    id="L1-DS",
                    spaces=("L1-CW", "L1-CE"),
                    at=(10.0, 1.0),
                    width=1.4,
                    smoke_door=True,
                    fire_door=True,
                )
            )
            west, east = "L1-CW", "L1-CE"
        else:
            spaces.append(Space(id="L0-C", level=lv, kind=SpaceKind.CORRIDOR, polygon=box(0, 0, 20, 2)))
            west = east = "L0-C"
        spaces += [
            Space(
                id=f"{lv}-R1",
                level=lv,
                kind=SpaceKind.ROOM,
                polygon=box(0, 2, 6, 7),
                use="ward_bay" if ward else "clinic",
                beds=4 if ward else 0,
                compartment=comp_a,
            ),
            Space(
                id=f"{lv}-R2",
                level=lv,
                kind=SpaceKind.ROOM,
                polygon=box(6, 2, 12, 7),
                use="office" if ward else "store",
                occupied=ward,
                compartment=comp_a,
            ),
            Space(
                id=f"{lv}-R3",
                level=lv,
                kind=SpaceKind.ROOM,
                polygon=box(12, 2, 20, 7),
                use="ward_bay" if ward else "waiting",
                beds=2 if ward else 0,
                compartment=comp_b,
            ),
            Space(
                id=f"{lv}-ST", level=lv, kind=SpaceKind.STAIR, polygon=box(-3, 0, 0, 4), compartment=comp_a
            ),
            Space(
                id=f"{lv}-LF", level=lv, kind=SpaceKind.LIFT, polygon=box(20, 0, 23, 3), compartment=comp_b
            ),
        ]
        doors += [
            Door(id=f"{lv}-D1", spaces=(west, f"{lv}-R1"), at=(3.0, 2.0), width=1.2),
            Door(id=f"{lv}-D2", spaces=(west, f"{lv}-R2"), at=(9.0, 2.0), width=0.9),
            Door(id=f"{lv}-D3", spaces=(east, f"{lv}-R3"), at=(16.0, 2.0), width=1.4),
            Door(id=f"{lv}-DST", spaces=(west, f"{lv}-ST"), at=(0.0, 1.0), width=1.2, fire_door=True),
            Door(id=f"{lv}-DLF", spaces=(east, f"{lv}-LF"), at=(20.0, 1.0), width=1.3),
        ]
    return Facility(
        name="tiny",
        levels=levels,
        spaces=tuple(spaces),
        doors=tuple(doors),
        exits=(
            Exit(id="X-C", space="L0-C", at=(10.0, 0.0), width=1.8, assembly_point="AP1"),
            Exit(id="X-ST", space="L0-ST", at=(-3.0, 2.0), width=1.5, assembly_point="AP1"),
        ),
        stairs=(Stair(id="S1", spaces=("L0-ST", "L1-ST"), width=1.2, flight_length=8.0),),
        lifts=(Lift(id="LIFT1", spaces=("L0-LF", "L1-LF")),),
        assembly_points=(AssemblyPoint(id="AP1", at=(10.0, -15.0), name="car park"),),
        metadata={"source": "tests"},
    )


@pytest.fixture(scope="session")
def tiny_facility() -> Facility:
    """The building of :func:`make_tiny_facility` (immutable, so shared by every test)."""
    return make_tiny_facility()
