"""The building as data: the one ``Facility`` every model, the app and the CLI read.

Public face:

* the immutable model: :class:`Facility`, :class:`Level`, :class:`Space`,
  :class:`Door`, :class:`Exit`, :class:`Stair`, :class:`Lift`,
  :class:`AssemblyPoint`, :class:`SpaceKind`;
* files: :func:`load`, :func:`save`, :func:`build` (from a dict, GeoJSON or
  shapely objects), :func:`validate`;
* the parametric sample hospital: :func:`sample`;
* movement: the navigation graph (``facility.graph``), :func:`route`,
  :func:`distance_matrix`, :func:`service_distances` and the mobility classes.
"""

from __future__ import annotations

from facility.errors import (
    FacilityError,
    FacilityFileError,
    FacilityValidationError,
    FacilityValueError,
    Issue,
    RoutingError,
)
from facility.graph import OUTSIDE, build_graph
from facility.io import build, dumps, load, loads, save, to_dict
from facility.model import (
    AssemblyPoint,
    Door,
    Exit,
    Facility,
    Level,
    Lift,
    Space,
    SpaceKind,
    Stair,
)
from facility.routing import (
    AMBULANT,
    BED,
    MOBILITIES,
    REDUCED,
    STAFF,
    WHEELCHAIR,
    Mobility,
    Route,
    distance_matrix,
    route,
    service_distances,
    unreachable_spaces,
)
from facility.sample import SampleOptions, sample
from facility.validate import ensure_valid, validate

__all__ = [
    "AMBULANT",
    "BED",
    "MOBILITIES",
    "OUTSIDE",
    "REDUCED",
    "STAFF",
    "WHEELCHAIR",
    "AssemblyPoint",
    "Door",
    "Exit",
    "Facility",
    "FacilityError",
    "FacilityFileError",
    "FacilityValidationError",
    "FacilityValueError",
    "Issue",
    "Level",
    "Lift",
    "Mobility",
    "Route",
    "RoutingError",
    "SampleOptions",
    "Space",
    "SpaceKind",
    "Stair",
    "build",
    "build_graph",
    "distance_matrix",
    "dumps",
    "ensure_valid",
    "load",
    "loads",
    "route",
    "sample",
    "save",
    "service_distances",
    "to_dict",
    "unreachable_spaces",
    "validate",
]
