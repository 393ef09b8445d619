"""Bodies as capsules: everyone is the set of points within their radius of a long axis, a
segment reaching ``extra`` ahead of and behind their centre along their orientation (0 for
someone on foot, a point; a bed's 0.5 m either way of its 1.2 m axis).  Two bodies are apart by
the distance between their axes less both radii.
"""

from __future__ import annotations

import numpy as np

__all__ = ["axis_ends", "point_gaps", "segment_gaps"]


def axis_ends(centre: np.ndarray, axis: np.ndarray,
              extra: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """The two ends of long axes ``extra`` either way of ``centre`` along ``axis`` (arrays
    (..., 2); an axis of length 0 is taken along x, and need not be a unit vector)."""
    norm = np.hypot(axis[..., 0], axis[..., 1])[..., None]
    u = np.where(norm > 0, axis / np.where(norm > 0, norm, 1.0), np.array([1.0, 0.0]))
    reach = np.asarray(extra, dtype=np.float64)[..., None]
    return centre - reach * u, centre + reach * u


def segment_gaps(a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> np.ndarray:
    """Distance between segments ``a0``-``a1`` and ``b0``-``b1`` (arrays broadcasting to a common
    (..., 2) shape; a segment may be a point).  Two segments in a plane are apart by the least
    distance from an end of one to the other, unless they cross."""
    a0, a1, b0, b1 = np.broadcast_arrays(a0, a1, b0, b1)
    gap = np.minimum.reduce([_to_segment(a0, b0, b1), _to_segment(a1, b0, b1),
                             _to_segment(b0, a0, a1), _to_segment(b1, a0, a1)])
    cross = ((_side(a0, b0, b1) * _side(a1, b0, b1) < 0) & (_side(b0, a0, a1) * _side(b1, a0, a1) < 0))
    return np.where(cross, 0.0, gap)


def point_gaps(p: np.ndarray, a0: np.ndarray, a1: np.ndarray) -> np.ndarray:
    """Distance from points ``p`` to segments ``a0``-``a1`` (broadcasting to (..., 2)): what
    :func:`segment_gaps` gives for a segment of length 0, at a quarter of its cost (people on
    foot are most of anyone's neighbours)."""
    p, a0, a1 = np.broadcast_arrays(p, a0, a1)
    return _to_segment(p, a0, a1)


def _side(p: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """-1, 0 or 1: which side of the line through ``q0`` and ``q1`` each of ``p`` lies on."""
    return np.sign((q1[..., 0] - q0[..., 0]) * (p[..., 1] - q0[..., 1])
                   - (q1[..., 1] - q0[..., 1]) * (p[..., 0] - q0[..., 0]))


def _to_segment(p: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """Distance from points ``p`` to segments ``q0``-``q1`` (arrays of one shape, (..., 2))."""
    d = q1 - q0
    dd = (d * d).sum(axis=-1)
    s = np.clip(((p - q0) * d).sum(axis=-1) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
    return np.hypot(*np.moveaxis(p - q0 - s[..., None] * d, -1, 0))
