"""The evacuation model: a Mesa model stepping a crowd at a fixed time step.

State lives in parallel numpy arrays (position, level, state, speeds, sizes);
the step (:meth:`EvacuationModel.step`) updates them all at once with the
collision-free speed model (:mod:`agents.movement.pedestrians`), then handles the few
discrete events of the step (someone crossed a door, left through an exit,
reached a refuge, arrived at a stair or lift, a staff member reached a
patient).  Levels are separate planes joined by queued links
(:mod:`agents.movement.levels`); route choice is in
:mod:`agents.movement.routes`; staff assignment in :mod:`agents.assist`.

This module holds the state, the goals, the phases and the order of a step; the parts of the
step live next to it, one concept each: :mod:`~scenarios.evacuation.motion` (route choice and
movement), :mod:`~scenarios.evacuation.assistance` (staff and the patients they move),
:mod:`~scenarios.evacuation.linking` (stairs and lifts), :mod:`~scenarios.evacuation.placement`
(where people appear on a plane) and :mod:`~scenarios.evacuation.params` (states, parameters
and the constants of the behaviour rules).

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
from typing import Any

import mesa
import numpy as np

from agents.evacuees import handle_type
from agents.movement import standoffs, states
from agents.movement.doorways import BACK_OUT, GO, WAIT, DoorTurns, band_doors, turns
from agents.movement.levels import build_links
from agents.movement.motion_kernel import level_arrays
from agents.movement.navigation import LevelGrid, build_grid
from agents.movement.routes import Goal, Navigator, Option
from agents.occupants import Profile, lognormal_from_range, profile
from facility.model import Facility, SpaceKind
from scenarios.errors import RunError
from scenarios.evacuation import assistance, exposure, linking, motion, placement
from scenarios.evacuation.params import ON_PLANE, STATE_LABELS, EvacParams, PersonSpec, State
from scenarios.evacuation.recorder import Recorder
from scenarios.hazards.conditions import DOSES, Conditions, Environment

#: ``progress(simulated time, end time, people safe, people, out, in refuge)`` (:meth:`EvacuationModel.run`).
Progress = Callable[[float, float, int, int, int, int], None]

__all__ = ["EvacParams", "EvacuationModel", "PersonSpec", "Progress", "State"]




class EvacuationModel(mesa.Model):
    """One replication of an evacuation (see the module docstring).

    The two parts of a step a variant may swap (the numpy reference of the tests does) are
    class attributes: :attr:`route_choice` and :attr:`movement`.
    """

    #: Route choice of everyone flagged for it (:func:`scenarios.evacuation.motion.choose`).
    route_choice = staticmethod(motion.choose)
    #: One movement step (:func:`scenarios.evacuation.motion.move`); returns what
    #: :meth:`arrivals` takes.
    movement = staticmethod(motion.move)

    def __init__(self, facility: Facility, people: list[PersonSpec], params: EvacParams,
                 rng: np.random.Generator, *, environment: Environment | None = None) -> None:
        super().__init__(rng=rng)
        self.gen = rng
        self.facility = facility
        self.p = params
        self.t = 0.0
        self.levels = [lv.id for lv in facility.levels if facility.spaces_on(lv.id)]
        self.level_ix = {lv: k for k, lv in enumerate(self.levels)}
        self.grids: list[LevelGrid] = [build_grid(facility, lv, params.cell) for lv in self.levels]
        self.wall_normal = [placement.normals(g) for g in self.grids]
        self.nav = Navigator(facility, dict(zip(self.levels, self.grids, strict=True)), lifts=params.lifts,
                             fire_compartments=params.fire_compartments, behaviour=params.behaviour)
        self.space_ids = [s.id for s in facility.spaces]
        self.space_ix = {s: k for k, s in enumerate(self.space_ids)}
        self.local_to_global = [np.array([self.space_ix[s] for s in g.space_ids]) for g in self.grids]
        self.level_arrays = level_arrays(self.grids, self.wall_normal, self.local_to_global)
        sm = params.model
        self.csm_params = sm.kernel()
        comps = sorted(facility.compartments)
        self.comp_ix = {c: k for k, c in enumerate(comps)}
        #: Indices of the fire compartments (fixed for a run).
        self.fire_ix = frozenset(self.comp_ix[c] for c in params.fire_compartments if c in self.comp_ix)
        self.space_comp = np.array([self.comp_ix.get(s.compartment or "", -1) for s in facility.spaces])
        self.comp_names = comps
        #: Floor area (m2) of each compartment's spaces other than stairs and lifts: what a refuge offers.
        self.comp_area = np.zeros(len(comps))
        for s in facility.spaces:
            if s.compartment in self.comp_ix and s.kind not in (SpaceKind.STAIR, SpaceKind.LIFT):
                self.comp_area[self.comp_ix[s.compartment]] += s.area
        #: Per compartment, its neighbours that can receive its occupants (cached).
        self.refuge_next: dict[int, list[int]] = {}
        self.corridor = np.array([s.kind == SpaceKind.CORRIDOR for s in facility.spaces])
        self.door_between: dict[frozenset[str], str] = {frozenset(d.spaces): d.id for d in facility.doors}
        self.door_width = {d.id: d.width for d in facility.doors}
        self.door_ix = {d.id: k for k, d in enumerate(facility.doors)}
        self.door_widths = np.array([d.width for d in facility.doors])
        #: Per level, the door (global index) whose band holds each cell, -1 elsewhere.
        self.band_door = [band_doors(g.shape, g.door_cells, self.door_ix) for g in self.grids]
        self.door_turns = DoorTurns.empty(len(facility.doors))
        self.exit_width = {e.id: e.width for e in facility.exits}
        self.stairs, self.lifts = build_links(facility)
        self.facility_level_spaces = [frozenset(s.id for s in facility.spaces_on(lv)) for lv in self.levels]
        self.exit_levels = {self.level_ix[facility.space(e.space).level] for e in facility.exits}
        usable = [lf for lf in facility.lifts if lf.id in self.nav.lift_ok]
        self.level_lifts = {li: sum(1 for lf in usable if set(lf.spaces) & self.facility_level_spaces[li])
                             for li in range(len(self.levels))}
        self.goals: list[Goal] = []
        #: Per goal: whether it leads to safety (not to a patient to fetch).
        self.goal_evac = np.zeros(64, bool)
        self._goal_ix: dict[Goal, int] = {}
        self.phase = 1 if params.strategy in ("progressive", "horizontal") else 2
        self.closures = deque(sorted(params.door_closures, key=lambda c: c[1]))
        self.pending: list[tuple[float, int, str]] = []  # lift arrivals (t, agent, space)
        self.last_pass: dict[str, float] = {}
        self.deadlocks: list[tuple[str, float, float, float]] = []
        self.refuge_order: dict[int, list[int]] = {}
        self.spot_cells: dict[tuple[str, float, float], np.ndarray] = {}
        #: Nearest-door distance per occupant with the (x, y, space) it was measured at.
        self.door_dist_cache: dict[int, tuple[float, float, int, float]] = {}
        self._fire_spaces = frozenset(s for c in params.fire_compartments
                                      for s in facility.compartments.get(c, ()))
        self._init_people(people)
        for k, q in enumerate(self.profiles):
            handle_type(q.role)(self, k)
        self._init_hazard(environment)
        self.recorder = Recorder(self)
        self._next_reroute = 0.0
        self._next_record = 0.0

    # -- setup ------------------------------------------------------------------
    def _init_people(self, people: list[PersonSpec]) -> None:
        n = len(people)
        if n == 0:
            raise RunError("an evacuation needs at least one occupant")
        self.ids = [p.id for p in people]
        self.profiles: list[Profile] = [profile(p.profile) for p in people]
        prof = self.profiles
        names = sorted({q.name for q in prof})
        self.n_profiles = len(names)
        self.profile_ix = np.array([names.index(q.name) for q in prof], np.int64)
        self.radius = np.array([q.radius for q in prof])
        self.extra = np.array([q.extra for q in prof])
        self.clear = np.array([q.clearance for q in prof])
        self.stair_f = np.array([np.nan if q.stairs is None else q.stairs for q in prof])
        self.staff = np.array([q.role == "staff" for q in prof])
        self.need = np.array([q.staff_needed for q in prof])
        self.dep = np.array([q.dependency for q in prof])
        self.v0 = np.empty(n)
        self.premove = np.empty(n)
        self.prepare = np.empty(n)
        # Draw per profile, in a fixed order, so the stream is reproducible.
        for name in sorted({q.name for q in prof}):
            ix = np.array([k for k, q in enumerate(prof) if q.name == name])
            q = prof[ix[0]]
            self.v0[ix] = q.sample_speed(ix.size, self.gen)
            self.premove[ix] = q.sample_premove(ix.size, self.gen)
            self.prepare[ix] = q.sample_prepare(ix.size, self.gen)
        mu, sd = lognormal_from_range(*self.p.battery_range)
        self.battery = self.gen.lognormal(mu, sd, n) * 60.0
        for k, p in enumerate(people):
            if p.speed is not None:
                self.v0[k] = p.speed
            if p.premove is not None:
                self.premove[k] = p.premove
            if p.battery_min is not None:
                self.battery[k] = p.battery_min * 60.0
        self.pos = np.zeros((n, 2))
        self.lvl = np.zeros(n, np.int64)
        self.space = np.zeros(n, np.int64)
        # People already placed, per space: walls keep people in different spaces apart, and nobody
        # is placed in front of a door, so a new spot is checked against its own space only.
        placed: dict[str, list[tuple[float, float, float]]] = {}
        for k, p in enumerate(people):
            if not self.facility.has_space(p.space):
                raise RunError(f"occupant {p.id}: no space {p.space!r} in the facility")
            sp = self.facility.space(p.space)
            li = self.level_ix[sp.level]
            xy = p.position if p.position is not None else placement.free_spot(
                self, p.space, self.radius[k] + self.extra[k], self.clear[k], placed.setdefault(p.space, []),
                p.id)
            self.pos[k] = xy
            self.lvl[k] = li
            self.space[k] = self.space_ix[p.space]
            placed.setdefault(p.space, []).append((xy[0], xy[1], float(self.radius[k] + self.extra[k])))
            g = self.grids[li]
            i, j = g.cell_of(self.pos[k:k + 1])
            if g.wall[i[0], j[0]] < self.clear[k] or g.space[i[0], j[0]] < 0:
                raise RunError(f"occupant {p.id}: position {xy} is not free floor of space {p.space!r} "
                               f"(closer than {self.clear[k]} m to a wall or outside)")
        self.home_comp = self.space_comp[self.space]
        self.home_in_fire = np.isin(self.home_comp, list(self.fire_ix))
        # A parked bed or wheelchair stands square to the nearest wall (head against it).
        self.orient = np.zeros((n, 2))
        for li, g in enumerate(self.grids):
            sel = np.flatnonzero(self.lvl == li)
            if sel.size:
                i, j = g.cell_of(self.pos[sel])
                self.orient[sel] = self.wall_normal[li][i, j]
        self.assigned_exit = [p.exit for p in people]
        self.state = np.full(n, states.PRE)
        #: Name of each state (``state_names[state]``), as results tables and agent handles give it.
        self.state_names = STATE_LABELS
        self.goal = np.full(n, -1)
        self.opt: list[Option | None] = [None] * n
        #: Value identity of ``opt`` (``option_ids``), -1 for none: what route choice compares.
        self.opt_id = np.full(n, -1, np.int64)
        #: Door (global index) of ``opt`` if it is a door, else -1.
        self.opt_door = np.full(n, -1, np.int64)
        #: Doorway code of this step (:mod:`agents.movement.doorways`).
        self.hold = np.zeros(n, np.int64)
        #: Until when each person backs off to settle a standoff (:mod:`agents.movement.standoffs`).
        self.backing_until = np.full(n, -np.inf)
        self.option_ids: dict[Option, int] = {}
        self.option_arrays: dict[int, Any] = {}
        self.fid = np.full(n, -1)
        self.dist = np.full(n, np.inf)
        self.t_start = self.p.alarm + self.premove
        self.t_move = np.full(n, np.nan)
        self.t_reach = np.full(n, np.nan)
        self.reached = np.zeros(n, np.int64)  # 1 exit, 2 refuge
        self.wait = np.zeros(n)
        self.best = np.full(n, np.inf)
        self.last_prog = np.zeros(n)
        self.dead = np.zeros(n, bool)
        # A bed or wheelchair in a room no door of which it passes is stranded from the start:
        # staff sent for it would wait at its bedside to the end of the drill.
        self.stranded = assistance.shut_in(self)
        self.reroute = np.ones(n, bool)
        self.heading = np.zeros((n, 2))
        self.team: list[list[int]] = [[] for _ in range(n)]
        self.task = np.full(n, -1)
        self.prep_end = np.full(n, np.inf)
        self.prev_pos = self.pos.copy()
        self.exit_used: list[str] = [""] * n
        self.route: list[list[str]] = [[self.space_ids[s]] for s in self.space]
        self.refuge_space = np.full(n, -1)
        #: Compartment each occupant is going to, or waiting in, as a refuge (-1 none).
        self.refuge_comp = np.full(n, -1, np.int64)
        #: Floor area (m2) each occupant takes up in a refuge.
        b = self.p.behaviour
        self.refuge_demand = np.where(np.array([q.role == "patient" for q in prof]), b.refuge_area_patient,
                                      b.refuge_area_other)

    def _init_hazard(self, environment: Environment | None) -> None:
        """The hazard environment (if any) and what the run keeps of it (:mod:`.exposure`)."""
        n, ns = len(self.ids), len(self.space_ids)
        self.env = environment
        #: Accumulated doses, one row per name of :data:`~scenarios.hazards.conditions.DOSES`.
        self.dose = np.zeros((len(DOSES), n))
        self.dose_names = DOSES
        #: Speed factor of each space in the last conditions read.
        self.space_factor = np.ones(ns)
        #: Free speed of each person this step (``v0`` unless a hazard slows them).
        self.v_free = self.v0
        self.left_behind = np.zeros(n, bool)
        self.left_reason = [""] * n
        #: Per compartment (``comp_ix``), the last time someone left it (s, NaN if nobody has).
        self.comp_left = np.full(len(self.comp_ix), np.nan)
        self.cond: Conditions | None = None
        #: Who the hazard incapacitated, when, where and by which dose (:func:`.exposure.incapacitate`).
        self.casualties = exposure.Casualties.none(n)
        #: Where each person has been, from when to when (:func:`.exposure.track`).
        self.stays = exposure.Stays.start(self.space, self.t)
        self._next_hazard = np.inf
        if environment is None:
            return
        if tuple(environment.space_ids) != tuple(self.space_ids):
            raise RunError("the hazard environment's spaces are not the facility's spaces "
                           "in the facility's order")
        self._read_hazard()

    def _read_hazard(self) -> None:
        """Advance the environment to now; re-plan routes if the untenable spaces changed."""
        assert self.env is not None
        c = exposure.read(self.env, self.t - self.p.alarm, len(self.space_ids))
        self.cond = c
        self._next_hazard = self.t + self.p.hazard_every
        self.space_factor = np.asarray(c.speed_factor, np.float64)
        bad = frozenset(self.space_ids[k] for k in np.flatnonzero(c.untenable))
        if self.nav.set_unusable(bad):
            self.reroute[self.state == states.MOVE] = True
        if not self.p.enter_untenable:
            for s in exposure.left_behind(np.asarray(c.untenable, bool), state=self.state, space=self.space,
                                          team=self.team, flag=self.left_behind, reason=self.left_reason):
                self.state[s] = states.HOLD
                self.task[s] = -1

    def _hazard(self, dt: float) -> None:
        """Doses of the last step, then the next read of the environment when it is due."""
        assert self.cond is not None
        where = exposure.occupied_space(self.state, self.space, self.task)
        inside = self.state != states.OUT
        exposure.accumulate(self.dose, self.cond.dose_rate, where, inside, dt)
        exposure.track(self.stays, where, inside, self.t - dt)  # ``where`` is where they stood since t - dt
        exposure.incapacitate(self.dose, self.casualties, where, inside, self.t)
        exposure.stop_incapacitated(self.casualties, state=self.state, need=self.need, task=self.task,
                                    team=self.team, prep_end=self.prep_end, pos=self.pos)
        if self.t >= self._next_hazard - 1e-9:
            self._read_hazard()
        self.v_free = exposure.free_speeds(self.v0, self.space_factor, where)

    # -- goals ------------------------------------------------------------------
    def goal_id(self, goal: Goal) -> int:
        if goal not in self._goal_ix:
            self._goal_ix[goal] = len(self.goals)
            self.goals.append(goal)
            if len(self.goals) > self.goal_evac.size:
                self.goal_evac = np.concatenate([self.goal_evac, np.zeros(self.goal_evac.size, bool)])
            self.goal_evac[len(self.goals) - 1] = goal.kind != "point"
        return self._goal_ix[goal]

    def set_goal(self, k: int, goal: int) -> None:
        """Send occupant k to a new goal; progress (for deadlock detection) counts from now."""
        self.goal[k] = goal
        if self.goals[goal].kind != "spaces":
            self.refuge_comp[k] = -1
        self.reroute[k] = True
        self.last_prog[k] = self.t
        self.best[k] = np.inf

    def exit_goal(self, k: int) -> int:
        """Final exits (the allocated one, if any); outside the fire compartments, routes avoid them."""
        ex = self.assigned_exit[k]
        avoid: frozenset[str] = frozenset()
        if int(self.space_comp[self.space[k]]) not in self.fire_ix:
            avoid = self._fire_spaces
        return self.goal_id(Goal("exit", exits=frozenset([ex]) if ex else frozenset(), avoid=avoid))

    def refuge_goal(self, k: int) -> int:
        """The neighbouring compartment on the same level, not on fire, with the most room left for
        occupant k (:attr:`~agents.movement.behaviour.Behaviour.refuge_area_patient`); final exits
        if none has room."""
        c = int(self.space_comp[self.space[k]])
        if c not in self.refuge_next:
            self.refuge_next[c] = self._neighbour_compartments(int(self.space[k]))
        going = self.refuge_comp >= 0
        load = np.bincount(self.refuge_comp[going], weights=self.refuge_demand[going],
                           minlength=len(self.comp_ix))
        room = [(float(self.comp_area[n] - load[n]), n) for n in self.refuge_next[c]]
        room = [(f, n) for f, n in room if f >= self.refuge_demand[k]]
        if not room:
            return self.exit_goal(k)
        _, best = max(room, key=lambda fn: (fn[0], -fn[1]))
        spaces = frozenset(self.facility.compartments[self.comp_names[best]])
        goal = self.goal_id(Goal("spaces", spaces=spaces))
        self.refuge_comp[k] = best
        return goal

    def _neighbour_compartments(self, space: int) -> list[int]:
        """Compartments next to that of ``space`` through a door, on its level, not on fire."""
        fac = self.facility
        here = fac.spaces[space]
        fire = set(self.p.fire_compartments)
        out: set[int] = set()
        for d in fac.doors:
            a, b = (fac.space(s) for s in d.spaces)
            for x, y in ((a, b), (b, a)):
                if x.compartment == here.compartment and y.compartment not in (None, here.compartment) \
                        and y.compartment not in fire and y.level == here.level:
                    out.add(self.comp_ix[str(y.compartment)])
        return sorted(out)

    def safety_goal(self, k: int) -> int:
        if self.phase == 1 and self.home_comp[k] in self.fire_ix:
            return self.refuge_goal(k)
        return self.exit_goal(k)

    def _in_phase(self, k: int) -> bool:
        """Whether occupant k evacuates in the current phase."""
        return self.phase == 2 or int(self.space_comp[self.space[k]]) in self.fire_ix

    # -- the step ---------------------------------------------------------------
    def step(self) -> None:
        dt = self.p.model.dt
        self.t += dt
        t = self.t
        while self.closures and self.closures[0][1] <= t:
            door = self.closures.popleft()[0]
            self.nav.close_door(door)
            self._clear_doorway(door)
            self.reroute[:] = True
        if self.env is not None:
            self._hazard(dt)
        self._phases()
        self._activate()
        assistance.assist(self)
        linking.links(self)
        if t >= self._next_reroute:
            self.reroute[self.state == states.MOVE] = True
            self._next_reroute = t + 1.0
        self.route_choice(self)
        self._doorways()
        self._standoffs()
        self.arrivals(*self.movement(self))
        if t >= self._next_record:
            self.recorder.sample(t)
            self._next_record = t + self.p.record_every

    def _clear_doorway(self, door: str) -> None:
        """Whoever stands in a door's band when it closes steps back into the space they count
        in (a closed door is a wall: left in it, they could never move again)."""
        d = self.door_ix[door]
        on = np.flatnonzero(np.isin(self.state, ON_PLANE))
        for li, g in enumerate(self.grids):
            sel = on[self.lvl[on] == li]
            if sel.size == 0:
                continue
            i, j = g.cell_of(self.pos[sel])
            for k in sel[self.band_door[li][i, j] == d].tolist():
                placement.respawn(self, k, int(self.space[k]))

    def run(self, progress: Progress | None = None, every: float = 30.0) -> None:
        """Step until everyone is safe (or stranded) or ``max_time``.

        Args:
            progress: Called with (simulated time, ``max_time``, people safe, people, out, in a
                refuge now) every
                ``every`` simulated seconds and once at the end, so a long replication can show
                how far it is and a first result before it ends.
            every: Simulated seconds between two ``progress`` calls.
        """
        next_report = self.t
        while self.t < self.p.max_time and not self.done():
            self.step()
            if progress is not None and self.t >= next_report:
                self._report(progress)
                next_report = self.t + every
        self.recorder.sample(self.t)
        if progress is not None:
            self._report(progress)

    def _report(self, progress: Progress) -> None:
        # Safe: out, or in a refuge now or before (moving on from it in the vertical phase), unless
        # incapacitated before reaching one: the figure never goes down.
        out, refuge = self.state == states.OUT, self.state == states.REFUGE
        fell = self.casualties.flag & (self.refuge_space < 0)
        safe = int(np.count_nonzero((out | (self.refuge_space >= 0)) & ~fell))
        progress(self.t, self.p.max_time, safe, len(self.ids), int(np.count_nonzero(out)),
                 int(np.count_nonzero(refuge)))

    def done(self) -> bool:
        if self.phase == 1:
            if self.p.strategy != "horizontal":
                return False
            safe = np.isin(self.state, (states.OUT, states.REFUGE))
            fallen = self.state == states.INCAPACITATED
            return not bool((self.home_in_fire & ~safe & ~self.stranded & ~self.left_behind & ~fallen).any())
        active = (self.state != states.OUT) & ~self.stranded & ~self.left_behind
        active &= self.state != states.INCAPACITATED
        return not bool(active.any())

    def _phases(self) -> None:
        if self.phase == 2:
            if self.p.strategy == "progressive":
                placement.return_from_refuge(self)
            return
        if self.p.strategy == "horizontal" or self.t < self.p.alarm:
            return
        left = (self.home_in_fire & ~np.isin(self.state, (states.REFUGE, states.OUT, states.INCAPACITATED))
                & ~self.stranded & ~self.left_behind)
        timed = self.p.vertical_after is not None and self.t >= self.p.alarm + self.p.vertical_after
        if left.any() and not timed:
            return
        self.phase = 2
        self.recorder.phase2 = self.t
        for k in np.flatnonzero(self.state == states.HOLD):
            if self.staff[k]:
                continue
            self.state[k] = states.NEED if self.need[k] else states.MOVE
            self.set_goal(int(k), self.exit_goal(int(k)))
            if np.isnan(self.t_move[k]) and not self.need[k]:
                self.t_move[k] = self.t



    def _activate(self) -> None:
        """End of pre-movement: walk, wait for staff, or hold in place."""
        ready = np.flatnonzero((self.state == states.PRE) & ((self.t >= self.t_start) | (self.need > 0)))
        for k in ready.tolist():
            if self.t < self.p.alarm:
                continue
            if not self._in_phase(k) and not self.staff[k]:
                self.state[k] = states.HOLD
            elif self.need[k] > 0:
                self.state[k] = states.NEED
            elif self.staff[k]:
                if self.t < self.t_start[k]:
                    continue
                self.state[k] = states.HOLD  # free for tasks, see _assist
            else:
                self.state[k] = states.MOVE
                self.t_move[k] = self.t
                self.set_goal(k, self.safety_goal(k))

    # -- doorways and arrivals -------------------------------------------------
    def _doorways(self) -> None:
        """Who waits or backs out at a doorway this step (:func:`agents.movement.doorways.turns`)."""
        self.hold[:] = GO
        # Only those near their door take part (anyone in a door's band is well within approach).
        ks = np.flatnonzero((self.state == states.MOVE) & (self.fid >= 0) & (self.opt_door >= 0)
                            & (self.dist < self.p.behaviour.approach))
        if ks.size == 0:
            return
        door = self.opt_door[ks]
        bd = np.full(ks.size, -1, np.int64)
        for li, g in enumerate(self.grids):
            sel = self.lvl[ks] == li
            if sel.any():
                i, j = g.cell_of(self.pos[ks[sel]])
                bd[sel] = self.band_door[li][i, j]
        evac = self.goal_evac[: len(self.goals)][self.goal[ks]]
        code = turns(self.door_turns, self.t, walkers=ks, door=door, in_band=bd == door,
                     side=self.space[ks], dist=self.dist[ks], evacuee=evac, width=2 * self.radius[ks],
                     reach=self.radius[ks] + self.extra[ks], unit=self.need[ks] > 0,
                     door_width=self.door_widths, behaviour=self.p.behaviour,
                     stalled=self.t - self.last_prog[ks] > self.p.behaviour.patience)
        self.hold[ks] = code
        self.wait[ks[code == WAIT]] += self.p.model.dt

    def _standoffs(self) -> None:
        """Who backs off this step to settle a standoff (:func:`agents.movement.standoffs.back_off`)."""
        t = self.t
        moving = (self.state == states.MOVE) & (self.fid >= 0)
        b = self.p.behaviour
        stalled = np.flatnonzero(moving & (t - self.last_prog > b.stall_after)
                                 & (self.backing_until <= t))
        if stalled.size >= 2:
            portal = np.where(self.fid >= 0, self.nav.fields.portal[np.maximum(self.fid, 0)], -1)
            yielders = standoffs.back_off(stalled, pos=self.pos, lvl=self.lvl, reach=self.radius + self.extra,
                                          dist=self.dist, portal=portal, unit=self.need > 0,
                                          contact=b.contact)
            self.backing_until[yielders] = t + b.back_off_time
        self.hold[moving & (self.backing_until > t)] = BACK_OUT

    def arrivals(self, on: np.ndarray | None = None, cell_space: np.ndarray | None = None,
                  cell_exit: np.ndarray | None = None) -> None:
        """Exits passed and doors crossed by the people who walked this step (level by level).

        ``on``, ``cell_space`` and ``cell_exit`` are :attr:`movement`'s: the people on a plane and
        the global space and level exit index of the cell each ended in (looked up here if not
        given).
        """
        if on is None or cell_space is None or cell_exit is None:
            on = np.flatnonzero(self.state == states.MOVE)
            cell_space, cell_exit = motion.cells(self, on)
        walked = self.state[on] == states.MOVE
        on, cell_space, cell_exit = on[walked], cell_space[walked], cell_exit[walked]
        t = self.t
        for li, g in enumerate(self.grids):
            sel = self.lvl[on] == li
            if not sel.any():
                continue
            ks = on[sel]
            ex = cell_exit[sel]
            glob = np.where(cell_space[sel] >= 0, cell_space[sel], self.space[ks])
            for k, e_ix in zip(ks[ex >= 0].tolist(), ex[ex >= 0].tolist(), strict=True):
                if self.goals[self.goal[k]].kind != "exit":
                    # Only people heading out pass a final exit: staff going back in for the next
                    # patient and pressed against it by the outflow stay inside, on the team.
                    self.pos[k] = self.prev_pos[k]
                    continue
                eid = g.exit_ids[int(e_ix)]
                if not self._admit(eid, self.exit_width[eid]):
                    self.pos[k] = self.prev_pos[k]
                    continue
                self.exit_used[k] = eid
                self.left_compartment(int(self.space[k]), -1)
                self.last_pass[eid] = t
                self.recorder.passage(t, eid, "exit")
                self.safe(k, 1)
            changed = (glob != self.space[ks]) & (ex < 0)
            for k, new in zip(ks[changed].tolist(), glob[changed].tolist(), strict=True):
                old = self.space_ids[self.space[k]]
                sid = self.space_ids[new]
                door = self.door_between.get(frozenset((old, sid)))
                if door is not None and not self._admit(door, self.door_width[door]):
                    self.pos[k] = self.prev_pos[k]
                    continue
                self.left_compartment(int(self.space[k]), new)
                self.space[k] = new
                self.route[k].append(sid)
                if door is not None:
                    self.last_pass[door] = t
                    self.recorder.passage(t, door, "door")
                goal = self.goals[self.goal[k]]
                if goal.kind == "spaces" and sid in goal.spaces:
                    self.refuge_space[k] = new
                    self.safe(k, 2)
                else:
                    self.reroute[k] = True
                    self.best[k] = np.inf
        # Deadlock: no progress for the window while nobody passes the portal ahead.
        w = self.p.deadlock_window
        # (Someone with no usable way out is stranded, not deadlocked: counted once, as stranded.)
        stuck = np.flatnonzero((self.state == states.MOVE) & (t - self.last_prog > w) & ~self.dead
                               & ~self.stranded)
        for k in stuck.tolist():
            o = self.opt[k]
            if o is None or t - self.last_pass.get(o.ref, -1e9) > w:
                self.dead[k] = True
                self.deadlocks.append((self.ids[k], t, float(self.pos[k, 0]), float(self.pos[k, 1])))

    def left_compartment(self, old: int, new: int) -> None:
        """Note the time if someone moving from space ``old`` to ``new`` (-1: out) leaves a compartment."""
        c = int(self.space_comp[old])
        if c >= 0 and (new < 0 or int(self.space_comp[new]) != c):
            self.comp_left[c] = self.t

    def _admit(self, portal: str, width: float) -> bool:
        """Whether a door or exit with capacity ``door_flow * width`` lets one more through now."""
        if self.p.door_flow is None:
            return True
        if self.t - self.last_pass.get(portal, -1e9) < 1.0 / (self.p.door_flow * width) - 1e-9:
            return False
        self.last_pass[portal] = self.t
        return True

    def safe(self, k: int, how: int) -> None:
        """Occupant k is safe now: out (``how`` 1) or in a refuge (2); their team is free again."""
        self.state[k] = states.OUT if how == 1 else states.REFUGE
        self.reached[k] = how
        self.t_reach[k] = self.t
        for s in self.team[k]:
            self.reached[s] = 0
        if self.team[k]:
            assistance.release_team(self, k)
        if self.staff[k]:
            self.task[k] = -1


