"""Facility page: the building level by level, where it comes from, routes through it, and edits.

What a planner or safety officer checks before trusting any simulation on
this building: where the facility came from (the sample, an uploaded facility
file, or a scan extracted here), the plan of each level with room and
compartment names, the headline counts, the spaces, how long a given kind of
mover takes from one space to another (and why it cannot), and a few edits
(a door's width or closure, a space's use, beds in a ward) saved as a
facility variant that every other page then runs on.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import streamlit as st

from facility import MOBILITIES, Facility, Route, RoutingError, dumps, route, validate
from scenarios.ui import upload_store
from scenarios.ui.common import (
    SAMPLE,
    current_facility,
    facility_key,
    keep_facility,
    known_facilities,
    load_facility,
    plural,
    readable_error,
    scans_root,
)
from scenarios.ui.edits import close_door, edits_of, set_beds, set_door_width, set_use
from scenarios.ui.html_block import html_block
from scenarios.ui.html_table import html_figures, html_table
from scenarios.ui.plan_svg import plan_svg
from scenarios.ui.plans import route_levels
from scenarios.ui.routes import explain_no_route
from scenarios.ui.scan_upload import failure, received, scan_uploader
from scenarios.ui.uploads import SCAN_SUFFIXES, extract_scan, facility_from_bytes, scan_files, scan_to_file

__all__ = ["compartments_html", "compartments_table", "facility_warnings", "level_plan", "page", "show_plan",
           "show_table", "spaces_html", "spaces_table"]

_COUNTS = ("levels", "spaces", "beds", "doors", "smoke_doors", "exits", "stairs", "lifts", "compartments")
SOURCES = ("Sample hospital", "Facility file", "LiDAR scan")


def spaces_table(facility: Facility, level: str | None, uses: list[str]) -> pd.DataFrame:
    """One row per space (on ``level``, or all levels for ``None``), filtered by use."""
    rows = [
        {"name": s.name or s.id, "id": s.id, "level": s.level, "use": s.use or "", "kind": s.kind.value,
         "beds": s.beds, "compartment": s.compartment or "", "area_m2": round(s.area, 1),
         "air_changes": s.air_changes, "occupied": s.occupied}
        for s in facility.spaces
        if (level is None or s.level == level) and (not uses or s.use in uses)
    ]
    return pd.DataFrame(rows, columns=["name", "id", "level", "use", "kind", "beds", "compartment",
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


@st.cache_resource(max_entries=32, show_spinner=False)
def level_plan(fkey: str, level: str) -> str:
    """The plan of a level without a route (an SVG block), built once per facility and level."""
    return plan_svg(load_facility(fkey), level)


@st.cache_resource(max_entries=64, show_spinner=False)  # strs: shared, never copied
def spaces_html(fkey: str, level: str | None, uses: tuple[str, ...]) -> tuple[str, int, int]:
    """The spaces table of ``fkey`` as HTML with its counts of spaces and beds, built once per filter."""
    table = spaces_table(load_facility(fkey), level, list(uses))
    return html_table(table), len(table), int(table["beds"].sum())


@st.cache_resource(max_entries=16, show_spinner=False)
def compartments_html(fkey: str) -> str:
    """The compartments table of ``fkey`` as HTML, built once per facility."""
    return html_table(compartments_table(load_facility(fkey)))


@st.cache_resource(max_entries=16, show_spinner=False)
def facility_warnings(fkey: str) -> tuple[str, ...]:
    """The validation warnings of ``fkey`` (what ``medtwin facility validate`` prints), once per facility.

    A facility with errors never opens, but its warnings (a bed that cannot leave its floor,
    a compartment over 2,100 m², a storey whose only way out is an ordinary lift) were shown
    nowhere in the app: the safety officer who opened the building never saw them.
    """
    return tuple(f"{i.element}: {i.message}" for i in validate(load_facility(fkey)) if i.severity != "error")


@st.cache_resource(max_entries=16, show_spinner=False)  # a str: shared, never copied
def facility_text(fkey: str) -> str:
    """The facility file of ``fkey`` as downloaded (written once per facility, not on every rerun)."""
    return dumps(load_facility(fkey))


def show_plan(plan: str) -> None:
    """Draw a plan made by :func:`scenarios.ui.plan_svg.plan_svg`.

    An inline SVG rather than a Plotly chart: the browser draws it at once, where a chart
    first loads a 4.7 MB plotting library (seconds on a small machine, on the first page).
    """
    html_block(plan)


def show_table(table: pd.DataFrame, *, grid: bool, key: str) -> None:
    """Draw ``table``: as plain HTML, or as Streamlit's interactive grid when ``grid`` is asked for.

    The grid's script (about 1.2 MB) is loaded only when a user wants to sort or search, so
    it does not delay the landing page (see :mod:`scenarios.ui.html_table`).
    """
    if grid:
        st.dataframe(table, hide_index=True, key=key)
    else:
        html_block(html_table(table))


def _use_facility(facility: Facility, source: str | None = None) -> None:
    """Make ``facility`` the session's building (saved under the store, named by content)."""
    st.session_state["facility_path"] = str(keep_facility(facility, source))
    st.session_state.pop("route_result", None)
    st.session_state.pop("level", None)


