"""The drill player on the page: a canvas the browser plays, fed part by part as it plays.

The player itself runs in the browser (``player.js`` beside this file,
mounted with ``st.components.v2``): play, pause, scrub, level and speed
never wait for the server.  The server sends it one part of the drill at a
time (:mod:`scenarios.ui.player_parts`): the first part of the starting level
with the page, then whichever part the player asks for (by setting its
``want`` state: the level, the part, and whether it still needs that level's
plan picture) while it plays the one before.  The player sits in a fragment,
so answering a request reruns only the player, not the page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import numpy as np
import streamlit as st

from facility import Facility
from scenarios.ui.playback import MOVERS, Playback, Smoke
from scenarios.ui.player_parts import encode_part, frame_times, part_arrays, parts

__all__ = ["DEFAULT_SPEED", "PLAYER_KEY", "SPEEDS", "Request", "Source", "part_payload", "request_of",
           "run_id", "show_player"]

#: Session key of the player component (its ``want`` state is the part it asks for).
PLAYER_KEY = "pb_player"
#: Playback speeds, as multiples of real time (10x: a minute of drill in six seconds).
SPEEDS = (5, 10, 20, 30, 60)
DEFAULT_SPEED = 10
#: Bounds of the plan's height on screen (px).
MIN_HEIGHT_PX, MAX_HEIGHT_PX = 260, 760
#: Decimals kept of a smoke outline's coordinates (m).
RING_DECIMALS = 2

_CSS = """
.medtwin-player .controls { display: flex; gap: .6rem; align-items: center; flex-wrap: wrap;
  margin-bottom: .4rem; }
