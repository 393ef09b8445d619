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
from scenarios.evacuation import motion, placement

if TYPE_CHECKING:
    from scenarios.evacuation.model import EvacuationModel

__all__ = ["ahead_in_room", "assist", "at_bedside", "called_forward", "door_dist", "free_staff",
           "held_places", "in_doorway", "release_team", "shut_in", "staff_idle", "team_sizes",
           "units_to_lifts"]


def assist(m: EvacuationModel) -> None:
    free = free_staff(m)
    if free.size:
        in_phase = np.isin(m.space_comp[m.space], list(m.fire_ix)) if m.phase == 1 else True
        waiting = np.flatnonzero((m.state == states.NEED) & in_phase & ~m.left_behind & ~m.stranded)
        held = held_places(m, waiting)
        sizes = team_sizes(m)[waiting]
        # Staff of the patient's level may take the place of a teammate still on the way from
        # another level; staff of another level only fill a place nobody holds.
        cand = waiting[held < m.need[waiting]]
        cand_far = waiting[sizes < m.need[waiting]]
        held_of = dict(zip(waiting.tolist(), held.tolist(), strict=True))
        leaving = m.state[free] == states.MOVE
        if m.phase == 1:
            # Staff waiting outside the fire compartment with no patient on their level have nothing
            # to do this step (staff_idle would leave them as they are): skip them at once.
            in_fire = np.isin(m.space_comp[m.space[free]], list(m.fire_ix))
            to_refuge = m.home_in_fire[free] & (m.reached[free] == 0)
            waits = ~in_fire & ~to_refuge & ~np.isin(m.lvl[free], m.lvl[cand])
            free, leaving = free[~waits], leaving[~waits]
        # Levels with staff of their own free (or walking out, who are called back): nobody is
        # sent there from another level, up or down a stair against the evacuation.
        staffed = np.unique(m.lvl[free])
        far = cand_far[~np.isin(m.lvl[cand_far], staffed)] if m.phase == 2 else cand_far[:0]
        # Staff walking out turn back only for a patient of their level or of a level with nobody.
        keep = ~leaving | np.isin(m.lvl[free], m.lvl[cand]) | (far.size > 0)
        free, leaving = free[keep], leaving[keep]
        for s, out in zip(free.tolist(), leaving.tolist(), strict=True):
            cand_here = cand[m.lvl[cand] == m.lvl[s]] if cand.size else cand
            if cand_here.size == 0:
                cand_here = far
            if cand_here.size == 0:
                if not out:
                    staff_idle(m, s)
                continue
            # Complete a team before starting another: staff who each wait at a different bed
            # for a second pair of hands that never comes would wait for ever.
            # Own level first (see agents.assist), then the nearest level with patients.
            gap = np.abs(m.lvl[cand_here] - m.lvl[s])
            cand_here = cand_here[gap == gap.min()]
            started = np.array([len(m.team[int(c)]) > 0 for c in cand_here], dtype=bool)
            if started.any():
                cand_here = cand_here[started]
            # Escape routes first: a patient waiting in a corridor narrows it for everyone else.
            aisle = m.corridor[m.space[cand_here]]
            if aisle.any():
                cand_here = cand_here[aisle]
            c = choose_patient(m.p.policy, m.pos[s], int(m.lvl[s]), int(m.home_comp[s]),
                               cand_xy=m.pos[cand_here], cand_level=m.lvl[cand_here],
                               cand_ward=m.home_comp[cand_here], cand_dependency=m.dep[cand_here])
            pat = int(cand_here[c])
            # Within a room, from the door inwards: nobody is wheeled past a patient still waiting.
            same = cand_here[(m.space[cand_here] == m.space[pat])
                             & (m.lvl[cand_here] == m.lvl[pat])]
            if same.size > 1 and not m.corridor[m.space[pat]]:
                pat = int(same[np.argmin([door_dist(m, int(o)) for o in same])])
            if m.lvl[s] == m.lvl[pat] and len(m.team[pat]) >= m.need[pat]:
                _relieve(m, pat)
            m.team[pat].append(s)
            m.task[s] = pat
            m.state[s] = states.MOVE
            if np.isnan(m.t_move[s]):
                m.t_move[s] = m.t
            sp = m.space_ids[m.space[pat]]
            m.set_goal(s, m.goal_id(Goal("point", spaces=frozenset([sp]),
                                              point=(float(m.pos[pat, 0]), float(m.pos[pat, 1])))))
            held_of[pat] = held_of.get(pat, 0) + int(m.lvl[s] == m.lvl[pat])  # as held_places counts
            if held_of[pat] >= m.need[pat]:
                cand = cand[cand != pat]
            if len(m.team[pat]) >= m.need[pat]:
                far = far[far != pat]
    # Staff who reached their patient wait (FETCH); preparation starts when all are there.
    # "Reached" means in the patient's room and at the bedside (the unit's length plus a metre),
    # or beside a teammate already there: a second nurse cannot stand where the first one does.
    fetch = np.flatnonzero(m.staff & (m.state == states.MOVE) & (m.task >= 0))
    for s in fetch.tolist():
        pat = int(m.task[s])
        if m.lvl[s] != m.lvl[pat] or m.space[s] != m.space[pat]:
            continue
        reach = m.radius[s] + m.radius[pat] + m.extra[pat] + 1.0
        near = math.dist(m.pos[s], m.pos[pat]) < reach
        near = near or any(m.state[o] == states.FETCH
                           and math.dist(m.pos[s], m.pos[o]) < m.p.behaviour.team_reach
                           for o in m.team[pat] if o != s)
        # Held up in the patient's room by colleagues standing at the other beds: they squeeze
        # past (the speed model does not let people squeeze through a crowd standing still).
        near = near or m.t - m.last_prog[s] > m.p.behaviour.stall_after
        if near and not in_doorway(m, s, pat, reach):
            m.state[s] = states.FETCH
    for pat in np.flatnonzero(m.state == states.NEED).tolist():
        tm = m.team[pat]
        if len(tm) >= m.need[pat] and all(m.state[s] == states.FETCH for s in tm):
            m.state[pat] = states.PREP
            m.prep_end[pat] = m.t + m.prepare[pat]
    ready = np.flatnonzero((m.state == states.PREP) & (m.t >= m.prep_end))
    if ready.size == 0:
        return
    ready = ready[np.argsort(m.prep_end[ready], kind="stable")]
    gate = _Gate(m)
    for pat in ready[gate.may_be_called(ready)].tolist():
        # The marshal's call first: it is the cheaper question, and both must allow the move.
        if not gate.called_forward(pat) or gate.ahead_in_room(pat):
            continue
        gate.leaves(pat)
        m.state[pat] = states.MOVE
        if np.isnan(m.t_move[pat]):
            m.t_move[pat] = m.t
        m.set_goal(pat, m.safety_goal(pat))
        m.prep_end[pat] = np.inf
        m.prepare[pat] = 0.0  # ready for transport: moved on again without a second preparation
        for s in m.team[pat]:
            m.state[s] = states.ATTACHED


