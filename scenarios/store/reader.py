"""Reading a stored run back: its manifest, scenario, KPIs and tables.

:func:`open_run` checks the folder before handing it out, so a damaged run
gives one clear error naming the file, and a listing can carry on past it.
Tables are read from Parquet only when asked for, one replication at a time
if need be (the rows are in replication order and each row group records the
least and greatest ``replication`` it holds, so the others are skipped).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.base import Replication, ScenarioBase
from scenarios.errors import CorruptResultsError, ResultsStoreError, ScenarioFileError
from scenarios.store.layout import KPIS, MANIFEST, RUN_FORMAT, SCENARIO, SWEEP, read_json
from scenarios.store.packed import KpiPacker

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["StoredRun", "StoredTables", "open_run"]


class StoredTables(Mapping[str, pa.Table]):
    """One replication's tables in a finished run folder, read on demand."""

    def __init__(self, folder: Path, names: list[str], index: int) -> None:
        self._folder, self._names, self._index = folder, list(names), index

    def __getitem__(self, name: str) -> pa.Table:
        if name not in self._names:
            raise KeyError(name)
        path = self._folder / f"{name}.parquet"
        try:
            t = pq.read_table(path, filters=[("replication", "=", self._index)])
        except (OSError, pa.ArrowInvalid) as exc:
            raise CorruptResultsError(f"{path}: unreadable ({exc})") from None
        return t.drop_columns(["replication"])

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass(frozen=True)
class StoredRun:
    """A finished run folder.

    Attributes:
        path: The folder.
        manifest: Its ``manifest.json``.
    """

    path: Path
    manifest: dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self.manifest.get("name", self.path.name))

    @property
    def variant(self) -> dict[str, Any] | None:
        """The sweep variant (``index``, ``levers``) this run is, or None."""
        v = self.manifest.get("variant")
        return v if isinstance(v, dict) else None

    @property
    def tables(self) -> list[str]:
        """Names of the stored tables."""
        return list(self.manifest.get("tables", []))

    @property
    def keys(self) -> dict[int, tuple[int, ...]]:
        """Spawn key of every done replication (equal keys and seed mean common random numbers)."""
        return {int(r["index"]): tuple(r["key"]) for r in self.manifest.get("replication_status", [])
                if r.get("status") == "done"}

    @property
    def kpi_file(self) -> dict[str, Any]:
        """The whole ``kpis.json`` (``summary`` and ``replications``), read afresh."""
        return read_json(self.path / KPIS)

    @cached_property
    def _kpis(self) -> _KpiFile:
        return _read_kpis(self.path / KPIS)

    @property
    def summary(self) -> dict[str, Any]:
        """KPI summary across replications (means with confidence intervals).

        JSON has no NaN, so the store writes a missing number (a half-width
        of one replication, a wait nobody had) as null; it is read back as NaN,
        as the run produced it.
        """
        return self._kpis.summary

    def replication_kpis(self) -> dict[int, dict[str, float]]:
        """Each done replication's KPIs by index (JSON nulls read back as NaN)."""
        return {i: dict(k) for i, k in self._kpis.replications.items()}

    def scenario(self) -> ScenarioBase:
        """The scenario as run."""
        from scenarios.loader import load

        try:
            return load(self.path / SCENARIO)
        except ScenarioFileError as exc:
            raise CorruptResultsError(f"{self.path / SCENARIO}: cannot be read back "
                                      f"({exc.problem})") from None

    def arrow(self, name: str) -> pa.Table:
        """One table across replications, with the ``replication`` column first."""
        if name not in self.tables:
            raise KeyError(f"no table {name!r} in {self.path}; have {self.tables}")
        path = self.path / f"{name}.parquet"
        try:
            return pq.read_table(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise CorruptResultsError(f"{path}: unreadable ({exc})") from None

    def table(self, name: str) -> pd.DataFrame:
        """One table across replications as a pandas DataFrame."""
        return self.arrow(name).to_pandas()

    def replications(self) -> list[Replication]:
        """Done replications with their KPIs (packed: :mod:`scenarios.store.packed`); tables are read
        when accessed."""
        return [Replication(index=i, kpis=k, tables=StoredTables(self.path, self.tables, i))
                for i, k in sorted(self._kpis.replications.items())]


@dataclass(frozen=True)
class _KpiFile:
    """A ``kpis.json`` as a run keeps it: the summary, and each replication's KPIs packed."""

    summary: dict[str, Any]
    replications: dict[int, Mapping[str, Any]]


def _read_kpis(path: Path) -> _KpiFile:
    """``kpis.json`` read a replication at a time, each one's KPIs packed as soon as it is read.

    Parsed whole, the file of a run of 1,600 Nelson replications took about
    30 MB at once (its text, a dict per replication and a copy of each).
    Read this way, only a window of the text (:class:`_Window`) and the
    packed KPIs (0.7 KB a replication) are held: the text itself, about 4 KB
    a Nelson replication, was read whole (twice over, as bytes and as text)
    and was what still grew with the count, 50 MB at 6,400 replications.

    Raises:
        CorruptResultsError: Missing, not JSON, or without a ``summary``
            object and a ``replications`` list of objects with an ``index``.
    """
    summary: Any = {}
    reps: dict[int, Mapping[str, Any]] = {}
    packer = KpiPacker()
    try:
        with open(path, encoding="utf-8") as fh:
            text = _Window(fh)
            text.expect("{")
            more = not text.closes("}")
            while more:
                key = text.value()
                text.expect(":")
                if key == "replications":
                    text.expect("[")
                    rows = not text.closes("]")
                    while rows:
                        row = text.value()
                        index = row.pop("index", None) if isinstance(row, dict) else None
                        if isinstance(index, bool) or not isinstance(index, int):
                            raise ValueError("a replication row is not an object with an integer 'index'")
                        packed = packer.pack(row)
                        reps[index] = packed if not isinstance(packed, dict) else \
                            {k: math.nan if v is None else v for k, v in packed.items()}
                        rows = text.expect(",]") == ","
                else:
                    value = text.value()
                    if key == "summary":
                        summary = value
                more = text.expect(",}") == ","
            if text.peek():
                raise ValueError("text after the object")
    except FileNotFoundError:
        raise CorruptResultsError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptResultsError(f"{path}: damaged, cannot be read as JSON ({exc})") from None
    except ValueError as exc:
        raise CorruptResultsError(f"{path}: damaged, cannot be read as a KPI file ({exc})") from None
    except _CutShort:
        raise CorruptResultsError(f"{path}: damaged, it ends inside its JSON (cut short)") from None
    if not isinstance(summary, dict):
        raise CorruptResultsError(f"{path}: damaged, no 'summary' object or 'replications' list")
    return _KpiFile(summary=_nan_for_null(summary), replications=reps)


#: Characters of a KPI file read at a time (a Nelson replication's row is about 4 KB; a row cut by
#: the end of a chunk is decoded again once the next is read).
READ_CHUNK = 2**18
_BLANK = frozenset(" \t\r\n")
_DECODE = json.JSONDecoder().raw_decode


class _CutShort(Exception):
    """The text ended where the JSON needs more."""


class _Window:
    """A JSON text read forward a chunk at a time: only what is not yet parsed, and a chunk, is held.

    >>> import io
    >>> w = _Window(io.StringIO('{"a": [1, 22]}'), chunk=4)
    >>> w.expect("{"), w.value(), w.expect(":"), w.expect("["), w.value(), w.expect(","), w.value()
    ('{', 'a', ':', '[', 1, ',', 22)
    """

    def __init__(self, fh: TextIO, chunk: int | None = None) -> None:
        self._fh, self._chunk = fh, chunk or READ_CHUNK
        self._text = ""
        self._at = 0
        self._read = 0  # characters dropped from the front, for positions in messages
        self._eof = False

    def _more(self) -> bool:
        """Read the next chunk, dropping what was parsed; false at the end of the file."""
        if self._eof:
            return False
        got = self._fh.read(self._chunk)
        if not got:
            self._eof = True
            return False
        self._read += self._at
        self._text = self._text[self._at:] + got
        self._at = 0
        return True

    def peek(self) -> str:
        """The next character that is not blank, not taken (``""`` at the end of the text)."""
        while True:
            while self._at < len(self._text) and self._text[self._at] in _BLANK:
                self._at += 1
            if self._at < len(self._text):
                return self._text[self._at]
            if not self._more():
                return ""

    def closes(self, close: str) -> bool:
        """Whether the object or list just opened is closed at once (it is empty); takes ``close`` if so."""
        if self.peek() == close:
            self._at += 1
            return True
        return False

    def expect(self, allowed: str) -> str:
        """Take the next character that is not blank, which must be one of ``allowed``.

        Raises:
            ValueError: It is another.
            _CutShort: The text ended.
        """
        c = self.peek()
        if not c:
            raise _CutShort
        if c not in allowed:
            raise ValueError(f"expected one of {allowed!r} at character {self._read + self._at}, found {c!r}")
        self._at += 1
        return c

    def value(self) -> Any:
        """Decode the next JSON value.

        Raises:
            ValueError: It is not JSON.
            _CutShort: The text ended before it began.
        """
        if not self.peek():
            raise _CutShort
        while True:
            try:
                value, end = _DECODE(self._text, self._at)
            except json.JSONDecodeError:
                if self._more():  # it may go on in the next chunk
                    continue
                raise
            if end == len(self._text) and self._more():  # a number may go on in the next chunk
                continue
            self._at = end
            return value


def _nan_for_null(x: Any) -> Any:
    """``x`` with every null inside a mapping or list read as NaN.

    >>> _nan_for_null({"a": {"mean": 1.0, "half_width": None}, "b": [None, "x"]})
    {'a': {'mean': 1.0, 'half_width': nan}, 'b': [nan, 'x']}
    """
    if x is None:
        return math.nan
    if isinstance(x, dict):
        return {k: _nan_for_null(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_nan_for_null(v) for v in x]
    return x


#: What a stored table's name may hold: the tables medtwin writes are snake_case words.
_TABLE_NAME = re.compile(r"[A-Za-z0-9_-]+")


def open_run(path: str | Path) -> StoredRun:
    """Open a finished run folder.

    Raises:
        ResultsStoreError: ``path`` is not a run folder (no manifest).
        CorruptResultsError: The manifest or KPI file is missing or cannot be
            read, or a table the manifest lists is missing; the message names
            the file.
    """
    folder = Path(path)
    if not (folder / MANIFEST).is_file():
        if folder.name.startswith(".") and ".partial" in folder.name:
            raise ResultsStoreError(f"{folder}: is an unfinished run; finish it with --resume")
        if (folder / SWEEP).is_file():
            done = (v.name for v in sorted(folder.glob("v[0-9]*")) if (v / MANIFEST).is_file())
            variant = next(done, "v000")
            raise ResultsStoreError(f"{folder}: is a sweep folder, not a run; expected one of its variants "
                                    f"(e.g. {folder / variant}), or 'medtwin sweep' for the sweep itself")
        raise ResultsStoreError(f"{folder}: not a medtwin run folder (no {MANIFEST})")
    manifest = read_json(folder / MANIFEST, format=RUN_FORMAT)
    for key in ("kind", "name", "seed", "replication_status", "tables"):
        if key not in manifest:
            raise CorruptResultsError(f"{folder / MANIFEST}: damaged, no {key!r}")
    if not isinstance(manifest["tables"], list):
        raise CorruptResultsError(f"{folder / MANIFEST}: damaged, 'tables' is not a list of names")
    for name in manifest["tables"]:
        # A table is a file of this folder: a name with a path in it ('../elsewhere') would read
        # a file outside the run.
        if not isinstance(name, str) or not _TABLE_NAME.fullmatch(name):
            raise CorruptResultsError(f"{folder / MANIFEST}: damaged, table name {name!r} is not a plain "
                                      "name (letters, digits, '_' and '-')")
        if not (folder / f"{name}.parquet").is_file():
            raise CorruptResultsError(f"{folder / name}.parquet: missing, though the manifest lists it")
    if not (folder / KPIS).is_file():
        raise CorruptResultsError(f"{folder / KPIS}: missing")
    run = StoredRun(path=folder, manifest=manifest)
    # Read the KPI file now (it is kept on the run, packed), so a damaged one is named by
    # every listing rather than found later by whoever shows or compares the run.
    _ = run.summary
    return run
