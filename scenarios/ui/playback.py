"""What a playback is drawn from: who is where at each moment, the smoke, and a still plan.

A drill of 2,000 people over 15 minutes sampled every second is 1.8 million
positions.  :class:`Playback` indexes the stored ``trajectories`` table by
time once, so the people on one level at one moment are a slice, not a
search; :class:`Smoke` does the same for the hazard's maps; the plan of a
level is rendered once as a picture (:func:`plan_picture`) that the people
are drawn over, one marker style per kind of mover (staff, people walking,
wheelchairs, beds).  :mod:`scenarios.ui.player_parts` turns these into the
parts the browser's player is sent.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pandas as pd
from shapely import Polygon

from facility import Facility, SpaceKind
from facility.plot import CATEGORIES, DOOR_COLOURS, category_of

__all__ = ["MOVERS", "Mover", "Playback", "Smoke", "mover_of", "plan_picture"]


class Mover(IntEnum):
    """How a person moves, which decides how they are drawn."""

    STAFF = 0
    WALKING = 1
    WHEELCHAIR = 2
    BED = 3


#: Mover -> (legend name, marker symbol, colour, size in px).
MOVERS: dict[Mover, tuple[str, str, str, int]] = {
    Mover.STAFF: ("staff", "circle", "#1f5fbf", 7),
    Mover.WALKING: ("people walking", "circle", "#2ca02c", 7),
    Mover.WHEELCHAIR: ("wheelchairs", "diamond", "#ff7f0e", 10),
    Mover.BED: ("beds", "square", "#d62728", 12),
}
#: Pixels per metre of the plan picture (a 120 m wide level is a 1,440 px picture).
PICTURE_PX_PER_M = 12
#: Visibility (m) below which a space is drawn as smoky: the small-enclosure tenability limit
#: (ISO 13571 / SFPE: 5 m in small rooms, 10 m in large spaces); the larger one marks smoke early.
SMOKY_VISIBILITY_M = 10.0
#: Width (m) one character of a room name takes on the picture (6 pt at 100 dpi, 12 px a metre):
#: names wider than their room are left out rather than drawn over the next one.
LABEL_M_PER_CHAR = 0.4


def mover_of(role: str, profile: str) -> Mover:
    """The kind of mover a person of ``role`` and ``profile`` is.

    >>> mover_of("staff", "staff"), mover_of("patient", "ventilated"), mover_of("patient", "wheelchair_self")
    (<Mover.STAFF: 0>, <Mover.BED: 3>, <Mover.WHEELCHAIR: 2>)
    """
    if role == "staff":
        return Mover.STAFF
    if profile in ("bed", "ventilated"):
        return Mover.BED
    if profile.startswith("wheelchair"):
        return Mover.WHEELCHAIR
    return Mover.WALKING


@dataclass(frozen=True)
class Playback:
    """The trajectories of one drill, indexed by sample time.

    Attributes:
        times: Sample times (s since the start of the run), ascending.
        starts: Row where each sample time begins (``len(times) + 1`` offsets).
        levels: Level ids; ``level`` holds indices into it.
        level, x, y, mover: One entry per recorded position, sorted by time.
        total: People in the drill.
        person: Who each position is (an index into ``ids``), so a player can move a person
            smoothly from one sample to the next.
        ids: The people's ids.
    """

    times: np.ndarray
    starts: np.ndarray
    levels: tuple[str, ...]
    level: np.ndarray
    x: np.ndarray
    y: np.ndarray
    mover: np.ndarray
    total: int
    person: np.ndarray
    ids: tuple[str, ...]

    @classmethod
    def build(cls, trajectories: pd.DataFrame, agents: pd.DataFrame) -> Playback:
        """Index a drill's ``trajectories`` table; ``agents`` says who is staff, in a bed, ..."""
        kinds = {i: int(mover_of(str(r), str(p))) for i, r, p in
                 zip(agents["id"].tolist(), agents["role"].tolist(), agents["profile"].tolist(), strict=True)}
        t = trajectories.sort_values("time", kind="stable")
        times, starts = np.unique(t["time"].to_numpy(), return_index=True)
        codes, levels = pd.factorize(t["level"])
        who, ids = pd.factorize(t["id"])
        return cls(times=times, starts=np.append(starts, len(t)), levels=tuple(str(v) for v in levels),
                   level=codes.astype(np.int16), x=t["x"].to_numpy(np.float32), y=t["y"].to_numpy(np.float32),
                   mover=t["id"].map(kinds).fillna(int(Mover.WALKING)).to_numpy(np.int8), total=len(agents),
                   person=who.astype(np.int32), ids=tuple(str(v) for v in ids))

    def at(self, i: int, level: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, y, mover)`` of everyone on ``level`` at sample ``i``."""
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        if level not in self.levels:
            empty = np.empty(0, np.float32)
            return empty, empty, np.empty(0, np.int8)
        on = self.level[a:b] == self.levels.index(level)
        return self.x[a:b][on], self.y[a:b][on], self.mover[a:b][on]


@dataclass(frozen=True)
class Smoke:
    """A hazard's maps indexed by time: which spaces are untenable or smoky at a moment.

    Attributes:
        times: Record times (s), ascending.
        untenable, smoky: For each record time, the space ids over the limit.
    """

    times: np.ndarray
    untenable: tuple[frozenset[str], ...]
    smoky: tuple[frozenset[str], ...]

    @classmethod
    def build(cls, maps: pd.DataFrame, replication: int = 0) -> Smoke:
        """Index the ``hazard_maps`` table (one replication) by time."""
        m = maps[maps["replication"] == replication] if "replication" in maps else maps
        times: list[float] = []
        untenable: list[frozenset[str]] = []
        smoky: list[frozenset[str]] = []
        all_times = m["time"].to_numpy(float)
        for t in np.unique(all_times):
            part = m[all_times == t]
            times.append(float(t))
            untenable.append(frozenset(part.loc[part["untenable"].astype(bool), "space"]))
            vis = part["visibility_m"].to_numpy(float)
            smoky.append(frozenset(part.loc[np.nan_to_num(vis, nan=np.inf) < SMOKY_VISIBILITY_M, "space"]))
        return cls(np.asarray(times), tuple(untenable), tuple(smoky))

    def at(self, t: float, facility: Facility, level: str) -> tuple[list[Polygon], list[Polygon]]:
        """Polygons of the untenable and the smoky (not yet untenable) spaces of ``level`` at ``t``."""
        k = int(np.searchsorted(self.times, t, side="right")) - 1
        if k < 0:
            return [], []
        on = {s.id: s.polygon for s in facility.spaces_on(level)}
        bad = [on[s] for s in self.untenable[k] if s in on]
        smoky = [on[s] for s in self.smoky[k] - self.untenable[k] if s in on]
        return bad, smoky


def plan_picture(facility: Facility, level: str) -> tuple[str, tuple[float, float, float, float]]:
    """The plan of ``level`` as a PNG data URI, with the plan bounds it covers (x0, y0, x1, y1)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon as Patch

    x0, y0, x1, y1 = facility.level_outline[level].bounds
    pad = 1.0
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    dpi = 100
    fig = Figure(figsize=((x1 - x0) * PICTURE_PX_PER_M / dpi, (y1 - y0) * PICTURE_PX_PER_M / dpi), dpi=dpi)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    for s in facility.spaces_on(level):
        colour = CATEGORIES[category_of(s.use, s.kind)][0]
        for poly in getattr(s.polygon, "geoms", [s.polygon]):
            ax.add_patch(Patch(np.asarray(poly.exterior.coords), closed=True, facecolor=colour,
                               edgecolor="#222222", linewidth=0.8,
                               hatch="//" if s.kind in (SpaceKind.STAIR, SpaceKind.LIFT) else None))
        bx0, _, bx1, _ = s.polygon.bounds
        label = s.name or s.id
        if s.kind is SpaceKind.ROOM and len(label) * LABEL_M_PER_CHAR < bx1 - bx0:
            p = s.polygon.representative_point()
            ax.text(p.x, p.y, s.name or s.id, ha="center", va="center", fontsize=6, color="#444444")
    for d in facility.doors:
        if facility.space(d.spaces[0]).level == level:
            xs, ys = facility.door_segment(d).xy
            ax.plot(xs, ys, color=DOOR_COLOURS["smoke door" if d.smoke_door else "door"], linewidth=2.5)
    for e in facility.exits:
        if facility.space(e.space).level == level:
            ax.plot([e.at[0]], [e.at[1]], marker="^", color=DOOR_COLOURS["exit"], markersize=8)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(), (x0, y0, x1, y1)
