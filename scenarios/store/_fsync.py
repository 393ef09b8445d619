"""Durable folder changes: after a rename or creation inside a folder, flush the folder itself.

Files are written through :mod:`facility.files` (unique temporary, fsync,
rename); a run folder's own renames (a part committed, the finished folder
swapped into place) also need the parent folder flushed to survive a crash.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["fsync_dir"]


def fsync_dir(folder: Path) -> None:
    """Make a rename or creation inside ``folder`` durable (where the file system allows)."""
    with contextlib.suppress(OSError):  # some file systems cannot sync a folder; the rename stands
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
