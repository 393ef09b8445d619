"""Whether a cloud of points (in metres) can be a scan of a building, and in which unit.

Every reader ends here: :func:`check_cloud` refuses NaN or infinite coordinates,
coordinates no building can have, a flat cloud, a unit that does not fit and
points far beyond the bulk of the cloud, each with a message naming the
source, what was found and, for the units, the option that fixes it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from lidar.errors import ScanFileError
from lidar.options import UNIT_SCALE
from lidar.preprocess import bounds

__all__ = ["IMPLAUSIBLE_COORDINATE_M", "MIN_HEIGHT_M", "check_cloud", "check_finite"]

#: A coordinate beyond this (m) from the origin is implausible for a building:
#: even georeferenced UTM northings stay below 10,000 km.
IMPLAUSIBLE_COORDINATE_M = 1e8
#: Share of points cut from each end of every axis to measure the extent of the
#: bulk of the cloud, so a few stray returns (or one corrupt value) do not
#: decide the units.
_BULK_TAIL = 0.005
#: Points (about) the bulk's extent is measured on.
_BULK_SAMPLE = 1_000_000
#: A scanned building in metres: the bulk of its points spans at least this
#: height (floor to ceiling, less the thin tails cut off) ...
MIN_HEIGHT_M = 1.5
#: ... a typical storey (floor to ceiling, m), to choose between plausible units ...
_STOREY_M = 3.0
#: ... and no building is taller or wider than these (m).
_MAX_HEIGHT_M = 200.0
_MAX_WIDTH_M = 5000.0
#: Points farther than this beyond the bulk's box (m, and at least the bulk's
#: own width) are not part of the building: a grid spanning them would not fit
#: in memory.
_FAR_BEYOND_BULK_M = 100.0


def check_cloud(points: np.ndarray, source: str, *, units: str = "m") -> None:
    """Raise :class:`ScanFileError` if ``points`` (in metres) cannot be a scan of a building.

    The units are judged from the extent of the bulk of the points (each axis
    cut to its 0.5-99.5 % range), so one stray return or one corrupt value
    neither hides a unit mistake nor causes a false one; the message says which
    unit the bulk looks like. Coordinates no building can have, and points far
    from the bulk, are named as such.

    Args:
        points: ``(n, 3)`` coordinates already scaled to metres.
        source: Names the cloud in messages.
        units: The unit the user declared (to say what to pass instead).

    >>> check_cloud(np.array([[0.0, 0.0, 0.0], [5.0, 4.0, 2.8]]), "ok.ply")
    """
    if points.ndim != 2 or points.shape[1] != 3:
        raise ScanFileError(source, f"expected points with 3 coordinates, got shape {points.shape}")
    if len(points) == 0:
        raise ScanFileError(source, "the cloud is empty (no points); is the file truncated or corrupt?")
    check_finite(Path(source), points)
    # The tests per point below run only when the cloud's box fails them (0.5 s on 10 M points).
    low, high = bounds(points)
    if max(-low.min(), high.max()) > IMPLAUSIBLE_COORDINATE_M:
        huge = np.abs(points).max(axis=1) > IMPLAUSIBLE_COORDINATE_M
        first = int(np.flatnonzero(huge)[0])
        raise ScanFileError(source, f"{int(huge.sum())} point(s) have implausible coordinates (more than "
                            f"{IMPLAUSIBLE_COORDINATE_M:.0e} m from the origin; first at index {first}: "
                            f"{_xyz(points[first])}); the file is corrupt or not in {units}")
    # Every k-th point is plenty for the 0.5 % tails, and sorting every
    # column of a 10 M-point cloud took seconds.
    bulk = points[:: max(1, len(points) // _BULK_SAMPLE)]
    lo, hi = np.quantile(bulk, [_BULK_TAIL, 1.0 - _BULK_TAIL], axis=0)
    span = hi - lo
    looks = _looks_like(span, units)
    if not looks and span[2] < MIN_HEIGHT_M:
        raise ScanFileError(
            source,
            f"no vertical extent: heights span only {span[2]:.3f} m, but a scanned storey spans "
            ">= 2 m floor to ceiling; is this a 2-D scan, or are the units wrong (--units)?",
        )
    if looks != units:
        hint = (f"looks like {_UNIT_NAMES[looks]}; pass --units {looks} (or units={looks!r})" if looks
                else "matches no unit (m, cm, mm) for a building; is it a scan of a building?")
        raise ScanFileError(source, f"the bulk of the points spans {_span(span)} m read as "
                            f"{_UNIT_NAMES[units]}, which is not a building: the cloud {hint}")
    margin = max(_FAR_BEYOND_BULK_M, float(max(span[0], span[1])))
    if (low >= lo - margin).all() and (high <= hi + margin).all():
        return
    far = ((points < lo - margin) | (points > hi + margin)).any(axis=1)
    if far.any():
        first = int(np.flatnonzero(far)[0])
        raise ScanFileError(source, f"{int(far.sum())} point(s) lie more than {margin:.0f} m beyond the bulk "
                            f"of the cloud ({_span(span)} m; first at index {first}: {_xyz(points[first])}); "
                            "crop stray returns from the scan before extracting")


#: Metres per unit, and the words used in messages.
_UNIT_NAMES = {"m": "metres", "cm": "centimetres", "mm": "millimetres", "": "no unit"}


def _looks_like(span_m: np.ndarray, declared: str) -> str:
    """The unit in which the bulk's extent is a plausible building, or ``""`` if none.

    ``span_m`` was scaled from the file with the ``declared`` unit, which wins
    whenever it is plausible. Otherwise the plausible unit whose height is
    nearest (by ratio) to one storey is chosen: a 5 x 4 m room in millimetres
    would also be a plausible 28 m tall building in centimetres, but scans of
    one storey are far more common.

    >>> _looks_like(np.array([2000.0, 1500.0, 300.0]), "m")
    'cm'
    >>> _looks_like(np.array([4940.0, 3960.0, 2770.0]), "m")
    'mm'
    >>> _looks_like(np.array([20.0, 15.0, 3.0]), "m")
    'm'
    """
    raw = span_m / UNIT_SCALE[declared]

    def plausible(unit: str) -> bool:
        s = raw * UNIT_SCALE[unit]
        return bool(MIN_HEIGHT_M <= s[2] <= _MAX_HEIGHT_M and max(s[0], s[1]) <= _MAX_WIDTH_M)

    if plausible(declared):
        return declared
    others = [u for u in ("m", "cm", "mm") if u != declared and plausible(u)]
    if not others:
        return ""
    return min(others, key=lambda u: abs(math.log(raw[2] * UNIT_SCALE[u] / _STOREY_M)))


def _span(span: np.ndarray) -> str:
    return " x ".join(f"{v:.3g}" for v in span)


def _xyz(point: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in point) + ")"


def check_finite(path: Path, pts: np.ndarray) -> None:
    """Raise :class:`ScanFileError` naming how many points of ``pts`` are NaN or infinite, and the first."""
    # The whole array at once first: the test per point (a reduction over rows
    # of three) took ten times as long on 10 M points, and is needed only to
    # name the bad ones.
    if np.isfinite(pts.ravel()).all():
        return
    bad = ~np.isfinite(pts).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ScanFileError(
            str(path), f"{int(bad.sum())} point(s) have NaN or infinite coordinates (first at index {first})"
        )


