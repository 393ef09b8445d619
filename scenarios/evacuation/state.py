"""The state of one evacuation run, as plain data: what the parts of a step read and write.

A run's state is one :class:`RunState`: the building as the step sees it (:class:`Plan`, fixed
for the run), one row per person (:class:`People`, parallel numpy arrays), the stairs and lifts
(:class:`Links`), what passed the doors and exits (:class:`Passages`), the goals people head
for (:class:`~scenarios.evacuation.goals.Goals`), the navigator (whose doors and usable spaces
change during a run), the parameters, the random generator and the clock.  The parts of a step
(:mod:`.phases`, :mod:`.assistance`, :mod:`.linking`, :mod:`.motion`, :mod:`.portals`,
:mod:`.hazard`) are free functions over it; :class:`~scenarios.evacuation.model.EvacuationModel`
only orders them and owns the clock.

Indices used throughout: a person is a row of :class:`People` (``k``); a space, door, level or
compartment is its position in :attr:`Plan.space_ids`, :attr:`Plan.door_ix`, :attr:`Plan.levels`
or :attr:`Plan.comp_names`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.movement import states
from agents.movement.doorways import DoorTurns, band_doors
from agents.movement.levels import LiftLink, StairLink, build_links
from agents.movement.motion_kernel import LevelArrays, level_arrays
from agents.movement.navigation import LevelGrid
from agents.movement.routes import Navigator, Option
from agents.movement.wall_normals import passages
from agents.occupants import Profile, lognormal_from_range, profile
from facility.model import Facility, SpaceKind
from scenarios.errors import PlacementError, RunError
from scenarios.evacuation import exposure, placement
from scenarios.evacuation.goals import Goals
from scenarios.evacuation.params import EvacParams, PersonSpec
from scenarios.hazards.conditions import DOSES, Conditions, Environment

__all__ = ["THROUGH_KINDS", "Links", "Passages", "People", "Plan", "RunState", "links_of", "people_of",
           "plan_of"]

#: Kinds of space people pass through on their way out, where a queue forms and staff going the
#: other way squeeze past it (:func:`scenarios.evacuation.portals.squeeze_past`): corridors, a
#: stair's landing (staff coming up to a floor for the next patient met the queue for the flight
#: down there, and stood for minutes), and exit lobbies.
THROUGH_KINDS = frozenset({SpaceKind.CORRIDOR, SpaceKind.STAIR, SpaceKind.EXIT})


@dataclass(eq=False, kw_only=True)
class Plan:
    """The building as a run's step sees it; nothing in it changes during the run.

    Attributes:
        facility: The facility.
        levels: Ids of the levels that have spaces, in the facility's order.
        level_ix: Index of each level id in :attr:`levels`.
        grids: One raster per level (:class:`~agents.movement.navigation.LevelGrid`; a door closed
            during the run is written into its ``wall``).
        wall_normal: Per level, float64 ``(rows, cols, 2)``: unit vector away from the nearest wall
            (:func:`~agents.movement.wall_normals.away_from_walls`; placement lays units along it),
            a view of the packed :attr:`arrays` ``normal``.  The openings' passages, where the walls
            push a mover along the door line only, are packed there too (``passage``:
            :func:`~agents.movement.wall_normals.passages`, :func:`~agents.movement.wall_normals.push_at`).
        local_to_global: Per level, int64: the global space index of each of the grid's spaces.
        arrays: The level rasters packed for the compiled kernels (``level_arrays``).
        band_door: Per level, int64 ``(rows, cols)``: the door whose band holds each cell, -1 elsewhere.
        space_ids: Id of each space, in the facility's order.
        space_ix: Index of each space id.
        space_comp: int64 per space: its compartment's index, -1 if none.
        corridor: bool per space: it is a corridor.
        through: bool per space: people pass through it on their way out (a corridor, a stair's
            landing, an exit lobby): staff squeeze past a queue there
            (:func:`~scenarios.evacuation.portals.squeeze_past`).
        space_area: float64 per space: its floor area (m2).
        level_spaces: Per level, the ids of its spaces.
        comp_names: Compartment names, sorted; ``comp_ix`` indexes them.
        comp_ix: Index of each compartment name.
        comp_area: float64 per compartment: floor area (m2) of its spaces other than stairs and
            lifts, what it offers as a refuge.
        fire_spaces: Ids of the spaces of the fire compartments.
        fire_comp: bool per compartment, and one more ``False`` last: ``fire_comp[c]`` tells whether
            compartment index ``c`` is a fire compartment, ``-1`` (no compartment) included.
        in_fire: bool per space: it lies in a fire compartment.
        door_ix: Index of each door id.
        door_widths: float64 per door: clear width (m).
        door_between: The door joining each pair of spaces.
        exit_width: Clear width (m) of each final exit.
        exit_levels: Levels with a final exit.
        door_lift: The lift whose landing each door opens into, for doors into a lift landing.
        level_lifts: Per level, the lifts usable in this run that stop there.
        csm: The crowd model's parameters as the kernels take them.
    """

    facility: Facility
    levels: list[str]
    level_ix: dict[str, int]
    grids: list[LevelGrid]
    wall_normal: list[np.ndarray]
    local_to_global: list[np.ndarray]
    arrays: LevelArrays
    band_door: list[np.ndarray]
    space_ids: list[str]
    space_ix: dict[str, int]
    space_comp: np.ndarray
    corridor: np.ndarray
    through: np.ndarray
    level_spaces: list[frozenset[str]]
    comp_names: list[str]
    comp_ix: dict[str, int]
    comp_area: np.ndarray
    space_area: np.ndarray
    fire_spaces: frozenset[str]
    fire_comp: np.ndarray
    in_fire: np.ndarray
    door_ix: dict[str, int]
    door_widths: np.ndarray
    door_between: dict[frozenset[str], str]
    exit_width: dict[str, float]
    exit_levels: set[int]
    door_lift: dict[str, str]
    level_lifts: dict[int, int]
    csm: Any


@dataclass(eq=False, kw_only=True)
class People:
    """One row per person: everything the step knows of them.

    Fixed at the start: ``ids``, ``profiles`` and ``profile_ix`` (index of the profile's name
    among the run's sorted names; ``n_profiles`` of them), float64 ``radius`` (body, m),
    ``extra`` (a bed's or wheelchair's reach beyond the body, m), ``clear`` (least wall
    distance of the centre, m), ``stair_f`` (speed factor on stairs, NaN: no stairs), bool
    ``staff``, int64 ``need`` (staff needed to move them), float64 ``dep`` (dependency),
    ``v0`` (free speed, m/s), ``premove``, ``prepare`` and ``battery`` (s), ``t_start``
    (model time they would set off), ``refuge_demand`` (floor area taken in a refuge, m2),
    ``assigned_exit``, int64 ``home_comp`` and bool ``home_in_fire``.

    Where they are: float64 ``(n, 2)`` ``pos`` and ``prev_pos`` (m, plan), int64 ``lvl``
    (level index) and ``space`` (global space index), float64 ``(n, 2)`` ``orient`` (a unit's
    long axis) and ``heading``, ``route`` (ids of the spaces passed).

    What they do: int64 ``state`` (:class:`~agents.movement.states.State` as ints), ``goal``
    (index in :class:`~scenarios.evacuation.goals.Goals`, -1 none), ``opt`` (portal chosen)
    with ``opt_id`` (its value identity) and ``opt_door`` (door index, -1 if no door),
    ``fid`` (distance field followed, -1 none), float64 ``dist`` (m to the portal), int64
    ``hold`` (doorway code of this step), float64 ``backing_until`` and ``squeezed`` (when they
    last changed places with someone, :mod:`agents.movement.squeezing`), ``detoured`` (when they
    last took or gave up a detour) and int64 ``detour`` (the detour field they are on, -1 none:
    :mod:`scenarios.evacuation.detours`), bool ``reroute``
    (choose again this step), ``called`` (called a lift and waiting for it: a unit on the
    landing, someone on foot in the lobby or queued outside it),
    ``team`` (staff rows moving each patient) and int64 ``task``
    (patient row of each member of staff, -1 none), float64 ``prep_end``.

    Progress and outcomes: float64 ``t_move`` and ``t_reach`` (NaN until then), int64
    ``reached`` (1 exit, 2 refuge), float64 ``wait``, ``best`` (least distance to the portal so
    far) and ``last_prog`` (last time it fell), bool ``dead`` (deadlock flagged) and
    ``stranded``, ``exit_used``, int64 ``refuge_space`` and ``refuge_comp`` (-1 none).

    The hazard's side (:mod:`.exposure`): float64 ``v_free`` (this step's free speed),
    ``(len(DOSES), n)`` ``dose``, ``casualties``, ``stays``, bool ``left_behind`` with
    ``left_reason``.
    """

    ids: list[str]
    profiles: list[Profile]
    profile_ix: np.ndarray
    n_profiles: int
    radius: np.ndarray
    extra: np.ndarray
    clear: np.ndarray
    stair_f: np.ndarray
    staff: np.ndarray
    need: np.ndarray
    dep: np.ndarray
    v0: np.ndarray
    premove: np.ndarray
    prepare: np.ndarray
    battery: np.ndarray
    t_start: np.ndarray
    refuge_demand: np.ndarray
    assigned_exit: list[str | None]
    pos: np.ndarray
    prev_pos: np.ndarray
    lvl: np.ndarray
    space: np.ndarray
    home_comp: np.ndarray
    home_in_fire: np.ndarray
    orient: np.ndarray
    heading: np.ndarray
    route: list[list[str]]
    state: np.ndarray
    goal: np.ndarray
    opt: list[Option | None]
    opt_id: np.ndarray
    opt_door: np.ndarray
    fid: np.ndarray
    dist: np.ndarray
    hold: np.ndarray
    backing_until: np.ndarray
    squeezed: np.ndarray
    detoured: np.ndarray
    detour: np.ndarray
    reroute: np.ndarray
    called: np.ndarray
    team: list[list[int]]
    task: np.ndarray
    prep_end: np.ndarray
    t_move: np.ndarray
    t_reach: np.ndarray
    reached: np.ndarray
    wait: np.ndarray
    best: np.ndarray
    last_prog: np.ndarray
    dead: np.ndarray
    stranded: np.ndarray
    exit_used: list[str]
    refuge_space: np.ndarray
    refuge_comp: np.ndarray
    v_free: np.ndarray
    dose: np.ndarray
    casualties: exposure.Casualties
    stays: exposure.Stays
    left_behind: np.ndarray
    left_reason: list[str]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(eq=False)
class Links:
    """Stairs and lifts (:mod:`agents.movement.levels`), the callers a car has been sent for
    (``boarding``: time it opens for them, time it arrives, person, landing space id), the lift
    arrivals waiting for a clear landing (``pending``: time, person, landing space id) and the
    people on foot waiting for a car in a lift lobby or queued outside it (``callers``, in call
    order: person -> lift id, landing space id, goal index when they called;
    :mod:`scenarios.evacuation.linking`)."""

    stairs: list[StairLink]
    lifts: list[LiftLink]
    pending: list[tuple[float, int, str]] = field(default_factory=list)
    boarding: list[tuple[float, float, int, str]] = field(default_factory=list)
    callers: dict[int, tuple[str, str, int]] = field(default_factory=dict)


@dataclass(eq=False)
class Passages:
    """What went through doors and exits, and when.

    Attributes:
        turns: Whose turn it is at each door (:class:`~agents.movement.doorways.DoorTurns`).
        last_pass: Model time of the last passage of each door, exit, stair or lift id.
        comp_left: float64 per compartment: the last time someone left it (NaN if nobody has).
        deadlocks: (person id, time, x, y) of each deadlock flagged.
        times, portals, kinds: One entry per passage of a door or final exit (``"door"``,
            ``"exit"``): the door-flow table.
        mark, before: float64 ``(n, 2)``: where everyone stood at the last mark and at the one
            before (every :data:`~scenarios.evacuation.portals.MARK_EVERY` s; NaN until then),
            ``marked``: model time of the last mark (:func:`~scenarios.evacuation.portals.flag_deadlocks`).
    """

    turns: DoorTurns
    comp_left: np.ndarray
    mark: np.ndarray
    before: np.ndarray
    marked: float = -np.inf
    last_pass: dict[str, float] = field(default_factory=dict)
    deadlocks: list[tuple[str, float, float, float]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    portals: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def leave(self, plan: Plan, old: int, new: int, t: float) -> None:
        """Someone moving from space ``old`` to ``new`` (-1: out) at ``t``: if that leaves a
        compartment, it is that compartment's last departure so far."""
        c = int(plan.space_comp[old])
        if c >= 0 and (new < 0 or int(plan.space_comp[new]) != c):
            self.comp_left[c] = t

    def log(self, t: float, portal: str, kind: str) -> None:
        """One passage through ``portal`` (a door or final exit) at model time ``t``."""
        self.last_pass[portal] = t
        self.times.append(t)
        self.portals.append(portal)
        self.kinds.append(kind)


