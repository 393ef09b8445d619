"""Same scenario, same seed, same results: in process, in a loky pool, on a Dask cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

import scenarios

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"


def _short_nelson() -> scenarios.ScenarioBase:
    text = (LIBRARY / "nelson_treatment_centre.yaml").read_text()
    text = text.replace("length: 1140", "length: 300")
    sc = scenarios.loads(text, "nelson_short.yaml")
    return sc.model_copy(update={"replications": 3})


def _kpis(res: scenarios.Results) -> list[dict[str, float]]:
    return [dict(r.kpis) for r in res.replications]


@pytest.fixture(scope="module")
def local_results() -> scenarios.Results:
    return scenarios.run(_short_nelson(), backend="local")


def test_loky_matches_local(local_results: scenarios.Results) -> None:
    res = scenarios.run(_short_nelson(), backend="loky", n_jobs=2)
    assert _kpis(res) == _kpis(local_results)
    assert res.kpis == local_results.kpis


@pytest.mark.slow
def test_dask_matches_local(local_results: scenarios.Results) -> None:
    res = scenarios.run(_short_nelson(), backend="dask", n_jobs=2)
    assert _kpis(res) == _kpis(local_results)
    assert res.table("events").equals(local_results.table("events"))
