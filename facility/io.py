"""Facility files in and out: the one module of :mod:`facility` that does I/O.

A facility enters through one door, :func:`build`, whatever its form (the idea
of JuPedSim's ``build_geometry``):

* a facility file dict (``"format": "medtwin-facility/1"``, see
  ``docs/facility-format.md`` and :mod:`facility.schema`);
* a GeoJSON ``FeatureCollection``: Polygon features are spaces, Point features
  with ``properties.element`` = ``"door"`` / ``"exit"`` / ``"assembly_point"``
  are those elements, and the collection may carry ``name``, ``levels``,
  ``stairs``, ``lifts`` and ``metadata`` members;
* the facility dict written in Python with shapely objects in place of
  coordinates (a ``Polygon`` as a space's ``polygon``, a ``Point`` as ``at``),
  and each section either a list or a mapping from id to the other fields.

Every form is turned into the file dict, checked against the JSON Schema
(errors name the file, the element, the field and the problem), turned into
the frozen model objects, and validated (:mod:`facility.validate`); errors
raise :class:`~facility.errors.FacilityValidationError`.

:func:`dumps` writes floats with ``repr`` so ``loads(dumps(f)) == f`` exactly,
and :func:`save` writes a temporary file and renames it, so a crash never
leaves a half-written facility file behind.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from facility.errors import FacilityFileError, FacilityValueError
from facility.files import read_input_text, write_atomic
from facility.model import AssemblyPoint, Door, Exit, Facility, Level, Lift, Space, SpaceKind, Stair
from facility.rawjson import MAX_NESTING, check_values, parse_json
from facility.schema import FORMAT, SECTIONS, element_label, json_type, schema_problems
from facility.validate import ensure_valid

__all__ = ["FORMAT", "MAX_FILE_BYTES", "MAX_NESTING", "build", "dumps", "load", "loads", "save", "to_dict"]

#: Fields read as floats (JSON integers such as ``"width": 1`` become 1.0) so
#: that a loaded facility equals the one that was saved.
_FLOATS = frozenset({"elevation", "ceiling_height", "width", "air_changes", "flight_length", "riser_mm",
                     "tread_mm", "car_width", "car_depth", "door_width", "speed", "door_time"})
_MAX_LISTED = 25

#: Largest facility file read: a scanned hospital of many levels is a few
#: tens of MB; anything far beyond is not a facility file.
MAX_FILE_BYTES = 256 * 2**20

_GEOJSON_MEMBERS = ("type", "features", "name", "levels", "stairs", "lifts", "metadata", "bbox", "crs")
_POINT_ELEMENTS = {"door": "doors", "exit": "exits", "assembly_point": "assembly_points"}


# -- reading -----------------------------------------------------------------------------------
def load(path: str | os.PathLike[str], *, validate: bool = True) -> Facility:
    """Read a facility file (facility JSON or GeoJSON) and validate it.

    The file must be a regular file of at most :data:`MAX_FILE_BYTES` (a FIFO
    or a device is refused before anything is read).

    Args:
        path: The file.
        validate: Run the whole-building checks (:mod:`facility.validate`);
            ``False`` for a partial facility such as one level's ground truth.

    Raises:
        FacilityFileError: The file is missing, unreadable, too large, not
            JSON, or does not match the format (the message names the file,
            element and field).
        FacilityValidationError: The facility is inconsistent (every error listed).
    """
    p = Path(path)
    text = read_input_text(p, what="facility file", max_bytes=MAX_FILE_BYTES)
    return loads(text, source=str(p), validate=validate)


def loads(text: str, source: str = "<string>", *, validate: bool = True) -> Facility:
    """Parse facility JSON (or GeoJSON) text; ``source`` names it in errors."""
    data = parse_json(text, source)
    return _build(data, source=source, require_format=True, validate=validate)


def build(data: Any, *, source: str = "<data>", validate: bool = True) -> Facility:
    """Make a facility from a facility dict, a GeoJSON FeatureCollection or shapely objects.

    Args:
        data: A facility file dict (``"format"`` may be omitted here), a GeoJSON
            ``FeatureCollection`` dict, the same dicts with shapely geometry in
            place of coordinates, or a :class:`Facility` (validated and returned).
        source: Names the input in error messages.
        validate: Run :func:`facility.validate.validate` and raise on errors.

    Raises:
        FacilityFileError: The data does not match the format.
        FacilityValidationError: The facility is inconsistent.

    >>> from shapely.geometry import box
    >>> f = build({"name": "hut", "levels": [{"id": "L0"}],
    ...            "spaces": [{"id": "R", "level": "L0", "kind": "room", "polygon": box(0, 0, 4, 3)}],
    ...            "exits": [{"id": "X", "space": "R", "at": (2.0, 0.0), "width": 1.0}]})
    >>> f.space("R").area
    12.0
    """
    if isinstance(data, Facility):
        if validate:
            ensure_valid(data, source=source)
        return data
    return _build(data, source=source, require_format=False, validate=validate)


def _build(data: Any, *, source: str, require_format: bool, validate: bool) -> Facility:
    if not isinstance(data, Mapping):
        raise FacilityFileError(source, "expected a JSON object with \"format\": "
                                f"\"{FORMAT}\" (or a GeoJSON FeatureCollection), found {json_type(data)}")
    check_values(data, source)
    label: Callable[[str, int], str] | None = None
    if data.get("type") == "FeatureCollection" and "format" not in data:
        data, label = _from_geojson(data, source)
    else:
        data = _plain(data, source)
        if "format" not in data:
            if require_format:
                raise FacilityFileError(source, f"missing \"format\": expected \"format\": \"{FORMAT}\"")
            data = {"format": FORMAT, **data}
        elif data["format"] != FORMAT:
            raise FacilityFileError(source, f"unsupported format {data['format']!r}: expected {FORMAT!r}")
    problems = schema_problems(data, label)
    if problems:
        shown = problems[:_MAX_LISTED]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise FacilityFileError(source, f"does not match the {FORMAT} format "
                                f"({len(problems)} problem(s)):\n  " + "\n  ".join(shown) + more)
    facility = _to_facility(data, source, label)
    if validate:
        ensure_valid(facility, source=source)
    return facility


def _plain(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Replace shapely geometry, tuples and numpy scalars by plain JSON values.

    A section may also be a mapping from id to the element's other fields
    (``{"spaces": {"R1": {"level": "G", "kind": "room", "polygon": box(...)}}}``).
    """
    out = _jsonable(data)
    for section in SECTIONS:
        items = out.get(section)
        if items is not None and not isinstance(items, list | dict):
            raise FacilityFileError(source, f"top level: field {section!r}: expected an array of objects, "
                                    f"found {type(items).__name__}")
        if isinstance(items, dict):
            bad = [k for k, v in items.items() if not isinstance(v, dict) or "id" in v]
            if bad:
                raise FacilityFileError(source, f"{section}[{bad[0]!r}]: in a section given as a mapping "
                                        "from id to fields, each value must be an object without 'id'")
            out[section] = [{"id": k, **v} for k, v in items.items()]
    for i, space in enumerate(out.get("spaces") or []):
        if isinstance(space, dict) and isinstance(space.get("polygon"), Polygon):
            poly = space["polygon"]
            if "holes" in space:
                raise FacilityFileError(source, f"{element_label(out, 'spaces', i)}: give holes either "
                                        "in the shapely Polygon or in 'holes', not both")
            space["polygon"] = _ring(poly.exterior.coords)
            if poly.interiors:
                space["holes"] = [_ring(r.coords) for r in poly.interiors]
    for section in SECTIONS:
        for i, item in enumerate(out.get(section) or []):
            for key, value in (item.items() if isinstance(item, dict) else ()):
                if isinstance(value, Point):
                    item[key] = [float(value.x), float(value.y)]
                elif isinstance(value, BaseGeometry):
                    raise FacilityFileError(source, f"{element_label(out, section, i)}: field {key!r}: "
                                            f"expected a Polygon or Point, found a {value.geom_type}")
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _ring(coords: Any) -> list[list[float]]:
    """Ring coordinates as [[x, y], ...] without the closing repeat."""
    pts = [[float(c[0]), float(c[1])] for c in coords]
    return pts[:-1] if len(pts) > 1 and pts[0] == pts[-1] else pts