def shut_in(m: EvacuationModel) -> np.ndarray:
    """Whether each occupant is a patient moved by staff whose space has no door or final exit
    as wide as its mobility needs (a bed in a store with a 0.9 m door): no team can take it out,
    so no staff are sent, and it is stranded from the start rather than holding two staff at
    its bedside to the end of the drill (found trying a small clinic)."""
    out = np.zeros(m.need.size, bool)
    doors, exits = m.facility.doors_of, m.facility.exits_of
    for k in np.flatnonzero(m.need > 0).tolist():
        sid = m.space_ids[m.space[k]]
        need = m.profiles[k].mobility.min_door_width
        widths = [d.width for d in doors.get(sid, ())] + [e.width for e in exits.get(sid, ())]
        out[k] = bool(widths) and max(widths) < need
    return out


def staff_idle(m: EvacuationModel, s: int) -> None:
    """No patient left to fetch: go to safety (or stay put until the vertical phase)."""
    if m.phase == 2:
        m.state[s] = states.MOVE
        m.set_goal(s, m.exit_goal(s))
    elif int(m.space_comp[m.space[s]]) in m.fire_ix:
        m.state[s] = states.MOVE
        m.set_goal(s, m.refuge_goal(s))
    elif m.home_in_fire[s] and m.reached[s] == 0:
        # Out of the fire compartment with their last patient: they are in the refuge.
        m.refuge_space[s] = m.space[s]
        m.safe(s, 2)
        return
    else:
        return
    if np.isnan(m.t_move[s]):
        m.t_move[s] = m.t


def free_staff(m: EvacuationModel) -> np.ndarray:
    """Staff free for a patient: waiting for a task (``HOLD``), or walking to safety with none
    (they are called back by a patient of their own level still waiting for hands)."""
    no_task = m.staff & (m.task < 0)
    walking_out = (m.state == states.MOVE) & (m.goal >= 0)
    walking_out &= m.goal_evac[np.maximum(m.goal, 0)]
    return np.flatnonzero(no_task & ((m.state == states.HOLD) | walking_out))


def team_sizes(m: EvacuationModel) -> np.ndarray:
    """Per occupant, how many staff are in its team (``task`` names the patient of each team
    member, as ``team`` lists them)."""
    crew = np.flatnonzero(m.staff & (m.task >= 0))
    return np.bincount(m.task[crew], minlength=m.state.size)


