"""Levers: paths into a scenario, their values, grids and Latin hypercube samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.base import Kind
from scenarios.errors import ScenarioFileError
from scenarios.levers import apply_levers, check_lever, grid, latin_hypercube, parse_vary
from tests.scenarios.kinds import toy


def test_unknown_lever_is_named_with_what_is_there(toy_kind: Kind) -> None:
    with pytest.raises(ScenarioFileError, match=r"--vary: lever\.cuont: unknown lever: lever has no "
                       r"'cuont'; it has \['count', 'level'\]"):
        check_lever(toy(), "lever.cuont")
    with pytest.raises(ScenarioFileError, match="not a lever"):
        check_lever(toy(), "seed")
    with pytest.raises(ScenarioFileError, match=r"fail_on has no item \[0\]"):
        check_lever(toy(), "fail_on[0]")
    # A value is not a section: 'lever.count.x' had said "lever.count has no 'x'; it has []".
    with pytest.raises(ScenarioFileError, match=r"lever\.count is a value \(3\), not a section with 'x'"):
        check_lever(toy(), "lever.count.x")


def test_a_lever_inside_a_section_the_scenario_leaves_out_says_so() -> None:
    """'--vary hazard.gas.species' on a fire-only drill said "hazard.gas has no 'species'; it has []"."""
    from pathlib import Path

    from scenarios.loader import load

    library = Path(__file__).resolve().parents[2] / "scenarios" / "library"
    fire = load(library / "sample_hospital_ward_fire.yaml")
    with pytest.raises(ScenarioFileError, match=r"hazard\.gas is not given in the scenario, so it has no "
                       r"'species' to vary"):
        check_lever(fire, "hazard.gas.species")


def test_bad_value_names_the_lever_and_the_value(toy_kind: Kind) -> None:
    with pytest.raises(ScenarioFileError, match=r"lever\.count: the variant lever\.count=0 is not a valid"):
        apply_levers(toy(), {"lever.count": 0})
    varied = apply_levers(toy(), {"lever.count": 5, "lever.level": 2.5})
    assert varied.lever.count == 5 and varied.lever.level == 2.5  # type: ignore[attr-defined]
    assert varied.seed == toy().seed


def test_vary_options(tmp_path: Path) -> None:
    assert parse_vary("a.b=4,5,6") == ("a.b", [4, 5, 6])
    assert parse_vary("a.b=1:3") == ("a.b", [1, 2, 3])
    assert parse_vary("a.b=0.5:1.0:0.25") == ("a.b", [0.5, 0.75, 1.0])
    assert parse_vary("facility=sample,x.json", tmp_path) == ("facility", ["sample",
                                                                           str(tmp_path / "x.json")])
    for bad in ("a.b", "=1", "a.b=", "a..b=1", "a.b=1,1"):
        with pytest.raises(ScenarioFileError, match="--vary"):
            parse_vary(bad)


@pytest.mark.parametrize(("option", "problem"), [
    ("resources.desk.count=010,011", "octal number 8"),  # was run as 8 and 9
    ("resources.desk.count=08:12", "leading zero"),
    ("resources.desk.count=" + "9" * 5000, "5000 digits"),  # was an internal error
])
def test_a_vary_value_is_read_as_a_scenario_file_reads_it(option: str, problem: str) -> None:
    with pytest.raises(ScenarioFileError, match=problem) as err:
        parse_vary(option)
    assert str(err.value).startswith("--vary: resources.desk.count:")


def test_a_vary_clock_time_stays_text() -> None:
    """YAML 1.1 reads 14:00 as 840 (base 60)."""
    assert parse_vary("start=14:00,15:30") == ("start", ["14:00", "15:30"])


def test_grid_is_the_full_product() -> None:
    g = grid({"a": [1, 2, 3], "b": ["x", "y"]})
    assert len(g) == 6 and len({tuple(d.items()) for d in g}) == 6


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), lo=st.integers(0, 5), width=st.integers(0, 10), seed=st.integers(0, 2**32))
def test_latin_hypercube_uses_every_stratum_once(n: int, lo: int, width: int, seed: int) -> None:
    ranges = {"x": {"from": 0.0, "to": 1.0}, "k": {"from": lo, "to": lo + width, "integer": True}}
    pts = latin_hypercube(ranges, n, seed)
    x = np.array([p["x"] for p in pts])
    assert sorted(np.floor(x * n).astype(int).tolist()) == list(range(n))  # one point per stratum
    assert all(lo <= p["k"] <= lo + width and isinstance(p["k"], int) for p in pts)
    assert pts == latin_hypercube(ranges, n, seed)
