"""The operations kind's replication: progress over simulated time changes nothing in the results."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from facility import Facility
from scenarios.operations import run_replication
from scenarios.operations.runs import PROGRESS_CHUNKS
from scenarios.operations.schema import OperationsScenario


def test_progress_in_chunks_gives_bit_identical_results(
    make_scenario: Callable[..., OperationsScenario], tiny_facility: Facility
) -> None:
    sc = make_scenario()
    fac = tiny_facility
    plain = run_replication(sc, fac, np.random.default_rng(5), 0)
    seen: list[tuple[float, float]] = []
    followed = run_replication(sc, fac, np.random.default_rng(5), 0,
                               progress=lambda t, end: seen.append((t, end)))
    assert followed.kpis == plain.kpis
    assert followed.tables.keys() == plain.tables.keys()
    for name, table in plain.tables.items():  # pandas, for NaN == NaN (an unfinished stay)
        assert followed.tables[name].schema == table.schema
        assert followed.tables[name].to_pandas().equals(table.to_pandas()), name
    # one report per chunk, in order, ending at the run length (2880 min)
    assert len(seen) == PROGRESS_CHUNKS
    assert [t for t, _ in seen] == sorted(t for t, _ in seen)
    assert seen[-1] == (2880 * 60.0, 2880 * 60.0) and seen[0][0] > 0
