"""How much work a scenario asks for, estimated before anything runs, and the budget it must fit.

A scenario can be valid field by field and still ask for more than any
machine can give: a run length of 10^8 days, an arrival rate of 10^9 an hour,
a recording interval of a microsecond. Such a run used to allocate tens of
gigabytes before failing, or ran for minutes without a word. Here the size of
the work is estimated from the scenario and its facility alone (arithmetic,
no simulation) and a run over the budget is refused at once with a
:class:`~scenarios.errors.ScenarioFileError` that names the file, the field
driving the size, how big the run would be and how to raise the budget.

The estimates are upper bounds of the same order as the run, not predictions:

* operations: patients arriving (the mean rate over the run), candidate
  arrivals drawn by thinning (the peak rate) and the events of their steps;
* evacuation: people placed, movement steps (``max_time / movement.dt``),
  trajectory rows recorded and raster cells per level;
* infection: space-steps of the air and surface model (spaces x
  ``days / time_step_min``); the operations run it starts from is budgeted
  when that scenario is run on its own.

The default budget lets every shipped scenario and the largest drills run; it
can be changed per process with the environment variables named in
:class:`Budget` (``MEDTWIN_MAX_EVENTS=1e9 medtwin run big.yaml``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from scenarios.errors import ArgumentError, ScenarioFileError

if TYPE_CHECKING:
    from facility import Facility
    from scenarios.base import ScenarioBase

__all__ = ["Budget", "Work", "check_budget", "estimate"]

#: Events per pathway step of one patient: request, start of service, end and
#: the walk to the next place (an upper bound; a step needing several
#: resources makes a few more, a skipped step none).
EVENTS_PER_STEP = 4
#: Days an infection run covers when ``days`` is not given (the schema's upper bound).
_INFECTION_MAX_DAYS = 60.0
#: Shortest interval between upkeep events counted (min), so a zero mean cannot divide by zero.
_TINY_MIN = 1e-12
#: Bytes of one recorded row (event log or trajectory), to say what a run
#: would need in memory: about ten 8-byte columns with Arrow overhead.
BYTES_PER_ROW = 100


@dataclass(frozen=True, slots=True)
class Budget:
    """The most work one replication may ask for; each limit can be set from the environment.

    Attributes:
        max_events: Simulation events of the operations model per
            replication (``MEDTWIN_MAX_EVENTS``): it handles ~1e4-1e5 a
            second, and the shipped week of the sample hospital asks for 8e4.
        max_person_steps: Person-steps of movement per evacuation
            replication (``MEDTWIN_MAX_PERSON_STEPS``): the largest shipped
            drill asks for 2.2e8 and takes under a minute.
        max_people: People in the model (``MEDTWIN_MAX_PEOPLE``): a year
            of a busy emergency department is ~1e5 arrivals.
        max_rows: Rows recorded per replication (``MEDTWIN_MAX_ROWS``):
            ~10 GB at :data:`BYTES_PER_ROW`.
        max_cells: Raster cells of one level (``MEDTWIN_MAX_CELLS``).
    """

    max_events: float = 2e7
    max_person_steps: float = 2e9
    max_people: float = 1e6
    max_rows: float = 1e8
    max_cells: float = 2e8

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Budget:
        """The default budget with any ``MEDTWIN_MAX_*`` variable applied.

        Raises:
            ArgumentError: A variable is not a positive number.

        >>> Budget.from_env({"MEDTWIN_MAX_ROWS": "5e6"}).max_rows
        5000000.0
        """
        env = os.environ if environ is None else environ
        values: dict[str, float] = {}
        for f in fields(cls):
            name = "MEDTWIN_" + f.name.upper()
            text = env.get(name)
            if text is None:
                continue
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value > 0):
                raise ArgumentError(f"environment variable {name}: expected a positive number, got {text!r}")
            values[f.name] = value
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Work:
    """The estimated size of one replication, and the scenario field that drives each part.

    Attributes:
        events: Simulation events (operations).
        person_steps: People times movement steps (evacuation), an upper bound:
            the drill ends when everyone is out.
        people: People in the model: those placed (evacuation), or the
            patients arriving over the run plus every resource unit
            (operations: a queue may hold every arrival at the end).
        rows: Rows recorded.
        cells: Raster cells of the largest level (0 if the model has none).
        drivers: For each of the four, the dotted field that makes it large.
    """

    events: float = 0.0
    person_steps: float = 0.0
    people: float = 0.0
    rows: float = 0.0
    cells: float = 0.0
    drivers: tuple[tuple[str, str], ...] = ()

    def driver(self, part: str) -> str:
        return dict(self.drivers).get(part, "")

    def describe(self) -> str:
        """One line for a log or a progress header.

        >>> Work(events=2.5e6, people=1200, rows=3e6).describe()
        '~2.5e+06 events, ~1.2e+03 people, ~3e+06 rows (~286 MiB)'
        """
        steps = (f"~{self.person_steps:.2g} person-steps" if self.person_steps
                 else f"~{self.events:.2g} events")
        text = (f"{steps}, ~{self.people:.2g} people, "
                f"~{self.rows:.2g} rows ({_bytes(self.rows)})")
        return text + (f", ~{self.cells:.2g} cells per level" if self.cells else "")


def _bytes(rows: float) -> str:
    size = rows * BYTES_PER_ROW
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"~{size:.0f} {unit}" if unit != "TiB" else f"~{size:.3g} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def estimate(scenario: ScenarioBase, facility: Facility) -> Work:
    """The work one replication of ``scenario`` asks for (see the module docstring).

    Kinds without an estimate (their own models bound their work) give an empty :class:`Work`.
    """
    if scenario.kind == "operations":
        return _operations(scenario)
    if scenario.kind == "evacuation":
        return _evacuation(scenario, facility)
    if scenario.kind == "infection":
        return _infection(scenario, facility)
    return Work()


def check_budget(scenario: ScenarioBase, facility: Facility, budget: Budget | None = None) -> Work:
    """Refuse a scenario whose work exceeds ``budget`` (default: :meth:`Budget.from_env`).

    Returns:
        The estimate, for a progress header or a log.

    Raises:
        ScenarioFileError: Over budget; names the file, the field driving the
            size, the size and the variable that raises the limit.
    """
    budget = budget or Budget.from_env()
    work = estimate(scenario, facility)
    source = scenario.source or "<scenario>"
    for part, limit, what in _parts(budget):
        size = getattr(work, part)
        if size > limit:
            extra = f" (~{_bytes(size)[1:]} in memory)" if part == "rows" else ""
            raise ScenarioFileError(
                source, work.driver(part),
                f"one replication would need ~{size:.3g} {what}{extra}, over the budget of {limit:.3g} "
                f"(set MEDTWIN_MAX_{part.upper()} to raise it, or make this value smaller)")
    return work


def _parts(budget: Budget) -> Iterator[tuple[str, float, str]]:
    # Memory first: it is what a run over budget exhausts, and the message says how much.
    yield "rows", budget.max_rows, "recorded rows"
    yield "cells", budget.max_cells, "raster cells on one level"
    yield "people", budget.max_people, "people and resource units in the model"
    yield "events", budget.max_events, "simulation events"
    yield "person_steps", budget.max_person_steps, "person-steps of movement"


def _operations(sc: Any) -> Work:
    length = float(sc.run.length_min)
    arrivals = candidates = 0.0
    biggest, biggest_field = -1.0, "run.length"
    for i, a in enumerate(sc.arrivals):
        if a.kind == "poisson":
            per_min = float(getattr(a, "per_minute", 1.0 / 60.0))
            peak_day = max(list(a.weekday_factors) or [1.0])
            mean = _cyclic_integral(list(a.rates), float(a.slot_min), length) * per_min * peak_day
            # Thinning draws candidates at the peak rate over the whole run.
            candidates += max(a.rates) * peak_day * per_min * length
            field = f"arrivals[{i}].rates"
        else:
            mean = a.per_day * len(set(a.days)) / 7.0 * math.ceil(length / 1440.0)
            field = f"arrivals[{i}].per_day"
        arrivals += mean
        if mean > biggest:
            biggest, biggest_field = mean, field
    units, most, unit_field = 0.0, -1.0, ""
    upkeep, upkeep_most, upkeep_field = 0.0, -1.0, ""
    for name, r in sc.resources.items():
        n = max([float(r.count or 0)] + [float(s.count) for s in getattr(r, "roster", ())])
        units += n
        if n > most:
            most, unit_field = n, f"resources.{name}.count"
        # Breakdowns and maintenance windows are events of their own, per unit.
        for field, every_min in _upkeep(r):
            k = max(n, 1.0) * length / every_min * 2  # start and end
            upkeep += k
            if k > upkeep_most:
                upkeep_most, upkeep_field = k, f"resources.{name}.{field}"
    steps = max((len(p.steps) for p in sc.pathways.values()), default=1)
    events = candidates + arrivals * steps * EVENTS_PER_STEP + upkeep
    # Thinning holds its candidate arrival times in memory: count them as rows.
    rows = candidates + (arrivals * steps if getattr(sc.run, "record_events", True) else arrivals)
    # A long run at a modest rate is the run length's doing; a huge rate the stream's.
    driver = "run.length" if length > 365 * 1440 else biggest_field
    event_driver = upkeep_field if upkeep > events / 2 else driver
    # Every patient arriving may still be in the model at the end (queues
    # grow without bound when arrivals outrun service), and every unit of a
    # resource is an object of its own.
    people_driver = unit_field if units > arrivals else driver
    return Work(events=events, people=arrivals + units, rows=rows,
                drivers=(("events", event_driver), ("people", people_driver), ("rows", driver)))


def _upkeep(resource: Any) -> Iterator[tuple[str, float]]:
    """(field, minutes between events) of a resource's breakdowns and maintenance windows."""
    failures = getattr(resource, "failures", None)
    if failures is not None:
        yield "failures.mtbf", max(float(failures.mtbf.mean_minutes()), _TINY_MIN)
    maintenance = getattr(resource, "maintenance", None)
    if maintenance is not None:
        yield "maintenance.every_days", max(float(maintenance.every_days) * 1440.0, _TINY_MIN)


