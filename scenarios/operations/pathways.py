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

A patient who reaches a step and finds a needed pool full (no free unit
and its ``queue_limit`` reached) is turned away there: to the step's
``on_full`` step, or out of the hospital (``diverted``).  A patient flagged
for isolation (:class:`~scenarios.operations.schema.Isolation`) takes an
isolation room, or a cohort place, when the flagging step ends, waits there
between steps, is served by cohorted staff, and gives the place back when
the ``until`` step starts or on leaving.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, cast

import simpy

from scenarios.errors import ScenarioFileError
from scenarios.operations.resources import Pool, Preempted
from scenarios.operations.schema import ISOLATION_STEP
from scenarios.operations.state import StepInProgress

if TYPE_CHECKING:
    from scenarios.operations.compile import CompiledIsolation, CompiledStep
    from scenarios.operations.model import OpsModel

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


def _full_need(st: CompiledStep, held: Units, prio: int) -> Pool | None:
    """The first needed pool that turns the patient away, counting the offer to every limited pool."""
    first: Pool | None = None
    for alts in st.needs:
        if len(alts) == 1 and any(p is alts[0] for p, _ in held):
            continue  # a held unit carries over: nothing to queue for
        for p in alts:
            if p.queue_limit is not None:
                p.offered += 1
        # an ESI 1 patient on a pre-emptive pool takes a unit instead of being turned away
        if first is None and all(p.full() and not (p.preemptive and prio == 1) for p in alts):
            first = next(p for p in alts if p.queue_limit is not None)
    return first


def _isolate(m: OpsModel, ci: CompiledIsolation, pid: int, prio: int, near: int,  # noqa: PLR0917
             proc: Any) -> Generator[simpy.Event, Any, tuple[Pool, int]]:
    """An isolation room, or (``if_full: cohort``) whichever of a room and a cohort place is free first."""
    env = m.env
    pools = [ci.room] if ci.cohort is None else [ci.room, ci.cohort]
    for pool in pools:
        u = pool.try_acquire(pid, prio, near, proc)
        if u >= 0:
            return pool, u
    evs = [pool.request(pid, prio, near, proc) for pool in pools]
    while True:
        try:
            yield env.any_of(evs)
            break
        except simpy.Interrupt:
            continue  # a held unit of the last step was pre-empted: keep waiting for the place
    got: tuple[Pool, int] | None = None
    for pool, ev in zip(pools, evs, strict=True):
        if ev.triggered and got is None:
            got = (pool, cast(int, ev.value))
        else:
            pool.cancel(ev, pid)
    assert got is not None
    return got


def _end_isolation(m: OpsModel, pid: int, iso: tuple[Pool, int] | None) -> None:
    """Give back the isolation or cohort place ``iso`` and write the row of the time it was held."""
    ps = m.patients
    held = ps.isolation[pid]
    if iso is None or held is None:
        return
    m.record_step(pid, ISOLATION_STEP, held.queue_enter, held.start, m.env.now, wait_space=held.wait_space,
                  space=held.space, units=[iso], walk=0.0, walked=0.0, outcome="done")
    iso[0].release(iso[1])
    ps.isolation[pid] = None


def _leave(m: OpsModel, pid: int, outcome: str, boarding: float, iso: tuple[Pool, int] | None) -> None:
    _end_isolation(m, pid, iso)
    m.depart(pid, outcome, boarding)


