"""The JSON Schema: well-formed, closed, in step with the model, and its docs copy current."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from facility.io import load, loads, to_dict
from facility.model import AssemblyPoint, Door, Exit, Level, Lift, Space, Stair
from facility.sample import sample
from facility.schema import FORMAT, SCHEMA, schema_json, schema_problems
from facility.validate import validate
from tests.facility.conftest import REPO

SCHEMA_FILE = REPO / "docs" / "facility-schema.json"
EXAMPLE = REPO / "docs" / "examples" / "tiny_clinic.json"
CLASSES = {
    "levels": Level,
    "spaces": Space,
    "doors": Door,
    "exits": Exit,
    "stairs": Stair,
    "lifts": Lift,
    "assembly_points": AssemblyPoint,
}


def test_docs_schema_file_is_current() -> None:
    expected = schema_json()
    current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else None
    if current != expected:
        SCHEMA_FILE.write_text(expected, encoding="utf-8")
        pytest.fail(
            f"{SCHEMA_FILE.relative_to(REPO)} was stale and has been regenerated from "
            "facility/schema.py: review and commit it"
        )


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert json.loads(schema_json()) == SCHEMA


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_every_object_is_closed() -> None:
    objects = list(_objects(SCHEMA))
    assert len(objects) == 8  # the file and its seven kinds of element
    assert all(o["additionalProperties"] is False for o in objects)


@pytest.mark.parametrize("section", list(CLASSES))
def test_fields_and_defaults_match_the_model(section: str) -> None:
    item = SCHEMA["properties"][section]["items"]
    fields = {f.name: f for f in dataclasses.fields(CLASSES[section])}
    names = set(item["properties"]) - {"holes"}
    assert names == set(fields), f"{section}: schema and model fields differ"
    no_default = {
        n
        for n, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    assert set(item["required"]) == no_default
    for name in set(fields) - no_default:
        assert item["properties"][name]["default"] == fields[name].default, f"{section}.{name}"


def test_worked_example_matches_the_schema_and_validates_cleanly() -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert data["format"] == FORMAT
    assert schema_problems(data) == []
    f = load(EXAMPLE)
    assert validate(f) == []
    assert (len(f.spaces), len(f.doors), len(f.exits), f.total_beds) == (5, 4, 2, 2)


def test_written_files_match_the_schema() -> None:
    data = json.loads(json.dumps(to_dict(sample())))
    assert list(Draft202012Validator(SCHEMA).iter_errors(data)) == []


def test_problems_name_element_field_and_what_was_found() -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["spaces"][2]["beds"] = "two"
    data["doors"][0]["spaces"] = ["COR-W"]
    data["exits"][1].pop("width")
    assert schema_problems(data) == [
        "spaces[2] (id \"WAIT\"): field 'beds': expected integer, found string 'two'",
        "doors[0] (id \"D-WAIT\"): field 'spaces': expected at least 2 item(s), found 1",
        "exits[1] (id \"X-EAST\"): missing required field 'width'",
    ]


def test_a_ceiling_lower_than_a_crawl_space_is_refused() -> None:
    # regression: a 0.01 m ceiling (a slip for 2.7) was valid, and the smoke and infection models
    # took the room's air as 270 times smaller
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["spaces"][2]["ceiling_height"] = 0.01
    data["levels"][0]["ceiling_height"] = 0.27
    assert schema_problems(data) == [
        "levels[0] (id \"G\"): field 'ceiling_height': expected a number >= 1, found 0.27 (outside the "
        "plausible range)",
        "spaces[2] (id \"WAIT\"): field 'ceiling_height': expected a number >= 1, found 0.01 (outside the "
        "plausible range)",
    ]
    data["spaces"][2]["ceiling_height"] = data["levels"][0]["ceiling_height"] = 1.0
    assert schema_problems(data) == []


def test_several_missing_fields_are_one_problem_not_one_per_field() -> None:
    # regression: "spaces[2]: missing required fields 'id', 'level', 'kind'" came three times
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    for key in ("id", "level", "kind"):
        data["spaces"][2].pop(key)
    assert schema_problems(data) == ["spaces[2]: missing required fields 'id', 'level', 'kind'"]


@pytest.mark.parametrize("ident", ["WAIT ", " WAIT", "  ", "WA\nIT"])
def test_an_id_padded_with_spaces_is_named_not_taken_for_another(ident: str) -> None:
    # regression: "WAIT " (a padded GIS column) loaded, and the doors to "WAIT" were told it did not exist
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["spaces"][2]["id"] = ident
    data["doors"][0]["spaces"] = ["COR-W", ident]
    problems = schema_problems(data)
    assert problems[0].startswith(f'spaces[2] (id "{ident}"): field \'id\': expected an id that neither')
    assert problems[1].startswith("doors[0] (id \"D-WAIT\"): field 'spaces[1]': expected an id")


def _code_blocks(language: str) -> list[str]:
    text = (REPO / "docs" / "facility-format.md").read_text(encoding="utf-8")
    fence = f"```{language}\n"
    return [part.split("```", 1)[0] for part in text.split(fence)[1:]]


def test_format_doc_examples_are_real() -> None:
    blocks = [b for b in _code_blocks("json") if b.lstrip().startswith("{")]
    clinic, geojson = blocks
    # The worked example printed in the doc is the example file.
    assert json.loads(clinic) == json.loads(EXAMPLE.read_text(encoding="utf-8"))
    f = loads(geojson, source="doc GeoJSON")
    assert f.door("D").spaces == ("C", "R") and f.space("R").beds == 1
    # The Python example runs.
    [python] = _code_blocks("python")
    scope: dict[str, Any] = {}
    exec(python, scope)
    assert scope["f"].space("R").area == 12.0
