"""Who is where at the alarm: from a scenario's population or an operations snapshot.

Both roads end in a list of :class:`~scenarios.evacuation.model.PersonSpec`.
Random parts (which bed patients are ventilated, under a ``mix``) draw from the
replication's generator, so the same seed gives the same people.
"""

from __future__ import annotations

import re

import numpy as np
from shapely.geometry import Point

from agents.snapshot import Snapshot
from facility.ids import no_space, suggest
from facility.model import Facility, SpaceKind
from facility.validate import refuges_without_exit
from scenarios.errors import ScenarioFileError
from scenarios.evacuation.params import PersonSpec
from scenarios.evacuation.schema import EvacuationScenario, Group

__all__ = ["check_population", "from_scenario", "from_snapshot", "placing_field"]


def _group_spaces(facility: Facility, space: str | None, use: str | None,
                  compartment: str | None) -> list[str]:
    """The spaces a group fills: the one it names, or every space of its use and compartment but
    the lift cars (a compartment holding a lift shaft put a group's count inside the car)."""
    out = [s.id for s in facility.spaces
           if (space is None or s.id == space) and (use is None or s.use == use)
           and (compartment is None or s.compartment == compartment)
           and (space is not None or s.kind is not SpaceKind.LIFT)]
    return out


def _lift_car(facility: Facility, space: str) -> str | None:
    """Why nobody may be placed in ``space`` if it is a lift car's (the problem, else ``None``).

    A lift space is the car's footprint at one stop: the drill moves people
    into it only by calling the lift, so someone standing in it at the alarm
    would be walked out of a car that is not there (or ride one nobody called).
    """
    sp = facility.space(space)
    if sp.kind is not SpaceKind.LIFT:
        return None
    lift = next((lf.id for lf in facility.lifts if space in lf.spaces), None)
    car = f" of lift {lift!r}" if lift is not None else ""
    landings = sorted({sid for d in facility.doors if space in d.spaces for sid in d.spaces if sid != space})
    near = f" (e.g. its landing {landings[0]!r})" if landings else ""
    return (f"{space!r} is the car{car} at level {sp.level!r}, and nobody can be placed inside a lift "
            f"at the alarm; expected a room, corridor, stair or refuge{near}")


def _check_position(src: str, k: int, space: str, xy: tuple[float, float], facility: Facility) -> None:
    """A person's given position lies in the space they are given (not in the room next door)."""
    sp = facility.space(space)
    pt = Point(xy)
    if sp.polygon.covers(pt):
        return
    inside = [s.id for s in facility.spaces_on(sp.level) if s.polygon.covers(pt)]
    where = f"it lies in {inside[0]!r}" if inside else "it lies in no space of the level"
    raise ScenarioFileError(src, f"population.people[{k}].position",
                            f"{tuple(xy)} is not inside space {space!r} ({where}); "
                            f"expected a point of {space!r}")


def _selects_nothing(facility: Facility, g: Group) -> str:
    """Why a group by use or compartment places nobody: no such space, or only lift cars."""
    lifts = [s.id for s in facility.spaces if s.kind is SpaceKind.LIFT and (g.use is None or s.use == g.use)
             and (g.compartment is None or s.compartment == g.compartment)]
    if not lifts:
        return "selects no space"
    more = ", ..." if len(lifts) > 3 else ""
    return f"selects only lift cars ({', '.join(lifts[:3])}{more}), where nobody can be placed at the alarm"


