"""The contact route: hands and devices in between, hygiene only ever lowers risk."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.hazards.infection.contact import CarrierKind, Hygiene, contact_transmission
from scenarios.hazards.infection.pathogens import PRESETS, ContactTransfer

NORO = PRESETS["norovirus"].contact
assert NORO is not None


def _ward(rng: np.random.Generator, n: int = 400) -> tuple[np.ndarray, ...]:
    carrier = rng.integers(0, 6, n)
    kind = np.where(carrier >= 4, CarrierKind.DEVICE, CarrierKind.HANDS)
    time = rng.uniform(0, 2880, n)
    shed = (rng.random(n) < 0.15).astype(float)
    return carrier, kind, time, shed


def test_nobody_shedding_gives_no_transmission() -> None:
    carrier, kind, time, _ = _ward(np.random.default_rng(1))
    q = contact_transmission(carrier, kind, time, np.zeros(carrier.size), transfer=NORO,
                             hygiene=Hygiene(0.2, 0.5, 0.5))
    assert not q.any()


def test_the_source_contact_itself_transmits_nothing_and_the_next_patient_is_at_risk() -> None:
    tr = ContactTransfer(pick_up=0.5, transmit=0.2, hand_hygiene_efficacy=1.0)
    q = contact_transmission(np.array([0, 0, 0]), np.zeros(3, np.int64), np.array([0.0, 1.0, 2.0]),
                             np.array([1.0, 0.0, 0.0]), transfer=tr, hygiene=Hygiene(0.0, 0.5, 0.0))
    # after the source the hands are contaminated with p 0.5, halved by 50 % hand hygiene after
    # each contact: 0.25 at the next patient, 0.125 at the one after
    assert q.tolist() == pytest.approx([0.0, 0.25 * 0.2, 0.125 * 0.2])


@given(st.integers(0, 2**32 - 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 0.5))
@settings(max_examples=50, deadline=None)
def test_more_hand_hygiene_or_cleaning_never_raises_any_risk(seed: int, before: float, after: float,
                                                             clean: float, more: float) -> None:
    carrier, kind, time, shed = _ward(np.random.default_rng(seed), 200)
    low = Hygiene(before, after, clean)
    high = Hygiene(min(1.0, before + more), min(1.0, after + more), min(1.0, clean + more))
    q_low = contact_transmission(carrier, kind, time, shed, transfer=NORO, hygiene=low)
    q_high = contact_transmission(carrier, kind, time, shed, transfer=NORO, hygiene=high)
    assert np.all(q_high <= q_low + 1e-15)
    assert np.all((q_low >= 0) & (q_low <= 1))


def test_order_of_input_does_not_matter() -> None:
    rng = np.random.default_rng(3)
    carrier, kind, time, shed = _ward(rng)
    hyg = Hygiene(0.21, 0.47, 0.5)
    q = contact_transmission(carrier, kind, time, shed, transfer=NORO, hygiene=hyg)
    perm = rng.permutation(carrier.size)
    qp = contact_transmission(carrier[perm], kind[perm], time[perm], shed[perm], transfer=NORO, hygiene=hyg)
    assert np.array_equal(q[perm], qp)
