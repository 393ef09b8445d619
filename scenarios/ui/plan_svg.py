"""Plans as inline SVG: the Facility page's plan without loading a charting library in the browser.

A Plotly chart costs the browser its 4.7 MB plotting bundle and several
seconds to draw a plan of a few hundred rooms on a small machine; an SVG of
the same plan is drawn at once.  This module draws what
:func:`facility.plot.plan_figure_plotly` draws (spaces filled by use
category, doors coloured by kind, final exits, smoke compartments, the
navigation graph) with the names of :mod:`scenarios.ui.plans`, and a route's
part on the level.  Hovering a space shows its id, name, use, beds and
compartment (an SVG ``<title>``).  The result is one HTML block for
``st.markdown(..., unsafe_allow_html=True)``: every text in it is escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from shapely.geometry import MultiPolygon, Polygon

from facility.model import SpaceKind
from facility.plot import CATEGORIES, DOOR_COLOURS, category_of
from scenarios.ui.plans import (
    COMPARTMENT_FONT,
    PLAN_WIDTH_PX,
    ROOM_FONT,
    compartment_labels,
    plan_width_m,
    room_labels,
)

if TYPE_CHECKING:
    from facility import Facility, Route

__all__ = ["ROUTE_COLOUR", "plan_svg"]

#: Colours of the route drawn over a plan, and of the smoke compartments' outlines
#: (the same as the Plotly plan's, so the two read alike).
ROUTE_COLOUR = "#0057ff"
COMPARTMENT_COLOUR = "#7b2d8e"
#: Blank margin around the level's outline (m).
PAD_M = 4.0


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


class _Frame:
    """Plan metres to SVG user units: x as is, y flipped (SVG's y grows downwards)."""

    def __init__(self, bounds: tuple[float, float, float, float]) -> None:
        x0, y0, x1, y1 = bounds
        self.x0, self.y0, self.x1, self.y1 = x0 - PAD_M, y0 - PAD_M, x1 + PAD_M, y1 + PAD_M

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return x - self.x0, self.y1 - y

    def pt(self, x: float, y: float) -> str:
        u, v = self.xy(x, y)
        return f"{_fmt(u)},{_fmt(v)}"

    def path(self, poly: Polygon | MultiPolygon) -> str:
        parts = poly.geoms if isinstance(poly, MultiPolygon) else [poly]
        rings = [ring for p in parts for ring in (p.exterior, *p.interiors)]
        return " ".join("M" + " L".join(self.pt(x, y) for x, y in ring.coords[:-1]) + " Z" for ring in rings)


def _space_tip(facility: Facility, space_id: str) -> str:
    s = facility.space(space_id)
    return (f"{s.id} {s.name}\nuse: {s.use or '-'}\nkind: {s.kind.value}\nbeds: {s.beds}"
            f"\ncompartment: {s.compartment or '-'}\narea: {s.area:.1f} m²")


def _graph_lines(facility: Facility, level: str, frame: _Frame) -> str:
    g = facility.graph
    out = []
    for u, v, d in g.edges(data=True):
        nu, nv = g.nodes[u], g.nodes[v]
        on_level = nu.get("level") == level == nv.get("level")
        if d.get("kind") == "walk" and on_level and nu["pos"] and nv["pos"]:
            out.append(f"M{frame.pt(*nu['pos'])} L{frame.pt(*nv['pos'])}")
    return " ".join(out)


def _route(facility: Facility, level: str, route: Route, frame: _Frame, scale: float) -> list[str]:
    g = facility.graph
    runs: list[list[str]] = [[]]
    for node in route.nodes:
        data = g.nodes[node]
        if data.get("level") == level and data.get("pos") is not None:
            runs[-1].append(frame.pt(*data["pos"]))
        elif runs[-1]:
            runs.append([])  # the route leaves this level: break the line
    drawn = [r for r in runs if r]
    if not drawn:
        return []
    d = " ".join("M" + " L".join(r) for r in drawn)
    out = [f'<path class="route" d="{d}" fill="none" stroke="{ROUTE_COLOUR}" '
           f'stroke-width="{_fmt(4 * scale)}" stroke-linejoin="round">'
           f"<title>route ({escape(route.mobility)})</title></path>"]
    for node, label in ((route.nodes[0], "start"), (route.nodes[-1], "end")):
        data = g.nodes[node]
        if data.get("level") == level and data.get("pos") is not None:
            x, y = frame.xy(*data["pos"])
            out.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(7 * scale)}" fill="{ROUTE_COLOUR}"/>'
                       f'<text x="{_fmt(x)}" y="{_fmt(y + 18 * scale)}" font-size="{_fmt(12 * scale)}" '
                       f'text-anchor="middle" fill="{ROUTE_COLOUR}" font-weight="bold">{label}</text>')
    return out


