"""The model's side of stairs and lifts (:mod:`agents.movement.levels`): entering a flight or
calling a car, and landing on the next level when there is room; lift cars unload one unit at a
time and take no new call while unloading.

Whoever calls a lift stays on the floor until the car has come for them and opened (the
caller's ``people.called``), and only then leaves the plane (``LINK``):

* a bed or wheelchair is wheeled on into the lift's landing and waits there, so units waiting
  for a car take up the landing and those behind them wait in the corridor, as in front of a
  real lift;
* someone on foot stands aside in the lobby (the landing's space) on a free waiting spot clear
  of the landing's door bands and of the lane units are wheeled along, from each landing door
  to the car and a unit's length past it (:func:`lobby_spots`); with no spot free, they queue
  outside, along the walls beyond the landing door, and step into the lobby as spots free up,
  in call order.  Staff going back up for the next patient call the car from the exit level's
  landing, which the units coming down are wheeled out into (:func:`landing_clear`): standing
  off the lane, they neither keep the car from unloading nor themselves from being fetched.

Someone who leaves the wait (a member of staff called back to a patient, or overcome by the
hazard) withdraws their call.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from agents.movement import states
from agents.movement.routes import Option
from scenarios.evacuation.placement import WALL_MARGIN, clear_of_points, respawn

if TYPE_CHECKING:
    from scenarios.evacuation.state import RunState

__all__ = ["LOBBY_DENSITY", "QUEUE_REACH", "enter_link", "land", "landing_clear", "links", "lobby_spots"]

#: Highest density (P/m2) of people waiting for a lift: the top of the range over which the SFPE
#: hydraulic model holds (3.8 P/m2, ``../shared/reference/evacuation.md``), the density at which
#: a stair flight takes nobody more (:mod:`agents.movement.levels`).  Waiting spots are at least
#: ``1 / sqrt(LOBBY_DENSITY)`` (0.51 m) apart.
LOBBY_DENSITY = 3.8
#: Metres from a landing's door within which people queue outside a full lobby.
QUEUE_REACH = 8.0


def links(st: RunState) -> None:
    """Land whoever reached the end of a flight or whose lift car arrived, where there is room;
    keep the lift lobbies (withdrawn calls, callers queued outside stepping in); dispatch lift
    cars that have finished unloading."""
    plan = st.plan
    t = st.t
    for fl in st.links.stairs:
        while fl.on_flight and fl.on_flight[0][0] <= t:
            _, k, to = fl.on_flight[0]
            if not respawn(st, k, plan.space_ix[to]):
                break
            fl.on_flight.popleft()
            fl.last_out = t
            land(st, k, to)
    _lobbies(st)
    for lk in st.links.lifts:
        if st.links.pending and any(to in lk.lift.spaces for _, _, to in st.links.pending):
            continue  # the car is still unloading
        trip = lk.dispatch(t)
        if trip is not None:
            st.links.boarding.extend((trip.board, trip.arrive, k, to) for k, to in trip.batch)
    _board(st)
    keep = []
    for t_arr, k, to in st.links.pending:
        if t_arr <= t and landing_clear(st, k, to) and respawn(st, k, plan.space_ix[to],
                                                                near=st.nav.landing(to)):
            land(st, k, to)
        else:
            keep.append((t_arr, k, to))
    st.links.pending = keep


def _board(st: RunState) -> None:
    """Callers whose car has come step or are wheeled in: off the plane until it arrives.  One
    no longer waiting for it (who withdrew the call, or was incapacitated meanwhile) is left
    behind by the car."""
    pe, plan, t = st.people, st.plan, st.t
    wait = []
    for board, arrive, k, to in st.links.boarding:
        if board > t:
            wait.append((board, arrive, k, to))
            continue
        if not pe.called[k]:
            continue
        pe.called[k] = False
        st.links.callers.pop(k, None)
        if pe.state[k] == states.LINK:  # on foot, off the plane since the call (no spot was free)
            st.links.pending.append((arrive, k, to))
            continue
        if pe.state[k] != states.MOVE:
            continue
        pe.state[k] = states.LINK
        pe.fid[k] = -1
        st.passages.last_pass[_lift_of(st, to)] = t
        # In the car, they have left the compartment of the landing: its last departure may be this one.
        st.passages.leave(plan, int(pe.space[k]), plan.space_ix[to], t)
        st.links.pending.append((arrive, k, to))
    st.links.boarding = wait


def _lift_of(st: RunState, landing: str) -> str:
    return next(lk.lift.id for lk in st.links.lifts if landing in lk.lift.spaces)


def landing_clear(st: RunState, k: int, to: str) -> bool:
    """Whether a bed or wheelchair can be wheeled out of the lift car: nobody left on the lift
    landing ``to`` but people on foot waiting for a car, who stand off the units' lane.  Units
    leave the car one at a time, each once the one before it has cleared the landing; beds
    pushed out next to the last ones locked the small landing up."""
    pe, plan = st.people, st.plan
    if pe.extra[k] <= 0:
        return True
    sp = plan.space_ix[to]
    there = states.ON_PLANE_TABLE[pe.state] & (pe.space == sp)
    there &= ~(pe.called & (pe.extra <= 0))
    return not bool(there.any())


def land(st: RunState, k: int, to: str) -> None:
    """Person k (and the team moving them) is on the floor of landing ``to``: walking again."""
    pe = st.people
    pe.state[k] = states.MOVE
    pe.route[k].append(to)
    pe.reroute[k] = True
    pe.best[k] = np.inf
    pe.last_prog[k] = st.t
    for s in pe.team[k]:
        pe.lvl[s] = pe.lvl[k]


def enter_link(st: RunState, k: int, o: Option) -> bool:
    """Person k steps onto the stair of option ``o`` or calls its lift: True if they are off the
    plane now; False if the flight is full (they stay where they are and try again) or they
    called the car (a unit is wheeled on into the landing to wait for it, someone on foot stands
    aside in the lobby: :func:`links` boards them)."""
    pe, plan = st.people, st.plan
    here = plan.space_ids[pe.space[k]]
    to = o.to_space or ""
    if o.kind != "stair":
        lk = next(lk for lk in st.links.lifts if lk.lift.id == o.ref)
        lk.call(st.t, k, here, to, pe.profiles[k].name)
        pe.called[k] = True
        st.passages.last_pass[o.ref] = st.t
        if pe.extra[k] > 0:
            return False
        if _wait_in_lobby(st, k, here):
            st.links.callers[k] = (o.ref, here, int(pe.goal[k]))
            pe.fid[k] = -1
            return False
        # No spot in the lobby or outside it: off the plane until the car comes, as if they stood
        # aside somewhere (left standing where they called, on the units' lane, they would keep
        # a unit from being wheeled out of the car, and the car from coming for them).
        _off_plane(st, k, o.ref, to)
        return True
    for fl in st.links.stairs:
        if {fl.lower, fl.upper} == {here, to}:
            if not fl.can_enter(st.t):
                return False
            factor = float(pe.stair_f[k])
            if st.env is not None:
                factor *= float(st.space_factor[pe.space[k]])
            fl.enter(st.t, k, to, factor)
            break
    else:
        return False
    _off_plane(st, k, o.ref, to)
    return True


def _off_plane(st: RunState, k: int, link: str, to: str) -> None:
    """Person k leaves the plane for stair or lift ``link`` towards landing ``to``."""
    st.people.state[k] = states.LINK
    st.passages.last_pass[link] = st.t
    # On the flight or off the plane waiting for a car, they have left the compartment of the
    # landing (a stair or lift inside a compartment): its last departure may be this one.
    st.passages.leave(st.plan, int(st.people.space[k]), st.plan.space_ix[to], st.t)


def _lobbies(st: RunState) -> None:
    """Keep the lift lobbies: callers on foot who left the wait withdraw their call; those queued
    outside a lobby step into spots freed since, in call order (each lobby's first one who finds
    no spot stops the ones behind them)."""
    pe = st.people
    full: set[str] = set()
    for k, (lift, landing, goal) in list(st.links.callers.items()):
        if pe.state[k] != states.MOVE or pe.goal[k] != goal or not pe.called[k]:
            _withdraw(st, k, lift)
            continue
        if landing in full or st.plan.space_ids[pe.space[k]] == landing:
            continue
        if not _take_spot(st, k, landing, inside=True):
            full.add(landing)


def _withdraw(st: RunState, k: int, lift: str) -> None:
    """Person k no longer waits for ``lift``: their call is struck off and they choose again."""
    pe = st.people
    st.links.callers.pop(k, None)
    pe.called[k] = False
    for lk in st.links.lifts:
        if lk.lift.id == lift:
            lk.queue = type(lk.queue)(c for c in lk.queue if c[1] != k)
    st.links.boarding = [b for b in st.links.boarding if b[2] != k]
    if pe.state[k] == states.MOVE:
        pe.reroute[k] = True
        pe.last_prog[k] = st.t
        pe.best[k] = np.inf


def _wait_in_lobby(st: RunState, k: int, landing: str) -> bool:
    """Caller ``k`` on foot stands on a free waiting spot of ``landing``'s lobby, else queues
    outside it; False if neither has a spot free (a crowd all round)."""
    return _take_spot(st, k, landing, inside=True) or _take_spot(st, k, landing, inside=False)


def _take_spot(st: RunState, k: int, landing: str, *, inside: bool) -> bool:
    """Put person k on the first free spot of :func:`lobby_spots` (``inside`` the lobby or
    queued outside it); False if none is free."""
    pe = st.people
    spots = lobby_spots(st, landing, float(pe.clear[k]), inside=inside)
    if spots.shape[0] == 0:
        return False
    li = int(pe.lvl[k])
    on = states.ON_PLANE_TABLE[pe.state] & (pe.lvl == li)
    on[k] = False
    centre = spots[:, :2].mean(axis=0)
    reach = float(np.hypot(*(spots[:, :2] - centre).T).max()) + 3.0
    on &= np.hypot(pe.pos[:, 0] - centre[0], pe.pos[:, 1] - centre[1]) < reach
    others = pe.pos[on]
    unit = pe.extra[on] > 0
    # Apart by the lobby's density from people on foot, clear of a unit's whole length.
    need = np.where(unit, pe.radius[on] + pe.extra[on] + pe.radius[k] + WALL_MARGIN,
                    max(1.0 / math.sqrt(LOBBY_DENSITY), 2 * float(pe.radius[k]) + WALL_MARGIN))
    if others.shape[0]:
        gap = np.hypot(spots[:, None, 0] - others[None, :, 0], spots[:, None, 1] - others[None, :, 1])
        free = np.flatnonzero((gap >= need[None, :]).all(axis=1))
    else:
        free = np.arange(spots.shape[0])
    if free.size == 0:
        return False
    q = int(free[0])
    _move_to(st, k, int(spots[q, 2]), spots[q, :2])
    return True


def _move_to(st: RunState, k: int, space: int, xy: np.ndarray) -> None:
    """Person k steps to ``xy`` of ``space`` (the next space through a door: the passage is
    counted)."""
    pe, plan = st.people, st.plan
    pe.pos[k] = xy
    pe.prev_pos[k] = xy
    old = int(pe.space[k])
    if space != old:
        st.passages.leave(plan, old, space, st.t)
        pe.space[k] = space
        pe.route[k].append(plan.space_ids[space])
        door = plan.door_between.get(frozenset((plan.space_ids[old], plan.space_ids[space])))
        if door is not None:
            st.passages.log(st.t, door, "door")


def lobby_spots(st: RunState, landing: str, clear: float, *, inside: bool) -> np.ndarray:
    """Where people on foot of clearance ``clear`` wait for a lift at ``landing``: rows
    ``(x, y, global space index)``, in the order they are taken.

    Inside (the lobby): floor of the landing's space clear of its walls and of every door band,
    and off the units' lane, nearest the car (the landing's waiting point) first.  The lane runs
    from each landing door through the waiting point and a unit's half length beyond it, as wide
    as the car's door (the widest unit it takes).  Outside (queued): floor of the spaces beyond
    the landing's doors within :data:`QUEUE_REACH` of the door, out of door bands, along their
    walls, and ``behaviour.door_keep_clear`` beyond the door's half width, nearest the door first.
    """
    key = (landing, round(clear, 3), inside)
    hit = st.lobby_spots.get(key)
    if hit is not None:
        return hit
    plan, nav, b = st.plan, st.nav, st.p.behaviour
    fac = plan.facility
    li = plan.level_ix[fac.space(landing).level]
    g = plan.grids[li]
    band = plan.band_door[li].ravel()
    room = g.wall.ravel()
    doors = fac.doors_of.get(landing, ())
    rows: list[np.ndarray] = []
    if inside:
        cells = np.flatnonzero(nav.space_mask(landing).ravel() & (room >= clear + WALL_MARGIN) & (band < 0))
        xy = g.centre(*np.divmod(cells, g.shape[1]))
        car = np.array(nav.landing(landing))
        lift = next(lf for lf in fac.lifts if landing in lf.spaces)
        length = float(np.max(st.people.radius + st.people.extra, initial=0.0))
        off = np.ones(cells.size, bool)
        for d in doors:
            off &= _from_lane(xy, np.array(d.at, float), car, length) >= lift.door_width / 2 + clear
        xy = xy[off]
        order = np.argsort(np.hypot(xy[:, 0] - car[0], xy[:, 1] - car[1]), kind="stable")
        rows.append(np.column_stack([xy[order], np.full(order.size, plan.space_ix[landing])]))
    else:
        for d in doors:
            other = next(s for s in d.spaces if s != landing)
            cells = np.flatnonzero(nav.space_mask(other).ravel() & (room >= clear + WALL_MARGIN) & (band < 0))
            xy = g.centre(*np.divmod(cells, g.shape[1]))
            dist = np.hypot(xy[:, 0] - d.at[0], xy[:, 1] - d.at[1])
            ok = (dist <= QUEUE_REACH) & clear_of_points(fac, other, xy, d.width / 2 + b.door_keep_clear)
            ok &= room[cells] <= clear + b.along_wall
            order = np.flatnonzero(ok)[np.argsort(dist[ok], kind="stable")]
            rows.append(np.column_stack([xy[order], np.full(order.size, plan.space_ix[other])]))
    out = np.concatenate(rows) if rows else np.zeros((0, 3))
    st.lobby_spots[key] = out
    return out


def _from_lane(xy: np.ndarray, door: np.ndarray, car: np.ndarray, beyond: float) -> np.ndarray:
    """Distance (m) from points ``xy`` to the lane from ``door`` through ``car`` and ``beyond``
    metres past it."""
    v = car - door
    n = float(np.hypot(*v))
    if n <= 0:
        return np.hypot(xy[:, 0] - door[0], xy[:, 1] - door[1])
    u = v / n
    s = np.clip((xy - door) @ u, 0.0, n + beyond)
    return np.hypot(xy[:, 0] - door[0] - s * u[0], xy[:, 1] - door[1] - s * u[1])
