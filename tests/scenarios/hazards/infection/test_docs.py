"""The scenario example in docs/infection.md is a valid scenario (so the documentation cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

import scenarios
from scenarios.hazards.infection import InfectionScenario
from scenarios.runner import resolve_facility

ROOT = Path(__file__).resolve().parents[4]


def test_documented_example_loads_and_passes_the_checks() -> None:
    text = (ROOT / "docs" / "infection.md").read_text(encoding="utf-8")
    block = re.search(r"## The scenario file\s+```yaml\n(.*?)```", text, re.S)
    assert block is not None
    source = str(ROOT / "scenarios" / "library" / "doc_example.yaml")  # resolves the operations file
    sc = scenarios.loads(block.group(1), source)
    assert isinstance(sc, InfectionScenario)
    assert {iv.name for iv in sc.interventions} >= {"isolate_at_triage", "close_bay", "cohort"}
    kind = scenarios.KINDS["infection"]
    assert kind.check is not None
    kind.check(sc, resolve_facility(sc))
