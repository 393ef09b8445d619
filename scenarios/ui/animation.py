"""Playback played by the browser: a window of a drill as Plotly animation frames.

Re-running the page's script for every frame of a playback costs a round trip
to the server per frame (about one frame a second on a loaded machine).  Here
the browser plays it instead: one figure holds a *chunk* of the drill (at most
:data:`FRAMES_PER_CHUNK` frames, about a second of drill apart) for one level,
with Plotly's own Play/Pause buttons and time slider, so playing and scrubbing
never touch the server.  The plan is drawn once as the figure's background
picture; each frame carries only the people on the level at that moment, one
scatter per kind of mover, and the smoke-logged and untenable spaces when the
drill had a hazard.  A 15-minute drill of 2,000 people is thus a handful of
chunks of a few MB each, never one figure of every position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from shapely import Polygon

from scenarios.ui.playback import MOVERS, Playback

__all__ = ["FRAMES_PER_CHUNK", "FRAME_STEP_S", "SmokeAt", "chunks", "frame_times", "playback_figure"]

#: Drill time (s) between two frames: finer than people can follow at replay speed is wasted bytes.
FRAME_STEP_S = 1.0
#: Most frames in one figure: two minutes of drill at one frame a second, a few MB for 2,000 people.
FRAMES_PER_CHUNK = 120
#: Decimals kept of a coordinate (m): a centimetre is far below a marker's size on screen.
COORD_DECIMALS = 2
#: Bounds of the plan's height on screen (px).
MIN_HEIGHT_PX, MAX_HEIGHT_PX = 260, 760
#: Height (px) added to the plan's for the title, legend, buttons and slider.
CONTROLS_PX = 190
SECONDS_PER_MINUTE = 60.0
#: (trace name, fill colour) of the untenable and the smoke-logged spaces, drawn under the people.
SMOKE_TRACES: tuple[tuple[str, str], ...] = (("untenable", "rgba(60,60,60,0.55)"),
                                             ("smoke", "rgba(120,120,120,0.25)"))

#: The untenable and the smoky spaces of the shown level at a time (s), as polygons.
SmokeAt = Callable[[float], tuple[list[Polygon], list[Polygon]]]


def frame_times(times: np.ndarray, step_s: float = FRAME_STEP_S) -> np.ndarray:
    """Indices of the sample ``times`` kept as frames: the first sample at or after each ``step_s``.

    Samples closer than ``step_s`` are dropped; sparser samples are all kept.

    >>> frame_times(np.arange(0.0, 3.0, 0.5)).tolist()
    [0, 2, 4]
    >>> frame_times(np.array([0.0, 2.0, 4.0])).tolist()
    [0, 1, 2]
    """
    if step_s <= 0:
        raise ValueError(f'"step_s" must be > 0, got {step_s}')
    if len(times) == 0:
        return np.empty(0, dtype=int)
    # a hair below each grid time, so float noise in the stored times does not skip a sample
    grid = np.arange(times[0], times[-1] + step_s / 2, step_s) - 1e-6
    return np.unique(np.minimum(np.searchsorted(times, grid), len(times) - 1))


def chunks(frames: np.ndarray, per_chunk: int = FRAMES_PER_CHUNK) -> list[np.ndarray]:
    """``frames`` cut in consecutive windows of at most ``per_chunk``.

    >>> [c.tolist() for c in chunks(np.arange(5), 2)]
    [[0, 1], [2, 3], [4]]
    """
    if per_chunk < 1:
        raise ValueError(f'"per_chunk" must be >= 1, got {per_chunk}')
    return [frames[k:k + per_chunk] for k in range(0, len(frames), per_chunk)]


def _rounded(a: np.ndarray) -> list[float]:
    # a list of short decimals is as small in JSON as float32 bytes, and exact to the centimetre
    return list(np.round(a.astype(float), COORD_DECIMALS).tolist())


def _rings(polys: list[Polygon]) -> tuple[list[float | None], list[float | None]]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for p in polys:
        for g in getattr(p, "geoms", [p]):
            cx, cy = (np.round(np.asarray(c, dtype=float), COORD_DECIMALS).tolist() for c in g.exterior.xy)
            xs += [*cx, None]
            ys += [*cy, None]
    return xs, ys


def _traces(pb: Playback, i: int, level: str, smoke_at: SmokeAt | None) -> list[dict[str, Any]]:
    """The traces of frame ``i``: always the same list (smoke first, then each mover), maybe empty."""
    data: list[dict[str, Any]] = []
    if smoke_at is not None:
        for polys in smoke_at(float(pb.times[i])):
            px, py = _rings(polys)
            data.append({"type": "scatter", "x": px, "y": py})
    xs, ys, mv = pb.at(i, level)
    for mover in MOVERS:
        sel = mv == int(mover)
        data.append({"type": "scatter", "x": _rounded(xs[sel]), "y": _rounded(ys[sel])})
    return data


def playback_figure(picture: tuple[str, tuple[float, float, float, float]], pb: Playback,
                    frames: Sequence[int], level: str, *, title: str, frame_ms: int,
                    smoke_at: SmokeAt | None = None, width_px: int = 900) -> go.Figure:
    """One chunk of a drill on one level as an animated figure the browser plays by itself.

    Args:
        picture: The plan of ``level`` as a picture and the plan bounds it covers
            (:func:`scenarios.ui.playback.plan_picture`).
        pb: The drill's trajectories indexed by time.
        frames: Sample indices of ``pb`` to show, ascending (one chunk of :func:`chunks`).
        level: The level shown.
        title: The figure's title.
        frame_ms: How long each frame stays on screen while playing (ms): the replay's speed.
        smoke_at: Given a time, the level's untenable and smoky spaces; ``None`` without a hazard.
        width_px: Width the figure is drawn at, to size its height to the plan's shape.

    Returns:
        A figure whose ``frames`` hold, per sample time, the people on ``level`` as one
        scatter per kind of mover (and the smoke under them), with Play/Pause and a time slider.
    """
    if not frames:
        raise ValueError("a playback needs at least one frame")
    if frame_ms < 1:
        raise ValueError(f'"frame_ms" must be >= 1, got {frame_ms}')
    uri, (x0, y0, x1, y1) = picture
    styles: list[dict[str, Any]] = []
    if smoke_at is not None:
        styles += [{"name": name, "fill": "toself", "mode": "none", "fillcolor": colour, "hoverinfo": "skip"}
                   for name, colour in SMOKE_TRACES]
    styles += [{"name": name, "mode": "markers", "hoverinfo": "skip",
                "marker": {"symbol": symbol, "color": colour, "size": size,
                           "line": {"color": "white", "width": 0.5}}}
               for name, symbol, colour, size in MOVERS.values()]
    names = [f"{pb.times[i] / SECONDS_PER_MINUTE:.1f}" for i in frames]
    # plain dicts, validated once by the figure (a go.Frame each would validate every frame twice)
    out: list[dict[str, Any]] = [{"name": n, "data": _traces(pb, i, level, smoke_at)}
                                 for n, i in zip(names, frames, strict=True)]
    first = [{**style, **trace} for style, trace in zip(styles, out[0]["data"], strict=True)]
    fig = go.Figure(data=first, frames=out)
    # redraw: False lets Plotly move the markers without redrawing the plan picture each frame
    play = {"frame": {"duration": frame_ms, "redraw": False}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}
    still = {"frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}, "mode": "immediate"}
    height = int(min(MAX_HEIGHT_PX + CONTROLS_PX,
                     max(MIN_HEIGHT_PX, width_px * (y1 - y0) / (x1 - x0) + CONTROLS_PX)))
    fig.update_layout(
        title=title, height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="white",
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
        images=[{"source": uri, "xref": "x", "yref": "y", "x": x0, "y": y1, "sizex": x1 - x0,
                 "sizey": y1 - y0, "sizing": "stretch", "layer": "below"}],
        updatemenus=[{"type": "buttons", "direction": "left", "showactive": False,
                      "x": 0.0, "xanchor": "left", "y": 0.0, "yanchor": "top", "pad": {"t": 10, "r": 10},
                      "buttons": [{"label": "Play", "method": "animate", "args": [None, play]},
                                  {"label": "Pause", "method": "animate", "args": [[None], still]}]}],
        sliders=[{"active": 0, "x": 0.14, "len": 0.86, "y": 0.0, "yanchor": "top", "pad": {"t": 10},
                  "currentvalue": {"prefix": "", "suffix": " min after the alarm"},
                  "steps": [{"label": n, "method": "animate", "args": [[n], still]} for n in names]}])
    fig.update_xaxes(range=[x0, x1], showgrid=False, zeroline=False, visible=False)
    fig.update_yaxes(range=[y0, y1], showgrid=False, zeroline=False, visible=False, scaleanchor="x")
    return fig
