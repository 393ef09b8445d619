"""Are the facility's ids unique, as a reader sees them? Identity checks.

An id is unique when no other element of its type has it. Comparing the raw
text is not enough: Unicode writes "ä" either as one code point (NFC, what
most keyboards type) or as "a" followed by a combining diaeresis (NFD, what
macOS file names and some GIS exports give), and a full-width "１" (from an
East Asian input method) looks like "1". Such ids print identically in every
message, a scenario naming one of them silently means whichever the file
happened to list, and a door drawn to "Zimmer-ä" may join a different room
than the planner meant. So ids, and smoke compartment names, are compared
under Unicode compatibility normalisation (NFKC, UAX #15), and two that
differ only there are refused, naming both as their code points show them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from facility.errors import Issue
from facility.model import Facility

__all__ = ["CONTROL_CHARACTERS", "differs_only_in_form", "forms", "id_issues", "no_space", "same_id",
           "spelled", "spelled_out", "suggest"]


def same_id(ident: str) -> str:
    """The form under which two ids count as the same: NFKC (UAX #15).

    >>> same_id("Zimmer-a\\u0308") == same_id("Zimmer-\\u00e4"), same_id("R\\uff11")
    (True, 'R1')
    """
    return unicodedata.normalize("NFKC", ident)


def spelled_out(char: str) -> str:
    r"""A character as its code point, in Python's escape syntax.

    >>> spelled_out("病"), spelled_out("\U0001f525")
    ('\\u75c5', '\\U0001f525')
    """
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def spelled(ident: str) -> str:
    """An id quoted with every non-ASCII character as its code point, so two look-alikes read apart.

    >>> spelled("Zimmer-a\\u0308"), spelled("CT-1")
    ("'Zimmer-a\\\\u0308'", "'CT-1'")
    """
    return "'" + "".join(c if c.isascii() else spelled_out(c) for c in ident) + "'"


def id_issues(f: Facility) -> list[Issue]:
    """Ids used twice within an element type, exactly or up to Unicode normalisation; a facility
    with no levels or no spaces; compartment names that differ only in their Unicode form."""
    out = []
    groups: list[tuple[str, Sequence[str]]] = [
        ("level", [x.id for x in f.levels]), ("space", [x.id for x in f.spaces]),
        ("door", [x.id for x in f.doors]), ("exit", [x.id for x in f.exits]),
        ("stair", [x.id for x in f.stairs]), ("lift", [x.id for x in f.lifts]),
        ("assembly point", [x.id for x in f.assembly_points])]
    for what, ids in groups:
        for ident, n in Counter(ids).items():
            if n > 1:
                out.append(Issue.error(f"{what} {ident}",
                                       f"id {ident!r} is used by {n} {what}s; ids must be unique"))
        out += _look_alikes(what, ids, "ids")
        out += _invisible(what, ids, "an id")
    compartments = [s.compartment for s in f.spaces if s.compartment is not None]
    out += _look_alikes("compartment", compartments, "compartment names")
    out += _invisible("compartment", compartments, "a compartment name")
    if not f.levels:
        out.append(Issue.error("facility", "has no levels"))
    if not f.spaces:
        out.append(Issue.error("facility", "has no spaces"))
    return out


#: Unicode categories of characters that print as nothing: controls (Cc), format characters (Cf:
#: zero-width spaces and joiners, right-to-left overrides, soft hyphens) and line and paragraph
#: separators. An id holding one reads like the id without it (or reversed), in every message.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})
#: Format characters that are part of writing some scripts, not hidden: the zero-width non-joiner
#: and joiner of Persian, Indic and emoji sequences.
_SCRIPT_FORMAT = frozenset({"\u200c", "\u200d"})


def _invisible(what: str, ids: Iterable[str], kind: str) -> list[Issue]:
    """One error per distinct id holding a character that prints as nothing."""
    out = []
    for ident in dict.fromkeys(ids):
        hidden = [c for c in ident if unicodedata.category(c) in _INVISIBLE and c not in _SCRIPT_FORMAT]
        if hidden:
            names = ", ".join(dict.fromkeys(f"{spelled(c)[1:-1]} ({unicodedata.name(c, 'control')})"
                                            for c in hidden))
            out.append(Issue.error(f"{what} {spelled(ident)}",
                                   f"holds {names}, printed as nothing, so it reads as another id would; "
                                   f"expected {kind} of visible characters"))
    return out


def _look_alikes(what: str, ids: Iterable[str], plural: str) -> list[Issue]:
    """One error per group of distinct ids of one type that share a normal form."""
    forms: dict[str, list[str]] = {}
    for ident in ids:
        variants = forms.setdefault(same_id(ident), [])
        if ident not in variants:
            variants.append(ident)
    out = []
    for variants in forms.values():
        if len(variants) > 1:
            first, *others = variants
            names = " and ".join(f"{what} {spelled(v)}" for v in others)
            out.append(Issue.error(
                f"{what} {spelled(first)}",
                f"is the same text as {names}, encoded differently by Unicode (composed vs decomposed "
                f"accents, full-width vs ASCII characters), so they read as one; {plural} must be unique "
                "after NFKC normalisation: rename one, or write both the same way"))
    return out


def forms(known: Iterable[str]) -> dict[str, str]:
    """Each id's normal form (:func:`same_id`) -> the id, for looking many references up at once."""
    return {same_id(k): k for k in known}


def differs_only_in_form(ident: str, known: Mapping[str, str]) -> str:
    """For an id that matches none known: a hint if it matches one after normalisation, else ``""``.

    Args:
        ident: The id as a reference writes it.
        known: The ids it may name, by normal form (:func:`forms`): one look-up per reference,
            so a file of many broken references is checked in linear time.

    >>> differs_only_in_form("R\\uff11", forms(["R1", "R2"]))[:15]
    "; 'R1' exists, "
    """
    match = known.get(same_id(ident))
    if match is None or match == ident:
        return ""
    return (f"; {spelled(match)} exists, but the reference is written {spelled(ident)} (the same text "
            "encoded differently by Unicode): write them the same way")


#: Control characters other than tab and line breaks (C0, DEL and C1), which a terminal obeys:
#: printed by a command, an ESC in a name ran escape sequences (clearing the screen, rewriting the
#: lines above). Facility and scenario files refuse them in any text but metadata.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


#: How alike (difflib ratio, 0-1) an unknown id must be to a known one to be suggested: "CONS1" for
#: "CONS-1" (0.91) or "cons-1" (1.0, compared without case) are; "WAIT" for "TREAT" (0.44) is not.
SUGGEST_CUTOFF = 0.75


def suggest(ident: str, known: Iterable[str]) -> str:
    """For an id a scenario or facility names that does not exist: ``"; did you mean 'X'?"``, or the
    Unicode-form hint of :func:`differs_only_in_form`, or ``""`` when nothing is close.

    >>> suggest("CONS1", ["CONS-1", "WAIT"]), suggest("ward-a", ["WARD-A"]), suggest("X", ["WAIT"])
    ("; did you mean 'CONS-1'?", "; did you mean 'WARD-A'?", '')
    """
    known = list(known)
    form = differs_only_in_form(ident, forms(known))
    if form:
        return form
    folded = {same_id(k).casefold(): k for k in known}
    near = difflib.get_close_matches(same_id(ident).casefold(), list(folded), n=1, cutoff=SUGGEST_CUTOFF)
    return f"; did you mean {folded[near[0]]!r}?" if near else ""


def no_space(facility: Facility, space_id: str) -> str:
    """The problem of a space id ``facility`` lacks, with the one likely meant (:func:`suggest`):
    the one message every scenario check gives for it."""
    hint = suggest(space_id, (s.id for s in facility.spaces))
    return f"no space {space_id!r} in facility {facility.name!r}{hint}"
