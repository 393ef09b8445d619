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
