"""Levers: the fields of a scenario a sweep varies, and the variants they make.

A lever is a dotted path into the scenario file, with ``[i]`` for a list
item: ``resources.exam_room.count``, ``arrivals[0].rates``, ``facility``.
Its values come as a list, an inclusive range (``{from: 2, to: 6, step: 1}``
or ``{from: 0.5, to: 1.0, num: 3}``; on the command line ``2:6`` or
``2:6:2``), or a Latin hypercube sample over several levers at once.
Variants are the full grid of the listed levers, times the sampled points,
times any explicit variants; each is the base scenario with those fields
replaced and validated again, so a bad value is an error naming the lever.

A lever must exist in the base scenario: an unknown one is an error that
names it and lists what that level of the scenario holds.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scenarios.base import ScenarioBase
from scenarios.errors import ScenarioFileError

__all__ = [
    "MAX_VARIANTS",
    "NOT_LEVERS",
    "apply_levers",
    "check_lever",
    "grid",
    "latin_hypercube",
    "parse_path",
    "parse_vary",
    "range_values",
]

#: Variants one sweep may hold, and values one range may give: each variant is a run folder of its
#: own, and ten thousand is past any what-if study (an assumption). A range with a tiny step (a
#: slip for a larger one) would otherwise build millions of values and sit without a word.
MAX_VARIANTS = 10_000

#: Fields that identify a run rather than describe the hospital: never varied.
NOT_LEVERS = frozenset({"kind", "name", "description", "seed", "replications", "source"})
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str, where: str = "--vary") -> list[str | int]:
    """The keys and list indices of a dotted lever path.

    >>> parse_path("arrivals[0].rates")
    ['arrivals', 0, 'rates']
    """
    parts: list[str | int] = []
    pos = 0
    for m in _TOKEN.finditer(path):
        if m.start() != pos and path[pos:m.start()] != ".":
            break
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts or pos != len(path):
        raise ScenarioFileError(where, path, "not a lever path; expected dotted keys such as "
                                "resources.nurse.count or arrivals[0].rates")
    return parts


def check_lever(scenario: ScenarioBase, path: str, where: str = "--vary") -> None:
    """Raise unless ``path`` names a field the scenario has (and one that may be varied)."""
    parts = parse_path(path, where)
    if parts[0] in NOT_LEVERS:
        raise ScenarioFileError(where, path, f"{parts[0]!r} is not a lever (it names the run, not the "
                                "hospital); use --seed or --replications for those")
    node: Any = scenario.model_dump(mode="json")
    for depth, key in enumerate(parts):
        here = ".".join(str(p) for p in parts[:depth]) or "the scenario"
        if isinstance(key, int):
            if not isinstance(node, list) or not 0 <= key < len(node):
                size = len(node) if isinstance(node, list) else 0
                raise ScenarioFileError(where, path, f"unknown lever: {here} has no item [{key}] "
                                        f"(it has {size})")
        elif node is None:
            raise ScenarioFileError(where, path, f"unknown lever: {here} is not given in the scenario, so it "
                                    f"has no {key!r} to vary; expected a lever the scenario gives a value "
                                    "(write the section in the scenario file first)")
        elif not isinstance(node, dict):
            raise ScenarioFileError(where, path, f"unknown lever: {here} is a value ({node!r}), not a "
                                    f"section with {key!r}; expected {here} itself as the lever")
        elif key not in node:
            raise ScenarioFileError(where, path,
                                    f"unknown lever: {here} has no {key!r}; it has {sorted(node)}")
        node = node[key]


def _set(data: Any, parts: Sequence[str | int], value: Any) -> None:
    for key in parts[:-1]:
        data = data[key]
    data[parts[-1]] = value


def apply_levers(scenario: ScenarioBase, levers: Mapping[str, Any], where: str = "--vary") -> ScenarioBase:
    """The scenario with each lever set, validated again as a whole.

    Raises:
        ScenarioFileError: An unknown lever, or a value the scenario refuses
            (the message names the lever and the value).
    """
    from scenarios.loader import from_dict

    data = scenario.model_dump(mode="json")
    for path, value in levers.items():
        check_lever(scenario, path, where)
        _set(data, parse_path(path, where), value)
    try:
        return from_dict(data, scenario.source or "<scenario>")
    except ScenarioFileError as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in levers.items())
        raise ScenarioFileError(where, exc.field, f"the variant {shown} is not a valid scenario: "
                                f"{exc.problem}") from None


def range_values(spec: Mapping[str, Any], where: str, path: str) -> list[Any]:
    """The values of an inclusive range ``{from, to, step}`` or ``{from, to, num}``.

    >>> range_values({"from": 2, "to": 6, "step": 2}, "--vary", "x")
    [2, 4, 6]
    >>> range_values({"from": 0, "to": 1, "num": 3}, "--vary", "x")
    [0.0, 0.5, 1.0]
    """
    unknown = set(spec) - {"from", "to", "step", "num"}
    if unknown or "from" not in spec or "to" not in spec or ("step" in spec) == ("num" in spec):
        raise ScenarioFileError(where, path, "a range needs 'from', 'to' and one of 'step' or 'num', got "
                                f"{dict(spec)}")
    lo, hi = spec["from"], spec["to"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lo, hi)) or hi < lo:
        raise ScenarioFileError(where, path, f"a range needs numbers with from <= to, got {lo!r}..{hi!r}")
    if "num" in spec:
        num = spec["num"]
        if not isinstance(num, int) or num < 1:
            raise ScenarioFileError(where, path, f"'num' must be an integer >= 1, got {num!r}")
        if num > MAX_VARIANTS:
            raise ScenarioFileError(where, path, f"'num' gives {num:,} values; at most {MAX_VARIANTS:,}")
        return [float(v) for v in np.linspace(lo, hi, num)]
    step = spec["step"]
    if not isinstance(step, int | float) or step <= 0:
        raise ScenarioFileError(where, path, f"'step' must be > 0, got {step!r}")
    n = math.floor((hi - lo) / step + 1e-9) + 1
    if n > MAX_VARIANTS:
        raise ScenarioFileError(where, path, f"from {lo} to {hi} by {step} gives {n:,} values; at most "
                                f"{MAX_VARIANTS:,} (check 'step')")
    if all(isinstance(v, int) for v in (lo, hi, step)):
        return [lo + k * step for k in range(n)]
    return [float(lo + k * step) for k in range(n)]


def parse_vary(text: str, base_dir: Path | None = None) -> tuple[str, list[Any]]:
    """A ``--vary PATH=V1,V2,...`` (or ``PATH=FROM:TO[:STEP]``) option as a lever and its values.

    Values are read as YAML scalars (``4`` is a number, ``a.json`` text).  A
    ``facility`` value that is a relative path is taken relative to
    ``base_dir`` (the current folder on the command line).

    >>> parse_vary("resources.nurse.count=4,5,6")
    ('resources.nurse.count', [4, 5, 6])
    >>> parse_vary("resources.nurse.count=2:6:2")
    ('resources.nurse.count', [2, 4, 6])
    """
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path or not raw.strip():
        raise ScenarioFileError("--vary", text, "expected LEVER=VALUE,VALUE,... e.g. "
                                "resources.nurse.count=4,5,6 or resources.nurse.count=4:8")
    parse_path(path)
    pieces = raw.split(":")
    values: list[Any]
    if len(pieces) in (2, 3) and all(re.fullmatch(r"\s*-?\d+(\.\d*)?\s*", p) for p in pieces):
        nums = [_scalar(p, path) for p in pieces]
        values = range_values({"from": nums[0], "to": nums[1], "step": nums[2] if len(nums) == 3 else 1},
                              "--vary", path)
    else:
        values = [_scalar(v.strip(), path) for v in raw.split(",") if v.strip()]
    if path == "facility":
        values = [_facility_value(v, base_dir) for v in values]
    if len(set(map(repr, values))) != len(values):
        raise ScenarioFileError("--vary", path, f"a value is given twice: {values}")
    return path, values


def _scalar(text: str, path: str) -> Any:
    """One ``--vary`` value, read as a scenario file reads it (``010`` is refused, not read as
    the octal 8; ``14:00`` is text, not the base-60 840)."""
    from scenarios.loader import parse

    return parse(text, "--vary", path)


def _facility_value(value: Any, base_dir: Path | None) -> Any:
    if not isinstance(value, str) or value == "sample":
        return value
    p = Path(value)
    return str(p if p.is_absolute() or base_dir is None else (base_dir / p).absolute())


def grid(levers: Mapping[str, Sequence[Any]], where: str = "grid") -> list[dict[str, Any]]:
    """Every combination of the levers' values, the first lever varying slowest.

    >>> grid({"a": [1, 2], "b": ["x", "y"]})
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    names = list(levers)
    count = math.prod(len(v) for v in levers.values())
    if count > MAX_VARIANTS:
        sizes = " x ".join(f"{len(v)} ({k})" for k, v in levers.items())
        raise ScenarioFileError(where, "", f"the grid has {sizes} = {count:,} variants; at most "
                                f"{MAX_VARIANTS:,}")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*levers.values())]


