"""Fonts for the labels of a plan: every character drawn as itself, or spelled out, never a box.

Matplotlib draws a character its font lacks as an empty box (and says so only
in a warning): a plan of a ward whose rooms are named in Chinese, Japanese or
Korean showed rows of identical boxes, so no room could be told from another.
:func:`label_fonts` looks at the text a plan will draw and picks, after
matplotlib's default font, the installed fonts that hold the characters it
lacks (matplotlib falls back along that list glyph by glyph); a character no
installed font holds is written as its code point (``\\u75c5``), the spelling
validation messages use, so a label is still unique and can be matched to
the file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence

from facility.ids import spelled_out

__all__ = ["DEFAULT_FAMILY", "installed_fonts", "label_fonts"]

#: Matplotlib's default sans-serif font, which it ships: Latin, Greek, Cyrillic, no CJK.
DEFAULT_FAMILY = "DejaVu Sans"

#: Families whose glyphs are placeholders (a box showing the character's block), not characters:
#: matplotlib ships "Last Resort High-Efficiency", which "has" every code point that way.
_PLACEHOLDER_FAMILIES = ("Last Resort",)

#: A font as the chooser sees it: family name and the code points it has glyphs for.
Font = tuple[str, frozenset[int]]


@functools.cache
def installed_fonts() -> tuple[Font, ...]:
    """Every font matplotlib knows of (one face per family), default first, with its characters.

    Read once per process: opening each font file to read its character map
    takes a moment, and is needed only for a plan with a character the
    default font lacks.
    """
    from matplotlib import font_manager, ft2font

    seen: set[str] = set()
    out: list[Font] = []
    entries = sorted(font_manager.fontManager.ttflist, key=lambda e: (e.name != DEFAULT_FAMILY, e.name))
    for entry in entries:
        if entry.name in seen or entry.name.startswith(_PLACEHOLDER_FAMILIES):
            continue
        try:
            charmap = ft2font.FT2Font(entry.fname).get_charmap()
        except (OSError, RuntimeError, ValueError):  # an unreadable font file is just not a candidate
            continue
        seen.add(entry.name)
        out.append((entry.name, frozenset(charmap)))
    return tuple(out)


def label_fonts(texts: Iterable[str], fonts: Sequence[Font] | None = None,
                ) -> tuple[list[str], Callable[[str], str]]:
    r"""The font families to draw ``texts`` with, and how to make any of them drawable.

    Args:
        texts: Every label the figure will draw.
        fonts: Candidate fonts, the default first; by default the installed ones
            (:func:`installed_fonts`), read only if a text needs more than the default.

    Returns:
        ``(families, drawable)``: the families for matplotlib's ``fontfamily``
        (the default, then each font that adds characters the texts need, the
        one adding most first), and a function giving a text with every
        character none of them has spelled out (:func:`facility.ids.spelled_out`).

    >>> fonts = [("Latin", frozenset(map(ord, "ABC-1"))), ("Han", frozenset(map(ord, "病房")))]
    >>> families, drawable = label_fonts(["A-1", "病房"], fonts)
    >>> families, drawable("病房-1")
    (['Latin', 'Han'], '病房-1')
    >>> label_fonts(["병실"], fonts)[1]("병실-1")
    '\\ubcd1\\uc2e4-1'
    """
    needed = {ord(c) for text in texts for c in text if c.isprintable() and not c.isspace()}
    candidates = fonts
    if candidates is None:
        default = next((f for f in installed_fonts() if f[0] == DEFAULT_FAMILY), None)
        enough = default is not None and needed <= default[1]
        candidates = [default] if enough and default is not None else installed_fonts()
    if not candidates:
        return [DEFAULT_FAMILY], lambda text: text
    first, *others = candidates
    families = [first[0]]
    missing = needed - first[1]
    while missing and others:
        best = max(others, key=lambda f: len(missing & f[1]))
        if not missing & best[1]:
            break
        families.append(best[0])
        missing -= best[1]
        others.remove(best)
    if not missing:
        return families, lambda text: text
    lacking = frozenset(missing)
    return families, lambda text: "".join(spelled_out(c) if ord(c) in lacking else c for c in text)
