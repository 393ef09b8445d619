"""The one place scenario files are read: YAML -> frozen, validated scenario.

Unknown keys, wrong types, impossible values and duplicate keys are errors
that name the file and the dotted field path.  Model code never reads files.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from facility.errors import FileAccessError
from facility.files import read_input_text
from facility.ids import CONTROL_CHARACTERS
from scenarios.base import KINDS, ScenarioBase
from scenarios.errors import ScenarioFileError

__all__ = ["MAX_FILE_BYTES", "MAX_NESTING", "MAX_VALUES", "dump", "files_being_read", "from_dict", "load",
           "loads", "parse", "same_file"]

#: Largest scenario file read: the largest shipped one is ~15 KB; a
#: scenario listing every person of a large hospital by hand stays far below.
MAX_FILE_BYTES = 16 * 2**20
#: Deepest nesting of mappings and lists a scenario may have (the schemas
#: need about 8).
MAX_NESTING = 64
#: Most values (mappings, lists and scalars) a scenario may hold once its YAML aliases are
#: expanded: the largest shipped one holds ~2,000; a roster of 5,000 people by hand, ~50,000.
MAX_VALUES = 1_000_000


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

#: A whole number written with a leading zero (``010``, ``-007``): YAML 1.1 reads it as octal
#: (``seed: 010`` became 8), YAML 1.2 as decimal; a planner meant one or the other, or text.
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")


#: Longest whole number read (digits): 2**127, the largest seed, has 39. Python refuses to convert
#: more than 4,300 digits at all, which made a long one an internal error.
_MAX_INT_DIGITS = 40


class _Refused:
    """A number YAML would misread or cannot hold, kept until its field is known (:func:`_plain`
    refuses it there, naming the field)."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _leading_zero(text: str, octal: int | None) -> _Refused:
    decimal = int(text.replace("_", ""), 10)
    reading = (f"YAML 1.1 reads as the octal number {octal}" if octal is not None
               else "YAML 1.1 reads as text (8 and 9 are not octal digits)")
    return _Refused(f"{text} is written with a leading zero, which {reading} and YAML 1.2 as {decimal}; "
                    f"expected a number without leading zeros (e.g. {decimal}), or \"{text}\" in quotes if "
                    "it is text")


