"""Starting runs from a page, following them with progress, and cancelling them.

A page hands :func:`launch` its scenarios; :func:`follow` then shows one
progress bar per run and a Cancel button, polling the workers a few times a
second, and returns the finished runs once all are done.  While a model runs
it also shows live figures from it: the simulated time reached and, in a
drill, the people safe so far (from the worker's status, see
:mod:`scenarios.ui.worker`).  While it polls, any
click on the page interrupts the polling (Streamlit reruns the page), so the
page never blocks; the runs carry on in their workers and the next
:func:`follow` picks them up again.  Cancel ends the workers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import streamlit as st

from scenarios.ui.common import results_root
from scenarios.ui.jobs import Job, Status, cancel, run_folder, start, status
from scenarios.ui.messages import without_paths

if TYPE_CHECKING:
    from scenarios.base import ScenarioBase

__all__ = ["POLL_S", "STALE_NOTE", "clear", "clock", "follow", "launch", "live_figures", "matches"]

#: Seconds between two looks at the workers' status files.
POLL_S = 0.25
#: Never claim more than this share of an unmeasurable run is done.
MAX_GUESS = 0.95


def _key(name: str) -> str:
    return f"jobs_{name}"


def launch(name: str, runs: Sequence[tuple[str, ScenarioBase]]) -> None:
    """Start (or find in the store) each ``(label, scenario)`` of ``runs`` under ``name``."""
    clear(name)
    root = results_root()
    st.session_state[_key(name)] = [start(root, sc, label) for label, sc in runs]


def matches(name: str, runs: Sequence[tuple[str, ScenarioBase]]) -> bool:
    """Whether the runs under ``name`` are exactly ``runs`` (the page's current settings)."""
    jobs: list[Job] = st.session_state.get(_key(name)) or []
    root = results_root()
    return [j.run_dir for j in jobs] == [run_folder(root, sc) for _, sc in runs]


def clear(name: str) -> None:
    """Forget (and stop) the runs under ``name``."""
    for job in st.session_state.pop(_key(name), []) or []:
        cancel(job)


def _cancel_all(name: str) -> None:
    for job in st.session_state.get(_key(name), []) or []:
        cancel(job)


def _unit(seconds: float) -> tuple[float, str]:
    """The unit a span of simulated time reads best in: minutes for a drill, hours or days for operations."""
    if seconds <= 4 * 3600:
        return 60.0, "min"
    if seconds <= 2 * 86400:
        return 3600.0, "h"
    return 86400.0, "days"


def clock(seconds: float, end_s: float | None = None) -> str:
    """Simulated time in the unit that suits ``end_s`` (default: ``seconds`` itself).

    >>> clock(750.0), clock(750.0, 7 * 86400.0), clock(3.5 * 86400.0)
    ('12.5 min', '0.0 days', '3.5 days')
    """
    size, name = _unit(seconds if end_s is None else end_s)
    return f"{seconds / size:.1f} {name}"


def live_figures(s: Status) -> list[tuple[str, str]]:
    """(label, value) of what a running model has reported so far; empty before its first report.

    >>> live_figures(Status("running", 0, 1, 9.0, sim_s=390.0, end_s=7200.0, safe=23, people=154))
    [('simulated time', '6.5 of 120 min'), ('people safe', '23 of 154')]
    >>> live_figures(Status("running", 0, 1, 9.0, sim_s=390.0, end_s=7200.0, safe=23, people=154,
    ...                     out=5, in_refuge=18))[1:]
    [('people safe', '23 of 154'), ('out of the building', '5'), ('in a refuge', '18')]
    """
    if s.state != "running" or s.sim_s is None or s.end_s is None:
        return []
    size, name = _unit(s.end_s)
    out = [("simulated time", f"{s.sim_s / size:.1f} of {s.end_s / size:.0f} {name}")]
    if s.safe is not None and s.people is not None:
        out.append(("people safe", f"{s.safe:,} of {s.people:,}"))
    if s.out is not None and s.in_refuge is not None:
        # Safe also counts people who reached a refuge and move on from it: say where they are now.
        out += [("out of the building", f"{s.out:,}"), ("in a refuge", f"{s.in_refuge:,}")]
    if s.total > 1:
        out.append(("replications done", f"{s.done} of {s.total}"))
    return out


def _text(job: Job, typical_s: float | None) -> tuple[float, str]:
    s = status(job)
    if s.state == "starting":
        return 0.0, f"{job.label}: starting the model ({s.elapsed_s:.0f} s)"
    if s.state == "running" and s.sim_s is not None and s.end_s:
        total = max(s.total, 1)
        frac = min(1.0, (s.done + min(1.0, s.sim_s / s.end_s)) / total)
        which = f"replication {(s.replication or 0) + 1} of {total}, " if total > 1 else ""
        return frac, f"{job.label}: {which}{clock(s.sim_s, s.end_s)} simulated ({s.elapsed_s:.0f} s)"
    if s.state == "running" and s.total > 1:
        return s.done / s.total, f"{job.label}: {s.done} of {s.total} replications ({s.elapsed_s:.0f} s)"
    if s.state == "running":
        guess = min(MAX_GUESS, s.elapsed_s / typical_s) if typical_s else 0.0
        typical = f", typically about {typical_s:.0f} s" if typical_s else ""
        return guess, f"{job.label}: running for {s.elapsed_s:.0f} s{typical}"
    return 1.0, f"{job.label}: {s.state}"


def follow(name: str, *, typical_s: float | None = None) -> list[Job] | None:
    """Show the runs under ``name`` until they finish; the finished jobs, or None.

    Args:
        name: What :func:`launch` was given.
        typical_s: Typical wall time of one run, to pace a single-replication
            run's bar (it cannot report finer progress than done / not done).
    """
    jobs: list[Job] | None = st.session_state.get(_key(name))
    if not jobs:
        return None
    if not all(status(j).finished for j in jobs):
        box = st.container(border=True)
        box.button("Cancel", key=f"cancel_{name}", on_click=_cancel_all, args=(name,),
                   help="stop these runs; nothing is written to the results store for them")
        bars = [box.progress(0.0, text=f"{j.label}: starting") for j in jobs]
        lives = [box.empty() for _ in jobs]
        shown: list[list[tuple[str, str]]] = [[] for _ in jobs]
        while True:
            for k, (bar, job) in enumerate(zip(bars, jobs, strict=True)):
                frac, text = _text(job, typical_s)
                bar.progress(frac, text=text)
                figures = live_figures(status(job))
                if figures and figures != shown[k]:  # redrawn only when the model reports again
                    shown[k] = figures
                    _draw_live(lives[k], job.label if len(jobs) > 1 else "", figures)
            if all(status(j).finished for j in jobs):
                break
            time.sleep(POLL_S)
        st.rerun()
    finals = [(j, status(j)) for j in jobs]
    for j, s in finals:
        if s.state == "failed":
            st.error(f"{j.label} failed: {without_paths(s.message)}")
        elif s.state == "cancelled":
            st.info(f"{j.label} was cancelled.")
    if all(s.state == "done" for _, s in finals):
        return jobs
    return None


def _draw_live(slot: Any, label: str, figures: list[tuple[str, str]]) -> None:
    with slot.container():
        for col, (name, value) in zip(st.columns(len(figures)), figures, strict=True):
            col.metric(f"{label}: {name}" if label else name, value,
                       help="reported by the running model; the results follow when it ends")


STALE_NOTE = ("The results below are not for the settings above (they were run before the settings "
              "changed, or opened from the results history): press Run to see the current ones.")
