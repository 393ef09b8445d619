"""The response as operations levers: the operations scenario each intervention runs.

:func:`operations_variant` derives, with ``model_copy(update=...)``, the
operations scenario of one intervention from the infection scenario:

- index cases that follow a pathway become patients of their own pathway
  (``index_0``, ``index_1``, ...: a copy of the named pathway, with an
  optional undiagnosed wait in the arrival space first) arriving once at
  ``arrive_h`` (a scheduled stream; in runs longer than a week the stream
  repeats weekly and those later patients are ordinary patients);
- ``isolate`` gives those pathways isolation at triage on a room pool of
  the isolation rooms (``room_use``), with an optional cohort pool, and
  (``care_in_room``) has their later steps held in the isolation room
  instead of a cubicle of their own;
- ``close_bay`` closes the places of the space the first index case is in
  at ``at_h`` (found in the baseline run: with the same random numbers the
  history up to the closure is the same) for the stated window plus deep
  cleaning;
- ``cohort_staff`` dedicates staff units to isolated patients.

Their cost shows in the operations KPIs of each intervention (waits,
boarding, isolation waits, diversions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from scenarios.errors import RunError
from scenarios.operations.distributions import Distribution
from scenarios.operations.schema import Arrival, OperationsScenario, Resource, Run, Step

if TYPE_CHECKING:
    from facility.model import Facility
    from scenarios.hazards.infection.schema import InfectionScenario, Intervention

__all__ = ["ISOLATION_COHORT", "ISOLATION_ROOM", "bay_of_index", "index_pathway", "operations_variant"]

#: Names of the pools added for isolation at triage.
ISOLATION_ROOM = "infection_isolation_room"
ISOLATION_COHORT = "infection_isolation_cohort"
_UNDIAGNOSED = "undiagnosed_wait"


def index_pathway(i: int) -> str:
    """Name of the operations pathway of index case ``i``.

    >>> index_pathway(0)
    'index_0'
    """
    return f"index_{i}"


def operations_variant(sc: InfectionScenario, iv: Intervention, *, close: tuple[str, str] | None = None
                       ) -> OperationsScenario:
    """The operations scenario of intervention ``iv`` (the baseline when it changes nothing).

    Args:
        sc: The infection scenario.
        iv: The intervention.
        close: Space id and clinical use of the bay ``close_bay`` closes
            (from :func:`bay_of_index` on the baseline run).
    """
    ops = sc.ops
    run_update: dict[str, Any] = {"record_events": True}
    if "batches" in Run.model_fields:
        run_update["batches"] = None  # one replication is one run: no batch means
    if sc.days is not None:
        run_update.update(length=sc.days, unit="d", warmup=0.0)
    pathways = dict(ops.pathways)
    arrivals = list(ops.arrivals)
    resources = dict(ops.resources)
    iso = iv.isolate
    if iso is not None:
        resources[ISOLATION_ROOM] = Resource(kind="room", space_use=iso.room_use)
        if iso.if_full == "cohort":
            resources[ISOLATION_COHORT] = Resource(kind="room", space_use=iso.cohort_use)
    for i, ic in enumerate(sc.index_cases):
        if ic.pathway is None:
            continue
        pw = ops.pathways[ic.pathway]
        steps = list(pw.steps)
        arrive_use = pw.arrive_use or steps[0].wait_use or steps[0].space_use
        wait = ic.undiagnosed_wait_min if (iso is None or not iso.screened_on_arrival) else 0.0
        if wait > 0:
            steps.insert(0, Step(name=_UNDIAGNOSED, duration=Distribution(dist="fixed", value=wait),
                                 space_use=arrive_use))
        update: dict[str, Any] = {"steps": steps, "start_in": [], "arrive_use": arrive_use}
        if iso is not None:
            from scenarios.operations.schema import Isolation  # a lever only interventions need

            after = iso.after or steps[0].name
            if iso.care_in_room:
                steps = _care_in_isolation(steps, after, ops)
                update["steps"] = steps
            update["isolation"] = Isolation(share=1.0, after=after, room=ISOLATION_ROOM, if_full=iso.if_full,
                                            cohort=ISOLATION_COHORT if iso.if_full == "cohort" else None)
        name = index_pathway(i)
        pathways[name] = pw.model_copy(update=update)
        minute = ic.arrive_h * 60.0
        arrivals.append(Arrival(name=name, kind="scheduled", mix={name: 1.0}, first_min=minute % 1440.0,
                                per_day=1, days=[int(minute // 1440.0) % 7]))
    for name, n in iv.cohort_staff.items():
        resources[name] = resources[name].model_copy(update={"cohort_units": n})
    if iv.close_bay is not None and close is not None:
        from scenarios.operations.schema import Closure  # a lever only interventions need

        cb = iv.close_bay
        pool = _pool_of_use(ops, *close)
        closure = Closure(start_h=cb.at_h, end_h=cb.at_h + cb.hours, space=close[0],
                          deep_clean_h=cb.deep_clean_h)
        closures = [*resources[pool].closures, closure]
        resources[pool] = resources[pool].model_copy(update={"closures": closures})
    return ops.model_copy(update={"run": ops.run.model_copy(update=run_update), "pathways": pathways,
                                  "arrivals": arrivals, "resources": resources, "source": sc.source})


def _care_in_isolation(steps: list[Step], after: str, ops: OperationsScenario) -> list[Step]:
    """The steps after ``after`` without their own rooms and beds, so they happen in the isolation room.

    An isolated patient is seen where they are isolated: a step that needed a
    cubicle or a treatment room no longer takes one (the operations model
    then holds the step in the isolation room, and staff come there).  Steps
    with a place set by a fixed device or a ``space_use`` (a scan) keep it.
    """
    names = [s.name for s in steps]
    first = names.index(after) + 1 if after in names else len(steps)
    out = list(steps[:first])
    for st in steps[first:]:
        if st.space_use is not None:
            out.append(st)
            continue
        keep = [n for n in st.needs
                if not (isinstance(n, str) and ops.resources[n].kind in ("room", "bed"))]
        singles = {n for n in keep if isinstance(n, str)}
        out.append(st.model_copy(update={"needs": keep, "hold": [h for h in st.hold if h in singles]}))
    return out


def _pool_of_use(ops: OperationsScenario, space: str, use: str) -> str:
    for name, r in ops.resources.items():
        if r.kind in ("room", "bed") and r.space_use == use and r.count is None:
            return name
    raise RunError(f"close_bay: the index case is in {space!r} (use {use!r}) at the closure time, and no "
                   "room or bed pool of the operations scenario is counted from that use")


def bay_of_index(events: pa.Table, at_min: float, facility: Facility) -> str | None:
    """The space of a room or bed the first index case occupies at ``at_min`` (or last before it).

    Only spaces that hold beds or rooms matter: a case walking to X-ray at the
    closure time is still in their bay's bed.
    """
    pw = np.asarray(events["pathway"].to_pylist(), dtype=object)
    sel = np.flatnonzero(pw == index_pathway(0))
    if sel.size == 0:
        return None
    first = int(events["patient"].to_numpy()[sel].min())
    rows = [r for r in sel.tolist() if int(events["patient"][r].as_py()) == first]
    start = events["start"].to_numpy(zero_copy_only=False)
    best: str | None = None
    for r in sorted(rows, key=lambda r: start[r]):
        if not start[r] <= at_min:
            break
        space = events["space"][r].as_py()
        if space and facility.has_space(space) and facility.space(space).beds > 0:
            best = space
    return best
