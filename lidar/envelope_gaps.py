"""Openings in a storey's envelope: where the outer wall is open, and how wide.

The envelope of a storey is the outer ring of the union of its spaces
(outlines reach the outer walls' centre lines).  It is walked at the grid
pitch; a stretch with no wall in the wall band, bounded by wall at both ends
(jambs), with the floor seen right up to it from inside (a wall standing
there would have been seen too), is an opening in the envelope.  Runs of wall
under 12 cm inside such a stretch are mullions or the meeting stiles of a
double door, not jambs.  Each opening's clear width and centre are measured
between the jamb faces, as for doors.  Whether an opening is an exit is
judged on what lies beyond it, in :mod:`lidar.exits`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage
from shapely.geometry import LineString, Point
from shapely.ops import nearest_points

from facility.model import Exit
from lidar.doors import measure_width
from lidar.grid import Grid
from lidar.options import ExtractOptions

__all__ = ["HEAD_OVER_UNSEEN", "LOW_MAX", "MULLION_MAX", "RECOVERED_EXIT_MIN_WIDTH", "UNSEEN_UNDER_HEAD",
           "VIEW_DEPTH", "VIEW_STANDING_MAX", "WALL_SEARCH", "Gap", "Surroundings", "envelope_gaps", "gap_at",
           "measured", "nearest_gap"]

#: Wall runs shorter than this (m) inside a gap are mullions or meeting stiles.
MULLION_MAX = 0.12
#: Band (m) across the envelope line searched for wall: inside, outside.
WALL_SEARCH = (-0.4, 0.2)
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
class Gap:
    """One opening in the envelope, in the storey frame.

    Attributes:
        centre: Its centre (m) on the envelope line (on the wall's face line once measured).
        direction: Unit vector along the wall.
        outward: Unit vector across the wall, pointing out of the building.
        width: Clear width (m), between the jamb faces once measured.
        floor_seen: Share of its width with the floor seen up to it from inside.
        lintel: Share of its width with a door head above.
        grazing: Whether its floor was seen only at a grazing angle (see :data:`VIEW_DEPTH`).
    """

    centre: np.ndarray
    direction: np.ndarray
    outward: np.ndarray
    width: float
    floor_seen: float
    lintel: float
    grazing: bool = False




def envelope_gaps(ring: LineString, env: Surroundings, opt: ExtractOptions,
                   rejected: list[tuple[np.ndarray, float, str]] | None = None) -> list[Gap]:
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
    out: list[Gap] = []
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
            ) -> tuple[Gap | None, str]:
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
                return Gap(centre, u, np.array([u[1], -u[0]]), width, seen, float(head), grazing=True), ""
            return None, (f"{UNSEEN_UNDER_HEAD} {seen:.0%} of it (under the half an exit needs), though a "
                          "door head runs over it" + (f"; something stands before it ({standing:.0%} of the "
                          f"{VIEW_DEPTH} m before it)" if standing > VIEW_STANDING_MAX else ""))
        return None, "floor not seen"
    if blocked:
        return None, "something stands in its line below 0.9 m"
    head = g.lookup(lintel, probe[idx].reshape(-1, 2)).reshape(len(idx), -1).any(axis=1).mean()
    centre = (xy[idx[0]] + xy[idx[-1]]) / 2
    return Gap(centre, u, np.array([u[1], -u[0]]), width, seen, float(head)), ""


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


def measured(gap: Gap, tree: object, pts: np.ndarray) -> Gap:
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
    return Gap(line + gap.direction * shift, gap.direction, gap.outward, width, gap.floor_seen, gap.lintel,
                gap.grazing)


def nearest_gap(gaps: list[Gap], at: np.ndarray, width: float) -> Gap | None:
    """The gap nearest ``at`` within half an opening ``width`` (at least 0.5 m), or ``None``."""
    near = [g for g in gaps if np.hypot(*(g.centre - at)) <= max(width / 2, 0.5)]
    return min(near, key=lambda g: float(np.hypot(*(g.centre - at)))) if near else None


def gap_at(envelope: shapely.Geometry, e: Exit, env: Surroundings) -> Gap | None:
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
    return Gap(np.array([q.x, q.y]), d, out, e.width, 1.0, 1.0)

