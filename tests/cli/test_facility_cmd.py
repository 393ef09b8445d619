"""``medtwin sample`` / ``facility validate`` / ``facility show`` end to end in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image
import pytest

from facility.io import load
from facility.sample import sample
from scenarios.cli import main


@pytest.fixture(scope="module")
def hospital(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default sample written once by the command itself."""
    out = tmp_path_factory.mktemp("cli") / "hospital.json"
    assert main(["sample", "--out", str(out)]) == 0
    return out


def test_sample_writes_a_loadable_copy_of_the_sample(hospital: Path) -> None:
    assert load(hospital) == sample()


def test_sample_options_reach_the_builder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "small.json"
    assert main(["sample", "--out", str(out), "--ward-levels", "1", "--beds-per-ward", "20",
                 "--ct", "1"]) == 0
    f = load(out)
    assert len(f.levels) == 3 and f.metadata["ward_beds"] == 2 * 20
    assert len(f.spaces_with_use("ct")) == 1
    assert f"wrote {out}" in capsys.readouterr().out


def test_sample_bad_option_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.json"
    assert main(["sample", "--out", str(out), "--beds-per-ward", "100"]) == 2
    # the flag the user typed, not the Python field behind it ('beds_per_ward')
    err = capsys.readouterr().err
    assert err == "error: sample options: --beds-per-ward must be a number in [4, 36], got 100\n"
    assert not out.exists()


def test_validate_prints_counts(hospital: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["facility", "validate", str(hospital)]) == 0
    out = capsys.readouterr().out
    counts = sample().summary()
    for key in ("levels", "beds", "smoke_doors", "exits", "compartments"):
        assert any(line.split() == [key, str(counts[key])] for line in out.splitlines()), key
    assert f"{hospital}: valid (0 warning(s))" in out


def test_validate_prints_warnings(hospital: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(hospital.read_text())
    for stair in data["stairs"]:
        stair["width"] = 0.7  # legal, but narrower than any evacuation stair should be
    warned = tmp_path / "narrow.json"
    warned.write_text(json.dumps(data))
    assert main(["facility", "validate", str(warned)]) == 0
    out = capsys.readouterr().out
    assert "warning: stair S-W" in out and "warning: stair S-E" in out
    assert "valid (2 warning(s))" in out


def test_validate_broken_file_names_file_and_element(hospital: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(hospital.read_text())
    moved = next(d for d in data["doors"] if d["id"] == "D-L2-W1-BAY1")
    moved["at"] = [moved["at"][0], 40.0]
    data["spaces"] = [s for s in data["spaces"] if s["id"] != "L0-PHARMACY"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    assert main(["facility", "validate", str(broken)]) == 2
    out, err = capsys.readouterr()
    # Every problem listed on stdout, one per line; one line on stderr.
    assert f"{broken}: error: door D-L2-W1-BAY1" in out
    assert "L0-PHARMACY" in out
    assert err.count("\n") == 1 and err.startswith(f"error: {broken}: facility is invalid (2 problem(s))")


def test_validate_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    assert main(["facility", "validate", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err
    assert main(["facility", "validate", str(tmp_path / "missing.json")]) == 2


def test_show_png_every_level(hospital: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.png"
    assert main(["facility", "show", str(hospital), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = matplotlib.image.imread(out).shape
    assert width >= 1600 and height > width / 2  # four panels stacked
    one = tmp_path / "ground.png"
    assert main(["facility", "show", str(hospital), "--out", str(one), "--level", "L0"]) == 0
    assert matplotlib.image.imread(one).shape[0] < height / 2


def test_show_html_is_self_contained(hospital: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.html"
    assert main(["facility", "show", str(hospital), "--out", str(out)]) == 0
    text = out.read_text()
    assert text.count("Plotly.newPlot") == 4
    assert "L3 Level 3 wards" in text and "L0 Ground" in text
    assert 'src="https://cdn' not in text  # plotly.js embedded: works offline
    one = tmp_path / "l1.html"
    assert main(["facility", "show", str(hospital), "--out", str(one), "--level", "L1"]) == 0
    assert one.read_text().count("Plotly.newPlot") == 1


def test_show_refuses_unknown_format_and_level(hospital: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["facility", "show", str(hospital), "--out", str(tmp_path / "plan.svg")]) == 2
    err = capsys.readouterr().err
    assert "plan.svg" in err and ".png" in err and ".html" in err
    assert main(["facility", "show", str(hospital), "--out", str(tmp_path / "p.png"), "--level", "L9"]) == 2
    err = capsys.readouterr().err
    assert "L9" in err and "L0, L1, L2, L3" in err
    assert not (tmp_path / "plan.svg").exists() and not (tmp_path / "p.png").exists()
