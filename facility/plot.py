"""Plans of a facility as figures: what a planner checks by eye before trusting a model.

Two pure figure builders, one per audience, both without file I/O (the CLI
and the app decide where a figure goes):

* :func:`plan_figure_matplotlib` - a static sheet, one subplot per level, for
  PNG reports (``medtwin facility show plan.png``);
* :func:`plan_figure_plotly` - one interactive level for the app and HTML
  (hover a space for its id, use, beds and compartment; a route can be drawn).

Both draw the same things: spaces filled by use category, walls, doors as
thick segments coloured by kind (smoke-barrier doors stand out), final exits,
hatched stairs and lifts, smoke compartments outlined, and the navigation
graph as thin lines, so a missing door or a broken link is visible at once.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.polygon import orient
from shapely.ops import split

from facility.fonts import label_fonts
from facility.model import Door, Facility, SpaceKind

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

    from facility.routing import Route

__all__ = ["CATEGORIES", "DOOR_COLOURS", "MAX_SHEET_HEIGHT_IN", "category_of", "plan_figure_matplotlib",
           "plan_figure_plotly"]

#: Use category -> (fill colour, uses in it). Order is legend order.
CATEGORIES: dict[str, tuple[str, frozenset[str]]] = {
    "emergency": ("#f4a6a6", frozenset({"ed_ambulance_entrance", "ed_waiting", "ed_triage", "ed_resus",
                                        "ed_majors", "ed_minors", "ed_isolation", "triage"})),
    "imaging": ("#b9a6f4", frozenset({"ct", "xray", "mri", "imaging_waiting"})),
    "wards": ("#a6d8f4", frozenset({"ward_bay", "ward_single", "day_room", "ward"})),
    "critical care": ("#f4c9a6", frozenset({"icu", "recovery"})),
    "theatres": ("#f4e6a6", frozenset({"theatre", "anaesthetic", "sterile_store", "or"})),
    "outpatients": ("#a6f4c3", frozenset({"outpatient_clinic", "outpatient_waiting"})),
    "public": ("#d9f4a6", frozenset({"entrance", "reception", "pharmacy"})),
    "staff and support": ("#d6d6d6", frozenset({"nurse_station", "utility", "staff_room", "office",
                                                "store", "plant"})),
    "circulation": ("#f7f7f2", frozenset({"corridor", "lift_lobby"})),
    "stairs and lifts": ("#8c8c8c", frozenset({"stair", "lift"})),
    "other": ("#ffffff", frozenset()),
}
_BY_KIND = {SpaceKind.CORRIDOR: "circulation", SpaceKind.STAIR: "stairs and lifts",
            SpaceKind.LIFT: "stairs and lifts", SpaceKind.EXIT: "public", SpaceKind.REFUGE: "circulation"}
_USE_CATEGORY = {use: name for name, (_, uses) in CATEGORIES.items() for use in uses}

#: Tallest plan sheet (inches): 96 in is 14,400 px at the CLI's 150 dpi, ~140 MB to draw at a width of
#: 16 in. Levels beyond what fits at full size share it in smaller panels.
MAX_SHEET_HEIGHT_IN = 96.0
#: Height kept for the title and the legend below the panels (inches).
_LEGEND_IN = 1.2

#: Most levels laid out by matplotlib's constrained layout; more are placed by fixed margins.
_CONSTRAINED_LEVELS = 24

#: Door kind -> colour of its thick segment.
DOOR_COLOURS = {"door": "#2b6cb0", "fire door": "#dd8a00", "smoke door": "#d0021b", "exit": "#1a9641"}
_HATCH = {SpaceKind.STAIR: "////", SpaceKind.LIFT: "xx"}
_COMPARTMENT_COLOUR = "#7b2d8e"


def category_of(use: str | None, kind: SpaceKind) -> str:
    """The legend category of a space, by its use and else by its kind.

    >>> category_of("ct", SpaceKind.ROOM), category_of(None, SpaceKind.STAIR)
    ('imaging', 'stairs and lifts')
    """
    if use is not None and use in _USE_CATEGORY:
        return _USE_CATEGORY[use]
    return _BY_KIND.get(kind, "other")


def _door_kind(door: Door) -> str:
    return "smoke door" if door.smoke_door else "fire door" if door.fire_door else "door"


def _levels(facility: Facility, level: str | None) -> list[str]:
    ids = [lv.id for lv in facility.levels]
    if level is None:
        return ids
    if level not in ids:
        raise KeyError(f"no level with id {level!r}; levels are {', '.join(ids)}")
    return [level]


def _polygons(geom: shapely.Geometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]


def _compartment_outlines(facility: Facility, level: str) -> dict[str, list[Polygon]]:
    out: dict[str, list[Polygon]] = {}
    for comp, ids in facility.compartments.items():
        polys = [facility.space(s).polygon for s in ids if facility.space(s).level == level]
        if polys:
            out[comp] = _polygons(shapely.union_all(polys))
    return out


def _graph_segments(facility: Facility, level: str) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    g = facility.graph
    segs = []
    for u, v, d in g.edges(data=True):
        if d.get("kind") != "walk":
            continue
        nu, nv = g.nodes[u], g.nodes[v]
        if nu.get("level") == level and nv.get("level") == level and nu["pos"] and nv["pos"]:
            segs.append((tuple(nu["pos"]), tuple(nv["pos"])))
    return segs


# -- matplotlib ----------------------------------------------------------------------------


def plan_figure_matplotlib(facility: Facility, level: str | None = None, *,
                           graph: bool = True, width_in: float = 16.0) -> Figure:
    """A static plan sheet: one subplot per level (top level first), or just ``level``.

    Args:
        facility: The building.
        level: A level id to draw alone; ``None`` draws every level.
        graph: Overlay the navigation graph as thin lines.
        width_in: Figure width in inches; the height follows the plan's aspect.

    Returns:
        A :class:`matplotlib.figure.Figure` (not attached to pyplot, so it is
        safe in servers and threads); ``fig.axes`` holds one axis per level.

    Raises:
        KeyError: ``level`` is not a level of the facility.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, PathPatch
    from matplotlib.path import Path as MplPath

    levels = _levels(facility, level)[::-1]
    # Labels in a script the default font lacks (a ward named in Chinese) get a font that has it,
    # or are spelled out by code point: never drawn as boxes.
    families, drawable = label_fonts(_label_texts(facility, levels))
    # Ids are text, not TeX: "C$1$x" was drawn as "C1x" in italics (and a stray "$\frac{" could fail).
    text: dict[str, Any] = {"fontfamily": families, "parse_math": False}
    outlines = facility.level_outline
    bounds = shapely.union_all([outlines[lv] for lv in levels]).bounds
    w = max(bounds[2] - bounds[0], 1.0)
    h = max(bounds[3] - bounds[1], 1.0)
    panel_h = min(max(width_in * h / w * 1.15 + 0.6, 2.5), 12.0)
    # A tall building's sheet shares a bounded height: 200 storeys at 12 in each made an 864-megapixel
    # PNG (3.4 GB to draw); `--level` draws one storey at full size.
    panel_h = min(panel_h, (MAX_SHEET_HEIGHT_IN - _LEGEND_IN) / len(levels))
    # Constrained layout solves for every panel's margins at once: 80 s for 200 storeys, and it gives
    # up past a few dozen; a tower's sheet is laid out by fixed margins instead.
    many = len(levels) > _CONSTRAINED_LEVELS
    fig = Figure(figsize=(width_in, panel_h * len(levels) + _LEGEND_IN),
                 layout=None if many else "constrained")
    axes = fig.subplots(len(levels), 1, squeeze=False)[:, 0]
    used: dict[str, str] = {}

    def path_of(poly: Polygon) -> MplPath:
        # Matplotlib fills by the nonzero winding rule: a hole stays empty only
        # when it turns against its outline, which the file does not promise.
        poly = orient(poly, 1.0)
        rings = [poly.exterior, *poly.interiors]
        return MplPath.make_compound_path(*[MplPath(list(r.coords), closed=True) for r in rings])

    for ax, lid in zip(axes, levels, strict=True):
        for s in facility.spaces_on(lid):
            cat = category_of(s.use, s.kind)
            colour = CATEGORIES[cat][0]
            used[cat] = colour
            ax.add_patch(PathPatch(path_of(s.polygon), facecolor=colour, edgecolor="#222222", lw=0.8,
                                   hatch=_HATCH.get(s.kind), zorder=1))
            if s.kind is not SpaceKind.CORRIDOR and s.area > 12:
                p = s.anchor
                beds = f"\n{s.beds} bed{'s' * (s.beds > 1)}" if s.beds else ""
                label = drawable(s.id.removeprefix(f"{lid}-")) + beds
                ax.text(p.x, p.y, label, ha="center", va="center", fontsize=4.5, zorder=5, clip_on=True,
                        **text)
        for comp, polys in _compartment_outlines(facility, lid).items():
            for poly in polys:
                ax.add_patch(PathPatch(path_of(poly), fill=False, edgecolor=_COMPARTMENT_COLOUR, lw=2.2,
                                       ls=(0, (6, 3)), zorder=3))
                ax.text(poly.bounds[0] + 0.5, poly.bounds[3] - 0.3, drawable(comp), color=_COMPARTMENT_COLOUR,
                        fontsize=6, va="top", zorder=6, fontweight="bold", **text,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8})
        if graph:
            ax.add_collection(LineCollection(_graph_segments(facility, lid), colors="#555555", lw=0.3,
                                             alpha=0.6, zorder=2))
        for kind in ("door", "fire door", "smoke door"):
            segs = [list(facility.door_segment(d).coords) for d in facility.doors
                    if _door_kind(d) == kind and facility.space(d.spaces[0]).level == lid]
            ax.add_collection(LineCollection(segs, colors=DOOR_COLOURS[kind], lw=3.5 if kind == "smoke door"
                                             else 2.5, zorder=4, capstyle="butt"))
        exits = [e for e in facility.exits if facility.space(e.space).level == lid]
        if exits:
            ax.add_collection(LineCollection([list(facility.door_segment(e).coords) for e in exits],
                                             colors=DOOR_COLOURS["exit"], lw=4, zorder=4))
            ax.scatter([e.at[0] for e in exits], [e.at[1] for e in exits], marker="^", s=60,
                       color=DOOR_COLOURS["exit"], edgecolor="black", zorder=7)
            for e in exits:
                # Labels go outward, off the plan, on the side of the wall the exit is in.
                west = e.at[0] <= bounds[0] + 1e-6
                ax.annotate(drawable(e.id), e.at, xytext=(-5 if west else 5, 5), textcoords="offset points",
                            fontsize=6, color=DOOR_COLOURS["exit"], fontweight="bold", zorder=7,
                            ha="right" if west else "left", **text)
        lv = facility.level(lid)
        # a name no font can draw is left out: the level's id says which level it is
        name = lv.name if drawable(lv.name) == lv.name else ""
        ax.set_title(f"{drawable(lid)} {name}  (elevation {lv.elevation:g} m)", fontsize=9, loc="left",
                     **text)
        ax.set_xlim(bounds[0] - 0.08 * w, bounds[2] + 0.08 * w)  # room for exit labels
        ax.set_ylim(bounds[1] - 2, bounds[3] + 2)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=6)
        ax.set_xlabel("x (m)", fontsize=6)
        ax.set_ylabel("y (m)", fontsize=6)
    handles: list[Any] = [Patch(facecolor=c, edgecolor="#222222", label=cat) for cat, c in used.items()]
    handles += [Line2D([], [], color=c, lw=3, label=k) for k, c in DOOR_COLOURS.items()]
    handles += [Line2D([], [], color=_COMPARTMENT_COLOUR, lw=2, ls="--", label="smoke compartment")]
    if graph:
        handles.append(Line2D([], [], color="#555555", lw=0.5, label="navigation graph"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 8), fontsize=7,
               frameon=False)
    height = fig.get_figheight()
    # placed in inches from the top when the layout is fixed (a fraction of 96 in is far down the sheet)
    fig.suptitle(drawable(facility.name), fontsize=11, **text,
                 **({"y": 1 - 0.1 / height, "va": "top"} if many else {}))
    if many:
        fig.subplots_adjust(left=0.06, right=0.98, top=1 - 0.6 / height, bottom=_LEGEND_IN / height,
                            hspace=0.6)
    return fig


