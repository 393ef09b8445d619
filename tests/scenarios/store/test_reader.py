"""Reading a run folder's KPI file back a replication at a time."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.errors import CorruptResultsError
from scenarios.store.layout import rows_text
from scenarios.store.reader import _read_kpis

_values = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False), st.integers(-5, 5))


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.dictionaries(st.sampled_from(["wait", "los", "n", "x"]), _values, max_size=4),
                     max_size=6),
       indent=st.sampled_from([None, 1, 2]))
def test_the_kpi_file_reads_back_as_json_does_in_any_layout(tmp_path_factory: pytest.TempPathFactory,
                                                            rows: list[dict[str, float | int | None]],
                                                            indent: int | None) -> None:
    path = tmp_path_factory.mktemp("kpis") / "kpis.json"
    data = {"summary": {"wait": {"mean": 1.0, "half_width": None}},
            "replications": [{"index": i, **r} for i, r in enumerate(rows)]}
    text = "".join(rows_text({"summary": data["summary"]}, "replications", data["replications"])) \
        if indent is None else json.dumps(data, indent=indent)
    path.write_text(text)
    got = _read_kpis(path)
    assert math.isnan(got.summary["wait"]["half_width"]) and got.summary["wait"]["mean"] == 1.0
    assert sorted(got.replications) == list(range(len(rows)))
    for i, row in enumerate(rows):
        back = dict(got.replications[i])
        assert list(back) == list(row)
        for k, v in row.items():
            assert math.isnan(back[k]) if v is None else (back[k] == v and type(back[k]) is type(v))


@pytest.mark.parametrize("text", ['{"summary": [], "replications": []}', '{"replications": {}}',
                                  '{"replications": [{"wait": 1.0}]}', '[]', '{"summary": {}} more',
                                  '{"summary": {}', '', '{"replications": [{"index": 0},]}'])
def test_a_damaged_kpi_file_is_named(tmp_path: Path, text: str) -> None:
    path = tmp_path / "kpis.json"
    path.write_text(text)
    with pytest.raises(CorruptResultsError, match=r"kpis\.json: damaged"):
        _read_kpis(path)


def _big_kpi_file(path: Path, rows: int) -> list[dict[str, float | None]]:
    names = [f"wait.class_{k:02d}.examination_room" for k in range(20)]
    reps = [{"index": i, **{n: (None if (i + k) % 7 == 0 else i * 1.25e-3 + k) for k, n in enumerate(names)}}
            for i in range(rows)]
    path.write_text(json.dumps({"summary": {"wait": {"mean": 1.0, "half_width": None}}, "replications": reps},
                               indent=1))
    return reps


@pytest.mark.parametrize("chunk", [1, 2, 7, 64])
def test_the_kpi_file_reads_the_same_a_few_characters_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    path = tmp_path / "kpis.json"
    reps = _big_kpi_file(path, 6)
    monkeypatch.setattr("scenarios.store.reader.READ_CHUNK", chunk)
    got = _read_kpis(path)
    assert got.summary["wait"]["mean"] == 1.0 and math.isnan(got.summary["wait"]["half_width"])
    assert sorted(got.replications) == list(range(6))
    for row in reps:
        back = dict(got.replications[int(row["index"])])  # type: ignore[arg-type]
        assert json.dumps(back) == json.dumps({k: math.nan if v is None else v for k, v in row.items()
                                               if k != "index"})


def test_reading_a_kpi_file_holds_less_than_its_text(tmp_path: Path) -> None:
    # The file was read whole, as bytes and then as text: at 6,400 Nelson replications 25 MB twice,
    # the part of reading a stored run back that still grew with its replications.
    import tracemalloc

    path = tmp_path / "kpis.json"
    _big_kpi_file(path, 5000)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        got = _read_kpis(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(got.replications) == 5000
    assert size > 4 * 2**20 and peak < size  # a window of the text and the packed KPIs only