def _opened(label: str, key: str) -> bool:
    """A panel drawn only once asked for (a toggle), its widgets inside a bordered box.

    Not an expander: a collapsed expander still draws every widget in it, and the landing page
    then waits for each kind's script (radio buttons, uploaders, number inputs) before it is done.
    """
    return st.toggle(label, key=key)


def _source_panel() -> None:
    if not _opened("Open another building: the sample, a facility file or a scan", "open_source"):
        return
    with st.container(border=True):
        source = st.radio("Source", SOURCES, horizontal=True, key="source")
        if source == SOURCES[0]:
            if st.button("Use the sample hospital", key="use_sample"):
                st.session_state["facility_path"] = SAMPLE
                st.session_state.pop("route_result", None)
                st.rerun()
        elif source == SOURCES[1]:
            up = st.file_uploader("Facility file (medtwin JSON or GeoJSON)", type=["json", "geojson"],
                                  key="facility_upload")
            if up is not None and st.session_state.get("facility_upload_done") != up.file_id:
                try:
                    with st.spinner(f"Reading {up.name}..."):
                        fac = facility_from_bytes(up.name, up.getvalue())
                except Exception as exc:  # the page boundary
                    st.error(f"Cannot open {up.name}: {readable_error(exc)}")
                else:
                    st.session_state["facility_upload_done"] = up.file_id
                    _use_facility(fac, up.name)
                    st.rerun()
        else:
            _scan_panel()


SCAN_FROM = ("Upload from this computer", "A scan in the app's scan folder")


def _upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def _scan_panel() -> None:
    source = st.radio("Scan from", SCAN_FROM, horizontal=True, key="scan_from")
    server = upload_store.current()
    if source == SCAN_FROM[0] and server is not None:
        _streamed_upload(server)
    elif source == SCAN_FROM[0]:
        st.caption(f"Uploads are limited to {_upload_limit_mb():,} MB, and the server holds an upload "
                   f"whole in memory while it arrives. For a larger scan, put it in the scan folder "
                   f"({scans_root()}) and open it from there.")
        up = st.file_uploader(f"Scan ({', '.join('.' + s for s in SCAN_SUFFIXES)})", type=list(SCAN_SUFFIXES),
                              key="scan_upload")
        if up is not None and st.button("Extract the facility", key="extract", type="primary"):
            path = scan_to_file(up, up.name)
            try:
                _extract(path, up.name)
            finally:
                path.unlink(missing_ok=True)
    else:
        found = scan_files(scans_root())
        st.caption(f"Scans in {scans_root()} are read from where they lie, in chunks: any size. "
                   "Start the app with --scans DIR to use another folder.")
        if not found:
            st.info(f"No scan in {scans_root()} (formats: {', '.join('.' + s for s in SCAN_SUFFIXES)}).")
        else:
            sizes = {p.name: p.stat().st_size / 1e6 for p in found}
            name = st.selectbox("Scan", list(sizes), key="scan_file",
                                format_func=lambda n: f"{n} ({sizes[n]:,.1f} MB)")
            if st.button("Extract the facility", key="extract_file", type="primary"):
                _extract(scans_root() / name, name)
    _extraction_preview()


