"""The results store: atomic run folders, a registry, never losing results."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from scenarios.base import Kind
from scenarios.errors import ResultsStoreError
from scenarios.loader import load, loads
from scenarios.runner import run
from scenarios.store import read_kpis, registry, write
from tests.scenarios.mm1 import MM1_YAML


def _results(seed: int = 7):  # type: ignore[no-untyped-def]
    return run(loads(MM1_YAML), facility=object(), seed=seed)  # type: ignore[arg-type]


def test_write_layout(mm1_kind: Kind, tmp_path: Path) -> None:
    res = _results()
    out = write(res, tmp_path / "run1")
    assert sorted(p.name for p in out.iterdir()) == ["kpis.json", "meta.json", "scenario.yaml",
                                                      "waits.parquet"]
    kpis = read_kpis(out)
    assert kpis["summary"]["mean_wait"]["n"] == 4
    assert len(kpis["replications"]) == 4
    assert pq.read_table(out / "waits.parquet").num_rows == 4 * 3000
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 7 and meta["kind"] == "test-mm1"
    # the stored scenario reloads to the one that was run
    (tmp_path / "again.yaml").write_text((out / "scenario.yaml").read_text())
    assert load(tmp_path / "again.yaml").model_dump() == res.scenario.model_dump()


def test_registry_lists_runs(mm1_kind: Kind, tmp_path: Path) -> None:
    write(_results(1), tmp_path / "a")
    write(_results(2), tmp_path / "b")
    rows = registry(tmp_path)
    assert {r["path"] for r in rows} == {"a", "b"}
    assert {r["seed"] for r in rows} == {1, 2}
    assert registry(tmp_path / "empty") == []


def test_existing_results_are_not_replaced_silently(mm1_kind: Kind, tmp_path: Path) -> None:
    write(_results(1), tmp_path / "a")
    before = (tmp_path / "a" / "kpis.json").read_text()
    with pytest.raises(ResultsStoreError, match="already holds results"):
        write(_results(2), tmp_path / "a")
    assert (tmp_path / "a" / "kpis.json").read_text() == before
    write(_results(2), tmp_path / "a", overwrite=True)
    assert (tmp_path / "a" / "kpis.json").read_text() != before
    assert [r["seed"] for r in registry(tmp_path)] == [2]


def test_failed_write_leaves_nothing_behind(
    mm1_kind: Kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(_results(1), tmp_path / "a")
    before = (tmp_path / "a" / "kpis.json").read_text()

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("scenarios.store.pq.write_table", boom)
    with pytest.raises(OSError, match="disk full"):
        write(_results(2), tmp_path / "a", overwrite=True)
    assert (tmp_path / "a" / "kpis.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_out_is_a_file(mm1_kind: Kind, tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ResultsStoreError, match="not a folder"):
        write(_results(), f)
