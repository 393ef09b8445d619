"""Voxel thinning keeps exactly one measured point per voxel; isolated returns go."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lidar.preprocess import (
    bounds,
    point_spacing,
    remove_isolated,
    sorted_unique,
    voxel_downsample,
    voxel_keys,
)

coords = arrays(np.float64, st.tuples(st.integers(1, 300), st.just(3)),
                elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False))


@settings(max_examples=40, deadline=None)
@given(coords, st.floats(0.01, 2.0))
def test_one_point_per_occupied_voxel(points: np.ndarray, voxel: float) -> None:
    out = voxel_downsample(points, voxel)
    assert len(np.unique(voxel_keys(out, voxel))) == len(out) == len(np.unique(voxel_keys(points, voxel)))
    # Kept points are measured points, not voxel centres.
    assert {tuple(p) for p in out} <= {tuple(p) for p in points}


def test_isolated_points_removed_surfaces_kept(rng: np.random.Generator) -> None:
    xs, zs = np.meshgrid(np.arange(0, 4, 0.03), np.arange(0, 2.5, 0.03))
    wall = np.column_stack([xs.ravel(), np.zeros(xs.size), zs.ravel()])
    stray = rng.uniform([10, 10, 0], [20, 20, 3], size=(30, 3))
    out = remove_isolated(np.vstack([wall, stray]), 0.2, 3)
    assert len(out) >= 0.97 * len(wall)
    assert (out[:, 0] < 5).all()


def test_spacing_of_a_lattice() -> None:
    g = np.stack(np.meshgrid(np.arange(40.0), np.arange(40.0), [0.0]), -1).reshape(-1, 3) * 0.05
    assert abs(point_spacing(g) - 0.05) < 1e-9


def test_sorted_unique_matches_numpy(rng: np.random.Generator) -> None:
    v = rng.integers(0, 50, 1000)
    assert np.array_equal(sorted_unique(v), np.unique(v))


@settings(max_examples=60, deadline=None)
@given(coords, st.floats(0.01, 2.0), st.booleans())
def test_thinning_keeps_the_first_point_read_in_each_voxel(points: np.ndarray, voxel: float,
                                                           wide: bool) -> None:
    """The packed sort (clouds of a building's extent) and the stable-argsort fallback (a cloud
    spanning close to a million voxels on every axis, too wide to pack) both keep each voxel's
    first point and count cubes exactly as a row-wise np.unique of the voxel indices does."""
    if wide:
        points, voxel = points * 1e4, 1.0 + voxel / 2
    ijk = np.floor(points / voxel).astype(np.int64)
    _, first, inverse, counts = np.unique(ijk, axis=0, return_index=True, return_inverse=True,
                                          return_counts=True)
    assert np.array_equal(voxel_downsample(points, voxel), points[np.sort(first)])
    assert np.array_equal(remove_isolated(points, voxel, 2), points[counts[inverse.ravel()] >= 2])


@settings(max_examples=40, deadline=None)
@given(coords)
def test_bounds_are_the_least_and_greatest_coordinates(points: np.ndarray) -> None:
    low, high = bounds(points)
    assert np.array_equal(low, points.min(axis=0)) and np.array_equal(high, points.max(axis=0))
