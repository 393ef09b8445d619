"""Facility files: exact round trips, one test per bad-file case, GeoJSON and shapely input."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from shapely.geometry import Point, Polygon, box

from facility.errors import FacilityFileError, FacilityValidationError, FacilityValueError
from facility.io import FORMAT, build, dumps, load, loads, save, to_dict
from facility.model import Facility
from facility.sample import sample
from facility.validate import validate
from tests.facility.strategies import facilities

Writer = Callable[..., Path]


def element(data: dict[str, Any], section: str, ident: str) -> dict[str, Any]:
    """The element of ``section`` with id ``ident`` (to edit in place)."""
    return next(e for e in data[section] if e["id"] == ident)


def fails_with(exc: type[Exception], path: Path, *fragments: str) -> str:
    """Load ``path``, expect ``exc``, and check the message names the file and each fragment."""
    with pytest.raises(exc) as info:
        load(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


# -- round trips -------------------------------------------------------------------------------
def test_round_trip_is_exact(tiny_facility: Facility, tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    save(tiny_facility, path)
    again = load(path)
    assert again == tiny_facility
    assert dumps(again) == dumps(tiny_facility) == path.read_text(encoding="utf-8")


def test_sample_hospital_round_trips() -> None:
    hospital = sample()
    text = dumps(hospital)
    again = loads(text)
    assert again == hospital
    assert dumps(again) == text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facilities())
def test_save_load_is_identity(f: Facility) -> None:
    text = dumps(f)
    again = loads(text, source="<generated>")
    assert again == f
    assert dumps(again) == text


def test_awkward_floats_round_trip(tiny_facility: Facility) -> None:
    room = tiny_facility.space("L0-R1")
    odd = Polygon([(0.1, 2.0), (6.0, 2.0), (6.0, 7.0), (1 / 3, 7.0 + 1e-12)])
    f = replace(
        tiny_facility, spaces=tuple(replace(s, polygon=odd) if s is room else s for s in tiny_facility.spaces)
    )
    assert loads(dumps(f)).space("L0-R1").polygon == odd


def test_holes_round_trip(tiny_facility: Facility) -> None:
    hall = box(0, 2, 6, 7).difference(box(2, 4, 3, 5))
    assert len(hall.interiors) == 1
    f = replace(
        tiny_facility,
        spaces=tuple(replace(s, polygon=hall) if s.id == "L0-R1" else s for s in tiny_facility.spaces),
    )
    text = dumps(f)
    assert '"holes"' in text
    assert loads(text).space("L0-R1").polygon == hall


def test_integers_in_a_file_are_read_as_floats(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    element(facility_dict, "doors", "L0-D1")["width"] = 1
    element(facility_dict, "levels", "L1")["elevation"] = 4
    f = load(write_facility(facility_dict))
    assert isinstance(f.door("L0-D1").width, float)
    assert f.level("L1").elevation == 4.0
    assert dumps(loads(dumps(f))) == dumps(f)


def test_closed_rings_and_omitted_defaults_are_accepted(write_facility: Writer) -> None:
    data = {
        "format": FORMAT,
        "name": "hut",
        "levels": [{"id": "G"}],
        "spaces": [
            {"id": "R", "level": "G", "kind": "room", "polygon": [[0, 0], [4, 0], [4, 3], [0, 3], [0, 0]]}
        ],
        "exits": [{"id": "X", "space": "R", "at": [2, 0], "width": 1}],
    }
    f = load(write_facility(data))
    r = f.space("R")
    assert r.area == 12.0
    assert (r.beds, r.occupied, r.use, f.level("G").ceiling_height) == (0, True, None, 3.0)


def test_save_is_atomic_and_leaves_no_temporary_files(tiny_facility: Facility, tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    save(tiny_facility, path)
    before = path.read_text(encoding="utf-8")
    broken = replace(tiny_facility, metadata={"scale": math.nan})
    with pytest.raises(FacilityValueError):
        save(broken, path)
    assert path.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]


def test_save_into_a_missing_directory_names_it(tiny_facility: Facility, tmp_path: Path) -> None:
    with pytest.raises(FacilityFileError, match="does not exist"):
        save(tiny_facility, tmp_path / "nowhere" / "f.json")


# -- bad files: one test per case, each naming the file and the element -----------------------
def test_missing_file(tmp_path: Path) -> None:
    fails_with(FacilityFileError, tmp_path / "absent.json", "no such file")


def test_invalid_json_gives_line_and_column(write_facility: Writer) -> None:
    path = write_facility('{\n  "format": "medtwin-facility/1",\n  "name": "x",,\n}')
    fails_with(FacilityFileError, path, "invalid JSON", "line 3, column 15")


def test_missing_format(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    del facility_dict["format"]
    fails_with(FacilityFileError, write_facility(facility_dict), 'missing "format"', FORMAT)


def test_wrong_format(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    facility_dict["format"] = "medtwin-facility/9"
    fails_with(
        FacilityFileError, write_facility(facility_dict), "'medtwin-facility/9'", f"expected {FORMAT!r}"
    )


def test_duplicate_json_key(write_facility: Writer) -> None:
    fails_with(FacilityFileError, write_facility('{"format": "a", "format": "b"}'), "duplicate key 'format'")


def test_unknown_key(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    element(facility_dict, "spaces", "L0-R1")["colour"] = "blue"
    fails_with(
        FacilityFileError, write_facility(facility_dict), 'spaces[1] (id "L0-R1")', "unknown key 'colour'"
    )


def test_unknown_top_level_key(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    facility_dict["floors"] = []
    fails_with(FacilityFileError, write_facility(facility_dict), "top level", "unknown key 'floors'")


def test_wrong_type(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    element(facility_dict, "doors", "L0-D2")["width"] = "wide"
    fails_with(
        FacilityFileError,
        write_facility(facility_dict),
        '(id "L0-D2")',
        "field 'width'",
        "expected number, found string 'wide'",
    )


def test_missing_field(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    del element(facility_dict, "spaces", "L1-R3")["kind"]
    fails_with(
        FacilityFileError, write_facility(facility_dict), '(id "L1-R3")', "missing required field 'kind'"
    )


def test_unknown_space_kind(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    element(facility_dict, "spaces", "L1-R3")["kind"] = "ward"
    fails_with(
        FacilityFileError, write_facility(facility_dict), '(id "L1-R3")', "field 'kind'", "found 'ward'"
    )


def test_self_intersecting_polygon(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    element(facility_dict, "spaces", "L0-R2")["polygon"] = [[6, 2], [12, 7], [12, 2], [6, 7]]
    fails_with(
        FacilityValidationError, write_facility(facility_dict), "space L0-R2", "self-intersection at (9, 4.5)"
    )


def test_overlapping_spaces(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    element(facility_dict, "spaces", "L0-R2")["polygon"] = [[5, 2], [12, 2], [12, 7], [5, 7]]
    fails_with(
        FacilityValidationError,
        write_facility(facility_dict),
        "space L0-R1",
        "overlaps space L0-R2 on level L0",
        "by 5 m²",
    )


def test_touching_spaces_are_not_overlapping(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    # 1 mm of drawing slop along the 5 m shared wall overlaps 0.005 m², under the 0.01 m² tolerance.
    element(facility_dict, "spaces", "L0-R2")["polygon"] = [[5.999, 2], [12, 2], [12, 7], [5.999, 7]]
    assert load(write_facility(facility_dict)).space("L0-R2").area == pytest.approx(30.005)


def test_door_not_on_the_wall_between_its_spaces(
    facility_dict: dict[str, Any], write_facility: Writer
) -> None:
    element(facility_dict, "doors", "L0-D1")["at"] = [3.0, 3.0]
    fails_with(
        FacilityValidationError, write_facility(facility_dict), "door L0-D1", "1 m from the wall between"
    )


def test_door_between_spaces_that_share_no_wall(
    facility_dict: dict[str, Any], write_facility: Writer
) -> None:
    element(facility_dict, "doors", "L0-D1")["spaces"] = ["L0-R1", "L0-R3"]
    fails_with(
        FacilityValidationError, write_facility(facility_dict), "door L0-D1", "L0-R1 and L0-R3 share no wall"
    )


def test_door_narrower_than_0_6_m(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    element(facility_dict, "doors", "L0-D2")["width"] = 0.5
    fails_with(FacilityValidationError, write_facility(facility_dict), "door L0-D2", "at least 0.6 m")


def test_door_wider_than_its_wall(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    # The stair door sits in the 2 m wall between corridor and stair.
    element(facility_dict, "doors", "L0-DST")["width"] = 2.5
    fails_with(
        FacilityValidationError,
        write_facility(facility_dict),
        "door L0-DST",
        "2.5 m wide but the wall it sits in between L0-C and L0-ST is only 2 m long",
    )


def test_stair_joining_a_level_that_does_not_exist(
    facility_dict: dict[str, Any], write_facility: Writer
) -> None:
    element(facility_dict, "spaces", "L1-ST")["level"] = "L9"
    fails_with(
        FacilityValidationError,
        write_facility(facility_dict),
        "stair S1",
        "space L1-ST is on level 'L9', which does not exist",
    )


def test_unreachable_occupied_space_is_an_error(
    facility_dict: dict[str, Any], write_facility: Writer
) -> None:
    facility_dict["doors"] = [d for d in facility_dict["doors"] if d["id"] != "L0-D1"]
    fails_with(
        FacilityValidationError, write_facility(facility_dict), "space L0-R1", "cannot reach any final exit"
    )


def test_unreachable_unoccupied_space_is_a_warning(
    facility_dict: dict[str, Any], write_facility: Writer
) -> None:
    facility_dict["doors"] = [d for d in facility_dict["doors"] if d["id"] != "L0-D2"]
    f = load(write_facility(facility_dict))  # loads: warnings do not stop it
    [issue] = validate(f)
    assert (issue.severity, issue.element) == ("warning", "space L0-R2")
    assert "unoccupied" in issue.message


def test_duplicate_ids(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    element(facility_dict, "doors", "L0-D2")["id"] = "L0-D1"
    fails_with(FacilityValidationError, write_facility(facility_dict), "door L0-D1", "used by 2 doors")


def test_duplicate_space_ids(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    element(facility_dict, "spaces", "L1-R2")["id"] = "L0-R2"
    fails_with(FacilityValidationError, write_facility(facility_dict), "space L0-R2", "used by 2 spaces")


def test_many_schema_problems_are_all_listed(facility_dict: dict[str, Any], write_facility: Writer) -> None:
    for d in facility_dict["doors"]:
        d["width"] = -1
    message = fails_with(FacilityFileError, write_facility(facility_dict), "(11 problem(s))")
    assert message.count("expected a number > 0, found -1") == 11


def test_a_non_object_file(write_facility: Writer) -> None:
    fails_with(FacilityFileError, write_facility("[1, 2]"), "expected a JSON object")


def test_not_a_number(write_facility: Writer) -> None:
    fails_with(FacilityFileError, write_facility('{"format": NaN}'), "numbers must be finite")


def test_a_scenario_given_as_a_facility_says_so(write_facility: Writer) -> None:
    # regression: "invalid JSON at line 1, column 1: Expecting value", with no word of what the file was
    fails_with(FacilityFileError, write_facility("# drill\nkind: evacuation\nname: x\n", "drill.yaml"),
               "Expecting value (this looks like a scenario file, in YAML: run it with 'medtwin run'")


def test_a_decimal_comma_is_named(write_facility: Writer, facility_dict: dict[str, Any]) -> None:
    # regression: "Expecting property name enclosed in double quotes", and "expected at most 2 item(s),
    # found 4", with no word of the comma that caused them
    text = json.dumps(facility_dict, indent=1)
    width = f'"width": {facility_dict["doors"][0]["width"]!r}'
    assert width in text
    fails_with(FacilityFileError, write_facility(text.replace(width, '"width": 1,2', 1)),
               "Expecting property name enclosed in double quotes (1,2 looks like a decimal comma: JSON "
               "numbers take a decimal point, 1.2)")
    facility_dict["doors"][0]["at"] = [3, 5, 2, 4]
    fails_with(FacilityFileError, write_facility(facility_dict),
               "field 'at': expected at most 2 item(s), found 4 (decimal commas? JSON numbers take a "
               "decimal point: 3.5, not 3,5)")


# -- other kinds of input ----------------------------------------------------------------------
def _feature(geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _poly(b: Polygon) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(c) for c in b.exterior.coords]]}


def test_geojson_feature_collection(write_facility: Writer) -> None:
    fc = {
        "type": "FeatureCollection",
        "name": "clinic",
        "features": [
            _feature(_poly(box(0, 0, 10, 2)), id="C", level="G", kind="corridor", compartment=None),
            _feature(_poly(box(0, 2, 5, 6)), id="R", level="G", kind="room", use="clinic", beds=1),
            _feature(
                {"type": "Point", "coordinates": [2.5, 2.0]},
                element="door",
                id="D",
                spaces=["C", "R"],
                width=1.2,
            ),
            _feature(
                {"type": "Point", "coordinates": [10.0, 1.0]},
                element="exit",
                id="X",
                space="C",
                width=1.5,
                assembly_point="A",
            ),
            _feature({"type": "Point", "coordinates": [20.0, 1.0]}, element="assembly_point", id="A"),
        ],
    }
    f = load(write_facility(fc, "clinic.geojson"))
    assert f.name == "clinic"
    assert [lv.id for lv in f.levels] == ["G"]
    assert f.space("R").beds == 1 and f.space("C").compartment is None
    assert f.door("D").spaces == ("C", "R")
    assert f.exit("X").assembly_point == "A"
    # The same building through the facility format.
    assert loads(dumps(f)) == f


def test_geojson_errors_name_the_feature(write_facility: Writer) -> None:
    fc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [_feature(_poly(box(0, 0, 10, 2)), id="C", level="G", kind="corridor", beds=-1)],
    }
    fails_with(FacilityFileError, write_facility(fc), 'features[0] (id "C")', "field 'beds'")
    fc["features"].append(_feature({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, id="W"))
    fails_with(FacilityFileError, write_facility(fc), 'features[1] (id "W")', "needs a Polygon geometry")


def test_geojson_on_several_levels_needs_levels(write_facility: Writer) -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            _feature(_poly(box(0, 0, 4, 4)), id="A", level="G", kind="room"),
            _feature(_poly(box(0, 0, 4, 4)), id="B", level="F1", kind="room"),
        ],
    }
    fails_with(FacilityFileError, write_facility(fc), "several levels", "'levels' member")


def test_geojson_in_degrees_is_named_as_degrees(write_facility: Writer) -> None:
    # regression: a QGIS export in EPSG:4326 was read as metres, and every door was "1.2 m wide
    # but the wall it sits in is only 5e-05 m long"
    def lonlat(x: float, y: float) -> list[float]:
        return [13.4 + x * 1e-5, 52.5 + y * 1e-5]

    fc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            _feature({"type": "Polygon",
                      "coordinates": [[lonlat(*c) for c in box(0, 0, 10, 2).exterior.coords]]},
                     id="C", level="G", kind="corridor"),
            _feature({"type": "Point", "coordinates": lonlat(10, 1)}, element="exit", id="X", space="C",
                     width=1.5),
        ],
    }
    fails_with(FacilityFileError, write_facility(fc), "look like longitude/latitude degrees")
    fc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    fails_with(FacilityFileError, write_facility(fc),
               "crs 'urn:ogc:def:crs:OGC:1.3:CRS84' is longitude/latitude")
    # a small building in metres near the origin is not taken for degrees
    fc = {"type": "FeatureCollection",
          "features": [_feature(_poly(box(0, 0, 3, 2)), id="C", level="G", kind="room"),
                       _feature({"type": "Point", "coordinates": [3.0, 1.0]}, element="exit", id="X",
                                space="C", width=0.9)]}
    assert load(write_facility(fc)).space("C").area == 6.0


def test_geojson_space_without_properties_is_named_by_the_schema(write_facility: Writer) -> None:
    # regression: a feature with "properties": null was reported as "spaces are on several levels (None, 'G')"
    fc = {"type": "FeatureCollection",
          "features": [_feature(_poly(box(0, 0, 4, 4)), id="A", level="G", kind="room"),
                       {"type": "Feature", "geometry": _poly(box(4, 0, 8, 4)), "properties": None}]}
    fails_with(FacilityFileError, write_facility(fc),
               "features[1]: missing required fields 'id', 'level', 'kind'")


def _clinic(space_geometry: dict[str, Any], door_at: list[float]) -> dict[str, Any]:
    return {"type": "FeatureCollection",
            "features": [_feature(_poly(box(0, 0, 10, 2)), id="C", level="G", kind="corridor"),
                         _feature(space_geometry, id="R", level="G", kind="room", beds=1),
                         _feature({"type": "Point", "coordinates": door_at}, element="door", id="D",
                                  spaces=["C", "R"], width=1.2),
                         _feature({"type": "Point", "coordinates": [10.0, 1.0]}, element="exit", id="X",
                                  space="C", width=1.5)]}


def test_geojson_multipolygon_of_one_part_and_altitudes_as_gis_export_them(write_facility: Writer) -> None:
    # regression: QGIS layers store each polygon as a MultiPolygon, often with z: "a space needs a
    # Polygon geometry, found MultiPolygon", and "field 'at': expected at most 2 item(s), found 3"
    ring = [[x, y, 35.5] for x, y in box(0, 2, 5, 6).exterior.coords]
    f = load(write_facility(_clinic({"type": "MultiPolygon", "coordinates": [[ring]]}, [2.5, 2.0, 35.5]),
                            "clinic.geojson"))
    assert f.space("R").area == 20.0 and f.door("D").at == (2.5, 2.0)


def test_geojson_multipolygon_of_two_parts_is_refused(write_facility: Writer) -> None:
    parts = [_poly(box(0, 2, 5, 6))["coordinates"], _poly(box(6, 2, 9, 6))["coordinates"]]
    fails_with(FacilityFileError, write_facility(_clinic({"type": "MultiPolygon", "coordinates": parts},
                                                         [2.5, 2.0])),
               'features[1] (id "R"): a space is one floor area; found a MultiPolygon of 2 parts')


def test_geojson_polygon_without_coordinates_says_so(write_facility: Writer) -> None:
    # regression: "a space needs a Polygon geometry, found Polygon"
    fails_with(FacilityFileError, write_facility(_clinic({"type": "Polygon", "coordinates": []}, [2.5, 2.0])),
               'features[1] (id "R"): a space needs a Polygon with an outline ring, found a Polygon with no '
               "coordinates")


def test_build_from_shapely_objects(tiny_facility: Facility) -> None:
    data: dict[str, Any] = {
        "name": "shapely",
        "levels": [{"id": "G"}],
        "spaces": [
            {"id": "C", "level": "G", "kind": "corridor", "polygon": box(0, 0, 10, 2)},
            {"id": "R", "level": "G", "kind": "room", "polygon": box(0, 2, 5, 6).difference(box(2, 3, 3, 4))},
        ],
        "doors": [{"id": "D", "spaces": ("C", "R"), "at": Point(2.5, 2.0), "width": 1.2}],
        "exits": [{"id": "X", "space": "C", "at": Point(10, 1), "width": 1.5}],
    }
    f = build(data)
    assert f.space("R").area == pytest.approx(19.0)
    assert len(f.space("R").polygon.interiors) == 1
    assert f.door("D").at == (2.5, 2.0)
    assert build(to_dict(tiny_facility)) == tiny_facility
    assert build(tiny_facility) is tiny_facility


def test_build_from_sections_keyed_by_id() -> None:
    f = build(
        {
            "name": "keyed",
            "levels": {"G": {"name": "ground"}},
            "spaces": {
                "C": {"level": "G", "kind": "corridor", "polygon": box(0, 0, 10, 2)},
                "R": {"level": "G", "kind": "room", "polygon": box(0, 2, 5, 6), "beds": 2},
            },
            "doors": {"D": {"spaces": ["C", "R"], "at": Point(2.5, 2), "width": 1.2}},
            "exits": {"X": {"space": "C", "at": Point(10, 1), "width": 1.5}},
        },
        source="python",
    )
    assert [s.id for s in f.spaces] == ["C", "R"] and f.level("G").name == "ground"
    with pytest.raises(FacilityFileError, match=r"python: spaces\['C'\]: .* without 'id'"):
        build({"name": "x", "levels": [{"id": "G"}], "spaces": {"C": box(0, 0, 1, 1)}}, source="python")


def test_build_rejects_other_geometry() -> None:
    data = {
        "name": "x",
        "levels": [{"id": "G"}],
        "spaces": [{"id": "R", "level": "G", "kind": "room", "polygon": box(0, 0, 1, 1).boundary}],
    }
    with pytest.raises(FacilityFileError, match=r'spaces\[0\] \(id "R"\): field \'polygon\''):
        build(data, source="plan")


def test_build_without_validation_returns_an_invalid_facility() -> None:
    data = {
        "name": "x",
        "levels": [{"id": "G"}],
        "spaces": [{"id": "R", "level": "G", "kind": "room", "polygon": [[0, 0], [1, 0], [1, 1]]}],
    }
    f = build(data, validate=False)
    assert any("no final exits" in i.message for i in validate(f))
    with pytest.raises(FacilityValidationError, match="no final exits"):
        build(data)


def test_files_are_plain_json(tiny_facility: Facility) -> None:
    data = json.loads(dumps(tiny_facility))
    assert data["format"] == FORMAT
    assert data["spaces"][0]["polygon"] == [[20.0, 0.0], [20.0, 2.0], [0.0, 2.0], [0.0, 0.0]]


def test_saved_file_has_ordinary_permissions(tmp_path: Path, tiny_facility: Facility) -> None:
    import os
    import stat

    umask = os.umask(0o022)
    try:
        save(tiny_facility, tmp_path / "f.json")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "f.json").stat().st_mode) == 0o644


@pytest.mark.parametrize(("text", "said"), [
    ("", "found nothing (an empty document)"),
    (" \n", "found nothing (an empty document)"),
    ("null", "found null"),
    ("[]", "found array"),
])
def test_not_an_object_is_named_in_json_words(write_facility: Writer, text: str, said: str) -> None:
    message = fails_with(FacilityFileError, write_facility(text), said)
    assert "NoneType" not in message and "list" not in message
