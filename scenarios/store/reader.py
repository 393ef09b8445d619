"""Reading a stored run back: its manifest, scenario, KPIs and tables.

:func:`open_run` checks the folder before handing it out, so a damaged run
gives one clear error naming the file, and a listing can carry on past it.
Tables are read from Parquet only when asked for, one replication at a time
if need be (each replication is one row group).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.base import Replication, ScenarioBase
from scenarios.errors import CorruptResultsError, ResultsStoreError, ScenarioFileError
from scenarios.store.layout import KPIS, MANIFEST, RUN_FORMAT, SCENARIO, read_json
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

    @cached_property
    def kpi_file(self) -> dict[str, Any]:
        """The ``kpis.json`` contents (``summary`` and ``replications``)."""
        return read_json(self.path / KPIS)

    @cached_property
    def summary(self) -> dict[str, Any]:
        """KPI summary across replications (means with confidence intervals).

        JSON has no NaN, so the store writes a missing number (a half-width
        of one replication, a wait nobody had) as null; it is read back as NaN,
        as the run produced it.
        """
        s: dict[str, Any] = _nan_for_null(self.kpi_file.get("summary", {}))
        return s

    def replication_kpis(self) -> dict[int, dict[str, float]]:
        """Each done replication's KPIs by index (JSON nulls read back as NaN)."""
        out: dict[int, dict[str, float]] = {}
        for row in self.kpi_file.get("replications", []):
            out[int(row["index"])] = {k: float("nan") if v is None else v for k, v in row.items()
                                      if k != "index"}
        return out

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
        packer = KpiPacker()
        return [Replication(index=i, kpis=packer.pack(k), tables=StoredTables(self.path, self.tables, i))
                for i, k in sorted(self.replication_kpis().items())]


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
        raise ResultsStoreError(f"{folder}: not a medtwin run folder (no {MANIFEST})")
    manifest = read_json(folder / MANIFEST, format=RUN_FORMAT)
    for key in ("kind", "name", "seed", "replication_status", "tables"):
        if key not in manifest:
            raise CorruptResultsError(f"{folder / MANIFEST}: damaged, no {key!r}")
    for name in manifest["tables"]:
        if not (folder / f"{name}.parquet").is_file():
            raise CorruptResultsError(f"{folder / name}.parquet: missing, though the manifest lists it")
    if not (folder / KPIS).is_file():
        raise CorruptResultsError(f"{folder / KPIS}: missing")
    run = StoredRun(path=folder, manifest=manifest)
    # Read the KPI file now (it is cached on the run), so a damaged one is named by
    # every listing rather than found later by whoever shows or compares the run.
    kpis = run.kpi_file
    if not isinstance(kpis.get("summary", {}), dict) or not isinstance(kpis.get("replications", []), list):
        raise CorruptResultsError(f"{folder / KPIS}: damaged, no 'summary' object or 'replications' list")
    return run
