"""The operations kind's replication: progress over simulated time changes nothing in the results."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import scenarios
from facility import Facility
from scenarios.errors import ScenarioFileError
from scenarios.operations import run_replication
from scenarios.operations.runs import PROGRESS_CHUNKS, check
from scenarios.operations.schema import OperationsScenario
from tests.scenarios.operations.conftest import base_copy


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


def test_more_patients_starting_in_a_step_than_its_beds_is_refused(tiny_facility: Facility) -> None:
    # regression: 1,000 start_in patients over 96 ward beds queued unseen from the first minute, and the
    # patients who arrived read a 180-hour wait for a bed with nothing to say why
    beds = sum(max(1, s.beds) for s in tiny_facility.spaces_with_use("ward_bay"))
    data = base_copy()
    data["pathways"]["urgent"]["start_in"] = [{"step": "admit", "count": beds}]
    check(scenarios.from_dict(data, source="tiny.yaml"), tiny_facility)  # type: ignore[arg-type]
    data["pathways"]["clinic_visit"]["steps"][1]["needs"].append("bed")  # infusion on a ward bed too
    data["pathways"]["clinic_visit"]["start_in"] = [{"step": "infusion", "count": 1}]
    with pytest.raises(ScenarioFileError) as err:
        check(scenarios.from_dict(data, source="tiny.yaml"), tiny_facility)  # type: ignore[arg-type]
    assert err.value.path == "tiny.yaml" and err.value.field == "pathways.urgent.start_in[0].count"
    assert f"{beds + 1} patient(s) start in steps holding a unit of 'bed', which has {beds};" \
        in err.value.problem