def _streamed_upload(server: upload_store.UploadStore) -> None:
    """A scan streamed by the browser to the app's upload route, then extracted and deleted."""
    st.caption(f"The scan is streamed to a file on the server (up to "
               f"{upload_store.MAX_UPLOAD_BYTES / 1e9:,.0f} GB), never held whole in memory, and deleted "
               "once extracted. A transfer cut off resumes where it stopped; picking the same file again "
               "resumes it too, also from another tab or after the server restarted.")
    scan_uploader(server, SCAN_SUFFIXES, str(st.session_state.get("upload_url", "")))
    got = received(server)
    if got is not None:
        _forget_received()
        st.session_state["scan_received"] = (got.name, str(got.path), got.size)
    why = failure()
    if why:
        st.error(f"Cannot upload the scan: {why}")
    held = st.session_state.get("scan_received")
    if held is None or not Path(held[1]).exists():
        return
    name, path, size = held
    st.caption(f"Received {name} ({size / 1e6:,.1f} MB).")
    if st.button("Extract the facility", key="extract_stream", type="primary"):
        try:
            _extract(Path(path), name)
        finally:
            _forget_received()


def _forget_received() -> None:
    """Delete the scan received last (extracted, or replaced by a newer one)."""
    held = st.session_state.pop("scan_received", None)
    if held is not None:
        Path(held[1]).unlink(missing_ok=True)


def _extract(path: Path, name: str) -> None:
    """Extract a facility from the scan at ``path`` with its stages shown; keep it for the preview."""
    try:
        with st.status(f"Extracting {name}...", expanded=True) as status:
            def progress(stage: str, done: int, total: int) -> None:
                status.update(label=f"Extracting {name}: {stage}" + (" done" if done == total else "..."))
                if done == total:
                    st.write(f"stage {stage} done")

            extraction = extract_scan(path, name, progress)
            status.update(label=f"Extracted {name}", state="complete", expanded=False)
    except Exception as exc:  # the page boundary
        # the reader names the file it read: the user's name for it, not a temporary path on the server
        st.error(f"Cannot extract a facility from {name}: {readable_error(exc).replace(str(path), name)}")
        return
    st.session_state["extraction"] = (name, extraction.facility, list(extraction.report.warnings))


def _extraction_preview() -> None:
    held = st.session_state.get("extraction")
    if held is None:
        return
    name, fac, warnings = held
    counts = fac.summary()
    st.success(f"{name}: {plural(counts['levels'], 'level')}, {plural(counts['spaces'], 'space')}, "
               f"{plural(counts['doors'], 'door')}, {plural(counts['exits'], 'exit')} found.")
    for w in warnings:
        st.warning(w)
    show_plan(plan_svg(fac, fac.levels[0].id, height=420))
    if st.button("Use this facility", key="use_extraction"):
        _use_facility(fac, name)
        st.session_state.pop("extraction", None)
        st.rerun()


def _summary(facility: Facility) -> None:
    counts = facility.summary()
    html_block(html_figures({key.replace("_", " "): counts[key] for key in _COUNTS}), key="facility_counts")


def _space_names(facility: Facility) -> dict[str, str]:
    return {s.id: f"{s.name} ({s.id})" if s.name else s.id for s in facility.spaces}