def held_places(m: EvacuationModel, patients: np.ndarray) -> np.ndarray:
    """Per patient of ``patients``, the places of its team held for good: by staff on its level,
    or on a stair or in a lift on their way (those still walking on another level may be
    relieved by staff of the patient's level, :func:`_relieve`)."""
    crew = np.flatnonzero(m.staff & (m.task >= 0))
    pat = m.task[crew]
    holds = (m.lvl[crew] == m.lvl[pat]) | (m.state[crew] != states.MOVE)
    return np.bincount(pat[holds], minlength=m.state.size)[patients]


def _relieve(m: EvacuationModel, pat: int) -> None:
    """A staff member of the patient's level joins its team: one team member still on the way
    from another level is released (the farthest one), so nobody climbs a stair against the
    evacuation for a patient someone on the spot can take."""
    away = [s for s in m.team[pat] if m.lvl[s] != m.lvl[pat] and m.state[s] == states.MOVE]
    if not away:
        return
    far = max(away, key=lambda s: (abs(int(m.lvl[s]) - int(m.lvl[pat])), s))
    m.team[pat].remove(far)
    m.task[far] = -1
    m.state[far] = states.HOLD


def in_doorway(m: EvacuationModel, s: int, pat: int, reach: float) -> bool:
    """Whether staff member s stands within ``behaviour.door_keep_clear`` of a door of the room while
    the patient is farther than ``reach`` from it: they walk on to the bedside rather than
    wait in the doorway, where they would shut in every other bed of the room."""
    for d in m.facility.doors_of.get(m.space_ids[m.space[s]], ()):
        if math.dist(m.pos[s], d.at) < m.p.behaviour.door_keep_clear and math.dist(m.pos[pat], d.at) > reach:
            return True
    return False


def door_dist(m: EvacuationModel, k: int) -> float:
    """Distance (m) from occupant k to the nearest door of its space (inf if none)."""
    doors = m.facility.doors_of.get(m.space_ids[m.space[k]], ())
    return min((math.dist(m.pos[k], d.at) for d in doors), default=math.inf)


class _Gate:
    """:func:`ahead_in_room` and :func:`called_forward` for every prepared patient of one step.

    The counts they rest on are taken once per step and kept current as units leave
    (:meth:`leaves`), so a step with dozens of prepared patients waiting for the lift marshal
    costs a few array passes instead of a few per patient.  Both answers equal the
    one-patient functions' (``tests/scenarios/evacuation/test_assistance.py``).
    """

    def __init__(self, m: EvacuationModel) -> None:
        self.m = m
        self.lift_unit = (m.need > 0) & np.isnan(m.stair_f)
        self._going: dict[int, int] = {}
        self._rooms: tuple[dict[int, int], dict[int, list[int]]] | None = None

    def _room_counts(self) -> tuple[dict[int, int], dict[int, list[int]]]:
        """Units on their way out by space, and patients at the bedside (:func:`at_bedside`)
        by space: taken once, on the first question about a room."""
        if self._rooms is None:
            m = self.m
            moving_in: dict[int, int] = {}
            for sp in m.space[(m.state == states.MOVE) & (m.need > 0)].tolist():
                moving_in[sp] = moving_in.get(sp, 0) + 1
            gathering = m.task[m.staff & (m.state == states.FETCH) & (m.task >= 0)]
            bedside = m.state == states.PREP
            bedside[gathering] |= m.state[gathering] == states.NEED
            prep_in: dict[int, list[int]] = {}
            for k in np.flatnonzero(bedside).tolist():
                prep_in.setdefault(int(m.space[k]), []).append(k)
            self._rooms = (moving_in, prep_in)
        return self._rooms

    def may_be_called(self, ready: np.ndarray) -> np.ndarray:
        """Mask of ``ready`` patients the marshal may call this step: those :func:`called_forward`
        always lets go, and those of levels with a place free at the lifts now (places only fill
        up as units leave, so the others are not called this step)."""
        m = self.m
        ok = (m.need[ready] == 0) | ~np.isnan(m.stair_f[ready]) | m.corridor[m.space[ready]]
        if m.phase == 1:
            ok |= np.isin(m.home_comp[ready], list(m.fire_ix))
        for li in np.unique(m.lvl[ready[~ok]]).tolist():
            ok[m.lvl[ready] == li] |= self.called_forward_level(li)
        return ok

    def called_forward_level(self, li: int) -> bool:
        """:func:`called_forward` for a unit of level ``li`` bound for a lift."""
        m = self.m
        lifts = m.level_lifts.get(li, 0)
        if lifts == 0 or li in m.exit_levels:
            return True
        return self._going_on(li) < m.p.behaviour.lift_call_ahead * lifts

    def _door_dist(self, k: int) -> float:
        """:func:`door_dist`, kept per occupant while they stand still (being prepared)."""
        m = self.m
        x, y = float(m.pos[k, 0]), float(m.pos[k, 1])
        hit = m.door_dist_cache.get(k)
        if hit is not None and hit[0] == x and hit[1] == y and hit[2] == m.space[k]:
            return hit[3]
        d = door_dist(m, k)
        m.door_dist_cache[k] = (x, y, int(m.space[k]), d)
        return d

    def ahead_in_room(self, pat: int) -> bool:
        m = self.m
        sp = int(m.space[pat])
        if m.corridor[sp]:
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
            self._going[li] = units_to_lifts(self.m, li)
        return self._going[li]

    def called_forward(self, pat: int) -> bool:
        return called_forward(self.m, pat, going=self._going_on)

    def leaves(self, pat: int) -> None:
        """Patient ``pat`` moves off now: it counts as a unit on its way from here on."""
        m = self.m
        if m.need[pat] > 0 and self._rooms is not None:
            sp = int(m.space[pat])
            self._rooms[0][sp] = self._rooms[0].get(sp, 0) + 1
        li = int(m.lvl[pat])
        if li in self._going and self.lift_unit[pat]:
            self._going[li] += 1


