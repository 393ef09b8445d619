"""The KPI summary printed by ``medtwin run`` and the summary across replications."""

from __future__ import annotations

import math
from typing import Any

from scenarios.base import Replication
from scenarios.operations import report, summarize


def test_summary_has_confidence_intervals_and_ranking(make_scenario: Any, tiny_facility: Any) -> None:
    import scenarios

    sc = make_scenario()
    res = scenarios.run(sc, facility=tiny_facility, replications=4)
    k = res.kpis
    w = k["wait.clinic_visit.consult"]
    assert w["n"] == 4 and w["low"] <= w["mean"] <= w["high"]
    for key in ("los.urgent.p95", "los.esi4.median", "util.nurse", "queue.clinic", "lwbs.clinic_visit",
                "beds.occupancy.bed", "device.availability.pump", "staff.walk_km_per_shift.nurse",
                "system.L", "bottleneck.sole.clinic"):
        assert key in k, key
    assert {r["resource"] for r in k["bottlenecks"]} == {"nurse", "clinic", "bed", "pump"}
    text = report(k)
    for part in ("Waits (min", "Length of stay", "Left without being seen", "Utilisation", "Bottlenecks",
                 "clinic_visit.consult"):
        assert part in text


def test_summary_drops_missing_values(make_scenario: Any) -> None:
    reps = [Replication(0, {"wait.a.b": 2.0}), Replication(1, {"wait.a.b": math.nan}),
            Replication(2, {"wait.a.b": 4.0})]
    out = summarize(make_scenario(), reps)
    assert out["wait.a.b"]["n"] == 2 and out["wait.a.b"]["mean"] == 3.0
    assert "1 -" not in report({"wait.a.b": {"mean": math.nan, "half_width": math.nan}})


def test_report_shows_diversions_isolation_and_closures() -> None:
    ci = {"mean": 0.25, "half_width": 0.01, "low": 0.24, "high": 0.26, "n": 5}
    text = report({"blocked.icu_bed": ci, "diverted.icu_admission": ci, "isolation.flagged.ed": ci,
                   "isolation.wait_min.ed": {**ci, "mean": 12.5},
                   "closed.unit_h.ward_bed": {**ci, "mean": 96.0}})
    assert "Turned away by a full queue" in text and "blocked.icu_bed" in text and "25.0%" in text
    assert "isolation.wait_min.ed" in text and "12.50" in text and "96.00" in text


def test_batch_values_are_summarised_into_their_kpi(make_scenario: Any) -> None:
    reps = [Replication(0, {"batch.0.util.x": 0.5, "batch.1.util.x": 0.7, "util.x": 0.6}),
            Replication(1, {"batch.0.util.x": 0.4, "batch.1.util.x": 0.8, "util.x": 0.6})]
    out = summarize(make_scenario(), reps)
    assert out["util.x"]["n"] == 4 and math.isclose(out["util.x"]["mean"], 0.6)
    assert not any(k.startswith("batch.") for k in out)


def test_patient_counts_print_whole_for_one_replication_and_one_decimal_for_a_mean() -> None:
    # Found by a tester: one replication printed "Patients: 226.00 arrived, 68.00 still inside".
    one = report({"patients.arrived": {"mean": 226.0, "half_width": math.nan, "n": 1},
                  "patients.in_system": {"mean": 68.0, "half_width": None, "n": 1}})
    assert "Patients: 226 arrived, 68 still inside at the end" in one
    several = report({"patients.arrived": {"mean": 226.25, "half_width": 3.14, "n": 4},
                      "patients.in_system": {"mean": 68.0, "half_width": 1.0, "n": 4}})
    assert "Patients: 226.2 ± 3.1 arrived, 68.0 ± 1.0 still inside at the end" in several
    assert "226.25" not in several


def test_a_one_replication_run_reports_whole_counts(make_scenario: Any, tiny_facility: Any) -> None:
    import scenarios

    text = report(scenarios.run(make_scenario(), facility=tiny_facility, replications=1).kpis)
    line = next(x for x in text.splitlines() if x.startswith("Patients:"))
    arrived, inside = line.split()[1], line.split()[3]
    assert arrived.isdigit() and inside.isdigit(), line
