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
  it): the patient is recorded as left behind, with the reason (:func:`left_behind`);
* a person whose asphyxiant FED or heat dose reaches 1 is incapacitated (:func:`incapacitate`):
  ISO 13571:2012 defines a fractional effective dose of 1 as the dose at which an average person
  is incapacitated (the tenability limits 0.3 and 0.1 of ``../shared/reference/hazards_and_devices.md``
  are set lower to protect susceptible people).  The time, the space and the dose(s) are recorded
  (:class:`Casualties`).  Someone who moves on their own (a walker, a visitor, a member of staff)
  stops where they are and stays there, an obstacle to others (:func:`stop_incapacitated`); a
  member of staff drops out of the team of the patient they were going to.  A patient who is
  moved by staff (bed, wheelchair, carry) is moved on by them: they were not walking anyway,
  and staff do not leave an unconscious patient behind.  Either way, an incapacitated person is
  never counted as evacuated or safe in a refuge;
* where each person is, from when to when (:class:`Stays`, :func:`track`): the personal ASET -
  RSET margin is judged against the tenability of every space the person was in, at the time
  they left it (:mod:`scenarios.hazards.outcomes`).

The functions take the arrays they read and return or write what they change; the model
(:class:`~scenarios.evacuation.model.EvacuationModel`) decides when they run.  Without an
environment none of them runs, so a drill without a hazard is exactly what it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scenarios.errors import RunError
from scenarios.evacuation.params import State
from scenarios.hazards.conditions import DOSES, Conditions, Environment

__all__ = ["INCAPACITATING", "INCAPACITATING_DOSE", "LEFT_UNTENABLE", "Casualties", "Stays", "accumulate",
           "free_speeds", "incapacitate", "left_behind", "occupied_space", "read", "stop_incapacitated",
           "track"]

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


#: Dose at which an average person is incapacitated: ISO 13571:2012 defines the fractional
#: effective dose so that 1 predicts incapacitation (Purser, SFPE Handbook 5th ed., ch. 63).
INCAPACITATING_DOSE = 1.0
#: The doses of :data:`~scenarios.hazards.conditions.DOSES` that incapacitate at
#: :data:`INCAPACITATING_DOSE`: the asphyxiant FED and the convective heat dose.
INCAPACITATING = ("fed_asphyxiant", "fed_heat")
_ROWS = [DOSES.index(name) for name in INCAPACITATING]
#: ``_STOPS[state]``: whether someone who moves on their own stops for good in that state once
#: incapacitated.
_STOPS = np.isin(np.arange(len(State)), (State.PRE, State.MOVE, State.HOLD, State.FETCH, State.REFUGE))
#: The state as a plain int: numpy compares an array with an IntEnum member several times slower.
_DOWN = int(State.INCAPACITATED)


@dataclass(slots=True)
class Casualties:
    """Who the hazard incapacitated.

    Attributes:
        time: float64 [n]: model time (s) each person was incapacitated, NaN for no one.
        space: int64 [n]: index of the space they were in then, -1 for no one.
        dose: Per person, the dose(s) that reached :data:`INCAPACITATING_DOSE` then
            (``"fed_heat"``, ``"fed_asphyxiant+fed_heat"``), ``""`` for no one.
        fell_at: float64 [n, 2]: where each person stopped (:func:`stop_incapacitated`), NaN
            for no one and for those moved on by staff.
    """

    time: np.ndarray
    space: np.ndarray
    dose: list[str]
    fell_at: np.ndarray

    @classmethod
    def none(cls, n: int) -> Casualties:
        """Nobody incapacitated among ``n`` people."""
        return cls(time=np.full(n, np.nan), space=np.full(n, -1, np.int64), dose=[""] * n,
                   fell_at=np.full((n, 2), np.nan))

    @property
    def flag(self) -> np.ndarray:
        """bool [n]: incapacitated."""
        return ~np.isnan(self.time)