def _cyclic_integral(rates: list[float], slot: float, length: float) -> float:
    """The integral over ``[0, length)`` of a rate that takes ``rates[k]`` in slot ``k``, cyclically.

    >>> _cyclic_integral([1.0, 3.0], 60.0, 150.0)
    270.0
    """
    cycle = slot * len(rates)
    full, rest = divmod(length, cycle)
    total = full * slot * sum(rates)
    for r in rates:
        if rest <= 0:
            break
        total += r * min(slot, rest)
        rest -= slot
    return total


def _evacuation(sc: Any, facility: Facility) -> Work:
    pop = sc.population
    people = float(len(pop.people))
    biggest, driver = people, "population.people"
    for i, g in enumerate(pop.groups):
        n = g.count * sum(1 for s in facility.spaces
                          if (g.space is None or s.id == g.space) and (g.use is None or s.use == g.use)
                          and (g.compartment is None or s.compartment == g.compartment))
        people += n
        if n > biggest:
            biggest, driver = n, f"population.groups[{i}].count"
    for i, b in enumerate(pop.beds):
        n = sum(round(s.beds * b.occupancy) for s in facility.spaces
                if s.beds > 0 and (b.use is None or s.use == b.use))
        people += n
        if n > biggest:
            biggest, driver = n, f"population.beds[{i}].occupancy"
    dt = float(sc.movement.dt)
    steps = float(sc.max_time) / dt
    record = max(float(sc.record_every), dt)
    rows = people * float(sc.max_time) / record
    cell = float(sc.movement.cell)
    cells = max((_level_cells(facility, lv.id, cell) for lv in facility.levels), default=0.0)
    row_driver = "record_every" if sc.record_every < 1.0 else driver
    return Work(person_steps=people * steps, people=people, rows=rows, cells=cells,
                drivers=(("person_steps", driver if people > 1000 else "max_time"), ("people", driver),
                         ("rows", row_driver), ("cells", "movement.cell")))


def _infection(sc: Any, facility: Facility) -> Work:
    """Air and surface state per space, stepped every ``time_step_min`` over the days simulated."""
    days = float(sc.days) if sc.days is not None else _INFECTION_MAX_DAYS
    steps = days * 1440.0 / float(sc.time_step_min)
    return Work(events=steps * len(facility.spaces), drivers=(("events", "time_step_min"),))


def _level_cells(facility: Facility, level: str, cell: float) -> float:
    """Cells of the raster over a level's bounding box (what the movement grids allocate)."""
    boxes = [s.polygon.bounds for s in facility.spaces_on(level)]
    if not boxes:
        return 0.0
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return (x1 - x0) / cell * ((y1 - y0) / cell)
