"""The sample hospital: valid, believable, and inside the evacuation limits it claims."""

from __future__ import annotations

import importlib
import itertools
import re
import time

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facility import BED, STAFF, Facility, SpaceKind, distance_matrix, route, service_distances
from facility.graph import door_node
from facility.io import dumps
from facility.sample import SampleOptions, sample
from facility.validate import validate

# The package re-exports the function ``sample`` under the submodule's name.
sample_module = importlib.import_module("facility.sample")
WARD_USES = ("ward_bay", "ward_single")
VARIANTS = [
    SampleOptions(),
    SampleOptions(ward_levels=1),
    SampleOptions(wards_per_level=3),
    SampleOptions(beds_per_ward=20, icu_beds=7, theatres=2, ct=1, xray=0, mri=0),
]


def _ward_levels(f: Facility) -> list[str]:
    return sorted({s.level for s in f.spaces if s.use in WARD_USES})


def _errors(f: Facility) -> list[str]:
    return [str(i) for i in validate(f) if i.severity == "error"]


@pytest.mark.parametrize("options", VARIANTS,
                         ids=lambda o: f"{o.ward_levels}x{o.wards_per_level}x{o.beds_per_ward}")
def test_variants_validate_without_errors_or_warnings(options: SampleOptions) -> None:
    f = sample(options)
    assert [str(i) for i in validate(f)] == []
    assert f.metadata["ward_beds"] == options.ward_levels * options.wards_per_level * options.beds_per_ward
    assert f.metadata["icu_beds"] == options.icu_beds
    assert len(f.spaces_with_use("ct")) == options.ct
    assert len(f.spaces_with_use("theatre")) == options.theatres == len(f.spaces_with_use("anaesthetic"))


def test_default_headline_figures() -> None:
    f = sample()
    assert len(f.levels) == 4
    ward_beds = sum(s.beds for s in f.spaces if s.use in WARD_USES)
    assert ward_beds == 2 * 2 * 28 == f.metadata["ward_beds"]
    assert sum(s.beds for s in f.spaces_with_use("icu")) == 12
    scanners = [len(f.spaces_with_use(use)) for use in ("ct", "xray", "mri")]
    assert scanners == [2, 2, 1]
    assert len(f.spaces_with_use("theatre")) == 4
    assert len(f.stairs) >= 2 and len(f.lifts) >= 2
    assert any(lf.evacuation_lift for lf in f.lifts)
    assert all(lf.bed_lift and lf.car_width >= 1.8 and lf.car_depth >= 2.7 for lf in f.lifts)
    assert {"X-MAIN", "X-ED-AMB", "X-STAIR-W", "X-STAIR-E"} <= {e.id for e in f.exits}
    assert all(e.assembly_point in {a.id for a in f.assembly_points} for e in f.exits)
    # Bays hold 4-6 beds; every ward has single rooms, a nurses' station and a day room.
    assert all(4 <= s.beds <= 6 for s in f.spaces_with_use("ward_bay"))
    assert all(s.beds == 1 for s in f.spaces_with_use("ward_single"))
    assert len(f.spaces_with_use("nurse_station")) >= 4 and len(f.spaces_with_use("day_room")) == 4


def test_geometry_tiles_exactly() -> None:
    f = sample()
    for lv in f.levels:
        spaces = f.spaces_on(lv.id)
        union = f.level_outline[lv.id]
        # No overlaps: the areas add up to the union, which is one rectangle.
        assert sum(s.area for s in spaces) == pytest.approx(union.area, abs=1e-6)
        assert union.equals(shapely.box(*union.bounds))
        for a, b in itertools.combinations(spaces, 2):
            assert a.polygon.intersection(b.polygon).area < 1e-9, (a.id, b.id)


def test_doors_sit_on_their_shared_wall_and_are_wide_enough() -> None:
    f = sample()
    for d in f.doors:
        a, b = (f.space(s) for s in d.spaces)
        wall = a.polygon.boundary.intersection(b.polygon.boundary)
        assert wall.distance(d.point) < 1e-9, d.id
        assert wall.length >= d.width - 1e-9, d.id
        assert wall.buffer(1e-6).covers(f.door_segment(d)), d.id
    # Doors into bed spaces and clinical rooms take a bed; staff-only doors are 0.9-1.0 m.
    for s in f.spaces:
        widths = [d.width for d in f.doors_of[s.id]]
        if s.beds or s.use in ("ct", "xray", "mri", "theatre", "ed_triage", "day_room"):
            assert max(widths) >= 1.2, s.id
        if s.use in ("office", "staff_room", "store"):
            assert all(0.9 <= w <= 1.0 for w in widths), s.id


def test_exits_on_external_walls_and_cores_stacked() -> None:
    f = sample()
    for e in f.exits:
        level = f.space(e.space).level
        assert f.level_outline[level].exterior.distance(e.point) < 1e-9, e.id
        assert f.level(level).elevation == 0.0
    links = {x.id: x.spaces for x in f.stairs} | {x.id: x.spaces for x in f.lifts}
    for link, ids in links.items():
        spaces = [f.space(s) for s in ids]
        assert [s.level for s in spaces] == [lv.id for lv in f.levels], link
        assert all(s.polygon.equals(spaces[0].polygon) for s in spaces), link
    for stair in f.stairs:
        assert stair.width == pytest.approx(1.5)
        assert stair.flight_length == pytest.approx(2.4 * 4.2)


