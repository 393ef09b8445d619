"""Keeping patient identifiers out of results: warnings on ids that look like one, and pseudonyms.

Free-text fields of a scenario (``population.people[].id`` and
``description``) are copied into every output: Parquet tables, the stored
``scenario.yaml``, the KPI summary. They must not hold patient identifiers.
medtwin cannot know what an id means, so it does two things:

* :func:`identifier_warnings` flags text that *looks like* an identifier by
  its pattern: a person's name (``Jane Smith``, ``Smith, Jane``, ``Mr
  Jones``), a date (of birth), a hospital number (``MRN 1234567``, a run of
  six or more digits), an NHS number (ten digits whose check digit is right)
  or a US social security number. The warning names the field, never the
  value, so the log and the terminal do not repeat the identifier.
* :func:`pseudonymise` replaces every person id by a salted hash
  (keyed BLAKE2b from :mod:`hashlib`, never Python's ``hash()``, which changes
  from process to process) and clears the description, before the run, so
  every output of the run carries only pseudonyms. The salt is random per run
  unless ``MEDTWIN_PSEUDONYM_KEY`` is set, which keeps the pseudonyms of one
  person equal across runs (to compare them) without storing the salt anywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator
from typing import Any

from scenarios.base import ScenarioBase
from scenarios.errors import ScenarioFileError

__all__ = ["KEY_VARIABLE", "identifier_warnings", "protect", "pseudonym", "pseudonymise", "to_stderr"]

#: Environment variable holding a fixed pseudonym key (any text).
KEY_VARIABLE = "MEDTWIN_PSEUDONYM_KEY"
#: Bytes of a pseudonym (12 hex digits): a collision among 10,000 people has a
#: probability of about 2e-7, and one is detected and refused anyway.
_DIGEST_BYTES = 6

_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a person's name", re.compile(rf"\b{_TITLE}\s+[A-Z][a-z]+")),
    ("a person's name", re.compile(r"^[A-Z][a-z]*(?:[ '-][A-Z][a-z]+)*,?\s+[A-Z][a-z]+$")),
    ("a date (of birth?)", re.compile(
        r"\b(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b"
        r"|\b(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)?\d\d\b")),
    ("a US social security number", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("a hospital number", re.compile(r"\b(?:MRN|NHS|HOSP|PID|CHI|URN)[-_ #:]?\s*\d{4,}\b", re.IGNORECASE)),
)
_DIGITS = re.compile(r"\d[\d ]{5,}\d|\d{6,}")
_NHS = re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b")


def _nhs_number(digits: str) -> bool:
    """Whether ten digits carry a valid NHS modulus-11 check digit.

    >>> _nhs_number("9434765919")
    True
    >>> _nhs_number("9434765918")
    False
    """
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def looks_like(text: str) -> str | None:
    """What kind of identifier ``text`` looks like, or ``None``.

    >>> looks_like("Jane Smith"), looks_like("bed-12"), looks_like("MRN 0012345")
    ("a person's name", None, 'a hospital number')
    >>> looks_like("p 943 476 5919")
    'an NHS number'
    """
    for match in _NHS.finditer(text):
        if _nhs_number(re.sub(r"\D", "", match.group())):
            return "an NHS number"
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    if _DIGITS.search(text):
        return "a hospital or national number (a long run of digits)"
    return None


def _free_text(scenario: ScenarioBase) -> Iterator[tuple[str, str]]:
    """(dotted field, text) of every free-text field that is copied into outputs."""
    yield "description", scenario.description
    population: Any = getattr(scenario, "population", None)
    for i, person in enumerate(getattr(population, "people", None) or ()):
        yield f"population.people[{i}].id", person.id


def identifier_warnings(scenario: ScenarioBase) -> list[str]:
    """One line per free-text field that looks like a patient identifier (the value is not shown)."""
    source = scenario.source or "<scenario>"
    out = []
    for field, text in _free_text(scenario):
        kind = looks_like(text)
        if kind:
            out.append(f"warning: {source}: {field} looks like {kind}; fields copied into results must not "
                       "hold patient identifiers (use codes such as 'bed-12', or run with --pseudonymise)")
    return out


def pseudonym(text: str, key: bytes) -> str:
    """The pseudonym of ``text`` under ``key``: ``p-`` and 12 hex digits, the same for the same key.

    >>> pseudonym("Jane Smith", b"k") == pseudonym("Jane Smith", b"k") != pseudonym("Jane Smith", b"j")
    True
    """
    digest = hashlib.blake2b(text.encode("utf-8"), key=key[:64], digest_size=_DIGEST_BYTES)
    return "p-" + digest.hexdigest()


def _key() -> bytes:
    fixed = os.environ.get(KEY_VARIABLE)
    if fixed:
        return hashlib.blake2b(fixed.encode("utf-8"), digest_size=32).digest()
    return secrets.token_bytes(32)


def pseudonymise(scenario: ScenarioBase, key: bytes | None = None) -> ScenarioBase:
    """``scenario`` with every person id replaced by its :func:`pseudonym` and the description cleared.

    Args:
        scenario: A loaded scenario (any kind; kinds without people only lose the description).
        key: Pseudonym key; by default ``MEDTWIN_PSEUDONYM_KEY`` or a random one.

    Raises:
        ScenarioFileError: Two ids gave the same pseudonym (astronomically rare; rerun).
    """
    key = key or _key()
    update: dict[str, Any] = {"description": ""}
    population: Any = getattr(scenario, "population", None)
    people = getattr(population, "people", None) or ()
    if people:
        renamed = [p.model_copy(update={"id": pseudonym(p.id, key)}) for p in people]
        if len({p.id for p in renamed}) != len({p.id for p in people}):
            raise ScenarioFileError(scenario.source or "<scenario>", "population.people",
                                    "two ids gave the same pseudonym; run again (a new key is drawn)")
        update["population"] = population.model_copy(update={"people": renamed})
    return scenario.model_copy(update=update)


def protect(scenario: ScenarioBase, *, pseudonymise_ids: bool,
            warn: Callable[[str], None] | None = None) -> ScenarioBase:
    """The one call a front end makes before a run: warn about identifiers, pseudonymise if asked.

    With ``pseudonymise_ids`` no warning is given (nothing identifying reaches the outputs).
    """
    if pseudonymise_ids:
        return pseudonymise(scenario)
    if warn is not None:
        for line in identifier_warnings(scenario):
            warn(line)
    return scenario


def to_stderr(line: str) -> None:
    """Print a warning line on stderr (the ``warn`` a command-line front end passes to :func:`protect`)."""
    print(line, file=sys.stderr)
