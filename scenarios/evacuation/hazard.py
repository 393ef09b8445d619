"""The run's side of a hazard environment: reading its conditions, and what they do to people.

Every ``hazard_every`` seconds the conditions are read (:func:`read`): routes avoid the spaces
that became untenable, and staff who would not enter them leave their patients behind. Every
step (:func:`step`) people accumulate doses where they stand, may be incapacitated, and walk at
the speed the smoke allows (:mod:`scenarios.evacuation.exposure` holds the rules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.movement import states
from scenarios.errors import RunError
from scenarios.evacuation import exposure

if TYPE_CHECKING:
    from scenarios.evacuation.state import RunState

__all__ = ["cue_starts", "read", "start", "step"]


def start(st: RunState) -> None:
    """Check the environment is the facility's and take its first conditions (none: no-op)."""
    if st.env is None:
        return
    if tuple(st.env.space_ids) != tuple(st.plan.space_ids):
        raise RunError("the hazard environment's spaces are not the facility's spaces "
                       "in the facility's order")
    cue_starts(st)
    read(st)


def cue_starts(st: RunState) -> None:
    """People in a space where the hazard shows itself (the fire's room of origin, a gas release's
    room: ``env.cues``) start their pre-movement when it does, if that is before the alarm: they
    see the flames or smell the gas (PD 7974-6 sets the enclosure of fire origin apart from the
    rest of a building).  A user's drill with a fire in a clinic's waiting room and the only
    detector next door had the three people in it sit in the smoke until the alarm, and all three
    were incapacitated at 54 s without having moved.  The drill's clock starts at 0: whoever's
    pre-movement would have ended before it sets off at 0."""
    assert st.env is not None
    pe, plan = st.people, st.plan
    for sid, cue in st.env.cues.items():
        if sid not in plan.space_ix:
            continue
        here = np.flatnonzero((pe.space == plan.space_ix[sid]) & (pe.state == states.PRE))
        seen = st.p.alarm + cue
        pe.t_start[here] = np.minimum(pe.t_start[here], np.maximum(seen + pe.premove[here], 0.0))


def read(st: RunState) -> None:
    """Advance the environment to now; re-plan routes if the untenable spaces changed."""
    assert st.env is not None
    pe = st.people
    c = exposure.read(st.env, st.t - st.p.alarm, len(st.plan.space_ids))
    st.cond = c
    st.next_hazard = st.t + st.p.hazard_every
    st.space_factor = np.asarray(c.speed_factor, np.float64)
    bad = frozenset(st.plan.space_ids[k] for k in np.flatnonzero(c.untenable))
    if st.nav.set_unusable(bad):
        pe.reroute[pe.state == states.MOVE] = True
    if not st.p.enter_untenable:
        for s in exposure.left_behind(np.asarray(c.untenable, bool), state=pe.state, space=pe.space,
                                      team=pe.team, flag=pe.left_behind, reason=pe.left_reason):
            pe.state[s] = states.HOLD
            pe.task[s] = -1


def step(st: RunState, dt: float) -> None:
    """Doses of the last step, then the next read of the environment when it is due."""
    assert st.cond is not None
    pe = st.people
    where = exposure.occupied_space(pe.state, pe.space, pe.task)
    inside = pe.state != states.OUT
    exposure.accumulate(pe.dose, st.cond.dose_rate, where, inside, dt)
    exposure.track(pe.stays, where, inside, st.t - dt)  # ``where`` is where they stood since t - dt
    exposure.incapacitate(pe.dose, pe.casualties, where, inside, st.t)
    exposure.stop_incapacitated(pe.casualties, state=pe.state, need=pe.need, task=pe.task,
                                team=pe.team, prep_end=pe.prep_end, pos=pe.pos)
    if st.t >= st.next_hazard - 1e-9:
        read(st)
    pe.v_free = exposure.free_speeds(pe.v0, st.space_factor, where)