def at_bedside(m: EvacuationModel, k: int) -> bool:
    """Whether patient k is being prepared, or has staff standing at the bedside for it: a unit
    leaving from farther in would have to pass them (day drill seed 0: a bed from the back of a
    bay was hemmed in by the teams gathering at the beds nearer the door)."""
    if m.state[k] == states.PREP:
        return True
    return bool(m.state[k] == states.NEED and any(m.state[s] == states.FETCH for s in m.team[k]))


def ahead_in_room(m: EvacuationModel, pat: int) -> bool:
    """Whether another bed or wheelchair must leave the room first: one nearer the door still
    being prepared or with its team gathering at it, or one already on its way out (a 1.4 m
    door passes one unit at a time)."""
    if m.corridor[m.space[pat]]:
        return False
    here = (m.space == m.space[pat]) & (m.lvl == m.lvl[pat])
    here[pat] = False
    if ((m.state == states.MOVE) & (m.need > 0) & here).any():
        return True
    mine = door_dist(m, pat)
    waiting = np.flatnonzero(((m.state == states.PREP) | (m.state == states.NEED)) & here).tolist()
    return any(door_dist(m, o) < mine for o in waiting if at_bedside(m, o))


def called_forward(m: EvacuationModel, pat: int, going: Callable[[int], int] | None = None) -> bool:
    """Whether a prepared unit may leave its place now (the lift marshal's call).

    A bed or wheelchair that cannot take the stairs leaves a level without a final exit
    only by lift.  Its team waits at the bedside until fewer than ``behaviour.lift_call_ahead``
    units per lift serving the level are on the way to a lift or queued for one: a queue of
    beds in the escape corridor closes it to the staff walking the other way.  A unit already
    in a corridor is never held (waiting there would block it just the same).  ``going``
    gives :func:`units_to_lifts` of a level, if counted already.
    """
    if m.need[pat] == 0 or not np.isnan(m.stair_f[pat]) or m.corridor[m.space[pat]]:
        return True
    li = int(m.lvl[pat])
    lifts = m.level_lifts.get(li, 0)
    if lifts == 0 or li in m.exit_levels:
        return True
    if m.phase == 1 and m.home_comp[pat] in m.fire_ix:
        return True  # horizontal move to the refuge: no lift
    count = units_to_lifts(m, li) if going is None else going(li)
    return count < m.p.behaviour.lift_call_ahead * lifts


def units_to_lifts(m: EvacuationModel, li: int) -> int:
    """Beds and wheelchairs (no stairs) of level ``li`` on their way to a lift or queued for one."""
    units = (m.need > 0) & np.isnan(m.stair_f) & (m.lvl == li)
    going = int(np.count_nonzero(units & (m.state == states.MOVE)))
    here = m.facility_level_spaces[li]
    going += sum(1 for lk in m.lifts for item in lk.queue
                 if item[2] in here and m.need[item[1]] > 0)
    return going


def release_team(m: EvacuationModel, pat: int) -> None:
    for s in m.team[pat]:
        m.state[s] = states.HOLD
        m.task[s] = -1
        m.pos[s] = m.prev_pos[pat]
        m.lvl[s] = m.lvl[pat]
        m.space[s] = m.space[pat]
        if m.reached[pat] == 2:
            m.space[s] = motion.space_at(m, s)
            placement.step_aside(m, s, int(m.space[s]), m.prev_pos[pat])
        elif m.reached[pat] == 1:
            placement.step_inside(m, s, m.exit_used[pat])
    m.team[pat] = []
