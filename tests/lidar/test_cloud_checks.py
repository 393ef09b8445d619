"""A cloud that cannot be a building (NaN, flat, implausible, in another unit) is named, with the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lidar.cloud_checks import check_cloud
from lidar.errors import ScanFileError
from lidar.readers import read


def test_nan_and_flat_clouds(tmp_path: Path) -> None:
    nan = np.array([[0.0, 0, 0], [1.0, np.nan, 2.0], [3.0, 3, 3]])
    f = tmp_path / "nan.xyz"
    f.write_text("\n".join(" ".join(map(str, p)) for p in nan))
    with pytest.raises(ScanFileError, match="NaN or infinite"):
        read(f)
    flat = np.array([[0.0, 0, 0], [5.0, 4, 0.2]])
    with pytest.raises(ScanFileError, match="no vertical extent"):
        check_cloud(flat, "flat.ply")


def test_units_are_judged_from_the_bulk_and_named(tmp_path: Path, rng: np.random.Generator) -> None:
    storey = rng.uniform([0, 0, 0], [30.0, 20.0, 3.0], size=(2000, 3))
    with pytest.raises(ScanFileError, match="looks like centimetres; pass --units cm"):
        check_cloud(storey * 100, "cm.ply")
    with pytest.raises(ScanFileError, match="looks like millimetres; pass --units mm"):
        check_cloud(storey * 1000, "mm.ply")
    with pytest.raises(ScanFileError, match="looks like metres; pass --units m"):
        check_cloud(storey / 100, "m.ply", units="cm")
    check_cloud(storey, "m.ply")


def test_outliers_are_named_as_implausible_not_as_a_unit(rng: np.random.Generator) -> None:
    storey = rng.uniform([0, 0, 0], [30.0, 20.0, 3.0], size=(2000, 3))
    corrupt = storey.copy()
    corrupt[7] = [1e300, 0.0, 0.0]
    with pytest.raises(ScanFileError, match=r"1 point\(s\) have implausible coordinates .* index 7") as err:
        check_cloud(corrupt, "x.ply")
    assert "units" not in str(err.value) and len(str(err.value)) < 300
    stray = storey.copy()
    stray[3] = [4000.0, 0.0, 1.0]
    with pytest.raises(ScanFileError, match=r"lie more than 100 m beyond the bulk .* index 3"):
        check_cloud(stray, "x.ply")


@settings(max_examples=60, deadline=None)
@given(width=st.floats(5.0, 300.0), depth=st.floats(5.0, 300.0), height=st.floats(2.2, 8.0),
       unit=st.sampled_from(["m", "cm", "mm"]))
def test_any_storey_in_any_unit_is_recognised(width: float, depth: float, height: float, unit: str) -> None:
    from lidar.cloud_checks import _looks_like
    from lidar.options import UNIT_SCALE

    span_read_as_metres = np.array([width, depth, height]) / UNIT_SCALE[unit]
    assert _looks_like(span_read_as_metres, "m") == unit
