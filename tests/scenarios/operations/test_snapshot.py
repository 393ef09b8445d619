"""Snapshots: who is where at a moment, as the evacuation model's starting state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import scenarios
from agents.snapshot import PATIENT_PROFILES, Snapshot
from scenarios.operations import snapshot
from scenarios.operations.schema import OperationsScenario

LIBRARY = Path(__file__).resolve().parents[3] / "scenarios" / "library"


@pytest.fixture(scope="module")
def week() -> OperationsScenario:
    sc = scenarios.load(LIBRARY / "sample_hospital_week.yaml")
    assert isinstance(sc, OperationsScenario)
    return sc


def test_tuesday_afternoon_snapshot_of_the_sample_hospital(week: OperationsScenario) -> None:
    import facility

    fac = facility.sample()
    t = (1 * 24 + 14) * 3600.0  # Tuesday 14:00
    snap = snapshot(week, t, facility=fac)
    assert isinstance(snap, Snapshot) and snap.time_s == t
    spaces = {s.id for s in fac.spaces}
    patients = [o for o in snap.occupants if o.role == "patient"]
    staff = [o for o in snap.occupants if o.role == "staff"]
    assert len(patients) > 10 and len(staff) > 10
    assert all(o.space in spaces for o in snap.occupants)
    assert all(o.profile in PATIENT_PROFILES for o in patients)
    assert all(o.acuity in (1, 2, 3, 4, 5) for o in patients)
    assert len({o.id for o in snap.occupants}) == len(snap.occupants)
    # a weekday afternoon: outpatient consultants and theatre staff are on duty
    roles = {o.profile for o in staff}
    assert {"consultant", "surgeon", "ed_doctor"} <= roles
    devices = {d.id: d for d in snap.devices}
    assert {"ct#0", "ct#1", "mri#0", "infusion_pump#0", "ventilator#0"} <= set(devices)
    assert all(d.space in spaces for d in snap.devices)
    pumps = [d for d in snap.devices if d.type == "infusion_pump"]
    assert all(d.battery_min is not None and 0 <= d.battery_min <= 360 for d in pumps)
    assert all(d.battery_min is None for d in snap.devices if d.type == "ct")
    # ventilators on mains at the bedside keep a full transport battery for the evacuation model
    vents = [d for d in snap.devices if d.type == "ventilator" and d.state == "in_use"]
    assert vents and all(d.battery_min == 120 for d in vents)
    # an in-use device names its patient, who is in the snapshot
    ids = {o.id for o in patients}
    assert all(d.patient in ids for d in snap.devices if d.state == "in_use" and d.type != "ct"
               and d.patient is not None)
    # visitors accompany patients, in their patient's space
    visitors = [o for o in snap.occupants if o.role == "visitor"]
    assert visitors
    where = {o.id: o.space for o in patients}
    assert all(where[v.activity.split(":", 1)[1]] == v.space for v in visitors)
    # the table hand-off works
    assert snap.occupants_table().num_rows == len(snap.occupants)


def test_snapshot_is_deterministic_and_checks_time(week: OperationsScenario, tiny_facility: Any) -> None:
    import facility

    fac = facility.sample()
    a = snapshot(week, 30 * 3600.0, facility=fac)
    b = snapshot(week, 30 * 3600.0, facility=fac)
    assert a == b
    c = snapshot(week, 30 * 3600.0, facility=fac, seed=99)
    assert c != a
    with pytest.raises(ValueError, match="t_seconds"):
        snapshot(week, -1.0, facility=fac)


def test_night_snapshot_has_fewer_staff(week: OperationsScenario) -> None:
    import facility

    fac = facility.sample()
    day = snapshot(week, (24 + 11) * 3600.0, facility=fac).count("staff")
    night = snapshot(week, (24 + 3) * 3600.0, facility=fac).count("staff")
    assert night < day


def test_snapshot_at_takes_the_replications_own_generator(week: OperationsScenario) -> None:
    import numpy as np

    import facility
    from scenarios.operations import snapshot_at

    fac = facility.sample()
    t = 30 * 3600.0
    child0 = np.random.default_rng(np.random.SeedSequence(week.seed).spawn(1)[0])
    assert snapshot_at(week, fac, child0, t, visitor_seed=week.seed) == snapshot(week, t, facility=fac)
    other = snapshot_at(week, fac, np.random.default_rng(123), t, visitor_seed=week.seed)
    assert other != snapshot(week, t, facility=fac) and other.time_s == t
    with pytest.raises(ValueError, match="t_seconds"):
        snapshot_at(week, fac, np.random.default_rng(1), 1e9)