def _default_index(ids: list[str], facility: Facility, use: str, fallback: int) -> int:
    found = facility.spaces_with_use(use)
    return ids.index(found[0].id) if found else min(fallback, len(ids) - 1)


def _selection() -> tuple[str, str, str]:
    return (st.session_state["route_from"], st.session_state["route_to"], st.session_state["route_mobility"])


def _find_route(facility: Facility) -> None:
    """Button callback: runs before the page so the plan drawn below shows the route."""
    a, b, mob = _selection()
    mobility = MOBILITIES[mob]
    try:
        found: Route | None = route(facility, a, b, mobility=mobility)
        error = None
        st.session_state["level"] = facility.space(a).level  # show where the route starts
    except RoutingError:
        found, error = None, explain_no_route(facility, a, b, mobility)
    st.session_state["route_result"] = ((facility_key(), a, b, mob), found, error)


def _current_route(facility: Facility) -> tuple[Route | None, str | None]:
    """The route result for the current selection; a result for another selection is stale."""
    held = st.session_state.get("route_result")
    if held is None or "route_from" not in st.session_state:
        return None, None
    key, found, error = held
    if key != (facility_key(), *_selection()):
        return None, None
    return found, error


def _route_explorer(facility: Facility) -> None:
    st.subheader("Route explorer")
    ids = [s.id for s in facility.spaces]
    names = _space_names(facility)
    c1, c2, c3, c4 = st.columns([3, 3, 2, 1], vertical_alignment="bottom")
    c1.selectbox("From", ids, index=_default_index(ids, facility, "ed_triage", 0),
                 format_func=names.__getitem__, key="route_from")
    c2.selectbox("To", ids, index=_default_index(ids, facility, "ct", 1),
                 format_func=names.__getitem__, key="route_to")
    c3.selectbox("Mobility", list(MOBILITIES), key="route_mobility",
                 help="bed and wheelchair never use stairs and need wide enough doors and a lift")
    c4.button("Find route", on_click=_find_route, args=(facility,), type="primary", key="find_route")
    r, error = _current_route(facility)
    if error:
        st.warning(f"No route: {error}.")
    elif r is not None:
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("length", f"{r.length:.0f} m")
        m2.metric("time", f"{r.time / 60:.1f} min", help="unimpeded, lift waits not included")
        m3.metric("lifts", ", ".join(r.lifts) or "none")
        m4.metric("stairs", ", ".join(r.stairs) or "none")
        levels = route_levels(facility, r)
        a, b, _ = _selection()
        st.caption(f"{r.mobility}: {names[a]} to {names[b]} over "
                   f"{plural(len(levels), 'level')} ({', '.join(levels)}), {plural(len(r.doors), 'door')}.")
        if len(levels) > 1:
            tabs = st.tabs([f"{lv} {facility.level(lv).name}" for lv in levels])
            for tab, lv in zip(tabs, levels, strict=True):
                with tab:
                    show_plan(plan_svg(facility, lv, route=r, height=460))


def _apply(variant_of: Facility, make: str, *args: object) -> None:
    edit = {"width": set_door_width, "close": close_door, "use": set_use, "beds": set_beds}[make]
    try:
        variant = edit(variant_of, *args)  # type: ignore[operator]
    except Exception as exc:  # the page boundary
        st.session_state["edit_error"] = readable_error(exc)
        return
    st.session_state["edit_error"] = None
    _use_facility(variant)


