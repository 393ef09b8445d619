"""One building from one scan file per storey.

Planners often scan a building storey by storey.  The files are usable
together only if they share one frame: E57 files carry each scan's pose
(:func:`lidar.read` applies it), other formats share the scanner
project's origin.  Two checks catch files that do not: consecutive storeys
must overlap in plan (a storey 40 m off to the side of the one below is a
registration error, not a building), and they must be stacked in height.
Storeys scanned each with its own floor at height 0 can be stacked by
giving each file's floor elevation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lidar.errors import ScanFileError
from lidar.readers import read

__all__ = ["MIN_PLAN_OVERLAP", "read_storeys"]

#: Share of the smaller storey's plan footprint the next storey must cover
#: (set-backs and wings differ; a whole storey beside the other does not).
MIN_PLAN_OVERLAP = 0.3
#: Plan cell (m) of the footprints compared.
FOOTPRINT_CELL = 0.5


def read_storeys(paths: Sequence[str | Path], *, units: str = "m", voxel: float | None = None,
                 elevations: Sequence[float] | None = None) -> np.ndarray:
    """Read one file per storey into one cloud in the common frame, checking the files fit.

    Args:
        paths: Scan files, one per storey, bottom to top.
        units: Unit of the files' coordinates.
        voxel: Thin each file to one point per voxel of this edge (m) while reading.
        elevations: Floor elevation (m) of each file's storey, when every file
            has its own floor at about height 0; ``None`` if they share one frame.

    Returns:
        The merged ``(n, 3)`` points in metres.

    Raises:
        ScanFileError: A file cannot be read, two storeys do not overlap in
            plan, or the files are not stacked in height (naming the file).
    """
    if elevations is not None and len(elevations) != len(paths):
        raise ScanFileError(str(paths[0]), f"{len(elevations)} elevation(s) given for {len(paths)} files; "
                                           "give one per file")
    clouds: list[np.ndarray] = []
    for k, p in enumerate(paths):
        pts = read(p, units=units, voxel=voxel)
        if elevations is not None:
            pts = pts.copy()
            pts[:, 2] += float(elevations[k]) - float(np.quantile(pts[:, 2], 0.002))
        clouds.append(pts)
    for k in range(1, len(clouds)):
        _check_pair(str(paths[k - 1]), clouds[k - 1], str(paths[k]), clouds[k])
    return np.concatenate(clouds)


def _footprint(pts: np.ndarray, origin: np.ndarray) -> set[tuple[int, int]]:
    ij = np.floor((pts[:: max(1, len(pts) // 200_000), :2] - origin) / FOOTPRINT_CELL).astype(np.int64)
    return set(map(tuple, np.unique(ij, axis=0).tolist()))


def _check_pair(below_name: str, below: np.ndarray, above_name: str, above: np.ndarray) -> None:
    """Raise if ``above`` is not a storey over ``below`` in the same frame."""
    origin = np.minimum(below[:, :2].min(axis=0), above[:, :2].min(axis=0))
    a, b = _footprint(below, origin), _footprint(above, origin)
    share = len(a & b) / max(1, min(len(a), len(b)))
    if share < MIN_PLAN_OVERLAP:
        raise ScanFileError(above_name, f"covers only {share:.0%} of the plan of {below_name} (at least "
                                        f"{MIN_PLAN_OVERLAP:.0%} expected): the storeys are not in one "
                                        "frame; register the scans (E57 poses or a shared origin)")
    lo_b, lo_a = float(np.quantile(below[:, 2], 0.002)), float(np.quantile(above[:, 2], 0.002))
    if lo_a < lo_b + 1.5:
        raise ScanFileError(above_name, f"its floor ({lo_a:.2f} m) is not above that of {below_name} "
                                        f"({lo_b:.2f} m): list the files bottom to top, or give each "
                                        "storey's elevation (--elevation) if every file has its own floor "
                                        "at height 0")