@dataclass(eq=False, kw_only=True)
class RunState:
    """Everything one run's step reads and writes (see the module docstring).

    Attributes:
        plan, people, links, passages, goals, nav: See the classes.
        p: The run's parameters.
        rng: The run's one random generator.
        t: Model time (s).
        phase: 1 while the fire compartments move horizontally to a refuge, then 2.
        closures: (door id, time) of the doors still to close, by time.
        env: The hazard environment, if any, and ``cond`` its last conditions read.
        next_hazard: Model time of the next read of ``env``.
        space_factor: float64 per space: the walking-speed factor of the last conditions read.
        phase2: Model time the vertical phase began (None before).
        caches: Per-run memos of pure functions of the plan (``refuge_order``,
            ``refuge_next``, ``spot_cells``, ``footprint_spots``, ``lobby_spots``, ``door_dist``,
            ``option_ids``, ``option_arrays``, ``onward``, ``openings``).
    """

    plan: Plan
    people: People
    links: Links
    passages: Passages
    goals: Goals
    nav: Navigator
    p: EvacParams
    rng: np.random.Generator
    t: float = 0.0
    phase: int = 2
    closures: deque[tuple[str, float]] = field(default_factory=deque)
    env: Environment | None = None
    cond: Conditions | None = None
    next_hazard: float = np.inf
    space_factor: np.ndarray = field(default_factory=lambda: np.ones(0))
    phase2: float | None = None
    refuge_order: dict[int, list[int]] = field(default_factory=dict)
    refuge_next: dict[int, list[int]] = field(default_factory=dict)
    spot_cells: dict[tuple[str, float, float], np.ndarray] = field(default_factory=dict)
    #: Per space, reach and clearance: the spots ``(x, y, axis x, axis y)`` where someone that
    #: size fits whole, and how a unit lies there (:func:`~scenarios.evacuation.placement.footprint_spots`).
    footprint_spots: dict[tuple[str, float, float], np.ndarray] = field(default_factory=dict)
    #: Per lift landing, walker clearance and inside (or queued outside): the spots ``(x, y,
    #: space)`` where people on foot wait for a car (:func:`~scenarios.evacuation.linking.lobby_spots`).
    lobby_spots: dict[tuple[str, float, bool], np.ndarray] = field(default_factory=dict)
    door_dist: dict[int, tuple[float, float, int, float]] = field(default_factory=dict)
    option_ids: dict[Option, int] = field(default_factory=dict)
    option_arrays: dict[int, Any] = field(default_factory=dict)
    #: Per (door, goal, profile): the navigator's ``version`` it was found at, and the queue group
    #: and distance beyond the door (:func:`~scenarios.evacuation.motion.onward`).
    onward: dict[tuple[str, int, int], tuple[int, int, float]] = field(default_factory=dict)
    #: Per door or exit looked at: the two ends of its opening, ``(x0, y0, x1, y1)``.
    openings: dict[str, np.ndarray] = field(default_factory=dict)


