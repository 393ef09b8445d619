"""Squeezing past: staff walking against a standing queue change places with the evacuee in their way.

Staff going back in for the next patient meet the evacuation head on, in corridors and on stair
landings packed at about 4 people per square metre.  Nobody there has room to step aside, so the
crowd model alone holds them for minutes.  In a real crowd they squeeze through ("excuse me"); lattice models
of two-way pedestrian flow let two people facing each other exchange places (Blue and Adler,
Transportation Research B 35, 2001, bi-directional walkways).  Here a held-up staff member on
a task and the walker just ahead of them, heading the other way, change places, at most once
per ``squeeze_every`` seconds each (:class:`~agents.movement.behaviour.Behaviour`).  Both
stand in one space people pass through, a corridor or a stair's landing (inside a room, the
door turns and the bedside rules order who goes), out of every door band (a doorway is the door
turns' business, :mod:`agents.movement.doorways`), and both are walkers: a bed or wheelchair is
never exchanged.  Squeezing anywhere in rooms too
made a bay of the day drill's refuge lock (seed 2: 53 people flagged in L2-W2-BAY4).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ONCOMING", "squeeze_pairs"]

#: Cosine of the angle between two walking directions below which two people are heading
#: towards each other (about 110 degrees and more apart).
ONCOMING = -0.3


def squeeze_pairs(ks: np.ndarray, others: np.ndarray, *, pos: np.ndarray, radius: np.ndarray,
                  heading_of: np.ndarray, space: np.ndarray, reach: float) -> list[tuple[int, int]]:
    """Which held-up staff member ``ks[a]`` changes places with which walker of ``others``.

    Args:
        ks: The staff members held up (rows), in index order.
        others: Walkers who may be passed (rows; none of ``ks``).
        pos: Positions of everyone, (n, 2).
        radius: Radii of everyone.
        heading_of: Unit walking direction of everyone (zero where it has none).
        space: Space each one counts in.
        reach: Metres beyond touching within which a walker is in the way.

    Returns:
        Pairs ``(staff, walker)``, each person in one pair at most: the walker nearest ahead of
        the staff member, in reach, in the same space, heading the other way.

    >>> pos = np.array([[0.0, 0.0], [0.55, 0.05], [3.0, 0.0]])
    >>> h = np.array([[1.0, 0.0], [-1.0, 0.0], [-1.0, 0.0]])
    >>> squeeze_pairs(np.array([0]), np.array([1, 2]), pos=pos, radius=np.full(3, 0.25), heading_of=h,
    ...               space=np.zeros(3, int), reach=0.15)
    [(0, 1)]
    """
    taken: set[int] = set()
    pairs: list[tuple[int, int]] = []
    if ks.size == 0 or others.size == 0:
        return pairs
    for k in ks.tolist():
        d = pos[others] - pos[k]
        dist = np.hypot(d[:, 0], d[:, 1])
        ahead = d @ heading_of[k]
        facing = heading_of[others] @ heading_of[k]
        ok = ((dist < radius[others] + radius[k] + reach) & (ahead > 0.5 * dist)
              & (facing < ONCOMING) & (space[others] == space[k]))
        for c in np.flatnonzero(ok)[np.argsort(dist[ok], kind="stable")].tolist():
            j = int(others[c])
            if j not in taken:
                taken.add(j)
                pairs.append((k, j))
                break
    return pairs
