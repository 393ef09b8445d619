"""The evacuation model: a Mesa model stepping a crowd at a fixed time step.

State lives in parallel numpy arrays (position, level, state, speeds, sizes);
the step (:meth:`EvacuationModel.step`) updates them all at once with the
collision-free speed model (:mod:`agents.pedestrians`), then handles the few
discrete events of the step (someone crossed a door, left through an exit,
reached a refuge, arrived at a stair or lift, a staff member reached a
patient).  Levels are separate planes joined by queued links
(:mod:`scenarios.evacuation.levels`); route choice is in
:mod:`scenarios.evacuation.routes`; staff assignment in :mod:`agents.assist`.

Life of an occupant (``state``): ``PRE`` (alarm given, not yet moving) ->
``MOVE`` (walking to its goal) or ``NEED`` (a patient waiting for staff) ->
``PREP`` (being prepared) -> ``MOVE`` as a unit with its escorts
(``ATTACHED``, off the plane) -> ``LINK`` (on a stair or in a lift) ->
``REFUGE`` (in the receiving compartment) or ``OUT`` (through a final exit).
``HOLD`` is defend-in-place: waiting for the vertical phase.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import mesa
import numpy as np

from agents.assist import choose_patient
from agents.navigation import LevelGrid, build_grid
from agents.occupants import Profile, lognormal_from_range, profile
from agents.pedestrians import SpeedModel, constrained_move, step_directions_speeds
from facility.model import Facility, SpaceKind
from scenarios.errors import RunError
from scenarios.evacuation.levels import build_links
from scenarios.evacuation.recorder import Recorder
from scenarios.evacuation.routes import CONGESTION_WEIGHT, Goal, Navigator, Option

__all__ = ["EvacParams", "EvacuationModel", "PersonSpec", "State"]


class State:
    """Occupant states (small ints in the ``state`` array)."""

    PRE, MOVE, NEED, PREP, ATTACHED, LINK, REFUGE, OUT, HOLD, FETCH = range(10)
    NAMES = ("pre", "move", "need_staff", "prep", "escorting", "link", "refuge", "out", "hold", "fetch")


#: States whose occupant stands on a level plane.
_ON_PLANE = (State.PRE, State.MOVE, State.NEED, State.PREP, State.HOLD, State.FETCH)
#: Seconds added to a detour door (one whose way on leads back through the current space):
#: it is taken only when nothing else is reachable.
DETOUR_PENALTY = 1.0e4
#: Metres beyond an occupant's reach (radius plus a bed's extra length) kept free in front of
#: every door and exit when placing people at random: rooms keep their door clear.
DOOR_KEEP_CLEAR = 1.0
#: People take a stair flight or a lift from within this distance (m) of the middle of its
#: space (:meth:`Navigator.landing`); they walk there first, so a queue forms on the landing and
#: not in the doorway.
LINK_REACH = 2.0
#: Seconds without progress after which someone going round an obstacle tries the other side
#: (and back again after as long again).
PATIENCE = 8.0
#: Metres kept free round a bed or wheelchair parked in a refuge, beyond its length: a walker's
#: passage, so parked units never close a corridor.
PARK_GAP = 0.5
#: Metres from a teammate already at the bedside within which a staff member has joined the team
#: (arm's length across a bed, or across the next patient's bed in a crowded ICU bay).
TEAM_REACH = 2.0
#: Beds and wheelchairs per lift serving a level that may be on their way to it or queued for
#: it at once; the others stay prepared at the bedside until called (:meth:`_called_forward`).
LIFT_CALL_AHEAD = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonSpec:
    """One occupant at the alarm.

    Attributes:
        id: Unique id.
        profile: Profile name (:data:`agents.occupants.PROFILES`).
        space: Space they are in.
        position: Exact position, or ``None`` to place at random in ``space``.
        exit: Allocated final exit (RiMEA test 10), or ``None`` for free choice.
        premove: Pre-movement time (s) instead of a draw from the profile.
        speed: Free speed (m/s) instead of a draw from the profile.
        battery_min: Ventilator battery/O2 budget (min) for ventilated patients.
    """

    id: str
    profile: str
    space: str
    position: tuple[float, float] | None = None
    exit: str | None = None
    premove: float | None = None
    speed: float | None = None
    battery_min: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvacParams:
    """Everything about a run except who is where.

    Attributes:
        alarm: Alarm time (s from the start of the run).
        strategy: ``"full"`` (everyone to final exits) or ``"progressive"``
            (fire compartments to a neighbouring compartment, then everyone out).
        fire_compartments: Compartments evacuated first (progressive).
        vertical_after: Seconds after the alarm when the vertical phase starts;
            ``None``: when the horizontal phase is done.
        policy: Staff assignment policy (:data:`agents.assist.POLICIES`).
        lifts: Which lifts are used: ``"evacuation"`` (flagged evacuation
            lifts), ``"all"`` or ``"none"``.
        cell: Raster cell size (m).
        model: Movement model parameters.
        max_time: Stop after this many simulated seconds.
        record_every: Trajectory and curve sampling interval (s).
        door_closures: (door id, time s) pairs: doors that close during the run.
        deadlock_window: No progress for this long (s) while the portal ahead
            passes no one is a deadlock.
        battery_range: (5 %, 95 %) of transport ventilator battery time (min)
            when a patient has none given (Campbell et al. 2002: 34-642 min).
        trajectories: Record trajectories.
        door_flow: Capacity of doors and exits in P/(s m) of clear width
            (CIBSE Guide E / IMO: 1.33); ``None`` leaves flows to the movement
            model alone.
    """

    alarm: float = 0.0
    strategy: str = "full"
    fire_compartments: tuple[str, ...] = ()
    vertical_after: float | None = None
    policy: str = "most_dependent"
    lifts: str = "evacuation"
    cell: float = 0.1
    model: SpeedModel = field(default_factory=SpeedModel)
    max_time: float = 3600.0
    record_every: float = 1.0
    door_closures: tuple[tuple[str, float], ...] = ()
    deadlock_window: float = 60.0
    battery_range: tuple[float, float] = (34.0, 642.0)
    trajectories: bool = True
    door_flow: float | None = 1.33


class EvacuationModel(mesa.Model):
    """One replication of an evacuation (see the module docstring)."""

    def __init__(self, facility: Facility, people: list[PersonSpec], params: EvacParams,
                 rng: np.random.Generator) -> None:
        super().__init__(rng=rng)
        self.gen = rng
        self.facility = facility
        self.p = params
        self.t = 0.0
        self.levels = [lv.id for lv in facility.levels if facility.spaces_on(lv.id)]
        self.level_ix = {lv: k for k, lv in enumerate(self.levels)}
        self.grids: list[LevelGrid] = [build_grid(facility, lv, params.cell) for lv in self.levels]
        self.wall_normal = [_normals(g) for g in self.grids]
        self.nav = Navigator(facility, dict(zip(self.levels, self.grids, strict=True)), lifts=params.lifts)
        self.space_ids = [s.id for s in facility.spaces]
        self.space_ix = {s: k for k, s in enumerate(self.space_ids)}
        self.local_to_global = [np.array([self.space_ix[s] for s in g.space_ids]) for g in self.grids]
        comps = sorted(facility.compartments)
        self.comp_ix = {c: k for k, c in enumerate(comps)}
        self.space_comp = np.array([self.comp_ix.get(s.compartment or "", -1) for s in facility.spaces])
        self.corridor = np.array([s.kind == SpaceKind.CORRIDOR for s in facility.spaces])
        self.door_between: dict[frozenset[str], str] = {frozenset(d.spaces): d.id for d in facility.doors}
        self.door_width = {d.id: d.width for d in facility.doors}
        self.exit_width = {e.id: e.width for e in facility.exits}
        self.stairs, self.lifts = build_links(facility)
        self.facility_level_spaces = [frozenset(s.id for s in facility.spaces_on(lv)) for lv in self.levels]
        self._exit_levels = {self.level_ix[facility.space(e.space).level] for e in facility.exits}
        usable = [lf for lf in facility.lifts if params.lifts == "all"
                  or (params.lifts == "evacuation" and lf.evacuation_lift)]
        self._level_lifts = {li: sum(1 for lf in usable if set(lf.spaces) & self.facility_level_spaces[li])
                             for li in range(len(self.levels))}
        self.goals: list[Goal] = []
        self._goal_ix: dict[Goal, int] = {}
        self.phase = 1 if params.strategy in ("progressive", "horizontal") else 2
        self.closures = deque(sorted(params.door_closures, key=lambda c: c[1]))
        self.pending: list[tuple[float, int, str]] = []  # lift arrivals (t, agent, space)
        self.last_pass: dict[str, float] = {}
        self.deadlocks: list[tuple[str, float, float, float]] = []
        self._refuge_order: dict[int, list[int]] = {}
        self._fire_spaces = frozenset(s for c in params.fire_compartments
                                      for s in facility.compartments.get(c, ()))
        self._init_people(people)
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
        placed: dict[int, list[tuple[float, float, float]]] = {}
        for k, p in enumerate(people):
            if not self.facility.has_space(p.space):
                raise RunError(f"occupant {p.id}: no space {p.space!r} in the facility")
            sp = self.facility.space(p.space)
            li = self.level_ix[sp.level]
            xy = p.position if p.position is not None else self._free_spot(
                p.space, self.radius[k] + self.extra[k], self.clear[k], placed.setdefault(li, []), p.id)
            self.pos[k] = xy
            self.lvl[k] = li
            self.space[k] = self.space_ix[p.space]
            placed.setdefault(li, []).append((xy[0], xy[1], float(self.radius[k] + self.extra[k])))
            g = self.grids[li]
            i, j = g.cell_of(self.pos[k:k + 1])
            if g.wall[i[0], j[0]] < self.clear[k] or g.space[i[0], j[0]] < 0:
                raise RunError(f"occupant {p.id}: position {xy} is not free floor of space {p.space!r} "
                               f"(closer than {self.clear[k]} m to a wall or outside)")
        self.home_comp = self.space_comp[self.space]
        # A parked bed or wheelchair stands square to the nearest wall (head against it).
        self.orient = np.zeros((n, 2))
        for li, g in enumerate(self.grids):
            sel = np.flatnonzero(self.lvl == li)
            if sel.size:
                i, j = g.cell_of(self.pos[sel])
                self.orient[sel] = self.wall_normal[li][i, j]
        self.assigned_exit = [p.exit for p in people]
        self.state = np.full(n, State.PRE)
        self.goal = np.full(n, -1)
        self.opt: list[Option | None] = [None] * n
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
        self.stranded = np.zeros(n, bool)
        self.reroute = np.ones(n, bool)
        self.heading = np.zeros((n, 2))
        self.team: list[list[int]] = [[] for _ in range(n)]
        self.task = np.full(n, -1)
        self.prep_end = np.full(n, np.inf)
        self.prev_pos = self.pos.copy()
        self.exit_used: list[str] = [""] * n
        self.route: list[list[str]] = [[self.space_ids[s]] for s in self.space]
        self.refuge_space = np.full(n, -1)

    def _free_spot(self, space_id: str, r: float, c: float, placed: list[tuple[float, float, float]],
                   who: str) -> tuple[float, float]:
        g = self.grids[self.level_ix[self.facility.space(space_id).level]]
        cells = np.flatnonzero(self.nav.space_mask(space_id).ravel() & (g.wall.ravel() >= c + 0.05))
        if cells.size == 0:
            raise RunError(f"occupant {who}: space {space_id!r} has no floor far enough from walls")
        # Nobody starts in front of a door or exit (a bed parked there would shut everyone else in);
        # a space too small for that keeps all its floor.
        far = self._clear_of_openings(space_id, cells, g, r)
        if far.any():
            cells = cells[far]
        arr = np.array(placed) if placed else np.zeros((0, 3))
        for _ in range(5):
            pick = cells[self.gen.integers(cells.size, size=2000)]
            i, j = np.divmod(pick, g.shape[1])
            xy = g.centre(i, j) + self.gen.uniform(-0.3, 0.3, (pick.size, 2)) * g.h
            if arr.shape[0] == 0:
                return float(xy[0, 0]), float(xy[0, 1])
            near = np.abs(arr[:, 0] - xy[:, :1]) < arr[:, 2] + r
            near &= np.abs(arr[:, 1] - xy[:, 1:]) < arr[:, 2] + r
            clear = np.flatnonzero(~near.any(axis=1))
            if clear.size:
                return float(xy[clear[0], 0]), float(xy[clear[0], 1])
            for q in range(pick.size):
                m = near[q]
                if np.all(np.hypot(arr[m, 0] - xy[q, 0], arr[m, 1] - xy[q, 1]) >= arr[m, 2] + r):
                    return float(xy[q, 0]), float(xy[q, 1])
        raise RunError(f"occupant {who}: no room left in space {space_id!r} (too many people for its area)")

    # -- goals ------------------------------------------------------------------
    def _goal(self, goal: Goal) -> int:
        if goal not in self._goal_ix:
            self._goal_ix[goal] = len(self.goals)
            self.goals.append(goal)
        return self._goal_ix[goal]

    def _set_goal(self, k: int, goal: int) -> None:
        """Send occupant k to a new goal; progress (for deadlock detection) counts from now."""
        self.goal[k] = goal
        self.reroute[k] = True
        self.last_prog[k] = self.t
        self.best[k] = np.inf

    def _exit_goal(self, k: int) -> int:
        """Final exits (the allocated one, if any); outside the fire compartments, routes avoid them."""
        ex = self.assigned_exit[k]
        avoid: frozenset[str] = frozenset()
        if int(self.space_comp[self.space[k]]) not in self._fire_ix():
            avoid = self._fire_spaces
        return self._goal(Goal("exit", exits=frozenset([ex]) if ex else frozenset(), avoid=avoid))

    def _refuge_goal(self, k: int) -> int:
        """Neighbouring compartments on the same level that are not on fire; exits if none."""
        fac = self.facility
        here = fac.spaces[self.space[k]]
        fire = set(self.p.fire_compartments)
        targets: set[str] = set()
        for d in fac.doors:
            a, b = (fac.space(s) for s in d.spaces)
            for x, y in ((a, b), (b, a)):
                if x.compartment == here.compartment and y.compartment not in (None, here.compartment) \
                        and y.compartment not in fire and y.level == here.level:
                    targets.update(fac.compartments[str(y.compartment)])
        if not targets:
            return self._exit_goal(k)
        return self._goal(Goal("spaces", spaces=frozenset(targets)))

    def _safety_goal(self, k: int) -> int:
        if self.phase == 1 and self.home_comp[k] in self._fire_ix():
            return self._refuge_goal(k)
        return self._exit_goal(k)

    def _fire_ix(self) -> set[int]:
        return {self.comp_ix[c] for c in self.p.fire_compartments if c in self.comp_ix}

    def _in_phase(self, k: int) -> bool:
        """Whether occupant k evacuates in the current phase."""
        return self.phase == 2 or int(self.space_comp[self.space[k]]) in self._fire_ix()

    # -- the step ---------------------------------------------------------------
    def step(self) -> None:
        dt = self.p.model.dt
        self.t += dt
        t = self.t
        while self.closures and self.closures[0][1] <= t:
            self.nav.close_door(self.closures.popleft()[0])
            self.reroute[:] = True
        self._phases()
        self._activate()
        self._assist()
        self._links()
        if t >= self._next_reroute:
            self.reroute[self.state == State.MOVE] = True
            self._next_reroute = t + 1.0
        self._choose()
        self._move()
        self._arrivals()
        if t >= self._next_record:
            self.recorder.sample(t)
            self._next_record = t + self.p.record_every

    def run(self) -> None:
        """Step until everyone is safe (or stranded) or ``max_time``."""
        while self.t < self.p.max_time and not self.done():
            self.step()
        self.recorder.sample(self.t)

    def done(self) -> bool:
        if self.phase == 1:
            if self.p.strategy != "horizontal":
                return False
            mine = np.isin(self.home_comp, list(self._fire_ix()))
            return not bool((mine & ~np.isin(self.state, (State.OUT, State.REFUGE)) & ~self.stranded).any())
        active = (self.state != State.OUT) & ~self.stranded
        return not bool(active.any())

    def _phases(self) -> None:
        if self.phase == 2:
            if self.p.strategy == "progressive":
                self._return_from_refuge()
            return
        if self.p.strategy == "horizontal" or self.t < self.p.alarm:
            return
        fire = self._fire_ix()
        mine = np.isin(self.home_comp, list(fire))
        left = mine & ~np.isin(self.state, (State.REFUGE, State.OUT)) & ~self.stranded
        timed = self.p.vertical_after is not None and self.t >= self.p.alarm + self.p.vertical_after
        if left.any() and not timed:
            return
        self.phase = 2
        self.recorder.phase2 = self.t
        for k in np.flatnonzero(self.state == State.HOLD):
            if self.staff[k]:
                continue
            self.state[k] = State.NEED if self.need[k] else State.MOVE
            self._set_goal(int(k), self._exit_goal(int(k)))
            if np.isnan(self.t_move[k]) and not self.need[k]:
                self.t_move[k] = self.t

    def _return_from_refuge(self) -> None:
        """Vertical phase: people parked in a refuge come back onto the floor, a few per step."""
        for k in np.flatnonzero(self.state == State.REFUGE)[:20].tolist():
            park = bool(self.need[k] > 0)
            spaces = self._refuge_spaces(int(self.refuge_space[k]))
            if park:
                spaces = self._park_spaces(spaces, 2 * float(self.radius[k]) + 0.1)
            if not any(self._respawn(k, sp, park=park) for sp in spaces):
                continue
            if self.staff[k]:
                self.state[k] = State.HOLD
            else:
                self.state[k] = State.NEED if self.need[k] else State.MOVE
                self._set_goal(k, self._exit_goal(k))
            self.reached[k] = 0
            self.t_reach[k] = np.nan
            self.last_prog[k] = self.t
            self.best[k] = np.inf

    def _refuge_spaces(self, space: int) -> list[int]:
        """Where people who reached a refuge through ``space`` wait: it first, then the rest of its
        compartment on that level, nearest first (a corridor full of parked beds overflows into rooms)."""
        if space in self._refuge_order:
            return self._refuge_order[space]
        sp = self.facility.spaces[space]
        here = sp.polygon.representative_point()
        rest = [k for k, o in enumerate(self.facility.spaces)
                if k != space and o.compartment == sp.compartment and o.level == sp.level
                and o.kind not in (SpaceKind.STAIR, SpaceKind.LIFT)]
        rest.sort(key=lambda k: (self.facility.spaces[k].polygon.distance(here), k))
        self._refuge_order[space] = [space, *rest]
        return self._refuge_order[space]

    def _park_spaces(self, spaces: list[int], width: float) -> list[int]:
        """Where a bed or wheelchair waits in a refuge: rooms first, corridors last.

        The corridor is the escape route of the whole compartment: a unit parked in it narrows
        it for the beds that leave the rooms later and the staff who walk the other way.  Only
        rooms with a door at least ``width`` wide count, so that the unit can leave again.
        """
        fac = self.facility
        rooms = [k for k in spaces if not self.corridor[k]
                 and any(d.width >= width for d in fac.doors_of.get(self.space_ids[k], ()))]
        return rooms + [k for k in spaces if self.corridor[k]]

    def _activate(self) -> None:
        """End of pre-movement: walk, wait for staff, or hold in place."""
        ready = np.flatnonzero((self.state == State.PRE) & ((self.t >= self.t_start) | (self.need > 0)))
        for k in ready.tolist():
            if self.t < self.p.alarm:
                continue
            if not self._in_phase(k) and not self.staff[k]:
                self.state[k] = State.HOLD
            elif self.need[k] > 0:
                self.state[k] = State.NEED
            elif self.staff[k]:
                if self.t < self.t_start[k]:
                    continue
                self.state[k] = State.HOLD  # free for tasks, see _assist
            else:
                self.state[k] = State.MOVE
                self.t_move[k] = self.t
                self._set_goal(k, self._safety_goal(k))

    def _assist(self) -> None:
        free = np.flatnonzero(self.staff & (self.state == State.HOLD) & (self.task < 0))
        if free.size:
            short = np.array([len(self.team[k]) < self.need[k] for k in range(len(self.ids))])
            cand = np.flatnonzero((self.state == State.NEED) & short)
            cand = np.array([c for c in cand if self._in_phase(int(c))], dtype=np.int64)
            for s in free.tolist():
                cand_here = cand[self.lvl[cand] == self.lvl[s]] if self.phase == 1 and cand.size else cand
                if cand_here.size == 0:
                    self._staff_idle(s)
                    continue
                # Complete a team before starting another: staff who each wait at a different bed
                # for a second pair of hands that never comes would wait for ever.
                # Own level first (see agents.assist), then the nearest level with patients.
                gap = np.abs(self.lvl[cand_here] - self.lvl[s])
                cand_here = cand_here[gap == gap.min()]
                started = np.array([len(self.team[int(c)]) > 0 for c in cand_here], dtype=bool)
                if started.any():
                    cand_here = cand_here[started]
                # Escape routes first: a patient waiting in a corridor narrows it for everyone else.
                aisle = self.corridor[self.space[cand_here]]
                if aisle.any():
                    cand_here = cand_here[aisle]
                c = choose_patient(self.p.policy, self.pos[s], int(self.lvl[s]), int(self.home_comp[s]),
                                   cand_xy=self.pos[cand_here], cand_level=self.lvl[cand_here],
                                   cand_ward=self.home_comp[cand_here], cand_dependency=self.dep[cand_here])
                pat = int(cand_here[c])
                # Within a room, from the door inwards: nobody is wheeled past a patient still waiting.
                same = cand_here[(self.space[cand_here] == self.space[pat])
                                 & (self.lvl[cand_here] == self.lvl[pat])]
                if same.size > 1 and not self.corridor[self.space[pat]]:
                    pat = int(same[np.argmin([self._door_dist(int(o)) for o in same])])
                self.team[pat].append(s)
                self.task[s] = pat
                self.state[s] = State.MOVE
                if np.isnan(self.t_move[s]):
                    self.t_move[s] = self.t
                sp = self.space_ids[self.space[pat]]
                self._set_goal(s, self._goal(Goal("point", spaces=frozenset([sp]),
                                                  point=(float(self.pos[pat, 0]), float(self.pos[pat, 1])))))
                if len(self.team[pat]) >= self.need[pat]:
                    cand = cand[cand != pat]
        # Staff who reached their patient wait (FETCH); preparation starts when all are there.
        # "Reached" means in the patient's room and at the bedside (the unit's length plus a metre),
        # or beside a teammate already there: a second nurse cannot stand where the first one does.
        fetch = np.flatnonzero(self.staff & (self.state == State.MOVE) & (self.task >= 0))
        for s in fetch.tolist():
            pat = int(self.task[s])
            if self.lvl[s] != self.lvl[pat] or self.space[s] != self.space[pat]:
                continue
            reach = self.radius[s] + self.radius[pat] + self.extra[pat] + 1.0
            near = math.dist(self.pos[s], self.pos[pat]) < reach
            near = near or any(self.state[o] == State.FETCH
                               and math.dist(self.pos[s], self.pos[o]) < TEAM_REACH
                               for o in self.team[pat] if o != s)
            if near and not self._in_doorway(s, pat, reach):
                self.state[s] = State.FETCH
        for pat in np.flatnonzero(self.state == State.NEED).tolist():
            tm = self.team[pat]
            if len(tm) >= self.need[pat] and all(self.state[s] == State.FETCH for s in tm):
                self.state[pat] = State.PREP
                self.prep_end[pat] = self.t + self.prepare[pat]
        ready = np.flatnonzero((self.state == State.PREP) & (self.t >= self.prep_end))
        ready = ready[np.argsort(self.prep_end[ready], kind="stable")]
        for pat in ready.tolist():
            if self._ahead_in_room(pat) or not self._called_forward(pat):
                continue
            self.state[pat] = State.MOVE
            if np.isnan(self.t_move[pat]):
                self.t_move[pat] = self.t
            self._set_goal(pat, self._safety_goal(pat))
            self.prep_end[pat] = np.inf
            self.prepare[pat] = 0.0  # ready for transport: moved on again without a second preparation
            for s in self.team[pat]:
                self.state[s] = State.ATTACHED

    def _in_doorway(self, s: int, pat: int, reach: float) -> bool:
        """Whether staff member s stands within :data:`DOOR_KEEP_CLEAR` of a door of the room while
        the patient is farther than ``reach`` from it: they walk on to the bedside rather than
        wait in the doorway, where they would shut in every other bed of the room."""
        for d in self.facility.doors_of.get(self.space_ids[self.space[s]], ()):
            if math.dist(self.pos[s], d.at) < DOOR_KEEP_CLEAR and math.dist(self.pos[pat], d.at) > reach:
                return True
        return False

    def _door_dist(self, k: int) -> float:
        """Distance (m) from occupant k to the nearest door of its space (inf if none)."""
        doors = self.facility.doors_of.get(self.space_ids[self.space[k]], ())
        return min((math.dist(self.pos[k], d.at) for d in doors), default=math.inf)

    def _ahead_in_room(self, pat: int) -> bool:
        """Whether another bed or wheelchair must leave the room first: one nearer the door still
        being prepared, or one already on its way out (a 1.4 m door passes one unit at a time)."""
        if self.corridor[self.space[pat]]:
            return False
        here = (self.space == self.space[pat]) & (self.lvl == self.lvl[pat])
        here[pat] = False
        if ((self.state == State.MOVE) & (self.need > 0) & here).any():
            return True
        mine = self._door_dist(pat)
        prep = np.flatnonzero((self.state == State.PREP) & here).tolist()
        return any(self._door_dist(o) < mine for o in prep)

    def _called_forward(self, pat: int) -> bool:
        """Whether a prepared unit may leave its place now (the lift marshal's call).

        A bed or wheelchair that cannot take the stairs leaves a level without a final exit
        only by lift.  Its team waits at the bedside until fewer than :data:`LIFT_CALL_AHEAD`
        units per lift serving the level are on the way to a lift or queued for one: a queue of
        beds in the escape corridor closes it to the staff walking the other way.  A unit already
        in a corridor is never held (waiting there would block it just the same).
        """
        if self.need[pat] == 0 or not np.isnan(self.stair_f[pat]) or self.corridor[self.space[pat]]:
            return True
        li = int(self.lvl[pat])
        lifts = self._level_lifts.get(li, 0)
        if lifts == 0 or li in self._exit_levels:
            return True
        if self.phase == 1 and self.home_comp[pat] in self._fire_ix():
            return True  # horizontal move to the refuge: no lift
        units = (self.need > 0) & np.isnan(self.stair_f) & (self.lvl == li)
        going = int(np.count_nonzero(units & (self.state == State.MOVE)))
        here = self.facility_level_spaces[li]
        going += sum(1 for lk in self.lifts for item in lk.queue
                     if item[2] in here and self.need[item[1]] > 0)
        return going < LIFT_CALL_AHEAD * lifts

    def _staff_idle(self, s: int) -> None:
        """No patient left to fetch: go to safety (or stay put until the vertical phase)."""
        if self.phase == 2:
            self.state[s] = State.MOVE
            self._set_goal(s, self._exit_goal(s))
        elif int(self.space_comp[self.space[s]]) in self._fire_ix():
            self.state[s] = State.MOVE
            self._set_goal(s, self._refuge_goal(s))
        else:
            return
        if np.isnan(self.t_move[s]):
            self.t_move[s] = self.t

    def _release_team(self, pat: int) -> None:
        for s in self.team[pat]:
            self.state[s] = State.HOLD
            self.task[s] = -1
            self.pos[s] = self.prev_pos[pat]
            self.lvl[s] = self.lvl[pat]
            self.space[s] = self.space[pat]
            if self.reached[pat] == 2:
                self.space[s] = self._space_at(s)
            elif self.reached[pat] == 1:
                self._step_inside(s, self.exit_used[pat])
        self.team[pat] = []

    def _step_inside(self, s: int, exit_id: str) -> None:
        """Put a staff member who handed a patient over at a final exit just inside it.

        The exit's apron is outside the floor, where no route leads back in, and a helper
        standing there blocks the exit for the next bed: they step back in to the nearest free
        spot of the exit's space at least :data:`DOOR_KEEP_CLEAR` beyond the opening.
        """
        ex = self.facility.exit(exit_id)
        li = self.level_ix[self.facility.space(ex.space).level]
        g = self.grids[li]
        ok = self.nav.space_mask(ex.space) & (g.wall >= self.clear[s] + 0.05) & (g.exit < 0)
        cells = np.flatnonzero(ok.ravel())
        if cells.size == 0:
            return
        ci, cj = np.divmod(cells, g.shape[1])
        cxy = g.centre(ci, cj)
        d = np.hypot(cxy[:, 0] - ex.at[0], cxy[:, 1] - ex.at[1])
        # Out of the way of those still coming out: DOOR_KEEP_CLEAR beyond the opening's half width.
        d = np.where(d >= ex.width / 2 + DOOR_KEEP_CLEAR, d, d + 1e3)
        order = np.argsort(d, kind="stable")
        on = np.isin(self.state, _ON_PLANE) & (self.lvl == li)
        on[s] = False
        others, rad = self.pos[on], self.radius[on] + self.extra[on] + self.radius[s] + 0.05
        pick = int(order[0])
        for q in order[:2000].tolist():
            if np.all(np.hypot(others[:, 0] - cxy[q, 0], others[:, 1] - cxy[q, 1]) >= rad):
                pick = q
                break
        self.pos[s] = cxy[pick]
        self.prev_pos[s] = cxy[pick]
        self.lvl[s] = li
        self.space[s] = self.space_ix[ex.space]

    # -- links ------------------------------------------------------------------
    def _links(self) -> None:
        t = self.t
        for st in self.stairs:
            while st.on_flight and st.on_flight[0][0] <= t:
                _, k, to = st.on_flight[0]
                if not self._respawn(k, self.space_ix[to]):
                    break
                st.on_flight.popleft()
                st.last_out = t
                self._land(k, to)
        for lk in self.lifts:
            if any(to in lk.lift.spaces for _, _, to in self.pending):
                continue  # the car is still unloading
            res = lk.dispatch(t)
            if res is not None:
                t_arr, batch = res
                self.pending.extend((t_arr, k, to) for k, to in batch)
        keep = []
        for t_arr, k, to in self.pending:
            if t_arr <= t and self._landing_clear(k, to) and self._respawn(k, self.space_ix[to]):
                self._land(k, to)
            else:
                keep.append((t_arr, k, to))
        self.pending = keep

    def _landing_clear(self, k: int, to: str) -> bool:
        """Whether a bed or wheelchair can be wheeled out of the lift car: nobody left on the lift
        landing ``to``.  Units leave the car one at a time, each once the one before it has cleared
        the landing; beds pushed out next to the last ones locked the small landing up."""
        if self.extra[k] <= 0:
            return True
        sp = self.space_ix[to]
        return not bool((np.isin(self.state, _ON_PLANE) & (self.space == sp)).any())

    def _land(self, k: int, to: str) -> None:
        self.state[k] = State.MOVE
        self.route[k].append(to)
        self.reroute[k] = True
        self.best[k] = np.inf
        self.last_prog[k] = self.t
        for s in self.team[k]:
            self.lvl[s] = self.lvl[k]

    def _respawn(self, k: int, space: int, *, park: bool = False) -> bool:
        """Put occupant k on the floor of ``space`` where there is room; False if none.

        With ``park`` (a bed or wheelchair waiting in a refuge) the spot is along
        a wall, clear of doors, and the unit lies along the wall, as staff park
        beds in a corridor so that others can pass.
        """
        sid = self.space_ids[space]
        li = self.level_ix[self.facility.space(sid).level]
        g = self.grids[li]
        wall = g.wall.ravel()
        cells = np.flatnonzero(self.nav.space_mask(sid).ravel() & (wall >= self.clear[k] + 0.05))
        if cells.size == 0:
            return False
        if park:
            side = cells[wall[cells] <= self.clear[k] + 0.25]
            side = side[self._clear_of_openings(sid, side, g, float(self.radius[k] + self.extra[k]))]
            if side.size:
                cells = side
        on = np.isin(self.state, _ON_PLANE) & (self.lvl == li)
        on[k] = False
        others = self.pos[on]
        # A parked unit keeps its whole length plus a walker's passage (PARK_GAP) from everyone.
        rad = self.radius[on] + self.extra[on] + PARK_GAP if park else self.radius[on]
        mine = self.radius[k] + self.extra[k] if park else self.radius[k]
        for _ in range(12):
            cell = int(cells[self.gen.integers(cells.size)])
            ci, cj = divmod(cell, g.shape[1])
            xy = g.centre(np.array([ci]), np.array([cj]))[0]
            if others.shape[0] == 0 or np.all(
                    np.hypot(others[:, 0] - xy[0], others[:, 1] - xy[1]) >= rad + mine + 0.05):
                self.pos[k] = xy
                self.prev_pos[k] = xy
                self.lvl[k] = li
                self.space[k] = space
                if park:
                    nx_, ny_ = self.wall_normal[li][ci, cj]
                    self.orient[k] = (-ny_, nx_)
                return True
        return False

    def _clear_of_openings(self, space_id: str, cells: np.ndarray, g: LevelGrid, r: float) -> np.ndarray:
        """Mask of ``cells`` at least ``r`` + :data:`DOOR_KEEP_CLEAR` from the space's doors and exits."""
        openings = [d.at for d in self.facility.doors_of.get(space_id, ())]
        openings += [e.at for e in self.facility.exits_of.get(space_id, ())]
        far = np.ones(cells.size, bool)
        if openings and cells.size:
            ci, cj = np.divmod(cells, g.shape[1])
            cxy = g.centre(ci, cj)
            for ox, oy in openings:
                far &= np.hypot(cxy[:, 0] - ox, cxy[:, 1] - oy) >= r + DOOR_KEEP_CLEAR
        return far

    def _enter_link(self, k: int, o: Option) -> bool:
        here = self.space_ids[self.space[k]]
        to = o.to_space or ""
        if o.kind == "stair":
            for st in self.stairs:
                if {st.lower, st.upper} == {here, to}:
                    if not st.can_enter(self.t):
                        return False
                    st.enter(self.t, k, to, float(self.stair_f[k]))
                    break
            else:
                return False
        else:
            lk = next(lk for lk in self.lifts if lk.lift.id == o.ref)
            lk.call(self.t, k, here, to, self.profiles[k].name)
        self.state[k] = State.LINK
        self.last_pass[o.ref] = self.t
        return True

    # -- route choice -------------------------------------------------------------
    def _choose(self) -> None:
        idx = np.flatnonzero(self.reroute & (self.state == State.MOVE))
        self.reroute[:] = False
        if idx.size == 0:
            return
        # Congestion: people heading for each field within 4 m of it.
        mv = np.flatnonzero((self.state == State.MOVE) & (self.fid >= 0) & (self.dist < 4.0))
        crowd: dict[tuple[int, int], int] = {}
        for a, b in zip(self.lvl[mv].tolist(), self.fid[mv].tolist(), strict=True):
            crowd[(a, b)] = crowd.get((a, b), 0) + 1
        groups: dict[tuple[int, int, str], list[int]] = {}
        for k in idx.tolist():
            groups.setdefault((int(self.space[k]), int(self.goal[k]), self.profiles[k].name), []).append(k)
        for (sp, gi, _), members in groups.items():
            q = self.profiles[members[0]]
            width = 2 * q.radius + 0.1
            opts = self.nav.options(self.space_ids[sp], self.goals[gi], speed=q.speed[0], stairs=q.stairs,
                                    min_width=width, clearance=q.clearance)
            ks = np.array(members)
            if not opts:
                self.stranded[ks] = True
                self.fid[ks] = -1
                continue
            li = self.level_ix[self.facility.spaces[sp].level]
            store = self.nav.stores[self.levels[li]]
            i, j = self.grids[li].cell_of(self.pos[ks])
            costs = np.empty((len(opts), ks.size))
            dists = np.empty((len(opts), ks.size))
            for m, o in enumerate(opts):
                d, _ = store.lookup(np.full(ks.size, o.field), i, j)
                dists[m] = d
                w = o.width if np.isfinite(o.width) else 2.0
                cong = CONGESTION_WEIGHT * crowd.get((li, o.field), 0) / (1.3 * max(w, 0.3))
                costs[m] = d / self.v0[ks] + o.after + cong + (DETOUR_PENALTY if o.back else 0.0)
            best = np.argmin(costs, axis=0)
            for c, k in enumerate(members):
                cur = self.opt[k]
                b = int(best[c])
                if cur is not None and cur in opts:
                    m = opts.index(cur)
                    if costs[m, c] <= costs[b, c] + 2.0 and np.isfinite(costs[m, c]):
                        b = m
                if not np.isfinite(costs[b, c]):
                    self.stranded[k] = True
                    continue
                self.stranded[k] = False
                o = opts[b]
                if o is not cur:
                    self.best[k] = np.inf
                self.opt[k] = o
                self.fid[k] = o.field
                if o.kind in ("stair", "lift") and dists[b, c] <= LINK_REACH and self._enter_link(k, o):
                    self.fid[k] = -1

    # -- movement ---------------------------------------------------------------
    def _move(self) -> None:
        on = np.flatnonzero(np.isin(self.state, _ON_PLANE))
        if on.size == 0:
            return
        dt = self.p.model.dt
        n = on.size
        desired = np.zeros((n, 2))
        wd = np.zeros(n)
        wn = np.zeros((n, 2))
        lv = self.lvl[on]
        moving = (self.state[on] == State.MOVE) & (self.fid[on] >= 0)
        dist = np.full(n, np.inf)
        for li, g in enumerate(self.grids):
            sel = lv == li
            if not sel.any():
                continue
            i, j = g.cell_of(self.pos[on[sel]])
            wd[sel] = g.wall[i, j] + g.h * 0.7
            wn[sel] = self.wall_normal[li][i, j]
            ms = sel & moving
            if ms.any():
                ii, jj = g.cell_of(self.pos[on[ms]])
                d, v = self.nav.stores[self.levels[li]].lookup(self.fid[on[ms]], ii, jj)
                desired[ms] = v
                dist[ms] = d
        self.dist[on] = dist
        v0 = np.where(moving, self.v0[on], 0.0)
        # Beds and wheelchairs slow down at turns (Kwak et al. 2021): up to half speed.
        unit = self.need[on] > 0
        if unit.any():
            cosang = np.clip(np.sum(desired * self.heading[on], axis=1), -1.0, 1.0)
            rate = np.arccos(cosang) / dt
            slow = 1.0 - 0.5 * np.clip(rate / (math.pi / 2), 0.0, 1.0)
            v0 = np.where(unit & (np.abs(self.heading[on]).sum(axis=1) > 0), v0 * slow, v0)
        grp = np.where(moving, self.fid[on] * 64 + lv, -1 - np.arange(n))
        st = self.state[on]
        walker = self.need[on] == 0
        unit = moving & ~walker
        steer = moving & (np.abs(desired).sum(axis=1) > 0)
        self.orient[on] = np.where(steer[:, None], desired, self.orient[on])
        flip = moving & ((self.t - self.last_prog[on]) // PATIENCE % 2 == 1)
        e, v, fb = step_directions_speeds(self.p.model, pos=self.pos[on], layer=lv, radius=self.radius[on],
                                          extra=self.extra[on], desired=desired, v0=v0, wall_dist=wd,
                                          wall_normal=wn, group=grp,
                                          priority=np.where(np.isfinite(dist), dist, 1e9), rng=self.gen,
                                          orient=self.orient[on], yielder=walker & (st != State.PREP),
                                          unit=unit, flip=flip)
        self.heading[on] = np.where(moving[:, None], desired, self.heading[on])
        disp = e * (v * dt)[:, None]
        fall = fb * (v * dt)[:, None]
        self.prev_pos[on] = self.pos[on]
        for li, g in enumerate(self.grids):
            sel = lv == li
            if sel.any():
                ks = on[sel]
                self.pos[ks] = constrained_move(self.pos[ks], disp[sel], g.wall, clearance=self.clear[ks],
                                                x0=g.x0, y0=g.y0, h=g.h, fallback=fall[sel])
        mv = on[moving]
        self.wait[mv] += np.where(v[moving] < 0.2 * self.v0[mv], dt, 0.0)
        # Progress towards the current portal, for deadlock detection.
        dm = dist[moving]
        # The reference distance moves only on real progress: following every small gain would let
        # a slow bed (2.5 cm a step) never count as progressing.
        better = dm < self.best[mv] - 0.2
        self.best[mv] = np.where(better | ~np.isfinite(self.best[mv]), dm, self.best[mv])
        self.last_prog[mv[better]] = self.t

    def _space_at(self, k: int) -> int:
        g = self.grids[self.lvl[k]]
        i, j = g.cell_of(self.pos[k:k + 1])
        loc = g.space[i[0], j[0]]
        return int(self.local_to_global[self.lvl[k]][loc]) if loc >= 0 else int(self.space[k])

    def _arrivals(self) -> None:
        on = np.flatnonzero(self.state == State.MOVE)
        t = self.t
        for li, g in enumerate(self.grids):
            ks = on[self.lvl[on] == li]
            if ks.size == 0:
                continue
            i, j = g.cell_of(self.pos[ks])
            ex = g.exit[i, j]
            loc = g.space[i, j]
            glob = np.where(loc >= 0, self.local_to_global[li][np.maximum(loc, 0)], self.space[ks])
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
                self.last_pass[eid] = t
                self.recorder.passage(t, eid, "exit")
                self._safe(k, 1)
            changed = (glob != self.space[ks]) & (ex < 0)
            for k, new in zip(ks[changed].tolist(), glob[changed].tolist(), strict=True):
                old = self.space_ids[self.space[k]]
                sid = self.space_ids[new]
                door = self.door_between.get(frozenset((old, sid)))
                if door is not None and not self._admit(door, self.door_width[door]):
                    self.pos[k] = self.prev_pos[k]
                    continue
                self.space[k] = new
                self.route[k].append(sid)
                if door is not None:
                    self.last_pass[door] = t
                    self.recorder.passage(t, door, "door")
                goal = self.goals[self.goal[k]]
                if goal.kind == "spaces" and sid in goal.spaces:
                    self.refuge_space[k] = new
                    self._safe(k, 2)
                else:
                    self.reroute[k] = True
                    self.best[k] = np.inf
        # Deadlock: no progress for the window while nobody passes the portal ahead.
        w = self.p.deadlock_window
        stuck = np.flatnonzero((self.state == State.MOVE) & (t - self.last_prog > w) & ~self.dead)
        for k in stuck.tolist():
            o = self.opt[k]
            if o is None or t - self.last_pass.get(o.ref, -1e9) > w:
                self.dead[k] = True
                self.deadlocks.append((self.ids[k], t, float(self.pos[k, 0]), float(self.pos[k, 1])))

    def _admit(self, portal: str, width: float) -> bool:
        """Whether a door or exit with capacity ``door_flow * width`` lets one more through now."""
        if self.p.door_flow is None:
            return True
        if self.t - self.last_pass.get(portal, -1e9) < 1.0 / (self.p.door_flow * width) - 1e-9:
            return False
        self.last_pass[portal] = self.t
        return True

    def _safe(self, k: int, how: int) -> None:
        self.state[k] = State.OUT if how == 1 else State.REFUGE
        self.reached[k] = how
        self.t_reach[k] = self.t
        for s in self.team[k]:
            self.reached[s] = 0
        if self.team[k]:
            self._release_team(k)
        if self.staff[k]:
            self.task[k] = -1


def _normals(g: LevelGrid) -> np.ndarray:
    """Unit vectors away from the nearest wall, per cell."""
    gy, gx = np.gradient(g.wall)
    n = np.hypot(gx, gy)
    out = np.zeros((*g.wall.shape, 2))
    ok = n > 1e-9
    out[ok, 0] = gx[ok] / n[ok]
    out[ok, 1] = gy[ok] / n[ok]
    return out
