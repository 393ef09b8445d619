"""Errors raised while reading scans and extracting facilities from them.

Every message names the file (or the option) and says what was expected and
what was found, so a planner handed a scan knows what to fix: the units, the
file, or one option of :class:`lidar.options.ExtractOptions`.
"""

from __future__ import annotations

__all__ = ["ExtractionError", "LidarError", "ScanFileError", "ScanOptionError"]


class LidarError(Exception):
    """Base class of every error raised by :mod:`lidar`."""


class ScanFileError(LidarError):
    """A scan file is missing, unsupported, corrupt, empty or implausible.

    Attributes:
        path: The file as given by the caller.
        message: What is wrong and, where possible, how to fix it.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


class ScanOptionError(LidarError, ValueError):
    """An extraction or synthesis option has an impossible value."""

    def __init__(self, field: str, expected: str, got: object) -> None:
        self.field = field
        super().__init__(f"option {field!r} must be {expected}, got {got!r}")


class ExtractionError(LidarError):
    """The scan was read but no facility could be extracted from it."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        self.message = message
        super().__init__(f"{source}: {message}")