def _label_texts(facility: Facility, levels: Iterable[str]) -> list[str]:
    """Every text a plan sheet of ``levels`` draws from the facility's data (ids and names)."""
    out = [facility.name]
    for lid in levels:
        lv = facility.level(lid)
        out += [lid, lv.name, *facility.compartments]
        out += [s.id.removeprefix(f"{lid}-") for s in facility.spaces_on(lid)]
        out += [e.id for e in facility.exits if facility.space(e.space).level == lid]
    return out


# -- plotly --------------------------------------------------------------------------------


def _ring_xy(polys: Iterable[Polygon]) -> tuple[list[float | None], list[float | None]]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for poly in polys:
        for ring in (poly.exterior, *poly.interiors):
            cx, cy = ring.xy
            xs += [*map(float, cx), None]
            ys += [*map(float, cy), None]
    return xs, ys


def _hole_free_parts(poly: Polygon) -> list[Polygon]:
    """``poly`` cut into pieces without holes, which together cover exactly its floor.

    Plotly's ``fill="toself"`` fills every ring of a trace as a shape of its
    own, so a hole would be painted as floor; a vertical cut through each hole
    (across the whole polygon) leaves pieces whose outlines go around it.
    """
    if not poly.interiors:
        return [poly]
    y0, y1 = poly.bounds[1] - 1.0, poly.bounds[3] + 1.0
    pieces = [poly]
    for ring in poly.interiors:
        x = Polygon(ring).representative_point().x
        cut = LineString([(x, y0), (x, y1)])
        pieces = [g for piece in pieces for g in _polygons(split(piece, cut))]
    return pieces