def latin_hypercube(ranges: Mapping[str, Mapping[str, Any]], n: int, seed: int,
                    where: str = "sample") -> list[dict[str, Any]]:
    """``n`` points of a Latin hypercube over ``{lever: {from, to, integer}}``.

    Each lever's range is cut into ``n`` equal strata and every stratum is
    used once, so a few points cover many levers evenly.  Integer levers
    take whole values from ``from`` to ``to`` inclusive.
    """
    from scipy.stats import qmc

    if not 1 <= n <= MAX_VARIANTS:
        raise ScenarioFileError(where, "sample.n", f"must be from 1 to {MAX_VARIANTS:,}, got {n}")
    names = list(ranges)
    u = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed)).random(n)
    points: list[dict[str, Any]] = [{} for _ in range(n)]
    for j, name in enumerate(names):
        spec = ranges[name]
        unknown = set(spec) - {"from", "to", "integer"}
        lo, hi = spec.get("from"), spec.get("to")
        if unknown or not isinstance(lo, int | float) or not isinstance(hi, int | float) or hi < lo:
            raise ScenarioFileError(where, f"levers.{name}", "expected {from: LOW, to: HIGH, integer: "
                                    f"true|false}} with LOW <= HIGH, got {dict(spec)}")
        for k in range(n):
            if spec.get("integer", False):
                points[k][name] = int(min(hi, math.floor(lo + u[k, j] * (hi - lo + 1))))
            else:
                points[k][name] = float(lo + u[k, j] * (hi - lo))
    return points
