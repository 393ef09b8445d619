"""Openings in the envelope: found by walking the outer ring, measured between their jambs."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from facility.model import Exit, Space
from lidar.envelope_gaps import Gap, Surroundings, envelope_gaps, gap_at, measured
from lidar.options import ExtractOptions

from .conftest import GAPPED_CELL, gapped_room


def _ring(spaces: list[Space]) -> LineString:
    return LineString(shapely.orient_polygons(spaces[0].polygon).exterior.coords)


def _walk(spaces: list[Space], env: Surroundings) -> tuple[list[Gap], list[tuple[np.ndarray, float, str]]]:
    rejected: list[tuple[np.ndarray, float, str]] = []
    gaps = envelope_gaps(_ring(spaces), env, ExtractOptions(), rejected)
    tree = cKDTree(env.band_points)
    return [measured(g, tree, env.band_points) for g in gaps], rejected


def test_a_gap_between_jambs_is_one_opening_measured_between_their_faces() -> None:
    spaces, env = gapped_room("nothing")
    (g,), rejected = _walk(spaces, env)
    assert rejected == []
    assert math.dist(g.centre, (5.25, 2.0)) < 0.1 and abs(g.width - 1.5) <= 0.1
    assert g.floor_seen >= 0.5 and g.lintel >= 0.5 and not g.grazing
    assert np.allclose(g.outward, (0.0, -1.0))  # out of the room, across its south wall


def test_a_mullion_does_not_split_an_opening() -> None:
    spaces, env = gapped_room("nothing", gap=(4.0, 6.4), lintel=False, mullion=5.2)
    (g,), _ = _walk(spaces, env)
    assert abs(g.width - 2.4) <= 0.1 and g.lintel < 0.5


def test_a_wall_whose_floor_was_never_seen_is_no_opening_and_not_reported() -> None:
    spaces, env = gapped_room("nothing")
    blind = env.floor.copy()
    blind[:60, :] = False
    assert _walk(spaces, replace(env, floor=blind)) == ([], [])


def test_a_wall_foot_standing_in_the_line_is_no_opening_and_is_reported_with_why() -> None:
    spaces, env = gapped_room("nothing")
    yy, xx = (np.mgrid[0:200, 0:200] + 0.5) * GAPPED_CELL
    foot = env.low | ((np.abs(yy - 2) < 0.08) & (xx > 4.5) & (xx < 6.0))
    gaps, rejected = _walk(spaces, replace(env, low=foot))
    assert gaps == []
    ((centre, length, why),) = rejected
    assert math.dist(centre, (5.25, 2.0)) < 0.2 and 1.3 < length < 1.8
    assert why == "something stands in its line below 0.9 m"


def test_an_opening_found_by_the_door_detector_is_placed_on_the_envelope_unless_blocked() -> None:
    spaces, env = gapped_room("nothing")
    envelope = _ring(spaces)
    found = Exit(id="x", space="R", at=(5.25, 2.05), width=1.5)
    g = gap_at(envelope, found, env)
    assert g is not None and math.dist(g.centre, (5.25, 2.0)) < 1e-6 and g.width == 1.5
    yy, xx = (np.mgrid[0:200, 0:200] + 0.5) * GAPPED_CELL
    foot = env.low | ((np.abs(yy - 2) < 0.08) & (xx > 4.5) & (xx < 6.0))
    assert gap_at(envelope, found, replace(env, low=foot)) is None