def check_population(sc: EvacuationScenario, facility: Facility) -> None:
    """Raise :class:`ScenarioFileError` naming the field for anything the facility lacks."""
    src = sc.source or "<scenario>"
    fo = sc.population.from_operations
    if fo is not None:
        from scenarios.operations import check as check_operations

        try:
            check_operations(fo.operations(), facility)
        except ScenarioFileError as exc:
            raise ScenarioFileError(src, "population.from_operations.scenario",
                                    f"the operations scenario does not fit facility {facility.name!r}: "
                                    f"{exc}") from None
    exits = {e.id for e in facility.exits}
    seen: dict[str, int] = {}
    for k, p in enumerate(sc.population.people):
        if p.id in seen:
            raise ScenarioFileError(src, f"population.people[{k}].id",
                                    f"{p.id!r} is already the id of population.people[{seen[p.id]}]; "
                                    "ids must be unique")
        seen[p.id] = k
        if not facility.has_space(p.space):
            raise ScenarioFileError(src, f"population.people[{k}].space", no_space(facility, p.space))
        in_lift = _lift_car(facility, p.space)
        if in_lift is not None:
            field = "position" if p.position is not None else "space"
            raise ScenarioFileError(src, f"population.people[{k}].{field}", in_lift)
        if p.position is not None:
            _check_position(src, k, p.space, p.position, facility)
        if p.exit is not None and p.exit not in exits:
            raise ScenarioFileError(src, f"population.people[{k}].exit",
                                    f"no exit {p.exit!r}; expected one of {sorted(exits)}")
    for k, g in enumerate(sc.population.groups):
        if g.space is not None and not facility.has_space(g.space):
            raise ScenarioFileError(src, f"population.groups[{k}].space", no_space(facility, g.space))
        in_lift = _lift_car(facility, g.space) if g.space is not None else None
        if in_lift is not None:
            raise ScenarioFileError(src, f"population.groups[{k}].space", in_lift)
        if g.compartment is not None and g.compartment not in facility.compartments:
            raise ScenarioFileError(src, f"population.groups[{k}].compartment",
                                    f"no compartment {g.compartment!r}; expected one of "
                                    f"{sorted(facility.compartments)}")
        if g.exit is not None and g.exit not in exits:
            raise ScenarioFileError(src, f"population.groups[{k}].exit",
                                    f"no exit {g.exit!r}; expected one of {sorted(exits)}")
        if not _group_spaces(facility, g.space, g.use, g.compartment):
            raise ScenarioFileError(src, f"population.groups[{k}]",
                                    f"{_selects_nothing(facility, g)} (check space / use / compartment)")
    for k, b in enumerate(sc.population.beds):
        if b.use is not None and b.use not in facility.uses:
            raise ScenarioFileError(src, f"population.beds[{k}].use",
                                    f"no space with use {b.use!r}; expected one of {sorted(facility.uses)}")
    for k, c in enumerate(sc.strategy.fire_compartments):
        if c not in facility.compartments:
            raise ScenarioFileError(src, f"strategy.fire_compartments[{k}]",
                                    f"no compartment {c!r}; expected one of {sorted(facility.compartments)}")
    doors = {d.id for d in facility.doors}
    for k, cl in enumerate(sc.door_closures):
        if cl.door not in doors:
            raise ScenarioFileError(src, f"door_closures[{k}].door",
                                    f"no door {cl.door!r}{suggest(cl.door, doors)}")
    if sc.strategy.mode != "full" and not sc.strategy.fire_compartments:
        raise ScenarioFileError(src, "strategy.fire_compartments",
                                f"mode {sc.strategy.mode!r} needs at least one fire compartment")
    if sc.strategy.mode == "progressive":
        dead = refuges_without_exit(facility, sc.strategy.fire_compartments)
        if dead:
            fire = ", ".join(sc.strategy.fire_compartments)
            raise ScenarioFileError(
                src, "strategy.fire_compartments",
                f"compartment(s) {', '.join(dead)} would receive the occupants of {fire} as a refuge, but no "
                "final exit can be reached from there without going back through a fire compartment: refuge "
                "has no way out, so the vertical phase would strand everyone moved into it; expected a "
                "refuge with its own way out (or mode 'horizontal')")
    if _places_nobody(sc, facility):
        raise ScenarioFileError(src, "population", f"places nobody in facility {facility.name!r}; {_WHO}")


#: What a population that places nobody is told to give.
_WHO = ("expected at least one occupant: population.people, population.groups with count > 0, "
        "population.beds over spaces with beds, or population.from_operations")


def _places_nobody(sc: EvacuationScenario, facility: Facility) -> bool:
    """Whether the population certainly places nobody (an operations run is only known when run)."""
    pop = sc.population
    if pop.from_operations is not None or pop.people:
        return False
    if any(g.count > 0 and _group_spaces(facility, g.space, g.use, g.compartment) for g in pop.groups):
        return False
    return not any(round(s.beds * b.occupancy) > 0 for b in pop.beds for s in facility.spaces
                   if s.beds > 0 and (b.use is None or s.use == b.use))