def patient_process(m: OpsModel, pid: int, first: int = 0, first_left: float | None = None, *,
                    isolate: bool = False) -> Generator[simpy.Event, Any, None]:
    """Take patient ``pid`` through its pathway from step ``first``; records every step.

    ``first_left`` is the remaining time of a first step already under way
    (patients present when the run starts); ``isolate`` flags the patient
    for isolation when the pathway's isolation step ends.
    """
    env = m.env
    proc = env.active_process
    ps = m.patients
    k = ps.pathway[pid]
    pw = m.cpathways[k]
    prio = ps.acuity[pid]
    tmat = m.patient_time.get(pw.mobility) if m.walking else None
    smat, lmat = m.staff_time, m.staff_len
    waits, key0 = m.waits, m.step_key[k]
    loc = ps.loc[pid]
    deadline = env.now + pw.patience() if pw.patience is not None else math.inf
    held: Units = []
    held_since = 0.0
    boarding = 0.0
    steps = pw.steps
    ci = pw.isolation if isolate else None
    iso: tuple[Pool, int] | None = None  # the isolation or cohort place held
    flagged_at = math.nan

    si = first
    while si >= 0:
        st = steps[si]
        if iso is not None and iso[0].loc[iso[1]] >= 0:
            loc = iso[0].loc[iso[1]]  # an isolated patient waits in their room
        elif st.wait >= 0:
            loc = st.wait
        ps.loc[pid] = loc
        ps.activity[pid] = st.wait_label
        q0 = env.now
        wait_space = loc
        if st.limited and first_left is None:
            full = _full_need(st, held, prio)
            if full is not None:
                full.blocked += 1
                m.record_step(pid, st.name, q0, math.nan, q0, wait_space=wait_space, space=-1, units=[],
                              walk=0.0, walked=0.0, outcome="diverted")
                ps.diverted_at[pid] = ps.diverted_at[pid] or st.name
                if st.on_full < 0:
                    _release(held)
                    _leave(m, pid, "diverted", boarding, iso)
                    return
                si = st.on_full
                continue
        if first_left is not None:
            remaining, first_left = first_left, None
        else:
            remaining = st.duration()
        near = st.space if st.space >= 0 else loc
        reused = list(held)
        waits.change(key0 + si, prio, 1, q0)
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
            waits.change(key0 + si, prio, -1, env.now)
            if not ok:
                _release(units)
                _release(held)
                m.record_step(pid, st.name, q0, math.nan, env.now, wait_space=wait_space, space=-1, units=[],
                              walk=0.0, walked=0.0, outcome="reneged")
                _leave(m, pid, "left_without_being_seen", boarding, iso)
                return
            granted = env.now
            if st.ends_target and math.isnan(ps.target[pid]):
                ps.target[pid] = granted - ps.arrival[pid]
            if reused:
                boarding += granted - held_since
            if held:
                _release(held)
                held = []
            dest = st.space
            if ci is not None and si == ci.until and iso is not None:
                _end_isolation(m, pid, iso)
                iso = None
                steps = pw.steps
                if dest < 0:  # out of the room it gave back: a step with no place happens where it waits
                    dest = st.wait
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
                # the scenario's fault (its uses, the building's doors): named by field, and by file
                # once the command line knows it
                raise ScenarioFileError(
                    "<scenario>", f"pathways.{pw.name}.steps[{si}]",
                    f"step {st.name!r}: no route for a {pw.mobility} patient or its staff from "
                    f"{m.space_name(loc)!r} to {m.space_name(dest)!r}; expected doors wide enough "
                    "(a bed needs 1.1 m) and lifts where the mobility cannot take stairs")
            loc = dest
            ps.loc[pid] = loc
            ps.activity[pid] = st.label
            ps.current[pid] = StepInProgress(st.name, q0, granted, wait_space, dest, units)
            for pool, u in units:
                if pool.mobile:
                    ps.device[pid] = f"{pool.name}#{u}"
            try:
                yield env.timeout(walk + remaining)
            except simpy.Interrupt as intr:
                lost = intr.cause
                assert isinstance(lost, Preempted)
                remaining -= max(0.0, env.now - granted - walk)
                m.record_step(pid, st.name, q0, granted, env.now, wait_space=wait_space, space=dest,
                              units=units, walk=walk, walked=walked, outcome="preempted")
                _release_own(units, pid)
                ps.activity[pid] = st.wait_label
                ps.current[pid] = None
                waits.change(key0 + si, prio, 1, env.now)
                continue
            break
        m.record_step(pid, st.name, q0, granted, env.now, wait_space=wait_space, space=loc, units=units,
                      walk=walk, walked=walked, outcome="done")
        ps.device[pid] = None
        ps.current[pid] = None
        if st.hold:
            held = [(p, u) for p, u in units if p.name in st.hold]
            _release([(p, u) for p, u in units if p.name not in st.hold])
            held_since = env.now
        else:
            _release(units)
        if ci is not None and si == ci.after and math.isnan(flagged_at):
            ps.isolated[pid] = True
            steps = pw.iso_steps
            flagged_at, wait_space = env.now, loc
            ps.activity[pid] = "waiting:" + ISOLATION_STEP
            iso = yield from _isolate(m, ci, pid, prio, loc, proc)
            held = [(p, u) for p, u in held if p.holder[u] == pid]
            ps.iso_wait[pid] = env.now - flagged_at
            ps.cohorted[pid] = iso[0] is ci.cohort
            room = iso[0].loc[iso[1]]
            ps.isolation[pid] = StepInProgress(ISOLATION_STEP, flagged_at, env.now, wait_space, room, [iso])
            ps.activity[pid] = ISOLATION_STEP
            if tmat is not None and room >= 0 and loc >= 0:
                walk_in = tmat[loc][room]
                if 0 < walk_in < math.inf:
                    try:
                        yield env.timeout(walk_in)
                    except simpy.Interrupt:  # a held unit was pre-empted on the way: it is gone
                        held = [(p, u) for p, u in held if p.holder[u] == pid]
            if room >= 0:
                loc = room
                ps.loc[pid] = loc
        si = st.choose_next()
    _release(held)
    _leave(m, pid, "discharged", boarding, iso)
