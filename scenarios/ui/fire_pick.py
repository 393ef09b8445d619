"""Picking where a fire starts by clicking the plan.

A safety officer thinks "the fire is in this room", pointing at the plan,
not at a room id in a list of hundreds.  The picker draws a level's plan
picture (:func:`scenarios.ui.playback.plan_picture`) with one clickable
marker per room a fire may start in (named on hover, the chosen one
highlighted); Streamlit reports the clicked marker
(``st.plotly_chart(..., on_select=..., selection_mode="points")``) and
:func:`picked_room` turns that report into the room's id, which the page
then sets as the fire's origin in its list of rooms, so list and plan always
agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

if TYPE_CHECKING:
    from facility import Facility

__all__ = ["CHOSEN_COLOUR", "ROOM_COLOUR", "origin_figure", "picked_room"]

#: Colours of the rooms' markers and of the room the fire starts in.
ROOM_COLOUR = "rgba(208,2,27,0.35)"
CHOSEN_COLOUR = "#d0021b"
#: Bounds of the picker's height on screen (px), title included, and the width it is sized for.
MIN_HEIGHT_PX, MAX_HEIGHT_PX, WIDTH_PX = 220, 560, 900
TITLE_PX = 60


def origin_figure(picture: tuple[str, tuple[float, float, float, float]], facility: Facility, level: str,
                  rooms: Sequence[str], chosen: str | None) -> go.Figure:
    """The plan of ``level`` with a marker to click on each of ``rooms`` that is on it.

    Args:
        picture: The level's plan picture and the plan bounds it covers.
        facility: The building.
        level: The level shown.
        rooms: Ids of the rooms a fire may start in (those of other levels are left out).
        chosen: The room the fire starts in now, drawn larger and solid, if it is on ``level``.

    Each marker carries its room's id as ``customdata``, which :func:`picked_room` reads back.
    """
    uri, (x0, y0, x1, y1) = picture
    here = [facility.space(r) for r in rooms if facility.space(r).level == level]
    pts = [s.polygon.representative_point() for s in here]
    is_chosen = [s.id == chosen for s in here]
    fig = go.Figure(go.Scatter(
        x=[p.x for p in pts], y=[p.y for p in pts], mode="markers", name="rooms",
        customdata=[s.id for s in here],
        text=[f"{s.name} ({s.id})" if s.name else s.id for s in here], hovertemplate="%{text}<extra></extra>",
        marker={"size": [18 if c else 11 for c in is_chosen],
                "color": [CHOSEN_COLOUR if c else ROOM_COLOUR for c in is_chosen],
                "symbol": ["star" if c else "circle" for c in is_chosen],
                "line": {"color": CHOSEN_COLOUR, "width": 1}}))
    lv = facility.level(level)
    fig.update_layout(
        title=f"{lv.id} {lv.name}: click the room where the fire starts",
        height=int(min(MAX_HEIGHT_PX, max(MIN_HEIGHT_PX, WIDTH_PX * (y1 - y0) / (x1 - x0) + TITLE_PX))),
        margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="white", showlegend=False,
        clickmode="event+select", dragmode=False,
        images=[{"source": uri, "xref": "x", "yref": "y", "x": x0, "y": y1, "sizex": x1 - x0,
                 "sizey": y1 - y0, "sizing": "stretch", "layer": "below"}])
    fig.update_xaxes(range=[x0, x1], showgrid=False, zeroline=False, visible=False)
    fig.update_yaxes(range=[y0, y1], showgrid=False, zeroline=False, visible=False, scaleanchor="x")
    return fig


def picked_room(selection: Mapping[str, Any] | None, rooms: Sequence[str]) -> str | None:
    """The room of the marker clicked in ``selection`` (a chart selection), if it is one of ``rooms``.

    >>> picked_room({"points": [{"curve_number": 0, "point_index": 3, "customdata": "L2-W1-BAY1"}]},
    ...             ["L2-W1-BAY1", "L2-W1-BAY2"])
    'L2-W1-BAY1'
    >>> picked_room({"points": []}, ["L2-W1-BAY1"]) is None
    True
    """
    points = (selection or {}).get("points") or []
    if not points:
        return None
    data = points[-1].get("customdata")
    room = data[0] if isinstance(data, list | tuple) and data else data
    return room if isinstance(room, str) and room in rooms else None