def _from_geojson(fc: Mapping[str, Any], source: str) -> tuple[dict[str, Any], Callable[[str, int], str]]:
    """Turn a FeatureCollection into the facility dict, remembering where each element came from."""
    unknown = [k for k in fc if k not in _GEOJSON_MEMBERS]
    if unknown:
        raise FacilityFileError(source, f"GeoJSON: unknown member(s) {', '.join(map(repr, unknown))}; "
                                f"allowed: {', '.join(_GEOJSON_MEMBERS)}")
    features = fc.get("features")
    if not isinstance(features, list):
        raise FacilityFileError(source, "GeoJSON: 'features' must be a list of Feature objects")
    fc = _jsonable(fc)
    data: dict[str, Any] = {"format": FORMAT, "name": fc.get("name", ""), "spaces": [], "doors": [],
                            "exits": [], "assembly_points": []}
    for key in ("levels", "stairs", "lifts", "metadata"):
        if key in fc:
            data[key] = fc[key]
    origin: dict[tuple[str, int], str] = {}
    for i, feat in enumerate(fc["features"]):
        where = f"features[{i}]"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise FacilityFileError(source, f"GeoJSON {where}: expected an object with \"type\": \"Feature\"")
        geom, props = feat.get("geometry"), feat.get("properties") or {}
        if not isinstance(props, dict):
            raise FacilityFileError(source, f"GeoJSON {where}: 'properties' must be an object")
        # GIS attribute tables write null for an empty cell: treat it as "not given".
        props = {k: v for k, v in props.items() if v is not None}
        if isinstance(props.get("id"), str):
            where += f' (id "{props["id"]}")'
        element = props.pop("element", "space")
        gtype = geom.get("type") if isinstance(geom, dict) else None
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if element == "space":
            rings = _space_rings(gtype, coords, f"GeoJSON {where}", source)
            item = {**props, "polygon": _ring_plan(rings[0])}
            if len(rings) > 1:
                item["holes"] = [_ring_plan(r) for r in rings[1:]]
            section = "spaces"
        elif element in _POINT_ELEMENTS:
            if gtype != "Point":
                raise FacilityFileError(source, f"GeoJSON {where}: a {element} needs a Point geometry, "
                                        f"found {gtype or 'none'}")
            item, section = {**props, "at": _plan(coords)}, _POINT_ELEMENTS[element]
        else:
            raise FacilityFileError(source, f"GeoJSON {where}: property 'element' must be one of 'space', "
                                    f"{', '.join(map(repr, _POINT_ELEMENTS))}; found {element!r}")
        origin[(section, len(data[section]))] = where
        data[section].append(item)
    _refuse_degrees(fc.get("crs"), data["spaces"], source)
    if "levels" not in data:
        # a space without a level is named by the schema check that follows
        found = list(dict.fromkeys(s["level"] for s in data["spaces"] if "level" in s))
        if len(found) > 1:
            raise FacilityFileError(source, f"GeoJSON: spaces are on several levels ({_join(found)}); "
                                    "give a 'levels' member with their elevations")
        data["levels"] = [{"id": found[0]}] if found and isinstance(found[0], str) else []

    def label(section: str, index: int) -> str:
        return origin.get((section, index)) or element_label(data, section, index)

    return data, label


