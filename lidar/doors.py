"""Doors: openings in walls with a lintel above, and their clear width.

A door leaves a gap in the wall band (floor to head height) but the wall
continues above its head as a lintel.  So the cells that are occupied in the
lintel band but free in the wall band, grouped, are opening candidates; a
candidate is a door if it is as long as a door can be wide and has wall (a
jamb) at both ends along its long axis.  That rejects beams across a
corridor (too long), ceiling lamps (no jambs) and shelf tops (not in the
lintel band).  The clear width is then measured on the points themselves:
the gap between the two jamb faces along the wall, which is far more precise
than the grid cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from lidar.grid import Grid, disk
from lidar.options import ExtractOptions

__all__ = ["Opening", "detect_openings", "measure_width", "rasterize_openings"]


@dataclass(frozen=True, slots=True)
class Opening:
    """A door-like opening found in the scan.

    Attributes:
        centre: Centre of the clear opening (plan, m).
        direction: Unit vector along the wall.
        width: Clear width between the jambs (m).
        depth: Thickness of the wall at the opening (m).
        closed: A shut door (its leaf in the opening, :mod:`lidar.closed_doors`).
    """

    centre: tuple[float, float]
    direction: tuple[float, float]
    width: float
    depth: float
    closed: bool = False

    @property
    def normal(self) -> tuple[float, float]:
        return (-self.direction[1], self.direction[0])


def detect_openings(grid: Grid, *, wall: np.ndarray, lintel: np.ndarray, floor: np.ndarray,
                    band_points: np.ndarray, options: ExtractOptions, lattice: float = 0.0,
                    angle: float | None = None) -> list[Opening]:
    """Find door openings on one storey.

    Args:
        grid: The plan grid.
        wall: Cells filled in the wall band.
        lintel: Cells filled in the lintel band.
        floor: Cells where the floor was seen (it is seen through an opening,
            never under a wall hidden behind furniture).
        band_points: Plan coordinates (n, 2) of the points in the wall band,
            used to measure widths at point precision.
        options: Door width limits and the wall closing radius.
        lattice: Voxel edge if the points are occupancy-voxel centres (0 for
            measured points). Widths are measured between jamb voxel centres:
            the jamb face lies somewhere inside its last occupied voxel, so the distance
            between the two jamb voxel centres is the unbiased clear width (within
            +- one voxel); adding a voxel would overstate it, the unsafe direction for
            deciding whether a bed fits.
        angle: Direction (radians) of the walls whose doors are sought;
            ``None``: the direction most walls follow (:func:`dominant_angle`).
            A storey with a wing at another angle is extracted in each wing's
            frame, and there the wing's walls, not the most walls, are the ones.

    Returns:
        Openings, in a deterministic order (by grid position).
    """
    c = grid.cell
    wall_near = ndimage.binary_dilation(wall, structure=disk(0.1 / c))
    only_lintel = lintel & ~wall_near
    jamb_zone = ndimage.binary_dilation(wall, structure=disk(0.15 / c))
    from scipy.spatial import cKDTree

    tree = cKDTree(band_points) if len(band_points) else None
    widest = max(options.door_max_width, options.exit_max_width)
    out: list[Opening] = []
    theta = dominant_angle(wall) if angle is None else angle
    # A thin face at an angle is a staircase that a rasterised line of the
    # same angle need not fit: thicken it by a cell first (not needed, and
    # harmful to thin sparse scans, when walls follow the grid).
    aligned = min(theta % (np.pi / 2), np.pi / 2 - theta % (np.pi / 2)) < np.radians(1)
    thick = only_lintel if aligned else ndimage.binary_dilation(only_lintel)
    for along in (theta, theta + np.pi / 2):
        # A hole along a lintel where a scan missed its faces is bridged in a
        # second pass, whose openings are kept only where the first found none:
        # bridged from the start, a day room's door joined the lintel beside it
        # and was lost.  (An occupancy map marks every voxel a return fell in:
        # its holes are real.)
        passes = [thick]
        if not lattice:
            passes.append(ndimage.binary_closing(thick, structure=line(LINTEL_HOLE / c, along)) | thick)
        for n_pass, source in enumerate(passes):
            found = _lintel_openings(grid, source, along, wall=wall, floor=floor,
                                     zones=(jamb_zone, wall_near), tree=tree, band_points=band_points,
                                     widest=widest, options=options, lattice=lattice)
            if n_pass:
                found = [o for o in found if not any(
                    np.hypot(o.centre[0] - x.centre[0], o.centre[1] - x.centre[1]) < (o.width + x.width) / 2
                    for x in out)]
            out += found
    return out


def _lintel_openings(grid: Grid, source: np.ndarray, along: float, *, wall: np.ndarray, floor: np.ndarray,
                     zones: tuple[np.ndarray, np.ndarray], tree: object, band_points: np.ndarray,
                     widest: float, options: ExtractOptions, lattice: float) -> list[Opening]:
    """The openings under the lintel cells ``source`` that run along direction ``along``."""
    c = grid.cell
    out: list[Opening] = []
    u = np.array([np.cos(along), np.sin(along)])
    nrm = np.array([-u[1], u[0]])
    # Keep lintel cells that run along this wall direction for at least
    # half a door: beams across a corridor and lamps are thin that way.
    half_door = line(0.5 * options.door_min_width / c, along)
    runs = ndimage.binary_opening(source, structure=half_door) & source
    # The two faces of a lintel lie a wall thickness apart: join them.
    grouped = ndimage.binary_dilation(runs, structure=disk(options.wall_closing / c))
    labels, n = ndimage.label(grouped, structure=np.ones((3, 3)))
    ii, jj = np.nonzero(runs)
    lab = labels[ii, jj]
    order = np.argsort(lab, kind="stable")
    ii, jj, lab = ii[order], jj[order], lab[order]
    bounds = np.searchsorted(lab, np.arange(1, n + 2))
    for k in range(n):
        sl = slice(bounds[k], bounds[k + 1])
        if bounds[k + 1] - bounds[k] < 3:
            continue
        xy = grid.centres(ii[sl], jj[sl])
        s = xy @ u
        t = xy @ nrm
        span = float(s.max() - s.min() + c)
        depth = float(t.max() - t.min() + c)
        centre = u * (s.max() + s.min()) / 2 + nrm * (t.max() + t.min()) / 2
        s = s - float(centre @ u)
        if span > widest + 0.4 and depth < 0.6:
            # A long lintel with no wall under it: a wall the scanner saw
            # only above head height.  Its doors are where the floor is
            # seen on both sides of it (the view ran through the door).
            out += _passages(grid, floor, centre, u=u, nrm=nrm, s0=float(s.min()), s1=float(s.max()),
                             depth=depth, options=options, jambs=None if lattice else (tree, band_points))
            continue
        # Where wall stands anywhere across the lintel's thickness (one face
        # seen, the other hidden by furniture), it is not an opening: keep
        # the open stretches of the run only.
        t_rel = t - float(centre @ nrm)
        for s0, s1, frac in _open_stretches(grid, wall, floor, centre, u=u, nrm=nrm, s=s,
                                            t=t_rel, max_width=options.door_max_width):
            if _face_behind(grid, wall, centre, u=u, nrm=nrm, s0=s0, s1=s1,
                            t0=float(t_rel.min()), t1=float(t_rel.max())):
                continue
            sub = centre + u * (s0 + s1) / 2
            found = _door_at(grid, sub, u, nrm, span=s1 - s0 + c, depth=depth, floor_frac=frac,
                             zones=zones, tree=tree, band_points=band_points,
                             widest=widest, options=options, lattice=lattice)
            if found is not None:
                out.append(found)
    return out


#: Longest hole (m) along a lintel that still leaves one lintel: over the 1.8 m
#: cross-corridor smoke door of the sample hospital's critical-care storey,
#: scanned at 2 cm, a 0.4 m stretch of the lintel's faces filled too few
#: height bins, and its two halves (0.4 and 0.8 m) were each too short for a door.
#: (A pier between two doors still parts them: its wall stands in the wall band.)
LINTEL_HOLE = 0.45


#: Lowest rate of floor returns beside an opening that its own floor is judged
#: against: where little floor shows beside it (furniture, a sparse map), the
#: floor through it must still show in at least half this share of its cells.
FLOOR_RATE_FLOOR = 0.5


def _open_stretches(grid: Grid, wall: np.ndarray, floor: np.ndarray, centre: np.ndarray, *, u: np.ndarray,
                    nrm: np.ndarray, s: np.ndarray, t: np.ndarray, max_width: float
                    ) -> list[tuple[float, float, float]]:
    """Stretches ``(s0, s1, floor fraction)`` of a lintel run with no wall anywhere across it
    (and, for runs too long for one door, floor seen along its middle).

    The floor fraction is the share of the stretch's cells with floor seen,
    relative to the share beside it (0.15-0.5 m either side, at least
    :data:`FLOOR_RATE_FLOOR`), capped at 1: at 5 cm spacing only about 60 % of
    open floor cells hold a floor return, and a cross-corridor door seen in
    half its cells was taken for a wall.
    """
    c = grid.cell
    steps = np.arange(float(s.min()), float(s.max()) + 1e-9, c)
    across = np.arange(float(t.min()) - 0.1, float(t.max()) + 0.1 + 1e-9, c / 2)
    pts = centre[None, None, :] + steps[:, None, None] * u + across[None, :, None] * nrm
    blocked = grid.lookup(wall, pts.reshape(-1, 2)).reshape(len(steps), len(across)).any(axis=1)
    inside = (across >= float(t.min()) - 1e-9) & (across <= float(t.max()) + 1e-9)
    if not inside.any():
        inside = np.abs(across - float(t.mean())) == np.abs(across - float(t.mean())).min()
    seen = grid.lookup(floor, pts[:, inside].reshape(-1, 2)).reshape(len(steps), -1).mean(axis=1)
    # How densely floor shows on open floor here (a 5 cm scan thinned to 5 cm
    # voxels sees it in about 60 % of cells, a dense one in all): the floor
    # through an opening is judged against the floor beside it.
    off = np.concatenate([float(t.min()) - np.arange(0.15, 0.5, c), float(t.max()) + np.arange(0.15, 0.5, c)])
    near = centre[None, None, :] + steps[:, None, None] * u + off[None, :, None] * nrm
    beside = grid.lookup(floor, near.reshape(-1, 2)).reshape(len(steps), -1).mean(axis=1)
    # The floor is seen through an opening but never under a wall, even one
    # whose faces furniture hid: an unseen floor line is wall.
    mid = centre[None, :] + steps[:, None] * u + float((t.min() + t.max()) / 2) * nrm
    if (steps[-1] - steps[0]) > max_width:
        # Too long for one door: split it where the floor line is unseen
        # (a cell or two missed by the rays is noise; 20 cm is a wall).
        unseen = ~grid.lookup(floor, mid).astype(bool)
        blocked |= ndimage.binary_opening(unseen, structure=np.ones(max(3, round(0.2 / c))))
    edges = np.flatnonzero(np.diff(np.concatenate(([1], blocked.astype(np.int8), [1]))))
    out = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        rate = max(float(beside[a:b].mean()), FLOOR_RATE_FLOOR)
        out.append((float(steps[a]), float(steps[b - 1]), min(1.0, float(seen[a:b].mean()) / rate)))
    return out


#: How far (m) beyond a lintel's face a wall face standing along the whole
#: stretch is the same wall's far face: a wall is 10-30 cm thick.
FAR_FACE_BEHIND = (0.08, 0.35)
#: ... standing along this share of the stretch, run on FAR_FACE_RUN_ON (m)
#: beyond both its ends (a wall goes on past a door; furniture a door's width
#: long behind a doorway would not).
FAR_FACE_COVER = 0.8
FAR_FACE_RUN_ON = 0.3


def _face_behind(grid: Grid, wall: np.ndarray, centre: np.ndarray, *, u: np.ndarray, nrm: np.ndarray,
                 s0: float, s1: float, t0: float, t1: float) -> bool:
    """Whether a wall face runs just beyond the lintel across the whole stretch: a wall whose near face
    was hidden in the wall band, not an opening.

    A lintel seen on one face only is one cell deep, and the check for wall
    across its thickness does not reach the wall's far face.  Beside the
    sample hospital's west stair the half landing (1.75 m up) hid the stair
    side of the wall to the ambulance bay in the wall band, the lintel band
    showed above it, the floor was seen under the landing, and the bay side's
    face stood 15 cm behind: two false doors, 0.70 and 0.75 m wide.  Through a
    real opening nothing stands in line just beyond the lintel.
    """
    c = grid.cell
    steps = np.arange(s0 - FAR_FACE_RUN_ON, s1 + FAR_FACE_RUN_ON + 1e-9, c)
    offs = np.arange(FAR_FACE_BEHIND[0], FAR_FACE_BEHIND[1] + 1e-9, c / 2)
    for across in (t1 + offs, t0 - offs):
        pts = centre[None, None, :] + steps[:, None, None] * u + across[None, :, None] * nrm
        hit = grid.lookup(wall, pts.reshape(-1, 2)).reshape(len(steps), len(across)).astype(bool)
        # A face is a line: walled at one offset (give or take a cell) all along.
        line_hit = ndimage.maximum_filter1d(hit.astype(np.uint8), size=5, axis=1) > 0
        if float(line_hit.mean(axis=0).max()) >= FAR_FACE_COVER:
            return True
    return False


def _door_at(grid: Grid, centre: np.ndarray, u: np.ndarray, nrm: np.ndarray, *, span: float, depth: float,
             floor_frac: float, zones: tuple[np.ndarray, np.ndarray], tree: object, band_points: np.ndarray,
             widest: float, options: ExtractOptions, lattice: float = 0.0) -> Opening | None:
    """The door a lintel stretch marks, or ``None`` if it is not one (see the module docstring)."""
    jamb_zone, wall_near = zones
    if span < 0.6 * options.door_min_width or span > widest + 0.4 or depth > span:
        return None
    if floor_frac < 0.5:
        return None  # a wall seen only above furniture, not an opening
    width, shift = measure_width(tree, band_points, centre, u=u, nrm=nrm, span=span, depth=depth)
    if width is None:
        return None
    # The jambs stand at the stretch's ends, or (a stray wall cell beside
    # the opening cut the stretch short on the grid) at the jamb faces the
    # points show, within the 0.6 m the measurement reaches beyond the stretch.
    for lo, hi in ((-span / 2, span / 2), (shift - width / 2, shift + width / 2)):
        ends = np.array([centre + u * (lo - 0.08), centre + u * (hi + 0.08)])
        near = [grid.lookup(jamb_zone, e[None, :] + nrm[None, :] * off).any()
                for e in ends for off in (np.array([-1.0, 0.0, 1.0])[:, None] * 0.08)]
        if any(near[:3]) and any(near[3:]):
            break
    else:
        return None
    # Jambs continue the wall: wall runs on along the opening's line beyond
    # both ends for 0.6 m (a lamp, a person or an open leaf beside a beam does not).
    if not all(_wall_runs_on(grid, jamb_zone, e, u=u * sgn, nrm=nrm)
               for e, sgn in zip(ends, (-1.0, 1.0), strict=True)):
        return None
    # A beam across a corridor ends in walls that cross its line (the
    # corridor's sides); a door's jambs continue its own wall.
    crossing = [bool(grid.lookup(wall_near, (e + nrm * side * 0.45)[None, :])[0])
                for e in ends for side in (-1.0, 1.0)]
    if all(crossing):
        return None
    if width > widest:
        return None
    mid = centre + u * shift
    ud = -u if u[0] < 0 or (u[0] == 0 and u[1] < 0) else u
    return Opening((float(mid[0]), float(mid[1])), (float(ud[0]), float(ud[1])), width, depth)


def _passages(grid: Grid, floor: np.ndarray, centre: np.ndarray, *, u: np.ndarray, nrm: np.ndarray,
              s0: float, s1: float, depth: float, options: ExtractOptions,
              jambs: tuple[object, np.ndarray] | None = None) -> list[Opening]:
    """Openings along a lintel run where floor is seen through it, on both sides.

    With ``jambs`` (the wall-band points and their tree; scans, not occupancy
    maps), an opening is widened to the jamb faces the points show on either
    side when they stand farther apart than the floor seen through it: no
    point stands in the wall band between them.  The sample hospital's
    wards day room has furniture along its side of the corridor wall, so only
    the lintel of that wall's face was seen there and its 1.4 m door was
    found where the floor showed on both sides, 0.95 m of it; the 0.3 m left
    open beside the closure joined the day room to the corridor, and its
    occupant was never placed in the drill (150 of 151 rooms and corridors).
    """
    steps = np.arange(s0, s1 + 1e-9, grid.cell)
    off = depth / 2 + np.array([0.15, 0.3, 0.45])
    base = centre[None, :] + steps[:, None] * u
    both = np.ones(len(steps), dtype=bool)
    for sgn in (-1.0, 1.0):
        seen = np.zeros(len(steps), dtype=bool)
        for d in off:
            seen |= grid.lookup(floor, base + nrm * sgn * d).astype(bool)
        both &= seen
    both &= grid.lookup(floor, base).astype(bool)
    out: list[Opening] = []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], both.astype(np.int8), [0]))))
    ud = -u if u[0] < 0 or (u[0] == 0 and u[1] < 0) else u
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        width = (b - a) * grid.cell
        if a == 0 or b == len(steps):
            continue  # not bounded by wall at one end
        if options.door_min_width <= width <= options.door_max_width:
            mid = centre + u * (steps[a] + steps[b - 1]) / 2
            if jambs is not None:
                clear, shift = measure_width(jambs[0], jambs[1], mid, u=u, nrm=nrm, span=width, depth=depth)
                if clear is not None and width < clear <= options.door_max_width:
                    width, mid = clear, mid + u * shift
            out.append(Opening((float(mid[0]), float(mid[1])), (float(ud[0]), float(ud[1])), float(width),
                               depth))
    return out


def _wall_runs_on(grid: Grid, zone: np.ndarray, end: np.ndarray, *, u: np.ndarray, nrm: np.ndarray,
                  length: float = 0.6) -> bool:
    """Whether wall cells continue from ``end`` along ``u`` for ``length`` metres (within +-8 cm across)."""
    steps = np.arange(0.0, length + 1e-9, grid.cell)
    across = np.array([-0.08, 0.0, 0.08])
    pts = end[None, None, :] + steps[:, None, None] * u + across[None, :, None] * nrm
    hit = grid.lookup(zone, pts.reshape(-1, 2)).reshape(len(steps), len(across))
    return bool(hit.any(axis=1).mean() >= 0.75)


def dominant_angle(wall: np.ndarray, step_deg: float = 0.25) -> float:
    """The direction (radians, in [0, pi/2)) most walls follow; walls meet at right angles.

    Wall cells projected across the right direction pile up in a few bins
    (one per wall), so the angle maximising the sum of squared bin counts of
    both projections wins: a Hough transform restricted to one right-angled
    family, exact to ``step_deg``.

    >>> w = np.zeros((40, 40), dtype=bool); w[10:30, 19:21] = True; w[19:21, 5:35] = True
    >>> round(float(np.degrees(dominant_angle(w))), 2)
    0.0
    """
    ii, jj = np.nonzero(wall)
    if len(ii) < 10:
        return 0.0
    stride = max(1, len(ii) // 40000)
    x, y = jj[::stride].astype(float), ii[::stride].astype(float)
    best, best_score = 0.0, -1.0
    for deg in np.arange(0.0, 90.0, step_deg):
        a = np.radians(deg)
        score = 0.0
        for p in (x * np.cos(a) + y * np.sin(a), -x * np.sin(a) + y * np.cos(a)):
            h = np.bincount((p - p.min()).astype(np.int64))
            score += float((h.astype(float) ** 2).sum())
        if score > best_score:
            best, best_score = float(a), score
    return best


def line(length_cells: float, angle: float) -> np.ndarray:
    """A rasterised line structuring element of about ``length_cells`` cells at ``angle``.

    >>> line(5, 0.0).astype(int).tolist()[2]
    [1, 1, 1, 1, 1]
    >>> int(line(5, np.pi / 2)[:, 2].sum())
    5
    """
    r = max(1, round(length_cells / 2))
    t = np.linspace(-r, r, 4 * r + 1)
    x = np.round(t * np.cos(angle)).astype(int) + r
    y = np.round(t * np.sin(angle)).astype(int) + r
    out = np.zeros((2 * r + 1, 2 * r + 1), dtype=bool)
    out[y, x] = True
    return out


def measure_width(tree: object, pts: np.ndarray, centre: np.ndarray, *, u: np.ndarray, nrm: np.ndarray,
             span: float, depth: float) -> tuple[float | None, float]:
    """Clear width between the jamb faces nearest the centre, and the centre's shift along u."""
    if tree is None:
        return span, 0.0
    reach = span / 2 + 0.6
    idx = tree.query_ball_point(centre, reach)  # type: ignore[attr-defined]
    if not idx:
        return span, 0.0
    p = pts[np.asarray(idx)] - centre
    along, across = p @ u, p @ nrm
    strip = np.abs(across) <= max(depth / 2, 0.1) + 0.05
    a = along[strip]
    left, right = a[a < 0], a[a > 0]
    if len(left) == 0 or len(right) == 0:
        # One jamb unseen: fall back on the lintel's length.
        return span, 0.0
    # The innermost point of a jamb is biased into the opening by the range
    # noise; the median of the points near it sits on the face itself.
    lo = float(np.median(left[left >= left.max() - 0.02]))
    hi = float(np.median(right[right <= right.min() + 0.02]))
    width = hi - lo
    if width < 0.5 * span:
        # Something (a person, a chair) stands in the opening; trust the lintel.
        return span, 0.0
    return width, (lo + hi) / 2


def rasterize_openings(grid: Grid, openings: list[Opening], max_width: float,
                       extra: float = 0.1) -> np.ndarray:
    """Cells on the closure segment of each opening up to ``max_width`` (to close rooms at doors).

    Wider openings (exit candidates) are not closed: closing a wide beam would
    cut a corridor in two.
    """
    out = np.zeros(grid.shape, dtype=bool)
    c = grid.cell
    for o in openings:
        if o.width > max_width:
            continue
        u, n = np.asarray(o.direction), np.asarray(o.normal)
        half = o.width / 2 + extra
        s = np.arange(-half, half + c / 2, c / 2)
        t = np.arange(-o.depth / 2, o.depth / 2 + c / 2, c / 2)
        xy = (np.asarray(o.centre) + s[:, None, None] * u + t[None, :, None] * n).reshape(-1, 2)
        i, j = grid.cells(xy)
        out[i, j] = True
    return out
