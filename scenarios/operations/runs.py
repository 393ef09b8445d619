"""The operations kind's entry points for the shared runner: check and run one replication.

Both are module-level functions so replications can run in worker processes
or on a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from facility.ids import no_space
from scenarios.base import Replication
from scenarios.errors import ScenarioFileError
from scenarios.operations.kpis import replication_results
from scenarios.operations.model import OpsModel
from scenarios.operations.resource_schema import Resource
from scenarios.operations.schema import OperationsScenario
from scenarios.operations.walking import scenario_uses

if TYPE_CHECKING:
    from facility.model import Facility

__all__ = ["PROGRESS_CHUNKS", "SimProgress", "check", "run_in_chunks", "run_replication"]

#: progress(simulated seconds, run length in seconds), as a long replication runs.
SimProgress = Callable[[float, float], None]
#: Chunks of simulated time between two progress reports (one per cent of the run).
PROGRESS_CHUNKS = 100


def check(scenario: OperationsScenario, facility: Facility) -> None:
    """Raise ScenarioFileError if the scenario asks for something the facility lacks.

    Every space use the scenario names must exist when walking is on; rooms and
    beds counted from the facility need their spaces whether walking is on or
    not; a closure names a space of the facility that holds units of its pool.
    """
    src = scenario.source or "<scenario>"
    have = facility.uses
    if scenario.walking.enabled:
        for use, where in scenario_uses(scenario).items():
            if use not in have:
                raise ScenarioFileError(src, where, f"the facility {facility.name!r} has no space with use "
                                        f"{use!r}; it has {sorted(have)}")
    for name, r in scenario.resources.items():
        if r.kind in ("room", "bed") and r.count is None:
            spaces = facility.spaces_with_use(r.space_use or "")
            if not spaces:
                raise ScenarioFileError(src, f"resources.{name}.space_use",
                                        f"no space with use {r.space_use!r} in facility {facility.name!r} "
                                        "to count units from; give 'count' or a use the facility has")
        for k, c in enumerate(r.closures):
            if c.space is None:
                continue
            where = f"resources.{name}.closures[{k}].space"
            space = next((sp for sp in facility.spaces if sp.id == c.space), None)
            if space is None:
                raise ScenarioFileError(src, where, no_space(facility, c.space))
            if r.space_use is None or space.use != r.space_use:
                raise ScenarioFileError(src, where, f"space {c.space!r} has use {space.use!r}, so it holds "
                                        f"no unit of {name!r}, whose units are in spaces with use "
                                        f"{r.space_use!r}")
    _check_start_in(scenario, facility, src)


def _check_start_in(scenario: OperationsScenario, facility: Facility, src: str) -> None:
    """Refuse more patients part-way through steps than the rooms, beds or devices they occupy.

    A patient in a step holds a unit of each of its needs.  Past the pool's size the rest
    queued from the first minute, left out of the KPIs as start-in patients but ahead of
    every arrival: 1,000 in ``ward_stay`` over 96 ward beds read as a 180-hour wait for
    the patients who did arrive, with nothing to say why.
    """
    taken: dict[str, int] = {}
    for pname, pw in scenario.pathways.items():
        steps = {st.name: st for st in pw.steps}
        for k, start in enumerate(pw.start_in):
            for need in steps[start.step].needs:
                if not isinstance(need, str) or need not in scenario.resources:
                    continue  # a choice of resources, or a need the schema names
                units = _fixed_units(scenario.resources[need], facility)
                taken[need] = taken.get(need, 0) + start.count
                if units is not None and taken[need] > units:
                    raise ScenarioFileError(
                        src, f"pathways.{pname}.start_in[{k}].count",
                        f"{taken[need]} patient(s) start in steps holding a unit of {need!r}, which has "
                        f"{units}; expected at most {units} (the rest would queue from the first minute, "
                        "unseen in the KPIs, ahead of every arrival)")


def _fixed_units(r: Resource, facility: Facility) -> int | None:
    """Units of a room, bed or fixed-device pool as the model counts them; ``None`` for staff and
    mobile devices, whose numbers change with rosters."""
    if r.kind == "staff" or (r.kind == "device" and r.mobile):
        return None
    if r.count is not None:
        return r.count
    spaces = facility.spaces_with_use(r.space_use or "")
    return sum(max(1, sp.beds) for sp in spaces) if r.kind == "bed" else len(spaces)


def run_replication(scenario: OperationsScenario, facility: Facility, rng: np.random.Generator,
                    index: int, progress: SimProgress | None = None) -> Replication:
    """Run one replication to the end of the run; KPIs and Arrow tables.

    With ``progress``, the clock runs in :data:`PROGRESS_CHUNKS` equal chunks
    and ``progress(simulated seconds, run length in seconds)`` is called
    after each.  Chunks change nothing: SimPy processes the events of each
    instant in the same order whether or not a run stops at it.
    """
    m = OpsModel(scenario, facility, rng)
    if progress is not None:
        run_in_chunks(m, progress)
    m.finish()
    kpis, tables = replication_results(m)
    m.release()
    return Replication(index=index, kpis=kpis, tables=tables)


def run_in_chunks(model: OpsModel, progress: SimProgress, chunks: int = PROGRESS_CHUNKS) -> None:
    """Advance ``model`` to the end of its run in ``chunks`` steps, reporting after each."""
    end_s = model.horizon * 60.0
    for k in range(1, chunks + 1):
        model.run_until(model.horizon * k / chunks)
        progress(model.env.now * 60.0, end_s)
