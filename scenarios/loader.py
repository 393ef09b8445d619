"""The one place scenario files are read: YAML -> frozen, validated scenario.

Unknown keys, wrong types, impossible values and duplicate keys are errors
that name the file and the dotted field path.  Model code never reads files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scenarios.base import KINDS, ScenarioBase
from scenarios.errors import ScenarioFileError

__all__ = ["dump", "from_dict", "load", "loads"]


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


def from_dict(data: Any, source: str = "<scenario>") -> ScenarioBase:
    """Validate a parsed scenario mapping into its kind's frozen scenario."""
    import scenarios  # noqa: F401  (registers the built-in kinds)

    if not isinstance(data, dict):
        raise ScenarioFileError(source, "",
                                f"expected a mapping of scenario fields, got {type(data).__name__}")
    kind = data.get("kind")
    if kind is None:
        raise ScenarioFileError(source, "kind", f"missing; expected one of {sorted(KINDS)}")
    if kind not in KINDS:
        raise ScenarioFileError(source, "kind", f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")
    cls = KINDS[kind].scenario_type
    try:
        scenario = cls.model_validate({**data, "source": source})
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
    return f"{msg}, got {got!r}" if not isinstance(got, dict | list) else msg


def loads(text: str, source: str = "<scenario>") -> ScenarioBase:
    """Parse scenario YAML text (``source`` names it in errors)."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ScenarioFileError(source, "", f"not valid YAML: {exc}") from None
    return from_dict(data, source)


def load(path: str | Path) -> ScenarioBase:
    """Read and validate a scenario file.

    Raises:
        ScenarioFileError: The file is missing, not YAML, or invalid; the
            message names the file and the field.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioFileError(str(p), "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(str(p), "", f"cannot read: {exc}") from None
    return loads(text, str(p))


def dump(scenario: ScenarioBase) -> str:
    """The scenario as YAML that :func:`loads` reads back to an equal scenario."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)
