"""Fixtures for scenario tests: the tiny M/M/1 kind registered for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scenarios.base import KINDS, Kind, register_kind
from tests.scenarios.mm1 import MM1Scenario, run_mm1, summarize_mm1


@pytest.fixture
def mm1_kind() -> Iterator[Kind]:
    kind = Kind(name="test-mm1", scenario_type=MM1Scenario, run_replication=run_mm1,
                summarize=summarize_mm1)
    register_kind(kind)
    yield kind
    KINDS.pop("test-mm1", None)



@pytest.fixture
def toy_kind() -> Iterator[Kind]:
    """The switchable test kind of :mod:`tests.scenarios.kinds`."""
    from tests.scenarios.kinds import register_toy, unregister_toy

    yield register_toy()
    unregister_toy()
