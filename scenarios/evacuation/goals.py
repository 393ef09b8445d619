"""Where people head: the run's goals, and the choice of a safe one for each person.

A goal (:class:`~agents.movement.routes.Goal`) is final exits, a set of refuge spaces, or a
point (a patient to fetch).  Each distinct goal gets an index once (:meth:`Goals.index`), which
people's ``goal`` holds; :func:`safety_goal` picks the goal of someone going to safety under the
strategy's phase: the neighbouring compartment with the most room as a refuge, or final exits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.movement.routes import Goal

if TYPE_CHECKING:
    from scenarios.evacuation.state import RunState

__all__ = ["Goals", "exit_goal", "in_phase", "refuge_goal", "safety_goal", "set_goal"]


class Goals:
    """The distinct goals of a run, by index, with whether each leads to safety (:attr:`evac`:
    not a point to fetch a patient from)."""

    def __init__(self) -> None:
        self.goals: list[Goal] = []
        self.evac = np.zeros(64, bool)
        self._ix: dict[Goal, int] = {}

    def __len__(self) -> int:
        return len(self.goals)

    def __getitem__(self, k: int) -> Goal:
        return self.goals[k]

    def index(self, goal: Goal) -> int:
        """The index of ``goal``, given it on first sight."""
        k = self._ix.get(goal)
        if k is None:
            k = self._ix[goal] = len(self.goals)
            self.goals.append(goal)
            if k >= self.evac.size:
                self.evac = np.concatenate([self.evac, np.zeros(self.evac.size, bool)])
            self.evac[k] = goal.kind != "point"
        return k


def set_goal(st: RunState, k: int, goal: int) -> None:
    """Send person k to goal index ``goal``; progress (for deadlock flags) counts from now."""
    pe = st.people
    pe.goal[k] = goal
    if st.goals[goal].kind != "spaces":
        pe.refuge_comp[k] = -1
    pe.reroute[k] = True
    pe.last_prog[k] = st.t
    pe.best[k] = np.inf


def exit_goal(st: RunState, k: int) -> int:
    """Final exits (the allocated one, if any); outside the fire compartments, routes avoid them."""
    ex = st.people.assigned_exit[k]
    avoid: frozenset[str] = frozenset()
    if not st.plan.in_fire[st.people.space[k]]:
        avoid = st.plan.fire_spaces
    return st.goals.index(Goal("exit", exits=frozenset([ex]) if ex else frozenset(), avoid=avoid))


def refuge_goal(st: RunState, k: int) -> int:
    """The neighbouring compartment on the same level, not on fire, with the most room left for
    person k (:attr:`~agents.movement.behaviour.Behaviour.refuge_area_patient`); final exits if
    none has room."""
    pe, plan = st.people, st.plan
    c = int(plan.space_comp[pe.space[k]])
    going = pe.refuge_comp >= 0
    load = np.bincount(pe.refuge_comp[going], weights=pe.refuge_demand[going], minlength=len(plan.comp_ix))
    room = [(float(plan.comp_area[n] - load[n]), n) for n in _neighbour_compartments(st, c, int(pe.space[k]))]
    room = [(f, n) for f, n in room if f >= pe.refuge_demand[k]]
    if not room:
        return exit_goal(st, k)
    _, best = max(room, key=lambda fn: (fn[0], -fn[1]))
    goal = st.goals.index(Goal("spaces", spaces=frozenset(plan.facility.compartments[plan.comp_names[best]])))
    pe.refuge_comp[k] = best
    return goal


def _neighbour_compartments(st: RunState, comp: int, space: int) -> list[int]:
    """Compartments next to ``comp`` (that of ``space``) through a door, on its level, not on
    fire (kept per compartment for the run)."""
    hit = st.refuge_next.get(comp)
    if hit is not None:
        return hit
    fac = st.plan.facility
    here = fac.spaces[space]
    fire = set(st.p.fire_compartments)
    out: set[int] = set()
    for d in fac.doors:
        a, b = (fac.space(s) for s in d.spaces)
        for x, y in ((a, b), (b, a)):
            if x.compartment == here.compartment and y.compartment not in (None, here.compartment) \
                    and y.compartment not in fire and y.level == here.level:
                out.add(st.plan.comp_ix[str(y.compartment)])
    st.refuge_next[comp] = sorted(out)
    return st.refuge_next[comp]


def safety_goal(st: RunState, k: int) -> int:
    """In the horizontal phase, people of the fire compartments go to a refuge; else out."""
    if st.phase == 1 and st.plan.fire_comp[st.people.home_comp[k]]:
        return refuge_goal(st, k)
    return exit_goal(st, k)


def in_phase(st: RunState, k: int) -> bool:
    """Whether person k evacuates in the current phase."""
    return st.phase == 2 or bool(st.plan.in_fire[st.people.space[k]])
