"""The evacuation model: a Mesa model stepping a crowd at a fixed time step.

The run's state is one :class:`~scenarios.evacuation.state.RunState` of plain data (the plan of
the building, one row per person in parallel numpy arrays, stairs and lifts, door passages,
goals); the parts of a step are free functions over it, each in its own module, and this class
only builds the state, orders the parts and owns the clock:

1. doors closing on schedule (:func:`.portals.clear_doorway`) and the hazard's conditions and
   doses (:mod:`.hazard`);
2. the strategy's phases and the end of pre-movement (:mod:`.phases`);
3. staff and the patients they move (:mod:`.assistance`), stairs and lifts (:mod:`.linking`);
4. route choice (:func:`.motion.choose`), doorway turns, standoffs and those standing in a
   stalled unit's way stepping aside (:mod:`.portals`), detours round
   parked units (:mod:`.detours`), squeezing past (:mod:`.portals`), the
   movement itself (:func:`.motion.move`, the compiled collision-free speed model of
   :mod:`agents.movement`), then doors and exits passed (:mod:`.portals`), the way into a refuge
   kept clear of those the step moved into it (:func:`.phases.keep_the_way_in`), and deadlocks
   (:mod:`.portals`);
5. recording (:class:`~scenarios.evacuation.recorder.Recorder`).

Every person is also a Mesa agent: a handle over its row (:mod:`agents.evacuees`), so
``model.agents``, ``agents_by_type`` and a user's :class:`mesa.DataCollector` see the live state.

Life of an occupant (``state``): ``PRE`` (alarm given, not yet moving) ->
``MOVE`` (walking to its goal) or ``NEED`` (a patient waiting for staff) ->
``PREP`` (being prepared) -> ``MOVE`` as a unit with its escorts
(``ATTACHED``, off the plane) -> ``LINK`` (on a stair or in a lift) ->
``REFUGE`` (in the receiving compartment) or ``OUT`` (through a final exit).
``HOLD`` is defend-in-place: waiting for the vertical phase.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial

import mesa
import numpy as np

from agents.evacuees import handle_type
from agents.movement.doorways import DoorTurns
from agents.movement.navigation import build_grid
from agents.movement.routes import Navigator
from agents.movement.wall_normals import away_from_walls
from facility.model import Facility
from scenarios.evacuation import assistance, detours, hazard, linking, motion, phases, placement, portals
from scenarios.evacuation.goals import Goals
from scenarios.evacuation.params import EvacParams, PersonSpec, State
from scenarios.evacuation.recorder import Recorder
from scenarios.evacuation.state import Passages, People, Plan, RunState, links_of, people_of, plan_of
from scenarios.hazards.conditions import DOSES, Environment

#: ``progress(simulated time, end time, people safe, people, out, in refuge)`` (:meth:`EvacuationModel.run`).
Progress = Callable[[float, float, int, int, int, int], None]

__all__ = ["EvacParams", "EvacuationModel", "PersonSpec", "Progress", "State"]


class EvacuationModel(mesa.Model):
    """One replication of an evacuation (see the module docstring).

    Attributes:
        run_state: The run's state (:class:`~scenarios.evacuation.state.RunState`).
        recorder: What the run writes down.

    The two parts of a step a variant may swap (the numpy reference of the tests does) are
    class attributes: :attr:`route_choice` and :attr:`movement`.
    """

    #: Route choice of everyone flagged for it (:func:`scenarios.evacuation.motion.choose`).
    route_choice = staticmethod(motion.choose)
    #: One movement step (:func:`scenarios.evacuation.motion.move`); returns what
    #: :func:`scenarios.evacuation.portals.arrivals` takes.
    movement = staticmethod(motion.move)
    #: Names of the rows of ``people.dose``.
    dose_names = DOSES

    def __init__(self, facility: Facility, people: list[PersonSpec], params: EvacParams,
                 rng: np.random.Generator, *, environment: Environment | None = None) -> None:
        super().__init__(rng=rng)
        levels = [lv.id for lv in facility.levels if facility.spaces_on(lv.id)]
        grids = [build_grid(facility, lv, params.cell) for lv in levels]
        nav = Navigator(facility, dict(zip(levels, grids, strict=True)), lifts=params.lifts,
                        fire_compartments=params.fire_compartments, behaviour=params.behaviour)
        plan = plan_of(facility, params, grids, nav.lift_ok, [away_from_walls(g) for g in grids])
        spot_cells: dict[tuple[str, float, float], np.ndarray] = {}
        spot = partial(placement.free_spot, plan, nav, rng, spot_cells, params.behaviour.door_keep_clear)
        crowd = people_of(people, plan, params, rng, spot)
        # A bed or wheelchair in a room no door of which it passes is stranded from the start:
        # staff sent for it would wait at its bedside to the end of the drill.
        crowd.stranded = assistance.shut_in(crowd, plan)
        self.run_state = st = RunState(
            plan=plan, people=crowd, links=links_of(facility),
            passages=Passages(DoorTurns.empty(len(facility.doors)), np.full(len(plan.comp_names), np.nan),
                              mark=np.full((len(crowd.ids), 2), np.nan),
                              before=np.full((len(crowd.ids), 2), np.nan)),
            goals=Goals(), nav=nav, p=params, rng=rng, phase=phases.first_phase(params.strategy),
            closures=deque(sorted(params.door_closures, key=lambda c: c[1])), env=environment,
            space_factor=np.ones(len(plan.space_ids)), spot_cells=spot_cells)
        for k, q in enumerate(crowd.profiles):
            handle_type(q.role)(self, k)
        hazard.start(st)
        self.recorder = Recorder(st)
        self._next_reroute = 0.0
        self._next_record = 0.0

    @property
    def people(self) -> People:
        """One row per person (:class:`~scenarios.evacuation.state.People`)."""
        return self.run_state.people

    @property
    def plan(self) -> Plan:
        """The building as the step sees it (:class:`~scenarios.evacuation.state.Plan`)."""
        return self.run_state.plan

    @property
    def t(self) -> float:
        """Model time (s)."""
        return self.run_state.t

    @property
    def deadlocks(self) -> list[tuple[str, float, float, float]]:
        """(person id, time, x, y) of each deadlock flagged."""
        return self.run_state.passages.deadlocks

    # -- the step ---------------------------------------------------------------
    def step(self) -> None:
        """One time step: the parts in their order (see the module docstring)."""
        st = self.run_state
        dt = st.p.model.dt
        st.t += dt
        t = st.t
        while st.closures and st.closures[0][1] <= t:
            door = st.closures.popleft()[0]
            st.nav.close_door(door)
            portals.clear_doorway(st, door)
            st.people.reroute[:] = True
        if st.env is not None:
            hazard.step(st, dt)
        phases.switch(st)
        phases.activate(st)
        assistance.assist(st)
        linking.links(st)
        if t >= self._next_reroute:
            st.people.reroute[st.people.state == State.MOVE] = True
            self._next_reroute = t + 1.0
        self.route_choice(st)
        portals.doorways(st)
        portals.standoffs(st)
        portals.make_way(st)
        detours.detour(st)
        portals.squeeze_past(st)
        portals.arrivals(st, *self.movement(st))
        phases.keep_the_way_in(st)
        portals.flag_deadlocks(st)
        if t >= self._next_record:
            self.recorder.sample(t)
            self._next_record = t + st.p.record_every

    def run(self, progress: Progress | None = None, every: float = 30.0) -> None:
        """Step until everyone is safe (or stranded) or ``max_time``.

        Args:
            progress: Called with (simulated time, ``max_time``, people safe, people, out, in a
                refuge now; :func:`~scenarios.evacuation.phases.safe_counts`) every ``every``
                simulated seconds and once at the end, so a long replication can show how far
                it is and a first result before it ends.
            every: Simulated seconds between two ``progress`` calls.
        """
        st = self.run_state
        next_report = st.t
        while st.t < st.p.max_time and not phases.done(st):
            self.step()
            if progress is not None and st.t >= next_report:
                self._report(progress)
                next_report = st.t + every
        self.recorder.sample(st.t)
        if progress is not None:
            self._report(progress)

    def _report(self, progress: Progress) -> None:
        safe, out, refuge = phases.safe_counts(self.run_state)
        progress(self.run_state.t, self.run_state.p.max_time, safe, len(self.run_state.people), out, refuge)

    def done(self) -> bool:
        """Whether nobody is left to move (:func:`~scenarios.evacuation.phases.done`)."""
        return phases.done(self.run_state)
