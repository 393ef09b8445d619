"""Evacuation drill page: set up a drill, run it, replay it on the plan, read RSET (and ASET) and risks.

The safety officer's question ("fire in ward 3B at 03:00 with night
staffing: does every patient get past the smoke barrier in time, and who is
at risk?"): start from a shipped drill (night or day occupancy, with or
without a fire), change occupancy, staffing, strategy, time limit and where a
fire starts; run it; replay it level by level (play, pause, scrub, speed),
with smoke once a fire is modelled; and read the evacuated-over-time curve,
RSET per compartment against ASET, and the patients at risk with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import streamlit as st

import scenarios
from agents.occupants import PROFILES
from facility import Facility
from scenarios.errors import ScenarioError
from scenarios.evacuation import EvacuationScenario, check
from scenarios.ui.common import (
    SAMPLE,
    current_facility,
    facility_key,
    facility_label,
    library_scenarios,
    load_facility,
    readable_error,
)
from scenarios.ui.drill import DrillLevers, RoomFill, drill, room_fill
from scenarios.ui.drill_results import at_risk, curve_figure, minutes, rset_table
from scenarios.ui.fire_pick import origin_figure, picked_room
from scenarios.ui.jobs import Job
from scenarios.ui.playback import Playback, Smoke, plan_picture
from scenarios.ui.player import Request, Source, part_payload, run_id, show_player
from scenarios.ui.run_panel import STALE_NOTE, follow, launch, matches
from scenarios.ui.stored import summary, table, tables_of

__all__ = ["page"]

#: Typical wall time (s) of the shipped night drill, to pace its progress bar.
TYPICAL_S = 35.0
MODES = ("progressive", "full", "horizontal")
POLICIES = ("most_dependent", "nearest", "by_ward")
LIFTS = ("all", "evacuation", "none")
GROWTH = ("slow", "medium", "fast", "ultrafast")
#: Longest run name (the scenario schema's limit).
MAX_NAME = 120
#: Staff per room with beds in a room-by-room drill: what one bed patient needs to be moved.
BED_STAFF = max(p.staff_needed for p in PROFILES.values())
WHO = ("The drill's occupancy", "An operations day at a time", "People in every room (any building)")


def _mean(summary_: dict[str, Any], key: str) -> float:
    v = summary_.get(key)
    if isinstance(v, dict) and v.get("mean") is not None:
        return float(v["mean"])
    return math.nan


def _fire_rooms(facility: Facility, first: list[str]) -> list[str]:
    """Rooms a fire may start in: those of the compartments evacuated first come first, beds first."""
    rooms = [s for s in facility.spaces if s.kind.value == "room"]
    rooms.sort(key=lambda s: (s.compartment not in first, s.beds == 0, s.id))
    return [s.id for s in rooms]


def _misfit(sc: EvacuationScenario, facility: Facility) -> str | None:
    """Why drill ``sc`` cannot run in ``facility`` (named by the drill, not by a file), or ``None``."""
    try:
        check(sc.model_copy(update={"source": f"drill {sc.name}"}), facility)
    except ScenarioError as exc:
        return str(exc)
    return None


def _room_fill(facility: Facility) -> RoomFill:
    c1, c2 = st.columns(2)
    people = c1.number_input("People in every room without beds", 0, 50, 2, 1, key="evac_per_room",
                             help="ambulant occupants (visitors, outpatients, office staff)")
    staff = c2.number_input("Staff in every room with beds", 0, 20, BED_STAFF, 1, key="evac_per_ward",
                            disabled=facility.total_beds == 0,
                            help="the beds are filled with the drill's patient mix at its occupancy")
    return room_fill(facility, int(people), int(staff))


def _drill_name(base: EvacuationScenario, facility: Facility, *, fire: bool, rooms: bool) -> str:
    """The run's name in the history: the shipped drill, and the building and occupancy if not its own."""
    name = base.name + (" fire" if fire else "")
    if facility_key() != SAMPLE:
        name += f" in {facility.name}"
    name += " - people in every room" if rooms else ""
    # a run's name holds letters, digits, spaces and _ . - only (it names the run's folder)
    return re.sub(r"[^A-Za-z0-9_. -]+", " ", name)[:MAX_NAME].strip()


