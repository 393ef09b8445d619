"""One run for every kind: seeds, replications, overrides."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.base import Kind
from scenarios.errors import RunError
from scenarios.loader import loads
from scenarios.runner import run
from tests.scenarios.mm1 import MM1_YAML


def _fake_facility() -> object:
    return object()  # the test model does not use the building


def test_same_seed_same_results(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML)
    a = run(sc, facility=_fake_facility())  # type: ignore[arg-type]
    b = run(sc, facility=_fake_facility())  # type: ignore[arg-type]
    assert [r.kpis for r in a.replications] == [r.kpis for r in b.replications]
    c = run(sc, facility=_fake_facility(), seed=8)  # type: ignore[arg-type]
    assert [r.kpis for r in c.replications] != [r.kpis for r in a.replications]


def test_replications_are_independent_and_prefix_stable(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML)
    four = run(sc, facility=_fake_facility())  # type: ignore[arg-type]
    waits = [r.kpis["mean_wait"] for r in four.replications]
    assert len(set(waits)) == 4
    # SeedSequence.spawn: the first replications do not depend on how many follow
    eight = run(sc, facility=_fake_facility(), replications=8)  # type: ignore[arg-type]
    assert [r.kpis["mean_wait"] for r in eight.replications[:4]] == waits


def test_mm1_mean_wait_matches_theory(mm1_kind: Kind) -> None:
    # M/M/1 with rho = 0.5: Wq = rho / (mu - lambda) = 1.0
    sc = loads(MM1_YAML).model_copy(update={"customers": 20000})
    res = run(sc, facility=_fake_facility(), replications=10)  # type: ignore[arg-type]
    ci = res.kpis["mean_wait"]
    assert ci["low"] - 0.05 <= 1.0 <= ci["high"] + 0.05


def test_tables_concatenated_with_replication_column(mm1_kind: Kind) -> None:
    res = run(loads(MM1_YAML), facility=_fake_facility())  # type: ignore[arg-type]
    df = res.table("waits")
    assert list(df.columns[:1]) == ["replication"]
    assert sorted(df["replication"].unique()) == [0, 1, 2, 3]
    assert len(df) == 4 * 3000
    with pytest.raises(KeyError):
        res.table("nope")


def test_bad_overrides(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML)
    with pytest.raises(ValueError, match="replications"):
        run(sc, facility=_fake_facility(), replications=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed"):
        run(sc, facility=_fake_facility(), seed=-2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backend"):
        run(sc, facility=_fake_facility(), backend="gpu")  # type: ignore[arg-type]


def test_unknown_kind_is_an_error(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML).model_copy(update={"kind": "gone"})
    with pytest.raises(RunError, match="unknown scenario kind"):
        run(sc, facility=_fake_facility())  # type: ignore[arg-type]


def test_seed_sequence_children_differ() -> None:
    kids = np.random.SeedSequence(7).spawn(3)
    draws = [np.random.default_rng(k).random() for k in kids]
    assert len(set(draws)) == 3
