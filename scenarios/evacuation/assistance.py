"""Assisted evacuation inside the model: staff take patients, gather at the bedside, prepare
them and move off with them when called; released at a refuge or exit they go back for the next.

Which patient a free staff member takes is :func:`agents.assist.choose_patient` (the policy);
this module adds the organisation round it: own level first, started teams first, corridors
first, rooms from the door inwards, the bedside (not the doorway), one unit at a time through
a room's door, and the lift marshal's call on levels left by lift.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from agents.assist import choose_patient
from agents.movement import states
from agents.movement.routes import Goal
from agents.movement.selections import free_staff_rows, in_state, lift_units, on_task, prepared
from scenarios.evacuation import motion, placement
from scenarios.evacuation.goals import exit_goal, refuge_goal, safety_goal, set_goal

if TYPE_CHECKING:
    from scenarios.evacuation.state import People, Plan, RunState

#: ``_NEED_TABLE[state]``: waiting for a team.
_NEED_TABLE = states.table(states.NEED)

__all__ = ["ahead_in_room", "assist", "at_bedside", "called_forward", "door_dist", "free_staff",
           "held_places", "in_doorway", "reach_safety", "release_team", "shut_in", "staff_idle", "team_sizes",
           "units_to_lifts"]


def assist(st: RunState) -> None:
    """Free staff take waiting patients; teams gather and prepare them; the prepared move off
    when the marshal calls them and nobody is ahead of them in their room."""
    pe, plan = st.people, st.plan
    free = free_staff(st)
    if free.size:
        in_phase = plan.in_fire[pe.space] if st.phase == 1 else True
        waiting = np.flatnonzero((pe.state == states.NEED) & in_phase & ~pe.left_behind & ~pe.stranded)
        held = held_places(pe, waiting)
        sizes = team_sizes(pe)[waiting]
        # Staff of the patient's level may take the place of a teammate still on the way from
        # another level; staff of another level only fill a place nobody holds.
        cand = waiting[held < pe.need[waiting]]
        cand_far = waiting[sizes < pe.need[waiting]]
        held_of = dict(zip(waiting.tolist(), held.tolist(), strict=True))
        leaving = pe.state[free] == states.MOVE
        if st.phase == 1:
            # Staff waiting outside the fire compartment with no patient on their level have nothing
            # to do this step (staff_idle would leave them as they are): skip them at once.
            in_fire = plan.in_fire[pe.space[free]]
            to_refuge = pe.home_in_fire[free] & (pe.reached[free] == 0)
            waits = ~in_fire & ~to_refuge & ~_levels(plan, pe.lvl[cand])[pe.lvl[free]]
            free, leaving = free[~waits], leaving[~waits]
        # Levels with staff of their own free (or walking out, who are called back): nobody is
        # sent there from another level, up or down a stair against the evacuation.
        staffed = _levels(plan, pe.lvl[free])
        far = cand_far[~staffed[pe.lvl[cand_far]]] if st.phase == 2 else cand_far[:0]
        # Staff walking out turn back only for a patient of their level or of a level with nobody.
        keep = ~leaving | _levels(plan, pe.lvl[cand])[pe.lvl[free]] | (far.size > 0)
        free, leaving = free[keep], leaving[keep]
        for s, out in zip(free.tolist(), leaving.tolist(), strict=True):
            cand_here = cand[pe.lvl[cand] == pe.lvl[s]] if cand.size else cand
            if cand_here.size == 0:
                cand_here = far
            if cand_here.size == 0:
                if not out:
                    staff_idle(st, s)
                continue
            # Complete a team before starting another: staff who each wait at a different bed
            # for a second pair of hands that never comes would wait for ever.
            # Own level first (see agents.assist), then the nearest level with patients.
            gap = np.abs(pe.lvl[cand_here] - pe.lvl[s])
            cand_here = cand_here[gap == gap.min()]
            started = np.array([len(pe.team[int(c)]) > 0 for c in cand_here], dtype=bool)
            if started.any():
                cand_here = cand_here[started]
            # Escape routes first: a patient waiting in a corridor narrows it for everyone else.
            aisle = plan.corridor[pe.space[cand_here]]
            if aisle.any():
                cand_here = cand_here[aisle]
            c = choose_patient(st.p.policy, pe.pos[s], int(pe.lvl[s]), int(pe.home_comp[s]),
                               cand_xy=pe.pos[cand_here], cand_level=pe.lvl[cand_here],
                               cand_ward=pe.home_comp[cand_here], cand_dependency=pe.dep[cand_here])
            pat = int(cand_here[c])
            # Within a room, from the door inwards: nobody is wheeled past a patient still waiting.
            same = cand_here[(pe.space[cand_here] == pe.space[pat])
                             & (pe.lvl[cand_here] == pe.lvl[pat])]
            if same.size > 1 and not plan.corridor[pe.space[pat]]:
                pat = int(same[np.argmin([door_dist(st, int(o)) for o in same])])
            if pe.lvl[s] == pe.lvl[pat] and len(pe.team[pat]) >= pe.need[pat]:
                _relieve(st, pat)
            pe.team[pat].append(s)
            pe.task[s] = pat
            pe.state[s] = states.MOVE
            if np.isnan(pe.t_move[s]):
                pe.t_move[s] = st.t
            sp = plan.space_ids[pe.space[pat]]
            set_goal(st, s, st.goals.index(Goal("point", spaces=frozenset([sp]),
                                              point=(float(pe.pos[pat, 0]), float(pe.pos[pat, 1])))))
            held_of[pat] = held_of.get(pat, 0) + int(pe.lvl[s] == pe.lvl[pat])  # as held_places counts
            if held_of[pat] >= pe.need[pat]:
                cand = cand[cand != pat]
            if len(pe.team[pat]) >= pe.need[pat]:
                far = far[far != pat]
    # Staff who reached their patient wait (FETCH); preparation starts when all are there.
    # "Reached" means in the patient's room and at the bedside (the unit's length plus a metre),
    # or beside a teammate already there: a second nurse cannot stand where the first one does.
    fetch = on_task(pe.staff, pe.state, pe.task, states.MOVE)
    for s in fetch.tolist():
        pat = int(pe.task[s])
        if pe.lvl[s] != pe.lvl[pat] or pe.space[s] != pe.space[pat]:
            continue
        reach = pe.radius[s] + pe.radius[pat] + pe.extra[pat] + 1.0
        near = math.dist(pe.pos[s], pe.pos[pat]) < reach
        near = near or any(pe.state[o] == states.FETCH
                           and math.dist(pe.pos[s], pe.pos[o]) < st.p.behaviour.team_reach
                           for o in pe.team[pat] if o != s)
        # Held up in the patient's room by colleagues standing at the other beds: they squeeze
        # past (the speed model does not let people squeeze through a crowd standing still).
        # Not within a bed's length of the room's door, though: standing there they are in the way
        # of every unit leaving the room (day drill, seed 7 with the side-door zipper: staff who had
        # squeezed in just inside a single room's door kept its ventilated patient from leaving).
        b = st.p.behaviour
        near = near or (st.t - pe.last_prog[s] > b.stall_after
                        and door_dist(st, s) > b.door_keep_clear + b.aside_clear)
        if near and not in_doorway(st, s, pat, reach):
            pe.state[s] = states.FETCH
    for pat in in_state(pe.state, _NEED_TABLE).tolist():
        tm = pe.team[pat]
        if len(tm) >= pe.need[pat] and all(pe.state[s] == states.FETCH for s in tm):
            pe.state[pat] = states.PREP
            pe.prep_end[pat] = st.t + pe.prepare[pat]
    ready = prepared(pe.state, pe.prep_end, st.t)
    if ready.size == 0:
        return
    ready = ready[np.argsort(pe.prep_end[ready], kind="stable")]
    gate = _Gate(st)
    for pat in ready[gate.may_be_called(ready)].tolist():
        # The marshal's call first: it is the cheaper question, and both must allow the move.
        if not gate.called_forward(pat) or gate.ahead_in_room(pat):
            continue
        gate.leaves(pat)
        pe.state[pat] = states.MOVE
        if np.isnan(pe.t_move[pat]):
            pe.t_move[pat] = st.t
        set_goal(st, pat, safety_goal(st, pat))
        pe.prep_end[pat] = np.inf
        pe.prepare[pat] = 0.0  # ready for transport: moved on again without a second preparation
        for s in pe.team[pat]:
            pe.state[s] = states.ATTACHED


def _levels(plan: Plan, lvl: np.ndarray) -> np.ndarray:
    """``_levels(plan, lvl)[li]``: whether level index ``li`` is among ``lvl`` (one slot more,
    last, for ``-1``): a lookup in place of ``np.isin``, asked several times a step."""
    out = np.zeros(len(plan.levels) + 1, bool)
    out[lvl] = True
    return out


def shut_in(pe: People, plan: Plan) -> np.ndarray:
    """Whether each occupant is a patient moved by staff whose space has no door or final exit
    as wide as its mobility needs (a bed in a store with a 0.9 m door): no team can take it out,
    so no staff are sent, and it is stranded from the start rather than holding two staff at
    its bedside to the end of the drill (found trying a small clinic)."""
    out = np.zeros(pe.need.size, bool)
    doors, exits = plan.facility.doors_of, plan.facility.exits_of
    for k in np.flatnonzero(pe.need > 0).tolist():
        sid = plan.space_ids[pe.space[k]]
        need = pe.profiles[k].mobility.min_door_width
        widths = [d.width for d in doors.get(sid, ())] + [e.width for e in exits.get(sid, ())]
        out[k] = bool(widths) and max(widths) < need
    return out


def staff_idle(st: RunState, s: int) -> None:
    """No patient left to fetch: go to safety (or stay put until the vertical phase)."""
    pe, plan = st.people, st.plan
    if st.phase == 2:
        pe.state[s] = states.MOVE
        set_goal(st, s, exit_goal(st, s))
    elif plan.in_fire[pe.space[s]]:
        pe.state[s] = states.MOVE
        set_goal(st, s, refuge_goal(st, s))
    elif pe.home_in_fire[s] and pe.reached[s] == 0:
        # Out of the fire compartment with their last patient: they are in the refuge.
        pe.refuge_space[s] = pe.space[s]
        reach_safety(st, s, 2)
        return
    else:
        return
    if np.isnan(pe.t_move[s]):
        pe.t_move[s] = st.t


def free_staff(st: RunState) -> np.ndarray:
    """Staff free for a patient: waiting for a task (``HOLD``), or walking to safety with none
    (they are called back by a patient of their own level still waiting for hands)."""
    pe = st.people
    return free_staff_rows(pe.staff, pe.task, pe.state, pe.goal, st.goals.evac)


def team_sizes(pe: People) -> np.ndarray:
    """Per occupant, how many staff are in its team (``task`` names the patient of each team
    member, as ``team`` lists them)."""
    crew = np.flatnonzero(pe.staff & (pe.task >= 0))
    return np.bincount(pe.task[crew], minlength=pe.state.size)


def held_places(pe: People, patients: np.ndarray) -> np.ndarray:
    """Per patient of ``patients``, the places of its team held for good: by staff on its level,
    or on a stair or in a lift on their way (those still walking on another level may be
    relieved by staff of the patient's level, :func:`_relieve`)."""
    crew = np.flatnonzero(pe.staff & (pe.task >= 0))
    pat = pe.task[crew]
    holds = (pe.lvl[crew] == pe.lvl[pat]) | (pe.state[crew] != states.MOVE)
    return np.bincount(pat[holds], minlength=pe.state.size)[patients]


def _relieve(st: RunState, pat: int) -> None:
    """A staff member of the patient's level joins its team: one team member still on the way
    from another level is released (the farthest one), so nobody climbs a stair against the
    evacuation for a patient someone on the spot can take."""
    pe = st.people
    away = [s for s in pe.team[pat] if pe.lvl[s] != pe.lvl[pat] and pe.state[s] == states.MOVE]
    if not away:
        return
    far = max(away, key=lambda s: (abs(int(pe.lvl[s]) - int(pe.lvl[pat])), s))
    pe.team[pat].remove(far)
    pe.task[far] = -1
    pe.state[far] = states.HOLD


def in_doorway(st: RunState, s: int, pat: int, reach: float) -> bool:
    """Whether staff member s stands within ``behaviour.door_keep_clear`` of a door of the room while
    the patient is farther than ``reach`` from it: they walk on to the bedside rather than
    wait in the doorway, where they would shut in every other bed of the room."""
    pe, plan = st.people, st.plan
    for d in plan.facility.doors_of.get(plan.space_ids[pe.space[s]], ()):
        keep = st.p.behaviour.door_keep_clear
        if math.dist(pe.pos[s], d.at) < keep and math.dist(pe.pos[pat], d.at) > reach:
            return True
    return False


def door_dist(st: RunState, k: int) -> float:
    """Distance (st) from occupant k to the nearest door of its space (inf if none)."""
    pe, plan = st.people, st.plan
    doors = plan.facility.doors_of.get(plan.space_ids[pe.space[k]], ())
    return min((math.dist(pe.pos[k], d.at) for d in doors), default=math.inf)


class _Gate:
    """:func:`ahead_in_room` and :func:`called_forward` for every prepared patient of one step.

    The counts they rest on are taken once per step and kept current as units leave
    (:meth:`leaves`), so a step with dozens of prepared patients waiting for the lift marshal
    costs a few array passes instead of a few per patient.  Both answers equal the
    one-patient functions' (``tests/scenarios/evacuation/test_assistance.py``).
    """

    def __init__(self, st: RunState) -> None:
        self.st = st
        self._going: dict[int, int] = {}
        self._rooms: tuple[dict[int, int], dict[int, list[int]]] | None = None

    def _room_counts(self) -> tuple[dict[int, int], dict[int, list[int]]]:
        """Units on their way out by space, and patients at the bedside (:func:`at_bedside`)
        by space: taken once, on the first question about a room."""
        if self._rooms is None:
            st = self.st
            pe = st.people
            moving_in: dict[int, int] = {}
            for sp in pe.space[(pe.state == states.MOVE) & (pe.need > 0)].tolist():
                moving_in[sp] = moving_in.get(sp, 0) + 1
            coming = (pe.state == states.FETCH) | (pe.state == states.MOVE)
            gathering = pe.task[pe.staff & coming & (pe.task >= 0)]
            bedside = pe.state == states.PREP
            bedside[gathering] |= pe.state[gathering] == states.NEED
            prep_in: dict[int, list[int]] = {}
            for k in np.flatnonzero(bedside).tolist():
                prep_in.setdefault(int(pe.space[k]), []).append(k)
            self._rooms = (moving_in, prep_in)
        return self._rooms

    def may_be_called(self, ready: np.ndarray) -> np.ndarray:
        """Mask of ``ready`` patients the marshal may call this step: those :func:`called_forward`
        always lets go, and those of levels with a place free at the lifts now (places only fill
        up as units leave, so the others are not called this step)."""
        st = self.st
        pe, plan = st.people, st.plan
        ok = (pe.need[ready] == 0) | ~np.isnan(pe.stair_f[ready]) | plan.corridor[pe.space[ready]]
        if st.phase == 1:
            ok |= plan.fire_comp[pe.home_comp[ready]]
        level = pe.lvl[ready]
        # The levels asked about, each once, in the order of first appearance (np.unique sorted
        # them, a good part of this function's time with a handful of patients; the answers do
        # not depend on the order).
        for li in dict.fromkeys(level[~ok].tolist()):
            if self.called_forward_level(li):
                ok |= level == li
        return ok

    def called_forward_level(self, li: int) -> bool:
        """:func:`called_forward` for a unit of level ``li`` bound for a lift."""
        st = self.st
        plan = st.plan
        lifts = plan.level_lifts.get(li, 0)
        if lifts == 0 or li in plan.exit_levels:
            return True
        return self._going_on(li) < st.p.behaviour.lift_call_ahead * lifts

    def _door_dist(self, k: int) -> float:
        """:func:`door_dist`, kept per occupant while they stand still (being prepared)."""
        st = self.st
        pe = st.people
        x, y = float(pe.pos[k, 0]), float(pe.pos[k, 1])
        hit = st.door_dist.get(k)
        if hit is not None and hit[0] == x and hit[1] == y and hit[2] == pe.space[k]:
            return hit[3]
        d = door_dist(st, k)
        st.door_dist[k] = (x, y, int(pe.space[k]), d)
        return d

    def ahead_in_room(self, pat: int) -> bool:
        st = self.st
        pe, plan = st.people, st.plan
        sp = int(pe.space[pat])
        if plan.corridor[sp]:
            return False
        moving_in, prep_in = self._room_counts()
        if moving_in.get(sp, 0) > 0:
            return True
        others = [o for o in prep_in.get(sp, ()) if o != pat]
        if not others:
            return False
        mine = self._door_dist(pat)
        return any(self._door_dist(o) < mine for o in others)

    def _going_on(self, li: int) -> int:
        if li not in self._going:
            self._going[li] = units_to_lifts(self.st, li)
        return self._going[li]

    def called_forward(self, pat: int) -> bool:
        return called_forward(self.st, pat, going=self._going_on)

    def leaves(self, pat: int) -> None:
        """Patient ``pat`` moves off now: it counts as a unit on its way from here on."""
        st = self.st
        pe = st.people
        if pe.need[pat] > 0 and self._rooms is not None:
            sp = int(pe.space[pat])
            self._rooms[0][sp] = self._rooms[0].get(sp, 0) + 1
        li = int(pe.lvl[pat])
        if li in self._going and pe.need[pat] > 0 and np.isnan(pe.stair_f[pat]):  # a unit bound for a lift
            self._going[li] += 1


def at_bedside(pe: People, k: int) -> bool:
    """Whether patient k is being prepared, or has staff at the bedside or on their way to it: a
    unit leaving from farther in would have to pass them (day drill seed 0: a bed from the back
    of a bay was hemmed in by the teams gathering at the beds nearer the door; seed 8 with the
    side-door zipper: a bed set off from the back of a single room before the team of the bed by
    its door arrived, and that team stood in its way for good)."""
    if pe.state[k] == states.PREP:
        return True
    return bool(pe.state[k] == states.NEED
                and any(pe.state[s] in (states.FETCH, states.MOVE) and pe.task[s] == k for s in pe.team[k]))


def ahead_in_room(st: RunState, pat: int) -> bool:
    """Whether another bed or wheelchair must leave the room first: one nearer the door still
    being prepared or with its team gathering at it, or one already on its way out (a 1.4 m
    door passes one unit at a time)."""
    pe, plan = st.people, st.plan
    if plan.corridor[pe.space[pat]]:
        return False
    here = (pe.space == pe.space[pat]) & (pe.lvl == pe.lvl[pat])
    here[pat] = False
    if ((pe.state == states.MOVE) & (pe.need > 0) & here).any():
        return True
    mine = door_dist(st, pat)
    waiting = np.flatnonzero(((pe.state == states.PREP) | (pe.state == states.NEED)) & here).tolist()
    return any(door_dist(st, o) < mine for o in waiting if at_bedside(pe, o))


def called_forward(st: RunState, pat: int, going: Callable[[int], int] | None = None) -> bool:
    """Whether a prepared unit may leave its place now (the lift marshal's call).

    A bed or wheelchair that cannot take the stairs leaves a level without a final exit
    only by lift.  Its team waits at the bedside until fewer than ``behaviour.lift_call_ahead``
    units per lift serving the level are on the way to a lift or queued for one: a queue of
    beds in the escape corridor closes it to the staff walking the other way.  A unit already
    in a corridor is never held (waiting there would block it just the same).  ``going``
    gives :func:`units_to_lifts` of a level, if counted already.
    """
    pe, plan = st.people, st.plan
    if pe.need[pat] == 0 or not np.isnan(pe.stair_f[pat]) or plan.corridor[pe.space[pat]]:
        return True
    li = int(pe.lvl[pat])
    lifts = plan.level_lifts.get(li, 0)
    if lifts == 0 or li in plan.exit_levels:
        return True
    if st.phase == 1 and plan.fire_comp[pe.home_comp[pat]]:
        return True  # horizontal move to the refuge: no lift
    count = units_to_lifts(st, li) if going is None else going(li)
    return count < st.p.behaviour.lift_call_ahead * lifts


def units_to_lifts(st: RunState, li: int) -> int:
    """Beds and wheelchairs (no stairs) of level ``li`` on their way to a lift or waiting for one
    on its landing (a unit that called a car stays on the floor until the car takes it)."""
    pe = st.people
    return int(lift_units(pe.need, pe.stair_f, pe.lvl, pe.state, li))


def reach_safety(st: RunState, k: int, how: int) -> None:
    """Person k is safe now: out (``how`` 1) or in a refuge (2); their team is free again."""
    pe = st.people
    pe.state[k] = states.OUT if how == 1 else states.REFUGE
    pe.reached[k] = how
    pe.t_reach[k] = st.t
    for s in pe.team[k]:
        pe.reached[s] = 0
    if pe.team[k]:
        release_team(st, k)
    if pe.staff[k]:
        pe.task[k] = -1


def release_team(st: RunState, pat: int) -> None:
    """Patient ``pat``'s team is free again: each stands where the unit was released, clear of
    the refuge's doors or just inside the exit, waiting for a task."""
    pe, plan = st.people, st.plan
    for s in pe.team[pat]:
        pe.state[s] = states.HOLD
        pe.task[s] = -1
        pe.pos[s] = pe.prev_pos[pat]
        pe.lvl[s] = pe.lvl[pat]
        pe.space[s] = pe.space[pat]
        if pe.reached[pat] == 2:
            pe.space[s] = motion.space_at(pe, plan, s)
            placement.step_aside(st, s, int(pe.space[s]), pe.prev_pos[pat])
        elif pe.reached[pat] == 1:
            placement.step_inside(st, s, pe.exit_used[pat])
    pe.team[pat] = []
