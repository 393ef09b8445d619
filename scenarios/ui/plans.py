"""Plans for the pages: the facility's plan of a level with names on it, and routes across levels.

:func:`facility.plot.plan_figure_plotly` draws the building; this module adds
what a person reads a plan by: room names where they are, compartment names,
and, for a route that changes level, the list of levels it uses so that each
can be drawn with its part of the route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shapely

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from facility import Facility, Route

__all__ = ["COMPARTMENT_FONT", "PLAN_WIDTH_PX", "ROOM_FONT", "compartment_labels", "labelled_plan",
           "plan_width_m", "room_labels", "route_levels"]

#: Rooms smaller than this (m²) are too small to carry a readable name at building scale.
MIN_LABEL_AREA = 12.0
#: Width (px) a plan is usually drawn at in the app, and of one character of a room name
#: (9 px font): a name wider than its room at that scale is left out, not drawn over the next.
PLAN_WIDTH_PX = 850.0
CHAR_WIDTH_PX = 5.5
ROOM_FONT: dict[str, Any] = {"size": 9, "color": "#333333"}
COMPARTMENT_FONT: dict[str, Any] = {"size": 13, "color": "#b00020"}


def route_levels(facility: Facility, route: Route) -> list[str]:
    """The levels a route passes through, in order, each once.

    >>> from facility import sample, route, BED
    >>> f = sample()
    >>> route_levels(f, route(f, "L3-W3-BAY1", "L1-ICU-BAY1", mobility=BED))
    ['L3', 'L1']
    """
    levels: list[str] = []
    for node in route.nodes:
        lv = facility.graph.nodes[node].get("level")
        if lv is not None and lv not in levels:
            levels.append(lv)
    return levels


def plan_width_m(facility: Facility, level: str) -> float:
    """Width of ``level``'s outline (m): with :data:`PLAN_WIDTH_PX`, the scale a plan is drawn at."""
    x0, _, x1, _ = facility.level_outline[level].bounds
    return float(x1 - x0)


def room_labels(facility: Facility, level: str) -> list[tuple[float, float, str]]:
    """(x, y, name) of the rooms on ``level`` whose name fits inside them on a plan of usual width.

    >>> from facility import sample
    >>> any(text == "Resus 1" for _, _, text in room_labels(sample(), "L0"))
    True
    """
    m_per_char = plan_width_m(facility, level) / PLAN_WIDTH_PX * CHAR_WIDTH_PX
    out = []
    for s in facility.spaces_on(level):
        text = s.name or s.use or s.id
        bx0, _, bx1, _ = s.polygon.bounds
        if s.area >= MIN_LABEL_AREA and (s.name or s.use) and len(text) * m_per_char < bx1 - bx0:
            p = s.polygon.representative_point()
            out.append((float(p.x), float(p.y), text))
    return out


def compartment_labels(facility: Facility, level: str) -> list[tuple[float, float, str]]:
    """(x, y, compartment) at the top middle of each smoke compartment on ``level``, by name."""
    out = []
    for comp, ids in sorted(facility.compartments.items()):
        if facility.space(ids[0]).level != level:
            continue
        x0, _, x1, y1 = shapely.union_all([facility.space(i).polygon for i in ids]).bounds
        out.append(((x0 + x1) / 2, float(y1), comp))
    return out


def labelled_plan(facility: Facility, level: str, *, route: Route | None = None,
                  names: bool = True, height: int = 560) -> go.Figure:
    """The plan of ``level`` with room and compartment names (and ``route``'s part on it)."""
    import plotly.graph_objects as go

    from facility.plot import plan_figure_plotly

    fig = plan_figure_plotly(facility, level, route=route, height=height)
    if not names:
        return fig
    rooms = room_labels(facility, level)
    if rooms:
        xs, ys, texts = zip(*rooms, strict=True)
        fig.add_trace(go.Scatter(x=list(xs), y=list(ys), mode="text", name="room names", text=list(texts),
                                 textfont=ROOM_FONT, hoverinfo="skip"))
    comps = compartment_labels(facility, level)
    if comps:
        xs, ys, names_ = zip(*comps, strict=True)
        fig.add_trace(go.Scatter(x=list(xs), y=list(ys), mode="text", name="compartment names",
                                 text=[f"<b>{c}</b>" for c in names_], textposition="top center",
                                 textfont=COMPARTMENT_FONT, hoverinfo="skip"))
    return fig
