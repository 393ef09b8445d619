"""Plain HTML tables: every cell escaped, numbers right-aligned, one row per record."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios.ui.html_table import cell_text, html_table


@given(st.lists(st.tuples(st.text(max_size=12), st.integers(-10**9, 10**9)), max_size=20))
def test_every_record_is_one_escaped_row(records: list[tuple[str, int]]) -> None:
    table = pd.DataFrame(records, columns=["name <b>", "beds"])
    out = html_table(table)
    body = out.split("<tbody>", 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    assert len(rows) == len(records)
    assert "<th>name &lt;b&gt;</th>" in out
    for row, (name, beds) in zip(rows, records, strict=True):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        assert [html.unescape(c) for c in cells] == [name, f"{beds:,}"]
        assert "<" not in cells[0] and f'<td class="num">{beds:,}</td>' in row


def test_cells_read_as_people_read_them() -> None:
    assert cell_text(None) == ("", False)
    assert cell_text(2_100.0) == ("2100", True)
    assert cell_text(12_345_678.9) == ("12,345,679", True)
    table = pd.DataFrame({"ok": [True, False], "area_m2": [12.5, float("nan")]})
    out = html_table(table, max_height_px=200)
    assert "max-height:200px" in out and "<td>yes</td>" in out and "<td>no</td>" in out
    assert '<td class="num">12.5</td>' in out and "<td></td>" in out


def test_a_box_must_have_a_height() -> None:
    with pytest.raises(ValueError, match="max_height_px"):
        html_table(pd.DataFrame({"a": [1]}), max_height_px=0)
