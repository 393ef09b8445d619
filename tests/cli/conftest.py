"""Fixtures shared by the command tests: a short copy of a shipped scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"


def short_library_scenario(folder: Path, name: str, *, length_min: int, as_name: str) -> Path:
    """A copy of a shipped operations scenario whose run is cut to ``length_min`` minutes."""
    text = (LIBRARY / name).read_text()
    short = text.replace("length: 1140", f"length: {length_min}")
    assert short != text, f"{name} no longer has 'length: 1140': the shortened copy would run in full"
    p = folder / as_name
    p.write_text(short)
    return p


@pytest.fixture
def short_nelson(tmp_path: Path) -> Path:
    """The Nelson treatment centre cut to 4 hours."""
    return short_library_scenario(tmp_path, "nelson_treatment_centre.yaml", length_min=240,
                                  as_name="nelson.yaml")
