"""The movers' side of the hazard contract (:mod:`scenarios.hazards.conditions`).

A fire, smoke or gas model is an :class:`~scenarios.hazards.conditions.Environment`; the
evacuation model never looks inside it.  Every ``hazard_every`` seconds of the run it
advances the environment to the model time and reads one
:class:`~scenarios.hazards.conditions.Conditions`, which holds until the next read:

* each person's free speed (a bed's or wheelchair's: its unit's) is multiplied by the speed
  factor of the space they are in (:func:`free_speeds`);
* each dose rate of the space a person is in is integrated over the time they spend there,
  step by step (:func:`accumulate`), for everyone still in the building;
* routes go round untenable spaces: when the untenable set changes, the route planner prices
  every leg inside them with a large penalty
  (:meth:`agents.movement.routes.Navigator.set_unusable`) and everyone walking chooses
  again; someone whose every way out is untenable takes the least bad one rather than freeze;
* staff do not go into an untenable room to fetch a patient (unless the scenario allows
  it): the patient is recorded as left behind, with the reason (:func:`left_behind`).

The functions take the arrays they read and return or write what they change; the model
(:class:`~scenarios.evacuation.model.EvacuationModel`) decides when they run.  Without an
environment none of them runs, so a drill without a hazard is exactly what it was.
"""

from __future__ import annotations

import numpy as np

from scenarios.errors import RunError
from scenarios.evacuation.params import State
from scenarios.hazards.conditions import DOSES, Conditions, Environment

__all__ = ["LEFT_UNTENABLE", "accumulate", "free_speeds", "left_behind", "occupied_space", "read"]

#: Reason recorded for a patient whom staff did not fetch because their room was untenable.
LEFT_UNTENABLE = "untenable"


def read(env: Environment, time: float, n_spaces: int) -> Conditions:
    """Advance ``env`` to ``time`` (s since the alarm) and check the shapes of what it returns."""
    c = env.advance(time)
    shapes = {"speed_factor": (n_spaces,), "dose_rate": (len(DOSES), n_spaces), "untenable": (n_spaces,)}
    for name, shape in shapes.items():
        got = np.shape(getattr(c, name))
        if got != shape:
            raise RunError(f"hazard conditions at {time:.1f} s: {name!r} has shape {got}, expected {shape} "
                           "(one entry per facility space, in the facility's order)")
    if not np.all((c.speed_factor > 0) & (c.speed_factor <= 1)):
        raise RunError(f"hazard conditions at {time:.1f} s: 'speed_factor' must be in (0, 1]")
    return c


def occupied_space(state: np.ndarray, space: np.ndarray, task: np.ndarray) -> np.ndarray:
    """The space each person is in now: escorts (``ATTACHED``) are where their patient is.

    >>> occupied_space(np.array([State.MOVE, State.ATTACHED]), np.array([3, 1]), np.array([-1, 0])).tolist()
    [3, 3]
    """
    out = space.copy()
    att = np.flatnonzero(state == State.ATTACHED)
    out[att] = space[task[att]]
    return out


def free_speeds(v0: np.ndarray, factor: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Free speeds in the conditions: ``v0`` times the speed factor of each person's space.

    >>> free_speeds(np.array([1.0, 0.7]), np.array([1.0, 0.5]), np.array([0, 1])).tolist()
    [1.0, 0.35]
    """
    return v0 * factor[where]


def accumulate(dose: np.ndarray, rate: np.ndarray, where: np.ndarray, inside: np.ndarray, dt: float) -> None:
    """Add ``rate`` (doses x spaces, per second) times ``dt`` to the doses of the people ``inside``.

    >>> d = np.zeros((1, 2))
    >>> accumulate(d, np.array([[0.5, 2.0]]), np.array([1, 0]), np.array([True, False]), 0.1)
    >>> d.tolist()
    [[0.2, 0.0]]
    """
    ks = np.flatnonzero(inside)
    dose[:, ks] += rate[:, where[ks]] * dt


def left_behind(untenable: np.ndarray, *, state: np.ndarray, space: np.ndarray, team: list[list[int]],
                flag: np.ndarray, reason: list[str]) -> list[int]:
    """Patients staff will not fetch from an untenable room; returns the staff released from them.

    A patient waiting for staff (``NEED``) in an untenable space, none of whose team is at the
    bedside yet, is flagged (``flag``, ``reason``) and their team is dissolved: staff on their
    way go back to being free.  A team already at the bedside carries on.  A flag is lifted
    when the space is tenable again.
    """
    released: list[int] = []
    for pat in np.flatnonzero((state == State.NEED) & untenable[space]).tolist():
        if any(state[s] == State.FETCH for s in team[pat]):
            continue
        if not flag[pat]:
            flag[pat] = True
            reason[pat] = LEFT_UNTENABLE
        released += team[pat]
        team[pat] = []
    for pat in np.flatnonzero(flag & ~untenable[space]).tolist():
        flag[pat] = False
        reason[pat] = ""
    return released
