"""What an extraction found and how sure it is: the report beside the facility.

The planner who receives an extracted facility needs to know what to check:
exits the scan suggests (a door leading out of the scanned area is not proof
of a final exit), levels not linked by stairs, rooms with no door found,
narrow openings dropped.  The report also records how long every stage took
on how many points, so slow scans can be diagnosed.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from facility.files import write_atomic

__all__ = ["ExtractionReport", "Progress", "StageTimer", "StageTiming"]

#: Called as ``progress(stage, done, total)`` when a stage starts and ends.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class StageTiming:
    """Wall time of one pipeline stage and the number of points it worked on."""

    stage: str
    seconds: float
    points: int

    @property
    def points_per_second(self) -> float:
        return self.points / self.seconds if self.seconds > 0 else float("inf")


@dataclass(slots=True)
class ExtractionReport:
    """Findings, warnings and timings of one :func:`lidar.extract` run.

    Attributes:
        source: The scan file (or ``"<array>"``).
        points_read: Points in the input.
        points_used: Points left after down-sampling and outlier removal.
        cell: Plan grid cell (m) used.
        levels: One dict per storey: floor, ceiling, estimated surfaces, counts.
        exits_to_confirm: Ids of exits inferred from openings to unscanned space.
        provisional_exits: Ids of stand-in exits added because none was seen.
        side_rooms: Ids of rooms cut between the partition walls along a
            corridor side the primary segmentation left unexplained
            (:mod:`lidar.side_assembly`).
        warnings: Things the user should check, one sentence each.
        timings: Per-stage timings.
        accuracy: With a ground truth, :meth:`lidar.Accuracy.as_dict`'s figures
            plus ``missed_exits`` and ``false_exits``: each exit named as
            ``"id at (x, y), w m"``, so the user can find it on the plan.
    """

    source: str
    points_read: int = 0
    points_used: int = 0
    cell: float = 0.0
    levels: list[dict[str, Any]] = field(default_factory=list)
    exits_to_confirm: list[str] = field(default_factory=list)
    provisional_exits: list[str] = field(default_factory=list)
    side_rooms: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: list[StageTiming] = field(default_factory=list)
    accuracy: dict[str, Any] | None = None

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["timings"] = [
            # A stage too quick to time has no rate: null, not an infinity JSON cannot hold.
            {**asdict(t), "points_per_second": round(t.points_per_second, 1) if t.seconds > 0 else None}
            for t in self.timings
        ]
        d["total_seconds"] = round(sum(t.seconds for t in self.timings), 3)
        return d

    def write(self, path: str | Path) -> None:
        """Write the report as JSON through :func:`facility.files.write_atomic`.

        Raises:
            FileAccessError: The folder is missing or not writable.
        """
        text = json.dumps(_finite(self.to_dict()), indent=2, default=float, allow_nan=False) + "\n"
        write_atomic(Path(path), text, what="extraction report")


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinity replaced by ``None`` (JSON has no such numbers).

    >>> _finite({"iou": float("nan"), "n": [1.0, float("inf")]})
    {'iou': None, 'n': [1.0, None]}
    """
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class StageTimer:
    """Times the stages of one extraction into its report, and tells ``progress`` as each starts and ends."""

    def __init__(self, report: ExtractionReport, progress: Progress | None) -> None:
        self.report = report
        self.progress = progress

    @contextmanager
    def stage(self, name: str, points: int) -> Iterator[None]:
        """Time the ``with`` block as stage ``name`` over ``points`` points."""
        t0 = time.perf_counter()
        if self.progress:
            self.progress(name, 0, 1)
        yield
        self.report.timings.append(StageTiming(name, time.perf_counter() - t0, points))
        if self.progress:
            self.progress(name, 1, 1)