def _segments_xy(segs: Iterable[Sequence[tuple[float, float]]],
                 ) -> tuple[list[float | None], list[float | None]]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for seg in segs:
        for x, y in seg:
            xs.append(float(x))
            ys.append(float(y))
        xs.append(None)
        ys.append(None)
    return xs, ys


def _esc(text: str) -> str:
    """Text for a plotly label, which plotly reads as HTML (its entities show as the characters).

    >>> _esc("Store <B> & co")
    'Store &lt;B&gt; &amp; co'
    """
    return html.escape(text, quote=False)


def plan_figure_plotly(facility: Facility, level: str, *, route: Route | None = None,
                       graph: bool = True, height: int = 520) -> go.Figure:
    """An interactive plan of one level.

    Args:
        facility: The building.
        level: Id of the level to draw.
        route: A :class:`~facility.routing.Route` to draw over the plan (its
            part on this level; where it changes level is marked).
        graph: Overlay the navigation graph (toggle it in the legend).
        height: Figure height in pixels.

    Returns:
        A :class:`plotly.graph_objects.Figure`; hovering a space shows its id,
        use, beds and compartment.

    Raises:
        KeyError: ``level`` is not a level of the facility.
    """
    import plotly.graph_objects as go

    _levels(facility, level)
    fig = go.Figure()
    shown: set[str] = set()
    for s in facility.spaces_on(level):
        cat = category_of(s.use, s.kind)
        xs, ys = _ring_xy(_hole_free_parts(s.polygon))
        # Plotly reads hover text as HTML: "Store <B>" lost its "<B>" and bolded the rest.
        text = (f"<b>{_esc(s.id)}</b> {_esc(s.name)}<br>use: {_esc(s.use or '-')}<br>kind: {s.kind.value}"
                f"<br>beds: {s.beds}<br>compartment: {_esc(s.compartment or '-')}<br>area: {s.area:.1f} m²")
        # The cuts that keep holes empty are not walls: a space with holes gets
        # its fill without lines, and its real rings as a separate outline.
        holed = bool(s.polygon.interiors)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, fill="toself", fillcolor=CATEGORIES[cat][0], mode="lines",
            line={"color": "#222222", "width": 0 if holed else 1}, name=cat, legendgroup=cat,
            showlegend=cat not in shown, hoveron="fills", text=text, hoverinfo="text",
            fillpattern={"shape": "/"} if s.kind in (SpaceKind.STAIR, SpaceKind.LIFT) else None))
        if holed:
            xs, ys = _ring_xy([s.polygon])
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#222222", "width": 1},
                                     legendgroup=cat, showlegend=False, hoverinfo="skip"))
        shown.add(cat)
    outlines = _compartment_outlines(facility, level)
    if outlines:
        xs, ys = _ring_xy(p for polys in outlines.values() for p in polys)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="smoke compartment", hoverinfo="skip",
                                 line={"color": _COMPARTMENT_COLOUR, "width": 3, "dash": "dash"}))
    if graph:
        xs, ys = _segments_xy(_graph_segments(facility, level))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="navigation graph", hoverinfo="skip",
                                 line={"color": "#555555", "width": 0.6}, opacity=0.5))
    for kind in ("door", "fire door", "smoke door"):
        doors = [d for d in facility.doors
                 if _door_kind(d) == kind and facility.space(d.spaces[0]).level == level]
        if doors:
            xs, ys = _segments_xy(list(facility.door_segment(d).coords) for d in doors)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=kind, hoverinfo="skip",
                                     line={"color": DOOR_COLOURS[kind], "width": 5 if kind == "smoke door"
                                           else 4}))
    exits = [e for e in facility.exits if facility.space(e.space).level == level]
    if exits:
        fig.add_trace(go.Scatter(
            x=[e.at[0] for e in exits], y=[e.at[1] for e in exits], mode="markers+text", name="exit",
            text=[_esc(e.id) for e in exits], hoverinfo="text",
            textposition=[_exit_text_position(facility, level, e.at) for e in exits],
            hovertext=[f"exit {_esc(e.id)}: {e.width:g} m to {_esc(e.assembly_point or '-')}" for e in exits],
            marker={"symbol": "triangle-up", "size": 13, "color": DOOR_COLOURS["exit"],
                    "line": {"color": "black", "width": 1}}))
    if route is not None:
        _add_route(fig, facility, level, route)
    lv = facility.level(level)
    fig.update_layout(
        title=f"{facility.name}: {lv.id} {lv.name}", height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white", legend={"orientation": "h", "y": -0.2, "yanchor": "top"},
        hoverlabel={"align": "left"})
    fig.update_xaxes(title="x (m)", showgrid=False, zeroline=False)
    fig.update_yaxes(title="y (m)", showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1)
    return fig