def from_operations(sc: EvacuationScenario, facility: Facility) -> list[PersonSpec]:
    """People from the operations scenario the drill names, at the time it names.

    The operations scenario was read when the drill was loaded
    (:class:`~scenarios.evacuation.schema.FromOperations`); this runs its model, replication 0
    of its own seed (:func:`scenarios.operations.snapshot`), to that time, in the drill's
    facility. Every replication of the drill starts from the same hospital: its replications
    differ in the drill, not in who was there.
    """
    from scenarios.operations import snapshot

    fo = sc.population.from_operations
    if fo is None:
        return []
    return from_snapshot(snapshot(fo.operations(), fo.seconds(), facility=facility))


def placing_field(sc: EvacuationScenario, who: str) -> str:
    """The field of ``sc`` that placed occupant ``who`` (ids as :func:`from_scenario` makes them):
    ``population.people[k].position`` (or ``.space``), ``population.groups[k]``,
    ``population.beds[k]``, else ``population.from_operations``."""
    for k, p in enumerate(sc.population.people):
        if p.id == who:
            return f"population.people[{k}].{'position' if p.position is not None else 'space'}"
    m = re.fullmatch(r"([gb])(\d+)-.*", who)
    if m is not None:
        k = int(m.group(2))
        table = sc.population.groups if m.group(1) == "g" else sc.population.beds
        if k < len(table):
            return f"population.{'groups' if m.group(1) == 'g' else 'beds'}[{k}]"
    return "population.from_operations" if sc.population.from_operations is not None else "population"


def from_scenario(sc: EvacuationScenario, facility: Facility, rng: np.random.Generator) -> list[PersonSpec]:
    """The people a scenario places.

    Raises:
        ScenarioFileError: It places nobody (naming the file and ``population``), e.g. an
            operations run with nobody in the building at the drill's time.
    """
    out = from_operations(sc, facility)
    out += [PersonSpec(id=p.id, profile=p.profile, space=p.space, position=p.position, exit=p.exit,
                      premove=p.premove, speed=p.speed, battery_min=p.battery_min)
           for p in sc.population.people]
    for gk, g in enumerate(sc.population.groups):
        for sid in _group_spaces(facility, g.space, g.use, g.compartment):
            out += [PersonSpec(id=f"g{gk}-{sid}-{n}", profile=g.profile, space=sid, exit=g.exit)
                    for n in range(g.count)]
    for bk, b in enumerate(sc.population.beds):
        names = sorted(b.mix)
        w = np.array([b.mix[n] for n in names], float)
        w /= w.sum()
        for s in facility.spaces:
            if s.beds <= 0 or (b.use is not None and s.use != b.use):
                continue
            n = round(s.beds * b.occupancy)
            picks = rng.choice(len(names), size=n, p=w)
            out += [PersonSpec(id=f"b{bk}-{s.id}-{i}", profile=names[int(c)], space=s.id)
                    for i, c in enumerate(picks)]
    if not out:
        fo = sc.population.from_operations
        at = f" (the operations run has nobody in the building at {fo.time!r})" if fo is not None else ""
        raise ScenarioFileError(sc.source or "<scenario>", "population",
                                f"places nobody in facility {facility.name!r}{at}; {_WHO}")
    return out


def from_snapshot(snapshot: Snapshot) -> list[PersonSpec]:
    """People as the operations model left them at ``snapshot.time_s``.

    Staff of any role evacuate with the ``staff`` profile; a patient attached
    to a ventilator (or whose profile is ``ventilated``) carries the device's
    remaining battery as their budget.
    """
    battery = {d.patient: d.battery_min for d in snapshot.devices
               if d.patient is not None and d.type == "ventilator"}
    out = []
    for o in snapshot.occupants:
        if o.role == "staff":
            prof = "staff"
        elif o.role == "visitor":
            prof = "visitor"
        else:
            prof = "ventilated" if o.id in battery else o.profile
        out.append(PersonSpec(id=o.id, profile=prof, space=o.space, position=o.position,
                              battery_min=battery.get(o.id)))
    return out
