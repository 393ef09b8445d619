"""Facility JSON text in: parsed, with every check JSON Schema cannot make.

:mod:`facility.schema` says what each field is; some inputs never get that
far, or pass it unharmed and break something later: text nested 100,000
levels deep (the parser's stack runs out), ``1e400`` (read as infinity), a
``"\\ud800"`` escape (a lone surrogate, which no output can encode), an
integer of thousands of digits. They are refused here, for every form a
facility takes (file text, dicts and shapely objects built in Python), each
naming the source and where in it the value is.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from facility.errors import FacilityFileError
from facility.ids import CONTROL_CHARACTERS

__all__ = ["MAX_NESTING", "check_values", "parse_json"]

#: Deepest JSON nesting accepted: a facility file needs 5 (holes in a space),
#: metadata a few more; 100,000 levels would exhaust the parser's stack.
MAX_NESTING = 64
#: An integer literal longer than this is not a count of anything in a building.
_MAX_INT_DIGITS = 30
#: The change of bracket depth each byte makes: +1 for ``[`` ``{``, -1 for ``]`` ``}``, else 0.
_DEPTH_STEP = np.zeros(256, dtype=np.int32)
_DEPTH_STEP[np.frombuffer(b"[{", dtype=np.uint8)] = 1
_DEPTH_STEP[np.frombuffer(b"]}", dtype=np.uint8)] = -1
#: Bytes of text scanned at a time, so the work arrays stay small whatever the file's size.
_NESTING_CHUNK = 1 << 20


def parse_json(text: str, source: str) -> Any:
    """Parse facility JSON text, refusing what JSON Schema cannot see.

    Duplicate keys, ``NaN``/``Infinity`` literals, integers longer than
    30 digits and nesting deeper than :data:`MAX_NESTING` (which would exhaust
    the parser's stack) are errors naming ``source``.

    Raises:
        FacilityFileError: The text is not acceptable JSON.
    """
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                near = f" (in the object with id {out['id']!r})" if isinstance(out.get("id"), str) else ""
                raise FacilityFileError(source, f"duplicate key {k!r} in one JSON object{near}")
            out[k] = v
        return out

    def no_constants(name: str) -> float:
        raise FacilityFileError(source, f"invalid JSON value {name}: numbers must be finite")

    def bounded_int(literal: str) -> int:
        if len(literal.lstrip("-")) > _MAX_INT_DIGITS:
            raise FacilityFileError(source, f"integer {_clip(literal)} has more than {_MAX_INT_DIGITS} "
                                    "digits")
        return int(literal)

    # Windows editors (Notepad, Excel's "UTF-8" export) start a file with a byte order mark;
    # RFC 8259 sec. 8.1 lets a reader ignore it, and json refused it in Python's words.
    text = text.removeprefix("\ufeff")
    if not text.strip():
        # json would say "Expecting value" at line 1; the planner needs to know the file is blank.
        raise FacilityFileError(source, "expected a JSON object, found nothing (an empty document)")
    depth = _nesting(text)
    if depth > MAX_NESTING:
        raise FacilityFileError(source, f"JSON nested {depth} levels deep; a facility file needs at most "
                                f"{MAX_NESTING}")
    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants,
                          parse_int=bounded_int)
    except json.JSONDecodeError as exc:
        raise FacilityFileError(
            source, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
                    f"{_decimal_comma_hint(text, exc.pos)}{_not_json_hint(text)}") from None


#: A number and a comma just before where the parser gave up, and digits at that place: the
#: object ``{"width": 1,2}`` stops at the 2, where a key was expected.
_NUMBER_COMMA = re.compile(r"(?<![\w.\"])(-?\d+),\s*$")
_DIGITS = re.compile(r"\d+")


def _decimal_comma_hint(text: str, pos: int) -> str:
    """A hint when the parse failed just after ``1,2`` (a decimal comma; JSON numbers take a point).

    >>> _decimal_comma_hint('{"width": 1,2}', 12)
    ' (1,2 looks like a decimal comma: JSON numbers take a decimal point, 1.2)'
    """
    before, after = _NUMBER_COMMA.search(text[max(pos - 40, 0):pos]), _DIGITS.match(text, pos)
    if before is None or after is None:
        return ""
    return (f" ({before[1]},{after[0]} looks like a decimal comma: JSON numbers take a decimal point, "
            f"{before[1]}.{after[0]})")


#: A scenario file's first key, as YAML writes it.
_SCENARIO_KIND = re.compile(r"^kind\s*:", re.MULTILINE)


def _not_json_hint(text: str) -> str:
    """A hint when the text is not JSON at all: a scenario file (YAML) given where a facility goes.

    >>> _not_json_hint("# drill\\nkind: evacuation\\n")[:44]
    ' (this looks like a scenario file, in YAML: '
    """
    if text.lstrip()[:1] in ("{", "["):
        return ""
    if _SCENARIO_KIND.search(text[:10_000]):
        return (" (this looks like a scenario file, in YAML: run it with 'medtwin run'; a facility file is "
                "JSON, starting with '{')")
    return " (a facility file is JSON or GeoJSON, starting with '{')"


def _nesting(text: str) -> int:
    """The deepest bracket nesting of JSON text, without parsing it (brackets inside strings count too,
    which can only overestimate).

    >>> _nesting('{"a": [[1], {"b": 2}]}')
    3
    """
    # A table lookup per byte, a chunk at a time: np.isin sorted the whole text (2.5 s and
    # 0.4 GB of int64 per 50 MB), which made a large legal file take seconds and gigabytes.
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    deepest = level = 0
    for start in range(0, len(data), _NESTING_CHUNK):
        depth = _DEPTH_STEP[data[start:start + _NESTING_CHUNK]]  # int32: a 256 MiB file's depth fits
        np.cumsum(depth, out=depth)
        depth += level
        deepest, level = max(deepest, int(depth.max())), int(depth[-1])
    return deepest


def _clip(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."


def check_values(value: Any, source: str, where: str = "top level", depth: int = 0) -> None:
    """Refuse what JSON Schema cannot: NaN and infinity, text that is not valid Unicode, deep nesting.

    Run on every input form (file text, dicts and shapely objects built in
    Python), so a value such as ``float("inf")`` or a lone surrogate in an id
    never reaches the model (where it would break the writers later).
    """
    if depth > MAX_NESTING:
        raise FacilityFileError(source, f"{where}: nested more than {MAX_NESTING} levels deep")
    if isinstance(value, str):
        _check_text(value, source, where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise FacilityFileError(source, f"{where}: expected a finite number, found {value} "
                                    "(a literal such as 1e400 overflows to infinity)")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str):
                _check_text(k, source, f"{where}: key")
            check_values(v, source, _join_path(where, k), depth + 1)
    elif isinstance(value, list | tuple):
        if _finite_points(value):  # a ring of [x, y] pairs: thousands of them in a scanned room
            return
        for i, v in enumerate(value):
            check_values(v, source, _join_path(where, i), depth + 1)


def _finite_points(value: list[Any] | tuple[Any, ...]) -> bool:
    """Whether ``value`` is a list of number pairs, all finite (checked in one pass)."""
    try:
        coords = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return coords.ndim == 2 and coords.shape[1] == 2 and bool(np.isfinite(coords).all()) and all(
        type(v) is float or type(v) is int for p in value for v in p)


def _join_path(where: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return str(key) if where == "top level" else f"{where}.{key}"


def _check_text(text: str, source: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = f"\\u{ord(text[exc.start]):04x}"
        raise FacilityFileError(source, f"{where}: text {text[:exc.start]!r}... holds a lone surrogate "
                                f"({code} at position {exc.start}); ids and names must be valid Unicode "
                                "text") from None
    # metadata: kept as it is
    control = CONTROL_CHARACTERS.search(text) if not where.startswith("metadata") else None
    if control is not None:
        raise FacilityFileError(source, f"{where}: text {text[:control.start()]!r}... holds the control "
                                f"character \\x{ord(control[0]):02x} at position {control.start()}; "
                                "expected printable text (tabs and line breaks are fine)")
