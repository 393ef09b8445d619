"""Final exits: openings in the building envelope, each with a confidence and its evidence.

An evacuation is only as right as its exits, so exits are not taken on the
word of one detector.  The envelope of a storey is the outer ring of the
union of its spaces (outlines reach the outer walls' centre lines).  It is
walked at the grid pitch; a stretch with no wall in the wall band, bounded
by wall at both ends (jambs), with the floor seen right up to it from inside
(a wall standing there would have been seen too), is an opening in the
envelope.  Runs of wall under 12 cm inside such a stretch are mullions or
the meeting stiles of a double door, not jambs.  Each candidate, and each
door-like opening the primary detector found leading out of the scanned
area, is then judged on what lies beyond it:

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
from scipy import ndimage
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import nearest_points

from facility.geometry import BOUNDARY_TOLERANCE, nearest_edge_direction
from facility.model import Exit, Space
from lidar.doors import measure_width
from lidar.grid import Grid
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

#: Wall runs shorter than this (m) inside a gap are mullions or meeting stiles.
MULLION_MAX = 0.12
#: Band (m) across the envelope line searched for wall: inside, outside.
WALL_SEARCH = (-0.4, 0.2)
#: How far beyond the envelope line (m) the outside is looked at.
BEYOND = (0.4, 3.0)
#: Largest share of an opening's line with something standing in it below 0.9 m
#: (a threshold strip, a person in the doorway).
LOW_MAX = 0.4
#: Share of an open run of the outer wall that a door head (lintel) must
#: cover for it to be reported although the floor inside was hardly seen.
HEAD_OVER_UNSEEN = 0.8
UNSEEN_UNDER_HEAD = "the floor inside it was seen on only"
#: A door head with no wall seen under it and its floor seen at a grazing angle
#: (a corridor's end exit seen from a station 6 m off: the floor shows in rings
#: a scanner's elevation step apart, 20-25 cm there, not cell by cell) is an
#: opening when, within this depth (m) before it, the floor is seen on at least
#: half its width and nothing stands.  The sight line to a wall's foot at 1 m
#: runs above the sight line to the floor before it, so a wall the scanner saw
#: the floor before would have been seen, unless something standing between that
#: floor and the wall hid it (its face would then be seen, within this depth).
VIEW_DEPTH = 1.0
#: Largest share of the cells within :data:`VIEW_DEPTH` where something stands.
VIEW_STANDING_MAX = 0.03
#: Largest distance (m) of an opening from the envelope for it to lie in the outer wall
#: (the envelope runs on the wall's centre line, or a little outside it at an opening).
ON_ENVELOPE = 0.3
#: Narrowest opening (m) taken as an exit when it is recovered from a longer open run of the
#: outer wall: the narrowest clear width NFPA 101 (7.2.1.2.3) allows an egress door, 32 in.
#: A narrower wall-free stretch on such a run is more often wall the scanner did not see (the
#: real office scan in ``../shared/data/office_room`` has a 0.71 m one) and is reported instead.
RECOVERED_EXIT_MIN_WIDTH = 0.81


@dataclass(frozen=True, slots=True)
class Surroundings:
    """Plan-grid evidence of one storey (storey frame) the exits are judged on.

    Attributes:
        grid: The plan grid.
        wall: Cells filled in the wall band.
        lintel: Cells filled in the lintel band.
        floor: Cells where open floor was seen.
        floor_level: Cells with returns at the storey's floor height (ground
            and walkways outside included, whatever stands on them).
        ceiling: Cells with returns at the storey's ceiling height.
        any_return: Cells with any return between floor and ceiling.
        low: Cells with returns 0.15-0.9 m above the floor (a wall's foot, a
            sill, furniture): an opening has nothing standing in its line.
        standing: Cells where something stands 0.15-2.0 m above the floor
            (furniture, people; as for ``floor``, a tenth of the band's height
            bins hold returns, so a stray return is not a thing): what could
            hide a wall from the scanner.
        band_points: Plan coordinates (n, 2) of the wall-band points, to
            measure widths between the jamb faces as for doors.
    """

    grid: Grid
    wall: np.ndarray
    lintel: np.ndarray
    floor: np.ndarray
    floor_level: np.ndarray
    ceiling: np.ndarray
    any_return: np.ndarray
    low: np.ndarray
    standing: np.ndarray
    band_points: np.ndarray


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


@dataclass(frozen=True, slots=True)
class _Gap:
    centre: np.ndarray
    direction: np.ndarray
    outward: np.ndarray
    width: float
    floor_seen: float
    lintel: float
    grazing: bool = False


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
    gaps = [_measured(g, tree, env.band_points) for r in rings for g in _envelope_gaps(r, env, opt, rejected)]
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
        gap = _nearest_gap(gaps, np.asarray(e.at), e.width)
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
            gap = _gap_at(envelope, e, env)
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


def _judge(gap: _Gap, env: Surroundings, ev: list[str], *, ground: bool, where: str,
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


def _beyond(gap: _Gap, env: Surroundings) -> tuple[float, float, float]:
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


def _envelope_gaps(ring: LineString, env: Surroundings, opt: ExtractOptions,
                   rejected: list[tuple[np.ndarray, float, str]] | None = None) -> list[_Gap]:
    """Openings along one outer ring (counter-clockwise, so outward is to the right).

    Open runs with the floor seen up to them that are not taken as openings
    are added to ``rejected`` as (centre, length, why), so they can be reported.
    """
    g = env.grid
    step = g.cell
    n = max(8, int(ring.length / step))
    s = np.linspace(0.0, ring.length, n, endpoint=False)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(ring, s))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(ring, (s + step) % ring.length))
    d = ahead - xy
    d /= np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-12)[:, None]
    outward = np.column_stack([d[:, 1], -d[:, 0]])
    wall = ndimage.binary_dilation(env.wall)
    offs = np.arange(WALL_SEARCH[0], WALL_SEARCH[1] + 1e-9, step / 2)
    probe = xy[:, None, :] + offs[None, :, None] * outward[:, None, :]
    has_wall = g.lookup(wall, probe.reshape(-1, 2)).reshape(n, -1).any(axis=1)
    if has_wall.all() or not has_wall.any():
        return []
    # Mullions and meeting stiles (short wall runs) do not end an opening.
    # (the wall map was dilated by a cell, which lengthens every run by two).
    short = max(1, round(MULLION_MAX / step)) + 2
    solid = ndimage.binary_opening(np.concatenate([has_wall] * 3), structure=np.ones(short + 1))[n : 2 * n]
    if solid.all() or not solid.any():
        return []
    start = int(np.flatnonzero(solid)[0])
    order = (np.arange(n) + start) % n  # begin on wall so no gap wraps round
    open_ = ~solid[order]
    edges = np.flatnonzero(np.diff(np.concatenate(([0], open_.astype(np.int8), [0]))))
    inside = np.arange(-0.45, -0.1 + 1e-9, step)
    lintel = ndimage.binary_dilation(env.lintel)
    fl = xy[:, None, :] + inside[None, :, None] * outward[:, None, :]
    floor_in = np.asarray(g.lookup(env.floor, fl.reshape(-1, 2)).reshape(n, -1).any(axis=1))
    out: list[_Gap] = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        idx = order[a:b]
        gap, why = _gap_on(idx, xy, outward, probe, floor_in, lintel, env, opt)
        if gap is None and why:
            # The open run may be longer than the opening: where the outline
            # takes in unseen ground round a corner (the hull of a storey with
            # an L or a step), the outer wall beyond a jamb is not on the
            # envelope, so the jamb is cut off.  The opening is the stretch
            # with no wall that the floor is seen up to from inside.
            bridge = np.ones(max(1, round(0.3 / step)))
            clear = floor_in[idx] & ~np.asarray(has_wall)[idx]
            lab, k = ndimage.label(ndimage.binary_closing(clear, structure=bridge))
            subs = [_gap_on(idx[lab == m], xy, outward, probe, floor_in, lintel, env, opt)
                    for m in range(1, k + 1)]
            found = [x for x, _ in subs if x is not None and x.width >= RECOVERED_EXIT_MIN_WIDTH]
            if found:
                out += found
                continue
            # Runs shorter than a door are wall the scanner did not see, not openings.
            headed = why.startswith(UNSEEN_UNDER_HEAD)
            if (why != "floor not seen" and rejected is not None and (floor_in[idx].mean() >= 0.5 or headed)
                    and len(idx) * step >= opt.door_min_width):
                rejected.append(((xy[idx[0]] + xy[idx[-1]]) / 2, float(len(idx) * step), why))
        if gap is not None:
            out.append(gap)
    return out


def _gap_on(idx: np.ndarray, xy: np.ndarray, outward: np.ndarray, probe: np.ndarray,  # noqa: PLR0917
            floor_in: np.ndarray, lintel: np.ndarray, env: Surroundings, opt: ExtractOptions
            ) -> tuple[_Gap | None, str]:
    """The opening on one open run of the envelope walk, or ``None`` and why it is none."""
    g = env.grid
    step = g.cell
    chord = xy[idx[-1]] - xy[idx[0]]
    width = float(np.hypot(*chord)) + step
    if not opt.door_min_width <= width <= opt.exit_max_width:
        return None, (f"{width:.2f} m long, outside the {opt.door_min_width}-{opt.exit_max_width} m of a "
                      "door or exit")
    u = chord / max(width - step, 1e-9)
    # A gap that turns a corner is not one opening in one wall (an outline
    # bulging a little into the opening is).
    rel = xy[idx] - xy[idx[0]]
    if float(np.abs(rel[:, 0] * u[1] - rel[:, 1] * u[0]).max()) > 0.35:
        return None, "it turns a corner of the outline"
    seen = float(floor_in[idx].mean())
    # A wall hidden in the wall band (behind a landing, a cabinet) still
    # shows its foot; an opening has nothing standing in its line (a window
    # has its sill).
    across = np.arange(-0.25, 0.15 + 1e-9, step)
    line = xy[idx][:, None, :] + across[None, :, None] * outward[idx][:, None, :]
    blocked = g.lookup(env.low, line.reshape(-1, 2)).reshape(len(idx), -1).any(axis=1).mean() > LOW_MAX
    if seen < 0.5:
        # Wall not seen rather than absent (its foot was not seen either),
        # unless a door head runs over it and nothing stands in its line:
        # then an exit whose floor the scanner saw only at a grazing angle,
        # from a station metres away.
        head = g.lookup(lintel, probe[idx].reshape(-1, 2)).reshape(len(idx), -1).any(axis=1).mean()
        if seen > 0 and head >= HEAD_OVER_UNSEEN and not blocked:
            near, standing = _view_before(idx, xy, outward, env)
            if near >= 0.5 and standing <= VIEW_STANDING_MAX:
                # The door head was seen, and a wall under it would have been
                # seen too: nothing stands before it to hide one, and the
                # floor is seen right before it, as far as a grazing view shows.
                centre = (xy[idx[0]] + xy[idx[-1]]) / 2
                return _Gap(centre, u, np.array([u[1], -u[0]]), width, seen, float(head), grazing=True), ""
            return None, (f"{UNSEEN_UNDER_HEAD} {seen:.0%} of it (under the half an exit needs), though a "
                          "door head runs over it" + (f"; something stands before it ({standing:.0%} of the "
                          f"{VIEW_DEPTH} m before it)" if standing > VIEW_STANDING_MAX else ""))
        return None, "floor not seen"
    if blocked:
        return None, "something stands in its line below 0.9 m"
    head = g.lookup(lintel, probe[idx].reshape(-1, 2)).reshape(len(idx), -1).any(axis=1).mean()
    centre = (xy[idx[0]] + xy[idx[-1]]) / 2
    return _Gap(centre, u, np.array([u[1], -u[0]]), width, seen, float(head)), ""


def _view_before(idx: np.ndarray, xy: np.ndarray, outward: np.ndarray, env: Surroundings
                 ) -> tuple[float, float]:
    """What lies before an open run, inside, within :data:`VIEW_DEPTH`: the share of its width
    with floor seen, and the share of the cells where something stands (the run's ends left
    out, where the jambs' walls are)."""
    g = env.grid
    depth = np.arange(0.1, VIEW_DEPTH + 1e-9, g.cell)
    inner = idx[2:-2] if len(idx) > 6 else idx
    probe = xy[inner][:, None, :] - depth[None, :, None] * outward[inner][:, None, :]
    near = float(g.lookup(env.floor, probe.reshape(-1, 2)).reshape(len(inner), -1).any(axis=1).mean())
    standing = float(g.lookup(env.standing, probe.reshape(-1, 2)).mean())
    return near, standing


def _measured(gap: _Gap, tree: object, pts: np.ndarray) -> _Gap:
    """The gap with its clear width and centre measured on the jamb points, as doors are.

    The envelope line lies outside the wall face, so the wall's own line is
    found first: the median offset of the points beside the gap's ends.
    """
    from scipy.spatial import cKDTree

    if tree is None:
        return gap
    idx = tree.query_ball_point(gap.centre, gap.width / 2 + 0.4)  # type: ignore[attr-defined]
    if not idx:
        return gap
    p = pts[np.asarray(idx)] - gap.centre
    along, across = p @ gap.direction, p @ gap.outward
    jamb = ((np.abs(np.abs(along) - gap.width / 2) < 0.3) & (across > WALL_SEARCH[0])
            & (across < WALL_SEARCH[1]))
    if jamb.sum() < 5:
        return gap
    line = gap.centre + gap.outward * float(np.median(across[jamb]))
    # Mullions inside the gap are not jambs: measure on the points beyond them.
    near = pts[np.asarray(idx)]
    keep = np.abs((near - gap.centre) @ gap.direction) > gap.width / 2 - 0.15
    if keep.sum() < 2:
        return gap
    width, shift = measure_width(cKDTree(near[keep]), near[keep], line, u=gap.direction, nrm=gap.outward,
                                 span=gap.width, depth=0.2)
    if width is None:
        return gap
    return _Gap(line + gap.direction * shift, gap.direction, gap.outward, width, gap.floor_seen, gap.lintel,
                gap.grazing)


def _nearest_gap(gaps: list[_Gap], at: np.ndarray, width: float) -> _Gap | None:
    near = [g for g in gaps if np.hypot(*(g.centre - at)) <= max(width / 2, 0.5)]
    return min(near, key=lambda g: float(np.hypot(*(g.centre - at)))) if near else None


def _gap_at(envelope: shapely.Geometry, e: Exit, env: Surroundings) -> _Gap | None:
    """The envelope opening at a detector-found exit the envelope walk did not see as a gap.

    The door detector only reports an opening with a lintel over it and the
    floor seen through it, so both count as seen; ``None`` if something
    stands in its line below 0.9 m, as at a wall hidden above it.
    """
    p = Point(e.at)
    q = nearest_points(envelope, p)[0]
    line = min((g for g in getattr(envelope, "geoms", [envelope])), key=lambda r: r.distance(q))
    s = line.project(q)
    a = np.asarray(line.interpolate(max(0.0, s - 0.05)).coords[0])
    b = np.asarray(line.interpolate(min(line.length, s + 0.05)).coords[0])
    d = (b - a) / max(float(np.hypot(*(b - a))), 1e-12)
    out = np.array([d[1], -d[0]])
    along = np.linspace(-e.width / 2 + 0.1, e.width / 2 - 0.1, max(2, int(e.width / env.grid.cell)))
    across = np.arange(-0.25, 0.15 + 1e-9, env.grid.cell)
    pts = np.asarray(e.at)[None, None, :] + along[:, None, None] * d + across[None, :, None] * out
    if env.grid.lookup(env.low, pts.reshape(-1, 2)).reshape(len(along), -1).any(axis=1).mean() > LOW_MAX:
        return None
    return _Gap(np.array([q.x, q.y]), d, out, e.width, 1.0, 1.0)


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
