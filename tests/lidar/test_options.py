"""Options are checked at once, with messages naming the field and what was expected."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from lidar.errors import ScanOptionError
from lidar.options import ExtractOptions


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("units", "ft", "one of"),
        ("voxel", 0.0, "> 0"),
        ("voxel", float("nan"), "finite"),
        ("wall_band", (1.9, 1.0), "low < high"),
        ("lintel_band_start", 1.5, "above the wall band"),
        ("door_max_width", 0.5, "> door_min_width"),
        ("wall_min_fill", 1.5, "in (0, 1]"),
        ("cell", -1.0, ">= 0"),
        ("side_door_max_width", 0.5, "> side_door_min_width"),
        ("side_partition_probe", 0.5, ">= side_partition_min_length"),
        ("side_room_min_width", 0.0, "> 0"),
    ],
)
def test_bad_values_name_the_field(field: str, value: Any, expected: str) -> None:
    changes: dict[str, Any] = {field: value}
    with pytest.raises(ScanOptionError, match=field) as err:
        replace(ExtractOptions(), **changes)
    assert expected in str(err.value)


def test_units_scale() -> None:
    assert ExtractOptions(units="mm").scale == 0.001
    assert ExtractOptions().scale == 1.0


@pytest.mark.parametrize("name", ["voxel", "cell"])
def test_a_voxel_or_cell_too_coarse_for_the_narrowest_door_is_named(name: str) -> None:
    """A 5 m voxel left one point per 5 m cube and the scan was called 'no storey found ... in metres?'."""
    with pytest.raises(ScanOptionError, match=rf"option '{name}' must be <= 0.3 m \(half of door_min_width"):
        ExtractOptions(**{name: 0.31})
    assert getattr(ExtractOptions(**{name: 0.3}), name) == 0.3