def _space_rings(gtype: Any, coords: Any, where: str, source: str) -> list[Any]:
    """The rings of a space's geometry: a Polygon's, or those of a MultiPolygon's only part.

    QGIS and shapefile layers store polygons as MultiPolygons even when each
    feature is one piece; one part is a space, several are refused (a space is
    one floor area).
    """
    if gtype == "MultiPolygon" and isinstance(coords, list):
        if len(coords) != 1:
            raise FacilityFileError(source, f"{where}: a space is one floor area; found a MultiPolygon of "
                                    f"{len(coords)} parts: draw each part as a space of its own (joined by "
                                    "doors), or merge them")
        gtype, coords = "Polygon", coords[0]
    if gtype != "Polygon":
        raise FacilityFileError(source, f"{where}: a space needs a Polygon geometry, found {gtype or 'none'}")
    if not isinstance(coords, list) or not coords:
        raise FacilityFileError(source, f"{where}: a space needs a Polygon with an outline ring, found a "
                                "Polygon with no coordinates")
    return coords


def _plan(position: Any) -> Any:
    """A GeoJSON position in the plan: ``[x, y, z]`` (an altitude, as PolygonZ layers export) loses
    its ``z``, the storey being the space's ``level``; anything else is left for the schema to judge.

    >>> _plan([1.0, 2.0, 35.5]), _plan([1, 2])
    ([1.0, 2.0], [1, 2])
    """
    if isinstance(position, list) and len(position) == 3 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in position):
        return position[:2]
    return position


