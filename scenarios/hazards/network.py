"""The facility as a network of well-defined volumes joined by openings, for smoke and gas.

Every space becomes a node with a floor area, a ceiling height and a volume.  Openings join
two nodes, or a node and the outside (index :data:`OUTSIDE`):

- doors of the facility (clear width, a soffit at :data:`DOOR_HEIGHT`), with their fire and
  smoke-door flags; a closed door still leaks through :data:`DOOR_LEAK_AREA`;
- final exits, to the outside;
- leakage of exterior walls (:data:`WALL_LEAK_RATIO` of the wall area on the level's outline);
- vents a scenario adds (windows, hatches), open throughout;
- a small fabric leak of every space to ambient (:data:`FABRIC_LEAK_RATIO`), so that every
  node has a path to ambient pressure.

Stairs and lifts are nodes like any other, joined to their landings through their doors, and
each storey's stair (lift) space to the one above through a horizontal opening of
:data:`STAIR_WELL_SHARE` (:data:`LIFT_SHAFT_SHARE`) of its footprint, kind ``SHAFT``: smoke rises
in the core.

The network is pure data built once per run from the immutable facility.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from facility.model import Facility, SpaceKind
from scenarios.hazards.schema import DoorPolicy, Vent

__all__ = [
    "DOOR_HEIGHT",
    "DOOR_LEAK_AREA",
    "FABRIC_LEAK_RATIO",
    "LIFT_SHAFT_SHARE",
    "OUTSIDE",
    "STAIR_WELL_SHARE",
    "WALL_LEAK_RATIO",
    "Network",
    "OpeningKind",
    "build_network",
    "door_states",
]

#: Node index of the outside (ambient) in opening arrays.
OUTSIDE = -1
#: Door and exit soffit height, m (a standard 2.1 m door leaf; capped by the ceiling).
DOOR_HEIGHT = 2.1
#: Leakage area of a closed door, m^2: a 3 mm gap around a 0.9 x 2.1 m leaf plus undercut. [assumption]
DOOR_LEAK_AREA = 0.02
#: Leakage area per m^2 of exterior wall (NFPA 92 "average" exterior wall, 0.17e-3). [verify]
WALL_LEAK_RATIO = 0.17e-3
#: Leakage area per m^2 of floor to ambient: a regularisation so every node reaches ambient. [assumption]
FABRIC_LEAK_RATIO = 1e-5
#: Open share of a stair core's footprint between storeys (the well and the flights). [assumption]
STAIR_WELL_SHARE = 0.3
#: Open share of a lift shaft's footprint past the car. [assumption]
LIFT_SHAFT_SHARE = 0.1
#: Default air changes per hour where a space gives none (ASHRAE 170-2017 corridor, 2 total).
DEFAULT_ACH = 2.0


class OpeningKind:
    """What an opening is (plain ints so the arrays stay numeric)."""

    DOOR = 0
    EXIT = 1
    WALL_LEAK = 2
    FABRIC_LEAK = 3
    VENT = 4
    SHAFT = 5  # a stair well or lift shaft between storeys: ``a`` below, ``b`` above


@dataclass(frozen=True, slots=True)
class Network:
    """Nodes and openings of a facility (all arrays read-only by convention).

    Attributes:
        space_ids: Node order (the facility's space order).
        area: float [n] floor area, m^2.
        height: float [n] ceiling height, m.
        volume: float [n] m^3.
        perimeter: float [n] wall length, m.
        ach: float [n] air changes per hour of the space's ventilation.
        compartment: Compartment id per node ("" when none).
        a, b: int [m] the two nodes of each opening (``b`` may be :data:`OUTSIDE`).
        kind: int [m] :class:`OpeningKind`.
        width: float [m] m (for leaks: leakage area / soffit).
        sill, soffit: float [m] bottom and top of the opening above the floor, m.
        leak_area: float [m] area when closed, m^2 (leaks: their area; always "closed").
        fire_door, smoke_door: bool [m].
        opening_ids: Door or exit id per opening ("" for leaks).
    """

    space_ids: tuple[str, ...]
    area: np.ndarray
    height: np.ndarray
    volume: np.ndarray
    perimeter: np.ndarray
    ach: np.ndarray
    compartment: tuple[str, ...]
    a: np.ndarray
    b: np.ndarray
    kind: np.ndarray
    width: np.ndarray
    sill: np.ndarray
    soffit: np.ndarray
    leak_area: np.ndarray
    fire_door: np.ndarray
    smoke_door: np.ndarray
    opening_ids: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.space_ids)

    def index(self, space_id: str) -> int:
        """Node index of a space id."""
        return self.space_ids.index(space_id)

    def opening_index(self, opening_id: str) -> int:
        """Index of the opening of a door or exit id."""
        return self.opening_ids.index(opening_id)


def _exterior_wall_length(facility: Facility) -> np.ndarray:
    """Length of each space's boundary lying on its level's outline, m."""
    out = np.zeros(len(facility.spaces))
    # one buffered outline per level, then all of a level's spaces at once (shapely's array form)
    for lv, outline in facility.level_outline.items():
        ring = shapely.boundary(outline)
        if ring is None or ring.is_empty:
            continue
        band = ring.buffer(0.05)
        idx = [k for k, s in enumerate(facility.spaces) if s.level == lv]
        edges = shapely.boundary(np.array([facility.spaces[k].polygon for k in idx], dtype=object))
        out[idx] = shapely.length(shapely.intersection(edges, band))
    return out


def build_network(facility: Facility, vents: Sequence[Vent] = (), *, wall_leaks: bool = True) -> Network:
    """The smoke and gas network of a facility (see the module docstring).

    Args:
        facility: The building.
        vents: Extra openings (windows, hatches, measured leaks), always open.
        wall_leaks: Add the exterior-wall leakage (off when ``vents`` already give the
            measured leaks, as in a validation input).
    """
    levels = {lv.id: lv for lv in facility.levels}
    ids = tuple(s.id for s in facility.spaces)
    ix = {s: k for k, s in enumerate(ids)}
    area = np.array([s.area for s in facility.spaces])
    height = np.array([s.ceiling_height or levels[s.level].ceiling_height for s in facility.spaces])
    perimeter = np.array([s.polygon.exterior.length for s in facility.spaces])
    shaft = np.array([s.kind in (SpaceKind.STAIR, SpaceKind.LIFT) for s in facility.spaces])
    ach = np.array([s.air_changes if s.air_changes is not None else (0.0 if sh else DEFAULT_ACH)
                    for s, sh in zip(facility.spaces, shaft, strict=True)])
    rows: list[tuple[int, int, int, float, float, float, float, bool, bool, str]] = []
    for d in facility.doors:
        i, j = ix[d.spaces[0]], ix[d.spaces[1]]
        top = min(DOOR_HEIGHT, height[i], height[j])
        rows.append((i, j, OpeningKind.DOOR, d.width, 0.0, top, DOOR_LEAK_AREA, d.fire_door, d.smoke_door,
                     d.id))
    cores = [(st.spaces, STAIR_WELL_SHARE) for st in facility.stairs]
    cores += [(lf.spaces, LIFT_SHAFT_SHARE) for lf in facility.lifts]
    for stack, share in cores:
        for lo, hi in itertools.pairwise(stack):
            i, j = ix[lo], ix[hi]
            well = share * min(area[i], area[j])
            rows.append((i, j, OpeningKind.SHAFT, math.sqrt(well), float(height[i]), float(height[i]), well,
                         False, False, ""))
    for e in facility.exits:
        i = ix[e.space]
        top = min(DOOR_HEIGHT, height[i])
        rows.append((i, OUTSIDE, OpeningKind.EXIT, e.width, 0.0, top, DOOR_LEAK_AREA, False, False, e.id))
    for v in vents:
        i = ix[v.space]
        j = OUTSIDE if v.to == "outside" else ix[v.to]
        area_v = v.width * (v.soffit - v.sill)
        rows.append((i, j, OpeningKind.VENT, v.width, v.sill, v.soffit, area_v, False, False, ""))
    wall = _exterior_wall_length(facility) if wall_leaks else np.zeros(len(ids))
    for k in np.flatnonzero(wall > 0).tolist():
        leak = WALL_LEAK_RATIO * wall[k] * height[k]
        rows.append((k, OUTSIDE, OpeningKind.WALL_LEAK, leak / height[k], 0.0, float(height[k]), leak,
                     False, False, ""))
    for k in range(len(ids)):
        leak = FABRIC_LEAK_RATIO * area[k]
        rows.append((k, OUTSIDE, OpeningKind.FABRIC_LEAK, leak / height[k], 0.0, float(height[k]), leak,
                     False, False, ""))
    cols = list(zip(*rows, strict=True))
    return Network(
        space_ids=ids, area=area, height=height, volume=area * height, perimeter=perimeter, ach=ach,
        compartment=tuple(s.compartment or "" for s in facility.spaces),
        a=np.array(cols[0], np.int64), b=np.array(cols[1], np.int64), kind=np.array(cols[2], np.int64),
        width=np.array(cols[3], float), sill=np.array(cols[4], float), soffit=np.array(cols[5], float),
        leak_area=np.array(cols[6], float), fire_door=np.array(cols[7], bool),
        smoke_door=np.array(cols[8], bool), opening_ids=tuple(cols[9]),
    )


def door_states(net: Network, policy: DoorPolicy) -> tuple[np.ndarray, np.ndarray]:
    """Which openings are open before and after the alarm under a door policy (bool [m] each).

    Before: ordinary doors as ``room_doors``, ``closed`` doors shut, ``wedged_open`` doors open,
    exits as ``exits_open``.  After: fire and smoke doors also shut when ``close_on_alarm``,
    unless ``wedged_open``.
    Leaks and vents are never "open" here (they keep their own areas).
    """
    door = net.kind == OpeningKind.DOOR
    before = np.zeros(len(net.a), bool)
    before[door] = policy.room_doors == "open"
    before[net.kind == OpeningKind.EXIT] = policy.exits_open
    for d in policy.closed:
        before[net.opening_index(d)] = False
    for d in policy.wedged_open:
        # a wedge holds the door open from the start: with 'room_doors: closed' it stayed shut
        before[net.opening_index(d)] = True
    after = before.copy()
    if policy.close_on_alarm:
        shut = door & (net.fire_door | net.smoke_door)
        for d in policy.wedged_open:
            shut[net.opening_index(d)] = False
        after &= ~shut
    return before, after
