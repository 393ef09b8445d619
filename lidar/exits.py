"""Final exits: openings in the building envelope, each with a confidence and its evidence.

The openings are found by walking the storey's envelope
(:mod:`lidar.envelope_gaps`).  Each one, and each door-like opening the
primary detector found leading out of the scanned area, is then judged on
what lies beyond it:

* a ceiling at this storey's height beyond: the building goes on there
  (unscanned space inside the building) - **not an exit**;
* ground or a walkway at floor level and no ceiling beyond: outside - an exit;
* no returns at all beyond: open air, or glass the laser passed through
  (a glazed entrance) - an exit, with less confidence;
* returns beyond but neither ground nor a ceiling: something stands there
  (the outline went round a cabinet in a corner) - not an exit, reported.

An opening that is not on the envelope (it leads into an unscanned pocket
inside the outline) is never an exit.  Above the ground storey of a
multi-storey scan an envelope opening is an exit only where a walkable
surface at that storey's floor height is seen beyond it (a terrace or a
bridge); elsewhere it is a window or a balcony door and is reported.

Confidence is the sum of the weights of the evidence present
(:data:`EVIDENCE_WEIGHTS`), at most 1.0; every exit is listed for the user
to confirm with its evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import nearest_points

from facility.geometry import BOUNDARY_TOLERANCE, nearest_edge_direction
from facility.model import Exit, Space
from lidar.envelope_gaps import (
    UNSEEN_UNDER_HEAD,
    Gap,
    Surroundings,
    envelope_gaps,
    gap_at,
    measured,
    nearest_gap,
)
from lidar.options import ExtractOptions

__all__ = ["EVIDENCE_WEIGHTS", "ExitCandidate", "Surroundings", "judge_exits"]

#: Weight of each piece of evidence in an exit's confidence (the sum is capped at 1).
EVIDENCE_WEIGHTS = {
    "door in the outer wall with jambs": 0.3,
    "door leaf shut in its frame (what lies beyond was not seen)": 0.1,
    "gap in the outer wall with jambs": 0.3,
    "floor seen up to the opening": 0.2,
    "door head (lintel) above": 0.15,
    "ground or walkway seen outside at floor level": 0.35,
    "no returns beyond (open air, or glass the laser passed)": 0.2,
    "nothing stands before it that could hide a wall (floor seen at a grazing angle)": 0.1,
}

#: How far beyond the envelope line (m) the outside is looked at.
BEYOND = (0.4, 3.0)
#: Largest distance (m) of an opening from the envelope for it to lie in the outer wall
#: (the envelope runs on the wall's centre line, or a little outside it at an opening).
ON_ENVELOPE = 0.3


@dataclass(frozen=True, slots=True)
class ExitCandidate:
    """A judged exit: the facility exit plus why it is believed."""

    exit: Exit
    confidence: float
    evidence: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"id": self.exit.id, "space": self.exit.space, "at": list(self.exit.at),
                "width": self.exit.width, "confidence": round(self.confidence, 2),
                "evidence": list(self.evidence)}



def judge_exits(lid: str, spaces: list[Space], found: list[Exit], env: Surroundings, *,
                ground: bool, opt: ExtractOptions, shut: tuple[tuple[float, float], ...] = (),
                left_out: tuple[Space, ...] = ()) -> tuple[list[ExitCandidate], list[str]]:
    """The storey's final exits, with confidence and evidence, and what was rejected and why.

    Args:
        lid: Level id (for ids and messages).
        spaces: The storey's spaces (storey frame).
        found: Exits the door detector found leading out of the scanned area.
        env: Plan-grid evidence of the storey.
        ground: Whether this is the ground storey (or the only one scanned).
        opt: Door and exit width limits.
        shut: Centres of the openings found as shut doors: their leaf stands
            in their line, and nothing beyond them could be seen.
        left_out: Spaces found but left out for want of a door: they are inside
            the building, so an opening onto one is not an exit.

    Returns:
        The exits kept (renumbered ``{lid}-X01``...) and one warning per rejected candidate.
    """
    if not spaces:
        return [], []
    outline = shapely.union_all([s.polygon for s in spaces])
    rings = [LineString(shapely.orient_polygons(p).exterior.coords)
             for p in getattr(outline, "geoms", [outline]) if isinstance(p, Polygon)]
    envelope = shapely.union_all(rings)
    notes: list[str] = []
    from scipy.spatial import cKDTree

    tree = cKDTree(env.band_points) if len(env.band_points) else None
    rejected: list[tuple[np.ndarray, float, str]] = []
    gaps = [measured(g, tree, env.band_points) for r in rings for g in envelope_gaps(r, env, opt, rejected)]
    for g in gaps:
        if not opt.door_min_width <= g.width <= opt.exit_max_width:
            rejected.append((g.centre, g.width, f"its clear width between the jambs is {g.width:.2f} m"))
    gaps = [g for g in gaps if opt.door_min_width <= g.width <= opt.exit_max_width]
    kept: list[tuple[Exit, float, tuple[str, ...]]] = []
    taken: list[np.ndarray] = []
    for e in found:
        where = f"opening at ({e.at[0]:.2f}, {e.at[1]:.2f}) on level {lid}"
        pocket = next((x for x in left_out if x.polygon.distance(Point(e.at)) < ON_ENVELOPE), None)
        if pocket is not None:
            notes.append(f"{where}: leads into {pocket.id}, a space left out inside the building, so it is "
                         "not an exit")
            continue
        if envelope.distance(Point(e.at)) > ON_ENVELOPE:
            notes.append(f"{where}: leads into unscanned space inside the building (it is not in the outer "
                         "wall), so it is not an exit; scan beyond it if it is one")
            continue
        gap = nearest_gap(gaps, np.asarray(e.at), e.width)
        ev = ["gap in the outer wall with jambs"]
        if any(np.hypot(e.at[0] - c[0], e.at[1] - c[1]) < 0.4 for c in shut):
            if ground:
                ev = ["door in the outer wall with jambs", "door head (lintel) above",
                      "door leaf shut in its frame (what lies beyond was not seen)"]
                kept.append((e, sum(EVIDENCE_WEIGHTS[x] for x in ev), tuple(ev)))
            else:
                notes.append(f"{where}: a shut door in the outer wall of an upper storey; not made a "
                             "final exit")
            continue
        if gap is not None:
            taken.append(gap.centre)
        else:
            gap = gap_at(envelope, e, env)
            if gap is None:
                notes.append(f"{where}: something stands in its line below 0.9 m (a wall foot, furniture), "
                             "so it is not an exit")
                continue
        judged = _judge(gap, env, ev, ground=ground, where=where, notes=notes)
        if judged is not None:
            kept.append((e, *judged))
    for g in gaps:
        if any(np.hypot(*(g.centre - c)) < max(g.width / 2, 0.5) for c in taken):
            continue
        where = f"opening at ({g.centre[0]:.2f}, {g.centre[1]:.2f}) on level {lid}, {g.width:.2f} m wide"
        judged = _judge(g, env, ["gap in the outer wall with jambs"], ground=ground, where=where, notes=notes)
        if judged is None:
            continue
        host = min(spaces, key=lambda s: s.polygon.boundary.distance(Point(g.centre)))
        at = nearest_points(host.polygon.boundary, Point(g.centre))[0]
        if any(t.id != host.id and t.polygon.distance(at) < 0.1 for t in spaces):
            # On a wall two spaces share: a door the detector missed, not an exit.
            notes.append(f"{where}: lies where {host.id} meets another space, so it was taken for a door "
                         "the detector missed, not an exit; check it")
            continue
        kept.append((Exit(id="", space=host.id, at=(round(at.x, 3), round(at.y, 3)),
                          width=round(g.width, 3)), *judged))
    # Never silent: an opening the floor is seen up to in the outer wall that
    # was not made an exit may be one, and an evacuation study must know.
    for c, length, reason in rejected:
        reach = max(length / 2, 0.5) + ON_ENVELOPE
        if any(np.hypot(c[0] - k[0].at[0], c[1] - k[0].at[1]) < reach for k in kept):
            continue
        host = min(spaces, key=lambda s: s.polygon.boundary.distance(Point(c)))
        seen = ("a door head over it" if reason.startswith(UNSEEN_UNDER_HEAD)
                else "floor seen up to it from inside")
        notes.append(f"open stretch of the outer wall at ({c[0]:.2f}, {c[1]:.2f}) on level {lid} ({host.id}, "
                     f"{host.kind.value}), {length:.2f} m, {seen}: not made an exit "
                     f"because {reason}; if it is an exit, add it in the facility file")
    out = []
    for n, (e, conf, why) in enumerate(sorted(kept, key=lambda k: (k[0].at[0], k[0].at[1])), start=1):
        at, shift = _fit_in_wall(e, spaces)
        if shift > 0:
            notes.append(f"exit {lid}-X{n:02d} at ({e.at[0]:.2f}, {e.at[1]:.2f}) on level {lid}: moved "
                         f"{shift:.2f} m along the outer wall so its {e.width:.2f} m opening lies on the "
                         f"outer wall of {e.space} (a neighbour's outline reached round the opening's end)")
        ex = Exit(id=f"{lid}-X{n:02d}", space=e.space, at=at, width=e.width)
        out.append(ExitCandidate(ex, min(1.0, conf), why))
    return out, notes


def _judge(gap: Gap, env: Surroundings, ev: list[str], *, ground: bool, where: str,
           notes: list[str]) -> tuple[float, tuple[str, ...]] | None:
    """Confidence and evidence of an envelope opening, or ``None`` (with a note) if it is no exit."""
    if gap.floor_seen >= 0.5:
        ev.append("floor seen up to the opening")
    if gap.lintel >= 0.5:
        ev.append("door head (lintel) above")
    if gap.grazing:
        ev.append("nothing stands before it that could hide a wall (floor seen at a grazing angle)")
    ceiling, walkway, anything = _beyond(gap, env)
    if ceiling >= 0.3:
        notes.append(f"{where}: a ceiling at this storey's height is seen beyond it, so it leads into "
                     "unscanned space inside the building and is not an exit")
        return None
    if walkway >= 0.2:
        ev.append("ground or walkway seen outside at floor level")
    elif anything < 0.05:
        ev.append("no returns beyond (open air, or glass the laser passed)")
    else:
        # Something stands beyond (a cabinet in a corner the outline went
        # round, a pocket behind a partition) and neither ground nor open air
        # shows: nothing says this is the outside.
        notes.append(f"{where}: returns stand beyond it ({anything:.0%} of the area looked at) but neither "
                     "ground at floor level nor open air, so it opens onto something inside the building "
                     "(furniture, a pocket) and is not an exit")
        return None
    if not ground and "ground or walkway seen outside at floor level" not in ev:
        notes.append(f"{where}: an opening in the outer wall of an upper storey with no terrace or bridge "
                     "seen beyond it; not made a final exit (a window or balcony door?)")
        return None
    return sum(EVIDENCE_WEIGHTS[x] for x in ev), tuple(ev)


def _beyond(gap: Gap, env: Surroundings) -> tuple[float, float, float]:
    """Fractions of the area beyond an opening with a ceiling, floor-level returns, any return."""
    g = env.grid
    along = np.arange(-gap.width / 2 + 0.1, gap.width / 2 - 0.1 + 1e-9, g.cell) if gap.width > 0.3 \
        else np.zeros(1)
    out = np.arange(BEYOND[0], BEYOND[1] + 1e-9, g.cell)
    pts = (gap.centre[None, None, :] + along[:, None, None] * gap.direction
           + out[None, :, None] * gap.outward).reshape(-1, 2)
    # Only where the cone of view through the opening reaches: the first metre
    # beyond shows most; farther cells count the same, as either is evidence.
    return (float(g.lookup(env.ceiling, pts).mean()), float(g.lookup(env.floor_level, pts).mean()),
            float(g.lookup(env.any_return, pts).mean()))



#: Farthest (m) an exit is slid along its wall to lie on its space's outer wall:
#: the outlines of neighbours meet on wall centre lines, a few cells from the jamb.
MAX_FIT_SHIFT = 0.15


def _fit_in_wall(e: Exit, spaces: list[Space]) -> tuple[tuple[float, float], float]:
    """The exit's place slid along its wall so the whole opening lies on its space's outer wall.

    The outer wall of a space is its outline less every wall it shares with
    another space (the facility's rule for exits).  A neighbour's outline can
    run a few centimetres round the end of the wall an opening is in (the
    strip the hull adds beyond the outer wall goes to the nearest room), so an
    opening measured between its jambs can run past that end; it is slid back
    by at most :data:`MAX_FIT_SHIFT`, and otherwise left where it was measured.

    Returns:
        The place, and how far it moved (0 if it fits or cannot be fitted).
    """
    host = next((s for s in spaces if s.id == e.space), None)
    if host is None:
        return e.at, 0.0
    others = [s.polygon.boundary.buffer(BOUNDARY_TOLERANCE) for s in spaces if s.id != host.id]
    ring = host.polygon.boundary
    external = ring.difference(shapely.union_all(others)) if others else ring
    parts = [g for g in shapely.get_parts(shapely.line_merge(shapely.multilinestrings(
        [g for g in shapely.get_parts(external) if isinstance(g, LineString)]))) if g.length > 0]
    if not parts:
        return e.at, 0.0
    part = min(parts, key=Point(e.at).distance)
    u = np.asarray(nearest_edge_direction(host.polygon, e.at))
    t = (np.asarray(part.coords) - np.asarray(e.at)) @ u
    lo, hi = float(t.min()), float(t.max())
    if hi - lo < e.width:
        return e.at, 0.0
    shift = max(0.0, lo + e.width / 2) + min(0.0, hi - e.width / 2)
    if shift == 0.0 or abs(shift) > MAX_FIT_SHIFT:
        return e.at, 0.0
    at = np.asarray(e.at) + u * shift
    return (round(float(at[0]), 3), round(float(at[1]), 3)), abs(shift)
