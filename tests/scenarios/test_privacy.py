"""Identifier warnings and pseudonyms (scenarios/privacy.py)."""

from __future__ import annotations

import pytest

import scenarios
from scenarios.privacy import identifier_warnings, looks_like, pseudonym, pseudonymise


@pytest.mark.parametrize(("text", "kind"), [
    ("Jane Smith", "name"), ("Smith, Jane", "name"), ("Mrs Jones", "name"), ("O'Neil-Hart Anna", "name"),
    ("1984-03-07", "date"), ("07/03/1984", "date"), ("MRN 0012345", "hospital number"),
    ("943 476 5919", "NHS number"), ("123-45-6789", "social security"), ("pt 20231187", "long run of digits"),
])
def test_identifier_patterns_are_recognised(text: str, kind: str) -> None:
    found = looks_like(text)
    assert found is not None and kind in found


@pytest.mark.parametrize("text", ["bed-12", "W3-07", "staff_a", "visitor 3", "icu-bay-4", "p1", ""])
def test_codes_are_not_flagged(text: str) -> None:
    assert looks_like(text) is None


def _drill() -> scenarios.ScenarioBase:
    return scenarios.loads(
        "kind: evacuation\nname: d\ndescription: drill\npopulation:\n  people:\n"
        "    - {id: Jane Smith, profile: ambulant, space: WAIT}\n"
        "    - {id: bed-2, profile: ambulant, space: WAIT}\n", source="d.yaml")


def test_warnings_name_the_field_never_the_value() -> None:
    lines = identifier_warnings(_drill())
    assert len(lines) == 1 and "d.yaml: population.people[0].id looks like a person's name" in lines[0]
    assert "Jane" not in lines[0]


def test_pseudonyms_are_keyed_stable_and_replace_every_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDTWIN_PSEUDONYM_KEY", "ward 3 audit")
    a, b = pseudonymise(_drill()), pseudonymise(_drill())
    ids = [p.id for p in a.population.people]  # type: ignore[attr-defined]
    assert ids == [p.id for p in b.population.people]  # type: ignore[attr-defined]
    assert all(i.startswith("p-") and len(i) == 14 for i in ids) and len(set(ids)) == 2
    assert "Jane" not in scenarios.dump(a) and a.description == ""
    monkeypatch.delenv("MEDTWIN_PSEUDONYM_KEY")
    assert [p.id for p in pseudonymise(_drill()).population.people] != ids  # type: ignore[attr-defined]
    assert pseudonym("x", b"k" * 100) == pseudonym("x", b"k" * 64)  # keys longer than BLAKE2b's are cut