def plan_of(facility: Facility, params: EvacParams, grids: list[LevelGrid],
            lift_ok: frozenset[str] | set[str], normals: list[np.ndarray]) -> Plan:
    """The :class:`Plan` of a facility, from its level rasters (one per level with spaces, in
    order), their wall normals (:func:`~agents.movement.wall_normals.away_from_walls`), and the
    ids of the lifts the run may use.  The crowd kernel takes the walls' push from the normals and
    the openings' passages (:func:`~agents.movement.wall_normals.push_at`), where it differs from
    the normals between a doorway's jambs; placement lays units along walls by the normals themselves."""
    levels = [lv.id for lv in facility.levels if facility.spaces_on(lv.id)]
    space_ids = [s.id for s in facility.spaces]
    space_ix = {s: k for k, s in enumerate(space_ids)}
    local_to_global = [np.array([space_ix[s] for s in g.space_ids]) for g in grids]
    comps = sorted(facility.compartments)
    comp_ix = {c: k for k, c in enumerate(comps)}
    space_area = np.array([s.area for s in facility.spaces], np.float64)
    comp_area = np.zeros(len(comps))
    for k, s in enumerate(facility.spaces):
        if s.compartment in comp_ix and s.kind not in (SpaceKind.STAIR, SpaceKind.LIFT):
            comp_area[comp_ix[s.compartment]] += space_area[k]
    door_ix = {d.id: k for k, d in enumerate(facility.doors)}
    level_spaces = [frozenset(s.id for s in facility.spaces_on(lv)) for lv in levels]
    level_ix = {lv: k for k, lv in enumerate(levels)}
    usable = [lf for lf in facility.lifts if lf.id in lift_ok]
    space_comp = np.array([comp_ix.get(s.compartment or "", -1) for s in facility.spaces], np.int64)
    fire_comp = np.zeros(len(comps) + 1, bool)
    fire_comp[[comp_ix[c] for c in params.fire_compartments if c in comp_ix]] = True
    # The plan keeps each raster once: the per-level normals are views of the packed ones.
    arrays = level_arrays(grids, normals, [passages(g, facility) for g in grids], local_to_global)
    return Plan(
        facility=facility, levels=levels, level_ix=level_ix, grids=grids,
        wall_normal=[arrays.raster(arrays.normal, li) for li in range(len(grids))],
        local_to_global=local_to_global, arrays=arrays,
        band_door=[band_doors(g.shape, g.door_cells, door_ix) for g in grids],
        space_ids=space_ids, space_ix=space_ix,
        space_comp=space_comp,
        corridor=np.array([s.kind == SpaceKind.CORRIDOR for s in facility.spaces], bool),
        through=np.array([s.kind in THROUGH_KINDS for s in facility.spaces], bool),
        level_spaces=level_spaces, comp_names=comps, comp_ix=comp_ix, comp_area=comp_area,
        space_area=space_area,
        fire_comp=fire_comp, in_fire=fire_comp[space_comp],
        fire_spaces=frozenset(s for c in params.fire_compartments for s in facility.compartments.get(c, ())),
        door_ix=door_ix, door_widths=np.array([d.width for d in facility.doors]),
        door_between={frozenset(d.spaces): d.id for d in facility.doors},
        exit_width={e.id: e.width for e in facility.exits},
        exit_levels={level_ix[facility.space(e.space).level] for e in facility.exits},
        door_lift={d.id: lf.id for lf in facility.lifts for s in lf.spaces
                   for d in facility.doors_of.get(s, ())},
        level_lifts={li: sum(1 for lf in usable if set(lf.spaces) & here)
                     for li, here in enumerate(level_spaces)},
        csm=params.model.kernel())


