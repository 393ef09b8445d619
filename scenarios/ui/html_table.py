"""A table as plain HTML: what the landing page shows instead of Streamlit's interactive grid.

``st.dataframe`` draws on a canvas with a data-grid library the browser loads
on first use: about 1.2 MB of script (the grid and its Arrow decoder) fetched
and compiled before the table appears, which on a small shared machine cost
the Facility page about a second of its first drawing.  The Facility page
therefore shows its spaces and compartments as a plain HTML table, drawn by
the markdown renderer the page already loaded for its plan, and offers the
interactive grid (sorting, search, CSV download) on request.
"""

from __future__ import annotations

import html
import math
from numbers import Integral, Real

import pandas as pd

__all__ = ["FIGURES_CSS", "MAX_HEIGHT_PX", "TABLE_CSS", "cell_text", "html_figures", "html_table"]

#: Height (px) past which the table scrolls inside its box, its header kept in view.
MAX_HEIGHT_PX = 420
#: The table's own style, scoped to its class so nothing else on the page changes.
TABLE_CSS = (
    "<style>"
    ".medtwin-table{overflow:auto;border:1px solid rgba(49,51,63,.2);border-radius:.5rem}"
    ".medtwin-table table{border-collapse:collapse;width:100%;font-size:.875rem;margin:0}"
    ".medtwin-table th{position:sticky;top:0;background:#f0f2f6;text-align:left;font-weight:600}"
    ".medtwin-table th,.medtwin-table td{padding:.2rem .6rem;border:none;"
    "border-bottom:1px solid rgba(49,51,63,.1);white-space:nowrap}"
    ".medtwin-table td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "</style>"
)

#: A row of labelled counts: each label small above its number, as ``st.metric`` shows them.
FIGURES_CSS = (
    "<style>"
    ".medtwin-figures{display:flex;flex-wrap:wrap;gap:.4rem 2.2rem;margin:.2rem 0 .6rem}"
    ".medtwin-figures div{display:flex;flex-direction:column}"
    ".medtwin-figures .v{font-size:2rem;line-height:1.2;font-variant-numeric:tabular-nums}"
    ".medtwin-figures .k{font-size:.875rem;color:rgba(49,51,63,.8)}"
    "</style>"
)


def cell_text(value: object) -> tuple[str, bool]:
    """How a value reads in a cell, and whether it is a number (right-aligned).

    Integers get thousands separators, other numbers are shown as given (the
    caller rounds them), booleans read *yes*/*no*, missing values are blank.

    >>> cell_text(1234), cell_text(12.5), cell_text(True), cell_text(float("nan")), cell_text(None)
    (('1,234', True), ('12.5', True), ('yes', False), ('', False), ('', False))
    """
    if value is None:
        return "", False
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return ("yes" if value else "no"), False
    if isinstance(value, Integral):
        return f"{int(value):,}", True
    if isinstance(value, Real):
        v = float(value)
        return ("", False) if math.isnan(v) else (f"{v:g}" if abs(v) < 1e6 else f"{v:,.0f}", True)
    return str(value), False


def html_table(table: pd.DataFrame, *, max_height_px: int = MAX_HEIGHT_PX) -> str:
    """``table`` as an HTML block (class ``medtwin-table``): escaped, scrolling past ``max_height_px``.

    Args:
        table: The rows to show; its column names head the columns.
        max_height_px: Height of the box; longer tables scroll inside it.

    Returns:
        One ``<div>`` (with its style) for ``st.markdown(..., unsafe_allow_html=True)``.

    >>> out = html_table(pd.DataFrame({"name": ["<Bay>"], "beds": [4]}))
    >>> "<td>&lt;Bay&gt;</td>" in out, '<td class="num">4</td>' in out
    (True, True)
    """
    if max_height_px < 1:
        raise ValueError(f'"max_height_px" must be >= 1, got {max_height_px}')
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for record in table.itertuples(index=False, name=None):
        cells = []
        for value in record:
            text, numeric = cell_text(value)
            cells.append(f'<td class="num">{html.escape(text)}</td>' if numeric
                         else f"<td>{html.escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'{TABLE_CSS}<div class="medtwin-table" style="max-height:{int(max_height_px)}px">'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def html_figures(figures: dict[str, object]) -> str:
    """Labelled figures (a building's counts) as one HTML row (class ``medtwin-figures``), escaped.

    What ``st.metric`` would show, without loading its script (number formatting and
    chart libraries the landing page otherwise fetched only for its counts).

    >>> out = html_figures({"beds": 1234, "<levels>": 3})
    >>> '<span class="k">beds</span><span class="v">1,234</span>' in out, "&lt;levels&gt;" in out
    (True, True)
    """
    cells = "".join(f'<div><span class="k">{html.escape(str(k))}</span>'
                    f'<span class="v">{html.escape(cell_text(v)[0])}</span></div>'
                    for k, v in figures.items())
    return f'{FIGURES_CSS}<div class="medtwin-figures">{cells}</div>'