def _exit_text_position(facility: Facility, level: str, at: tuple[float, float]) -> str:
    """Put an exit's label outside the plan, beside the wall it is in."""
    x0, _, x1, _ = facility.level_outline[level].bounds
    if at[0] <= x0 + 1e-6:
        return "middle left"
    if at[0] >= x1 - 1e-6:
        return "middle right"
    return "top center"


def _add_route(fig: go.Figure, facility: Facility, level: str, route: Route) -> None:
    import plotly.graph_objects as go

    g = facility.graph
    xs: list[float | None] = []
    ys: list[float | None] = []
    for node in route.nodes:
        data = g.nodes[node]
        if data.get("level") == level and data.get("pos") is not None:
            xs.append(float(data["pos"][0]))
            ys.append(float(data["pos"][1]))
        elif xs and xs[-1] is not None:
            xs.append(None)  # the route leaves this level: break the line
            ys.append(None)
    if not any(x is not None for x in xs):
        return
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=f"route ({route.mobility})",
                             hoverinfo="skip", line={"color": "#0057ff", "width": 4},
                             marker={"size": 6, "color": "#0057ff"}))
    ends = [n for n in (route.nodes[0], route.nodes[-1]) if g.nodes[n].get("level") == level]
    if ends:
        fig.add_trace(go.Scatter(
            x=[g.nodes[n]["pos"][0] for n in ends], y=[g.nodes[n]["pos"][1] for n in ends],
            mode="markers+text", text=["start" if n == route.nodes[0] else "end" for n in ends],
            textposition="bottom center", name="route ends", hoverinfo="skip",
            marker={"size": 14, "color": "#0057ff", "symbol": "star"}))