def test_compartments_meet_nfpa_101_limits() -> None:
    f = sample()
    areas = {c: sum(f.space(s).area for s in ids) for c, ids in f.compartments.items()}
    assert max(areas.values()) <= 2100.0
    for lv in _ward_levels(f):
        comps = {s.compartment for s in f.spaces_on(lv) if s.compartment}
        assert len(comps) >= 2, lv
    # >= 2.8 m^2 per bed patient in each neighbouring compartment's corridor and day room alone.
    neighbours = nx.Graph()
    for d in f.doors:
        if d.smoke_door:
            neighbours.add_edge(*(f.space(s).compartment for s in d.spaces))
    for comp, ids in f.compartments.items():
        beds = sum(f.space(s).beds for s in ids)
        if not beds:
            continue
        assert comp in neighbours, comp
        for other in neighbours[comp]:
            refuge = sum(f.space(s).area for s in f.compartments[other]
                         if f.space(s).use in ("corridor", "day_room"))
            assert refuge >= 2.8 * beds, (comp, other, refuge, beds)


def test_every_ward_bed_within_61_m_of_a_smoke_barrier_door() -> None:
    f = sample()
    beds = [s.id for s in f.spaces if s.use in WARD_USES]
    smoke = [door_node(d.id) for d in f.doors if d.smoke_door]
    lengths = distance_matrix(f, beds, smoke, mobility=BED).min(axis=1)
    assert np.all(np.isfinite(lengths))
    assert lengths.max() <= 61.0
    assert lengths.min() > 0.0


def test_bed_route_from_every_ward_bed_to_icu_uses_lifts_never_stairs() -> None:
    f = sample()
    icu = f.spaces_with_use("icu")[0].id
    for s in f.spaces:
        if s.use in WARD_USES:
            r = route(f, s.id, icu, mobility=BED)
            assert r.lifts and not r.stairs, s.id
            assert 0.0 < r.length < 200.0
            assert r.time > r.length / BED.speed  # lift travel and doors add time


def test_ed_to_ct_walking_distance_is_plausible() -> None:
    f = sample()
    d = service_distances(f, ["ed_triage", "ed_resus", "ct"], mobility=STAFF)
    # Imaging next to the ED: a trolley run of 20-120 m is what planners aim for.
    assert 20.0 <= d[("ed_triage", "ct")] <= 120.0
    assert 20.0 <= d[("ed_resus", "ct")] <= 120.0
    assert d[("ed_triage", "ct")] == pytest.approx(d[("ct", "ed_triage")])


def test_air_changes_follow_ashrae_170() -> None:
    f = sample()
    expected = {"ward_bay": {4.0}, "icu": {6.0, 12.0}, "theatre": {20.0}, "corridor": {2.0},
                "ed_waiting": {12.0}, "imaging_waiting": {12.0}, "ed_isolation": {12.0}}
    for use, values in expected.items():
        assert {s.air_changes for s in f.spaces_with_use(use)} == values, use
    assert any(s.air_changes == 12.0 for s in f.spaces_with_use("ward_single"))


def test_use_vocabulary_is_documented() -> None:
    doc = sample_module.__doc__ or ""
    documented = set(re.findall(r"^([a-z_]+(?:, [a-z_]+)*)\s{2,}", doc, flags=re.M))
    names = {name for row in documented for name in row.split(", ")}
    assert sample().uses <= names


def test_staff_reach_an_exit_from_every_space_and_beds_from_every_bed_space() -> None:
    from facility.routing import nearest_exit_lengths

    f = sample()
    staff = nearest_exit_lengths(f, mobility=STAFF)
    bed = nearest_exit_lengths(f, mobility=BED)
    assert all(np.isfinite(v) for v in staff.values())
    assert all(np.isfinite(bed[s.id]) for s in f.spaces if s.beds)
    assert all(f.space(s).kind is not SpaceKind.STAIR or staff[s] >= 0 for s in staff)


def test_deterministic_cached_and_fast() -> None:
    assert sample() is sample(SampleOptions())
    start = time.perf_counter()
    fresh = sample_module._build(SampleOptions())
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert dumps(fresh) == dumps(sample())


@pytest.mark.parametrize(("field", "value"), [
    ("ward_levels", 0), ("wards_per_level", 1), ("beds_per_ward", 2), ("beds_per_ward", 2.5),
    ("icu_beds", -1), ("theatres", 0), ("ct", 9), ("corridor_width", 1.0), ("bed_door_width", 1.0),
    ("storey_height", 2.0), ("ward_levels", True), ("corridor_width", float("nan")),
])
def test_bad_options_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        SampleOptions(**{field: value})  # type: ignore[arg-type]


def test_options_that_break_a_limit_are_refused() -> None:
    with pytest.raises(ValueError, match="bed_door_width"):
        SampleOptions(corridor_width=1.9, bed_door_width=2.0)
    with pytest.raises(ValueError, match="ceiling_height"):
        SampleOptions(storey_height=3.0, ceiling_height=3.0)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.builds(SampleOptions, ward_levels=st.integers(1, 3), wards_per_level=st.integers(2, 4),
                 beds_per_ward=st.integers(4, 36), icu_beds=st.integers(1, 40), theatres=st.integers(1, 12),
                 ct=st.integers(0, 6), xray=st.integers(0, 6), mri=st.integers(0, 4),
                 corridor_width=st.floats(1.8, 4.0), room_depth=st.floats(5.0, 12.0)))
def test_any_reasonable_options_give_a_valid_hospital(o: SampleOptions) -> None:
    f = sample(o)
    # No errors and no warnings: long departments are split into more compartments,
    # so every occupied space stays within 61 m of a smoke-barrier door.
    assert [str(i) for i in validate(f)] == []
    assert f.metadata["ward_beds"] == o.ward_levels * o.wards_per_level * o.beds_per_ward
    assert f.metadata["icu_beds"] == o.icu_beds
    assert len(f.levels) == o.ward_levels + 2
    assert all(sum(f.space(s).area for s in ids) <= 2100.0 for ids in f.compartments.values())
