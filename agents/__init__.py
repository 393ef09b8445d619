"""Who and what moves or is used: patients, staff, visitors, devices, pedestrians.

Public face:

* operations agents (Mesa handles over the model's records): :class:`Patient`,
  :class:`StaffMember`, :class:`Device`;
* the hand-off between models: :class:`Snapshot`, :class:`Occupant`,
  :class:`DeviceState`, :data:`PATIENT_PROFILES`;
* evacuation movement: :class:`SpeedModel` (collision-free speed model, state
  in numpy arrays), occupant :class:`Profile` s (speeds and pre-movement by
  mobility) and the staff-assignment :data:`POLICIES`.
"""

from __future__ import annotations

from agents.assist import POLICIES
from agents.devices import Device
from agents.movement.pedestrians import SpeedModel
from agents.occupants import PROFILES, Profile, profile
from agents.patients import Patient
from agents.snapshot import PATIENT_PROFILES, DeviceState, Occupant, Snapshot
from agents.staff import StaffMember

__all__ = [
    "PATIENT_PROFILES",
    "POLICIES",
    "PROFILES",
    "Device",
    "DeviceState",
    "Occupant",
    "Patient",
    "Profile",
    "Snapshot",
    "SpeedModel",
    "StaffMember",
    "profile",
]
