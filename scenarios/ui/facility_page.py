"""Facility page: the building level by level, its spaces, and routes through it.

What a planner or safety officer checks before trusting any simulation on this
building: the plan of each level (hover a space for its use, beds and smoke
compartment), the headline counts, the list of spaces, and how long it takes
a given kind of mover (staff, walking patient, wheelchair, bed) to go from
one space to another.  Everything shown comes from :mod:`facility`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from facility import MOBILITIES, Facility, Route, RoutingError, route
from facility.plot import plan_figure_plotly
from scenarios.ui.common import current_facility

_COUNTS = ("levels", "spaces", "beds", "doors", "smoke_doors", "exits", "stairs", "lifts", "compartments")


def spaces_table(facility: Facility, level: str | None, uses: list[str]) -> pd.DataFrame:
    """One row per space (on ``level``, or all levels for ``None``), filtered by use."""
    rows = [
        {"id": s.id, "name": s.name, "level": s.level, "use": s.use or "", "kind": s.kind.value,
         "beds": s.beds, "compartment": s.compartment or "", "area_m2": round(s.area, 1),
         "air_changes": s.air_changes, "occupied": s.occupied}
        for s in facility.spaces
        if (level is None or s.level == level) and (not uses or s.use in uses)
    ]
    return pd.DataFrame(rows, columns=["id", "name", "level", "use", "kind", "beds", "compartment",
                                       "area_m2", "air_changes", "occupied"])


def compartments_table(facility: Facility) -> pd.DataFrame:
    """One row per smoke compartment: level, area, beds, and the NFPA 101 area limit check."""
    rows = []
    for comp, ids in sorted(facility.compartments.items()):
        spaces = [facility.space(s) for s in ids]
        area = sum(s.area for s in spaces)
        rows.append({"compartment": comp, "level": spaces[0].level, "area_m2": round(area, 1),
                     "beds": sum(s.beds for s in spaces), "spaces": len(spaces),
                     "within_2100_m2": area <= 2100.0})
    return pd.DataFrame(rows, columns=["compartment", "level", "area_m2", "beds", "spaces",
                                       "within_2100_m2"])


def _default_index(ids: list[str], facility: Facility, use: str, fallback: int) -> int:
    found = facility.spaces_with_use(use)
    return ids.index(found[0].id) if found else min(fallback, len(ids) - 1)


def _find_route(facility: Facility) -> None:
    """Button callback: runs before the page so the plan drawn below shows the route."""
    a, b = st.session_state["route_from"], st.session_state["route_to"]
    mobility = MOBILITIES[st.session_state["route_mobility"]]
    try:
        found = route(facility, a, b, mobility=mobility)
        st.session_state["route"] = found
        st.session_state["route_error"] = None
        st.session_state["level"] = facility.space(a).level  # show where the route starts
    except RoutingError as exc:
        st.session_state["route"] = None
        st.session_state["route_error"] = str(exc)


def _route_levels(facility: Facility, r: Route) -> list[str]:
    levels: list[str] = []
    for node in r.nodes:
        lv = facility.graph.nodes[node].get("level")
        if lv is not None and (not levels or levels[-1] != lv):
            levels.append(lv)
    return levels


def _summary(facility: Facility) -> None:
    counts = facility.summary()
    cols = st.columns(len(_COUNTS))
    for col, key in zip(cols, _COUNTS, strict=True):
        col.metric(key.replace("_", " "), counts[key])


def _route_explorer(facility: Facility) -> None:
    st.subheader("Route explorer")
    ids = [s.id for s in facility.spaces]
    names = {s.id: f"{s.id} - {s.name}" if s.name else s.id for s in facility.spaces}
    c1, c2, c3, c4 = st.columns([3, 3, 2, 1], vertical_alignment="bottom")
    c1.selectbox("From", ids, index=_default_index(ids, facility, "ed_triage", 0),
                 format_func=names.__getitem__, key="route_from")
    c2.selectbox("To", ids, index=_default_index(ids, facility, "ct", 1),
                 format_func=names.__getitem__, key="route_to")
    c3.selectbox("Mobility", list(MOBILITIES), key="route_mobility",
                 help="bed and wheelchair never use stairs and need wide enough doors and a lift")
    c4.button("Find route", on_click=_find_route, args=(facility,), type="primary")
    error = st.session_state.get("route_error")
    r: Route | None = st.session_state.get("route")
    if error:
        st.warning(error)
    elif r is not None:
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("length", f"{r.length:.1f} m")
        m2.metric("time", f"{r.time / 60:.1f} min", help="unimpeded, lift waits not included")
        m3.metric("lifts", ", ".join(r.lifts) or "none")
        m4.metric("stairs", ", ".join(r.stairs) or "none")
        st.caption(f"{r.mobility}: {r.nodes[0]} to {r.nodes[-1]} through "
                   f"{' -> '.join(_route_levels(facility, r))}, {len(r.doors)} doors; "
                   "the plan above draws the part on the selected level.")


def page() -> None:
    facility = current_facility()
    st.title("Facility")
    st.caption(f"{facility.name}: {len(facility.levels)} levels, {facility.total_beds} beds. Hover a "
               "space for its use, beds and smoke compartment.")
    _summary(facility)
    level_ids = [lv.id for lv in facility.levels]
    level = st.selectbox("Level", level_ids, key="level",
                         format_func=lambda lid: f"{lid} {facility.level(lid).name}")
    r: Route | None = st.session_state.get("route")
    if r is not None and not set(r.nodes) <= set(facility.graph.nodes):
        r = None  # a route from another facility (the file changed)
    st.plotly_chart(plan_figure_plotly(facility, level, route=r), key="plan")
    _route_explorer(facility)
    st.subheader("Spaces")
    uses = st.multiselect("Filter by use", sorted(facility.uses), key="uses")
    everywhere = st.toggle("All levels", value=False, key="all_levels")
    table = spaces_table(facility, None if everywhere else level, uses)
    st.dataframe(table, hide_index=True)
    st.caption(f"{len(table)} spaces, {int(table['beds'].sum())} beds")
    with st.expander("Smoke compartments (NFPA 101: at most 2,100 m² each, at least 2 per bed floor)"):
        st.dataframe(compartments_table(facility), hide_index=True, key="compartments")


page()
