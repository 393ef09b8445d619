"""The contact route: patient -> staff hands or a shared device -> patient.

A Ross-Macdonald style model with the hands (or the device) in between
(the reference's "patient colonised <-> staff hands <-> patient"): every
carrier (a staff member's hands, one unit of a shared device) is followed
through its contacts in time order, with ``h`` the probability that it is
contaminated.  At a contact with patient *j*:

1. hands: hand hygiene before the contact (compliance ``c_before``) removes a
   share ``efficacy`` of the contamination: ``h *= 1 - c_before * efficacy``;
2. the carrier may colonise *j*: probability ``h * transmit``;
3. the carrier may pick up from *j*: ``h += (1 - h) * pick_up * w_j``, with
   ``w_j`` the probability that *j* is shedding then;
4. hands: hand hygiene after the contact: ``h *= 1 - c_after * efficacy``;
   devices: cleaning between uses (compliance ``c_clean``) likewise.

Tracking the probability rather than drawing each event gives every
contact's expected transmission exactly for one shedding source, and a
mean-field approximation (correlations between carriers ignored) when there
are several.  Higher compliance can only lower every ``h`` and so every risk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.hazards.infection.pathogens import ContactTransfer

__all__ = ["CarrierKind", "Hygiene", "contact_transmission"]


class CarrierKind:
    """Codes of :func:`contact_transmission`'s ``kind`` array."""

    HANDS = 0
    DEVICE = 1


@dataclass(frozen=True, slots=True)
class Hygiene:
    """Compliance with the hygiene acts of the contact route (probabilities).

    Attributes:
        before: Hand hygiene before touching a patient.
        after: Hand hygiene after touching a patient.
        device_cleaning: A shared device is cleaned between two patients.
    """

    before: float
    after: float
    device_cleaning: float


def contact_transmission(carrier: np.ndarray, kind: np.ndarray, time: np.ndarray, shedding: np.ndarray, *,
                         transfer: ContactTransfer, hygiene: Hygiene) -> np.ndarray:
    """Probability that each contact colonises the patient touched.

    Args:
        carrier: Carrier id of each contact (a staff unit or a device unit).
        kind: :class:`CarrierKind` code of each contact's carrier.
        time: When the contact happens (minutes); orders each carrier's contacts.
        shedding: Probability that the patient touched is shedding at that contact.
        transfer: The pathogen's per-contact probabilities.
        hygiene: Compliance with hand hygiene and device cleaning.

    Returns:
        For every contact (input order), the probability it transmits.

    >>> from scenarios.hazards.infection.pathogens import ContactTransfer
    >>> tr = ContactTransfer(pick_up=1.0, transmit=0.5, hand_hygiene_efficacy=1.0)
    >>> contact_transmission(np.array([0, 0]), np.array([0, 0]), np.array([0.0, 1.0]),
    ...                      np.array([1.0, 0.0]), transfer=tr, hygiene=Hygiene(0.0, 0.0, 0.0)).tolist()
    [0.0, 0.5]
    """
    n = carrier.size
    out = np.zeros(n)
    if n == 0:
        return out
    order = np.lexsort((time, carrier))
    hands_before = 1.0 - hygiene.before * transfer.hand_hygiene_efficacy
    hands_after = 1.0 - hygiene.after * transfer.hand_hygiene_efficacy
    dev_after = 1.0 - hygiene.device_cleaning * transfer.cleaning_efficacy
    is_dev = kind[order] == CarrierKind.DEVICE
    pre = np.where(is_dev, 1.0, hands_before).tolist()
    post = np.where(is_dev, dev_after, hands_after).tolist()
    tx = np.where(is_dev, transfer.device_transmit, transfer.transmit).tolist()
    pick = (np.where(is_dev, transfer.device_pick_up, transfer.pick_up) * shedding[order]).tolist()
    car = carrier[order].tolist()
    res = [0.0] * n
    h = 0.0
    last = None
    for i in range(n):
        if car[i] != last:
            h = 0.0
            last = car[i]
        h *= pre[i]
        res[i] = h * tx[i]
        h += (1.0 - h) * pick[i]
        h *= post[i]
    out[order] = res
    return out
