"""What a run folder holds, and its manifest.

A finished run folder::

    RUN/
      manifest.json     what was run and how each replication ended (written last)
      scenario.yaml     the scenario exactly as run
      kpis.json         summary with confidence intervals, and each replication's KPIs
      TABLE.parquet     one file per table, rows of every replication, ``replication`` first

The manifest is the run's own registry entry: format marker, medtwin version,
kind, name, scenario hash, root seed, per replication its spawn key, status,
wall and CPU seconds and (when failed) traceback, and the sweep variant it belongs to.
Any listing of runs is rebuilt from manifests, so nothing else needs to be
kept in step with the folders.  A sweep folder holds ``sweep.json`` and one
run folder per variant.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from scenarios.errors import CorruptResultsError
from scenarios.loader import dump

__all__ = [
    "KPIS",
    "MANIFEST",
    "RUN_FORMAT",
    "RUN_ITEMS",
    "SCENARIO",
    "SWEEP",
    "SWEEP_FORMAT",
    "dumps",
    "dumps_rows",
    "is_run_folder",
    "is_sweep_folder",
    "jsonable",
    "medtwin_version",
    "read_json",
    "rows_text",
    "scenario_hash",
]

MANIFEST = "manifest.json"
KPIS = "kpis.json"
SCENARIO = "scenario.yaml"
SWEEP = "sweep.json"
#: Format markers: a folder is a medtwin run (or sweep) only if its manifest says so.
RUN_FORMAT = "medtwin-run/1"
SWEEP_FORMAT = "medtwin-sweep/1"
#: Entries a finished run folder may hold besides ``*.parquet`` tables.
RUN_ITEMS = frozenset({MANIFEST, KPIS, SCENARIO})


@functools.cache
def medtwin_version() -> str:
    """The installed medtwin version (``0+unknown`` from a bare checkout).

    Read once per process: each look at the installed package's metadata
    cost about 4 ms, once per run and per variant of a sweep.
    """
    try:
        return version("medtwin")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def scenario_hash(scenario: Any, text: str | None = None) -> str:
    """Stable content hash of a scenario (hashlib, never Python's per-process ``hash``).

    ``text``: the scenario's YAML (:func:`scenarios.loader.dump`) when the
    caller has it already; writing YAML costs more than a short replication.
    """
    return hashlib.sha256((dump(scenario) if text is None else text).encode()).hexdigest()[:16]


def jsonable(x: Any) -> Any:
    """``x`` with numpy scalars unwrapped and non-finite floats as ``None`` (strict JSON).

    >>> jsonable({"a": float("nan"), "b": (1, 2.5)})
    {'a': None, 'b': [1, 2.5]}
    """
    if type(x) is float:  # the common case (KPIs), first
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, Mapping):  # e.g. a replication's packed KPIs
        return {str(k): jsonable(v) for k, v in x.items()}
    if hasattr(x, "item"):  # numpy scalar
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def dumps(data: Any, *, compact: bool = False) -> str:
    """Strict JSON text of ``data`` (NaN as null) for files in the store.

    ``compact``: one line, for files only medtwin reads (a part's records);
    it is several times faster, as only unindented JSON has a C encoder.
    """
    if compact:
        return json.dumps(jsonable(data), separators=(",", ":"), allow_nan=False) + "\n"
    return json.dumps(jsonable(data), indent=1, allow_nan=False) + "\n"


def dumps_rows(head: dict[str, Any], name: str, rows: Iterable[Any]) -> str:
    """Strict JSON of ``head`` plus a list ``name`` of ``rows``, one row per line.

    People read the head (a summary, a manifest's fields) and scan the rows;
    written this way the rows use the C encoder, so a run of many
    replications is not slowed by indenting each of their numbers.

    >>> print(dumps_rows({"n": 2}, "rows", [{"a": 1}, {"a": float("nan")}]), end="")
    {
     "n": 2,
     "rows": [
      {"a": 1},
      {"a": null}
     ]
    }
    """
    return "".join(rows_text(head, name, rows))


def rows_text(head: dict[str, Any], name: str, rows: Iterable[Any], *,
              encoded: bool = False) -> Iterator[str]:
    """The text of :func:`dumps_rows` piece by piece, a row at a time (to write without holding it all).

    ``encoded``: the rows are JSON text already (each one line), copied as they are.
    """
    fields = [f" {json.dumps(str(k))}: "
              + json.dumps(jsonable(v), indent=1, allow_nan=False).replace("\n", "\n ")
              for k, v in head.items()]
    yield "{\n" + "".join(f + ",\n" for f in fields) + f" {json.dumps(name)}: ["
    first = True
    for r in rows:
        yield ("\n  " if first else ",\n  ") + (r if encoded else json.dumps(jsonable(r), allow_nan=False))
        first = False
    yield "]\n}\n" if first else "\n ]\n}\n"


def read_json(path: Path, *, format: str | None = None) -> dict[str, Any]:
    """A JSON object from the store; a clear error naming the file if it is damaged.

    Args:
        path: The file.
        format: If given, the ``format`` marker the object must carry.

    Raises:
        CorruptResultsError: Missing, unreadable, not a JSON object, or the
            wrong format.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorruptResultsError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptResultsError(f"{path}: damaged, cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CorruptResultsError(f"{path}: damaged, expected a JSON object, got {type(data).__name__}")
    if format is not None and data.get("format") != format:
        raise CorruptResultsError(f"{path}: not a medtwin file of format {format!r} "
                                  f"(format is {data.get('format')!r})")
    return data


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` carries a run manifest (its content is not checked here)."""
    return (Path(folder) / MANIFEST).is_file()


def is_sweep_folder(folder: Path) -> bool:
    """Whether ``folder`` carries a sweep manifest."""
    return (Path(folder) / SWEEP).is_file()
