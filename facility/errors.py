"""Errors raised when a facility is built, loaded or found invalid.

Every message names where the problem is (file, element id, field) and what
was expected, so a planner editing a facility file by hand can fix it without
reading code.
"""

from __future__ import annotations

__all__ = [
    "FacilityError",
    "FacilityFileError",
    "FacilityValidationError",
    "FacilityValueError",
    "FileAccessError",
    "Issue",
    "RoutingError",
]

from dataclasses import dataclass


class FacilityError(Exception):
    """Base class of every facility error."""


class FacilityValueError(FacilityError, ValueError):
    """One object was constructed with an impossible value."""


class RoutingError(FacilityError):
    """No route exists for the requested mobility (or an endpoint is unknown)."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found by validation.

    Attributes:
        element: ``"space ED-01"``, ``"door D-3"``, ``"stair S1"``, or ``"file"``.
        message: What is wrong and what was expected.
        severity: ``"error"`` or ``"warning"``.
    """

    element: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.severity}: {self.element}: {self.message}"

    @classmethod
    def error(cls, element: str, message: str) -> Issue:
        """An issue that makes the facility unusable."""
        return cls(element, message, "error")

    @classmethod
    def warning(cls, element: str, message: str) -> Issue:
        """Advice a safety officer should read."""
        return cls(element, message, "warning")


class FacilityFileError(FacilityError):
    """A facility file could not be read or parsed (bad JSON, schema violation)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


class FacilityValidationError(FacilityError):
    """A facility failed validation; ``issues`` lists every error found."""

    def __init__(self, source: str, issues: list[Issue]) -> None:
        self.source = source
        self.issues = issues
        lines = "\n".join(f"  {i}" for i in issues)
        super().__init__(f"{source}: facility is invalid ({len(issues)} problem(s)):\n{lines}")


class FileAccessError(FacilityFileError, OSError):
    """A path given for input or output cannot be used safely.

    Raised by :mod:`facility.files` for every package: an input that is not a
    regular file (a FIFO, a device, a folder) or is larger than any real one,
    and an output whose folder is missing or not writable, found before the
    work starts.

    Attributes:
        path: The path as given by the caller.
        what: What the file is for (``"scan"``, ``"facility file"``, ``"--report"``).
        problem: What is wrong and what was expected.
        message: ``what`` and ``problem`` together.
    """

    def __init__(self, path: str, message: str, *, what: str = "file") -> None:
        self.what = what
        self.problem = message
        super().__init__(path, f"{what}: {message}")
