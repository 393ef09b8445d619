"""Standoffs between people heading for different portals, settled by one of them backing off.

A bed passing along a corridor and a bed coming out of a room's door into it can meet at the
doorway, each in the other's way. Neither heads for the other's portal, so no doorway turn
(:mod:`agents.movement.doorways`) settles it, and the speed model stops both for good
(the night drill, seed 4: two beds at a bay door of the L2-A corridor, one minute). People
settle it by one backing off: of two stalled people in contact, at least one of them a bed or
wheelchair, the one farther from its portal steps back along its way for
:attr:`~.behaviour.Behaviour.back_off_time` seconds and lets the other through. People
queueing for one portal are never asked to back off here: the speed model already ranks them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["back_off"]

def back_off(stalled: np.ndarray, *, pos: np.ndarray, lvl: np.ndarray, reach: np.ndarray,
             dist: np.ndarray, portal: np.ndarray, unit: np.ndarray, contact: float) -> np.ndarray:
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

    Returns:
        Indices (into everyone) of those who back off: of each pair in contact with different
        portals and a unit among them, the one farther from its portal (on a tie, the higher
        index).

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
    touch &= portal[u][:, None] != portal[s][None, :]
    # Of a pair in contact, the one farther from its portal yields (ties: the higher index).
    du, ds = dist[u][:, None], dist[s][None, :]
    tie = du == ds
    unit_yields = (du > ds) | (tie & (u[:, None] > s[None, :]))
    other_yields = (ds > du) | (tie & (s[None, :] > u[:, None]))
    out = np.zeros(pos.shape[0], bool)
    out[u[(touch & unit_yields).any(axis=1)]] = True
    out[s[(touch & other_yields).any(axis=0)]] = True
    return np.flatnonzero(out)