.medtwin-player .controls .scrub { flex: 1 1 16rem; }
.medtwin-player .controls .clock { min-width: 11rem; font-variant-numeric: tabular-nums; }
.medtwin-player .controls .status { color: #888; font-size: .85rem; }
.medtwin-player button, .medtwin-player select { font: inherit; padding: .2rem .6rem; border-radius: .4rem;
  border: 1px solid rgba(49,51,63,.3); background: white; }
.medtwin-player canvas { display: block; border: 1px solid rgba(49,51,63,.15); border-radius: .4rem; }
.medtwin-player .legend { display: flex; gap: 1rem; font-size: .85rem; margin-top: .3rem; }
.medtwin-player .legend i { display: inline-block; width: .7rem; height: .7rem; border-radius: 50%;
  margin-right: .3rem; vertical-align: middle; }
.medtwin-player .note { color: #666; font-size: .85rem; }
"""

_mount: Any = st.components.v2.component(
    "medtwin_drill_player", js=files("scenarios.ui").joinpath("player.js").read_text(encoding="utf-8"),
    css=_CSS, isolate_styles=False)


@dataclass(frozen=True)
class Request:
    """A part the player asks for: of which level, which part, and whether the plan picture comes too."""

    level: str
    part: int
    picture: bool


@dataclass(frozen=True)
class Source:
    """Everything a part is made from: one drill's positions, its building and its smoke.

    Attributes:
        run: The drill's identity (its results folder): a new drill resets the player.
        playback: The drill's positions indexed by time.
        facility: The building it ran in.
        levels: Levels offered, in order, with their labels.
        start_level: The level shown first.
        picture: Given a level, its plan picture and the plan bounds it covers.
        smoke: The hazard's maps, or ``None`` without a hazard.
    """

    run: str
    playback: Playback
    facility: Facility
    levels: tuple[tuple[str, str], ...]
    start_level: str
    picture: Callable[[str], tuple[str, tuple[float, float, float, float]]]
    smoke: Smoke | None = None

    def frames(self) -> list[np.ndarray]:
        """The drill's sample times sent, cut in parts."""
        return parts(self.playback.times, frame_times(self.playback.times))


def request_of(state: object, source: Source) -> Request:
    """The part to send: what the player's ``want`` state asks for, if it is valid for this drill.

    Anything else (no request yet, a request made for another drill, an unknown level or part)
    gives the first part of the starting level, with its picture.
    """
    want = state.get("want") if isinstance(state, Mapping) else getattr(state, "want", None)
    levels = {lv for lv, _ in source.levels}
    n = len(source.frames())
    if isinstance(want, Mapping) and want.get("run") == source.run and want.get("level") in levels:
        part = want.get("part")
        if isinstance(part, int) and not isinstance(part, bool) and 0 <= part < n:
            return Request(str(want["level"]), part, bool(want.get("picture", True)))
    return Request(source.start_level, 0, True)


def _ring(polygon: Any) -> list[float]:
    shape = max(getattr(polygon, "geoms", [polygon]), key=lambda g: g.area)
    return [round(float(v), RING_DECIMALS) for xy in shape.exterior.coords for v in xy]


def _smoke_header(source: Source, level: str, t0: float, t1: float) -> list[list[Any]]:
    """The smoke records of ``level`` in ``[t0, t1]`` and the one in force at ``t0``.

    Each is ``[t, untenable space ids, smoky (not yet untenable) space ids]``.
    """
    smoke = source.smoke
    if smoke is None or len(smoke.times) == 0:
        return []
    on = {s.id for s in source.facility.spaces_on(level)}
    first = max(0, int(np.searchsorted(smoke.times, t0, side="right")) - 1)
    last = int(np.searchsorted(smoke.times, t1, side="right"))
    return [[float(smoke.times[k]), sorted(smoke.untenable[k] & on),
             sorted((smoke.smoky[k] - smoke.untenable[k]) & on)] for k in range(first, last)]


def part_payload(source: Source, request: Request, *, speed: int = DEFAULT_SPEED) -> bytes:
    """The bytes sent to the player for ``request``: the part, the drill's outline, maybe the picture.

    A part but the last ends with the first sample time of the next (``joined`` in its header),
    so the player moves people on through the last second of a part instead of holding them at
    its last sample until the next part takes over.

    Raises:
        ValueError: The request names a part the drill does not have.
    """
    frames = source.frames()
    if not 0 <= request.part < len(frames):
        raise ValueError(f"part {request.part} of a drill with {len(frames)} parts")
    pb = source.playback
    chosen = frames[request.part]
    joined = request.part + 1 < len(frames)
    if joined:  # the next part's first sample time: people move on across the boundary, not stand still
        chosen = np.append(chosen, frames[request.part + 1][0])
    times = pb.times[chosen]
    uri, bounds = source.picture(request.level)
    _, mover, xy = part_arrays(pb, chosen, request.level)
    starts = [float(pb.times[f[0]]) for f in frames]
    meta = {"run": source.run, "levels": [list(lv) for lv in source.levels], "level": source.start_level,
            "start_s": starts[0], "duration_s": float(pb.times[frames[-1][-1]]), "part_starts": starts,
            "speeds": list(SPEEDS), "speed": speed, "total": pb.total,
            "movers": [list(MOVERS[m]) for m in sorted(MOVERS)],
            "min_height_px": MIN_HEIGHT_PX, "max_height_px": MAX_HEIGHT_PX}
    header: dict[str, Any] = {
        "level": request.level, "part": request.part, "times": [round(float(t), 3) for t in times],
        "bounds": list(bounds), "meta": meta, "joined": joined,
        "smoke": _smoke_header(source, request.level, float(times[0]), float(times[-1]))}
    if request.picture:
        header["picture"] = uri
        if source.smoke is not None:
            header["spaces"] = {s.id: _ring(s.polygon) for s in source.facility.spaces_on(request.level)}
    return encode_part(header, mover, xy, origin=(bounds[0], bounds[1]))


def run_id(path: str) -> str:
    """A short identity of a drill's results folder, for the player to tell drills apart."""
    return hashlib.sha256(path.encode()).hexdigest()[:12]


def show_player(source: Source, payload: Callable[[Request], bytes]) -> None:
    """Mount the player with the part it asked for last (or the first part of the starting level).

    ``payload`` turns a request into the bytes sent (the caller caches it per drill and request).
    """
    request = request_of(st.session_state.get(PLAYER_KEY), source)
    _mount(key=PLAYER_KEY, data=payload(request), default={"want": None}, on_want_change=_ignore,
           height="content")


def _ignore() -> None:
    """The player's request needs no callback: the fragment's rerun answers it."""
