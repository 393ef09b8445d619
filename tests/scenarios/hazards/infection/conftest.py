"""A small infection scenario on the sample hospital's ED, as YAML text to vary in tests."""

from __future__ import annotations

import pytest

#: One morning of a cut-down ED: triage and minors, with an influenza case in the waiting room.
SMALL_ED = """
kind: infection
name: small_ed
facility: sample
seed: 3
replications: 1
days: 0.5
emission_samples: 50
pathogen: {preset: influenza}
index_cases:
  - {space: L0-ED-WAIT, start_h: 8, hours: 2}
operations:
  name: small_ed_ops
  run: {length: 12, unit: h}
  resources:
    triage_nurse: {kind: staff, count: 1, space_use: ed_triage}
    ed_doctor: {kind: staff, count: 2, space_use: nurse_station}
    triage_room: {kind: room, space_use: ed_triage}
    minors_room: {kind: room, space_use: ed_minors}
  arrivals:
    - {name: walk_in, kind: poisson, mix: {ed_minors: 1.0}, rates: [9.0]}
  pathways:
    ed_minors:
      arrive_use: ed_waiting
      steps:
        - {name: triage, needs: [triage_nurse, triage_room], wait_use: ed_waiting,
           duration: {dist: triangular, min: 3, mode: 4, max: 8}}
        - {name: treatment, needs: [ed_doctor, minors_room], wait_use: ed_waiting,
           duration: {dist: lognormal, mean: 20, sd: 10}}
"""


@pytest.fixture
def small_ed() -> str:
    return SMALL_ED
