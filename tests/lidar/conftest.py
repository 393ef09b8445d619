"""Fixtures for the LiDAR tests: small facilities with exact geometry, and the real scans."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from facility.model import Door, Exit, Facility, Level, Space, SpaceKind

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def office_floor(rooms_per_side: int = 3, *, level: str = "L0", elevation: float = 0.0,
                 prefix: str = "") -> tuple[list[Space], list[Door], list[Exit], Level]:
    """A corridor 2.4 m wide with 4 x 5 m rooms on both sides, each with one door, and one exit."""
    length = 4.0 * rooms_per_side
    spaces = [Space(id=f"{prefix}C", level=level, kind=SpaceKind.CORRIDOR,
                    polygon=box(0, 0, length, 2.4), use="corridor")]
    doors, widths = [], [0.9, 1.2, 1.0, 1.6, 0.8, 1.4]
    for i in range(rooms_per_side):
        for side, (y0, y1, yd) in enumerate([(-5.0, 0.0, 0.0), (2.4, 7.4, 2.4)]):
            rid = f"{prefix}R{side}{i}"
            spaces.append(Space(id=rid, level=level, kind=SpaceKind.ROOM,
                                polygon=box(4.0 * i, y0, 4.0 * i + 4.0, y1), use="office"))
            w = widths[(2 * i + side) % len(widths)]
            doors.append(Door(id=f"{prefix}D{side}{i}", spaces=(f"{prefix}C", rid),
                              at=(4.0 * i + 2.0 + 0.3 * side, yd), width=w))
    exits = [Exit(id=f"{prefix}X", space=f"{prefix}C", at=(length, 1.2), width=1.5)]
    return spaces, doors, exits, Level(id=level, elevation=elevation, ceiling_height=3.0)


def make_office(rooms_per_side: int = 3) -> Facility:
    spaces, doors, exits, lv = office_floor(rooms_per_side)
    return Facility(name="office", levels=(lv,), spaces=tuple(spaces), doors=tuple(doors),
                    exits=tuple(exits))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def office() -> Facility:
    return make_office(3)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"shared scan data folder {DATA} is absent")
    return DATA


@pytest.fixture(scope="session")
def office_scan(office: Facility) -> np.ndarray:
    """A synthetic scan of the office floor at 4 cm spacing with clutter (seeded)."""
    from lidar.synth import SynthOptions, synthesize

    return synthesize(office, rng=np.random.default_rng(2024), options=SynthOptions(spacing=0.04))


@pytest.fixture(scope="session")
def office_extraction(office_scan: np.ndarray):  # type: ignore[no-untyped-def]
    from lidar.extract import extract

    return extract(office_scan)
