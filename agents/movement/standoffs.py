"""Standoffs between people heading for different portals, settled by one of them backing off.

A bed passing along a corridor and a bed coming out of a room's door into it can meet at the
doorway, each in the other's way. Neither heads for the other's portal, so no doorway turn
(:mod:`agents.movement.doorways`) settles it, and the speed model stops both for good
(the night drill, seed 4: two beds at a bay door of the L2-A corridor, one minute). People
settle it by one backing off: of two stalled people in contact, at least one of them a bed or
wheelchair, the one farther from its portal steps back along its way for
:attr:`~.behaviour.Behaviour.back_off_time` seconds and lets the other through. If two
rounds of that got them nowhere (both still stalled: the one backing off had a wall or a bed
behind it), the other backs off in the next round, and from then on they take turns: always
asking the same one locked a bed pushed into a store's doorway and a visitor in the store
behind it for the rest of the day drill (seed 1 with the side-door zipper). People queueing
for one portal are never asked to back off here: the speed model already ranks them.

Except two beds or wheelchairs abreast on their way to one portal (their lengths overlapping
along the way, :func:`abreast`): the speed model lets the one ahead go on and the other wait
behind it, but neither can move while the other's footprint lies where it turns.  Day drill,
seed 10: two beds came out of facing single rooms into the L2-A corridor at once, each half
turned; each alone went on at once, together they stood for two hours.  Of such a pair the one
farther from the portal backs off, by the same rounds.

Of a pair heading for different portals, the one picked backs off only if it stands in the
other's way (:func:`in_lane`): backing off clears nothing for someone it stands beside.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SWAP_AFTER", "abreast", "back_off", "in_lane", "standoff_rounds", "swapped"]


#: Rounds of a standoff in which the one farther from its portal backs off before the other one
#: takes turns with it: most standoffs settle in the first (day drill: swapping from the second
#: round on raised seed 4's stall flags from 12 to 54, as pairs undid each other's gains).
SWAP_AFTER = 2


def swapped(rounds: np.ndarray) -> np.ndarray:
    """Whether the one nearer its portal backs off in a pair's round (rounds 2, 4, 6, ...)."""
    return (rounds >= SWAP_AFTER) & (rounds % 2 == 0)


def standoff_rounds(t: float, last_prog: np.ndarray, stall_after: float, back_off_time: float) -> np.ndarray:
    """Per person, how many rounds of backing off (``back_off_time`` s each) a standoff begun after
    ``stall_after`` s without progress has gone through at time ``t`` (int64, 0 in the first)."""
    return np.maximum(np.floor((t - last_prog - stall_after) / back_off_time), 0).astype(np.int64)


def abreast(d_along: np.ndarray, extra_a: np.ndarray, extra_b: np.ndarray) -> np.ndarray:
    """Whether two units whose centres lie ``d_along`` apart along the first one's way (its
    orientation) are abreast: their axes (``extra`` each side of a centre) overlap along it.  In
    a queue the one behind has its front at least a body behind the other's back.

    >>> abreast(np.array([0.5, 1.1, 3.0]), np.full(3, 0.6), np.full(3, 0.6)).tolist()
    [True, True, False]
    """
    return np.abs(d_along) < extra_a + extra_b


def in_lane(d: np.ndarray, *, orient_o: np.ndarray, orient_y: np.ndarray, radius_o: np.ndarray,
            radius_y: np.ndarray, extra_y: np.ndarray) -> np.ndarray:
    """Whether someone ``y``, ``d`` (..., 2) from the centre of ``o``, stands in ``o``'s way:
    ahead of it along its orientation ``orient_o`` and within its lane, ``o``'s half width plus
    ``y``'s half extent across it (a unit's ``extra`` counts as far as it lies across).

    Backing off clears a way only for someone whose way it is in.  Day drill, seed 3: a
    wheelchair pushed into a clean room's doorway by the crowd queueing past it for the east
    stair was the nearer of each pair to its portal, so in every other round of its standoffs with
    that queue it backed into the room, for two minutes, and never held its claim to the spot in
    front of the door; the queue was not in its way, but beside it.

    >>> east, north, r = np.array([[1.0, 0.0]] * 2), np.array([[0.0, 1.0]] * 2), np.full(2, 0.3)
    >>> in_lane(np.array([[1.0, 0.2], [1.0, 1.5]]), orient_o=east, orient_y=east, radius_o=r, radius_y=r,
    ...         extra_y=np.zeros(2)).tolist()
    [True, False]
    >>> in_lane(np.array([[-1.0, 0.0], [1.0, 0.8]]), orient_o=east, orient_y=north, radius_o=r, radius_y=r,
    ...         extra_y=np.full(2, 0.5)).tolist()
    [False, True]
    """
    ox, oy = orient_o[..., 0], orient_o[..., 1]
    along = d[..., 0] * ox + d[..., 1] * oy
    lateral = np.abs(d[..., 0] * oy - d[..., 1] * ox)
    skew = np.abs(orient_y[..., 0] * oy - orient_y[..., 1] * ox)
    return (along > 0) & (lateral < radius_o + radius_y + extra_y * skew)