def incapacitate(dose: np.ndarray, casualties: Casualties, where: np.ndarray, inside: np.ndarray,
                 t: float) -> np.ndarray:
    """Record everyone ``inside`` whose asphyxiant FED or heat dose has reached 1 by ``t``.

    Returns the people newly incapacitated.

    >>> c = Casualties.none(2)
    >>> d = np.zeros((len(DOSES), 2)); d[DOSES.index("fed_heat"), 1] = 1.0
    >>> incapacitate(d, c, np.array([4, 5]), np.array([True, True]), 30.0).tolist(), c.space.tolist(), c.dose
    ([1], [-1, 5], ['', 'fed_heat'])
    """
    # (Row by row on views: this runs every step.)
    any_hit = dose[_ROWS[0]] >= INCAPACITATING_DOSE
    for r in _ROWS[1:]:
        any_hit |= dose[r] >= INCAPACITATING_DOSE
    new = np.flatnonzero(any_hit & inside & np.isnan(casualties.time))
    if new.size == 0:
        return new
    hit = dose[_ROWS][:, new] >= INCAPACITATING_DOSE
    casualties.time[new] = t
    casualties.space[new] = where[new]
    for j, k in enumerate(new.tolist()):
        casualties.dose[k] = "+".join(name for name, h in zip(INCAPACITATING, hit[:, j], strict=True) if h)
    return new


def stop_incapacitated(casualties: Casualties, *, state: np.ndarray, need: np.ndarray, task: np.ndarray,
                       team: list[list[int]], prep_end: np.ndarray,
                       pos: np.ndarray | None = None) -> np.ndarray:
    """Stop everyone incapacitated who moves on their own; returns who stopped now.

    They take :attr:`~agents.movement.states.State.INCAPACITATED` and stay on the floor where
    they are: ``pos`` (the model's positions) of everyone stopped is put back where they fell
    at every call, since the crowd model lets anyone standing step aside from people passing
    (an incapacitated person was pushed 10 m along a corridor by eight walkers going by).  A
    member of staff leaves the team of the patient they were going to or preparing
    (a preparation under way starts again when the team is whole).  Someone on a stair or in a
    lift (``LINK``) or escorting a unit (``ATTACHED``) stops as soon as they stand on a floor on
    their own again.  Patients moved by staff (``need > 0``) are not stopped: staff move them on.
    """
    flag = casualties.flag
    if not flag.any():  # (this runs every step)
        return np.zeros(0, np.int64)
    stops = np.flatnonzero(flag & (need == 0) & _STOPS[state])
    for k in stops.tolist():
        pat = int(task[k])
        if pat >= 0:
            if k in team[pat]:
                team[pat].remove(k)
            if state[pat] == State.PREP:
                state[pat] = State.NEED
                prep_end[pat] = np.inf
            task[k] = -1
        state[k] = State.INCAPACITATED
    if pos is not None:
        casualties.fell_at[stops] = pos[stops]
        down = np.flatnonzero(state == _DOWN)
        pos[down] = casualties.fell_at[down]
    return stops


@dataclass(slots=True)
class Stays:
    """Where each person has been, and from when to when, while a hazard runs.

    Attributes:
        space: int64 [n]: the space each person is in now, -1 once out.
        since: float64 [n]: model time (s) they entered it.
        person: Per closed stay, the person's index.
        where: Per closed stay, the space's index.
        enter: Per closed stay, model time (s) they entered the space.
        leave: Per closed stay, model time (s) they left it (into another space or out).
    """

    space: np.ndarray
    since: np.ndarray
    person: list[int] = field(default_factory=list)
    where: list[int] = field(default_factory=list)
    enter: list[float] = field(default_factory=list)
    leave: list[float] = field(default_factory=list)

    @classmethod
    def start(cls, space: np.ndarray, t: float) -> Stays:
        """Everyone in ``space`` (index per person) from ``t``."""
        return cls(space=space.astype(np.int64), since=np.full(space.size, float(t)))


def track(stays: Stays, where: np.ndarray, inside: np.ndarray, t: float) -> None:
    """Close the stays of people who changed space (or left the building) by ``t``; open new ones.

    >>> s = Stays.start(np.array([0, 0]), 0.0)
    >>> track(s, np.array([0, 1]), np.array([True, True]), 2.0)
    >>> track(s, np.array([0, 1]), np.array([True, False]), 5.0)
    >>> s.person, s.where, s.enter, s.leave, s.space.tolist()
    ([1, 1], [0, 1], [0.0, 2.0], [2.0, 5.0], [0, -1])
    """
    changed = where != stays.space
    changed |= ~inside
    changed &= stays.space >= 0
    moved = np.flatnonzero(changed)
    if moved.size == 0:  # (this runs every step: most steps end here)
        return
    now = np.where(inside[moved], where[moved], -1)
    stays.person += moved.tolist()
    stays.where += stays.space[moved].tolist()
    stays.enter += stays.since[moved].tolist()
    stays.leave += [float(t)] * moved.size
    stays.space[moved] = now
    stays.since[moved] = t
