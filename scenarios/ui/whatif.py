"""Operations what-ifs: the levers a planner pulls, turned into scenario variants.

A variant is the baseline scenario with a few fields replaced through
``model_copy(update=...)`` (the scenario stays frozen and validated): staff
added to or taken from every shift of a role, a count of beds, rooms or
devices, unscheduled arrivals scaled, a pool that diverts patients when it is
full, or another facility (a layout variant).  The run itself, its KPIs and
its bottlenecks are the operations model's; this module only says what
changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facility import Facility
    from scenarios.operations import OperationsScenario

__all__ = ["Levers", "apply", "describe", "horizon", "units_of"]


@dataclass(frozen=True, kw_only=True)
class Levers:
    """What a variant changes relative to the baseline.

    Attributes:
        staff: Role -> staff added to every shift (negative: removed; never below 0).
        counts: Room, bed or device pool -> its number of units.
        arrivals: Factor on every unscheduled (Poisson) arrival rate.
        divert: Pools that take no queue: a patient finding them full is
            diverted (follows the step's ``on_full``) instead of waiting.
        facility: Another facility (``"sample"`` or a facility file path).
    """

    staff: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    arrivals: float = 1.0
    divert: tuple[str, ...] = ()
    facility: str | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.arrivals) and self.arrivals >= 0):
            raise ValueError(f"'arrivals' must be a factor >= 0, got {self.arrivals}")
        bad = {k: v for k, v in self.counts.items() if v < 0}
        if bad:
            raise ValueError(f"'counts' must be >= 0, got {bad}")

    @property
    def empty(self) -> bool:
        return (not any(self.staff.values()) and not self.counts and self.arrivals == 1.0
                and not self.divert and self.facility is None)


def _unknown(sc: OperationsScenario, names: list[str], what: str) -> None:
    missing = sorted(set(names) - set(sc.resources))
    if missing:
        raise ValueError(f"{what}: no resource {missing} in scenario {sc.name!r}; "
                         f"expected one of {sorted(sc.resources)}")


def apply(base: OperationsScenario, levers: Levers, name: str) -> OperationsScenario:
    """The baseline with ``levers`` pulled, named ``name``.

    >>> import scenarios
    >>> from importlib.resources import files
    >>> base = scenarios.load(files("scenarios.library") / "sample_hospital_week.yaml")
    >>> v = apply(base, Levers(staff={"ed_doctor": 1}, arrivals=1.1), "more doctors")
    >>> [s.count for s in v.resources["ed_doctor"].roster]
    [5, 4, 3]
    >>> round(v.arrivals[0].rates[10] / base.arrivals[0].rates[10], 6)
    1.1
    """
    _unknown(base, list(levers.staff) + list(levers.counts) + list(levers.divert), "levers")
    resources = dict(base.resources)
    for role, delta in levers.staff.items():
        r = resources[role]
        if r.kind != "staff":
            raise ValueError(f"staff lever: {role!r} is a {r.kind}, not staff")
        if r.roster:
            roster = [s.model_copy(update={"count": max(0, s.count + delta)}) for s in r.roster]
            resources[role] = r.model_copy(update={"roster": roster})
        else:
            resources[role] = r.model_copy(update={"count": max(0, (r.count or 0) + delta)})
    for pool, n in levers.counts.items():
        r = resources[pool]
        if r.kind == "staff":
            raise ValueError(f"count lever: {pool!r} is staff; use the staff lever")
        resources[pool] = r.model_copy(update={"count": n})
    for pool in levers.divert:
        resources[pool] = resources[pool].model_copy(update={"queue_limit": 0})
    arrivals = [a.model_copy(update={"rates": [x * levers.arrivals for x in a.rates]})
                if a.kind == "poisson" else a for a in base.arrivals]
    update: dict[str, Any] = {"name": name, "resources": resources, "arrivals": arrivals,
                              "description": describe(levers)}
    if levers.facility is not None:
        update["facility"] = levers.facility
    # model_copy does not validate: rebuild so a lever that breaks a rule fails here, naming the field
    return type(base).model_validate({**base.model_dump(), **update, "source": base.source})


def describe(levers: Levers) -> str:
    """The levers in words, for labels and the results history.

    >>> describe(Levers(staff={"ed_nurse": 2}, arrivals=1.2))
    '+2 ed_nurse per shift; unscheduled arrivals x1.20'
    """
    parts = [f"{d:+d} {role} per shift" for role, d in levers.staff.items() if d]
    parts += [f"{pool} = {n}" for pool, n in levers.counts.items()]
    if levers.arrivals != 1.0:
        parts.append(f"unscheduled arrivals x{levers.arrivals:.2f}")
    parts += [f"divert when {pool} is full" for pool in levers.divert]
    if levers.facility is not None:
        parts.append("layout variant")
    return "; ".join(parts) or "baseline"


def units_of(sc: OperationsScenario, facility: Facility, pool: str) -> int:
    """How many units ``pool`` has in ``sc`` on ``facility`` (staff: most on duty at once).

    Rooms and beds without a ``count`` are counted from the facility's spaces
    of their use (beds: the spaces' bed counts), as the operations model does.
    """
    r = sc.resources[pool]
    if r.count is not None:
        return int(r.count)
    if r.roster:
        return max(s.count for s in r.roster)
    spaces = facility.spaces_with_use(r.space_use) if r.space_use else ()
    if r.kind == "bed":
        return sum(s.beds for s in spaces) or len(spaces)
    return len(spaces)


def horizon(sc: OperationsScenario, *, days: float | None, replications: int) -> OperationsScenario:
    """``sc`` run for ``days`` after its warm-up (``None``: as it is) with ``replications``.

    Only scenarios counted in days (``run.unit: d``) take ``days``; the others keep their length.

    >>> import scenarios
    >>> from importlib.resources import files
    >>> base = scenarios.load(files("scenarios.library") / "sample_hospital_week.yaml")
    >>> h = horizon(base, days=2, replications=3)
    >>> h.run.length, h.run.warmup, h.replications
    (3.0, 1.0, 3)
    """
    update: dict[str, Any] = {"replications": replications}
    if days is not None and sc.run.unit == "d":
        update["run"] = sc.run.model_copy(update={"length": float(sc.run.warmup + days)})
    return type(sc).model_validate({**sc.model_dump(), **update, "source": sc.source})
