"""Walking matrices: the facility's routes at each mover's speed, computed once and shared."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import scenarios
from facility.routing import BED, STAFF, distance_matrix
from scenarios.errors import ScenarioFileError
from scenarios.operations.walking import scenario_uses, walk_matrices
from tests.scenarios.operations.conftest import BASE


def test_matrices_are_the_facility_routes(make_scenario: Any, tiny_facility: Any) -> None:
    sc = make_scenario()
    wm = walk_matrices(sc, tiny_facility)
    assert set(wm.use_spaces) == {"office", "clinic", "ward_bay", "waiting"}
    ids = wm.space_ids
    np.testing.assert_allclose(wm.staff_len, distance_matrix(tiny_facility, ids, mobility=STAFF))
    np.testing.assert_allclose(np.array(wm.patient_time["bed"]) * 60,
                               distance_matrix(tiny_facility, ids, mobility=BED, by="time"))
    assert wm.beds[ids.index("L1-R1")] == 4
    assert walk_matrices(sc, tiny_facility) is wm  # cached for the replications of a run


def test_scenario_uses_name_their_fields(make_scenario: Any) -> None:
    uses = scenario_uses(make_scenario())
    assert uses["waiting"] == "pathways.clinic_visit.arrive_use"
    assert uses["ward_bay"] == "resources.bed.space_use"


def test_an_impossible_trip_names_the_step(tiny_facility: Any) -> None:
    # L0-R2 has a 0.9 m door: a bed cannot get in
    d: dict[str, Any] = copy.deepcopy(BASE)
    d["pathways"]["urgent"]["steps"][1]["space_use"] = "store"
    d["pathways"]["urgent"]["steps"][1]["needs"] = []
    sc = scenarios.from_dict(d)
    with pytest.raises(ScenarioFileError, match=r"step 'admit': no route for a bed patient.*'L0-R2'") as err:
        scenarios.run(sc, facility=tiny_facility, replications=1)
    assert err.value.field == "pathways.urgent.steps[1]"
