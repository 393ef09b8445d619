"""Fixtures for facility tests: the tiny building as an editable file dict, and a file writer."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from facility.io import to_dict
from facility.model import Facility

#: The repository root (tests/facility/conftest.py -> ../..).
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def facility_dict(tiny_facility: Facility) -> dict[str, Any]:
    """A fresh copy of the tiny facility as a file dict, for a test to break."""
    return copy.deepcopy(to_dict(tiny_facility))


@pytest.fixture
def write_facility(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Write a dict (as JSON) or a string to ``tmp_path / name`` and return the path."""

    def write(data: Any, name: str = "facility.json") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), encoding="utf-8")
        return path

    return write