def links_of(facility: Facility) -> Links:
    """The facility's stairs and lifts, all empty."""
    stairs, lifts = build_links(facility)
    return Links(stairs, lifts)


def people_of(specs: list[PersonSpec], plan: Plan, params: EvacParams, rng: np.random.Generator,
              spot: Any) -> People:
    """Everyone at the alarm, drawn from their profiles with ``rng`` in a fixed order.

    ``spot(space_id, radius, clearance, placed, who)`` finds a free spot for someone placed at
    random (:func:`scenarios.evacuation.placement.free_spot`).
    """
    n = len(specs)
    if n == 0:
        raise RunError("an evacuation needs at least one occupant")
    prof = [profile(p.profile) for p in specs]
    names = sorted({q.name for q in prof})
    radius = np.array([q.radius for q in prof])
    extra = np.array([q.extra for q in prof])
    clear = np.array([q.clearance for q in prof])
    v0, premove, prepare = np.empty(n), np.empty(n), np.empty(n)
    # Draw per profile, in a fixed order, so the stream is reproducible.
    for name in names:
        ix = np.array([k for k, q in enumerate(prof) if q.name == name])
        q = prof[ix[0]]
        v0[ix] = q.sample_speed(ix.size, rng)
        premove[ix] = q.sample_premove(ix.size, rng)
        prepare[ix] = q.sample_prepare(ix.size, rng)
    mu, sd = lognormal_from_range(*params.battery_range)
    battery = rng.lognormal(mu, sd, n) * 60.0
    for k, p in enumerate(specs):
        if p.speed is not None:
            v0[k] = p.speed
        if p.premove is not None:
            premove[k] = p.premove
        if p.battery_min is not None:
            battery[k] = p.battery_min * 60.0
    pos, lvl, space = _place(specs, plan, radius + extra, clear, spot)
    # A bed or wheelchair lies the way its whole footprint fits its spot, and sets off that way.
    orient = placement.unit_axes(plan, pos, lvl, space, radius=radius, extra=extra)
    placement.refuse_overlaps([p.id for p in specs], np.array([p.position is not None for p in specs]),
                              pos, lvl, orient, radius=radius, extra=extra)
    home_comp = plan.space_comp[space]
    b = params.behaviour
    patient = np.array([q.role == "patient" for q in prof])
    return People(
        ids=[p.id for p in specs], profiles=prof,
        profile_ix=np.array([names.index(q.name) for q in prof], np.int64), n_profiles=len(names),
        radius=radius, extra=extra, clear=clear,
        stair_f=np.array([np.nan if q.stairs is None else q.stairs for q in prof]),
        staff=np.array([q.role == "staff" for q in prof]), need=np.array([q.staff_needed for q in prof]),
        dep=np.array([q.dependency for q in prof]), v0=v0, premove=premove, prepare=prepare, battery=battery,
        t_start=params.alarm + premove,
        refuge_demand=np.where(patient, b.refuge_area_patient, b.refuge_area_other),
        assigned_exit=[p.exit for p in specs], pos=pos, prev_pos=pos.copy(), lvl=lvl, space=space,
        home_comp=home_comp, home_in_fire=plan.fire_comp[home_comp], orient=orient,
        heading=orient.copy(), route=[[plan.space_ids[s]] for s in space],
        state=np.full(n, states.PRE), goal=np.full(n, -1), opt=[None] * n, opt_id=np.full(n, -1, np.int64),
        opt_door=np.full(n, -1, np.int64), fid=np.full(n, -1), dist=np.full(n, np.inf),
        hold=np.zeros(n, np.int64), backing_until=np.full(n, -np.inf), squeezed=np.full(n, -np.inf),
        detoured=np.full(n, -np.inf), detour=np.full(n, -1, np.int64),
        reroute=np.ones(n, bool),
        called=np.zeros(n, bool),
        team=[[] for _ in range(n)], task=np.full(n, -1), prep_end=np.full(n, np.inf),
        t_move=np.full(n, np.nan), t_reach=np.full(n, np.nan), reached=np.zeros(n, np.int64),
        wait=np.zeros(n), best=np.full(n, np.inf), last_prog=np.zeros(n), dead=np.zeros(n, bool),
        stranded=np.zeros(n, bool), exit_used=[""] * n, refuge_space=np.full(n, -1),
        refuge_comp=np.full(n, -1, np.int64), v_free=v0, dose=np.zeros((len(DOSES), n)),
        casualties=exposure.Casualties.none(n), stays=exposure.Stays.start(space, 0.0),
        left_behind=np.zeros(n, bool), left_reason=[""] * n)


