"""Exposure during an evacuation: presence from trajectories and refuges, and a whole small drill."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import yaml

import facility
import scenarios
from scenarios.hazards.infection.trajectories import from_evacuation, locate

FAC = facility.sample()


def _centre(space: str) -> tuple[str, float, float]:
    s = FAC.space(space)
    p = s.anchor
    return s.level, p.x, p.y


def test_points_are_located_in_their_spaces() -> None:
    pts = [_centre("L0-ED-WAIT"), _centre("L2-W1-BAY1"), ("L0", -500.0, -500.0)]
    got = locate(FAC, np.array([p[0] for p in pts], dtype=object), np.array([p[1] for p in pts]),
                 np.array([p[2] for p in pts]))
    ids = [s.id for s in FAC.spaces]
    assert [ids[i] if i >= 0 else None for i in got] == ["L0-ED-WAIT", "L2-W1-BAY1", None]


def test_runs_of_samples_become_rows_and_refuges_hold_people_after_the_drill() -> None:
    wait, corridor = _centre("L0-ED-WAIT"), _centre("L0-A-CORRIDOR")
    samples = [(0.0, "a", wait), (2.0, "a", wait), (4.0, "a", corridor), (0.0, "b", corridor)]
    traj = pa.table({"time": [s[0] for s in samples], "id": [s[1] for s in samples],
                     "level": [s[2][0] for s in samples], "x": [s[2][1] for s in samples],
                     "y": [s[2][2] for s in samples], "state": ["move"] * 4})
    agents = pa.table({"id": ["a", "b"], "role": ["patient", "staff"], "profile": ["ambulant", "staff"],
                       "reached_how": ["refuge", "exit"], "reached": [6.0, 3.0],
                       "route": ["L0-ED-WAIT>L0-A-CORRIDOR>L0-ED-BASE", "L0-A-CORRIDOR"]})
    people, pres, contacts = from_evacuation(traj, agents, FAC, sample_s=2.0, refuge_stay_min=30.0)
    ids = [s.id for s in FAC.spaces]
    rows = sorted((people.label[p], ids[s], t0 * 60, t1 * 60) for p, s, t0, t1 in
                  zip(pres.person, pres.space, pres.t0, pres.t1, strict=True))
    assert rows == [("a", "L0-A-CORRIDOR", 4.0, 6.0), ("a", "L0-ED-BASE", 6.0, pytest.approx(6.0 + 1800.0)),
                    ("a", "L0-ED-WAIT", 0.0, 4.0), ("b", "L0-A-CORRIDOR", 0.0, 2.0)]
    assert people.is_staff.tolist() == [False, True]
    assert contacts.n == 0


SMALL_DRILL = """
kind: infection
name: drill_flu
facility: sample
seed: 4
replications: 1
emission_samples: 20
refuge_stay_min: 30
pathogen: {preset: influenza, emission: {median: 100.0, gsd: 1.0}}
index_cases: [{space: L0-ED-WAIT, start_h: 0, hours: 0.5}]
evacuation:
  name: small_drill
  max_time: 90
  record_every: 2.0
  population:
    groups:
      - {profile: ambulant, use: ed_waiting, count: 12}
      - {profile: staff, use: ed_triage, count: 1}
interventions:
  - name: masks
    masks: {patients: n95, staff: n95}
"""


def test_a_small_drill_exposes_the_people_crowding_out_of_the_waiting_room() -> None:
    sc = scenarios.loads(SMALL_DRILL, "drill.yaml")
    res = scenarios.run(sc)
    k = res.replications[0].kpis
    assert k["evacuation.total"] >= 13  # 12 waiting, triage staff in each triage room
    assert k["baseline.secondary_cases"] > 0
    assert k["masks.secondary_cases"] < k["baseline.secondary_cases"]
    cases = res.table("cases")
    assert "L0-ED-WAIT" in set(cases.space)


def test_operations_levers_are_refused_for_an_evacuation() -> None:
    data = yaml.safe_load(SMALL_DRILL)
    data["interventions"] = [{"name": "iso", "isolate": {}}]
    sc = scenarios.loads(yaml.safe_dump(data), "drill.yaml")
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.run(sc)
    assert err.value.field == "interventions[0]"


def test_a_case_placed_after_the_drill_and_refuge_stay_is_refused() -> None:
    # regression: a case placed at 3 h in a 90 s drill with a 30 min refuge stay met nobody, and
    # the run reported 0 expected cases
    data = yaml.safe_load(SMALL_DRILL)
    data["index_cases"] = [{"space": "L0-ED-WAIT", "start_h": 3, "hours": 1}]
    sc = scenarios.loads(yaml.safe_dump(data), "drill.yaml")
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.run(sc)
    assert (err.value.path, err.value.field) == ("drill.yaml", "index_cases[0].start_h")
    assert err.value.problem.startswith("3 h is not before the end of the drill and the refuge stay (0.525 h")


def test_a_drill_over_the_work_budget_is_refused_by_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    # regression: the drill under an infection scenario was not budgeted, whatever its size
    monkeypatch.setenv("MEDTWIN_MAX_PEOPLE", "5")  # the budget, scaled down to this small drill
    with pytest.raises(scenarios.ScenarioFileError) as err:
        scenarios.run(scenarios.loads(SMALL_DRILL, "drill.yaml"))
    assert (err.value.path, err.value.field) == ("drill.yaml", "evacuation.population.groups[0].count")
    assert "over the budget of 5 (set MEDTWIN_MAX_PEOPLE to raise it" in err.value.problem
