"""Packed replication KPIs read exactly like the mapping they came from."""

from __future__ import annotations

import math
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.store.layout import jsonable
from scenarios.store.packed import KpiPacker

_KPIS = st.dictionaries(st.text(min_size=1, max_size=12), st.floats() | st.none(), min_size=1, max_size=12)


@settings(max_examples=25)
@given(st.lists(_KPIS, min_size=1, max_size=4))
def test_packed_kpis_read_back_every_value_in_order(rows: list[dict[str, float | None]]) -> None:
    packer = KpiPacker()
    for row in rows:
        packed = packer.pack(row)
        assert list(packed) == list(row) and len(packed) == len(row)
        for k, v in row.items():
            got = packed[k]
            assert (math.isnan(got) if v is None or math.isnan(v) else got == v)
            fetched = packed.get(k)
            assert fetched is not None and (math.isnan(fetched) if math.isnan(got) else fetched == got)
        assert packed.get("\x00absent") is None and packed.get("\x00absent", -1.0) == -1.0
        again = pickle.loads(pickle.dumps(packed))  # the app caches results by pickling them
        assert jsonable(again) == jsonable(row)


def test_names_are_shared_and_other_values_stay_as_given() -> None:
    packer = KpiPacker()
    a, b = packer.pack({"wait": 1.0}), packer.pack({"wait": 2.0})
    assert a._names is b._names  # type: ignore[attr-defined]
    assert packer.pack({"count": 3, "wait": 1.0}) == {"count": 3, "wait": 1.0}
    assert type(packer.pack({"count": 3})["count"]) is int