def _setup(facility: Facility) -> EvacuationScenario | None:
    lib = library_scenarios("evacuation")
    names = list(lib)
    night = "sample_hospital_night_evacuation"
    default = names.index(night) if night in names else 0
    name = st.selectbox("Starting state", names, index=default, key="evac_base",
                        help="a shipped drill: who is in the building at the alarm, staffing, strategy")
    base = scenarios.load(lib[name])
    assert isinstance(base, EvacuationScenario)
    misfit = _misfit(base, facility)
    # A drill's description names its own building's places: on another building, say so.
    st.caption(base.description if misfit is None else f"As written for its own building: {base.description}")
    who = st.radio("Who is in the building at the alarm", WHO, horizontal=True, key="evac_who",
                   index=0 if misfit is None else 2)
    if who == WHO[0] and misfit is not None:
        st.warning(f"This drill was written for another building ({misfit}): place people in every "
                   "room instead, or open the building it was written for.")
    elif misfit is not None:
        st.caption(f"{facility.name} is not the building this drill was written for: its strategy and "
                   "staffing are kept, its people are placed as chosen here.")
    fill = _room_fill(facility) if who == WHO[2] else None
    from_ops: tuple[str, str] | None = None
    if who == WHO[1]:
        ops = library_scenarios("operations")
        o1, o2 = st.columns(2)
        names = list(ops)
        week = names.index("sample_hospital_week") if "sample_hospital_week" in names else 0
        day = o1.selectbox("Operations scenario", names, key="evac_ops", index=week)
        clock = o2.time_input("Time of its first day", value=dt.time(14, 0), key="evac_clock",
                              step=dt.timedelta(minutes=15))
        from_ops = (ops[day], clock.strftime("%H:%M"))
    c1, c2, c3, c4 = st.columns(4)
    occupancy = c1.slider("Bed occupancy (% of the drill's)", 0, 150, 100, 5, key="evac_occupancy",
                          disabled=from_ops is not None)
    staff = c2.slider("Staff on duty (% of the drill's)", 0, 300, 100, 10, key="evac_staff",
                      disabled=from_ops is not None)
    limit = c3.number_input("Time limit (min)", 5, 240, int(base.max_time // 60), 5, key="evac_limit")
    comps = sorted(facility.compartments)
    # a drill's fire compartments may not exist here: then everyone leaves the building
    usable = base.strategy.mode if any(c in comps for c in base.strategy.fire_compartments) else "full"
    mode = c4.selectbox("Strategy", MODES, index=MODES.index(usable), key="evac_mode")
    c1, c2, c3, c4 = st.columns(4)
    fire_comps = c1.multiselect("Compartments evacuated first", comps, key="evac_fire_comps",
                                default=[c for c in base.strategy.fire_compartments if c in comps])
    policy = c2.selectbox("Staff go first to", POLICIES, index=POLICIES.index(base.strategy.policy),
                          key="evac_policy", format_func=lambda p: p.replace("_", " "))
    lifts = c3.selectbox("Lifts used", LIFTS, index=LIFTS.index(base.strategy.lifts), key="evac_lifts")
    after = base.strategy.vertical_after
    vertical = c4.number_input("Vertical phase after (min)", 0, 240,
                               int(after // 60) if after is not None else 15, 1, key="evac_vertical",
                               disabled=mode != "progressive")
    rooms = _fire_rooms(facility, fire_comps)
    names_of = {s.id: f"{s.name} ({s.id})" if s.name else s.id for s in facility.spaces}
    base_fire = base.hazard.fire.origin if base.hazard is not None and base.hazard.fire is not None else None
    c1, c2, c3 = st.columns([1, 3, 2])
    fire = c1.toggle("Fire", value=base_fire is not None and base_fire in rooms, key="evac_fire")
    origin = c2.selectbox("Fire starts in", rooms, key="evac_origin", disabled=not fire,
                          index=rooms.index(base_fire) if base_fire in rooms else 0,
                          format_func=names_of.__getitem__,
                          help="the smoke and its ASET come from the fire model (docs/hazards.md)")
    growth = c3.selectbox("Fire growth (t²)", GROWTH, index=1, key="evac_growth", disabled=not fire)
    if fire and rooms:
        _origin_on_plan(facility, rooms, origin)
    levers = DrillLevers(occupancy=occupancy / 100.0, staff=staff / 100.0, mode=mode,
                         fire_compartments=tuple(fire_comps), policy=policy, lifts=lifts,
                         vertical_after_min=float(vertical) if mode == "progressive" else None,
                         max_minutes=float(limit), fire_origin=origin if fire else None,
                         growth=growth, facility=facility_label(facility_key()), from_operations=from_ops,
                         rooms=fill)
    try:
        name = _drill_name(base, facility, fire=fire and not base_fire, rooms=fill is not None)
        sc = drill(base, levers, name)
        if not fire and sc.hazard is not None:
            sc = type(sc).model_validate({**sc.model_dump(), "hazard": None, "source": sc.source})
    except Exception as exc:  # the page boundary
        st.error(readable_error(exc))
        return None
    if (why := _misfit(sc, facility)) is not None:  # said now, not after a run is started
        st.error(f"Cannot run this drill: {why}")
        return None
    return sc


def _pick_origin(rooms: list[str]) -> None:
    """Chart callback: the room clicked on the plan becomes the fire's origin in the list above."""
    event = st.session_state.get("fire_pick") or {}
    room = picked_room(event.get("selection"), rooms)
    if room is not None:
        st.session_state["evac_origin"] = room


def _origin_on_plan(facility: Facility, rooms: list[str], origin: str) -> None:
    with st.expander("Pick the room on the plan instead", expanded=False):
        levels = [lv.id for lv in facility.levels if any(facility.space(r).level == lv.id for r in rooms)]
        here = facility.space(origin).level
        level = st.selectbox("Level of the plan", levels, key="fire_pick_level",
                             index=levels.index(here) if here in levels else 0,
                             format_func=lambda x: f"{x} {facility.level(x).name}")
        st.plotly_chart(origin_figure(_picture(facility_key(), level), facility, level, rooms, origin),
                        key="fire_pick", on_select=lambda: _pick_origin(rooms), selection_mode="points",
                        config={"displayModeBar": False})
        st.caption("Click a room's marker: it becomes the room where the fire starts (hover for its name).")


@st.cache_resource(max_entries=4, show_spinner="Preparing the playback...")
def _playback(path: str) -> Playback:
    return Playback.build(table(path, "trajectories").query("replication == 0"),
                          table(path, "agents").query("replication == 0"))


@st.cache_resource(max_entries=4, show_spinner=False)
def _smoke(path: str) -> Smoke:
    return Smoke.build(table(path, "hazard_maps"))


@st.cache_resource(max_entries=16, show_spinner="Drawing the plan...")
def _picture(fkey: str, level: str) -> tuple[str, tuple[float, float, float, float]]:
    return plan_picture(load_facility(fkey), level)


def _first_level(path: str, facility: Facility, levels: list[str]) -> str:
    """The level to show first: that of the first compartment evacuated first, else the first level."""
    import yaml

    from scenarios.ui.stored import scenario_text

    data = yaml.safe_load(scenario_text(path)) or {}
    first = ((data.get("strategy") or {}).get("fire_compartments") or [None])[0]
    ids = facility.compartments.get(first or "", ())
    level = facility.space(ids[0]).level if ids else levels[0]
    return level if level in levels else levels[0]


@st.cache_resource(max_entries=4, show_spinner=False)
def _source(path: str, fkey: str, hazard: bool) -> Source:
    """What the player's parts of the drill at ``path`` are made from (built once per drill)."""
    pb = _playback(path)
    facility = load_facility(fkey)
    known = {lv.id: lv.name for lv in facility.levels}
    levels = [lv for lv in known if lv in pb.levels] or list(pb.levels)
    return Source(run=run_id(path), playback=pb, facility=facility,
                  levels=tuple((lv, f"{lv} {known.get(lv, '')}".strip()) for lv in levels),
                  start_level=_first_level(path, facility, levels),
                  picture=lambda level: _picture(fkey, level), smoke=_smoke(path) if hazard else None)


@st.cache_resource(max_entries=24, show_spinner=False)
def _part(path: str, fkey: str, hazard: bool, request: Request) -> bytes:
    """One part as sent to the player, kept so replaying or going back costs nothing."""
    return part_payload(_source(path, fkey, hazard), request)


@st.fragment
def _player(path: str, hazard: bool) -> None:
    """The player; a part it asks for reruns only this fragment."""
    fkey = facility_key()
    source = _source(path, fkey, hazard)
    show_player(source, lambda r: _part(path, fkey, hazard, r))


def _playback_panel(path: str, hazard: bool) -> None:
    if "trajectories" not in tables_of(path):
        st.info("This drill was run without trajectories: nothing to replay.")
        return
    _player(path, hazard)
    st.caption("Play, pause, the time slider, the level and the speed run in your browser; it asks for the "
               "next part of the drill while one plays, and moves people smoothly between the seconds "
               "recorded." + (" Smoke-logged spaces are shaded grey, untenable ones dark." if hazard else ""))


def _results(job: Job) -> None:
    path = str(job.run_dir)
    s = summary(path)
    have = tables_of(path)
    hazard = "hazard_maps" in have
    total = int(_mean(s, "total"))
    st.subheader("Results")
    m = st.columns([2, 1, 1, 1, 1, 1])
    m[0].metric("RSET (everyone safe)", minutes(_mean(s, "rset_s")),
                help="from the alarm until the last person is safe; 'not all safe' when someone is still "
                     "inside at the end (a horizontal move leaves the other compartments in place)")
    m[1].metric("evacuated", f"{int(_mean(s, 'evacuated')):,} of {total:,}")
    m[2].metric("in a refuge", f"{int(_mean(s, 'in_refuge')):,}")
    m[3].metric("still inside", f"{int(_mean(s, 'remaining')):,}")
    m[4].metric("stranded", f"{int(_mean(s, 'stranded')):,}")
    m[5].metric("ventilators run out", f"{int(_mean(s, 'ventilators_run_out')):,}")
    if hazard:
        h = st.columns(4)
        h[0].metric("first space untenable", minutes(_mean(s, "first_untenable_s")))
        h[1].metric("spaces untenable", f"{int(_mean(s, 'spaces_untenable')):,}")
        h[2].metric("people safe after their ASET", f"{int(_mean(s, 'negative_margin') or 0):,}")
        h[3].metric("patients over the smoke dose limit", f"{int(_mean(s, 'fed_exceeded_patients') or 0):,}")
    tabs = st.tabs(["Playback", "Evacuated over time", "RSET per compartment", "Patients at risk"])
    with tabs[0]:
        _playback_panel(path, hazard)
    with tabs[1]:
        st.plotly_chart(curve_figure(table(path, "evacuated_over_time").query("replication == 0")),
                        key="evac_curve")
    with tabs[2]:
        agents = table(path, "agents").query("replication == 0")
        st.dataframe(rset_table(s, table(path, "aset_rset") if "aset_rset" in have else None, agents),
                     hide_index=True, key="evac_rset")
        st.caption("RSET: from the alarm to the moment the last person who started in the compartment "
                   "was safe. ASET: when the compartment first became untenable (outside the room of "
                   "origin); a negative margin means people were still there when it did.")
    with tabs[3]:
        risks = at_risk(table(path, "agents"), table(path, "people") if "people" in have else None)
        st.dataframe(risks, hide_index=True, key="evac_risks")


def page() -> None:
    """Draw the Evacuation drill page."""
    facility = current_facility()
    st.title("Evacuation drill")
    sc = _setup(facility)
    if sc is None:
        return
    if st.button("Run the drill", type="primary", key="evac_run"):
        launch("evac", [("drill", sc)])
    jobs = follow("evac", typical_s=TYPICAL_S)
    if jobs is not None:
        if not matches("evac", [("drill", sc)]):
            st.info(STALE_NOTE)
        _results(jobs[0])
