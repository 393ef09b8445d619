"""Fixtures for operations tests: small scenarios built from dicts."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

import scenarios
from scenarios.operations.schema import OperationsScenario

#: A small but complete scenario on the tiny test building (tests/conftest.py):
#: patients arrive in the waiting room, are seen in the clinic, some admitted to
#: the ward bays upstairs (a lift ride for a bed), with a nurse who walks.
BASE: dict[str, Any] = {
    "kind": "operations",
    "name": "tiny-ops",
    "facility": "sample",
    "seed": 3,
    "replications": 2,
    "run": {"length": 2880, "warmup": 0},
    "resources": {
        "nurse": {"kind": "staff", "space_use": "office",
                  "roster": [{"start": 0, "end": 12, "count": 2, "break_min": 30},
                             {"start": 12, "end": 0, "count": 1, "break_min": 30}]},
        "clinic": {"kind": "room", "space_use": "clinic"},
        "bed": {"kind": "bed", "space_use": "ward_bay",
                "turnaround": {"dist": "triangular", "min": 20, "mode": 30, "max": 60}},
        "pump": {"kind": "device", "mobile": True, "count": 2, "space_use": "office",
                 "battery": {"capacity_min": 120, "recharge_min": 60}},
    },
    "arrivals": [{"name": "walk_in", "mix": {"clinic_visit": 0.8, "urgent": 0.2}, "rates": [3.0]}],
    "pathways": {
        "clinic_visit": {
            "acuity": {3: 0.5, 4: 0.5},
            "arrive_use": "waiting",
            "patience": {"dist": "exponential", "mean": 120},
            "steps": [
                {"name": "consult", "needs": ["clinic", "nurse"], "wait_use": "waiting", "renege": True,
                 "duration": {"dist": "lognormal", "mean": 12, "sd": 5},
                 "next": [{"to": "infusion", "p": 0.2}, {"to": "exit", "p": 0.8}]},
                {"name": "infusion", "needs": ["nurse", "pump"], "space_use": "waiting",
                 "duration": {"dist": "gamma", "mean": 40, "sd": 15}},
            ],
        },
        "urgent": {
            "mobility": "bed",
            "acuity": {1: 0.3, 2: 0.7},
            "arrive_use": "clinic",
            "steps": [
                {"name": "assess", "needs": ["clinic", "nurse"], "hold": ["clinic"],
                 "duration": {"dist": "triangular", "min": 5, "mode": 10, "max": 20}},
                {"name": "admit", "needs": ["bed"], "space_use": "ward_bay",
                 "duration": {"dist": "exponential", "mean": 600}},
            ],
        },
    },
}


@pytest.fixture
def make_scenario() -> Callable[..., OperationsScenario]:
    """Build a scenario from BASE with top-level overrides (deep-copied)."""

    def make(**over: Any) -> OperationsScenario:
        data = copy.deepcopy(BASE)
        data.update(copy.deepcopy(over))
        sc = scenarios.from_dict(data, source="tiny.yaml")
        assert isinstance(sc, OperationsScenario)
        return sc

    return make


def base_copy() -> dict[str, Any]:
    return copy.deepcopy(BASE)
