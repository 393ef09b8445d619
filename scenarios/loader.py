"""The one place scenario files are read: YAML -> frozen, validated scenario.

Unknown keys, wrong types, impossible values and duplicate keys are errors
that name the file and the dotted field path.  Model code never reads files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from facility.errors import FileAccessError
from facility.files import read_input_text
from scenarios.base import KINDS, ScenarioBase
from scenarios.errors import ScenarioFileError

__all__ = ["MAX_FILE_BYTES", "MAX_NESTING", "dump", "from_dict", "load", "loads"]

#: Largest scenario file read: the largest shipped one is ~15 KB; a
#: scenario listing every person of a large hospital by hand stays far below.
MAX_FILE_BYTES = 16 * 2**20
#: Deepest nesting of mappings and lists a scenario may have (the schemas
#: need about 8).
MAX_NESTING = 64


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice in one mapping."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# YAML 1.1 reads 1e8 (an exponent without a decimal point) as text; planners
# write it as a number, and YAML 1.2 agrees. Quoted "1e8" stays text.
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # pydantic adds the tag of a discriminated union member; hide it
            if isinstance(part, str) and part.startswith("function-"):
                continue
            out += f".{part}" if out else str(part)
    return out


def _plain(value: Any, source: str, where: str = "", depth: int = 0) -> Any:
    """The parsed file as plain JSON values, refusing what no scenario field can hold.

    Dates (YAML reads ``2024-05-01`` as a date) become their ISO text; tuples
    and numpy scalars (scenarios built in Python) become lists and numbers.
    Text that is not valid Unicode (a lone surrogate from a ``"\\ud800"``
    escape), binary data, sets and nesting deeper than :data:`MAX_NESTING`
    are errors naming the field.
    """
    if depth > MAX_NESTING:
        raise ScenarioFileError(source, where, f"nested more than {MAX_NESTING} levels deep")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ScenarioFileError(source, where, f"text holds a lone surrogate at position {exc.start}; "
                                    "text must be valid Unicode") from None
        return value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, os.PathLike):  # a facility path given from Python
        return os.fspath(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str | int) or isinstance(k, bool):
                raise ScenarioFileError(source, where, f"key {k!r} is not text")
            key = _plain(k, source, where, depth + 1)
            out[key] = _plain(v, source, f"{where}.{k}" if where else str(k), depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_plain(v, source, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    raise ScenarioFileError(source, where, f"unsupported value of type {type(value).__name__} "
                            "(scenario files hold text, numbers, booleans, lists and mappings)")


def from_dict(data: Any, source: str = "<scenario>") -> ScenarioBase:
    """Validate a parsed scenario mapping into its kind's frozen scenario.

    Validation is strict (a number given as text, ``seed: "7"``, is an error,
    as is a boolean for a number) and refuses infinity and NaN everywhere.
    The data is validated as JSON so that lists are read as the tuples some
    fields hold, exactly as they are when written by :func:`dump`.
    """
    import scenarios  # noqa: F401  (registers the built-in kinds)

    if not isinstance(data, dict):
        raise ScenarioFileError(source, "",
                                f"expected a mapping of scenario fields, got {type(data).__name__}")
    data = _plain(data, source)
    kind = data.get("kind")
    if kind is None:
        raise ScenarioFileError(source, "kind", f"missing; expected one of {sorted(KINDS)}")
    if kind not in KINDS:
        raise ScenarioFileError(source, "kind", f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")
    facility = data.get("facility")
    if isinstance(facility, str) and not facility.strip():
        # an empty path resolved to the scenario's own folder ("error: .: is a folder")
        raise ScenarioFileError(source, "facility", "is empty; expected 'sample' or a facility file path")
    cls = KINDS[kind].scenario_type
    try:
        payload = json.dumps({**data, "source": source}, allow_nan=True)
        scenario = cls.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        field = _field_path(tuple(first["loc"]))
        problem = _describe(first)
        if len(errors) > 1:
            more = "; ".join(f"{_field_path(tuple(e['loc']))}: {_describe(e)}" for e in errors[1:4])
            problem += f" (and {len(errors) - 1} more: {more})"
        raise ScenarioFileError(source, field, problem) from None
    return scenario


def _describe(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key (check spelling; see docs/scenarios.md for the allowed keys)"
    if kind == "missing":
        return "required key is missing"
    got = err.get("input")
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind in ("model_type", "dict_type"):
        return f"{msg}, got {type(got).__name__}"
    if isinstance(got, bool) and kind in ("literal_error", "string_type", "enum"):
        # YAML 1.1 reads unquoted off/on/no/yes as booleans: "hvac: off" arrived as False and
        # was told it "should be 'off'"
        return (f"{msg}, got {str(got).lower()} (YAML reads unquoted off, on, no and yes as false/true: "
                "put the word in quotes, e.g. \"off\")")
    return f"{msg}, got {got!r}" if not isinstance(got, dict | list) else msg


def loads(text: str, source: str = "<scenario>") -> ScenarioBase:
    """Parse scenario YAML text (``source`` names it in errors)."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ScenarioFileError(source, "", f"not valid YAML: {exc}") from None
    except RecursionError:
        raise ScenarioFileError(source, "", f"nested too deeply (a scenario needs at most {MAX_NESTING} "
                                "levels)") from None
    return from_dict(data, source)


def load(path: str | Path) -> ScenarioBase:
    """Read and validate a scenario file.

    Raises:
        ScenarioFileError: The file is missing, not YAML, or invalid; the
            message names the file and the field.
    """
    p = Path(path)
    if not p.exists():
        raise ScenarioFileError(str(p), "", "file not found")
    try:
        text = read_input_text(p, what="scenario file", max_bytes=MAX_FILE_BYTES)
    except FileAccessError as exc:
        raise ScenarioFileError(str(p), "", exc.problem) from None
    return loads(text, str(p))


#: libyaml's emitter, where PyYAML was built with it: four times faster than the pure-Python one.
_C_DUMPER: type[yaml.SafeDumper] | None = getattr(yaml, "CSafeDumper", None)


def _plain_text(data: Any) -> bool:
    """Whether every key is non-empty and every text is printable ASCII or line breaks.

    There the two emitters write the same characters (checked by a test over
    random data); they differ on empty keys and on how they fold long
    escaped strings, and a scenario's hash must not depend on which one a
    machine has.
    """
    if isinstance(data, str):
        return data.isascii() and data.replace("\n", " ").isprintable()
    if isinstance(data, dict):
        return all(k != "" and _plain_text(k) and _plain_text(v) for k, v in data.items())
    if isinstance(data, list):
        return all(_plain_text(v) for v in data)
    return True


def dump(scenario: ScenarioBase) -> str:
    """The scenario as YAML that :func:`loads` reads back to an equal scenario."""
    data = scenario.model_dump(mode="json")
    fast = _C_DUMPER is not None and _plain_text(data)
    return yaml.dump(data, Dumper=_C_DUMPER if fast else yaml.SafeDumper, sort_keys=False)
