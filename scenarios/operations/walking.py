"""Walking times and lengths between the spaces a scenario uses, computed once.

The patient process never routes: it reads a precomputed matrix.  The
matrices cover only the spaces whose ``use`` the scenario names (rooms,
wards, waiting areas, staff bases), from :func:`facility.routing.distance_matrix`
at each mover's speed: staff at the scenario's walking speed, patients at
their pathway's mobility (a bed never takes a stair, so a bed move between
levels includes the lift).  Matrices are cached per facility object, so
replications of one run share them.
"""

from __future__ import annotations

import dataclasses
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scenarios.operations.schema import OperationsScenario

if TYPE_CHECKING:
    from facility.model import Facility

__all__ = ["WalkMatrices", "scenario_uses", "walk_matrices"]

#: Pathway mobility -> facility.routing mobility (a ventilated patient moves in a bed).
_MOBILITY = {"ambulant": "ambulant", "reduced": "reduced", "wheelchair": "wheelchair", "bed": "bed",
             "ventilated": "bed"}


@dataclass(frozen=True)
class WalkMatrices:
    """Spaces a scenario uses and the walking matrices between them.

    Attributes:
        space_ids: Space id of each index.
        use_spaces: Space indices by use, in facility order.
        beds: Bed count of each space.
        staff_time: Staff walking minutes ``[from][to]`` (empty if walking is off).
        staff_len: Staff walking metres ``[from][to]``.
        patient_time: Walking minutes by pathway mobility.
    """

    space_ids: list[str]
    use_spaces: dict[str, list[int]]
    beds: list[int]
    staff_time: list[list[float]]
    staff_len: list[list[float]]
    patient_time: dict[str, list[list[float]]]


def scenario_uses(sc: OperationsScenario) -> dict[str, str]:
    """Every space use the scenario names, with the field that names it first."""
    out: dict[str, str] = {}
    for name, r in sc.resources.items():
        if r.space_use:
            out.setdefault(r.space_use, f"resources.{name}.space_use")
    for pname, pw in sc.pathways.items():
        if pw.arrive_use:
            out.setdefault(pw.arrive_use, f"pathways.{pname}.arrive_use")
        for i, st in enumerate(pw.steps):
            for attr in ("space_use", "wait_use"):
                u = getattr(st, attr)
                if u:
                    out.setdefault(u, f"pathways.{pname}.steps[{i}].{attr}")
    return out


_Key = tuple[int, tuple[str, ...], float, tuple[str, ...]]
_CACHE: dict[_Key, tuple[weakref.ref[Facility], WalkMatrices]] = {}


def walk_matrices(sc: OperationsScenario, facility: Facility) -> WalkMatrices:
    """The spaces and walking matrices for ``sc`` on ``facility`` (cached)."""
    uses = tuple(sorted(scenario_uses(sc)))
    mobs = tuple(sorted({_MOBILITY[p.mobility] for p in sc.pathways.values()})) if sc.walking.enabled else ()
    key = (id(facility), uses, sc.walking.staff_speed, mobs)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is facility:
        return hit[1]
    wm = _compute(facility, uses, sc.walking.staff_speed, mobs)
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[key] = (weakref.ref(facility), wm)
    return wm


def _compute(facility: Facility, uses: tuple[str, ...], staff_speed: float,
             mobs: tuple[str, ...]) -> WalkMatrices:
    from facility.routing import MOBILITIES, STAFF, distance_matrix

    ids: list[str] = []
    index: dict[str, int] = {}
    use_spaces: dict[str, list[int]] = {}
    for u in uses:
        for s in facility.spaces_with_use(u):
            if s.id not in index:
                index[s.id] = len(ids)
                ids.append(s.id)
            use_spaces.setdefault(u, []).append(index[s.id])
    beds = [facility.space(i).beds for i in ids]
    if not mobs or not ids:
        return WalkMatrices(ids, use_spaces, beds, [], [], {})
    staff = dataclasses.replace(STAFF, speed=staff_speed)
    length = distance_matrix(facility, ids, mobility=staff, by="length")
    stime = distance_matrix(facility, ids, mobility=staff, by="time") / 60.0
    ptime = {m: distance_matrix(facility, ids, mobility=MOBILITIES[m], by="time") / 60.0 for m in mobs}
    # Pairs nobody travels may be unreachable for some movers (a bed cannot pass
    # a staff door); the patient process raises if a trip it needs is impossible.
    inv = {k: v for k, v in _MOBILITY.items() if v in ptime}
    return WalkMatrices(ids, use_spaces, beds, stime.tolist(), length.tolist(),
                        {k: ptime[v].tolist() for k, v in inv.items()})