def _ring_plan(ring: Any) -> Any:
    return [_plan(p) for p in ring] if isinstance(ring, list) else ring


#: Geographic CRSs a GIS may export (longitude/latitude in degrees), by the codes in their names.
_DEGREE_CRS = ("CRS84", "EPSG::4326", "EPSG:4326", "EPSG::4258", "EPSG:4258", "EPSG::4269", "EPSG:4269")


def _refuse_degrees(crs: Any, spaces: list[dict[str, Any]], source: str) -> None:
    """Refuse a collection in longitude/latitude degrees, named as such.

    GeoJSON's own default (RFC 7946) is WGS 84 degrees, and QGIS exports it unless told
    otherwise; read as metres, a building became a 0.0001 m speck whose every door was
    "wider than its wall".  Degrees are recognised by a geographic ``crs`` member, or by
    spaces that all lie within +-180, +-90 and together span less than a metre, which no
    building drawn in metres does.
    """
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if isinstance(name, str) and name.upper().endswith(_DEGREE_CRS):
        raise FacilityFileError(source, f"GeoJSON: crs {name!r} is longitude/latitude in degrees; expected "
                                "metres in the building's plan frame (export the layer in a projected "
                                "CRS such as the national grid or UTM)")
    try:
        pts = np.array([p[:2] for sp in spaces for p in sp["polygon"]], dtype=float)
    except (KeyError, TypeError, ValueError, IndexError):
        return  # malformed coordinates: the schema check names them
    if pts.ndim != 2 or len(pts) < 3 or not np.isfinite(pts).all():
        return
    span = pts.max(axis=0) - pts.min(axis=0)
    if np.all(np.abs(pts) <= (180, 90)) and np.all(span < 1.0):
        raise FacilityFileError(source, f"GeoJSON: the spaces span only {span[0]:.2g} x {span[1]:.2g} m "
                                f"around ({pts[0, 0]:.6g}, {pts[0, 1]:.6g}): these look like "
                                "longitude/latitude degrees (GeoJSON's default, RFC 7946); expected "
                                "metres in the building's plan frame (export the layer in a projected CRS)")


def _join(names: list[Any]) -> str:
    return ", ".join(map(repr, names))


def _to_facility(data: Mapping[str, Any], source: str, label: Callable[[str, int], str] | None) -> Facility:
    """Schema-checked dict -> frozen model objects (model errors name the element)."""
    name = label or (lambda section, index: element_label(data, section, index))
    made: dict[str, list[Any]] = {s: [] for s in SECTIONS}
    for section, make in _MAKERS.items():
        for i, item in enumerate(data.get(section, [])):
            try:
                made[section].append(make(item))
            except (FacilityValueError, ValueError) as exc:
                raise FacilityFileError(source, f"{name(section, i)}: {exc}") from None
    return Facility(
        name=data["name"],
        levels=tuple(made["levels"]),
        spaces=tuple(made["spaces"]),
        doors=tuple(made["doors"]),
        exits=tuple(made["exits"]),
        stairs=tuple(made["stairs"]),
        lifts=tuple(made["lifts"]),
        assembly_points=tuple(made["assembly_points"]),
        metadata=dict(data.get("metadata", {})),
    )