def back_off(stalled: np.ndarray, *, pos: np.ndarray, lvl: np.ndarray, reach: np.ndarray,
             dist: np.ndarray, portal: np.ndarray, unit: np.ndarray, contact: float,
             rounds: np.ndarray | None = None, extra: np.ndarray | None = None,
             orient: np.ndarray | None = None) -> np.ndarray:
    """Who of ``stalled`` backs off now.

    Args:
        stalled: Indices of the people stalled for
            :attr:`~.behaviour.Behaviour.stall_after` s and not backing off.
        pos: Positions of everyone (n, 2).
        lvl: Level of everyone.
        reach: Reach of everyone from their centre (radius plus a unit's extra length).
        dist: Field distance of everyone to their portal.
        portal: Portal group of everyone (the same for one portal of one space).
        unit: Whether each person is a bed or wheelchair.
        contact: Metres between two reaches within which two people are in each other's way
            (:attr:`~.behaviour.Behaviour.contact`).
        rounds: Per person, the standoff rounds they have stalled through
            (:func:`standoff_rounds`); a pair's round is the larger of the two.  ``None``: 0.
        extra: A unit's reach beyond its body along its axis (0 for people on foot), with
            ``orient`` (unit vectors, (n, 2)): two units abreast (:func:`abreast`) with one
            portal are a standoff too.  ``None``: never.

    Returns:
        Indices (into everyone) of those who back off: of each pair in contact with different
        portals and a unit among them, or two units abreast, the one farther from its portal (on
        a tie, the higher index), or the other one in the rounds :func:`swapped` names; with
        ``extra`` and ``orient``, of a pair with different portals only if it stands in the
        other's lane (:func:`in_lane`).

    >>> pos = np.array([[0.0, 0.0], [1.0, 0.0], [9.0, 9.0]])
    >>> kw = dict(pos=pos, lvl=np.zeros(3, int), reach=np.full(3, 0.5), dist=np.array([0.2, 9.0, 1.0]),
    ...           portal=np.array([1, 2, 2]), unit=np.array([True, True, False]), contact=0.5)
    >>> back_off(np.array([0, 1, 2]), **kw).tolist()
    [1]
    >>> kw["portal"] = np.array([2, 2, 2])
    >>> back_off(np.array([0, 1, 2]), **kw).tolist()
    []
    """
    if stalled.size < 2:
        return np.empty(0, np.int64)
    s = stalled
    # Every pair in the way has a unit in it: rows are the stalled units, columns everyone stalled.
    u = s[unit[s]]
    if u.size == 0:
        return np.empty(0, np.int64)
    gap = np.hypot(pos[u, 0][:, None] - pos[s, 0][None, :], pos[u, 1][:, None] - pos[s, 1][None, :])
    touch = gap < reach[u][:, None] + reach[s][None, :] + contact
    touch &= lvl[u][:, None] == lvl[s][None, :]
    different = portal[u][:, None] != portal[s][None, :]
    other = different
    if extra is not None and orient is not None:
        d = pos[s][None, :, :] - pos[u][:, None, :]  # from each unit to each other one
        d_along = (d * orient[u][:, None, :]).sum(axis=2)
        other = different | (unit[s][None, :] & abreast(d_along, extra[u][:, None], extra[s][None, :]))
    touch &= other & (u[:, None] != s[None, :])
    # Of a pair in contact, the one farther from its portal yields (ties: the higher index), and
    # the other one in the rounds ``swapped`` names.
    du, ds = dist[u][:, None], dist[s][None, :]
    tie = du == ds
    unit_yields = (du > ds) | (tie & (u[:, None] > s[None, :]))
    if rounds is not None:
        swap = swapped(np.maximum(rounds[u][:, None], rounds[s][None, :]))
        unit_yields = unit_yields != swap
    other_yields = ~unit_yields
    if extra is not None and orient is not None:
        # Of a pair heading for different portals, the one who would yield backs off only if it
        # stands in the other's lane (:func:`in_lane`).
        rad = reach - extra
        unit_in = in_lane(-d, orient_o=orient[s][None, :, :], orient_y=orient[u][:, None, :],
                          radius_o=rad[s][None, :], radius_y=rad[u][:, None], extra_y=extra[u][:, None])
        other_in = in_lane(d, orient_o=orient[u][:, None, :], orient_y=orient[s][None, :, :],
                           radius_o=rad[u][:, None], radius_y=rad[s][None, :], extra_y=extra[s][None, :])
        unit_yields = unit_yields & (unit_in | ~different)
        other_yields = other_yields & (other_in | ~different)
    out = np.zeros(pos.shape[0], bool)
    out[u[(touch & unit_yields).any(axis=1)]] = True
    out[s[(touch & other_yields).any(axis=0)]] = True
    return np.flatnonzero(out)