def _edits_panel(facility: Facility) -> None:
    if not _opened("Planner's edits, saved as a facility variant", "open_edits"):
        return
    with st.container(border=True):
        done = edits_of(facility)
        if done:
            st.caption("This variant: " + "; ".join(done))
        if st.session_state.get("edit_error"):
            st.error(st.session_state["edit_error"])
        doors = {d.id: d for d in facility.doors}
        if doors:
            c1, c2, c3, c4 = st.columns([3, 2, 1, 1], vertical_alignment="bottom")
            names = _space_names(facility)
            door = c1.selectbox("Door", list(doors), key="edit_door", format_func=lambda d: (
                f"{d}: {names[doors[d].spaces[0]]} - {names[doors[d].spaces[1]]} ({doors[d].width:g} m)"))
            width = c2.number_input("Clear width (m)", 0.5, 4.0, float(doors[door].width), 0.05,
                                    key=f"edit_width_{door}")
            c3.button("Set width", key="apply_width", on_click=_apply, args=(facility, "width", door, width))
            c4.button("Close door", key="apply_close", on_click=_apply, args=(facility, "close", door))
        c1, c2, c3, c4, c5 = st.columns([3, 2, 1, 1, 1], vertical_alignment="bottom")
        ids = [s.id for s in facility.spaces]
        space = c1.selectbox("Space", ids, key="edit_space", format_func=_space_names(facility).__getitem__)
        uses = sorted(facility.uses)
        current = facility.space(space)
        use = c2.selectbox("Use", uses, index=uses.index(current.use) if current.use in uses else None,
                           key=f"edit_use_{space}", accept_new_options=True)
        c3.button("Set use", key="apply_use", on_click=_apply, args=(facility, "use", space, use))
        beds = c4.number_input("Beds", 0, 64, current.beds, 1, key=f"edit_beds_{space}")
        c5.button("Set beds", key="apply_beds", on_click=_apply, args=(facility, "beds", space, int(beds)))


def page() -> None:
    """Draw the Facility page."""
    facility = current_facility()
    st.title("Facility")
    key = facility_key()
    where = "the built-in sample" if key == SAMPLE else known_facilities().get(key, Path(key).name)
    st.caption(f"{facility.name} ({where}): {plural(len(facility.levels), 'level')}, "
               f"{plural(facility.total_beds, 'bed')}. Hover a space for its use, beds and compartment.")
    # near the top: the button's script is then fetched with the others, not after the whole page
    st.download_button("Download the facility file", facility_text(key), file_name="facility.json",
                       mime="application/json", key="download_facility")
    _source_panel()
    _summary(facility)
    warned = facility_warnings(key)
    if warned:
        with st.expander(f"Validation: {plural(len(warned), 'warning')} to review "
                         "(the checks of medtwin facility validate)"):
            html_block("<ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in warned) + "</ul>",
                       key="facility_warnings")
    level_ids = [lv.id for lv in facility.levels]
    if st.session_state.get("level") not in level_ids:
        st.session_state.pop("level", None)
    level = st.selectbox("Level", level_ids, key="level",
                         format_func=lambda lid: f"{lid} {facility.level(lid).name}")
    r, _ = _current_route(facility)
    show_plan(plan_svg(facility, level, route=r) if r is not None else level_plan(key, level))
    _route_explorer(facility)
    st.subheader("Spaces")
    uses = st.multiselect("Filter by use", sorted(facility.uses), key="uses")
    everywhere = st.toggle("All levels", value=False, key="all_levels")
    grid = st.toggle("Sort and search", value=False, key="spaces_grid",
                     help="an interactive table: sort by any column, search, download as CSV")
    shown = None if everywhere else level
    if grid:
        table = spaces_table(facility, shown, uses)
        show_table(table, grid=True, key="spaces")
        count, beds = len(table), int(table["beds"].sum())
    else:
        body, count, beds = spaces_html(key, shown, tuple(uses))
        html_block(body)
    st.caption(f"{plural(count, 'space')}, {plural(beds, 'bed')}")
    with st.expander("Smoke compartments (NFPA 101: at most 2,100 m² each, at least 2 per bed floor)"):
        if grid:
            show_table(compartments_table(facility), grid=True, key="compartments")
        else:
            html_block(compartments_html(key))
    _edits_panel(facility)