def _fields(item: Mapping[str, Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in item.items():
        if k in skip:
            continue
        if k in _FLOATS and v is not None:
            out[k] = float(v)
        elif k == "at":
            out[k] = (float(v[0]), float(v[1]))
        elif k == "spaces":
            out[k] = tuple(v)
        else:
            out[k] = v
    return out


def _make_space(item: Mapping[str, Any]) -> Space:
    shell = [(float(x), float(y)) for x, y in item["polygon"]]
    holes = [[(float(x), float(y)) for x, y in ring] for ring in item.get("holes", [])]
    try:
        polygon = Polygon(shell, holes)
    except ValueError as exc:  # shapely: too few distinct points for a ring
        raise FacilityValueError(f"field 'polygon': not a polygon ({exc})") from None
    fields = _fields(item, skip=("polygon", "holes", "kind"))
    return Space(kind=SpaceKind(item["kind"]), polygon=polygon, **fields)


_MAKERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "levels": lambda item: Level(**_fields(item)),
    "spaces": _make_space,
    "doors": lambda item: Door(**_fields(item)),
    "exits": lambda item: Exit(**_fields(item)),
    "stairs": lambda item: Stair(**_fields(item)),
    "lifts": lambda item: Lift(**_fields(item)),
    "assembly_points": lambda item: AssemblyPoint(**_fields(item)),
}


# -- writing -----------------------------------------------------------------------------------
def to_dict(facility: Facility) -> dict[str, Any]:
    """The facility as a file dict (every field written, defaults included)."""
    def point(p: tuple[float, float]) -> list[float]:
        return [float(p[0]), float(p[1])]

    def space(s: Space) -> dict[str, Any]:
        out: dict[str, Any] = {"id": s.id, "level": s.level, "kind": s.kind.value,
                               "polygon": _ring(s.polygon.exterior.coords)}
        if s.polygon.interiors:
            out["holes"] = [_ring(r.coords) for r in s.polygon.interiors]
        out.update(use=s.use, name=s.name, beds=s.beds, compartment=s.compartment,
                   air_changes=s.air_changes, ceiling_height=s.ceiling_height, occupied=s.occupied)
        return out

    return {
        "format": FORMAT,
        "name": facility.name,
        "levels": [{"id": lv.id, "name": lv.name, "elevation": lv.elevation,
                    "ceiling_height": lv.ceiling_height} for lv in facility.levels],
        "spaces": [space(s) for s in facility.spaces],
        "doors": [{"id": d.id, "spaces": list(d.spaces), "at": point(d.at), "width": d.width,
                   "fire_door": d.fire_door, "smoke_door": d.smoke_door} for d in facility.doors],
        "exits": [{"id": e.id, "space": e.space, "at": point(e.at), "width": e.width,
                   "assembly_point": e.assembly_point} for e in facility.exits],
        "stairs": [{"id": st.id, "spaces": list(st.spaces), "width": st.width,
                    "flight_length": st.flight_length, "riser_mm": st.riser_mm, "tread_mm": st.tread_mm}
                   for st in facility.stairs],
        "lifts": [{"id": lf.id, "spaces": list(lf.spaces), "car_width": lf.car_width,
                   "car_depth": lf.car_depth, "door_width": lf.door_width, "speed": lf.speed,
                   "door_time": lf.door_time, "capacity_persons": lf.capacity_persons,
                   "bed_lift": lf.bed_lift, "evacuation_lift": lf.evacuation_lift}
                  for lf in facility.lifts],
        "assembly_points": [{"id": a.id, "at": point(a.at), "name": a.name}
                            for a in facility.assembly_points],
        "metadata": _jsonable(dict(facility.metadata)),
    }


def dumps(facility: Facility) -> str:
    """The facility file text: one element per block, coordinates on one line.

    Floats are written with ``repr`` (shortest exact form), so reading the
    text back gives an equal facility.

    Raises:
        FacilityValueError: A value cannot be written as JSON (NaN, infinity,
            or a metadata value that is not JSON).
    """
    return _render(to_dict(facility), 0) + "\n"


def _render(value: Any, depth: int) -> str:
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_render(v, depth + 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if _flat(value):
            return "[" + ", ".join(_render(v, depth + 1) for v in value) + "]"
        return "[\n" + ",\n".join(inner + _render(v, depth + 1) for v in value) + "\n" + pad + "]"
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise FacilityValueError(f"cannot write {value!r} as JSON: {exc}") from None


def _flat(value: list[Any]) -> bool:
    """Coordinate-like lists (scalars, or lists of scalars) are written on one line."""
    def scalar(v: Any) -> bool:
        return not isinstance(v, dict | list)

    return all(scalar(v) or (isinstance(v, list) and all(map(scalar, v))) for v in value)


def save(facility: Facility, path: str | os.PathLike[str]) -> None:
    """Write the facility file atomically (see :func:`facility.files.write_atomic`).

    Raises:
        FacilityFileError: The folder does not exist or cannot be written
            (a :class:`~facility.errors.FileAccessError`).
        FacilityValueError: The facility holds a value JSON cannot express.
    """
    text = dumps(facility)  # fail before touching the disk
    write_atomic(path, text, what="facility file")
