"""Who goes through a doorway first when people meet in it from both sides.

A door is passed one way at a time when it is too narrow for two to pass each other.  The
speed model alone cannot settle two people (or two beds) who meet head-on in a doorway: each
stops at the other's headway and neither has room to step aside, so they wait for ever.
People resolve it by a turn: whoever is through first goes on, the other side waits outside
the doorway, and after a while the waiting side gets its turn. The distances and times named
below are fields of :class:`~agents.movement.behaviour.Behaviour`.

Per door (:class:`DoorTurns`) and per step (:func:`turns`):

* people walking to a door (their route option) within ``approach`` m of it (field
  distance) or in its band (:attr:`agents.movement.navigation.LevelGrid.door_cells`) come from the side
  they count in (the space they are leaving);
* with people from one side only, or a door wide enough for two lanes each way (``two_way``
  times the widths of the widest of each side, ``door_boundary`` kept free at each jamb),
  nobody waits;
* with people of both sides in the band, the side of the one nearest the far end of the band
  goes (evacuees before staff on their way to a patient); the others in the band back out of
  it (``BACK_OUT``) and the rest of their side waits;
* beds and wheelchairs of one side that cannot pass the door abreast go one at a time (the one
  nearest the door first; the next backs away to leave it room);
* who waits backs away first until their reach and the reach of the widest unit coming the
  other way are ``wait_gap`` apart, measured from the door (a bed waiting just before the
  door would block the bed coming through it);
* with people of one side in the band, the other side waits; but if the other side has the
  turn and those in the band have made no progress for ``patience`` s (the waiting side
  blocks their way), they back out and their side waits;
* with the band empty, the side whose turn it is goes and the other waits; a side that has
  waited ``turn_after`` s gets the turn, and from then on the other side's newcomers wait.
* a bed or wheelchair on its way out takes the turn at once from a side of staff going in for
  patients (they wait outside the doorway): staff who kept coming through a smoke door into a
  corridor of beds queueing for it locked beds and staff up for good.

Waiting here is standing: a person who waits steps aside for people walking at them (the
speed model's give-way rule), which opens the doorway for the side that goes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.movement.behaviour import Behaviour

__all__ = ["BACK_OUT", "GO", "WAIT", "DoorTurns", "band_doors", "turns"]

#: Codes of :func:`turns`: walk on, wait (stand), back out of the doorway.
GO, WAIT, BACK_OUT = 0, 1, 2


@dataclass
class DoorTurns:
    """Per door: the space whose turn it is (-1 none) and since when the other side waits."""

    turn: np.ndarray
    waiting_since: np.ndarray

    @classmethod
    def empty(cls, n_doors: int) -> DoorTurns:
        return cls(turn=np.full(n_doors, -1, np.int64), waiting_since=np.full(n_doors, np.nan))


def band_doors(shape: tuple[int, int], door_cells: dict[str, np.ndarray],
               door_ix: dict[str, int]) -> np.ndarray:
    """Raster of the door (global index) whose band holds each cell, -1 elsewhere.

    >>> band_doors((1, 4), {"a": np.array([1, 2])}, {"a": 7}).tolist()
    [[-1, 7, 7, -1]]
    """
    out = np.full(shape, -1, np.int64)
    for did, cells in door_cells.items():
        out.ravel()[cells] = door_ix[did]
    return out


def turns(dt: DoorTurns, t: float, *, walkers: np.ndarray, door: np.ndarray, in_band: np.ndarray,
          side: np.ndarray, dist: np.ndarray, evacuee: np.ndarray, width: np.ndarray, reach: np.ndarray,
          unit: np.ndarray, door_width: np.ndarray, behaviour: Behaviour,
          stalled: np.ndarray | None = None) -> np.ndarray:
    """Codes (:data:`GO`, :data:`WAIT`, ``BACK_OUT``) for ``walkers`` heading for doors.

    Args:
        dt: The doors' turn state (updated).
        t: Model time (s).
        walkers: Indices of the people concerned (any order).
        door: Door (global index) each one is heading for.
        in_band: Whether each one stands in that door's band.
        side: The space each one counts in (the side they come from).
        dist: Each one's field distance to the door.
        evacuee: Whether each one is heading for safety (not fetching a patient).
        width: Each one's width (m): a person's shoulders, a bed's or wheelchair's width.
        reach: Each one's reach (m) from their centre along their way: half a bed's length.
        unit: Whether each one is a bed or wheelchair moved by staff.
        door_width: Clear width (m) of every door, by global index.
        behaviour: The rules' distances and times.
        stalled: Whether each one has made no progress for
            :attr:`~.behaviour.Behaviour.patience` s (none, if not given).

    Returns:
        One code per entry of ``walkers``.
    """
    code = np.zeros(walkers.size, np.int64)
    b = behaviour
    near = in_band | (dist < b.approach)
    if not near.any():
        return code
    sel = np.flatnonzero(near)
    ds = door[sel]
    # Doors approached from one side only, with at most one unit, need only their turn noted.
    lo = np.full(dt.turn.size, np.iinfo(np.int64).max)
    hi = np.full(dt.turn.size, -1)
    np.minimum.at(lo, ds, side[sel])
    np.maximum.at(hi, ds, side[sel])
    units = np.bincount(ds, weights=unit[sel], minlength=dt.turn.size)
    one = np.flatnonzero((hi >= 0) & (lo == hi))
    dt.turn[one] = lo[one]
    dt.waiting_since[one] = np.nan
    busy = (lo[ds] != hi[ds]) | (units[ds] >= 2)
    sel, ds = sel[busy], ds[busy]
    if sel.size == 0:
        return code
    order = np.argsort(ds, kind="stable")
    sel, ds = sel[order], ds[order]
    bounds = np.flatnonzero(np.diff(ds)) + 1
    for grp in np.split(sel, bounds):
        d = int(door[grp[0]])
        _turn(dt, t, d, grp, code, in_band=in_band, side=side, dist=dist, evacuee=evacuee, width=width,
              reach=reach, unit=unit, door_width=float(door_width[d]), b=b,
              stalled=np.zeros(walkers.size, bool) if stalled is None else stalled)
        _one_unit_at_a_time(grp, code, side=side, dist=dist, width=width, reach=reach, unit=unit,
                            door_width=float(door_width[d]), b=b)
    return code


def _turn(dt: DoorTurns, t: float, d: int, grp: np.ndarray, code: np.ndarray, *,
          in_band: np.ndarray, side: np.ndarray, dist: np.ndarray, evacuee: np.ndarray, width: np.ndarray,
          reach: np.ndarray, unit: np.ndarray, door_width: float, b: Behaviour, stalled: np.ndarray) -> None:
    """The turn at door ``d`` of the people ``grp`` near it (see the module docstring)."""
    gap = b.wait_gap
    sides = side[grp]
    first = sides[0]
    one_way = bool((sides == first).all())
    if not one_way:
        other = sides != first
        widest = width[grp[~other]].max() + width[grp[other]].max()
        one_way = bool(b.two_way * widest <= door_width - 2 * b.door_boundary)
    if one_way:
        dt.turn[d] = first
        dt.waiting_since[d] = np.nan
        return
    inside = grp[in_band[grp]]
    if inside.size and (side[inside] != side[inside[0]]).any():
        # Both sides in the doorway: evacuees first, then whoever is nearest the far end.
        key = np.lexsort((inside, dist[inside], ~evacuee[inside]))
        win = side[inside[key[0]]]
        dt.turn[d] = win
        dt.waiting_since[d] = t
        lose = grp[side[grp] != win]
        code[lose] = _wait(lose, grp[side[grp] == win], in_band, dist, reach, gap)
        return
    turn = int(dt.turn[d])
    # Staff going in for patients never keep a bed or wheelchair on its way out waiting: the turn
    # passes to the unit's side at once (day drill, seed 8: staff kept coming through the L2 smoke
    # door into a corridor of beds queueing for it, and the beds and staff locked up for good).
    out_units = grp[(sides != turn) & evacuee[grp] & unit[grp]]
    if out_units.size and not evacuee[grp[sides == turn]].any():
        turn = int(side[out_units[0]])
        dt.turn[d] = turn
        dt.waiting_since[d] = t
    has_turn = bool((sides == turn).any())
    if inside.size:
        going = int(side[inside[0]])
        if has_turn and turn != going:
            in_door = grp[(side[grp] == going) & in_band[grp]]
            if stalled[in_door].all():
                # Stuck in the doorway against the side whose turn it is, which waits for them and
                # so blocks their way (day drill, seed 7: one nurse going into a bay against 20
                # people waiting to leave it, for an hour): they back out, their side waits.
                code[in_door] = BACK_OUT
                mine = grp[(side[grp] == going) & ~in_band[grp]]
                code[mine] = _wait(mine, grp[side[grp] == turn], in_band, dist, reach, gap)
                return
            # The other side has the turn: those in the doorway walk on, everyone else waits.
            rest = grp[~((side[grp] == going) & in_band[grp])]
            code[rest] = _wait(rest, grp[(side[grp] == going) & in_band[grp]], in_band, dist, reach, gap)
            return
    else:
        going = turn if has_turn else int(first)
    if turn != going or np.isnan(dt.waiting_since[d]):
        dt.waiting_since[d] = t
    dt.turn[d] = going
    waiting = grp[side[grp] != going]
    if t - dt.waiting_since[d] >= b.turn_after:
        # The waiting side's turn: the other side's newcomers wait from now on.
        dt.turn[d] = side[waiting[0]]
        dt.waiting_since[d] = t
        newcomers = grp[(side[grp] == going) & ~in_band[grp]]
        code[newcomers] = _wait(newcomers, waiting, in_band, dist, reach, gap)
        if inside.size:
            code[waiting] = _wait(waiting, inside, in_band, dist, reach, gap)
        return
    code[waiting] = _wait(waiting, grp[side[grp] == going], in_band, dist, reach, gap)


def _one_unit_at_a_time(grp: np.ndarray, code: np.ndarray, *, side: np.ndarray, dist: np.ndarray,
                        width: np.ndarray, reach: np.ndarray, unit: np.ndarray, door_width: float,
                        b: Behaviour) -> None:
    """Beds and wheelchairs of one side that cannot pass a door abreast go one at a time: the one
    nearest the door goes, the next backs away far enough to leave it room, the one after waits."""
    for s in np.unique(side[grp]).tolist():
        us = grp[(side[grp] == s) & unit[grp] & (code[grp] == GO)]
        if us.size < 2:
            continue
        lead = us[np.lexsort((us, dist[us]))[0]]
        rest = us[us != lead]
        if width[lead] + width[rest].max() <= door_width - 2 * b.door_boundary:
            continue
        room = reach[rest] + reach[lead] + b.wait_gap + dist[lead]
        code[rest] = np.where(dist[rest] < room, BACK_OUT, np.where(dist[rest] < 2 * room, WAIT, GO))


def _wait(who: np.ndarray, going: np.ndarray, in_band: np.ndarray, dist: np.ndarray,  # noqa: PLR0917
          reach: np.ndarray, gap: float) -> np.ndarray:
    """:data:`WAIT` for ``who``, or ``BACK_OUT`` for those too near the door for ``going``."""
    room = reach[who] + (reach[going].max() if going.size else 0.0) + gap
    return np.where(in_band[who] | (dist[who] < room), BACK_OUT, WAIT)
