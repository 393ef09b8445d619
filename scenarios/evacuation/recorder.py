"""What an evacuation run writes down, and the Arrow tables it becomes.

The model hands the recorder plain numbers at sampling times and at portal
passages; the step loop never builds a table.  At the end :meth:`Recorder.tables`
returns the result tables stored as Parquet:

* ``agents``: per person the alarm, start of movement, time safe, how (exit or
  refuge), the state they ended in (``state_at_end``: ``out``, ``need_staff``, ...), exit
  used, route (spaces, ``>``-joined), waiting time, deadlock and
  stranded flags (each person in one category at most: incapacitated, else stranded, else
  deadlocked; stranded also counts whoever is still, at the end, in a space from which their
  mobility has no way out at all, though they never set off; ``stranded_by_lift_policy``:
  they would have one with lifts the strategy leaves out, ``strategy.lifts``;
  ``stranded_in_refuge``: stranded after reaching a refuge, whose ways out they cannot use),
  ventilator budget and whether it ran out,
  whether staff left them behind (and why: ``untenable``, a room staff would not enter),
  and whether the hazard incapacitated them (``incapacitated``; model time
  ``incapacitated_at``, space ``incapacitated_space`` and dose ``incapacitated_by``:
  :func:`scenarios.evacuation.exposure.incapacitate`).  ``reached``/``reached_how`` say
  where someone got to, even carried there incapacitated: the KPIs count an incapacitated
  person as neither evacuated nor safe;
* ``doses``: per person the doses accumulated in the hazard's conditions (one column
  per name of :data:`scenarios.hazards.conditions.DOSES`; zero without a hazard);
* ``compartments``: per fire compartment the last time someone left it (s after the
  alarm), how many are still in it at the end, and its RSET (the last departure if it
  ended empty, else NaN): what the fire side compares with its ASET;
* ``evacuated_over_time``: out / in refuge / remaining / incapacitated at each sample
  (the categories of :mod:`scenarios.evacuation.kpis`: someone incapacitated is in none of
  the others, even carried out);
* ``door_flows``: one row per portal passage (time, door or exit id);
* ``density``: person-seconds per 1 m cell per level (heat maps);
* ``trajectories``: positions of everyone on a floor at each sample;
* ``deadlocks``: who, when and where no progress was made (not those stranded or
  incapacitated at the end);
* ``stays`` (only with a hazard): one row per person and space they were in, with the
  seconds after the alarm they entered and left it (``until_end``: still there when the
  drill ended, ``left_s`` is then its end): what the personal ASET - RSET margin is judged
  against (:mod:`scenarios.hazards.outcomes`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from agents.movement.states import ON_PLANE_TABLE, SAFE_TABLE
from facility.mobility import Mobility
from facility.routing import unreachable_spaces
from scenarios.evacuation.params import STATE_LABELS, State
from scenarios.hazards.conditions import DOSES

if TYPE_CHECKING:
    from scenarios.evacuation.state import RunState

__all__ = ["Recorder"]



class Recorder:
    """Collects samples from one run's state (:class:`~scenarios.evacuation.state.RunState`)."""

    def __init__(self, st: RunState) -> None:
        self.st = st
        self._curve: list[tuple[float, int, int, int, int]] = []
        self._traj: list[tuple[np.ndarray, ...]] = []
        self._dens = [np.zeros((int(g.shape[0] * g.h) + 2, int(g.shape[1] * g.h) + 2))
                      for g in st.plan.grids]
        self._last = 0.0

    def sample(self, t: float) -> None:
        """Take the curve, density and trajectory samples of model time ``t``."""
        pe, plan = self.st.people, self.st.plan
        state = pe.state
        fallen = pe.casualties.flag
        out = int(((state == State.OUT) & ~fallen).sum())
        ref = int(((state == State.REFUGE) & ~fallen).sum())
        hurt = int(fallen.sum())
        self._curve.append((t, out, ref, len(state) - out - ref - hurt, hurt))
        on = np.flatnonzero(ON_PLANE_TABLE[state])
        dt = t - self._last
        self._last = t
        for li, g in enumerate(plan.grids):
            ks = on[pe.lvl[on] == li]
            if ks.size:
                i = (pe.pos[ks, 1] - g.y0).astype(int)
                j = (pe.pos[ks, 0] - g.x0).astype(int)
                np.add.at(self._dens[li], (i, j), dt)
        if self.st.p.trajectories:
            self._traj.append((np.full(on.size, t), on.astype(np.int32), pe.lvl[on].astype(np.int16),
                               pe.pos[on, 0].copy(), pe.pos[on, 1].copy(), state[on].astype(np.int8)))

    def _compartments(self) -> pa.Table:
        """Per compartment: last departure and RSET (see the module docstring)."""
        st = self.st
        pe, plan = st.people, st.plan
        names = sorted(plan.comp_ix, key=plan.comp_ix.__getitem__)
        where = pe.space.copy()
        att = np.flatnonzero(pe.state == State.ATTACHED)
        where[att] = pe.space[pe.task[att]]
        inside = plan.space_comp[where[pe.state != State.OUT]]
        remaining = np.bincount(inside[inside >= 0], minlength=len(names))
        last = st.passages.comp_left - st.p.alarm
        rset = np.where(remaining > 0, np.nan, np.where(np.isnan(last), 0.0, last))
        return pa.table({"compartment": pa.array(names, pa.string()), "last_left": last,
                         "remaining": remaining.astype(np.int64), "rset_s": rset})

    def _stays(self) -> pa.Table:
        """Who was in which space from when to when (see the module docstring)."""
        st = self.st
        pe, plan = st.people, st.plan
        stays = pe.stays
        open_ = np.flatnonzero(stays.space >= 0)
        # Out in the last step (the run ended before the stay was closed): they left it then.
        gone = pe.state[open_] == State.OUT
        person = np.array(stays.person + open_.tolist(), np.int64)
        where = np.array(stays.where + stays.space[open_].tolist(), np.int64)
        enter = np.array(stays.enter + stays.since[open_].tolist(), np.float64)
        leave = np.concatenate([np.array(stays.leave, np.float64), np.where(gone, pe.t_reach[open_], st.t)])
        ids, spaces = np.array(pe.ids, dtype=object), np.array(plan.space_ids, dtype=object)
        return pa.table({"id": pa.array(ids[person].tolist(), pa.string()),
                         "space": pa.array(spaces[where].tolist(), pa.string()),
                         "entered_s": enter - st.p.alarm, "left_s": leave - st.p.alarm,
                         "until_end": np.concatenate([np.zeros(len(stays.person), bool), ~gone])})

    def _no_way_out(self) -> tuple[np.ndarray, np.ndarray]:
        """Who is still inside at the end, not safe, in a space with no way out for their mobility
        (:func:`facility.routing.unreachable_spaces`) over the lifts the strategy uses
        (``strategy.lifts``); and of those, who would have one with every lift of the facility.

        The first are stranded, though some never set off (a bed in a room whose door no bed
        passes waits for staff to the end); the second are stranded by the lift policy.
        """
        st = self.st
        pe, plan = st.people, st.plan
        n = len(pe.ids)
        left = np.flatnonzero(~SAFE_TABLE[pe.state])
        shut, by_policy = np.zeros(n, bool), np.zeros(n, bool)
        if left.size == 0:
            return shut, by_policy
        where = pe.space.copy()
        att = np.flatnonzero(pe.state == State.ATTACHED)
        where[att] = pe.space[pe.task[att]]
        full = plan.facility
        used = full if len(st.nav.lift_ok) == len(full.lifts) else replace(
            full, lifts=tuple(lf for lf in full.lifts if lf.id in st.nav.lift_ok))
        cache: dict[tuple[str, bool], set[int]] = {}

        def unreachable(mob: Mobility, every_lift: bool) -> set[int]:
            key = (mob.name, every_lift)
            if key not in cache:
                fac = full if every_lift else used
                cache[key] = {plan.space_ix[s] for s in unreachable_spaces(fac, mobility=mob)}
            return cache[key]

        for k in left.tolist():
            mob = pe.profiles[k].mobility
            shut[k] = int(where[k]) in unreachable(mob, False)
            by_policy[k] = shut[k] and used is not full and int(where[k]) not in unreachable(mob, True)
        return shut, by_policy

    def tables(self) -> dict[str, pa.Table]:
        st = self.st
        pe, plan = st.people, st.plan
        names = [p.name for p in pe.profiles]
        roles = [p.role for p in pe.profiles]
        how = np.array(["", "exit", "refuge"])[pe.reached]
        vent = np.array([p.ventilated for p in pe.profiles])
        end = np.where(np.isnan(pe.t_reach), st.t, pe.t_reach)
        cas = pe.casualties
        shut, by_policy = self._no_way_out()
        stranded = (pe.stranded | shut) & ~cas.flag
        # Each person in one category at most: stranded or incapacitated is not also a deadlock.
        other = stranded | cas.flag
        dead = pe.dead & ~other
        row = {pid: k for k, pid in enumerate(pe.ids)} if st.passages.deadlocks else {}
        listed = [k for k, d in enumerate(st.passages.deadlocks) if not other[row[d[0]]]]
        on_battery = end - st.p.alarm
        starts = [plan.facility.spaces[plan.space_ix[r[0]]] for r in pe.route]
        flags = [st.passages.deadlocks[k] for k in listed]
        out = {
            "agents": pa.table({
                "id": pe.ids, "role": roles, "profile": names,
                "start_space": [r[0] for r in pe.route],
                "start_compartment": [s.compartment or "" for s in starts],
                "start_level": [s.level for s in starts],
                "alarm": np.full(len(pe.ids), st.p.alarm),
                "premove": pe.premove, "start_move": pe.t_move, "reached": pe.t_reach,
                "reached_how": how, "state_at_end": STATE_LABELS[pe.state], "exit": pe.exit_used,
                "route": [">".join(r) for r in pe.route],
                "waiting": pe.wait, "speed": pe.v0, "deadlocked": dead, "stranded": stranded,
                "stranded_in_refuge": stranded & (pe.refuge_space >= 0),
                "stranded_by_lift_policy": stranded & by_policy,
                "ventilated": vent,
                "battery_s": np.where(vent, pe.battery, np.nan),
                "battery_out": vent & (on_battery > pe.battery),
                "left_behind": pe.left_behind, "left_behind_reason": pa.array(pe.left_reason, pa.string()),
                "incapacitated": cas.flag, "incapacitated_at": cas.time,
                "incapacitated_space": pa.array(
                    [plan.space_ids[s] if s >= 0 else "" for s in cas.space.tolist()], pa.string()),
                "incapacitated_by": pa.array(cas.dose, pa.string()),
            }),
            "doses": pa.table({"id": pe.ids, **{name: pe.dose[r] for r, name in enumerate(DOSES)}}),
            "compartments": self._compartments(),
            "evacuated_over_time": pa.table({
                "time": [c[0] for c in self._curve], "out": [c[1] for c in self._curve],
                "refuge": [c[2] for c in self._curve], "remaining": [c[3] for c in self._curve],
                "incapacitated": [c[4] for c in self._curve],
            }),
            "door_flows": pa.table({"time": pa.array(st.passages.times, pa.float64()),
                                    "portal": pa.array(st.passages.portals, pa.string()),
                                    "kind": pa.array(st.passages.kinds, pa.string())}),
            "deadlocks": pa.table({"id": pa.array([f[0] for f in flags], pa.string()),
                                   "time": pa.array([f[1] for f in flags], pa.float64()),
                                   "x": pa.array([f[2] for f in flags], pa.float64()),
                                   "y": pa.array([f[3] for f in flags], pa.float64())}),
        }
        if st.env is not None:
            out["stays"] = self._stays()
        rows: dict[str, list[object]] = {"level": [], "x": [], "y": [], "person_seconds": []}
        for li, d in enumerate(self._dens):
            i, j = np.nonzero(d)
            g = plan.grids[li]
            rows["level"] += [plan.levels[li]] * i.size
            rows["x"] += (g.x0 + j + 0.5).tolist()
            rows["y"] += (g.y0 + i + 0.5).tolist()
            rows["person_seconds"] += d[i, j].tolist()
        out["density"] = pa.table(rows)
        if self._traj:
            cols = [np.concatenate(c) for c in zip(*self._traj, strict=True)]
            lv = np.array(plan.levels)[cols[2]] if plan.levels else np.array([], str)
            out["trajectories"] = pa.table({
                "time": cols[0], "id": np.array(pe.ids)[cols[1]], "level": lv,
                "x": cols[3].astype(np.float32), "y": cols[4].astype(np.float32),
                "state": STATE_LABELS[cols[5]],
            })
        return out
