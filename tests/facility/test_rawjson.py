"""What JSON Schema cannot check: nesting, infinity, lone surrogates, huge integers (facility/rawjson.py)."""

from __future__ import annotations

import itertools
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facility import rawjson
from facility.errors import FacilityFileError
from facility.rawjson import MAX_NESTING, check_values, parse_json


def test_deep_nesting_is_refused_before_parsing() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(FacilityFileError, match=r"f\.json: JSON nested 100000 levels deep"):
        parse_json(deep, "f.json")
    ok = "[" * MAX_NESTING + "]" * MAX_NESTING
    assert parse_json(ok, "f.json") is not None


def test_overflowing_literals_and_huge_integers_are_named() -> None:
    data = parse_json('{"levels": [{"id": "G", "ceiling_height": 1e400}]}', "f.json")
    with pytest.raises(FacilityFileError, match=r"levels\[0\]\.ceiling_height: expected a finite number"):
        check_values(data, "f.json")
    with pytest.raises(FacilityFileError, match="more than 30 digits"):
        parse_json('{"beds": ' + "9" * 5000 + "}", "f.json")
    with pytest.raises(FacilityFileError, match="numbers must be finite"):
        parse_json('{"x": NaN}', "f.json")


def test_lone_surrogates_are_named_in_values_and_keys() -> None:
    with pytest.raises(FacilityFileError, match=r"spaces\[0\]\.id: text 'R'\.\.\. holds a lone surrogate"):
        check_values(parse_json('{"spaces": [{"id": "R\\ud800"}]}', "f.json"), "f.json")
    with pytest.raises(FacilityFileError, match="metadata: key: text"):
        check_values({"metadata": {"\udc00": 1}}, "f.json")


def test_control_characters_are_refused_outside_metadata() -> None:
    # regression: a facility named "Tiny\x1b[2J..." cleared the terminal of whoever validated it
    with pytest.raises(FacilityFileError) as info:
        check_values(parse_json('{"name": "Tiny\\u001b[2Jclinic"}', "f.json"), "f.json")
    assert str(info.value) == ("f.json: name: text 'Tiny'... holds the control character \\x1b at position "
                               "4; expected printable text (tabs and line breaks are fine)")
    check_values({"name": "Ward\tA\nnorth", "metadata": {"scanner": "\x1b raw header"}}, "f.json")


def test_rings_are_checked_in_one_pass_but_odd_ones_point_by_point() -> None:
    check_values({"polygon": [[0, 0], [1.5, 0], [1, 1]]}, "f.json")
    with pytest.raises(FacilityFileError, match=r"polygon\[2\]\[1\]: expected a finite number"):
        check_values({"polygon": [[0, 0], [1.5, 0], [1, float("inf")]]}, "f.json")
    check_values({"polygon": [[0, 0], [True, 0], ["1", 1]]}, "f.json")  # types are the schema's concern


@given(st.text(alphabet='[]{}"a, é', max_size=60), st.integers(min_value=1, max_value=7))
def test_nesting_is_the_deepest_running_bracket_count_across_chunks(text: str, chunk: int) -> None:
    steps = [{"[": 1, "{": 1, "]": -1, "}": -1}.get(c, 0) for c in text]
    expected = max(itertools.accumulate(steps, initial=0))
    old = rawjson._NESTING_CHUNK
    rawjson._NESTING_CHUNK = chunk  # a chunk boundary anywhere, so the depth must carry over
    try:
        assert rawjson._nesting(text) == expected
    finally:
        rawjson._NESTING_CHUNK = old


def test_measuring_the_nesting_of_a_large_file_needs_little_more_memory_than_the_file() -> None:
    # regression: np.isin sorted the whole text into int64 arrays, so a legal 50 MB file (a long
    # metadata note) took 1.4 GB and seconds to load; the 256 MiB limit allowed ~7 GB
    text = '{"metadata": {"note": "' + "x" * (4 << 20) + '"}}'
    tracemalloc.start()
    try:
        assert rawjson._nesting(text) == 2
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(text)


def test_a_byte_order_mark_is_ignored_as_rfc_8259_allows() -> None:
    # regression: a file saved by Notepad was "Unexpected UTF-8 BOM (decode using utf-8-sig)"
    assert parse_json('\ufeff{"name": "clinic"}', "clinic.json") == {"name": "clinic"}
    with pytest.raises(FacilityFileError, match="found nothing"):
        parse_json("\ufeff ", "blank.json")
