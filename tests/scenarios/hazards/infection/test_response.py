"""Interventions become operations scenarios: index pathways, isolation, closures, cohorting."""

from __future__ import annotations

import scenarios
from scenarios.hazards.infection.response import ISOLATION_ROOM, index_pathway, operations_variant
from scenarios.hazards.infection.schema import InfectionScenario, Intervention


def _scenario(small_ed: str) -> InfectionScenario:
    sc = scenarios.loads(small_ed.replace("index_cases:\n  - {space: L0-ED-WAIT, start_h: 8, hours: 2}",
                                          "index_cases:\n  - {pathway: ed_minors, arrive_h: 30.5, "
                                          "undiagnosed_wait_min: 90}"), "s.yaml")
    assert isinstance(sc, InfectionScenario)
    return sc


def test_an_index_case_gets_its_own_pathway_and_one_arrival(small_ed: str) -> None:
    sc = _scenario(small_ed)
    ops = operations_variant(sc, Intervention(name="baseline"))
    pw = ops.pathways[index_pathway(0)]
    assert [s.name for s in pw.steps] == ["undiagnosed_wait", "triage", "treatment"]
    assert pw.steps[0].duration.value == 90 and pw.steps[0].space_use == "ed_waiting"
    arr = ops.arrivals[-1]
    assert arr.mix == {"index_0": 1.0} and arr.kind == "scheduled"
    assert (arr.first_min, arr.days, arr.per_day) == (390.0, [1], 1)   # Tuesday 06:30
    assert ops.run.length_min == 720.0 and ops.run.record_events
    assert sc.ops.pathways.keys() < ops.pathways.keys()  # the scenario itself is not changed


def test_isolation_at_triage_adds_the_rooms_and_skips_the_undiagnosed_wait(small_ed: str) -> None:
    sc = _scenario(small_ed)
    iv = Intervention.model_validate({"name": "iso", "isolate": {"after": "triage"},
                                      "cohort_staff": {"ed_doctor": 1}})
    ops = operations_variant(sc, iv)
    pw = ops.pathways[index_pathway(0)]
    assert [s.name for s in pw.steps] == ["triage", "treatment"]
    assert pw.isolation is not None and pw.isolation.share == 1.0 and pw.isolation.room == ISOLATION_ROOM
    assert ops.resources[ISOLATION_ROOM].space_use == "ed_isolation"
    assert ops.resources["ed_doctor"].cohort_units == 1


def test_closing_the_bay_closes_the_pool_counted_from_its_use(small_ed: str) -> None:
    sc = _scenario(small_ed)
    iv = Intervention.model_validate({"name": "close", "close_bay": {"at_h": 5, "hours": 10}})
    ops = operations_variant(sc, iv, close=("L0-ED-MIN2", "ed_minors"))
    (cl,) = ops.resources["minors_room"].closures
    assert (cl.space, cl.start_h, cl.end_h, cl.deep_clean_h) == ("L0-ED-MIN2", 5.0, 15.0, 4.0)


def test_an_isolated_case_is_seen_in_the_isolation_room(small_ed: str) -> None:
    sc = _scenario(small_ed)
    iso = operations_variant(sc, Intervention.model_validate({"name": "iso", "isolate": {"after": "triage"}}))
    steps = {s.name: s for s in iso.pathways[index_pathway(0)].steps}
    assert steps["triage"].needs == ["triage_nurse", "triage_room"]  # before isolation: unchanged
    assert steps["treatment"].needs == ["ed_doctor"]  # the minors room is the isolation room now
    keep = operations_variant(sc, Intervention.model_validate(
        {"name": "iso", "isolate": {"after": "triage", "care_in_room": False}}))
    assert {s.name: s for s in keep.pathways[index_pathway(0)].steps}["treatment"].needs == \
        ["ed_doctor", "minors_room"]
