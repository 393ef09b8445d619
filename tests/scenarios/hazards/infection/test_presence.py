"""Presence rows and contacts read from an operations event log."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from scenarios.hazards.infection.contact import CarrierKind
from scenarios.hazards.infection.presence import COMPANION, PresenceKind, add_companions, from_events

KINDS = {"nurse": "staff", "room": "room", "pump": "device"}
SPACES = {"WAIT": 0, "ROOM": 1}


def _events() -> pa.Table:
    return pa.table({
        "patient": [7, 7, 9],
        "pathway": ["a", "a", "b"],
        "step": ["triage", "treat", "treat"],
        "queue_enter": [0.0, 10.0, 5.0],
        "start": [4.0, 20.0, math.nan],       # patient 9 never started (still queueing at the end)
        "end": [10.0, math.nan, 50.0],        # patient 7's treatment runs past the end
        "wait_space": ["WAIT", "WAIT", "WAIT"],
        "space": ["ROOM", "ROOM", ""],
        "resources": ["room#0,nurse#1", "room#0,nurse#1,pump#3", ""],
        "walk_min": [1.0, 2.0, 0.0],
    })


def test_patients_wait_then_are_in_the_step_space_and_staff_only_where_they_serve() -> None:
    people, pres, _ = from_events(_events(), KINDS, SPACES, horizon_min=60.0)
    assert people.label == ["patient 7", "patient 9", "nurse#1"]
    assert people.role.tolist() == ["patient", "patient", "nurse"]
    assert people.pathway.tolist() == ["a", "b", ""]
    rows = sorted(zip(pres.person.tolist(), pres.space.tolist(), pres.t0.tolist(), pres.t1.tolist(),
                      pres.kind.tolist(), strict=True))
    assert rows == [
        (0, 0, 0.0, 4.0, PresenceKind.WAITING), (0, 0, 10.0, 20.0, PresenceKind.WAITING),
        (0, 1, 5.0, 10.0, PresenceKind.STEP), (0, 1, 22.0, 60.0, PresenceKind.STEP),
        (1, 0, 5.0, 50.0, PresenceKind.WAITING),
        (2, 1, 5.0, 10.0, PresenceKind.STEP), (2, 1, 22.0, 60.0, PresenceKind.STEP),
    ]


def test_staff_and_devices_serving_a_step_are_contacts_rooms_are_not() -> None:
    _, _, contacts = from_events(_events(), KINDS, SPACES, horizon_min=60.0)
    got = sorted(zip([contacts.carrier_label[c] for c in contacts.carrier.tolist()], contacts.kind.tolist(),
                     contacts.person.tolist(), contacts.time.tolist(), strict=True))
    assert got == [("nurse#1", CarrierKind.HANDS, 0, 5.0), ("nurse#1", CarrierKind.HANDS, 0, 22.0),
                   ("pump#3", CarrierKind.DEVICE, 0, 22.0)]
    assert np.all(contacts.space == 1)


def test_companions_wait_where_their_patient_waits() -> None:
    people, pres, _ = from_events(_events(), KINDS, SPACES, horizon_min=60.0)
    grown, more = add_companions(people, pres, {"a": 3.0, "b": 0.0}, np.random.default_rng(5))
    visitors = np.flatnonzero(grown.role == "visitor")
    assert visitors.size > 0 and np.all(grown.patient[visitors] == COMPANION)
    assert set(grown.pathway[visitors]) == {"a"}  # pathway b brings nobody
    for v in visitors.tolist():
        own = more.take(more.person == v)
        assert own.space.tolist() == [0, 0] and sorted(own.t0.tolist()) == [0.0, 10.0]
    assert not grown.is_staff[visitors].any() and not grown.is_patient[visitors].any()
