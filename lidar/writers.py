"""Writing point clouds, the mirror of :mod:`lidar.readers` for synthetic scans.

Every cloud is written through :func:`facility.files.atomic_path`: a unique
temporary beside the target, never through a planted link, then a rename.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facility.files import atomic_path
from lidar.errors import ScanFileError

__all__ = ["write_cloud"]

_FORMATS = (".ply", ".pcd", ".xyz", ".pts")


def write_cloud(points: np.ndarray, path: str | Path) -> Path:
    """Write ``(n, 3)`` points to a ``.ply``, ``.pcd``, ``.xyz`` or ``.pts`` file (atomically).

    Raises:
        ScanFileError: Unsupported extension or the file could not be written.
        FileAccessError: The folder is missing or not writable.
    """
    import open3d as o3d

    p = Path(path)
    ext = p.suffix.lower()
    if ext not in _FORMATS:
        raise ScanFileError(str(p), f"cannot write {ext!r}; use one of {', '.join(_FORMATS)}")
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(points, dtype=np.float64)))
    # The temporary keeps the extension: Open3D picks the format from it.
    with atomic_path(p, what="point cloud") as tmp:
        if not o3d.io.write_point_cloud(str(tmp), cloud, write_ascii=ext in (".xyz", ".pts")):  # type: ignore[arg-type]
            raise ScanFileError(str(p), "the point cloud could not be written")
    return p
