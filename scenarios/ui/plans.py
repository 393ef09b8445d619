"""Plans for the pages: the facility's plan of a level with names on it, and routes across levels.

:func:`facility.plot.plan_figure_plotly` draws the building; this module adds
what a person reads a plan by: room names where they are, compartment names,
and, for a route that changes level, the list of levels it uses so that each
can be drawn with its part of the route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shapely

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from facility import Facility, Route

__all__ = ["labelled_plan", "route_levels"]

#: Rooms smaller than this (m²) are too small to carry a readable name at building scale.
MIN_LABEL_AREA = 12.0
#: Width (px) a plan is usually drawn at in the app, and of one character of a room name
#: (9 px font): a name wider than its room at that scale is left out, not drawn over the next.
PLAN_WIDTH_PX = 850.0
CHAR_WIDTH_PX = 5.5
ROOM_FONT = {"size": 9, "color": "#333333"}
COMPARTMENT_FONT = {"size": 13, "color": "#b00020"}


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


def labelled_plan(facility: Facility, level: str, *, route: Route | None = None,
                  names: bool = True, height: int = 560) -> go.Figure:
    """The plan of ``level`` with room and compartment names (and ``route``'s part on it)."""
    import plotly.graph_objects as go

    from facility.plot import plan_figure_plotly

    fig = plan_figure_plotly(facility, level, route=route, height=height)
    if not names:
        return fig
    x0, _, x1, _ = facility.level_outline[level].bounds
    m_per_char = (x1 - x0) / PLAN_WIDTH_PX * CHAR_WIDTH_PX
    rooms = [s for s in facility.spaces_on(level) if s.area >= MIN_LABEL_AREA and (s.name or s.use)
             and len(s.name or s.use or s.id) * m_per_char < s.polygon.bounds[2] - s.polygon.bounds[0]]
    if rooms:
        pts = [s.polygon.representative_point() for s in rooms]
        fig.add_trace(go.Scatter(
            x=[p.x for p in pts], y=[p.y for p in pts], mode="text", name="room names",
            text=[s.name or s.use or s.id for s in rooms], textfont=ROOM_FONT, hoverinfo="skip"))
    comps = {c: ids for c, ids in facility.compartments.items()
             if facility.space(ids[0]).level == level}
    if comps:
        xs, ys, labels = [], [], []
        for comp, ids in sorted(comps.items()):
            hull = shapely.union_all([facility.space(i).polygon for i in ids])
            x0, _, x1, y1 = hull.bounds
            xs.append((x0 + x1) / 2)
            ys.append(y1)
            labels.append(f"<b>{comp}</b>")
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="text", name="compartment names", text=labels,
                                 textposition="top center", textfont=COMPARTMENT_FONT, hoverinfo="skip"))
    return fig