def _place(specs: list[PersonSpec], plan: Plan, reach: np.ndarray, clear: np.ndarray,
           spot: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position, level and space of everyone at the alarm; free spots for those not given one.

    Those given a position are placed first, so that nobody drawn a free spot is put where
    someone listed after them stands.  Walls keep people in different spaces apart, and nobody
    is placed in front of a door, so a new spot is checked against those already placed in its
    own space only.
    """
    n = len(specs)
    pos, lvl, space = np.zeros((n, 2)), np.zeros(n, np.int64), np.zeros(n, np.int64)
    placed: dict[str, list[tuple[float, float, float]]] = {}
    fac = plan.facility
    given = [k for k, p in enumerate(specs) if p.position is not None]
    for k in given + [k for k, p in enumerate(specs) if p.position is None]:
        p = specs[k]
        if not fac.has_space(p.space):
            raise RunError(f"occupant {p.id}: no space {p.space!r} in the facility")
        li = plan.level_ix[fac.space(p.space).level]
        xy = p.position if p.position is not None else spot(
            p.space, float(reach[k]), float(clear[k]), placed.setdefault(p.space, []), p.id)
        pos[k], lvl[k], space[k] = xy, li, plan.space_ix[p.space]
        placed.setdefault(p.space, []).append((xy[0], xy[1], float(reach[k])))
        g = plan.grids[li]
        i, j = g.cell_of(pos[k:k + 1])
        if g.wall[i[0], j[0]] < clear[k] or g.space[i[0], j[0]] < 0:
            raise PlacementError(p.id, f"position {xy} is not free floor of space {p.space!r} "
                                       f"(closer than {clear[k]} m to a wall or outside)")
    return pos, lvl, space
