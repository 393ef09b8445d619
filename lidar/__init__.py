"""Scans to facilities: read a point cloud, extract levels, rooms, doors and exits.

The public face: :func:`read` (any scan format to an array of metres),
:func:`extract` (points to a :class:`~facility.model.Facility` with a report
of what to check), :class:`ExtractOptions` (every pipeline parameter),
:func:`synthesize` (a simulated scan of a facility, whose geometry is exact
ground truth) and :func:`accuracy` (how close an extraction is to the truth).
This package knows nothing of the simulators or the app.
"""

from __future__ import annotations

from lidar.errors import ExtractionError, LidarError, ScanFileError, ScanOptionError
from lidar.extract import Extraction, extract
from lidar.metrics import Accuracy, accuracy
from lidar.options import ExtractOptions
from lidar.readers import read
from lidar.synth import SynthOptions, synthesize

__all__ = [
    "Accuracy",
    "ExtractOptions",
    "Extraction",
    "ExtractionError",
    "LidarError",
    "ScanFileError",
    "ScanOptionError",
    "SynthOptions",
    "accuracy",
    "extract",
    "read",
    "synthesize",
]
