"""Plan labels in any script: drawn in a font that has them, or spelled out by code point, never boxes."""

from __future__ import annotations

import io
import warnings
from dataclasses import replace

import matplotlib
import pytest

from facility.fonts import DEFAULT_FAMILY, installed_fonts, label_fonts
from facility.model import Facility, Level
from facility.plot import plan_figure_matplotlib

matplotlib.use("Agg")

LATIN = ("Latin", frozenset(map(ord, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")))
HAN = ("Han", frozenset(map(ord, "病房待合室診察")))
HANGUL = ("Hangul", frozenset(map(ord, "처치실")))


def test_a_font_that_has_the_characters_is_added_after_the_default() -> None:
    families, drawable = label_fonts(["WARD-1", "病房-1", "처치실"], [LATIN, HANGUL, HAN])
    assert families == ["Latin", "Hangul", "Han"]  # the font adding most characters first
    assert drawable("病房-1") == "病房-1"


def test_characters_no_font_has_are_spelled_out() -> None:
    families, drawable = label_fonts(["病房-1", "处置室"], [LATIN, HAN])
    assert families == ["Latin", "Han"]
    assert drawable("处置室") == "\\u5904\\u7f6e室"  # simplified characters the Han font lacks
    assert drawable("病房-1") == "病房-1"


def test_text_the_default_has_needs_no_other_font() -> None:
    assert label_fonts(["WARD-1", "L0"], [LATIN, HAN])[0] == ["Latin"]


def test_the_placeholder_font_matplotlib_ships_is_never_chosen() -> None:
    # "Last Resort" has a box for every code point: choosing it would draw boxes again
    names = [name for name, _ in installed_fonts()]
    assert names[0] == DEFAULT_FAMILY and not any(n.startswith("Last Resort") for n in names)


def _cjk(tiny: Facility) -> Facility:
    names = {"L0-R1": "L0-病房", "L0-R2": "L0-診察室", "L0-R3": "L0-처치실"}
    spaces = tuple(replace(s, id=names.get(s.id, s.id), compartment="西" if s.compartment else None)
                   for s in tiny.spaces)
    doors = tuple(replace(d, spaces=tuple(names.get(x, x) for x in d.spaces)) for d in tiny.doors)
    levels = tuple(replace(lv, name="一階") if lv.id == "L0" else lv for lv in tiny.levels)
    return replace(tiny, name="小さな病院", spaces=spaces, doors=doors, levels=levels,
                   exits=tuple(replace(e, id="出口") if e.id == "X-C" else e for e in tiny.exits))


def test_a_plan_with_cjk_names_draws_no_box(tiny_facility: Facility) -> None:
    # regression: the ids and names were drawn as rows of empty boxes (DejaVu Sans has no CJK)
    fig = plan_figure_matplotlib(_cjk(tiny_facility), "L0")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font")
        fig.savefig(io.BytesIO(), format="png", dpi=40)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    families, _ = label_fonts(["病房"])
    if len(families) > 1:  # a CJK font is installed: the names are drawn as they are
        assert "病房" in texts and fig.axes[0].get_title(loc="left").startswith("L0 一階")
    else:  # none is: the ids are spelled out, and the level keeps its id without the name
        assert "\\u75c5\\u623f" in texts and "\\u51fa\\u53e3" in texts
        assert fig.axes[0].get_title(loc="left").startswith("L0   (elevation")


@pytest.mark.parametrize("name", ["Ground", "Erdgeschoss ä"])
def test_latin_labels_are_unchanged(tiny_facility: Facility, name: str) -> None:
    f = replace(tiny_facility, levels=tuple(Level(id=lv.id, name=name, elevation=lv.elevation)
                                            for lv in tiny_facility.levels))
    fig = plan_figure_matplotlib(f, "L0")
    assert fig.axes[0].get_title(loc="left").startswith(f"L0 {name}")


def test_a_dollar_in_an_id_is_drawn_as_written(tiny_facility: Facility) -> None:
    # regression: "R$1$x" was read as TeX and drawn as an italic "R1x", like another room's id
    f = replace(tiny_facility, spaces=tuple(replace(s, id="L0-R$1$x") if s.id == "L0-R1" else s
                                            for s in tiny_facility.spaces),
                doors=tuple(replace(d, spaces=tuple("L0-R$1$x" if x == "L0-R1" else x for x in d.spaces))
                            for d in tiny_facility.doors))
    fig = plan_figure_matplotlib(f, "L0")
    fig.savefig(io.BytesIO(), format="png", dpi=40)
    label = next(t for t in fig.findobj(matplotlib.text.Text) if t.get_text().startswith("R$1$x"))
    assert not label.get_parse_math()  # drawn as the characters written, not as TeX
