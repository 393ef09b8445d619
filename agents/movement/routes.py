"""Route choice: which door, exit, stair or lift each agent heads for next.

The building graph (:mod:`facility.graph`) gives, per goal and mobility, the
remaining travel time from every door to the goal (one multi-source Dijkstra,
cached, recomputed when a door closes or a space becomes unusable).  Inside
its current space an agent compares, for every usable portal ``p``,
``walk_p(x) / v + C(p) + c queue_p / (1.3 w_p)``: the local field distance
(:mod:`agents.movement.navigation`), the remaining time and a congestion term (people
already heading for that portal within 4 m, over its capacity, weighted by ``c``:
:attr:`~agents.movement.behaviour.Behaviour.congestion_weight`).  This gives
nearest-target choice that spreads over exits when one jams.  A door whose
way on runs back through the current space (a dead-end room seen from the
corridor) is flagged as a detour (:attr:`Option.back`) and only taken when
nothing else is reachable; otherwise a person in a doorway flips between the
two spaces for ever.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from shapely.geometry import LineString

from agents.movement.behaviour import Behaviour
from agents.movement.fields import Field, compute_field
from agents.movement.navigation import LevelGrid, footprints
from facility.graph import OUTSIDE, door_node, exit_node, space_node
from facility.model import Facility, SpaceKind
from facility.routing import sfpe_stair_speed

__all__ = ["FieldStore", "Goal", "Navigator", "Option",
           "usable_lifts"]

#: Seconds by which a door's way on through the space beyond may exceed the best way on from
#: its opening before the door counts as a detour (:attr:`Option.back`): a numerical tolerance.
BACK_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class Goal:
    """Where a group of agents is going.

    Attributes:
        kind: ``"exit"`` (any final exit, or ``exits`` only), ``"spaces"``
            (arrive on entering any of ``spaces``) or ``"point"`` (a spot in
            ``spaces``'s single space, e.g. a patient to fetch).
        spaces: Target spaces for ``spaces`` / ``point``.
        exits: Allowed exits (empty: all).
        point: (x, y) for ``point`` goals.
        avoid: Spaces the route must not pass through (e.g. the fire
            compartment, once left: nobody is taken back through it).
    """

    kind: str
    spaces: frozenset[str] = frozenset()
    exits: frozenset[str] = frozenset()
    point: tuple[float, float] | None = None
    avoid: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Option:
    """One way out of the current space: a portal with its field, or a vertical link."""

    kind: str  # "door", "exit", "point", "stair", "lift"
    ref: str  # door / exit / stair / lift id
    field: int  # field id in the level store (for a stair or lift: to its landing)
    after: float  # remaining time after the portal (s)
    width: float
    to_space: str | None = None
    back: bool = False


def _through(f: Field, src: np.ndarray, segment: LineString, g: LevelGrid) -> None:
    """Point the field on the far half of a door's band straight on, away from the door.

    The band (:attr:`agents.movement.navigation.LevelGrid.door_cells`) is where people still count as in
    the space they came from: the field leads them through it, not to a stop in it, so they
    pass the door once and clear the doorway.
    """
    ii, jj = np.nonzero(src[f.i0:f.i0 + f.dist.shape[0], f.j0:f.j0 + f.dist.shape[1]])
    if ii.size == 0:
        return
    (ax, ay), (bx, by) = segment.coords[0], segment.coords[-1]
    t = np.array([bx - ax, by - ay]) / max(float(np.hypot(bx - ax, by - ay)), 1e-9)
    n = np.array([-t[1], t[0]])
    centre = g.centre(ii + f.i0, jj + f.j0).mean(axis=0)
    if float(n @ (centre - np.array([(ax + bx) / 2, (ay + by) / 2]))) < 0:
        n = -n
    f.direction[ii, jj] = n


def usable_lifts(facility: Facility, lifts: str, fire_compartments: tuple[str, ...]) -> frozenset[str]:
    """Ids of the lifts an evacuation uses.

    ``lifts`` is ``"evacuation"`` (lifts flagged for evacuation), ``"all"`` or ``"none"``; a
    lift with a landing that opens into a fire compartment is never used (HTM 05-02: evacuation
    lifts serve a floor from a protected lobby outside the fire; smoke reaches the shaft there).
    """
    fire = set(fire_compartments)
    out = set()
    for lf in facility.lifts:
        if not (lifts == "all" or (lifts == "evacuation" and lf.evacuation_lift)):
            continue
        opens_into_fire = any(facility.space(d.other(s)).compartment in fire
                              for s in lf.spaces for d in facility.doors_of.get(s, ()))
        if not opens_into_fire:
            out.add(lf.id)
    return frozenset(out)


#: Cells of field the flat buffers of a :class:`FieldStore` are made for at first: 2**24 (384 MB
#: of address space, for a distance and a direction per cell).  Only the part written is memory
#: in use (the operating system gives a page when it is first written), so this costs nothing
#: until fields fill it.  The day drill's fields take 9.6 million cells; growing to them from a
#: small buffer copied the buffers 17 times, 0.8 s of the drill's compute time, and each copy
#: held the old buffers and the new at once.
RESERVED_FIELD_CELLS = 1 << 24


class FieldStore:
    """Every local field of a building packed into flat arrays, for vectorised lookup.

    Field ids are global over the levels.  A new field is appended in place, into buffers made
    for ``reserve`` cells (:data:`RESERVED_FIELD_CELLS`) that grow by half as much again when
    full, so adding one does not repack the others.
    """

    def __init__(self, reserve: int = RESERVED_FIELD_CELLS) -> None:
        self.keys: dict[tuple[object, ...], int] = {}
        self.count = 0
        self._used = 0
        # Left unwritten (np.empty): a cell is read only once a field has been written over it.
        self.flat_d = np.empty(reserve)
        self.flat_v = np.empty((reserve, 2))
        #: Per field: (offset, i0, j0, rows, columns) of its window in the flat arrays.
        self.meta = np.zeros((16, 5), np.int64)
        #: Per field: the index of its portal (the space it is laid over and its target), equal
        #: for the fields of one portal laid for different clearances. People heading for one
        #: portal form one queue whatever their size (:func:`agents.movement.csm_kernel.csm_step` groups).
        self.portal = np.zeros(16, np.int64)
        self._portals: dict[tuple[object, ...], int] = {}

    def add(self, f: Field, portal: tuple[object, ...] = ()) -> int:
        """Append a field for ``portal`` (a key; by default a portal of its own); returns its id."""
        ni, nj = f.dist.shape
        end = self._used + ni * nj
        if end > self.flat_d.size:
            # Half as much again, copied into fresh buffers: doubling, through a zero-filled
            # temporary, put the day drill's peak at 1,055 MB (the buffers are its largest arrays).
            cap = max(self.flat_d.size * 3 // 2, end)
            flat_d, flat_v = np.empty(cap), np.empty((cap, 2))
            flat_d[:self._used] = self.flat_d[:self._used]
            flat_v[:self._used] = self.flat_v[:self._used]
            self.flat_d, self.flat_v = flat_d, flat_v
        if self.count == self.meta.shape[0]:
            self.meta = np.concatenate([self.meta, np.zeros_like(self.meta)])
            self.portal = np.concatenate([self.portal, np.zeros_like(self.portal)])
        key = portal or ("field", self.count)
        self.portal[self.count] = self._portals.setdefault(key, len(self._portals))
        self.flat_d[self._used:end] = f.dist.ravel()
        self.flat_v[self._used:end] = f.direction.reshape(-1, 2)
        self.meta[self.count] = (self._used, f.i0, f.j0, ni, nj)
        self._used = end
        self.count += 1
        return self.count - 1

    def lookup(self, fid: np.ndarray, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance and direction for agents in cells (i, j) on fields ``fid``."""
        m = self.meta[fid]
        li, lj = i - m[:, 1], j - m[:, 2]
        inside = (li >= 0) & (lj >= 0) & (li < m[:, 3]) & (lj < m[:, 4])
        k = np.where(inside, m[:, 0] + li * m[:, 4] + lj, 0)
        d = np.where(inside, self.flat_d[k], np.inf)
        v = np.where(inside[:, None], self.flat_v[k], 0.0)
        return d, v


class Navigator:
    """Local fields per level and goal potentials over the building graph."""

    def __init__(self, facility: Facility, grids: dict[str, LevelGrid], *, lifts: str = "evacuation",
                 fire_compartments: tuple[str, ...] = (), behaviour: Behaviour | None = None):
        self.facility = facility
        self.grids = grids
        #: Every local field, all levels (field ids are global).
        self.fields = FieldStore()
        self.closed: set[str] = set()
        self.unusable: set[str] = set()
        self.lift_use = lifts
        #: The rules' constants (the wait assumed for a lift, the cost of untenable space).
        self.behaviour = behaviour or Behaviour()
        #: Lifts people may take: by ``lifts``, and none with a landing in a fire compartment
        #: (smoke reaches the shaft there: :func:`usable_lifts`).
        self.lift_ok = usable_lifts(facility, lifts, fire_compartments)
        self._pot: dict[tuple[object, ...], dict[str, float]] = {}
        self._space_masks: dict[str, np.ndarray] = {}
        self._far_bands: dict[str, np.ndarray] = {}
        self._windows: dict[str, tuple[int, int, int, int]] = {}
        self._opts: dict[tuple[object, ...], list[Option]] = {}
        self.version = 0

    # -- changes ----------------------------------------------------------------
    def close_door(self, door_id: str) -> None:
        """Close a door: block its opening and recompute every potential."""
        self.closed.add(door_id)
        lvl = self.facility.space(self.facility.door(door_id).spaces[0]).level
        self.grids[lvl].close_door(door_id)
        self._invalidate()

    def make_unusable(self, space_id: str) -> None:
        """Route people round a space from now on (e.g. smoke-logged), unless it is their only way."""
        self.unusable.add(space_id)
        self._invalidate()

    def set_unusable(self, spaces: frozenset[str]) -> bool:
        """Route people round ``spaces`` (untenable now; ``behaviour.untenable_penalty`` a leg), and again
        through the others.

        Returns whether the set changed (then every potential is recomputed).
        """
        if spaces == self.unusable:
            return False
        self.unusable = set(spaces)
        self._invalidate()
        return True

    def _invalidate(self) -> None:
        self._pot.clear()
        self._opts.clear()
        self.version += 1

    # -- fields -----------------------------------------------------------------
    def space_mask(self, space_id: str) -> np.ndarray:
        if space_id not in self._space_masks:
            sp = self.facility.space(space_id)
            g = self.grids[sp.level]
            self._space_masks[space_id] = g.space == g.space_ids.index(space_id)
        return self._space_masks[space_id]

    def far_bands(self, space_id: str) -> np.ndarray:
        """Mask of the far halves of the bands of ``space_id``'s doors: the cells beyond each door
        line where someone passing it still counts in ``space_id``
        (:attr:`~agents.movement.navigation.LevelGrid.door_cells`).

        Every field from the space covers them, so someone the crowd pushed a few centimetres
        over a door line still has their way on and steps back.  Without them the only way on
        from there was through that door: on day seed 0, a visitor walking along the L2-B
        corridor pushed 6 cm over the line of a full bay's door turned into the bay, took the
        door's turn and stood in it, and the forty people in the bay waited on the turn.
        """
        if space_id not in self._far_bands:
            g = self.grids[self.facility.space(space_id).level]
            out = np.zeros(g.shape, bool)
            for door in self.facility.doors_of.get(space_id, ()):
                cells = g.door_cells.get(door.id)
                if cells is not None:
                    out.ravel()[cells] = True
            self._far_bands[space_id] = out & ~self.space_mask(space_id) & (g.space >= 0)
        return self._far_bands[space_id]

    def _window(self, space_id: str) -> tuple[int, int, int, int]:
        """Rows and columns ``(i0, i1, j0, j1)`` of the cells of ``space_id`` and the far halves of its
        doors' bands: the part of the level a field from the space can cover."""
        if space_id not in self._windows:
            cover = self.space_mask(space_id) | self.far_bands(space_id)
            rows, cols = np.flatnonzero(cover.any(axis=1)), np.flatnonzero(cover.any(axis=0))
            self._windows[space_id] = ((int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)
                                       if rows.size else (0, 0, 0, 0))
        return self._windows[space_id]

    def field_id(self, space_id: str, target: tuple[str, object], clearance: float) -> int:
        """Id (in :attr:`fields`) of the field from ``space_id`` to a portal or point."""
        return self._field(space_id, target, clearance, ())

    def detour_field_id(self, space_id: str, target: tuple[str, object], clearance: float,
                        units: tuple[tuple[float, ...], ...], *,
                        queue_as: tuple[str, object] | None = None,
                        start: tuple[float, float] | None = None) -> int:
        """Id of the field from ``space_id`` to a portal laid round the footprints of ``units``
        standing in the space, each ``(x, y, ox, oy, radius, extra)``
        (:func:`~agents.movement.navigation.footprints`, widened by ``clearance`` and a cell).

        It is a field of the same portal (or of ``queue_as``: a bedside reached at the side of the
        bed, for the bed's own point), so whoever walks on it queues with everyone else for it
        (:func:`scenarios.evacuation.detours.detour`).  With ``start``, a disc of ``clearance``
        and a cell round that point is left free of the widened footprints: someone pressed
        against a bed stands inside them, and a field that does not reach them leaves them where
        they stand.
        """
        return self._field(space_id, target, clearance, units, queue_as=queue_as, start=start)

    def _field(self, space_id: str, target: tuple[str, object], clearance: float,
               units: tuple[tuple[float, ...], ...], *, queue_as: tuple[str, object] | None = None,
               start: tuple[float, float] | None = None) -> int:
        level = self.facility.space(space_id).level
        store = self.fields
        key: tuple[object, ...] = (space_id, target, round(clearance, 3), queue_as, start, *units)
        fid = store.keys.get(key)
        if fid is not None:
            return fid
        g = self.grids[level]
        space = self.space_mask(space_id)
        dom = space | self.far_bands(space_id)
        if units:
            u = np.array(units, np.float64).reshape(-1, 6)
            # The clearance and a cell more: a gap between two units that the field let through
            # with less (5 cm) was too narrow for the crowd model, and the walker stood in front of it.
            dom = dom & ~footprints(g, u[:, :2], u[:, 2:4], radius=u[:, 4], extra=u[:, 5],
                                    margin=clearance + g.h)
            if start is not None:
                reach = clearance + g.h
                i, j = g.cell_of(np.array([start]))
                k = int(np.ceil(reach / g.h))
                r0, c0 = max(int(i[0]) - k, 0), max(int(j[0]) - k, 0)
                rows, cols = np.ogrid[r0:int(i[0]) + k + 1, c0:int(j[0]) + k + 1]
                disc = np.hypot(g.x0 + (cols + 0.5) * g.h - start[0],
                                g.y0 + (rows + 0.5) * g.h - start[1]) <= reach
                window = (slice(r0, r0 + disc.shape[0]), slice(c0, c0 + disc.shape[1]))
                dom[window] |= space[window] & disc[: space[window].shape[0], : space[window].shape[1]]
        kind, ref = target
        if kind == "exit":
            src = g.exit == g.exit_ids.index(str(ref))
        elif kind == "door":
            door = self.facility.door(str(ref))
            other = self.space_mask(door.other(space_id))
            near = np.zeros(g.shape, bool)
            near.ravel()[g.door_cells[str(ref)]] = True
            src = near & other
            dom |= src
        else:  # point
            i, j = g.cell_of(np.asarray([ref], dtype=float))
            src = np.zeros(g.shape, bool)
            src[max(0, i[0] - 2):i[0] + 3, max(0, j[0] - 2):j[0] + 3] = True
            src &= dom
        # Every cell of the domain and of a door's or a point's sources lies in the space's
        # window; an exit's cells may lie beyond it.
        f = compute_field(g, dom, src, clearance, window=None if kind == "exit" else self._window(space_id))
        if kind == "door":
            _through(f, src, self.facility.door_segment(self.facility.door(str(ref))), g)
        fid = store.add(f, (space_id, queue_as or target))
        store.keys[key] = fid
        return fid

    def landing(self, space_id: str) -> tuple[float, float]:
        """Where people wait to take a stair flight or a lift: the middle of its stair or lift space."""
        poly = self.facility.space(space_id).polygon
        c = poly.centroid
        p = c if poly.contains(c) else poly.representative_point()
        return (round(float(p.x), 3), round(float(p.y), 3))

    # -- potentials -------------------------------------------------------------
    def potential(self, goal: Goal, *, speed: float, stairs: float | None,
                  min_width: float) -> dict[str, float]:
        """Remaining time (s) from every graph node to ``goal`` for one mobility."""
        key = (goal.kind, goal.spaces, goal.exits, goal.avoid, round(speed, 2), stairs, min_width)
        if key in self._pot:
            return self._pot[key]
        fac, gph = self.facility, self.facility.graph
        closed = {door_node(d) for d in self.closed}
        untenable = self.unusable - self._entered(goal)
        lift_ok = self.lift_ok
        lift_wait, penalty = self.behaviour.lift_wait, self.behaviour.untenable_penalty

        def weight(u: str, v: str, d: dict[str, object]) -> float | None:
            if u in closed or v in closed:
                return None
            kind = d["kind"]
            if kind == "exit":
                # "Outside" must not join one exit to another with allocated exits, nor on the way
                # to a patient or a refuge: nobody walks round the building outside to re-enter it.
                return None if goal.exits or goal.kind != "exit" else 0.0
            if kind == "stair":
                if stairs is None:
                    return None
                v_st = sfpe_stair_speed(float(d["riser_mm"]), float(d["tread_mm"])) * stairs  # type: ignore[arg-type]
                return float(d["length"]) / v_st  # type: ignore[arg-type]
            if kind == "lift":
                if d["link"] not in lift_ok or float(d["door_width"]) < min_width:  # type: ignore[arg-type]
                    return None
                return abs(float(d["rise"])) / float(d["speed"]) + float(d["door_time"]) + lift_wait  # type: ignore[arg-type]
            space = d.get("space")
            if space in goal.avoid:
                return None
            for n in (u, v):
                if gph.nodes[n].get("width", np.inf) < min_width:
                    return None
            walk = float(d["length"]) / speed  # type: ignore[arg-type]
            return walk + penalty if space in untenable else walk

        if goal.kind == "exit":
            sources = {exit_node(e) for e in goal.exits} if goal.exits else {OUTSIDE}
        else:
            sources = set()
            for d in fac.doors:
                a, b = d.spaces
                if (a in goal.spaces) != (b in goal.spaces) and d.id not in self.closed:
                    sources.add(door_node(d.id))
            sources |= {space_node(s) for s in goal.spaces}
        pot = dict(nx.multi_source_dijkstra_path_length(gph, sources, weight=weight))
        self._pot[key] = pot
        return pot

    @staticmethod
    def _entered(goal: Goal) -> frozenset[str]:
        """Spaces a goal enters even when unusable: the room of a patient to fetch (when staff are
        sent there, the scenario lets them go into an untenable room)."""
        return goal.spaces if goal.kind == "point" else frozenset()

    def _after_door(self, door_id: str, other: str, pot: dict[str, float], speed: float) -> float | None:
        """Remaining time after passing a door, continuing through the space beyond it.

        Paths that come straight back through the current space are excluded,
        so a door never looks good just because the way on runs back past the agent.
        """
        gph = self.facility.graph
        dn = door_node(door_id)
        best: float | None = None
        for nb in gph.neighbors(dn):
            ed = gph.edges[dn, nb]
            if ed.get("space") != other or nb not in pot:
                continue
            c = float(ed["length"]) / speed + pot[nb]
            if best is None or c < best:
                best = c
        return best

    def options(self, space_id: str, goal: Goal, *, speed: float, stairs: float | None,
                min_width: float, clearance: float) -> list[Option]:
        """Portals out of ``space_id`` towards ``goal``, with their remaining times."""
        key = (space_id, goal, round(speed, 2), stairs, min_width, round(clearance, 3))
        if key in self._opts:
            return self._opts[key]
        fac = self.facility
        pot = self.potential(goal, speed=speed, stairs=stairs, min_width=min_width)
        out: list[Option] = []
        sp = fac.space(space_id)
        if goal.kind == "point" and space_id in goal.spaces and goal.point is not None:
            out.append(Option("point", space_id, self.field_id(space_id, ("point", goal.point), clearance),
                              0.0, np.inf))
            self._opts[key] = out
            return out
        if goal.kind == "exit":
            for e in fac.exits_of.get(space_id, ()):
                if not goal.exits or e.id in goal.exits:
                    out.append(Option("exit", e.id, self.field_id(space_id, ("exit", e.id), clearance),
                                      0.0, e.width))
        for d in fac.doors_of.get(space_id, ()):
            if d.id in self.closed or d.width < min_width:
                continue
            other = d.other(space_id)
            if other in goal.avoid:
                continue
            after = self._after_door(d.id, other, pot, speed)
            if goal.kind != "exit" and other in goal.spaces:
                after = 0.0
            if after is None:
                continue
            if other in self.unusable and other not in self._entered(goal):
                after += self.behaviour.untenable_penalty  # the first leg beyond is untenable too
            # A door whose best way on from its opening runs back through this space is a detour.
            back = after > pot.get(door_node(d.id), np.inf) + BACK_TOLERANCE
            out.append(Option("door", d.id, self.field_id(space_id, ("door", d.id), clearance),
                              after, d.width, to_space=other, back=back))
        if sp.kind in (SpaceKind.STAIR, SpaceKind.LIFT):
            gph = fac.graph
            me = space_node(space_id)
            for nb in gph.neighbors(me):
                ed = gph.edges[me, nb]
                if ed["kind"] not in ("stair", "lift"):
                    continue
                rest = pot.get(nb)
                if rest is None:
                    continue
                if ed["kind"] == "stair":
                    if stairs is None:
                        continue
                    v_st = sfpe_stair_speed(ed["riser_mm"], ed["tread_mm"]) * stairs
                    t = ed["length"] / v_st
                else:
                    lf = next(lf for lf in fac.lifts if lf.id == ed["link"])
                    if lf.id not in self.lift_ok or lf.door_width < min_width:
                        continue
                    t = abs(ed["rise"]) / lf.speed + lf.door_time + self.behaviour.lift_wait
                landing = self.field_id(space_id, ("point", self.landing(space_id)), clearance)
                out.append(Option(ed["kind"], ed["link"], landing, t + rest, np.inf,
                                  to_space=gph.nodes[nb]["ref"]))
        self._opts[key] = out
        return out
