"""The JSON Schema of the facility file (``"format": "medtwin-facility/1"``).

The schema is the single statement of what a facility file may contain: every
object closes its key set (``additionalProperties: false``) so a misspelt key
is an error rather than a silently ignored field, and every field carries its
type, default and meaning.  Defaults are read from the dataclasses in
:mod:`facility.model` so the file format and the model cannot drift apart.

``docs/facility-schema.json`` is generated from :func:`schema_json` (a test
regenerates it and fails when it is stale), so editors such as VS Code can
check a hand-written facility file as it is typed.

The schema says what each field *is*; cross-element rules (a door on the wall
between its two spaces, every occupied room reaching an exit) are checked by
:func:`facility.validate.validate`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from facility.model import AssemblyPoint, Door, Exit, Level, Lift, Space, SpaceKind, Stair

__all__ = ["FORMAT", "SCHEMA", "SECTIONS", "json_type", "schema_json", "schema_problems"]

#: The value of the ``"format"`` key this version reads and writes.
FORMAT = "medtwin-facility/1"


def _default(cls: type, name: str) -> Any:
    """The dataclass default of ``cls.name`` (so the schema never restates it)."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            break
    raise KeyError(f"{cls.__name__}.{name} has no default")


def _obj(properties: dict[str, Any], required: list[str], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _field(cls: type, name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A property with its description and the model's default."""
    return {**schema, "description": description, "default": _default(cls, name)}


#: An id neither starts nor ends with white space, nor holds a line break: "WAIT " from a padded
#: GIS or spreadsheet column looked like "WAIT" in every message that said it did not exist.
_ID_PATTERN = r"^\S(?:[^\r\n]*\S)?$"
_ID = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": _ID_PATTERN}
_POINT = {"$ref": "#/$defs/point"}

# Plausibility bounds: far outside any real hospital, so that a typo, a unit
# mistake (millimetres for metres) or an overflowing literal such as 1e400 is
# refused with the field named, instead of silently producing a 1e308 m
# ceiling. They are not design limits; the validator warns about values that
# are legal but unusual (a 0.7 m door on a bed route). Documented with each
# field in docs/facility-format.md.
#: Plan coordinates (m): 10,000 km, so georeferenced UTM northings still fit.
MAX_COORDINATE_M = 1e7
#: Floor elevation (m): the deepest basements to above the tallest towers' top floors.
ELEVATION_RANGE_M = (-200.0, 1000.0)
#: Clear ceiling height (m): an atrium or a double-height hall included.
MAX_CEILING_M = 50.0
#: Lowest clear ceiling height (m): a plant void or crawl space a person can enter (a scan's
#: storeys are at least 2 m, ``lidar`` ``min_storey_height``).  Below it a value is a slip (0.27
#: for 2.7): a 0.01 m ceiling was valid, and the smoke filled, and the infection model's air
#: volume shrank, 270 times.
MIN_CEILING_M = 1.0
#: Clear width of a door or exit (m): a loading-bay or ambulance-hall door included.
MAX_OPENING_M = 20.0
#: Stair clear width (m), walking length per storey (m), riser and tread (mm).
MAX_STAIR_WIDTH_M = 10.0
MAX_FLIGHT_M = 100.0
MAX_RISER_MM = 300.0
MAX_TREAD_MM = 1000.0
#: Lift car and door sizes (m), speed (m/s: the fastest lifts run ~20 m/s),
#: door open + close time (s) and rated load (persons).
MAX_CAR_M = 10.0
MAX_LIFT_SPEED = 25.0
MAX_DOOR_TIME_S = 300.0
MAX_LIFT_PERSONS = 200
#: Beds in one space, and air changes per hour (ASHRAE 170 asks up to 25 in
#: theatres; laboratories and isolation suites stay well below 100).
MAX_BEDS = 500
MAX_AIR_CHANGES = 100.0


def _number(low: float | None = None, high: float | None = None, *, above: float | None = None,
            nullable: bool = False) -> dict[str, Any]:
    """A number schema with its plausible range (``above`` is an exclusive lower bound)."""
    out: dict[str, Any] = {"type": ["number", "null"] if nullable else "number"}
    if low is not None:
        out["minimum"] = low
    if above is not None:
        out["exclusiveMinimum"] = above
    if high is not None:
        out["maximum"] = high
    return out

_LEVEL = _obj(
    {
        "id": {**_ID, "description": "Unique level id, e.g. \"L0\"."},
        "name": _field(Level, "name", {"type": "string"}, "Human label, e.g. \"Ground floor\"."),
        "elevation": _field(Level, "elevation", _number(*ELEVATION_RANGE_M),
                            "Floor elevation in metres above the ground level's floor."),
        "ceiling_height": _field(Level, "ceiling_height", _number(MIN_CEILING_M, MAX_CEILING_M),
                                 "Default clear ceiling height of the level's spaces (m)."),
    },
    ["id"],
    "One storey.",
)

_SPACE = _obj(
    {
        "id": {**_ID, "description": "Unique space id across the facility, e.g. \"ED-01\"."},
        "level": {**_ID, "description": "Id of the level the space is on."},
        "kind": {"type": "string", "enum": [k.value for k in SpaceKind],
                 "description": "Movement role: room, corridor, stair, lift, exit, outside or refuge."},
        "polygon": {"$ref": "#/$defs/ring",
                    "description": "Exterior ring of the floor outline as [[x, y], ...] in metres; "
                                   "closing the ring is optional."},
        "holes": {"type": "array", "items": {"$ref": "#/$defs/ring"}, "default": [],
                  "description": "Interior rings (columns, light wells) cut out of the floor."},
        "use": _field(Space, "use", {"type": ["string", "null"]},
                      "Clinical or functional use matched by scenarios, e.g. \"ed_waiting\", \"ct\"."),
        "name": _field(Space, "name", {"type": "string"}, "Human label."),
        "beds": _field(Space, "beds", {"type": "integer", "minimum": 0, "maximum": MAX_BEDS},
                      "Number of patient beds."),
        "compartment": _field(Space, "compartment", {"type": ["string", "null"], "minLength": 1},
                              "Smoke compartment id; spaces sharing it form one compartment."),
        "air_changes": _field(Space, "air_changes", _number(0, MAX_AIR_CHANGES, nullable=True),
                              "Air changes per hour; null means the ASHRAE 170 default for the use."),
        "ceiling_height": _field(Space, "ceiling_height",
                                 _number(MIN_CEILING_M, MAX_CEILING_M, nullable=True),
                                 "Clear ceiling height (m); null means the level's."),
        "occupied": _field(Space, "occupied", {"type": "boolean"},
                           "Whether people normally stay here (unreachable occupied space = error)."),
    },
    ["id", "level", "kind", "polygon"],
    "A room, corridor, stair or lift footprint on one level.",
)

_DOOR = _obj(
    {
        "id": {**_ID, "description": "Unique door id."},
        "spaces": {"type": "array", "items": _ID, "minItems": 2, "maxItems": 2,
                   "description": "The two spaces the door joins (same level, sharing a wall)."},
        "at": {**_POINT, "description": "Centre of the opening, on the shared wall, [x, y] in metres."},
        "width": {**_number(above=0, high=MAX_OPENING_M),
                  "description": "Clear width (m); at least 0.6, beds need 1.1."},
        "fire_door": _field(Door, "fire_door", {"type": "boolean"}, "A fire-resisting door."),
        "smoke_door": _field(Door, "smoke_door", {"type": "boolean"},
                             "A smoke-barrier door between smoke compartments."),
    },
    ["id", "spaces", "at", "width"],
    "An opening in the wall shared by two spaces on the same level.",
)

_EXIT = _obj(
    {
        "id": {**_ID, "description": "Unique exit id."},
        "space": {**_ID, "description": "The space the exit leads out of."},
        "at": {**_POINT, "description": "Centre of the opening on the space's external wall."},
        "width": {**_number(above=0, high=MAX_OPENING_M), "description": "Clear width (m)."},
        "assembly_point": _field(Exit, "assembly_point", {"type": ["string", "null"], "minLength": 1},
                                 "Id of the assembly point evacuees from this exit go to."),
    },
    ["id", "space", "at", "width"],
    "A final exit from a space to open air.",
)

_STAIR = _obj(
    {
        "id": {**_ID, "description": "Unique stair id."},
        "spaces": {"type": "array", "items": _ID, "minItems": 2,
                   "description": "One stair space per level served, bottom to top."},
        "width": {**_number(above=0, high=MAX_STAIR_WIDTH_M),
                  "description": "Clear width of the flights (m)."},
        "flight_length": _field(Stair, "flight_length", _number(above=0, high=MAX_FLIGHT_M),
                                "Walking length along the slope per storey, flights and landings (m)."),
        "riser_mm": _field(Stair, "riser_mm", _number(above=0, high=MAX_RISER_MM),
                           "Step riser (mm); selects the SFPE speed."),
        "tread_mm": _field(Stair, "tread_mm", _number(above=0, high=MAX_TREAD_MM),
                           "Step tread (mm); selects the SFPE speed."),
    },
    ["id", "spaces", "width"],
    "A stair core joining stair spaces on consecutive levels.",
)

_LIFT = _obj(
    {
        "id": {**_ID, "description": "Unique lift id."},
        "spaces": {"type": "array", "items": _ID, "minItems": 2,
                   "description": "One lift space (shaft footprint) per level served, bottom to top."},
        "car_width": _field(Lift, "car_width", _number(above=0, high=MAX_CAR_M), "Internal car width (m)."),
        "car_depth": _field(Lift, "car_depth", _number(above=0, high=MAX_CAR_M), "Internal car depth (m)."),
        "door_width": _field(Lift, "door_width", _number(above=0, high=MAX_CAR_M),
                             "Clear landing door width (m)."),
        "speed": _field(Lift, "speed", _number(above=0, high=MAX_LIFT_SPEED), "Vertical speed (m/s)."),
        "door_time": _field(Lift, "door_time", _number(0, MAX_DOOR_TIME_S),
                            "Door open + close time at one stop (s)."),
        "capacity_persons": _field(Lift, "capacity_persons", {"type": "integer", "minimum": 1,
                                                                  "maximum": MAX_LIFT_PERSONS},
                                   "Rated load in persons."),
        "bed_lift": _field(Lift, "bed_lift", {"type": "boolean"}, "Car takes a bed (HTM 08-02)."),
        "evacuation_lift": _field(Lift, "evacuation_lift", {"type": "boolean"},
                                  "Designed for use in an evacuation."),
    },
    ["id", "spaces"],
    "A lift stopping at lift spaces on several levels.",
)

_ASSEMBLY = _obj(
    {
        "id": {**_ID, "description": "Unique assembly point id."},
        "at": {**_POINT, "description": "Location in ground-level plan coordinates [x, y]."},
        "name": _field(AssemblyPoint, "name", {"type": "string"}, "Human label."),
    },
    ["id", "at"],
    "Where evacuees gather outside.",
)


def _section(item: dict[str, Any], description: str) -> dict[str, Any]:
    return {"type": "array", "items": item, "default": [], "description": description}


#: The facility file schema (JSON Schema draft 2020-12) as a Python dict.
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "medtwin facility file",
    "description": "A hospital building: levels, spaces, doors, exits, stairs, lifts and assembly "
                   "points. See docs/facility-format.md.",
    "type": "object",
    "properties": {
        "format": {"const": FORMAT, "description": f"File format and version; must be {FORMAT!r}."},
        "name": {"type": "string", "description": "Name of the facility."},
        "levels": {**_section(_LEVEL, "The storeys."), "minItems": 1},
        "spaces": {**_section(_SPACE, "Every room, corridor, stair and lift footprint."), "minItems": 1},
        "doors": _section(_DOOR, "Openings between spaces."),
        "exits": _section(_EXIT, "Final exits to open air."),
        "stairs": _section(_STAIR, "Stair cores."),
        "lifts": _section(_LIFT, "Lifts."),
        "assembly_points": _section(_ASSEMBLY, "Assembly points outside."),
        "metadata": {"type": "object", "default": {},
                     "description": "Free-form information (source scan, author, date); kept as is."},
    },
    "required": ["format", "name", "levels", "spaces"],
    "additionalProperties": False,
    "$defs": {
        "point": {"type": "array", "items": _number(-MAX_COORDINATE_M, MAX_COORDINATE_M),
                  "minItems": 2, "maxItems": 2, "description": "[x, y] in metres."},
        "ring": {"type": "array", "items": {"$ref": "#/$defs/point"}, "minItems": 3,
                 "description": "A linear ring [[x, y], ...]; the closing point may be omitted."},
    },
}

#: Element sections of the file, in file order, with the key naming each element.
SECTIONS: tuple[str, ...] = ("levels", "spaces", "doors", "exits", "stairs", "lifts", "assembly_points")


def schema_json() -> str:
    """The schema as pretty-printed JSON text (what ``docs/facility-schema.json`` holds).

    >>> import json
    >>> json.loads(schema_json())["properties"]["format"]["const"]
    'medtwin-facility/1'
    """
    return json.dumps(SCHEMA, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


_VALIDATOR = Draft202012Validator(SCHEMA)

_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"))


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, as a planner reads it in a file (not Python's).

    >>> json_type(None), json_type([1]), json_type(2.5)
    ('null', 'array', 'number')
    """
    if value is None:
        return "null"
    for cls, name in _JSON_TYPES:
        if isinstance(value, cls):
            return name
    return type(value).__name__


def _short(value: Any) -> str:
    text = json.dumps(value, default=repr) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def element_label(data: Mapping[str, Any], section: str, index: int) -> str:
    """How an element is named in messages: ``spaces[3] (id "ED-01")``."""
    items = data.get(section)
    item = items[index] if isinstance(items, list) and index < len(items) else None
    ident = item.get("id") if isinstance(item, Mapping) else None
    return f'{section}[{index}] (id "{ident}")' if isinstance(ident, str) else f"{section}[{index}]"


def _field_path(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _problem(err: ValidationError) -> str:
    """What is wrong, in a planner's words: expected ... found ..."""
    kind, inst, want = err.validator, err.instance, err.validator_value
    if kind == "additionalProperties":
        allowed = list(err.schema.get("properties", {}))
        unknown = [k for k in inst if k not in allowed]
        return (f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                f"allowed keys: {', '.join(allowed)}")
    if kind == "required":
        missing = [k for k in want if k not in inst]
        return f"missing required field{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
    if kind == "type":
        expected = " or ".join(want) if isinstance(want, list) else want
        return f"expected {expected}, found {json_type(inst)} {_short(inst)}"
    if kind == "const":
        return f"expected {want!r}, found {_short(inst)}"
    if kind == "enum":
        return f"expected one of {', '.join(map(repr, want))}, found {_short(inst)}"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        op = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}[kind]
        return f"expected a number {op} {want:g}, found {_short(inst)} (outside the plausible range)"
    if kind == "maxLength":
        return f"expected at most {want} characters, found {len(inst)}"
    if kind == "minItems":
        return f"expected at least {want} item(s), found {len(inst)}"
    if kind == "maxItems":
        # [3,5, 2,4] for the point (3.5, 2.4): whole numbers only, as decimal commas leave them
        commas = (" (decimal commas? JSON numbers take a decimal point: 3.5, not 3,5)"
                  if want == 2 and all(type(v) is int for v in inst) else "")
        return f"expected at most {want} item(s), found {len(inst)}{commas}"
    if kind == "minLength":
        return "expected a non-empty string, found an empty one"
    if kind == "pattern":
        return (f"expected an id that neither starts nor ends with a space and holds no line break, "
                f"found {_short(inst)}")
    return err.message


def _file_order(err: ValidationError) -> tuple[int, int, str]:
    """Top-level problems first, then element by element in file order."""
    path = list(err.absolute_path)
    if len(path) >= 2 and path[0] in SECTIONS and isinstance(path[1], int):
        return SECTIONS.index(str(path[0])) + 1, path[1], str(path[2:])
    return 0, 0, str(path)


def schema_problems(data: Mapping[str, Any],
                    label: Callable[[str, int], str] | None = None) -> list[str]:
    """Every way ``data`` breaks the schema, one readable line each.

    Each line names the element (``spaces[3] (id "ED-01")``), the field and
    the problem (unknown key, wrong type, missing field), in file order.

    Args:
        data: The parsed file.
        label: Names the element at ``(section, index)``; by default
            :func:`element_label` (a GeoJSON reader names features instead).

    >>> print(schema_problems({"format": "medtwin-facility/1", "name": "x",
    ...                        "levels": [{"id": "L0", "hight": 3}], "spaces": []})[-1])
    levels[0] (id "L0"): unknown key 'hight'; allowed keys: id, name, elevation, ceiling_height
    """
    name = label or (lambda section, index: element_label(data, section, index))
    errors = sorted(_VALIDATOR.iter_errors(_rings_stubbed(data)), key=_file_order)
    out = []
    for err in errors:
        path = list(err.absolute_path)
        if len(path) >= 2 and path[0] in SECTIONS and isinstance(path[1], int):
            where, rest = name(str(path[0]), path[1]), path[2:]
        else:
            where, rest = "top level", path
        field = f"field {_field_path(rest)!r}: " if rest else ""
        line = f"{where}: {field}{_problem(err)}"
        # the schema reports each missing field on its own, and each line already lists them all
        if line not in out:
            out.append(line)
    return out


#: A ring that passes :func:`_plain_ring`, standing in for it during JSON Schema validation.
_STUB_RING = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]


def _plain_ring(ring: Any) -> bool:
    """Whether ``ring`` certainly matches ``$defs/ring`` (checked in one pass, not point by point).

    A scanned room has thousands of vertices and a round column a hundred
    thousand; JSON Schema checks each number through several Python calls,
    which took minutes. Rings that pass this check are not given to the
    schema validator; any other ring is, so its problems are reported as
    precisely as before.
    """
    if not isinstance(ring, list) or len(ring) < 3:
        return False
    for point in ring:
        if type(point) is not list or len(point) != 2:
            return False
        if not all(type(v) is float or type(v) is int for v in point):
            return False
    coords = np.asarray(ring, dtype=float)
    return bool(np.isfinite(coords).all() and (np.abs(coords) <= MAX_COORDINATE_M).all())


def _rings_stubbed(data: Mapping[str, Any]) -> dict[str, Any]:
    """A shallow copy of ``data`` in which every plainly valid space outline is replaced by a stub."""
    out = dict(data)
    spaces = data.get("spaces")
    if not isinstance(spaces, list):
        return out
    copied = []
    for space in spaces:
        if not isinstance(space, dict):
            copied.append(space)
            continue
        stubbed = dict(space)
        if _plain_ring(space.get("polygon")):
            stubbed["polygon"] = _STUB_RING
        holes = space.get("holes")
        if isinstance(holes, list) and all(_plain_ring(h) for h in holes):
            stubbed["holes"] = [_STUB_RING] * len(holes)
        copied.append(stubbed)
    out["spaces"] = copied
    return out
