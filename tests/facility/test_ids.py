"""Ids that read the same are the same: Unicode look-alikes refused, naming both spellings."""

from __future__ import annotations

import copy
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

import facility
from facility.errors import FacilityValidationError
from facility.io import to_dict
from facility.model import Facility
from facility.validate import validate

NFC = unicodedata.normalize("NFC", "Zimmer-ä")
NFD = unicodedata.normalize("NFD", "Zimmer-ä")


def _renamed(f: Facility, names: dict[str, str]) -> dict[str, Any]:
    """``f`` as a file dict with the spaces in ``names`` renamed (and every door following them)."""
    data = copy.deepcopy(to_dict(f))
    for s in data["spaces"]:
        s["id"] = names.get(s["id"], s["id"])
    for d in data["doors"]:
        d["spaces"] = [names.get(x, x) for x in d["spaces"]]
    return data


def _problems(data: dict[str, Any], tmp_path: Path) -> list[str]:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FacilityValidationError) as info:
        facility.load(path)
    return [str(i) for i in info.value.issues]


def test_composed_and_decomposed_space_ids_are_one_id(tiny_facility: Facility, tmp_path: Path) -> None:
    assert NFC != NFD
    data = _renamed(tiny_facility, {"L0-R1": NFC, "L0-R2": NFD})
    [problem] = _problems(data, tmp_path)
    assert problem.startswith("error: space 'Zimmer-\\u00e4': is the same text as space 'Zimmer-a\\u0308'")
    assert "unique after NFKC normalisation" in problem


def test_full_width_digits_in_door_ids(tiny_facility: Facility, tmp_path: Path) -> None:
    data = copy.deepcopy(to_dict(tiny_facility))
    data["doors"][0]["id"], data["doors"][1]["id"] = "D\uff11", "D1"
    [problem] = _problems(data, tmp_path)
    assert problem.startswith("error: door 'D\\uff11': is the same text as door 'D1'")


def test_a_reference_in_another_unicode_form_is_named(tiny_facility: Facility) -> None:
    data = _renamed(tiny_facility, {"L0-R1": NFC})
    door = next(d for d in data["doors"] if NFC in d["spaces"])
    door["spaces"] = [NFD if x == NFC else x for x in door["spaces"]]
    issues = [str(i) for i in validate(facility.build(data, validate=False))]
    assert any("joins space" in i and "'Zimmer-\\u00e4' exists, but the reference is written "
               "'Zimmer-a\\u0308'" in i for i in issues), issues


def test_compartment_names_differing_only_in_width(tiny_facility: Facility) -> None:
    data = copy.deepcopy(to_dict(tiny_facility))
    target = next(s for s in data["spaces"] if s["compartment"] == "A")
    target["compartment"] = "\uff21"  # full-width A
    # the full-width name comes first in the file, so it is the element named
    assert any(str(i).startswith("error: compartment '\\uff21': is the same text as compartment 'A'")
               for i in validate(facility.build(data, validate=False)))


def test_ids_that_differ_after_normalisation_are_fine(tiny_facility: Facility) -> None:
    data = _renamed(tiny_facility, {"L0-R1": NFC, "L0-R2": "Zimmer-a"})
    assert validate(facility.build(data)) == []


@pytest.mark.parametrize(("hidden", "named"), [("\u200b", "\\u200b (ZERO WIDTH SPACE)"),
                                               ("\u202e", "\\u202e (RIGHT-TO-LEFT OVERRIDE)"),
                                               ("\u00ad", "\\u00ad (SOFT HYPHEN)")])
def test_an_id_with_a_character_printed_as_nothing_is_refused(tiny_facility: Facility, hidden: str,
                                                              named: str) -> None:
    # regression: "WA\u200bIT" was a second room that every message printed as "WAIT"
    ident = f"L0-R{hidden}1"
    data = _renamed(tiny_facility, {"L0-R1": ident})
    problems = [str(i) for i in validate(facility.build(data, validate=False))]
    code = named.partition(" ")[0]
    assert (f"error: space 'L0-R{code}1': holds {named}, printed as nothing, so it reads as another id "
            "would; expected an id of visible characters") in problems


def test_joiners_of_a_script_are_part_of_an_id(tiny_facility: Facility) -> None:
    data = _renamed(tiny_facility, {"L0-R1": "اتاق\u200cها"})  # Persian: a zero-width non-joiner
    assert validate(facility.build(data)) == []
