"""Openings weighed against the room segmentation they cut.

Door openings close the barrier the rooms are cut along, but not every gap
under a lintel is a door: a beam across open floor has a lamp or a person
under it for jambs, and a narrow opening across a corridor is a door frame
with its leaf shut or clutter in the passage.  :func:`separates` keeps an
opening only if closing it cuts its two sides apart locally, and
:func:`join_corridor` rejoins corridor pieces that only a narrow opening
split.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from lidar.assembly import side_label
from lidar.doors import Opening, rasterize_openings
from lidar.grid import Grid
from lidar.options import ExtractOptions
from lidar.report import ExtractionReport
from lidar.rooms import Segmentation

__all__ = ["join_corridor", "separates"]


def _corridor_like(area: float, width: float, opt: ExtractOptions) -> bool:
    return (width > 0 and area / (width * width) >= opt.corridor_min_elongation
            and width <= opt.corridor_max_width)


def join_corridor(lid: str, grid: Grid, seg: Segmentation, openings: list[Opening], *, opt: ExtractOptions,
                   report: ExtractionReport) -> tuple[Segmentation, list[Opening]]:
    """Rejoin a corridor cut by an opening much narrower than the corridor.

    Cross-corridor door sets (smoke and fire doors) span most of the
    corridor's width and separate spaces; an opening under half the
    corridor's width between two corridor pieces is a door frame with a leaf
    shut or clutter in the passage, and splitting the corridor there would
    misplace a compartment boundary.  Each such join is reported.
    """
    labels = seg.labels.copy()
    widths = seg.widths.copy()
    area = np.bincount(labels.ravel(), minlength=len(widths)) * grid.cell**2
    keep: list[Opening] = []
    for o in openings:
        a, b = side_label(grid, labels, o, 1.0), side_label(grid, labels, o, -1.0)
        if (a and b and a != b and _corridor_like(area[a], widths[a], opt)
                and _corridor_like(area[b], widths[b], opt) and o.width < opt.corridor_join_fraction
                * min(widths[a], widths[b]) and _across(grid, labels, a, o) and _across(grid, labels, b, o)):
            labels[labels == b] = a
            area[a] += area[b]
            widths[a] = max(widths[a], widths[b])
            report.warn(f"level {lid}: opening at ({o.centre[0]:.2f}, {o.centre[1]:.2f}), "
                        f"{o.width:.2f} m wide, "
                        f"across a {min(seg.widths[a], seg.widths[b]):.2f} m corridor taken as part of one "
                        "corridor; if it is a compartment door, add it in the facility file")
            continue
        keep.append(o)
    return Segmentation(labels, widths), keep


def _across(grid: Grid, labels: np.ndarray, k: int, o: Opening) -> bool:
    """Whether the opening runs across region ``k``'s long axis (as a cross-corridor door does)."""
    ii, jj = np.nonzero(labels == k)
    xy = grid.centres(ii[::7], jj[::7])
    if len(xy) < 3:
        return False
    _, vecs = np.linalg.eigh(np.cov((xy - xy.mean(axis=0)).T))
    return abs(float(vecs[:, 1] @ np.asarray(o.direction))) < 0.5


def separates(grid: Grid, walls: np.ndarray, o: Opening, walkable: np.ndarray, reach: float = 1.5) -> bool:
    """Whether closing the opening cuts its two sides apart locally.

    A door closes a gap in a wall, so with it shut the two sides can only
    meet far away; a lintel-like beam over open floor (with a lamp or a
    person under it mimicking jambs) leaves free floor all round its ends.
    The sides may only meet over ``walkable`` cells (floor seen, a cell's
    margin for sparse returns): behind a door into a space seen only through
    it (an open lift car in its dark shaft, a room glimpsed from the
    corridor) the walls are unseen, and a way round through cells nobody saw
    is no evidence that the opening is not a door.
    """
    c = np.asarray(o.centre)
    half = o.width / 2 + reach
    i0, j0 = grid.cells((c - half)[None, :])
    i1, j1 = grid.cells((c + half)[None, :])
    win = (slice(int(i0[0]), int(i1[0]) + 1), slice(int(j0[0]), int(j1[0]) + 1))
    sub = Grid(grid.x0 + win[1].start * grid.cell, grid.y0 + win[0].start * grid.cell, grid.cell,
               (win[0].stop - win[0].start, win[1].stop - win[1].start))
    if min(sub.shape) < 3:
        return True
    shut = walls[win] | rasterize_openings(sub, [o], max_width=np.inf)
    lab, _ = ndimage.label(~shut & walkable[win])
    nrm = np.asarray(o.normal)
    sides = [int(sub.lookup(lab, (c + nrm * sgn * (o.depth / 2 + 0.25))[None, :])[0]) for sgn in (1.0, -1.0)]
    return sides[0] == 0 or sides[1] == 0 or sides[0] != sides[1]
