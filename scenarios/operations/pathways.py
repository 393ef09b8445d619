"""The patient process: one SimPy generator walks a patient through a pathway.

For each step the patient joins the queues of every resource the step needs
(in the model's global pool order, which rules out circular waits between
patients that need the same two resources), then everyone walks to where the
step happens (the room granted, else the step's space; staff and mobile
devices from wherever they were last), then the step takes its sampled time.
A step's ``hold`` resources stay taken until the next step has everything it
needs, and a later step needing the same resource keeps using the held unit
(ED boarding: the cubicle stays taken until a ward bed is free).  On a
pre-emptive pool an ESI 1 patient interrupts the least urgent user, who
releases what else it holds and queues again for the remaining time.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, cast

import simpy

from scenarios.errors import RunError
from scenarios.operations.resources import Pool, Preempted

if TYPE_CHECKING:
    from scenarios.operations.model import CompiledStep, OpsModel

__all__ = ["patient_process"]

Units = list[tuple[Pool, int]]


def _release(units: Units) -> None:
    for pool, u in units:
        pool.release(u)


def _release_own(units: Units, pid: int) -> None:
    # After a pre-emption other units of the step may have been taken by another
    # ESI 1 patient at the same instant; give back only what is still ours.
    for pool, u in units:
        if pool.holder[u] == pid:
            pool.release(u)


def _acquire(m: OpsModel, st: CompiledStep, pid: int, prio: int, near: int, proc: Any,  # noqa: PLR0917
             deadline: float, units: Units, held: Units) -> Generator[simpy.Event, Any, bool]:
    """Get one unit of every need into ``units`` (held units first); False if the patient reneged."""
    env = m.env
    for alts in st.needs:
        if len(alts) == 1:
            pool = alts[0]
            reuse = next((k for k, (p, _) in enumerate(held) if p is pool), -1)
            if reuse >= 0:
                units.append(held.pop(reuse))
                continue
            u = pool.try_acquire(pid, prio, near, proc)
            if u < 0:
                ev = pool.request(pid, prio, near, proc)
                try:
                    if st.renege and not ev.triggered:
                        yield ev | env.timeout(max(0.0, deadline - env.now))
                        if not ev.triggered:
                            pool.cancel(ev, pid)
                            return False
                    else:
                        yield ev
                except simpy.Interrupt:
                    pool.cancel(ev, pid)  # pre-empted elsewhere while queueing: leave this queue too
                    raise
                u = cast(int, ev.value)
            units.append((pool, u))
            continue
        # Alternatives (skills): take a free one at once, else queue on all and
        # keep whichever comes first.
        for pool in alts:
            u = pool.try_acquire(pid, prio, near, proc)
            if u >= 0:
                units.append((pool, u))
                break
        else:
            evs = [pool.request(pid, prio, near, proc) for pool in alts]
            waits: list[simpy.Event] = list(evs)
            if st.renege:
                waits.append(env.timeout(max(0.0, deadline - env.now)))
            try:
                yield env.any_of(waits)
            except simpy.Interrupt:
                for pool, ev in zip(alts, evs, strict=True):
                    pool.cancel(ev, pid)
                raise
            got = -1
            for k, (pool, ev) in enumerate(zip(alts, evs, strict=True)):
                if ev.triggered and got < 0:
                    got = k
                    units.append((pool, cast(int, ev.value)))
                else:
                    pool.cancel(ev, pid)
            if got < 0:
                return False
    return True


def patient_process(m: OpsModel, pid: int, first: int = 0,
                    first_left: float | None = None) -> Generator[simpy.Event, Any, None]:
    """Take patient ``pid`` through its pathway from step ``first``; records every step.

    ``first_left`` is the remaining time of a first step already under way
    (patients present when the run starts).
    """
    env = m.env
    proc = env.active_process
    pw = m.cpathways[m.p_pathway[pid]]
    prio = m.p_acuity[pid]
    tmat = m.patient_time.get(pw.mobility) if m.walking else None
    smat, lmat = m.staff_time, m.staff_len
    rec = m.recorder
    loc = m.p_loc[pid]
    deadline = env.now + pw.patience() if pw.patience is not None else math.inf
    held: Units = []
    held_since = 0.0
    boarding = 0.0
    si = first
    while si >= 0:
        st = pw.steps[si]
        if st.wait >= 0:
            loc = st.wait
            m.p_loc[pid] = loc
        m.p_activity[pid] = st.wait_label
        if first_left is not None:
            remaining, first_left = first_left, None
        else:
            remaining = st.duration()
        q0 = env.now
        near = st.space if st.space >= 0 else loc
        reused = list(held)
        while True:
            units: Units = []
            try:
                ok = yield from _acquire(m, st, pid, prio, near, proc, deadline, units, held)
            except simpy.Interrupt as intr:
                lost = intr.cause
                assert isinstance(lost, Preempted)
                # give back what this attempt got, but keep units carried over from a hold
                carried = [(p, u) for p, u in units if (p, u) in reused]
                _release_own([(p, u) for p, u in units if (p, u) not in carried], pid)
                held = [(p, u) for p, u in held + carried if p.holder[u] == pid]
                continue
            if not ok:
                _release(units)
                _release(held)
                rec.event((pid, pw.name, prio, st.name, q0, math.nan, env.now, "", "", 0.0, 0.0, "reneged"))
                m.depart(pid, "left_without_being_seen", boarding)
                return
            granted = env.now
            if st.ends_target and math.isnan(m.p_target[pid]):
                m.p_target[pid] = granted - m.p_arrival[pid]
            if reused:
                boarding += granted - held_since
            if held:
                _release(held)
                held = []
            dest = st.space
            if st.place >= 0:
                pool, u = units[st.place]
                if pool.loc[u] >= 0:
                    dest = pool.loc[u]
            if dest < 0:
                dest = loc
            walk = 0.0
            walked = 0.0
            if tmat is not None and dest >= 0:
                if loc >= 0:
                    walk = tmat[loc][dest]
                for pool, u in units:
                    if pool.kind == "staff" or pool.mobile:
                        src = pool.loc[u]
                        if src >= 0 and src != dest:
                            w = smat[src][dest]
                            walk = max(walk, w)
                            d = lmat[src][dest]
                            walked += d
                            if pool.kind == "staff":
                                pool.walked_m[u] += d
                        pool.loc[u] = dest
            if walk == math.inf:
                raise RunError(f"pathway {pw.name!r} step {st.name!r}: no route for a {pw.mobility} patient "
                               f"or its staff from {m.space_name(loc)!r} to {m.space_name(dest)!r} "
                               "(check doors, door widths and lifts)")
            loc = dest
            m.p_loc[pid] = loc
            m.p_activity[pid] = st.label
            m.p_current[pid] = (st.name, q0, granted, dest, units)
            for pool, u in units:
                if pool.mobile:
                    m.p_device[pid] = f"{pool.name}#{u}"
            try:
                yield env.timeout(walk + remaining)
            except simpy.Interrupt as intr:
                lost = intr.cause
                assert isinstance(lost, Preempted)
                remaining -= max(0.0, env.now - granted - walk)
                rec.event((pid, pw.name, prio, st.name, q0, granted, env.now, m.space_name(dest),
                           _names(units), walk, walked, "preempted"))
                _release_own(units, pid)
                m.p_activity[pid] = st.wait_label
                continue
            break
        rec.event((pid, pw.name, prio, st.name, q0, granted, env.now, m.space_name(loc),
                   _names(units), walk, walked, "done"))
        m.p_device[pid] = None
        m.p_current[pid] = None
        if st.hold:
            held = [(p, u) for p, u in units if p.name in st.hold]
            _release([(p, u) for p, u in units if p.name not in st.hold])
            held_since = env.now
        else:
            _release(units)
        si = st.choose_next()
    _release(held)
    m.depart(pid, "discharged", boarding)


def _names(units: Units) -> str:
    return ",".join(f"{p.name}#{u}" for p, u in units)