def _spaces(facility: Facility, level: str, frame: _Frame, scale: float) -> tuple[list[str], list[str]]:
    """The spaces of ``level`` (each with its hover text), and the use categories drawn."""
    hatch = f"url(#hatch-{escape(level)})"
    out, used = [], []
    for s in facility.spaces_on(level):
        cat = category_of(s.use, s.kind)
        if cat not in used:
            used.append(cat)
        fill = hatch if s.kind in (SpaceKind.STAIR, SpaceKind.LIFT) else CATEGORIES[cat][0]
        out.append(f'<path class="space" data-space="{escape(s.id)}" d="{frame.path(s.polygon)}" '
                   f'fill="{fill}" fill-rule="evenodd" stroke="#222222" stroke-width="{_fmt(scale)}">'
                   f"<title>{escape(_space_tip(facility, s.id))}</title></path>")
    return out, used


def _compartments(facility: Facility, level: str, frame: _Frame, scale: float) -> list[str]:
    out = []
    for comp, ids in facility.compartments.items():
        polys = [facility.space(i).polygon for i in ids if facility.space(i).level == level]
        if polys:
            out.append(f'<path d="{" ".join(frame.path(p) for p in polys)}" fill="none" '
                       f'stroke="{COMPARTMENT_COLOUR}" stroke-width="{_fmt(2 * scale)}" '
                       f'stroke-dasharray="{_fmt(6 * scale)} {_fmt(4 * scale)}" opacity="0.8">'
                       f"<title>smoke compartment {escape(comp)}</title></path>")
    return out


def _doors(facility: Facility, level: str, frame: _Frame, scale: float) -> tuple[list[str], list[str]]:
    """The doors of ``level``, coloured by kind, and the kinds drawn."""
    out, kinds = [], []
    for d in facility.doors:
        if facility.space(d.spaces[0]).level != level:
            continue
        kind = "smoke door" if d.smoke_door else "fire door" if d.fire_door else "door"
        if kind not in kinds:
            kinds.append(kind)
        coords = facility.door_segment(d).coords
        out.append(f'<path d="M{frame.pt(*coords[0])} L{frame.pt(*coords[-1])}" '
                   f'stroke="{DOOR_COLOURS[kind]}" stroke-width="{_fmt(4 * scale)}">'
                   f"<title>{kind} {escape(d.id)}: {d.width:g} m</title></path>")
    return out, kinds


def _exits(facility: Facility, level: str, frame: _Frame, scale: float) -> list[str]:
    left, _, right, _ = facility.level_outline[level].bounds
    colour, r = DOOR_COLOURS["exit"], 7 * scale
    out = []
    for e in facility.exits:
        if facility.space(e.space).level != level:
            continue
        x, y = frame.xy(*e.at)
        # a label beside an exit in a side wall reads inwards, so it stays on the drawing
        anchor = "start" if e.at[0] <= left + 1e-6 else "end" if e.at[0] >= right - 1e-6 else "middle"
        triangle = f"M{_fmt(x)},{_fmt(y - r)} L{_fmt(x + r)},{_fmt(y + r)} L{_fmt(x - r)},{_fmt(y + r)} Z"
        tip = f"exit {e.id}: {e.width:g} m to {e.assembly_point or '-'}"
        out.append(f'<path d="{triangle}" fill="{colour}" stroke="black" stroke-width="{_fmt(scale)}">'
                   f"<title>{escape(tip)}</title></path>"
                   f'<text x="{_fmt(x)}" y="{_fmt(y - 1.6 * r)}" font-size="{_fmt(10 * scale)}" '
                   f'text-anchor="{anchor}" fill="{colour}">{escape(e.id)}</text>')
    return out