def _construct_int(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> Any:
    text = str(node.value)
    if ":" in text:
        # YAML 1.1 reads 14:00 as the base-60 number 840 (YAML 1.2 has no base 60): "time: 14:00"
        # meant 14 o'clock and started a drill 840 seconds in. Kept as the text it is.
        return text
    digits = sum(c.isalnum() for c in text)
    if digits > _MAX_INT_DIGITS:
        return _Refused(f"a whole number of {digits} digits; expected at most {_MAX_INT_DIGITS}")
    if _LEADING_ZERO.match(text):
        try:
            octal = loader.construct_yaml_int(node)
        except ValueError:  # 08, 09: not octal, so YAML 1.1 left them as text
            octal = None
        return _leading_zero(text, octal)
    return loader.construct_yaml_int(node)


def _construct_float(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> Any:
    text = str(node.value)
    return text if ":" in text else loader.construct_yaml_float(node)  # 1:30.5 in base 60, as above


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
# 08 and 09 are not octal, so YAML 1.1 reads them as text: resolved as numbers here, to be
# refused by the same rule as 010 rather than as "a valid integer, got '09'".
_UniqueKeyLoader.add_implicit_resolver("tag:yaml.org,2002:int", _LEADING_ZERO, list("-+0"))
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
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
    escape), a whole number with a leading zero (``010``: octal to YAML 1.1,
    decimal to YAML 1.2), binary data, sets and nesting deeper than
    :data:`MAX_NESTING` are errors naming the field.
    """
    if depth > MAX_NESTING:
        raise ScenarioFileError(source, where, f"nested more than {MAX_NESTING} levels deep")
    if isinstance(value, _Refused):
        raise ScenarioFileError(source, where, value.problem)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ScenarioFileError(source, where, f"text holds a lone surrogate at position {exc.start}; "
                                    "text must be valid Unicode") from None
        control = CONTROL_CHARACTERS.search(value)
        if control is not None:  # an ESC in a person's id ran escape sequences in the run's summary
            raise ScenarioFileError(source, where, f"text holds the control character "
                                    f"\\x{ord(control[0]):02x} at position {control.start()}; expected "
                                    "printable text")
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
            if isinstance(k, _Refused):
                raise ScenarioFileError(source, where, f"key {k.problem}")
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
        facility_file = data.get("format") == "medtwin-facility/1" or data.get("type") == "FeatureCollection"
        hint = ("; this is a facility file: a scenario names it in its 'facility' field" if facility_file
                else "")
        raise ScenarioFileError(source, "kind", f"missing; expected one of {sorted(KINDS)}{hint}")
    if kind not in KINDS:
        raise ScenarioFileError(source, "kind", f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")
    facility = data.get("facility")
    if isinstance(facility, str) and not facility.strip():
        # an empty path resolved to the scenario's own folder ("error: .: is a folder")
        raise ScenarioFileError(source, "facility", "is empty; expected 'sample' or a facility file path")
    if isinstance(facility, str):
        _check_path_text(facility, source, "facility")
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


#: Longest file or folder name, in bytes of UTF-8, that common file systems hold (ext4, XFS, APFS:
#: 255; NTFS: 255 UTF-16 units). A longer one made the run's first look at the path fail
#: ("File name too long") as an internal error.
NAME_MAX_BYTES = 255


def _check_path_text(path: str, source: str, field: str) -> None:
    """Refuse a path no file system can hold, naming the field (a missing file is found later)."""
    if "\0" in path:
        raise ScenarioFileError(source, field, "holds a NUL character; expected a file path")
    for part in re.split(r"[\\/]", path):
        size = len(part.encode("utf-8", "surrogatepass"))
        if size > NAME_MAX_BYTES:
            raise ScenarioFileError(source, field, f"names a file or folder {_clip(part)!r} of {size} bytes; "
                                    f"expected a path whose every name is at most {NAME_MAX_BYTES} bytes")


#: A number written with one comma: 1,5 (decimal comma) or 1,000 (thousands separator).
_COMMA_NUMBER = re.compile(r"([-+]?\d+),(\d+)")
#: A clock time as a planner writes one: 7:30, 07:30, 19:45:00.
_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")


#: A pattern that allows a set of characters, one or more: ``^[A-Za-z0-9_.\- ]+$``.
_CHARACTER_CLASS = re.compile(r"\^\[(.+)\]\+\$")


def _readable_class(cls: str) -> str:
    r"""A regular-expression character class in words.

    >>> _readable_class(r"A-Za-z0-9_.\- ")
    "A-Z, a-z, 0-9, '_', '.', '-', ' '"
    """
    parts = re.findall(r"(\\.|.-.|.)", cls)  # escapes first: in "\\- " the dash is literal
    return ", ".join(p if len(p) == 3 else repr(p[-1]) for p in parts)


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
    if isinstance(got, str) and kind in ("float_type", "int_type") and _CLOCK.fullmatch(got.strip()):
        # a clock time stays text (no YAML 1.1 base 60), and a field that counts hours or minutes
        # needs the number
        return (f"{msg}, got {got!r} (a clock time: write it as a number in the field's unit, e.g. 7.5 "
                "hours for 07:30; see docs/scenarios.md)")
    comma = _COMMA_NUMBER.fullmatch(got.strip()) if isinstance(got, str) else None
    if comma is not None and kind in ("float_type", "int_type"):
        return f"{msg}, got {got!r}, which {_comma_in(comma[1], comma[2])}; expected a number without a comma"
    if kind == "string_pattern_mismatch" and isinstance(got, str):
        allowed = _CHARACTER_CLASS.fullmatch(str(err.get("ctx", {}).get("pattern", "")))
        if allowed is not None:  # ^[...]+$: name the characters it refuses, not the regular expression
            bad = sorted({c for c in got if not re.fullmatch(f"[{allowed[1]}]", c)})
            return (f"{got!r} holds {', '.join(map(repr, bad)) or 'nothing'}, which it may not; expected "
                    f"only the characters {_readable_class(allowed[1])}")
    if isinstance(got, bool) and kind in ("literal_error", "string_type", "enum"):
        # YAML 1.1 reads unquoted off/on/no/yes as booleans: "hvac: off" arrived as False and
        # was told it "should be 'off'"
        return (f"{msg}, got {str(got).lower()} (YAML reads unquoted off, on, no and yes as false/true: "
                "put the word in quotes, e.g. \"off\")")
    return f"{msg}, got {got!r}" if not isinstance(got, dict | list) else msg


#: A plain scalar that reads as a number (the decimal comma check looks only between numbers).
_NUMBER = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$")


def _numeric(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.style is None and bool(_NUMBER.match(node.value))


def _tight(a: yaml.Node, b: yaml.Node, text: str) -> bool:
    """Whether ``b`` follows ``a`` after a bare comma, with no space: ``1,5``."""
    return text[a.end_mark.index:b.start_mark.index] == ","


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse a document whose aliases expand it past :data:`MAX_VALUES` values, or that refers to itself.

    An alias (``*name``) repeats what its anchor (``&name``) holds without repeating the text, so
    600 bytes of nested aliases stood for 10^9 values and took minutes and gigabytes to read. The
    expanded size is counted on the parsed nodes, each shared node once.
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise ScenarioFileError(source, "", f"an alias refers to a value that contains it (line "
                                    f"{node.start_mark.line + 1}); expected a document that ends")
        open_.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        total = 1 + sum(size(c) for c in children)
        open_.discard(key)
        if total > MAX_VALUES:
            raise ScenarioFileError(source, "", f"expands to more than {MAX_VALUES:,} values (the value at "
                                    f"line {node.start_mark.line + 1}, through YAML aliases *name); a "
                                    "scenario holds far fewer: expected aliases that repeat small parts")
        sizes[key] = total
        return total

    size(root)


def _decimal_commas(node: yaml.Node, text: str, source: str, where: str = "", *,
                    seen: set[int]) -> None:
    """Refuse numbers that were likely written with a decimal comma (``1,5`` for 1.5).

    In a flow list, ``[1,5, 2,0]`` is four numbers to YAML; when some commas
    between numbers are followed by a space and others are not, the bare ones
    are decimal commas (a list written ``[1,2,3]`` throughout is taken as
    written). In a flow mapping, ``{mean: 3,5}`` makes ``5`` a key with no
    value, which only a decimal comma does.
    """
    if id(node) in seen:  # a node an alias repeats is checked once
        return
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        items = node.value
        if node.flow_style and len(items) > 1 and all(_numeric(i) for i in items):
            pairs = list(itertools.pairwise(items))
            tight = [(a, b) for a, b in pairs if _tight(a, b, text)]
            if tight and len(tight) < len(pairs):
                a, b = tight[0]
                shown = text[node.start_mark.index:node.end_mark.index]
                raise ScenarioFileError(source, where, (
                    f"{_clip(shown)} mixes commas with and without a space after them, so {a.value},"
                    f"{b.value} {_comma_in(a.value, b.value)} (YAML reads {len(items)} numbers, "
                    f"{a.value} and {b.value} among them); expected numbers without commas, with decimal "
                    "points, or a space after every comma if each is a separate number"))
        for i, item in enumerate(items):
            _decimal_commas(item, text, source, f"{where}[{i}]", seen=seen)
    elif isinstance(node, yaml.MappingNode):
        previous: yaml.Node | None = None
        previous_path = where
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            path = f"{where}.{name}" if where else name
            valueless = isinstance(value, yaml.ScalarNode) and value.value == ""
            if (node.flow_style and valueless and previous is not None and _numeric(previous)
                    and _numeric(key) and _tight(previous, key, text)):
                raise ScenarioFileError(source, previous_path, (
                    f"{previous.value},{key.value} {_comma_in(previous.value, key.value)}: YAML reads the "
                    f"number {previous.value} and then a key {key.value} with no value; expected a number "
                    "without a comma, with a decimal point"))
            _decimal_commas(value, text, source, path, seen=seen)
            previous, previous_path = value, path


def _comma_in(whole: str, part: str) -> str:
    """What ``whole,part`` likely meant, in words.

    >>> _comma_in("1", "5"), _comma_in("1", "000")
    ('looks like a decimal comma (1.5)', 'is either 1000 (a thousands separator) or 1.000 (a decimal comma)')
    """
    if len(part) == 3 and part.isdigit() and whole.lstrip("+-").isdigit():
        return f"is either {whole}{part} (a thousands separator) or {whole}.{part} (a decimal comma)"
    return f"looks like a decimal comma ({whole}.{part})"


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def loads(text: str, source: str = "<scenario>") -> ScenarioBase:
    """Parse scenario YAML text (``source`` names it in errors)."""
    return from_dict(_construct(text, source), source)


def parse(text: str, source: str, where: str = "") -> Any:
    """YAML text read by the scenario files' rules, as plain values (text, numbers, booleans,
    lists and mappings): no YAML 1.1 octal (``010``) or base 60 (``14:00``), no key given twice,
    no likely decimal comma, no alias bomb.  For YAML that is not a whole scenario: a sweep
    file, a ``--vary`` value.  ``source`` and ``where`` name the file (or option) and the field
    in errors.

    >>> parse("[4, 5, 1e3]", "--vary")
    [4, 5, 1000.0]
    """
    return _plain(_construct(text, source), source, where)


def _construct(text: str, source: str) -> Any:
    """The YAML document of ``text``, built by the scenario loader (values not yet checked)."""
    try:
        loader = _UniqueKeyLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_expansion(node, source)
                _decimal_commas(node, text, source, seen=set())
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise ScenarioFileError(source, "", f"not valid YAML: {exc}") from None
    except RecursionError:
        raise ScenarioFileError(source, "", f"nested too deeply (a scenario needs at most {MAX_NESTING} "
                                "levels)") from None
    return data


#: The scenario files being read, outermost first: an infection scenario reads the operations or
#: evacuation scenario it names while it is validated, and one that named itself (or a file that
#: named it back) recursed until Python's limit, ending in "nested too deeply" after its own path
#: repeated some 150 times; it checks this first.
_READING: ContextVar[tuple[Path, ...]] = ContextVar("_READING", default=())


def load(path: str | Path) -> ScenarioBase:
    """Read and validate a scenario file.

    Raises:
        ScenarioFileError: The file is missing, not YAML, or invalid; the
            message names the file and the field.
    """
    p = Path(path)
    token = _READING.set((*_READING.get(), same_file(p)))
    try:
        return _load(p)
    finally:
        _READING.reset(token)


def files_being_read() -> tuple[Path, ...]:
    """The scenario files :func:`load` is reading now, outermost first (as :func:`same_file` gives them)."""
    return _READING.get()


def same_file(p: Path) -> Path:
    """The file's real path (links and ``..`` resolved), or the path as given if that fails."""
    try:
        return p.resolve()
    except (OSError, RuntimeError):  # a loop of links: the read below names the file
        return p


def _load(p: Path) -> ScenarioBase:
    try:
        found = p.exists()
    except OSError as exc:  # a name too long for the file system, a folder it may not look into
        raise ScenarioFileError(str(p), "", f"cannot be looked up: {exc.strerror or exc}") from None
    if not found:
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