def _names(facility: Facility, level: str, frame: _Frame, scale: float) -> list[str]:
    out = []
    room = f'font-size="{_fmt(float(ROOM_FONT["size"]) * scale)}" fill="{ROOM_FONT["color"]}"'
    for x, y, text in room_labels(facility, level):
        u, v = frame.xy(x, y)
        out.append(f'<text x="{_fmt(u)}" y="{_fmt(v)}" {room} text-anchor="middle" '
                   f'dominant-baseline="middle" pointer-events="none">{escape(text)}</text>')
    comp = f'font-size="{_fmt(float(COMPARTMENT_FONT["size"]) * scale)}" fill="{COMPARTMENT_FONT["color"]}"'
    for x, y, name in compartment_labels(facility, level):
        u, v = frame.xy(x, y)
        out.append(f'<text x="{_fmt(u)}" y="{_fmt(v - 4 * scale)}" {comp} font-weight="bold" '
                   f'text-anchor="middle" pointer-events="none">{escape(name)}</text>')
    return out


def _legend(categories: list[str], doors: list[str], route: Route | None) -> str:
    def swatch(colour: str, line: bool) -> str:
        shape = "height:4px;margin-bottom:3px" if line else "height:11px;border:1px solid #222"
        return f'<span style="display:inline-block;width:14px;{shape};background:{colour}"></span>'

    items = [f"{swatch(CATEGORIES[c][0], False)} {escape(c)}" for c in categories]
    items += [f"{swatch(DOOR_COLOURS[k], True)} {k}" for k in doors]
    items.append(f'{swatch(COMPARTMENT_COLOUR, True)} smoke compartment')
    if route is not None:
        items.append(f"{swatch(ROUTE_COLOUR, True)} route ({escape(route.mobility)})")
    return ('<div style="font-size:0.8rem;display:flex;flex-wrap:wrap;gap:0.2rem 1rem">'
            + "".join(f"<span>{i}</span>" for i in items) + "</div>")


def plan_svg(facility: Facility, level: str, *, route: Route | None = None, height: int = 560) -> str:
    """The plan of ``level`` as an HTML block: a title, the SVG plan and its legend.

    Args:
        facility: The building.
        level: Id of the level to draw.
        route: A route to draw over the plan (its part on this level, with its start and end).
        height: Largest height of the plan on the page (px); it is as wide as the page allows.

    Raises:
        KeyError: ``level`` is not a level of the facility.

    >>> from facility import sample
    >>> html = plan_svg(sample(), "L0")
    >>> html.count("<svg") == 1 and "Sample general hospital: L0 Ground" in html
    True
    """
    lv = facility.level(level)
    frame = _Frame(facility.level_outline[level].bounds)
    scale = plan_width_m(facility, level) / PLAN_WIDTH_PX  # metres per pixel of a plan of usual width
    tile, grey = _fmt(1.2), CATEGORIES["stairs and lifts"][0]
    hatch = (f'<defs><pattern id="hatch-{escape(level)}" width="{tile}" height="{tile}" '
             f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="{tile}" '
             f'height="{tile}" fill="{grey}"/><line x1="0" y1="0" x2="0" y2="{tile}" stroke="#444" '
             f'stroke-width="0.3"/></pattern></defs>')
    spaces, used = _spaces(facility, level, frame, scale)
    doors, kinds = _doors(facility, level, frame, scale)
    lines = _graph_lines(facility, level, frame)
    graph = ([f'<path d="{lines}" stroke="#555555" stroke-width="{_fmt(0.6 * scale)}" opacity="0.35"/>']
             if lines else [])
    body = [hatch, *spaces, *graph, *_compartments(facility, level, frame, scale), *doors,
            *_exits(facility, level, frame, scale), *_names(facility, level, frame, scale)]
    if route is not None:
        body += _route(facility, level, route, frame, scale)
    title = escape(f"{facility.name}: {lv.id} {lv.name}")
    # A <div> opens an HTML block in Markdown: the SVG inside is passed on as it is, never read as Markdown.
    return (f'<div class="medtwin-plan" data-level="{escape(level)}">\n'
            f'<p style="margin:0 0 0.3rem 0"><b class="plan-title">{title}</b></p>'
            f'<svg viewBox="0 0 {_fmt(frame.x1 - frame.x0)} {_fmt(frame.y1 - frame.y0)}" width="100%" '
            f'style="max-height:{int(height)}px;background:white" xmlns="http://www.w3.org/2000/svg" '
            f'role="img" aria-label="{title}">' + "".join(body) + "</svg>"
            + _legend(used, kinds, route) + "</div>")
